"""Models: a model folder's definition, its scenarios, runs, reports and comparisons.

* :mod:`~msa.model.definition` -- a declared model (``model.toml`` with processes, flows,
  stocks, data, parameters, scenarios, outputs), validated up front (:mod:`~msa.model.checks`);
* :mod:`~msa.model.build` -- a declared model built into a balanced System, every value's
  provenance tracked from its inputs (:mod:`~msa.model.tracked`, :mod:`~msa.model.inputs`,
  :mod:`~msa.model.units`); :mod:`~msa.model.outputs` its standard outputs;
* :mod:`~msa.model.template` -- :func:`new_model`, the start of a new model;
* :mod:`~msa.model.run` -- :func:`run_model`: a model folder to an output folder, written
  atomically; :func:`compare_runs` across scenarios;
* :mod:`~msa.model.report` -- targets met or missed, grade summaries, Markdown and HTML reports.
"""

from msa.model.build import Built, build_model
from msa.model.definition import BASELINE, ModelDefinition, load_definition
from msa.model.report import (
    evaluate_target,
    evaluate_targets,
    grade_summary,
    policy_targets,
    report_html,
    report_markdown,
)
from msa.model.run import (
    ModelResult,
    compare_runs,
    run_model,
    write_comparison,
    write_result,
)
from msa.model.template import new_model, shipped_model

__all__ = [
    "BASELINE",
    "Built",
    "ModelDefinition",
    "build_model",
    "load_definition",
    "ModelResult",
    "compare_runs",
    "evaluate_target",
    "evaluate_targets",
    "grade_summary",
    "new_model",
    "policy_targets",
    "report_html",
    "report_markdown",
    "run_model",
    "shipped_model",
    "write_comparison",
    "write_result",
]
