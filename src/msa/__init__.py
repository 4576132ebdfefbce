"""msa: material system analysis.

Model how a material moves through an economy along the JRC Material System Analysis chain,
keep the books in mass balance, age products in use by cohort, and report stocks, policy
indicators and Sankey diagrams, with the source and quality grade of every input.
"""

from typing import TYPE_CHECKING, Any

from msa import testing
from msa.effects import factor_sources, links_with_effect, load_factors, read_factors
from msa.errors import (
    ConfigError,
    DataError,
    DimensionError,
    LifetimeError,
    MassBalanceError,
    ModelCodeError,
    MsaError,
    MsaWarning,
    OutputError,
    OutputExistsError,
    ProvenanceError,
    RenderError,
    StockModelError,
)
from msa.jrc_msa import (
    MsaBuild,
    View,
    ViewMapping,
    apply_view,
    biobased_secondary_share,
    build_msa_system,
    capacity_over_consumption,
    circular_material_use_rate,
    collection_rate,
    country_groups,
    direct_material_input,
    dmi_excluding_energy_carriers,
    domestic_extraction,
    domestic_material_consumption,
    eol_recycling_input_rate,
    eol_recycling_rate,
    group_members,
    group_share,
    hhi,
    high_grade_recycling_rate,
    icer_national,
    import_reliance,
    indicator_table,
    jrc,
    jrc_variables,
    largest_share,
    load_mapping,
    national_headlines,
    national_share,
    net_addition_to_stock,
    origin_shares,
    pga,
    process_view,
    read_msa_model,
    read_msa_table,
    recycling_rate_of_waste,
    scope_gaps,
    stage_imbalance,
    to_iso3,
    validate_msa_table,
    variables_from_table,
    view_balance,
    waste_recycling_rate,
)
from msa.jrc_msa.coverage import basic_information, indicator_registry
from msa.stocks import (
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
    chain,
    inflow_driven,
    lifetime_database,
    lifetime_from_database,
    lifetime_sources,
    quadrature,
    stock_driven,
    survival_matrix,
)
from msa.system import (
    GRADES,
    Classification,
    Concordance,
    Hierarchy,
    Process,
    System,
    aggregate,
    aggregate_system,
    balance,
    check_balance,
    disaggregate,
    flow_name,
    load_classification,
    load_concordance,
    load_example,
    load_hierarchy,
    make_sources,
    read_classification,
    read_concordance,
    read_system,
    read_tables,
    split_flow_name,
    throughput,
    to_frame,
    to_tables,
    write_netcdf,
)
from msa.system.provenance import msa_version

if TYPE_CHECKING:
    from msa.figures import (
        links_from_system,
        nodes_from_links,
        sankey,
        sankey_series,
        series_scale,
        write_figure,
    )
    from msa.model import (
        ModelDefinition,
        ModelResult,
        build_model,
        compare_runs,
        evaluate_target,
        evaluate_targets,
        grade_summary,
        load_definition,
        new_model,
        policy_targets,
        report_html,
        report_markdown,
        run_model,
        shipped_model,
        write_result,
    )
    from msa.model.coverage import coverage, write_coverage
    from msa.reconciliation import (
        Reconciliation,
        SystemReconciliation,
        reconcile,
        reconcile_system,
    )

# Loaded on first use, so that `import msa` stays quick (pydantic, networkx and the
# figure and model modules are not needed to open a System): name -> module defining it.
_LAZY = {
    "links_from_system": "msa.figures",
    "nodes_from_links": "msa.figures",
    "sankey": "msa.figures",
    "sankey_series": "msa.figures",
    "series_scale": "msa.figures",
    "write_figure": "msa.figures",
    "ModelDefinition": "msa.model",
    "ModelResult": "msa.model",
    "build_model": "msa.model",
    "compare_runs": "msa.model",
    "evaluate_target": "msa.model",
    "evaluate_targets": "msa.model",
    "grade_summary": "msa.model",
    "load_definition": "msa.model",
    "new_model": "msa.model",
    "policy_targets": "msa.model",
    "report_html": "msa.model",
    "report_markdown": "msa.model",
    "run_model": "msa.model",
    "shipped_model": "msa.model",
    "write_result": "msa.model",
    "coverage": "msa.model.coverage",
    "write_coverage": "msa.model.coverage",
    "Reconciliation": "msa.reconciliation",
    "SystemReconciliation": "msa.reconciliation",
    "reconcile": "msa.reconciliation",
    "reconcile_system": "msa.reconciliation",
}
#: Sub-packages not imported by ``import msa``; ``msa.<name>`` imports them on first use.
_LAZY_PACKAGES = ("figures", "model", "reconciliation", "uncertainty")

__version__ = msa_version()

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
    "ModelCodeError",
    "MsaError",
    "MsaWarning",
    "OutputError",
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
    "lifetime_database",
    "lifetime_from_database",
    "lifetime_sources",
    "quadrature",
    "stock_driven",
    "survival_matrix",
    # models, scenarios, runs
    "ModelDefinition",
    "ModelResult",
    "compare_runs",
    "evaluate_target",
    "evaluate_targets",
    "grade_summary",
    "build_model",
    "load_definition",
    "new_model",
    "report_html",
    "report_markdown",
    "run_model",
    "shipped_model",
    "write_result",
    "policy_targets",
    # need versus availability
    "basic_information",
    "coverage",
    "indicator_registry",
    "write_coverage",
    # environmental effects (msa.effects.effects computes them)
    "factor_sources",
    "links_with_effect",
    "load_factors",
    "read_factors",
    # origin and concentration, policy indicators
    "biobased_secondary_share",
    "capacity_over_consumption",
    "country_groups",
    "dmi_excluding_energy_carriers",
    "group_members",
    "group_share",
    "hhi",
    "high_grade_recycling_rate",
    "largest_share",
    "national_headlines",
    "national_share",
    "origin_shares",
    "to_iso3",
    "waste_recycling_rate",
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
    "process_view",
    "reconcile",
    "reconcile_system",
    "Reconciliation",
    "SystemReconciliation",
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


def __getattr__(name: str) -> Any:
    """Import a public name or a sub-package of msa on first use (PEP 562)."""
    import importlib

    if name in _LAZY_PACKAGES:
        return importlib.import_module(f"msa.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'msa' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """List the module's names, the ones loaded on first use included."""
    return sorted(set(globals()) | set(_LAZY) | set(_LAZY_PACKAGES))
