"""Declarative model configurations and named scenario overrides.

A model lives in ``models/<name>/`` as a TOML file (``model.toml``) plus long-format data tables.
The TOML declares the model's dims, its data tables, its scalar parameters (each with a value,
units, source id and grade) and its scenarios: named overrides of parameters. The baseline is
the parameters as given; a scenario replaces some of them. Nothing here is model-specific.

Layout of ``model.toml``::

    [model]       name, title, module (the model's Python file), sources (sources.csv)
    [dims]        time = {start, end}; other dims as lists of labels
    [data]        table name = "data/file.csv"
    [parameters]  name = {value, units, source_id, grade, note}
    [outputs]     free settings for the model's outputs (e.g. sankey_years)
    [scenarios.NAME]  description, set = {parameter = value, ...}, source_id, grade

Data tables are long CSV files: one row per value, a column per dim, ``value``, ``units``,
``source_id``, ``grade`` and an optional ``note``. :meth:`ModelConfig.read_table` validates
them (known labels, finite and non-negative values, known sources, grades A-D) and
:func:`table_to_dataarray` turns them into complete DataArrays.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from msa.errors import ConfigError, DataError, ProvenanceError
from msa.messages import plain
from msa.system.provenance import GRADES, make_sources

__all__ = [
    "ModelConfig",
    "Parameter",
    "Scenario",
    "check_shares",
    "load_config",
    "table_to_dataarray",
]

_TOP_KEYS = {"model", "dims", "data", "parameters", "outputs", "scenarios"}
_MODEL_KEYS = {"name", "title", "module", "sources"}
_PARAM_KEYS = {"value", "units", "source_id", "grade", "note"}
_SCENARIO_KEYS = {"description", "set", "source_id", "grade"}
_TABLE_COLUMNS = ("value", "units", "source_id", "grade")
#: Name of the scenario that applies no override.
BASELINE = "baseline"


@dataclass(frozen=True)
class Parameter:
    """A scalar (or list) model parameter with its provenance.

    Examples
    --------
    >>> Parameter("collection_rate", 0.9, units="1", source_id="x", grade="D").value
    0.9
    """

    name: str
    value: Any
    units: str = ""
    source_id: str = ""
    grade: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        if self.grade and self.grade not in GRADES:
            raise ProvenanceError(
                f"parameter {self.name!r}: unknown grade {self.grade!r}; use one of {list(GRADES)}"
            )


@dataclass(frozen=True)
class Scenario:
    """A named set of parameter overrides.

    Parameters
    ----------
    name : str
        Scenario name (``baseline`` applies no override).
    description : str
        One sentence on what the scenario changes and why.
    overrides : mapping
        Parameter name to new value.
    source_id, grade : str
        Provenance of the overridden values (default: the parameter's source, grade D).
    """

    name: str
    description: str = ""
    overrides: Mapping[str, Any] = field(default_factory=dict)
    source_id: str = ""
    grade: str = "D"

    def __post_init__(self) -> None:
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))


@dataclass(frozen=True)
class ModelConfig:
    """A validated model configuration (see the module docstring for the TOML layout).

    Use :func:`load_config` to build one from a folder.
    """

    path: Path
    name: str
    title: str
    module: str
    sources_file: str
    dims: Mapping[str, tuple]
    data: Mapping[str, str]
    parameters: Mapping[str, Parameter]
    scenarios: Mapping[str, Scenario]
    outputs: Mapping[str, Any]

    @property
    def folder(self) -> Path:
        """The model folder (holds ``model.toml``)."""
        return self.path.parent

    @property
    def years(self) -> np.ndarray:
        """The ``time`` coordinate as integer years."""
        return np.asarray(self.dims["time"], dtype=np.int64)

    def resolve_scenarios(self, names: Sequence[str] | None) -> list[str]:
        """Return the scenario names to run: none given means baseline, ``all`` means all.

        Raises
        ------
        ConfigError
            For a name that is not a scenario of the model.
        """
        if not names:
            return [BASELINE]
        if "all" in names:
            return list(self.scenarios)
        unknown = [n for n in names if n not in self.scenarios]
        if unknown:
            raise ConfigError(
                f"{self.path}: unknown scenario {unknown[0]!r}; known: "
                f"{', '.join(self.scenarios)} (or 'all')"
            )
        return list(dict.fromkeys(names))

    def parameters_for(self, scenario: str = BASELINE) -> dict[str, Parameter]:
        """Return the parameters with the overrides of ``scenario`` applied."""
        self.resolve_scenarios([scenario])
        params = dict(self.parameters)
        scen = self.scenarios.get(scenario, Scenario(BASELINE))
        for key, value in scen.overrides.items():
            base = params[key]
            params[key] = Parameter(
                key,
                value,
                units=base.units,
                source_id=scen.source_id or base.source_id,
                grade=scen.grade,
                note=f"scenario {scenario!r} override of {base.value!r}: {scen.description}",
            )
        return params

    def values_for(self, scenario: str = BASELINE) -> dict[str, Any]:
        """Return ``{name: value}`` of the parameters of ``scenario``."""
        return {k: p.value for k, p in self.parameters_for(scenario).items()}

    def sources(self) -> pd.DataFrame:
        """Read and validate the model's sources table."""
        path = self.folder / self.sources_file
        frame = _read_csv(path)
        return make_sources(frame, origin=str(path))

    def table_path(self, name: str) -> Path:
        """Path of data table ``name``; :class:`ConfigError` if the config declares none."""
        if name not in self.data:
            raise ConfigError(
                f"{self.path}: [data] has no table {name!r}; known: {', '.join(self.data)}"
            )
        return self.folder / self.data[name]

    def read_table(
        self,
        name: str,
        *,
        dims: Mapping[str, Iterable[object] | None],
        sources: pd.DataFrame | None = None,
        nonnegative: bool = True,
        numeric: bool = True,
    ) -> pd.DataFrame:
        """Read data table ``name`` and validate every row.

        Parameters
        ----------
        name : str
            A table declared in ``[data]``.
        dims : mapping of column to allowed labels
            The dim columns the table must have; ``None`` accepts any label. When a column
            is a model dim, pass ``config.dims[...]``.
        sources : DataFrame, optional
            The sources table (read from the config when omitted).
        nonnegative : bool
            Reject negative values.
        numeric : bool
            Require finite numeric values.

        Returns
        -------
        pandas.DataFrame
            The table, with ``row`` (the 1-based line number in the file) added.

        Raises
        ------
        DataError
            Missing column, unknown label, non-numeric, non-finite or negative value; the
            message names the file, row and column.
        ProvenanceError
            Unknown source id or grade (file and row named).
        """
        path = self.table_path(name)
        frame = _read_csv(path)
        frame["row"] = np.arange(2, len(frame) + 2)
        missing = [c for c in (*dims, *_TABLE_COLUMNS) if c not in frame.columns]
        if missing:
            raise DataError(f"{path}: missing column(s) {missing}")
        for col, allowed in dims.items():
            if allowed is None:
                continue
            allowed_set = {str(a) for a in allowed}
            labels = frame[col].astype(str)
            bad = ~labels.isin(allowed_set)
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise DataError(
                    f"{path}: row {frame['row'].iloc[i]}, column {col!r}: unknown {col} "
                    f"{frame[col].iloc[i]!r}; the model's {col} labels are "
                    f"{sorted(allowed_set)} (add it to [dims] in model.toml or fix the row)"
                )
        if numeric:
            values = pd.to_numeric(frame["value"], errors="coerce")
            bad = ~np.isfinite(values.to_numpy(dtype=float))
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise DataError(
                    f"{path}: row {frame['row'].iloc[i]}, column 'value': not a finite number "
                    f"({frame['value'].iloc[i]!r})"
                )
            if nonnegative and (values < 0).any():
                i = int(np.flatnonzero((values < 0).to_numpy())[0])
                raise DataError(
                    f"{path}: row {frame['row'].iloc[i]}, column 'value': negative value "
                    f"{plain(values.iloc[i])!r}; values of {name!r} must be >= 0"
                )
            frame["value"] = values.astype(float)
        src = self.sources() if sources is None else sources
        for col in ("source_id", "grade"):
            frame[col] = frame[col].fillna("").astype(str).str.strip()
        for i, (sid, grade) in enumerate(zip(frame["source_id"], frame["grade"], strict=True)):
            row = frame["row"].iloc[i]
            if not sid or sid not in src.index:
                raise ProvenanceError(
                    f"{path}: row {row}, column 'source_id': {sid!r} is not in "
                    f"{self.sources_file}; every value needs a known source id"
                )
            if grade not in GRADES:
                raise ProvenanceError(
                    f"{path}: row {row}, column 'grade': {grade!r} is not one of {list(GRADES)}"
                )
        return frame


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        return pd.read_csv(path, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: cannot parse as CSV ({err})") from err


def _fail(path: Path, where: str, msg: str) -> ConfigError:
    return ConfigError(f"{path}: {where}: {msg}")


def _check_keys(path: Path, where: str, got: Iterable[str], allowed: set[str]) -> None:
    unknown = sorted(set(got) - allowed)
    if unknown:
        raise _fail(path, where, f"unknown key {unknown[0]!r}; allowed: {sorted(allowed)}")


def _read_toml(path: Path) -> tuple[Path, dict[str, Any]]:
    """Return the ``model.toml`` file of ``path`` (a folder or the file) and its parsed content.

    Raises
    ------
    ConfigError
        If the file does not exist or is not valid TOML.
    """
    file = path / "model.toml" if path.is_dir() else path
    if not file.is_file():
        raise ConfigError(f"{file}: model configuration not found (expected a model.toml)")
    try:
        return file, tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{file}: invalid TOML ({err})") from err


def _check_sections(file: Path, raw: Mapping[str, Any]) -> None:
    """Check the top-level sections: none unknown, ``[model]``, ``[dims]``, ``[parameters]`` given.

    Raises
    ------
    ConfigError
        On an unknown or a missing section.
    """
    _check_keys(file, "top level", raw, _TOP_KEYS)
    for section in ("model", "dims", "parameters"):
        if section not in raw:
            raise _fail(file, "top level", f"missing section [{section}]")


def _check_model(file: Path, model: Mapping[str, Any]) -> None:
    """Check ``[model]``: known keys only, and ``name``, ``module``, ``sources`` non-empty strings.

    Raises
    ------
    ConfigError
        On an unknown key or a missing or empty required string.
    """
    _check_keys(file, "[model]", model, _MODEL_KEYS)
    for key in ("name", "module", "sources"):
        if not isinstance(model.get(key), str) or not model[key]:
            raise _fail(file, f"[model] {key}", "a non-empty string is required")


def _read_dims(file: Path, spec: Mapping[str, Any]) -> dict[str, tuple]:
    """Return the labels of each dim of ``[dims]``; ``time`` is required.

    Raises
    ------
    ConfigError
        On a malformed ``time`` range, an empty or duplicated label list, or no ``time``.
    """
    dims: dict[str, tuple] = {}
    for dim, labels in spec.items():
        dims[dim] = _time_labels(file, labels) if dim == "time" else _dim_labels(file, dim, labels)
    if "time" not in dims:
        raise _fail(file, "[dims]", "time = { start, end } is required")
    return dims


def _time_labels(file: Path, spec: object) -> tuple[int, ...]:
    """Return the years of ``time = { start = YEAR, end = YEAR }`` (both included)."""
    if not isinstance(spec, dict) or set(spec) != {"start", "end"}:
        raise _fail(file, "[dims] time", "give time = { start = YEAR, end = YEAR }")
    start, end = spec["start"], spec["end"]
    if not (isinstance(start, int) and isinstance(end, int) and start <= end):
        raise _fail(file, "[dims] time", f"need integer start <= end (got {spec})")
    return tuple(range(start, end + 1))


def _dim_labels(file: Path, dim: str, spec: object) -> tuple[str, ...]:
    """Return the labels of a non-time dim: a non-empty list without duplicates."""
    if not isinstance(spec, list) or not spec:
        raise _fail(file, f"[dims] {dim}", "give a non-empty list of labels")
    if len(set(spec)) != len(spec):
        raise _fail(file, f"[dims] {dim}", f"duplicate labels in {spec}")
    return tuple(str(s) for s in spec)


def _read_data(file: Path, data: Mapping[str, Any]) -> dict[str, str]:
    """Return the ``[data]`` tables (name to path relative to the model folder).

    Raises
    ------
    ConfigError
        If a table's path is not a string.
    """
    for name, rel in data.items():
        if not isinstance(rel, str):
            raise _fail(file, f"[data] {name}", "give a path relative to the model folder")
    return dict(data)


def _read_parameters(file: Path, spec: Mapping[str, Any]) -> dict[str, Parameter]:
    """Return the ``[parameters]``, each checked by :func:`_read_parameter`."""
    return {name: _read_parameter(file, name, value) for name, value in spec.items()}


def _read_parameter(file: Path, name: str, spec: object) -> Parameter:
    """Return one parameter: a table with a value, known keys, a source id and a grade.

    Raises
    ------
    ConfigError
        If the value, source id or grade is missing, a key is unknown or the grade invalid.
    """
    where = f"[parameters] {name}"
    if not isinstance(spec, dict) or "value" not in spec:
        raise _fail(file, where, "give { value = ..., units, source_id, grade, note }")
    _check_keys(file, where, spec, _PARAM_KEYS)
    for key in ("source_id", "grade"):
        if not spec.get(key):
            raise _fail(file, where, f"{key} is required (every value needs provenance)")
    try:
        return Parameter(
            name,
            spec["value"],
            units=str(spec.get("units", "")),
            source_id=str(spec["source_id"]),
            grade=str(spec["grade"]),
            note=str(spec.get("note", "")),
        )
    except ProvenanceError as err:
        raise ConfigError(f"{file}: {where}: {err}") from err


def _read_scenarios(
    file: Path, spec: Mapping[str, Any], params: Mapping[str, Parameter]
) -> dict[str, Scenario]:
    """Return the baseline and the ``[scenarios.NAME]`` tables, each checked against ``params``.

    Raises
    ------
    ConfigError
        On the reserved name ``all``, a scenario that is not a table or has an unknown key, a
        baseline with overrides, or an override of an unknown parameter or of another type.
    """
    scenarios: dict[str, Scenario] = {BASELINE: Scenario(BASELINE, "no override")}
    for name, table in spec.items():
        where = f"[scenarios.{name}]"
        if name == "all":
            raise _fail(file, where, "'all' is reserved (it runs every scenario)")
        if not isinstance(table, dict):
            raise _fail(file, where, "must be a table")
        _check_keys(file, where, table, _SCENARIO_KEYS)
        overrides = table.get("set", {})
        if name == BASELINE and overrides:
            raise _fail(file, where, "the baseline must not override parameters")
        _check_overrides(file, where, overrides, params)
        scenarios[name] = Scenario(
            name,
            str(table.get("description", "")),
            overrides,
            source_id=str(table.get("source_id", "")),
            grade=str(table.get("grade", "D")),
        )
    return scenarios


def _check_overrides(
    file: Path, where: str, overrides: Mapping[str, Any], params: Mapping[str, Parameter]
) -> None:
    """Check that a scenario overrides known parameters only, each with a value of its kind.

    Raises
    ------
    ConfigError
        On an unknown parameter or a value of another type than the baseline's.
    """
    for key, value in overrides.items():
        if key not in params:
            raise _fail(
                file,
                f"{where} set",
                f"unknown scenario key {key!r}: not a parameter; known: {sorted(params)}",
            )
        base = params[key].value
        if not _same_kind(base, value):
            raise _fail(
                file,
                f"{where} set.{key}",
                f"value {value!r} has type {type(value).__name__}, the baseline "
                f"{base!r} is {type(base).__name__}",
            )


def _check_sources(config: ModelConfig) -> None:
    """Check that every parameter's and scenario's source id is in the model's sources table.

    Raises
    ------
    ConfigError
        Naming the first parameter or scenario with an unknown source id.
    DataError, ProvenanceError
        If the sources table is missing or malformed.
    """
    sources = config.sources()
    for p in config.parameters.values():
        if p.source_id not in sources.index:
            raise _fail(
                config.path,
                f"[parameters] {p.name}",
                f"source_id {p.source_id!r} is not in {config.sources_file}",
            )
    for scen in config.scenarios.values():
        if scen.source_id and scen.source_id not in sources.index:
            raise _fail(
                config.path,
                f"[scenarios.{scen.name}]",
                f"source_id {scen.source_id!r} is not in {config.sources_file}",
            )


def load_config(path: str | Path) -> ModelConfig:
    """Read and validate a model configuration.

    Parameters
    ----------
    path : str or Path
        A model folder (holding ``model.toml``) or the TOML file itself.

    Returns
    -------
    ModelConfig

    Raises
    ------
    ConfigError
        Missing file, TOML syntax error, unknown section or key, a scenario overriding an
        unknown parameter or changing its type, bad dims. The message names the file and key.
    """
    file, raw = _read_toml(Path(path))
    _check_sections(file, raw)
    model = raw["model"]
    _check_model(file, model)
    dims = _read_dims(file, raw["dims"])
    data = _read_data(file, raw.get("data", {}))
    params = _read_parameters(file, raw["parameters"])
    scenarios = _read_scenarios(file, raw.get("scenarios", {}), params)
    config = ModelConfig(
        path=file,
        name=model["name"],
        title=str(model.get("title", model["name"])),
        module=model["module"],
        sources_file=model["sources"],
        dims=MappingProxyType(dims),
        data=MappingProxyType(data),
        parameters=MappingProxyType(params),
        scenarios=MappingProxyType(scenarios),
        outputs=MappingProxyType(dict(raw.get("outputs", {}))),
    )
    _check_sources(config)
    return config


def _same_kind(base: object, value: object) -> bool:
    """Return True if ``value`` may replace ``base`` (a number for a number, a list for a list)."""
    number = (int, float)
    if isinstance(base, bool) or isinstance(value, bool):
        return isinstance(base, bool) and isinstance(value, bool)
    if isinstance(base, number):
        return isinstance(value, number)
    return type(base) is type(value)


def check_shares(
    frame: pd.DataFrame,
    *,
    by: Sequence[str],
    path: str | Path,
    atol: float = 1e-6,
) -> None:
    """Raise :class:`DataError` if the ``value`` column does not sum to 1 within each group.

    Parameters
    ----------
    frame : DataFrame
        A table read by :meth:`ModelConfig.read_table` (with its ``row`` column).
    by : sequence of str
        Columns that define one share split (e.g. ``["chemistry_scenario", "year"]``).
    path : str or Path
        The file, for the message.
    atol : float
        Allowed absolute deviation from 1.

    Examples
    --------
    >>> df = pd.DataFrame({"year": [2020, 2020], "value": [0.5, 0.5], "row": [2, 3]})
    >>> check_shares(df, by=["year"], path="shares.csv")
    """
    sums = frame.groupby(list(by), sort=False)["value"].sum()
    bad = (sums - 1.0).abs() > atol
    if bad.any():
        key = sums.index[bad.to_numpy()][0]
        key_t = key if isinstance(key, tuple) else (key,)
        mask = np.ones(len(frame), dtype=bool)
        for col, val in zip(by, key_t, strict=True):
            mask &= (frame[col] == val).to_numpy()
        rows = frame.loc[mask, "row"].tolist()
        group = ", ".join(f"{c}={plain(v)!r}" for c, v in zip(by, key_t, strict=True))
        raise DataError(
            f"{path}: shares for {group} (rows {rows[0]}-{rows[-1]}) sum to "
            f"{sums[key]:.6g}, not 1; fix the values so each split sums to 1"
        )


def table_to_dataarray(
    frame: pd.DataFrame,
    dims: Mapping[str, Sequence[object]],
    *,
    path: str | Path,
    column: str = "value",
    units: str | None = None,
) -> xr.DataArray:
    """Turn a long table into a complete DataArray over ``dims``.

    Every combination of the dims' labels must appear exactly once; a missing or duplicate
    combination is a :class:`DataError` naming the file and the combination (no silent
    zero-filling).

    Examples
    --------
    >>> df = pd.DataFrame({"year": [2020, 2021], "value": [1.0, 2.0]})
    >>> table_to_dataarray(df, {"year": [2020, 2021]}, path="x.csv").values.tolist()
    [1.0, 2.0]
    """
    cols = list(dims)
    work = frame[[*cols, column]].copy()
    for col, labels in dims.items():
        kind = type(labels[0]) if len(labels) else str
        work[col] = work[col].astype(int) if kind in (int, np.int64) else work[col].astype(str)
    dup = work.duplicated(cols)
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        combo = ", ".join(f"{c}={plain(work[c].iloc[i])!r}" for c in cols)
        row = frame["row"].iloc[i] if "row" in frame else i + 2
        raise DataError(f"{path}: row {row}: duplicate entry for {combo}")
    index = pd.MultiIndex.from_product([list(v) for v in dims.values()], names=cols)
    series = work.set_index(cols)[column].reindex(index)
    if series.isna().any():
        combo = series.index[series.isna().to_numpy()][0]
        combo_t = combo if isinstance(combo, tuple) else (combo,)
        where = ", ".join(f"{c}={plain(v)!r}" for c, v in zip(cols, combo_t, strict=True))
        raise DataError(f"{path}: no value for {where}; give every combination (0 explicitly)")
    shape = [len(v) for v in dims.values()]
    da = xr.DataArray(
        series.to_numpy(dtype=float).reshape(shape),
        dims=cols,
        coords={c: list(v) for c, v in dims.items()},
    )
    if units is not None:
        da.attrs["units"] = units
    return da
