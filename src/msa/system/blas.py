"""BLAS on one thread while a stock model or a reconciliation runs.

Used by :mod:`msa.stocks` and :mod:`msa.reconciliation`. The matrix products and triangular solves
of a stock model are small (T x C matrices, T a few hundred years): OpenBLAS's threads cost more
than they gain there, and far more when other processes keep the cores busy (a 200 x 200 by 200 x
1000 product took 16 ms with two threads against 1.3 ms with one on a lightly loaded two-core
machine, 30-70 ms under load; bench/README.md). So the engine limits BLAS to
``msa.stocks.engine.BLAS_THREADS`` threads for the duration of a run, and a reconciliation (whose
matrices are as small) to one, with threadpoolctl, and restores the previous limits afterwards.

The limit is process-wide (it is BLAS's own setting), and OpenBLAS does not always take a
setting from another thread than the one that set it before (OpenBLAS 0.3.31: once the main
thread had set it, settings from other threads were ignored). So one thread at a time owns
the limit: the first to start a run while no run holds it sets it, and restores it when its
own run ends; runs started meanwhile in other threads (e.g. dask's threaded scheduler) use it
while it lasts and never touch it. BLAS is never left limited after a run, whatever the threads
do; a run whose setting BLAS ignores runs with BLAS's threads as they are.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_lock = threading.Lock()
_local = threading.local()
_state: dict[str, Any] = {"owner": None, "limiter": None, "controller": None}


def _controller() -> Any:
    """Return the threadpoolctl controller, made once (it inspects the loaded libraries)."""
    if _state["controller"] is None:
        from threadpoolctl import ThreadpoolController

        _state["controller"] = ThreadpoolController()
    return _state["controller"]


@contextmanager
def blas_threads(limit: int | None) -> Iterator[None]:
    """Run the block with BLAS limited to ``limit`` threads (None: leave BLAS as it is).

    Nested blocks in one thread share the outer block's limit; see the module docstring for
    blocks in several threads at once.

    Examples
    --------
    >>> import numpy as np
    >>> with blas_threads(1):
    ...     float((np.eye(3) @ np.ones(3)).sum())
    3.0
    """
    if limit is None:
        yield
        return
    me = threading.get_ident()
    depth = getattr(_local, "depth", 0)
    _local.depth = depth + 1
    if depth == 0:
        with _lock:
            if _state["owner"] is None:
                _state["limiter"] = _controller().limit(limits=limit, user_api="blas")
                _state["owner"] = me
    try:
        yield
    finally:
        _local.depth = depth
        if depth == 0:
            with _lock:
                if _state["owner"] == me:
                    _state["limiter"].restore_original_limits()
                    _state["owner"] = _state["limiter"] = None
