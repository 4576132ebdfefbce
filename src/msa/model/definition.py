"""A declared model: ``model.toml`` names the processes, flows, stocks, data and parameters.

The library reads the declaration, validates it up front (unknown keys, wrong types, values out
of bounds, flows between unknown processes, names used but not declared, a flow nothing
computes), then builds the System (:mod:`msa.model.build`). A ``model.py`` is optional and holds
only the functions the declaration names. Every problem is one :class:`msa.ConfigError` naming
the file and the key (``model.toml: [flows."Use => Waste"] share: ...``).

The sections (every key is documented in docs/model_definition.md):

``[model]``
    ``name``, ``title``, ``sources`` (the sources table), optional ``module`` (``model.py``).
``[dims]``
    ``time = { start, end }`` and the labels of every other dim.
``[msa]``
    An MSA-table model instead of ``[processes]``, ``[flows]`` and ``[stocks]``: ``table`` (an
    MSA table, one row per JRC MSA variable, material, region and year) and ``missing``
    (``"report"`` or ``"zero"``); the JRC MSA template supplies the processes, flows and
    stocks (:func:`msa.build_msa_system`), ``[dims]`` is optional (the table's labels).
``[data.<name>]``
    A table: ``file``, ``dims`` (its dim columns; ``time`` is read from a ``year`` column),
    ``units`` (rows in other convertible units are converted), ``interpolate`` (``"linear"``
    fills the years between given ones and holds the end values), ``sums_to_one`` (a dim over
    which the values are shares that add to 1), ``where`` (keep the rows whose column holds a
    label or a string parameter's value), ``own_dims`` (dims of the table only, labelled by
    it, for functions).
``[parameters]``
    ``name = { value, units, source_id, grade, clo_grade, note, bounds, uncertainty }``.
``[processes.<id>]``
    ``kind`` (transformation, stock, boundary), ``stage`` (JRC stage), ``label_en``,
    ``label_nl``.
``[flows."<source> => <target>"]``
    ``units``, ``flow_type``, ``jrc_code`` and exactly one way the value comes about:
    ``value`` (a product of tables and parameters, ``"capacity * panel_mass"``), ``share`` (a
    table or parameter times the source process's total inflow, or times the flow named in
    ``of``), ``remainder = true`` (what the source process has left), or ``function`` (a
    function of ``model.py`` with its ``needs`` and result ``dims``). A stock's outflow is
    declared in ``[stocks]``.
``[stocks.<process>]``
    ``lifetime = { distribution, <parameter> = name or number ... }``, ``outflow`` (the flow
    that carries what leaves the stock), ``inflow_at``, ``entry_age`` (inflows that enter used,
    as survivors of an older cohort), ``stock`` and ``inflow`` (a stock-driven stock: a table
    of stock levels, and the inflow computed from it), ``negative_inflow``, ``initial_stock``
    (a table of the stock by cohort before the first year), ``by_cohort``, ``jrc_code`` and
    ``change_jrc_code``.
``[outputs]``
    ``sankey_years``, ``sankeys`` (the System's and views' Sankeys), ``indicators`` (ratios of
    flows, or functions), ``targets`` (a CSV file of policy targets on those indicators),
    ``policies`` and ``policy_targets`` (the shipped policy targets that apply, and the
    indicator answering each), ``headline`` (flows and stocks to report, and labelled
    numbers), ``tables`` and ``figures`` made by functions, ``report_figures``, ``notes``.
``[scenarios.<name>]``
    ``description``, ``set`` (parameter overrides), ``data`` (table files replaced).
"""

from __future__ import annotations

import functools
import hashlib
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from msa.errors import ConfigError
from msa.model.checks import check_definition
from msa.system.tables import FIRST_YEAR, LAST_YEAR

__all__ = [
    "BASELINE",
    "DataSpec",
    "FlowSpec",
    "FunctionOutput",
    "HeadlineSpec",
    "IndicatorSpec",
    "LifetimeSpec",
    "ModelDefinition",
    "MsaSpec",
    "ParameterRef",
    "ParameterSpec",
    "ProcessSpec",
    "ScenarioSpec",
    "StockSpec",
    "TargetNeeds",
    "is_declared_model",
    "load_definition",
    "read_toml",
]

#: The scenario every model has: the declared values without overrides.
BASELINE = "baseline"
STAGES = (
    "Exploration",
    "Extraction",
    "Processing",
    "Manufacture",
    "Use",
    "Collection",
    "Recycling",
)
FLOW_TYPES = ("primary", "secondary", "loss", "trade", "stock")
DISTRIBUTIONS = {
    "fixed": ("mean",),
    "normal": ("mean", "std"),
    "truncated_normal": ("mean", "std"),
    "folded_normal": ("mean", "std"),
    "lognormal": ("mean", "std"),
    "weibull": ("shape", "scale"),
    "gamma": ("shape", "scale"),
    "exponential": ("mean",),
}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ARROW = " => "


