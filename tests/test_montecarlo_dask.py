"""The Monte Carlo on dask.distributed: the same numbers as in one process, and bad input.

One local cluster of two worker processes serves the whole module (its tests share an xdist
group, so they run one after the other beside it); ``msa run --workers 2`` starts its own.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

import msa
from msa.cli import main
from msa.model import montecarlo
from msa.model.build import read_inputs
from msa.model.montecarlo import dask_client, draw_inputs, monte_carlo

try:
    import distributed
except ImportError:  # pragma: no cover - the dev extra installs it; CI must have it
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        raise
    pytest.skip(
        "dask.distributed is not installed: pip install 'msa[dask]'", allow_module_level=True
    )

pytestmark = pytest.mark.xdist_group("dask")

ROOT = Path(__file__).resolve().parents[1]
PV = ROOT / "models" / "pv_panels_nl"


@pytest.fixture(scope="module")
def client() -> Iterator[distributed.Client]:
    """Start a local cluster of two worker processes, one thread each, no dashboard."""
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},  # not port 8787
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as made,
    ):
        yield made


def _same(a: montecarlo.MonteCarlo, b: montecarlo.MonteCarlo) -> None:
    """Assert two Monte Carlo results are equal to the last bit, uncertainty.csv to the byte."""
    for name in ("table", "samples", "targets", "headline"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    assert a.table.to_csv(index=False) == b.table.to_csv(index=False)
    pd.testing.assert_frame_equal(a.draws.table(), b.draws.table(), check_exact=True)


@pytest.mark.parametrize(("model", "samples", "chunk"), [("tiny", 20, 3), ("pv", 24, 4)])
def test_a_cluster_gives_the_same_numbers(
    client: distributed.Client,
    tiny_model: Callable[..., Path],
    model: str,
    samples: int,
    chunk: int,
) -> None:
    """Chunks built on two worker processes, in any order, equal the in-process run."""
    d = msa.load_definition(tiny_model() if model == "tiny" else PV)
    here = monte_carlo(d, samples=samples, seed=7, chunk=chunk)
    seen: list[tuple[int, int]] = []
    there = monte_carlo(
        d, samples=samples, seed=7, chunk=chunk, client=client, progress=lambda *a: seen.append(a)
    )
    _same(here, there)
    assert len(seen) == -(-samples // chunk) and seen[-1] == (samples, samples)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_a_worker_reads_the_files_of_each_run(
    client: distributed.Client, tiny_model: Callable[..., Path]
) -> None:
    """A table changed between two runs on the same cluster: the second run sees it."""
    folder = tiny_model()
    first = monte_carlo(msa.load_definition(folder), samples=6, seed=1, chunk=2, client=client)
    table = folder / "data" / "collected.csv"
    table.write_text(table.read_text("utf-8").replace("2021,2,", "2021,5,"), "utf-8")
    d = msa.load_definition(folder)
    there = monte_carlo(d, samples=6, seed=1, chunk=2, client=client)
    _same(monte_carlo(d, samples=6, seed=1, chunk=2), there)
    assert not first.table["mean"].equals(there.table["mean"])


def test_a_worker_refuses_other_model_files(
    client: distributed.Client, tiny_model: Callable[..., Path]
) -> None:
    """A worker whose copy of a file differs from the run's says which, on which worker."""
    d = msa.load_definition(tiny_model())
    d = d.model_copy(update={"path": d.path.resolve()})
    draws = draw_inputs(read_inputs(d), 4, 2)
    data = d.folder / "data" / "collected.csv"
    digests = {str(data): "0" * 64}
    task = client.submit(montecarlo._run_chunk, d, "baseline", "r", digests, draws.rows(0, 2), 0, 2)
    with pytest.raises(msa.ConfigError, match=r"collected\.csv: differs on dask worker tcp://"):
        task.result()


def test_draws_of_a_chunk_alone_build_the_same_chunk(tiny_model: Callable[..., Path]) -> None:
    """``Draws.rows`` (what a worker gets) gives the inputs ``Draws.chunk`` gives."""
    base = read_inputs(msa.load_definition(tiny_model()))
    draws = draw_inputs(base, 10, 3)
    part = draws.rows(4, 9)
    assert part.n == 5 and part.first == 4
    a, b = draws.chunk(base, 4, 9), part.chunk(base, 4, 9)
    assert a.samples == b.samples == (4, 5, 6, 7, 8)
    for name in draws.parameters:
        assert a.parameters[name].value.identical(b.parameters[name].value)
    for name in draws.tables:
        assert a.data[name].value.identical(b.data[name].value)
    assert float(part.inputs(base, 6).values["factor"]) == float(draws.parameters["factor"][6])
    pd.testing.assert_frame_equal(part.table(), draws.table().iloc[4:9])
    with pytest.raises(msa.ConfigError, match="samples 8-9 are not all drawn"):
        part.rows(8, 10)


