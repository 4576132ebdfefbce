"""Monte Carlo over a declared model: draw its uncertain inputs, build each sample, summarise.

:func:`monte_carlo` reads a scenario's inputs once (:func:`msa.model.build.read_inputs`), draws
every uncertain input for all samples up front from one seed, builds the model once per sample
and keeps, per sample, the totals that matter (stocks, flows, indicators, target verdicts). What
is drawn (docs/uncertainty.md has the distributions and their sources):

* **parameters**: every numeric parameter from its ``uncertainty = {...}``, else from its grade
  (:func:`msa.uncertainty.resolve_uncertainty`); a parameter used as a ``share`` is a share (a
  beta by default, in [0, 1]); bounds are respected; shares taken of the same inflow are drawn
  together so no sample takes more than all of it
  (:func:`msa.uncertainty.draw_competing_shares`). Fixed: ``uncertainty = false`` (scenario
  levers such as a lifetime factor of 1), and the parameters that name a year
  (``cohort_factor_from``, ``year_factor_from``) or an age (``entry_age``), which are switches,
  not measurements.
* **tables**: one mean-preserving lognormal factor per sample for the whole table, its spread
  per cell from the cell's grade (:func:`msa.uncertainty.table_factor`: the rows of one table
  come from one source and move together); a table used as a ``share`` is perturbed on the
  logit scale, so it stays in [0, 1]; a table with ``sums_to_one`` gets an independent factor
  per member of its split dim (each chemistry, each material), the same in every year and
  other label, and is renormalised along the split dim, so its shares still add to 1; a table
  with ``uncertainty = false`` (labels, memberships) is fixed. A missing grade counts as D.

Every input has its own random stream derived from the seed and its name
(:func:`msa.uncertainty.spawn_streams`), so the numbers do not depend on the order inputs are
visited, and sample ``i`` is the same whether it is drawn alone or among others. Same seed, same
numbers.

With a ``client`` (a ``distributed.Client``, e.g. from :func:`dask_client`) the chunks are built
on dask workers: the draws are still made here, each task gets its chunk's drawn values only
(:meth:`Draws.rows`) and the results are put back in sample order, so the numbers are the same
to the last bit (docs/uncertainty.md, "Scale-out on dask").
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import tempfile
import uuid
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from msa.errors import ConfigError, MsaError
from msa.model.build import Built, ModelInputs, build_from, read_inputs
from msa.model.definition import ModelDefinition
from msa.model.outputs import has_targets, headline_values, indicator_arrays, target_table
from msa.model.report import target_met
from msa.model.result import ModelResult
from msa.model.tracked import Tracked, grade_of_rank
from msa.uncertainty import (
    Uncertainty,
    draw_competing_shares,
    resolve_uncertainty,
    sample_uniforms,
    spawn_streams,
    table_factor,
)
from msa.uncertainty.grades import grade_log_sd

__all__ = [
    "QUANTILES",
    "UNCERTAINTY_COLUMNS",
    "check_count",
    "Draws",
    "MonteCarlo",
    "SampleValues",
    "dask_client",
    "draw_inputs",
    "monte_carlo",
    "with_uncertainty",
]

#: The quantiles of ``uncertainty.csv``, by column name.
QUANTILES: Mapping[str, float] = {"p5": 0.05, "p50": 0.5, "p95": 0.95}
#: The columns of ``uncertainty.csv`` (:attr:`MonteCarlo.table`).
UNCERTAINTY_COLUMNS = ("quantity", "material", "year", "units", "mean", "sd", *QUANTILES, "n")
#: Samples built at once by default (along a ``sample`` dim).
CHUNK = 50
#: Bytes of per-sample results held in memory; more go to a temporary file (SampleValues).
IN_MEMORY = 256 * 2**20
#: The most samples one run draws (the results take 8 bytes per sample and summarised value).
MAX_SAMPLES = 1_000_000


@dataclass(frozen=True)
class Draws:
    """The drawn inputs of ``n`` samples: parameter values and table values, sample first.

    Row ``k`` of every array is sample ``first + k``: ``first`` is 0 for the draws of a whole
    run, the first sample of a chunk for :meth:`rows`.
    """

    n: int
    seed: int
    parameters: Mapping[str, np.ndarray]
    tables: Mapping[str, np.ndarray]
    fixed: tuple[str, ...]
    first: int = 0

    def rows(self, start: int, stop: int) -> Draws:
        """Return the draws of samples ``start`` to ``stop - 1`` alone (one chunk's share)."""
        if not self.first <= start < stop <= self.first + self.n:
            last = self.first + self.n - 1
            raise ConfigError(
                f"samples {start}-{stop - 1} are not all drawn (samples {self.first}-{last} are)"
            )
        at = slice(start - self.first, stop - self.first)
        return dataclasses.replace(
            self,
            n=stop - start,
            parameters={k: v[at] for k, v in self.parameters.items()},
            tables={k: v[at] for k, v in self.tables.items()},
            first=start,
        )

    def inputs(self, base: ModelInputs, i: int) -> ModelInputs:
        """Return ``base`` with the drawn values of sample ``i``."""
        params = dict(base.parameters)
        values = dict(base.values)
        i -= self.first
        for name, drawn in self.parameters.items():
            value = float(drawn[i])
            params[name] = dataclasses.replace(params[name], value=xr.DataArray(value))
            values[name] = value
        data = dict(base.data)
        for name, drawn in self.tables.items():
            data[name] = dataclasses.replace(data[name], value=data[name].value.copy(data=drawn[i]))
        return dataclasses.replace(base, parameters=params, values=values, data=data)

    def chunk(self, base: ModelInputs, start: int, stop: int) -> ModelInputs:
        """Return ``base`` with samples ``start`` to ``stop - 1`` along a ``sample`` dim."""
        labels = np.arange(start, stop)
        sample = {"sample": labels}
        at = slice(start - self.first, stop - self.first)
        params = dict(base.parameters)
        values = dict(base.values)
        for name, drawn in self.parameters.items():
            value = xr.DataArray(drawn[at], dims="sample", coords=sample)
            params[name] = dataclasses.replace(params[name], value=value)
            values[name] = value
        data = dict(base.data)
        for name, drawn in self.tables.items():
            old = data[name].value
            value = xr.DataArray(
                drawn[at],
                dims=("sample", *old.dims),
                coords={**sample, **{k: old[k] for k in old.coords if k in old.dims}},
                attrs=old.attrs,
            )
            data[name] = dataclasses.replace(data[name], value=value)
        return dataclasses.replace(
            base,
            parameters=params,
            values=values,
            data=data,
            samples=tuple(int(i) for i in labels),
        )

    def table(self) -> pd.DataFrame:
        """Return the drawn parameters as a table: one row per sample, one column each."""
        index = pd.RangeIndex(self.first, self.first + self.n, name="sample")
        return pd.DataFrame(dict(self.parameters), index=index)


def check_count(samples: object, seed: object) -> tuple[int, int]:
    """Return ``samples`` and ``seed`` checked: whole numbers, ``samples`` >= 1, ``seed`` >= 0."""
    if isinstance(samples, bool) or not isinstance(samples, int | np.integer) or samples < 1:
        raise ConfigError(f"samples must be a whole number >= 1 (got {samples!r})")
    if samples > MAX_SAMPLES:
        raise ConfigError(f"samples must be at most {MAX_SAMPLES:,} (got {samples:,})")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ConfigError(f"seed must be a whole number >= 0 (got {seed!r})")
    return int(samples), int(seed)


def _switches(d: ModelDefinition) -> set[str]:
    """Return the parameters naming a year or an age: switches of the model, never drawn."""
    names: set[str] = set()
    for stock in d.stocks.values():
        used: list[object] = list(stock.entry_age.values())
        if stock.lifetime is not None:
            used += [stock.lifetime.cohort_factor_from, stock.lifetime.year_factor_from]
        names |= {v for v in used if isinstance(v, str)}
    return names


def _shares(d: ModelDefinition) -> set[str]:
    return {f.share for f in d.flows.values() if isinstance(f.share, str)}


def _competing(d: ModelDefinition, drawn: Sequence[str]) -> list[list[str]]:
    """Return the drawn share parameters that compete for one whole, group by group.

    Shares compete when they are taken of the same thing: flows leaving one process with
    ``share`` and the same ``of`` (the process's total inflow without one). A parameter used as
    a share in more than one such group is drawn alone.
    """
    groups: dict[tuple[str, str | None], list[str]] = {}
    where: dict[str, set[tuple[str, str | None]]] = {}
    for name, flow in d.flows.items():
        if isinstance(flow.share, str) and flow.share in drawn:
            key = (name.split(" => ")[0], flow.of)
            where.setdefault(flow.share, set()).add(key)
            if flow.share not in groups.setdefault(key, []):
                groups[key].append(flow.share)
    alone = {p for p, keys in where.items() if len(keys) > 1}
    out = [[p for p in group if p not in alone] for group in groups.values()]
    return [group for group in out if len(group) > 1]


def draw_inputs(inputs: ModelInputs, samples: int, seed: int) -> Draws:
    """Draw every uncertain input of a scenario for ``samples`` samples from ``seed``.

    Parameters
    ----------
    inputs : ModelInputs
        From :func:`msa.model.build.read_inputs`.
    samples : int
        Number of samples, >= 1.
    seed : int
        >= 0.

    Returns
    -------
    Draws

    Raises
    ------
    msa.ConfigError
        On a bad count or seed, an unknown distribution, a spread that a share cannot take.
    """
    n, seed = check_count(samples, seed)
    d = inputs.definition
    shares, switches = _shares(d), _switches(d)
    drawn_params = [
        name
        for name in inputs.parameters
        if d.parameters[name].uncertainty is not False and name not in switches
    ]
    drawn_tables = [name for name, spec in d.data.items() if spec.uncertainty is not False]
    streams = spawn_streams(
        seed, [f"parameter {p}" for p in drawn_params] + [f"table {t}" for t in drawn_tables]
    )
    parameters: dict[str, np.ndarray] = {}
    laws: dict[str, Uncertainty] = {}
    for name in drawn_params:
        spec = d.parameters[name]
        tracked = inputs.parameters[name]
        grade = str(grade_of_rank(tracked.rank).values) or "D"
        where = f"{d.path}: [parameters] {name}"
        declared = spec.uncertainty if isinstance(spec.uncertainty, dict) else None
        law = resolve_uncertainty(
            float(tracked.value),
            grade,
            spec.clo_grade,
            spec.bounds,
            declared,
            share=name in shares,
            where=where,
        )
        laws[name] = law
    together = _competing(d, drawn_params)
    for group in together:
        if all(laws[p].distribution == "beta" or laws[p].sd == 0 for p in group):
            u = np.column_stack(
                [sample_uniforms(streams[f"parameter {p}"], n, where=p) for p in group]
            )
            joint, _ = draw_competing_shares([laws[p] for p in group], u, where=", ".join(group))
            parameters.update({p: joint[:, k] for k, p in enumerate(group)})
    for name in drawn_params:
        if name not in parameters:
            parameters[name] = laws[name].draw(n, streams[f"parameter {name}"])
    parameters = {name: parameters[name] for name in drawn_params}
    tables = {
        name: _draw_table(d, name, inputs.data[name], name in shares, n, streams[f"table {name}"])
        for name in drawn_tables
    }
    fixed = tuple(n for n in d.parameters if n not in parameters)
    return Draws(n=n, seed=seed, parameters=parameters, tables=tables, fixed=fixed)


def _cell_log_sd(rank: xr.DataArray, shape: tuple[int, ...]) -> np.ndarray:
    """Return the log-sd of each cell from its grade (a missing grade counts as D)."""
    grades = np.asarray(grade_of_rank(rank).values, dtype=object)
    grades = np.where(grades == "", "D", grades)
    lookup = {g: grade_log_sd(g) for g in ("A", "B", "C", "D")}
    return np.broadcast_to(np.vectorize(lookup.__getitem__, otypes=[float])(grades), shape)


def _draw_table(
    d: ModelDefinition,
    name: str,
    table: Tracked,
    is_share: bool,
    n: int,
    stream: np.random.Generator,
) -> np.ndarray:
    """Return ``n`` perturbed copies of a table's values, shape ``(n, *table.shape)``."""
    from scipy import special, stats

    spec = d.data[name]
    values = np.asarray(table.value.values, dtype=float)
    rank = table.rank.broadcast_like(table.value).transpose(*table.value.dims)
    sd = _cell_log_sd(rank, values.shape)
    if spec.sums_to_one is not None:
        # one draw per sample and member of the split (a chemistry, a material), shared by
        # every year and other label: a source's error in a share holds in all its rows, and
        # independent noise per year would average out in any stock
        axis = table.value.dims.index(spec.sums_to_one)
        members = values.shape[axis]
        z = stats.norm.ppf(sample_uniforms(stream, n, per_sample=max(members, 1)))
        shape = [1] * values.ndim
        shape[axis] = members
        z = z.reshape((n, *shape))
        factor = np.exp(z * sd - sd**2 / 2)
        raw = values * factor
        total = raw.sum(axis=1 + axis, keepdims=True)
        return np.where(total > 0, raw / np.where(total > 0, total, 1.0), values)
    grades = np.asarray(grade_of_rank(rank).values, dtype=object).ravel()
    grades = np.where(grades == "", "D", grades)
    factor = table_factor(grades, n, stream, where=f"{d.path}: [data.{name}]")
    factor = factor.reshape((n, *values.shape))
    if not is_share:
        return values * factor
    inside = (values > 0) & (values < 1)
    logit = special.logit(np.where(inside, values, 0.5))
    moved = special.expit(logit + np.log(factor))
    return np.where(inside, moved, values)


class SampleValues:
    """Every summarised quantity of every sample: ``keys`` x ``samples`` numbers.

    The rows are the ``keys`` (``quantity, material, year, units``), the columns the samples
    in order. Up to :data:`IN_MEMORY` bytes the numbers are held in memory; above that in a
    temporary file (a ``numpy.memmap``) that is written chunk by chunk and read key block by
    key block, so a run's memory does not grow with the number of samples (the disk does:
    8 bytes per key and sample). The file is deleted with this object.
    """

    def __init__(self, keys: pd.DataFrame, n: int) -> None:
        self.keys = keys.reset_index(drop=True)
        self.n = n
        shape = (len(self.keys), n)
        self._file: Any = None
        if shape[0] * n * 8 <= IN_MEMORY:
            self.values: np.ndarray = np.empty(shape)
        else:
            self._file = tempfile.NamedTemporaryFile(prefix="msa-samples-", suffix=".f8")
            self.values = np.memmap(self._file, dtype=float, mode="w+", shape=shape)
        self._index = pd.MultiIndex.from_frame(self.keys[["quantity", "material", "year"]])

    def put(self, keys: pd.DataFrame, start: int, values: np.ndarray) -> None:
        """Store a chunk's ``values`` (keys x its samples) from sample ``start`` on."""
        if len(keys) != len(self.keys) or not keys.reset_index(drop=True).equals(self.keys):
            raise MsaError(
                f"samples {start}-{start + values.shape[1] - 1} summarise other quantities "
                "than sample 0 (a model.py function that adds or drops flows by sample?)"
            )
        self.values[:, start : start + values.shape[1]] = values

    def of(self, quantity: str, material: str, year: int) -> np.ndarray | None:
        """Return one quantity's value in every sample, or None if it is not summarised."""
        where = self._index.get_indexer([(quantity, material, year)])[0]
        return None if where < 0 else np.array(self.values[where])

    def quantities(self) -> list[str]:
        """Return the summarised quantity names, sorted."""
        return sorted(set(self.keys["quantity"]))

    def table(self) -> pd.DataFrame:
        """Return ``uncertainty.csv``: mean, sd, p5, p50, p95 and n of every key."""
        out = {name: np.empty(len(self.keys)) for name in ("mean", "sd", *QUANTILES, "n")}
        step = max(1, IN_MEMORY // 8 // max(self.n, 1) // 4)
        for lo in range(0, len(self.keys), step):
            block = np.asarray(self.values[lo : lo + step])
            for name, values in _summary(block).items():
                out[name][lo : lo + step] = values
        table = self.keys.assign(**out)
        table["n"] = table["n"].astype(int)
        return table[list(UNCERTAINTY_COLUMNS)]

    def long(self) -> pd.DataFrame:
        """Return one row per sample and key: ``sample, quantity, material, year, value, units``."""
        k = len(self.keys)
        frame = self.keys.iloc[np.tile(np.arange(k), self.n)].reset_index(drop=True)
        frame.insert(0, "sample", np.repeat(np.arange(self.n), k))
        frame["value"] = np.asarray(self.values).T.ravel()
        return frame[["sample", "quantity", "material", "year", "value", "units"]]


def _summary(block: np.ndarray) -> dict[str, np.ndarray]:
    """Return mean, sd (n - 1), the quantiles and the count of each row, NaN left out."""
    known = ~np.isnan(block)
    n = known.sum(axis=1)
    if known.all():
        mean = block.mean(axis=1)
        sd = block.std(axis=1, ddof=1) if block.shape[1] > 1 else np.zeros(len(block))
        qs = np.quantile(block, list(QUANTILES.values()), axis=1)
    else:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(block, axis=1)
            sd = np.nanstd(block, axis=1, ddof=1)
            qs = np.nanquantile(block, list(QUANTILES.values()), axis=1)
    sd = np.where(n > 1, sd, 0.0)
    out = {"mean": mean, "sd": sd, "n": n.astype(float)}
    out.update(zip(QUANTILES, qs, strict=True))
    return out


@dataclass(frozen=True)
class MonteCarlo:
    """The result of :func:`monte_carlo`.

    Attributes
    ----------
    values : SampleValues
        Every summarised quantity (stock, flow total and by material, indicator) in every
        sample; ``values.of(quantity, material, year)`` gives one across the samples.
    table : DataFrame
        ``uncertainty.csv``: ``quantity, material, year, units, mean, sd, p5, p50, p95, n``.
    targets : DataFrame
        Per target: ``target_id, p_met, n`` and the indicator's ``p5, p50, p95`` in its year.
    headline : DataFrame
        Per headline label: ``mean, p5, p50, p95``.
    draws : Draws
        The drawn inputs.
    """

    values: SampleValues
    table: pd.DataFrame
    targets: pd.DataFrame
    headline: pd.DataFrame
    draws: Draws

    @property
    def samples(self) -> pd.DataFrame:
        """Return one row per sample and summarised quantity (large: keys x samples rows).

        Columns ``sample, quantity, material, year, value, units``.
        """
        return self.values.long()


def monte_carlo(
    d: ModelDefinition,
    scenario: str = "baseline",
    *,
    samples: int,
    seed: int,
    chunk: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    client: Any = None,
) -> MonteCarlo:
    """Run ``samples`` draws of a declared model's uncertain inputs and summarise the results.

    Parameters
    ----------
    d : ModelDefinition
    scenario : str
    samples : int
        >= 1.
    seed : int
        >= 0; the same seed gives the same numbers.
    chunk : int, optional
        Samples built at once along a ``sample`` dim (default :data:`CHUNK`): memory grows
        with it, and the numbers do not depend on it.
    progress : callable, optional
        Called as ``progress(done, samples)`` after each chunk.
    client : distributed.Client, optional
        Build the chunks on this dask cluster (:func:`dask_client` makes one) instead of in
        this process. The draws are still made here, up front, and each task gets only its
        chunk's drawn values; a worker reads the model's inputs itself, once per run, from the
        model folder at the same path (and refuses files that differ from the ones read
        here). The chunks are put back in sample order, so the numbers are the same as
        without a client.

    Returns
    -------
    MonteCarlo

    Raises
    ------
    msa.ConfigError
        A bad count or seed; an MSA-table model (nothing to draw); a bad uncertainty; with a
        client, a worker that cannot read the model folder or sees other files.
    msa.MsaError
        A sample that cannot be built (e.g. drawn shares of a process taking more than all of
        it), naming the sample and the seed.
    """
    n, seed = check_count(samples, seed)
    if chunk is not None and (isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1):
        raise ConfigError(f"chunk must be a whole number >= 1 (got {chunk!r})")
    base = read_inputs(d, scenario)
    draws = draw_inputs(base, n, seed)
    size = chunk or CHUNK
    spans = [(start, min(start + size, n)) for start in range(0, n, size)]
    store: list[SampleValues] = []
    verdicts: dict[int, pd.DataFrame] = {}
    heads: dict[int, pd.DataFrame] = {}

    def take(i: int, part: _Part) -> None:
        # each chunk goes into the store as it arrives: only its numbers are kept
        if not store:
            store.append(SampleValues(part.keys, n))
        store[0].put(part.keys, spans[i][0], part.values)
        verdicts[i], heads[i] = part.verdicts, part.headline

    if client is None:
        _in_process(base, draws, spans, progress, take)
    else:
        _on_cluster(client, d, scenario, draws, spans, progress, take)
    order = range(len(spans))
    return MonteCarlo(
        values=store[0],
        table=store[0].table(),
        targets=_probabilities(pd.concat([verdicts[i] for i in order], ignore_index=True)),
        headline=_headline_ranges(pd.concat([heads[i] for i in order], ignore_index=True)),
        draws=draws,
    )


@dataclass(frozen=True)
class _Part:
    """What one chunk gives, per sample: its summarised quantities, verdicts and headline."""

    keys: pd.DataFrame  # quantity, material, year, units
    values: np.ndarray  # keys x the chunk's samples
    verdicts: pd.DataFrame  # target_id, value, met, sample
    headline: pd.DataFrame  # label, sample, value


def _build_chunk(base: ModelInputs, draws: Draws, start: int, stop: int) -> _Part:
    """Build samples ``start`` to ``stop - 1`` of ``draws`` at once and summarise them."""
    try:
        built = build_from(draws.chunk(base, start, stop))
    except MsaError as err:
        span = f"sample {start}" if stop == start + 1 else f"samples {start}-{stop - 1}"
        raise type(err)(f"{span} of seed {draws.seed}: {err}") from err
    return _summarise(built)


def _in_process(
    base: ModelInputs,
    draws: Draws,
    spans: Sequence[tuple[int, int]],
    progress: Callable[[int, int], None] | None,
    take: Callable[[int, _Part], None],
) -> None:
    """Build the chunks one after the other in this process; hand each to ``take``."""
    for i, (start, stop) in enumerate(spans):
        take(i, _build_chunk(base, draws, start, stop))
        if progress is not None:
            progress(stop, draws.n)


# --- scale-out on dask.distributed ---------------------------------------------------------
#: Seconds to wait for a dask scheduler (``scheduler=``) to answer and to have a worker.
CONNECT_TIMEOUT = 5
#: The inputs a worker process has read, by run and scenario (the last few runs only).
_WORKER_INPUTS: OrderedDict[tuple[str, str], ModelInputs] = OrderedDict()
_WORKER_RUNS = 4


@contextlib.contextmanager
def dask_client(*, workers: int | None = None, scheduler: str | None = None) -> Iterator[Any]:
    """Yield a ``distributed.Client`` for :func:`monte_carlo`: a local cluster or a running one.

    Parameters
    ----------
    workers : int, optional
        Start a local cluster of this many worker processes, one thread each, no dashboard,
        listening on 127.0.0.1 only; it stops when the block ends. The processes are
        spawned, so a script that calls this guards its work with
        ``if __name__ == "__main__":``.
    scheduler : str, optional
        Connect to the scheduler of a running cluster at this address (``tcp://host:8786``),
        within :data:`CONNECT_TIMEOUT` seconds; the cluster keeps running afterwards. Its
        workers need msa (with the same version of its dependencies) and the model folder at
        the same path.

    Raises
    ------
    msa.ConfigError
        Neither or both given; workers not a whole number >= 1; dask.distributed not
        installed (``pip install 'msa[dask]'``); a scheduler that does not answer in time or
        has no worker; a local cluster that cannot start.
    """
    if (workers is None) == (scheduler is None):
        raise ConfigError(
            "give exactly one of workers (to start a local dask cluster) and scheduler (the "
            f"address of a running one) (got workers={workers!r}, scheduler={scheduler!r})"
        )
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int | np.integer) or workers < 1
    ):
        raise ConfigError(f"workers must be a whole number >= 1 (got {workers!r})")
    try:
        import distributed
    except ImportError as err:
        raise ConfigError(
            "a Monte Carlo on dask workers needs dask.distributed, which is not installed: "
            "pip install 'msa[dask]'"
        ) from err
    if workers is not None:
        try:
            cluster = distributed.LocalCluster(
                n_workers=int(workers),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,  # no dashboard; its bare health routes on any free port:
                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
            )
        except (OSError, RuntimeError) as err:
            raise ConfigError(
                f"could not start a local dask cluster of {workers} worker process(es) "
                f"({' '.join(str(err).split())}); a script that starts one must guard its "
                "work with: if __name__ == '__main__':"
            ) from err
        with cluster, distributed.Client(cluster, set_as_default=False) as client:
            yield client
        return
    try:
        client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as err:
        raise ConfigError(
            f"cannot reach the dask scheduler at {scheduler!r} within {CONNECT_TIMEOUT} s "
            f"({' '.join(str(err).split()) or type(err).__name__}): start one (dask scheduler, "
            "then dask worker ADDRESS) or run a local cluster with --workers K"
        ) from err
    with client:
        try:
            client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as err:
            raise ConfigError(
                f"the dask scheduler at {scheduler!r} has no worker after {CONNECT_TIMEOUT} s: "
                "start one with: dask worker ADDRESS"
            ) from err
        yield client