def _not_bool(value: object) -> object:
    """Refuse a TOML boolean where a name or a number is meant (pydantic reads true as 1)."""
    if isinstance(value, bool):
        raise ValueError(f"give a name or a number, not {str(value).lower()}")
    return value


#: A table or parameter name, or a number; never a boolean.
_NameOrNumber = Annotated[str | float, BeforeValidator(_not_bool)]
#: A parameter name, or a whole number (a year); never a boolean.
_NameOrYear = Annotated[int | str, BeforeValidator(_not_bool)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class ModelInfo(_Spec):
    """``[model]``: the model's name, title, sources table, optional module and mass basis.

    ``mass_basis`` says what a tonne counts, e.g. ``"element mass"`` (t of Li) or ``"product
    mass"`` (t of panels); figures state it in their subtitle. ``title_nl`` and
    ``mass_basis_nl`` are the Dutch words for Dutch figures (without them a Dutch figure would
    mix in the English title, so it falls back to the model's name).
    """

    name: str = Field(min_length=1)
    title: str = Field(min_length=1)
    sources: str = Field(min_length=1)
    module: str | None = None
    description: str = ""
    mass_basis: str | None = None
    title_nl: str | None = None
    mass_basis_nl: str | None = None


class ParameterRef(_Spec):
    """``{ parameter = "name" }``: the value of a (string) parameter, scenario overrides applied."""

    parameter: str = Field(min_length=1)


class DataSpec(_Spec):
    """``[data.<name>]``: a table of values with its dims, units and filling rule.

    ``where`` keeps only the rows whose column holds a label (``{ flow = "new" }``) or the value
    of a parameter (``{ scenario = { parameter = "chemistry_scenario" } }``); ``own_dims`` are
    dims of this table only, not of the model, labelled by the table itself (for functions).
    """

    file: str = Field(min_length=1)
    dims: tuple[str, ...] = ()
    units: str
    interpolate: Literal["none", "linear"] = "none"
    sums_to_one: str | None = None
    nonnegative: StrictBool = True
    where: dict[str, str | ParameterRef] = Field(default_factory=dict)
    own_dims: tuple[str, ...] = ()
    uncertainty: Literal[False] | None = None


class ParameterSpec(_Spec):
    """``[parameters] name = {...}``: a scalar value (or a list of labels) with its provenance."""

    value: float | int | str | bool | list[str]
    units: str = ""
    source_id: str = Field(min_length=1)
    grade: Literal["A", "B", "C", "D"]
    clo_grade: Literal["A", "B", "C", "D", "E", "F"] | None = None
    note: str = ""
    bounds: tuple[StrictFloat, StrictFloat] | None = None
    uncertainty: dict[str, Any] | Literal[False] | None = None

    @model_validator(mode="after")
    def _within_bounds(self) -> ParameterSpec:
        if self.bounds is not None:
            low, high = self.bounds
            if low > high:
                raise ValueError(f"bounds {list(self.bounds)} must be [low, high]")
            if not isinstance(self.value, int | float) or isinstance(self.value, bool):
                raise ValueError("bounds need a numeric value")
            if not low <= self.value <= high:
                raise ValueError(f"value {self.value} is outside its bounds {list(self.bounds)}")
        return self


class ProcessSpec(_Spec):
    """``[processes.<id>]``: kind, JRC stage, labels and the node it is in per view.

    ``views`` places the process in a node of a bundled view (``{ pga = "Afval" }``), so the
    view's Sankey can be drawn without JRC codes on the flows (:func:`msa.process_view`).
    """

    kind: Literal["transformation", "stock", "boundary"] = "transformation"
    stage: Literal[STAGES] | None = None  # type: ignore[valid-type]  # a tuple of literals
    label_en: str | None = None
    label_nl: str | None = None
    views: dict[str, str] = Field(default_factory=dict)


class FlowSpec(_Spec):
    """``[flows."A => B"]``: how a flow's value comes about, its units and its meaning."""

    units: str = "t"
    flow_type: Literal[FLOW_TYPES] | None = None  # type: ignore[valid-type]  # tuple of literals
    jrc_code: str | None = None
    value: str | None = None
    share: _NameOrNumber | None = None
    of: str | None = None
    remainder: StrictBool = False
    function: str | None = None
    needs: tuple[str, ...] = ()
    dims: tuple[str, ...] | None = None

    @model_validator(mode="after")
    def _one_way(self) -> FlowSpec:
        ways = [
            k
            for k, given in (
                ("value", self.value is not None),
                ("share", self.share is not None),
                ("remainder", self.remainder),
                ("function", self.function is not None),
            )
            if given
        ]
        if len(ways) > 1:
            raise ValueError(f"give one of value, share, remainder, function (got {ways})")
        if self.of is not None and self.share is None:
            raise ValueError("'of' needs 'share'")
        if self.function is not None and self.dims is None:
            raise ValueError("a function flow must declare the dims of its result (dims = [...])")
        if self.needs and self.function is None:
            raise ValueError("'needs' is for function flows only")
        return self

    @property
    def way(self) -> str | None:
        """How the value comes about: value, share, remainder, function, or None (stock)."""
        if self.value is not None:
            return "value"
        if self.share is not None:
            return "share"
        if self.remainder:
            return "remainder"
        if self.function is not None:
            return "function"
        return None


class LifetimeSpec(_Spec):
    """A stock's lifetime: a distribution, its parameters and optional lifetime factors.

    Parameters and factors are numbers or names of ``[parameters]``. ``cohort_factor``
    multiplies the lifetime of cohorts entering from ``cohort_factor_from`` (design);
    ``year_factor`` that of every cohort in use from ``year_factor_from`` (maintenance).
    """

    model_config = ConfigDict(extra="allow", frozen=True)
    distribution: Literal[tuple(DISTRIBUTIONS)]  # type: ignore[valid-type]  # tuple of literals
    cohort_factor: _NameOrNumber | None = None
    cohort_factor_from: _NameOrYear | None = None
    year_factor: _NameOrNumber | None = None
    year_factor_from: _NameOrYear | None = None

    @model_validator(mode="after")
    def _factor_pairs(self) -> LifetimeSpec:
        for kind in ("cohort", "year"):
            factor = getattr(self, f"{kind}_factor")
            start = getattr(self, f"{kind}_factor_from")
            if (factor is None) != (start is None):
                raise ValueError(f"give both {kind}_factor and {kind}_factor_from, or neither")
        return self

    @model_validator(mode="after")
    def _parameters(self) -> LifetimeSpec:
        need = set(DISTRIBUTIONS[self.distribution])
        given = set(self.model_extra or {})
        if given - need:
            raise ValueError(
                f"unknown key {sorted(given - need)[0]!r} for a {self.distribution} lifetime; "
                f"give {sorted(need)}"
            )
        if need - given:
            raise ValueError(f"a {self.distribution} lifetime needs {sorted(need - given)}")
        for key, value in (self.model_extra or {}).items():
            if not isinstance(value, int | float | str) or isinstance(value, bool):
                raise ValueError(f"{key} must be a number or a parameter name (got {value!r})")
        return self

    @property
    def parameters(self) -> dict[str, float | str]:
        """The distribution's parameters: numbers or names of ``[parameters]``."""
        return dict(self.model_extra or {})


class StockSpec(_Spec):
    """``[stocks.<process>]``: the lifetime of what enters the stock and where it leaves to.

    Inflow-driven (the default): the stock is computed from the process's inflows.
    ``entry_age`` names inflows that enter already used, a whole number of years old (a number
    or a parameter): survivors of the cohort that entered that many years before.

    Stock-driven: ``stock`` names a table of the stock level at the end of each year and
    ``inflow`` the one flow into the process, which the stock model computes from it
    (:func:`msa.stock_driven`); ``negative_inflow`` says what a stock falling faster than its
    cohorts leave does: ``"error"`` (default), ``"correct"`` (the surplus leaves early, through
    ``outflow``) or ``"allow"`` (the inflow may be negative).

    ``initial_stock`` names a table of the stock at the end of the year before the first
    year, by ``cohort`` (its year of entry, an own dim of the table) and the stock's other
    dims. ``by_cohort`` keeps the stock by cohort in the System; ``jrc_code`` tags the stock
    level and ``change_jrc_code`` its net addition (stocks sharing a code are added up).
    """

    lifetime: LifetimeSpec
    outflow: str
    inflow_at: Literal["start", "middle", "end"] = "middle"
    entry_age: dict[str, _NameOrYear] = Field(default_factory=dict)
    stock: str | None = Field(default=None, min_length=1)
    inflow: str | None = Field(default=None, min_length=1)
    negative_inflow: Literal["error", "correct", "allow"] = "error"
    initial_stock: str | None = Field(default=None, min_length=1)
    by_cohort: StrictBool = False
    jrc_code: str | None = None
    change_jrc_code: str | None = None

    @model_validator(mode="after")
    def _stock_driven(self) -> StockSpec:
        if (self.stock is None) != (self.inflow is None):
            raise ValueError(
                "give stock (a table of stock levels) and inflow (the flow it computes) together"
            )
        if self.stock is None and "negative_inflow" in self.model_fields_set:
            raise ValueError("negative_inflow is for a stock-driven stock (give stock and inflow)")
        if self.stock is not None and self.entry_age:
            raise ValueError(
                "entry_age is for an inflow-driven stock; a stock-driven stock computes its one "
                "inflow (new) from its stock"
            )
        return self

    @property
    def stock_driven(self) -> bool:
        """Whether the stock is given (``stock``) and its inflow computed from it."""
        return self.stock is not None


class IndicatorSpec(_Spec):
    """``[outputs.indicators.<name>]``: a ratio of sums of flows (and stocks), per year.

    Or ``function``: a function of ``model.py`` that receives the built model and returns the
    indicator as a DataArray over ``time`` and/or the ``by`` dim (a missing dim: the same for
    every year or label; labels of ``by`` may be left out). ``by`` keeps one dim (e.g.
    ``material``) so a target can name one of its labels.
    ``denominator_mean_of_previous = N`` divides by the mean of the denominator over the N
    years before (the WEEE collection rate on the average put on the market in the three
    preceding years); NaN in the first N years.
    Or ``library``: a policy indicator of msa (:data:`msa.jrc_msa.policy_indicators.LIBRARY`,
    e.g. ``"dmi_excluding_energy_carriers"``) with ``inputs`` (each of its arguments as a list
    of flows and stocks, summed) and ``categories`` (each ``material`` label's EW-MFA
    category, for the indicators that classify materials).
    """

    numerator: tuple[str, ...] | None = Field(default=None, min_length=1)
    denominator: tuple[str, ...] | None = Field(default=None, min_length=1)
    function: str | None = None
    library: str | None = None
    inputs: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    categories: dict[str, str] = Field(default_factory=dict)
    by: str | None = None
    denominator_mean_of_previous: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _ratio_or_function(self) -> IndicatorSpec:
        ratio = self.numerator is not None or self.denominator is not None
        kinds = [k for k in ("function", "library") if getattr(self, k) is not None]
        if len(kinds) > 1:
            raise ValueError("give function or library, not both")
        if kinds:
            if ratio or self.denominator_mean_of_previous is not None:
                raise ValueError(f"give numerator and denominator, or {kinds[0]}, not both")
        elif self.numerator is None or self.denominator is None:
            raise ValueError("give numerator and denominator (or a function, or a library name)")
        if (self.inputs or self.categories) and self.library is None:
            raise ValueError("'inputs' and 'categories' go with 'library'")
        return self


class HeadlineSpec(_Spec):
    """One labelled headline number: a sum of items, an indicator, or a cell of a table.

    ``sum`` adds flows and ``"stock <process>"`` items in ``year`` (or over ``years = [first,
    last]``, both included); ``indicator`` takes an indicator in ``year``; ``table`` with
    ``column`` sums a column of an output table over the rows of ``year`` (its ``time``
    column). ``where`` keeps one label of a dim (or of a table column): ``{ material = "Li" }``.
    """

    label: str = Field(min_length=1)
    sum: tuple[str, ...] | None = Field(default=None, min_length=1)
    indicator: str | None = None
    table: str | None = None
    column: str | None = None
    year: StrictInt | None = None
    years: tuple[StrictInt, StrictInt] | None = None
    where: dict[str, str | StrictInt] = Field(default_factory=dict)
    units: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> HeadlineSpec:
        kinds = [k for k in ("sum", "indicator", "table") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(f"give one of sum, indicator, table (got {kinds})")
        if (self.table is None) != (self.column is None):
            raise ValueError("'table' and 'column' go together")
        if (self.year is None) == (self.years is None):
            raise ValueError("give year or years = [first, last]")
        if self.years is not None and self.sum is None:
            raise ValueError("'years' sums flows and stocks only; give 'year'")
        if self.years is not None and self.years[0] > self.years[1]:
            raise ValueError(f"years {list(self.years)} must be [first, last]")
        return self


class FunctionOutput(_Spec):
    """``[outputs.tables.<name>]`` or ``[outputs.figures.<name>]``: made by a function."""

    function: str = Field(min_length=1)


class TargetNeeds(_Spec):
    """A shipped policy target that applies to the model but that it cannot compute.

    ``{ needs = "..." }`` in ``[outputs.policy_targets]``: the report lists the target as
    "not computable: needs ..." with this text instead of the shipped table's.
    """

    needs: str = Field(min_length=1)


class EffectsSpec(_Spec):
    """``[outputs.effects]``: the cradle-to-gate effect of the primary material a model takes in.

    ``flows`` (or ``supplied_by``, process ids whose outflows are primary supply) carry the
    burden; ``factors`` is a factor table of the model (default: the ones msa ships,
    :func:`msa.effects.load_factors`); ``select`` chooses among conflicting factors per
    material (``{ Li = { route = "brine" } }``); ``materials`` maps the model's material labels
    to the table's; ``indicators`` are computed each (default GWP100). A material without a
    factor is reported, never counted as 0. See docs/effects.md.
    """

    flows: tuple[str, ...] = ()
    supplied_by: tuple[str, ...] = ()
    factors: str | None = None
    indicators: tuple[str, ...] = ("GWP100",)
    select: dict[str, dict[str, str]] = Field(default_factory=dict)
    materials: dict[str, str] = Field(default_factory=dict)
    material: str | None = None

    @model_validator(mode="after")
    def _one_way(self) -> EffectsSpec:
        if bool(self.flows) == bool(self.supplied_by):
            raise ValueError("give flows or supplied_by (the primary inputs), one of them")
        if not self.indicators:
            raise ValueError("indicators: name at least one (e.g. GWP100)")
        return self


class NationalShareSpec(_Spec):
    """``[outputs.national_shares.<name>]``: flows as a share of a national figure.

    ``flows`` (summed, by material and year) over the national figure ``national`` (a
    ``variable_code`` of the national headline table: msa's shipped one, or ``file`` of the
    model in the same format) of the material group each material maps to through
    ``concordance`` (a bundled concordance or a CSV file of the model; none: the economy
    total, ``"all materials"``); ``materials`` keeps some materials only. See docs/macro.md.
    """

    flows: tuple[str, ...] = Field(min_length=1)
    national: str = Field(min_length=1)
    concordance: str | None = None
    materials: tuple[str, ...] = ()
    region: str = "NL"
    file: str | None = None


class OutputsSpec(_Spec):
    """``[outputs]``: Sankeys, indicators, policy targets, headline numbers, extra outputs.

    ``targets`` is the model's own targets table; ``policies`` and ``policy_targets`` select
    the targets msa ships (:func:`msa.policy_targets`): every target of a policy in
    ``policies`` applies, and ``policy_targets`` maps a shipped ``target_id`` to the declared
    indicator that answers it (``"name"``, ``"name:label"``, a list of those, or ``{ needs =
    "..." }``). A target that applies and is not answered is reported as not computable.
    """

    sankey_years: tuple[StrictInt, ...] = ()
    sankeys: tuple[str, ...] = ("system",)
    sankey_preset: Literal["a4-portrait", "a4-landscape", "slide"] | None = None
    targets: str | None = None
    policies: tuple[str, ...] = ()
    policy_targets: dict[str, str | tuple[str, ...] | TargetNeeds] = Field(default_factory=dict)
    headline: tuple[str | HeadlineSpec, ...] = ()
    indicators: dict[str, IndicatorSpec] = Field(default_factory=dict)
    tables: dict[str, FunctionOutput] = Field(default_factory=dict)
    figures: dict[str, FunctionOutput] = Field(default_factory=dict)
    report_figures: tuple[str, ...] | None = None
    notes: tuple[str, ...] = ()
    effects: EffectsSpec | None = None
    national_shares: dict[str, NationalShareSpec] = Field(default_factory=dict)


class MsaSpec(_Spec):
    """``[msa]``: the MSA table an MSA-table model is built from, with the JRC MSA template.

    ``table`` holds one row per JRC MSA variable (or ``+``-fold of variables), material, region
    and year (:func:`msa.read_msa_table`); ``missing`` says what a JRC code the table does not
    give is: ``"report"`` (listed; the edges and stocks needing it are not built) or ``"zero"``
    (0, grade D).
    """

    table: str = Field(default="msa.csv", min_length=1)
    missing: Literal["report", "zero"] = "report"


class ScenarioSpec(_Spec):
    """``[scenarios.<name>]``: named overrides of parameters and data tables."""

    description: str = ""
    set: dict[str, float | int | str | bool | list[str]] = Field(default_factory=dict)
    data: dict[str, str] = Field(default_factory=dict)
    source_id: str | None = None
    grade: Literal["A", "B", "C", "D"] = "D"


class _Root(_Spec):
    model: ModelInfo
    dims: dict[str, Any]
    data: dict[str, DataSpec] = Field(default_factory=dict)
    parameters: dict[str, ParameterSpec] = Field(default_factory=dict)
    processes: dict[str, ProcessSpec]
    flows: dict[str, FlowSpec]
    stocks: dict[str, StockSpec] = Field(default_factory=dict)
    outputs: OutputsSpec = Field(default_factory=OutputsSpec)
    scenarios: dict[str, ScenarioSpec] = Field(default_factory=dict)

    @field_validator("dims")
    @classmethod
    def _dims(cls, dims: dict[str, Any]) -> dict[str, Any]:
        if "time" not in dims:
            raise ValueError("time = { start = YEAR, end = YEAR } is required")
        return dims


class _MsaRoot(_Spec):
    """An MSA-table model: ``[msa]`` instead of processes, flows, stocks, data and parameters."""

    model: ModelInfo
    msa: MsaSpec
    dims: dict[str, Any] | None = None
    outputs: OutputsSpec = Field(default_factory=OutputsSpec)


class ModelDefinition(BaseModel):
    """A validated model declaration and the folder it was read from.

    Attributes
    ----------
    path : Path
        The ``model.toml`` file.
    coords : dict
        Labels of every dim (``time``: the years).
    msa : MsaSpec or None
        ``[msa]`` of an MSA-table model (then ``processes``, ``flows``, ``stocks``, ``data``,
        ``parameters`` and ``scenarios`` are empty: the JRC MSA template supplies the chain).
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)
    path: Path
    info: ModelInfo
    coords: dict[str, tuple[Any, ...]]
    data: dict[str, DataSpec]
    parameters: dict[str, ParameterSpec]
    processes: dict[str, ProcessSpec]
    flows: dict[str, FlowSpec]
    stocks: dict[str, StockSpec]
    outputs: OutputsSpec
    scenarios: dict[str, ScenarioSpec]
    msa: MsaSpec | None = None

    @property
    def folder(self) -> Path:
        """The model folder."""
        return self.path.parent

    @property
    def name(self) -> str:
        """The model's name."""
        return self.info.name

    @property
    def title(self) -> str:
        """The model's title."""
        return self.info.title

    def ends(self, flow: str) -> tuple[str, str]:
        """Return the source and target process of ``flow``."""
        source, target = flow.split(_ARROW)
        return source, target

    def scenario(self, name: str) -> ScenarioSpec:
        """Return scenario ``name`` (``baseline`` always exists).

        Raises
        ------
        msa.ConfigError
            If the model declares no such scenario.
        """
        if name == BASELINE and BASELINE not in self.scenarios:
            return ScenarioSpec(description="the declared values")
        if name not in self.scenarios:
            known = ", ".join(dict.fromkeys([BASELINE, *self.scenarios]))
            raise ConfigError(f"{self.path}: unknown scenario {name!r}; known: {known} (or 'all')")
        return self.scenarios[name]

    def input_files(self, scenario: str = BASELINE) -> list[Path]:
        """Return every file a run of ``scenario`` reads, once each, ``model.toml`` first.

        The sources table, the scenario's data tables, ``model.py``, the targets table and an
        MSA table: what the manifest of a run hashes.
        """
        spec = self.scenario(scenario)
        files = [self.path, self.folder / self.info.sources]
        files += [self.folder / spec.data.get(n, t.file) for n, t in self.data.items()]
        files += [self.folder / self.info.module] if self.info.module else []
        files += [self.folder / self.outputs.targets] if self.outputs.targets else []
        files += [self.folder / self.msa.table] if self.msa is not None else []
        return list(dict.fromkeys(files))

    def scenario_names(self, asked: list[str] | None) -> list[str]:
        """Return the scenarios to run: ``baseline`` if none asked, every one for ``all``."""
        every = list(dict.fromkeys([BASELINE, *self.scenarios]))
        if not asked:
            return [BASELINE]
        if "all" in asked:
            return every
        for name in asked:
            self.scenario(name)
        return list(dict.fromkeys(asked))


def is_declared_model(path: str | Path) -> bool:
    """Return whether ``path`` (a folder or its ``model.toml``) declares flows or an ``[msa]``.

    True for a declared model (``[processes]``, ``[flows]``) and an MSA-table model
    (``[msa]``), which :func:`load_definition` reads; False for anything else (no such file,
    invalid TOML, neither).
    """
    file = Path(path)
    file = file / "model.toml" if file.is_dir() else file
    if not file.is_file():
        return False
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return False
    return "processes" in raw or "flows" in raw or "msa" in raw


def load_definition(path: str | Path) -> ModelDefinition:
    """Read and validate a declared model (a folder or its ``model.toml``).

    A declared model has ``[processes]`` and ``[flows]``; an MSA-table model has ``[msa]``
    instead (its ``[dims]`` are the labels of its table, :func:`_msa_coords`).

    Parameters
    ----------
    path : str or Path
        The model folder or its ``model.toml``.

    Returns
    -------
    ModelDefinition

    Raises
    ------
    msa.ConfigError
        On the first problem, naming the file and the key: a missing file, invalid TOML, an
        unknown key, a wrong type, a value outside its bounds, a flow between undeclared
        processes, a name used but not declared, a flow nothing computes; ``[msa]`` beside
        ``[processes]``, ``[flows]`` or ``[stocks]``; an MSA table that is not there.
    msa.DataError
        If the MSA table of an MSA-table model is malformed.
    """
    file = Path(path)
    file = file / "model.toml" if file.is_dir() else file
    if not file.is_file():
        raise ConfigError(f"{file}: model definition not found (expected a model.toml)")
    raw = read_toml(file)
    if _variant(file, raw) == "msa":
        return _load_msa(file, raw)
    try:
        root = _Root.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(f"{file}: {_first_error(err)}") from None
    definition = ModelDefinition(
        path=file,
        info=root.model,
        coords=_coords(file, root.dims),
        data=root.data,
        parameters=root.parameters,
        processes=root.processes,
        flows=root.flows,
        stocks=root.stocks,
        outputs=root.outputs,
        scenarios=root.scenarios,
    )
    check_definition(definition)
    return definition


def read_toml(file: Path) -> dict[str, Any]:
    """Return the TOML of ``file``; invalid TOML or text that is not UTF-8 is a ConfigError."""
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError as err:
        raise ConfigError(
            f"{file}: not UTF-8 text (byte 0x{err.object[err.start]:02x} at position "
            f"{err.start}); save it as UTF-8"
        ) from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{file}: invalid TOML ({err})") from err


#: The sections of a declared model that an MSA-table model ([msa]) does not have.
_NOT_WITH_MSA = ("processes", "flows", "stocks", "data", "parameters", "scenarios")


def _variant(file: Path, raw: Mapping[str, Any]) -> Literal["declared", "msa"]:
    """Return which variant ``raw`` is: processes and flows, or ``[msa]`` (never both).

    Raises
    ------
    msa.ConfigError
        On the old MSA-table format (``kind = "msa"``), on ``[msa]`` beside a section of a
        declared model, and on a declaration with neither ``[msa]`` nor processes and flows.
    """
    if raw.get("kind") == "msa":
        raise ConfigError(
            f'{file}: top level: kind = "msa" is the old MSA-table format; write [model] (name, '
            'title, sources) and [msa] (table = "msa.csv") instead (docs/model_definition.md)'
        )
    if "msa" not in raw:
        if "processes" not in raw and "flows" not in raw:
            raise ConfigError(
                f"{file}: top level: give [processes] and [flows] (a declared model) or [msa] "
                "(an MSA-table model); see docs/model_definition.md"
            )
        return "declared"
    chain = [k for k in ("processes", "flows", "stocks") if k in raw]
    if chain:
        raise ConfigError(
            f"{file}: [msa] and [{chain[0]}] are both given; an MSA-table model takes its "
            "processes, flows and stocks from the JRC MSA template: give [msa] or [processes] "
            "and [flows], not both"
        )
    other = [k for k in _NOT_WITH_MSA if k in raw]
    if other:
        raise ConfigError(
            f"{file}: [{other[0]}]: an MSA-table model ([msa]) takes every value from its table; "
            f"remove [{other[0]}]"
        )
    return "msa"


def _load_msa(file: Path, raw: Mapping[str, Any]) -> ModelDefinition:
    """Read and validate an MSA-table model (``[msa]``); see :func:`load_definition`."""
    try:
        root = _MsaRoot.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(f"{file}: {_first_error(err)}") from None
    definition = ModelDefinition(
        path=file,
        info=root.model,
        coords=_msa_coords(file, root.msa, root.dims),
        data={},
        parameters={},
        processes={},
        flows={},
        stocks={},
        outputs=root.outputs,
        scenarios={},
        msa=root.msa,
    )
    check_definition(definition)
    return definition


def msa_table(path: Path) -> Any:
    """Return the validated MSA table at ``path`` (:func:`msa.read_msa_table`), a new copy.

    Loading an MSA-table model reads its table for the labels, and building it reads it again
    for the values: reading the same file with the same bytes again in a process (its bytes are
    compared, not its modification time) gives a copy of the first table instead of parsing and
    validating it again.
    """
    from msa.jrc_msa.tables import read_msa_table

    if not path.is_file():
        return read_msa_table(path)  # its one-line error
    digest = hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
    return _read_msa_table(str(path), digest).copy()


@functools.lru_cache(maxsize=4)
def _read_msa_table(path: str, digest: str) -> Any:
    """Return :func:`msa.read_msa_table` of ``path`` holding these bytes (cached: copy it)."""
    from msa.jrc_msa.tables import read_msa_table

    return read_msa_table(Path(path))


def _msa_coords(
    file: Path, spec: MsaSpec, dims: Mapping[str, Any] | None
) -> dict[str, tuple[Any, ...]]:
    """Return the labels of an MSA table: ``time`` (its years), ``material``, ``region``.

    A ``[dims]`` given must hold exactly the table's labels (``time`` every year from start to
    end), so it documents the table rather than choosing from it.
    """
    path = file.parent / spec.table
    if not path.is_file():
        raise ConfigError(f"{file}: [msa] table: {spec.table!r} not found in {file.parent}")
    table = msa_table(path)
    coords: dict[str, tuple[Any, ...]] = {
        "time": tuple(sorted(int(y) for y in set(table["year"]))),
        "material": tuple(sorted(set(table["material"]))),
        "region": tuple(sorted(set(table["region"]))),
    }
    if dims is None:
        return coords
    unknown = [d for d in dims if d not in coords]
    if unknown:
        raise ConfigError(
            f"{file}: [dims] {unknown[0]}: an MSA table has the dims time, material and region only"
        )
    declared = _coords(file, dims)
    for dim, labels in declared.items():
        if set(labels) != set(coords[dim]):
            raise ConfigError(
                f"{file}: [dims] {dim}: {list(labels)} differ from the labels of {spec.table} "
                f"({list(coords[dim])}); give the table's labels, or leave [dims] out"
            )
    return coords


def _first_error(err: ValidationError) -> str:
    """One line for pydantic's first error: the TOML key path, then what is wrong."""
    first = err.errors()[0]
    loc = [str(p) for p in first["loc"]]
    key = _key_path(loc)
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = f"unknown key {loc[-1]!r}"
        key = _key_path(loc[:-1]) or "top level"
    elif first["type"] == "missing":
        message = f"missing key {loc[-1]!r}"
        key = _key_path(loc[:-1]) or "top level"
    elif "input" in first and first["type"] not in ("value_error", "assertion_error"):
        message += f" (got {first['input']!r})"
    return f"{key}: {message}" if key else message


def _key_path(loc: list[str]) -> str:
    """``["flows", "A => B", "share"]`` as ``[flows."A => B"] share``."""
    if not loc:
        return ""
    section, rest = loc[0], loc[1:]
    if section in ("model", "outputs", "dims", "msa") or not rest:
        keys = [p for p in rest if not p.isdigit()]  # a list's index is not a TOML key
        return f"[{section}]" + (" " + ".".join(keys) if keys else "")
    name = rest[0] if _NAME.match(rest[0]) else f'"{rest[0]}"'
    tail = [p for p in rest[1:] if not p.isdigit() and p not in ("function-after",)]
    return f"[{section}.{name}]" + (" " + ".".join(tail) if tail else "")


def _coords(file: Path, dims: Mapping[str, Any]) -> dict[str, tuple[Any, ...]]:
    """Labels of every dim; ``time`` from ``{ start, end }`` (both years included)."""
    coords: dict[str, tuple[Any, ...]] = {}
    for dim, spec in dims.items():
        if dim == "time":
            if not isinstance(spec, dict) or set(spec) != {"start", "end"}:
                raise ConfigError(
                    f"{file}: [dims] time: give time = {{ start = YEAR, end = YEAR }}"
                )
            start, end = spec["start"], spec["end"]
            whole = all(isinstance(y, int) and not isinstance(y, bool) for y in (start, end))
            if not (whole and start <= end):
                raise ConfigError(f"{file}: [dims] time: need integer start <= end (got {spec})")
            if start < FIRST_YEAR or end > LAST_YEAR:
                raise ConfigError(
                    f"{file}: [dims] time: years {start}-{end} are outside {FIRST_YEAR}-"
                    f"{LAST_YEAR}; give start and end as four-digit years"
                )
            coords["time"] = tuple(range(start, end + 1))
            continue
        if not isinstance(spec, list) or not spec:
            raise ConfigError(f"{file}: [dims] {dim}: give a non-empty list of labels")
        if len(set(map(str, spec))) != len(spec):
            raise ConfigError(f"{file}: [dims] {dim}: duplicate labels in {spec}")
        coords[dim] = tuple(str(s) for s in spec)
    return coords
