"""The JRC Material System Analysis chain: variables, MSA tables, views and indicators.

* :mod:`~msa.jrc_msa.tables` -- the 43 JRC variables, their codes and folds, and the reader of
  an MSA table (one row per variable, material and year);
* :mod:`~msa.jrc_msa.template` -- a balanced System built from an MSA table, with each stage's
  imbalance reported;
* :mod:`~msa.jrc_msa.views` -- the JRC, ICER national and PGA views: which variable becomes
  which link, what lies inside a node, out of scope or uncertain;
* :mod:`~msa.jrc_msa.node_views` -- any system in a view by placing its processes in the
  view's nodes (no JRC codes needed);
* :mod:`~msa.jrc_msa.gaps` -- what a view leaves out of each node (the scope gaps);
* :mod:`~msa.jrc_msa.indicators` -- DMI, DMC, EoL-RIR and the other indicators from JRC codes;
* :mod:`~msa.jrc_msa.policy_indicators` -- the indicators of the policy targets (DMI without
  energy carriers, biobased and secondary share, waste and high-grade recycling rates, CRMA
  capacity over consumption);
* :mod:`~msa.jrc_msa.origin` -- origin and supply concentration over an ``origin`` dim: shares
  by country, largest share, HHI, country-group (BRICS-5, BRICS+, EU-27, OECD) shares.

The package is named ``jrc_msa`` (not ``jrc``) because :func:`msa.jrc` is the JRC view.
"""

from msa.jrc_msa.gaps import SCOPE_NODE, scope_gaps
from msa.jrc_msa.indicators import (
    INDICATORS,
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
from msa.jrc_msa.macro import national_headlines, national_share
from msa.jrc_msa.node_views import process_view
from msa.jrc_msa.origin import (
    BASES,
    DEFAULT_GROUP,
    HHI_SCALES,
    country_groups,
    country_names,
    group_members,
    group_share,
    hhi,
    largest_share,
    normalise_origin,
    origin_shares,
    to_iso3,
)
from msa.jrc_msa.policy_indicators import (
    biobased_secondary_share,
    capacity_over_consumption,
    dmi_excluding_energy_carriers,
    ew_mfa_categories,
    high_grade_recycling_rate,
    waste_recycling_rate,
)
from msa.jrc_msa.tables import jrc_codes, read_msa_table, reference_table, validate_msa_table
from msa.jrc_msa.template import (
    MsaBuild,
    build_msa_system,
    jrc_variables,
    origin_totals,
    read_msa_model,
    stage_imbalance,
    variables_by_origin,
    variables_from_table,
)
from msa.jrc_msa.views import (
    STATUSES,
    VIEWS,
    View,
    ViewMapping,
    apply_view,
    icer_national,
    jrc,
    load_mapping,
    pga,
    view_balance,
)

__all__ = [
    "national_headlines",
    "national_share",
    "biobased_secondary_share",
    "capacity_over_consumption",
    "dmi_excluding_energy_carriers",
    "ew_mfa_categories",
    "high_grade_recycling_rate",
    "waste_recycling_rate",
    "BASES",
    "DEFAULT_GROUP",
    "HHI_SCALES",
    "INDICATORS",
    "SCOPE_NODE",
    "STATUSES",
    "VIEWS",
    "MsaBuild",
    "View",
    "ViewMapping",
    "apply_view",
    "build_msa_system",
    "circular_material_use_rate",
    "collection_rate",
    "country_groups",
    "country_names",
    "direct_material_input",
    "domestic_extraction",
    "domestic_material_consumption",
    "eol_recycling_input_rate",
    "eol_recycling_rate",
    "group_members",
    "group_share",
    "hhi",
    "icer_national",
    "import_reliance",
    "indicator_table",
    "jrc",
    "jrc_codes",
    "jrc_variables",
    "largest_share",
    "load_mapping",
    "net_addition_to_stock",
    "normalise_origin",
    "origin_shares",
    "origin_totals",
    "pga",
    "process_view",
    "read_msa_model",
    "read_msa_table",
    "recycling_rate_of_waste",
    "reference_table",
    "scope_gaps",
    "stage_imbalance",
    "to_iso3",
    "validate_msa_table",
    "variables_by_origin",
    "variables_from_table",
    "view_balance",
]