def _input_digests(d: ModelDefinition, scenario: str) -> dict[str, str]:
    """Return the SHA-256 of every file a run of ``scenario`` reads, by path."""
    digests = {}
    for path in d.input_files(scenario):
        try:
            digests[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as err:
            raise ConfigError(
                f"{path}: cannot be read on {_where()} ({err.strerror or err}): every dask "
                "worker needs the model folder at the same path"
            ) from err
    return digests


def _where() -> str:
    """Name the dask worker this runs on (or this process)."""
    try:
        from distributed import get_worker

        return f"dask worker {get_worker().address}"
    except (ImportError, ValueError):
        return "this process"


def _worker_inputs(
    d: ModelDefinition, scenario: str, run: str, digests: Mapping[str, str]
) -> ModelInputs:
    """Return the inputs of run ``run``, read once per process; check the files first."""
    key = (run, scenario)
    if key in _WORKER_INPUTS:
        _WORKER_INPUTS.move_to_end(key)
        return _WORKER_INPUTS[key]
    found = _input_digests(d, scenario)
    differ = next((p for p, h in digests.items() if found.get(p) != h), None)
    if differ is not None:
        raise ConfigError(
            f"{differ}: differs on {_where()} from the file the run read (changed during the "
            "run, or another copy at that path): every dask worker needs the same model files"
        )
    base = read_inputs(d, scenario)
    _WORKER_INPUTS[key] = base
    while len(_WORKER_INPUTS) > _WORKER_RUNS:
        _WORKER_INPUTS.popitem(last=False)
    return base


def _run_chunk(
    d: ModelDefinition,
    scenario: str,
    run: str,
    digests: Mapping[str, str],
    draws: Draws,
    start: int,
    stop: int,
) -> _Part:
    """Build and summarise one chunk on a dask worker (a top-level function: it pickles).

    ``draws`` holds the drawn values of this chunk only (:meth:`Draws.rows`); the inputs they
    replace are read by the worker itself (:func:`_worker_inputs`): a :class:`ModelInputs`
    holds the model's ``model.py`` module, which does not pickle.
    """
    return _build_chunk(_worker_inputs(d, scenario, run, digests), draws, start, stop)


def _on_cluster(
    client: Any,
    d: ModelDefinition,
    scenario: str,
    draws: Draws,
    spans: Sequence[tuple[int, int]],
    progress: Callable[[int, int], None] | None,
    take: Callable[[int, _Part], None],
) -> None:
    """Build the chunks on a dask cluster; hand each to ``take`` with its place in order."""
    from distributed import as_completed

    # the model by its absolute path, so a worker finds it whatever its working folder
    d = d.model_copy(update={"path": d.path.resolve()})
    digests = _input_digests(d, scenario)
    run = uuid.uuid4().hex
    futures = {
        client.submit(
            _run_chunk,
            d,
            scenario,
            run,
            digests,
            draws.rows(start, stop),
            start,
            stop,
            key=f"msa-samples-{start}-{stop - 1}-{run}",
        ): i
        for i, (start, stop) in enumerate(spans)
    }
    done = 0
    try:
        for future in as_completed(futures, loop=client.loop):
            i = futures[future]
            take(i, _result(future, *spans[i]))
            future.release()
            start, stop = spans[i]
            done += stop - start
            if progress is not None:
                progress(done, draws.n)
    finally:
        client.cancel([f for f in futures if not f.done()])


def _result(future: Any, start: int, stop: int) -> _Part:
    """Return a chunk's result; a worker that died building it is one :class:`MsaError` line."""
    from distributed import KilledWorker

    try:
        return future.result()
    except KilledWorker as err:
        raise MsaError(
            f"a dask worker died building samples {start}-{stop - 1} ({err.last_worker.address}"
            " or its replacements): most often out of memory; give the workers more memory, "
            "fewer --workers per machine, or smaller chunks (monte_carlo(..., chunk=...))"
        ) from err


def _series(value: xr.DataArray, samples: np.ndarray) -> np.ndarray:
    """Return a value over ``time`` (and ``sample``) as a time x samples array."""
    if "sample" not in value.dims:  # rests on no drawn input: the same in every sample
        value = value.expand_dims(sample=samples)
    return np.asarray(value.transpose("time", "sample").values, dtype=float)


def _totals(name: str, value: xr.DataArray, units: str) -> Iterable[tuple[str, str, str, Any]]:
    """Yield a value's total over every dim but time (and sample), and by material."""
    keep = ("time", "sample")
    yield name, "all", units, value.sum([x for x in value.dims if x not in keep])
    if "material" in value.dims:
        by = value.sum([x for x in value.dims if x not in (*keep, "material")])
        for label in by["material"].values:
            yield name, str(label), units, by.sel(material=label, drop=True)


def _summarise(built: Built) -> _Part:
    """Return a chunk's summarised quantities, target verdicts and headline, per sample."""
    system = built.system
    samples = np.asarray(system.coords["sample"], dtype=int)
    wanted: list[tuple[str, str, str, Any]] = []
    for pid, stock in system.stocks.items():
        units = str(stock["stock"].attrs.get("units", ""))
        wanted.extend(_totals(f"stock {pid}", stock["stock"], units))
        wanted.extend(_totals(f"stock_change {pid}", stock["stock_change"], units))
    for name, flow in system.flows.items():
        wanted.extend(_totals(name, flow, str(flow.attrs.get("units", ""))))
    arrays = indicator_arrays(built)
    wanted.extend((f"indicator {n}", label, "1", v) for (n, label), v in arrays.items())
    blocks = [_series(value, samples) for *_, value in wanted]
    counts = [len(block) for block in blocks]
    keys = pd.DataFrame(
        {
            "quantity": np.repeat([w[0] for w in wanted], counts),
            "material": np.repeat([w[1] for w in wanted], counts),
            "year": np.concatenate([v["time"].values for *_, v in wanted]).astype(int),
            "units": np.repeat([w[2] for w in wanted], counts),
        }
    )
    return _Part(
        keys=keys,
        values=np.concatenate(blocks, axis=0),
        verdicts=_verdicts(built, arrays, samples),
        headline=_headline_samples(built, arrays, samples),
    )


def _verdicts(
    built: Built, arrays: Mapping[tuple[str, str], xr.DataArray], samples: np.ndarray
) -> pd.DataFrame:
    """Return ``target_id, value, met, sample`` of every target in every sample."""
    if not has_targets(built.definition):
        return pd.DataFrame(columns=["target_id", "value", "met", "sample"])
    last = int(built.definition.coords["time"][-1])
    out = []
    for row in target_table(built, arrays).itertuples(index=False):
        values = arrays[(str(row.indicator), str(row.material))]
        when = last if pd.isna(row.year) else int(row.year)
        if when not in values["time"].values:
            continue  # the run's own target table names the year at fault
        each = xr.DataArray(samples, dims="sample", coords={"sample": samples})
        at = values.sel(time=when, drop=True).broadcast_like(each).transpose("sample")
        value = np.asarray(at.values, dtype=float)
        met = target_met(value, comparison=str(row.comparison), target=float(row.value))
        frame = {"target_id": row.target_id, "value": value, "met": met, "sample": samples}
        out.append(pd.DataFrame(frame))
    if not out:
        return pd.DataFrame(columns=["target_id", "value", "met", "sample"])
    return pd.concat(out, ignore_index=True)


def _headline_samples(
    built: Built, arrays: Mapping[tuple[str, str], xr.DataArray], samples: np.ndarray
) -> pd.DataFrame:
    """Return ``label, sample, value`` of every headline number that rests on the model.

    A headline number read from an output table (``table = ...``) is not drawn: the tables
    of ``model.py`` functions are made once, for the run itself.
    """
    rows = [
        pd.DataFrame(
            {
                "label": label,
                "sample": samples,
                "value": _series(at.expand_dims(time=[0]), samples)[0],
            }
        )
        for label, at, _ in headline_values(built, arrays, {})
    ]
    if not rows:
        return pd.DataFrame(columns=["label", "sample", "value"])
    return pd.concat(rows, ignore_index=True)[["label", "sample", "value"]]


def _headline_ranges(heads: pd.DataFrame) -> pd.DataFrame:
    grouped = heads.groupby("label", sort=False)["value"]
    out = grouped.agg(mean="mean")
    for column, q in QUANTILES.items():
        out[column] = grouped.quantile(q)
    return out


def _probabilities(verdicts: pd.DataFrame) -> pd.DataFrame:
    columns = ["target_id", "p_met", *QUANTILES, "n"]
    if verdicts.empty or "met" not in verdicts.columns:
        return pd.DataFrame(columns=columns)
    known = verdicts[verdicts["met"].notna()]
    grouped = known.groupby("target_id", sort=False)
    out = grouped["met"].agg(p_met=lambda m: float(np.mean(m.astype(bool))), n="count")
    for column, q in QUANTILES.items():
        out[column] = grouped["value"].quantile(q)
    return out.reset_index()[columns]


def with_uncertainty(result: ModelResult, mc: MonteCarlo) -> ModelResult:
    """Return a run's result with the Monte Carlo's ranges and probabilities added.

    The target table gains ``p_met`` (the share of samples meeting the target) and the
    indicator's ``p5``, ``p50``, ``p95`` in the target year; the headline gains ``p5``, ``p50``,
    ``p95``; :attr:`ModelResult.uncertainty` is ``uncertainty.csv``; the drawn parameters are
    the table ``uncertainty_draws``; a note states the samples and seed.
    """
    targets = result.indicators
    if len(targets):
        ranges = mc.targets.drop(columns="n").set_index("target_id")
        targets = targets.join(ranges, on="target_id")
    headline = result.headline.join(mc.headline[list(QUANTILES)])
    note = (
        f"Monte Carlo: {mc.draws.n:,} samples, seed {mc.draws.seed}. Every numeric parameter "
        "and data table not marked uncertainty = false is drawn from its declared uncertainty "
        "or its grade (docs/uncertainty.md); P(met) is the share of samples meeting a target, "
        "p5-p95 the range of 90% of the samples (uncertainty.csv has every stock, flow and "
        f"indicator). Fixed: {', '.join(mc.draws.fixed) or 'none'}."
    )
    tables = {**result.tables, "uncertainty_draws": mc.draws.table().reset_index()}
    return dataclasses.replace(
        result,
        indicators=targets,
        headline=headline,
        tables=tables,
        notes=[*result.notes, note],
        uncertainty=mc.table,
    )
