"""msa: material system analysis.

Model how a material moves through an economy along the JRC Material System Analysis chain,
keep the books in mass balance, age products in use by cohort, and report stocks, policy
indicators and Sankey diagrams, with the source and quality grade of every input.
"""

from importlib.metadata import PackageNotFoundError, version

from msa import testing

# -- classifications (msa.dims; readers in msa._dims_io)
from msa._dims_io import (
    load_classification,
    load_concordance,
    load_hierarchy,
    read_classification,
    read_concordance,
)
from msa._example import load_example
from msa.balance import balance, check_balance, throughput
from msa.dims import Classification, Concordance, Hierarchy, aggregate, disaggregate

# -- errors
from msa.errors import (
    ConfigError,
    DataError,
    DimensionError,
    LifetimeError,
    MassBalanceError,
    MsaError,
    MsaWarning,
    OutputExistsError,
    ProvenanceError,
    RenderError,
    StockModelError,
)

# -- sankey (msa.export writes the figures)
from msa.export import write_figure
from msa.io import read_system, read_tables, to_frame, to_tables, write_netcdf

# -- lifetimes and stock models
from msa.lifetimes import (
    EmpiricalLifetime,
    ExponentialLifetime,
    FixedLifetime,
    FoldedNormalLifetime,
    GammaLifetime,
    Lifetime,
    LogNormalLifetime,
    NormalLifetime,
    TruncatedNormalLifetime,
    WeibullLifetime,
)
from msa.provenance import GRADES, make_sources

# -- models, scenarios, runs
from msa.report import (
    evaluate_target,
    evaluate_targets,
    grade_summary,
    report_html,
    report_markdown,
)
from msa.run import ModelResult, compare_runs, load_model, run_model, write_result
from msa.sankey import links_from_system, nodes_from_links, sankey, sankey_series, series_scale
from msa.scenarios import (
    ModelConfig,
    Parameter,
    Scenario,
    check_shares,
    load_config,
    table_to_dataarray,
)
from msa.stocks import chain, inflow_driven, quadrature, stock_driven, survival_matrix

# -- system and balance
from msa.system import Process, System, flow_name, split_flow_name

try:
    __version__ = version("msa")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    # sankey
    "links_from_system",
    "nodes_from_links",
    "sankey",
    "sankey_series",
    "series_scale",
    "write_figure",
    # classifications
    "Classification",
    "Concordance",
    "Hierarchy",
    "aggregate",
    "disaggregate",
    "load_classification",
    "load_concordance",
    "load_hierarchy",
    "read_classification",
    "read_concordance",
    # errors
    "ConfigError",
    "DataError",
    "DimensionError",
    "LifetimeError",
    "MassBalanceError",
    "MsaError",
    "MsaWarning",
    "OutputExistsError",
    "ProvenanceError",
    "RenderError",
    "StockModelError",
    # system and balance
    "GRADES",
    "Process",
    "System",
    "balance",
    "check_balance",
    "flow_name",
    "make_sources",
    "split_flow_name",
    "throughput",
    # tables, NetCDF and the example
    "load_example",
    "read_system",
    "read_tables",
    "testing",
    "to_frame",
    "to_tables",
    "write_netcdf",
    # lifetimes and stock models
    "EmpiricalLifetime",
    "ExponentialLifetime",
    "FixedLifetime",
    "FoldedNormalLifetime",
    "GammaLifetime",
    "Lifetime",
    "LogNormalLifetime",
    "NormalLifetime",
    "TruncatedNormalLifetime",
    "WeibullLifetime",
    "chain",
    "inflow_driven",
    "quadrature",
    "stock_driven",
    "survival_matrix",
    # models, scenarios, runs
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
    "write_result",
    "__version__",
]
