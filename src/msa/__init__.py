"""msa: material system analysis.

Model how a material moves through an economy along the JRC Material System Analysis chain,
keep the books in mass balance, age products in use by cohort, and report stocks, policy
indicators and Sankey diagrams, with the source and quality grade of every input.
"""

from importlib.metadata import PackageNotFoundError, version

# Imports are sorted by module; __all__ below groups the public names by concept.
from msa import testing
from msa._aggregate import aggregate_system
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
from msa.export import write_figure
from msa.indicators import (
    circular_material_use_rate,
    collection_rate,
    direct_material_input,
    domestic_extraction,
    domestic_material_consumption,
    eol_recycling_input_rate,
    eol_recycling_rate,
    import_reliance,
    indicator_table,
    net_addition_to_stock,
    recycling_rate_of_waste,
)
from msa.io import read_system, read_tables, to_frame, to_tables, write_netcdf
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
from msa.system import Process, System, flow_name, split_flow_name
from msa.templates import (
    MsaBuild,
    build_msa_system,
    jrc_variables,
    read_msa_model,
    read_msa_table,
    stage_imbalance,
    validate_msa_table,
    variables_from_table,
)
from msa.views import (
    View,
    ViewMapping,
    apply_view,
    icer_national,
    jrc,
    load_mapping,
    pga,
    scope_gaps,
    view_balance,
)

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
    "aggregate_system",
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
    # JRC MSA chain, views, indicators
    "MsaBuild",
    "View",
    "ViewMapping",
    "apply_view",
    "build_msa_system",
    "circular_material_use_rate",
    "collection_rate",
    "direct_material_input",
    "domestic_extraction",
    "domestic_material_consumption",
    "eol_recycling_input_rate",
    "eol_recycling_rate",
    "icer_national",
    "import_reliance",
    "indicator_table",
    "jrc",
    "jrc_variables",
    "load_mapping",
    "net_addition_to_stock",
    "pga",
    "scope_gaps",
    "read_msa_model",
    "read_msa_table",
    "recycling_rate_of_waste",
    "stage_imbalance",
    "validate_msa_table",
    "variables_from_table",
    "view_balance",
    "__version__",
]
