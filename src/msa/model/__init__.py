"""Models: a model folder's definition, its scenarios, runs, reports and comparisons.

* :mod:`~msa.model.config` -- ``model.toml``: dims, data tables, parameters with source and
  grade, named scenarios; validation of the data tables;
* :mod:`~msa.model.run` -- :func:`run_model`: a model folder to an output folder, written
  atomically; :func:`compare_runs` across scenarios;
* :mod:`~msa.model.report` -- targets met or missed, grade summaries, Markdown and HTML reports.
"""

from msa.model.config import (
    BASELINE,
    ModelConfig,
    Parameter,
    Scenario,
    check_shares,
    load_config,
    table_to_dataarray,
)
from msa.model.report import (
    evaluate_target,
    evaluate_targets,
    grade_summary,
    report_html,
    report_markdown,
)
from msa.model.run import (
    ModelResult,
    compare_runs,
    load_model,
    run_model,
    write_comparison,
    write_result,
)

__all__ = [
    "BASELINE",
    "ModelConfig",
    "ModelResult",
    "Parameter",
    "Scenario",
    "check_shares",
    "compare_runs",
    "evaluate_target",
    "evaluate_targets",
    "grade_summary",
    "load_config",
    "load_model",
    "report_html",
    "report_markdown",
    "run_model",
    "table_to_dataarray",
    "write_comparison",
    "write_result",
]
