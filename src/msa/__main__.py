"""``python -m msa`` runs the command line, like the ``msa`` script."""

import sys

from msa.cli import main

sys.exit(main())