@pytest.mark.parametrize(
    ("workers", "scheduler"), [(None, None), (2, "tcp://127.0.0.1:8786"), (0, None)]
)
def test_a_client_needs_one_place_to_run(workers: int | None, scheduler: str | None) -> None:
    """Neither, both, or no worker: refused before any cluster starts."""
    with pytest.raises(msa.ConfigError, match="exactly one of workers|workers must be"):
        with dask_client(workers=workers, scheduler=scheduler):
            pass  # pragma: no cover


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.chromium
def test_msa_run_on_workers_writes_the_same_uncertainty(
    client: distributed.Client,
    tiny_model: Callable[..., Path],
    image_server: None,
    tmp_path: Path,
) -> None:
    """`msa run --workers 2` and `--scheduler ADDRESS`: uncertainty.csv byte for byte."""
    model = tiny_model()
    args = ["--samples", "30", "--seed", "5", "-q"]
    where = {
        "here": [],
        "workers": ["--workers", "2"],
        "scheduler": ["--scheduler", client.scheduler.address],
    }
    for name, extra in where.items():
        assert main(["run", str(model), "--out", str(tmp_path / name), *args, *extra]) == 0
    expected = (tmp_path / "here" / "uncertainty.csv").read_bytes()
    manifests = {}
    for name in where:
        assert (tmp_path / name / "uncertainty.csv").read_bytes() == expected, name
        manifests[name] = json.loads((tmp_path / name / "manifest.json").read_text("utf-8"))
    assert manifests["here"]["monte_carlo"] == {"samples": 30, "seed": 5}
    assert manifests["workers"]["monte_carlo"] == {"samples": 30, "seed": 5, "workers": 2}
    assert manifests["scheduler"]["monte_carlo"]["scheduler"] == client.scheduler.address
    for manifest in manifests.values():  # how it ran is all that differs
        del manifest["monte_carlo"]
    assert manifests["here"] == manifests["workers"] == manifests["scheduler"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--samples", "5", "--workers", "0"], "workers must be a whole number >= 1 (got 0)"),
        (["--samples", "5", "--workers", "-2"], "workers must be a whole number >= 1 (got -2)"),
        (["--workers", "2"], "--workers needs --samples"),
        (["--scheduler", "tcp://127.0.0.1:8786"], "--scheduler needs --samples"),
        (
            ["--samples", "5", "--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"],
            "--workers and --scheduler exclude each other",
        ),
        (["--samples", "5", "--scheduler", " "], "scheduler must be an address"),
        (
            ["--samples", "5", "--scheduler", "tcp://127.0.0.1:9"],
            "cannot reach the dask scheduler at 'tcp://127.0.0.1:9' within 1 s",
        ),
    ],
)
def test_bad_dask_options_are_one_line_and_write_nothing(
    tiny_model: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    extra: list[str],
    message: str,
) -> None:
    """Refused in one line, exit 2; the model folder as it was, no output, no temporary."""
    monkeypatch.setattr(montecarlo, "CONNECT_TIMEOUT", 1)  # the unreachable scheduler
    model = tiny_model()
    before = _snapshot(model)
    out = tmp_path / "out"
    capsys.readouterr()
    assert main(["run", str(model), "--out", str(out), *extra]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("msa: error: ") and message in lines[0]
    assert not out.exists() and _snapshot(model) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny"]


def test_without_distributed_the_error_says_what_to_install(
    tiny_model: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No dask.distributed: one line naming the extra, nothing written."""
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    out = tmp_path / "out"
    capsys.readouterr()
    args = ["run", str(tiny_model()), "--out", str(out), "--samples", "4", "--workers", "2"]
    assert main(args) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and "pip install 'msa[dask]'" in lines[0]
    assert not out.exists()


_KILLER = '''"""Test model: the disposal of recycling, computed; a dask worker building it dies."""

import os


def rest(inputs):
    if os.environ.get("MSA_TEST_KILL_WORKER") == "1":
        try:
            import distributed

            distributed.get_worker()
        except (ImportError, ValueError):
            pass  # not on a worker: build as usual
        else:
            os._exit(1)  # the worker process dies, as when the OS kills it for memory
    into = inputs.flows["Collection => Recycling"]
    return into - inputs.flows["Recycling => Secondary"]
'''


def test_a_worker_that_dies_is_one_error_line(tmp_path: Path, monkeypatch) -> None:
    """KilledWorker (a worker died on a chunk) is one line naming the samples and what to try."""
    import dask

    model = msa.new_model(tmp_path / "m")
    toml = model / "model.toml"
    text = toml.read_text(encoding="utf-8")
    old = '[flows."Recycling => Disposal"]\nremainder = true\n'
    assert old in text
    new = (
        '[flows."Recycling => Disposal"]\nfunction = "rest"\ndims = ["time", "material"]\n'
        'needs = ["Collection => Recycling", "Recycling => Secondary"]\n'
    )
    text = text.replace(old, new).replace(
        'sources = "data/sources.csv"\n', 'sources = "data/sources.csv"\nmodule = "model.py"\n', 1
    )
    toml.write_text(text, encoding="utf-8")
    (model / "model.py").write_text(_KILLER, encoding="utf-8")
    d = msa.load_definition(model)
    monte_carlo(d, samples=2, seed=1)  # builds in one process
    monkeypatch.setenv("MSA_TEST_KILL_WORKER", "1")
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
        pytest.raises(msa.MsaError) as caught,
    ):
        monte_carlo(d, samples=4, seed=1, chunk=2, client=client)
    message = str(caught.value)
    assert "\n" not in message
    assert "a dask worker died building samples 0-1" in message or "samples 2-3" in message
    assert "memory" in message
