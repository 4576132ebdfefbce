"""Hypothesis strategy for random balanced systems, shared by the property tests."""

from __future__ import annotations

import numpy as np
import xarray as xr
from hypothesis import strategies as st

from msa import GRADES, System
from msa.system.provenance import CLO_GRADES

STAGES = (
    "Exploration",
    "Extraction",
    "Processing",
    "Manufacture",
    "Use",
    "Collection",
    "Recycling",
)
MATERIALS = ("Co", "Li", "Ni", "Cu")
WORDS = st.text(alphabet="abcdeéXYZ 019-_", min_size=1, max_size=8).filter(
    lambda t: t == t.strip() and "=>" not in t
)


@st.composite
def balanced_systems(
    draw: st.DrawFn,
    *,
    max_processes: int = 4,
    text_attrs: bool = False,
    materials: bool | None = None,
) -> System:
    """Draw a balanced system: transformations wired at random, a stock, boundaries, provenance.

    Flows between random pairs of transformations get random values; each transformation's
    surplus goes to boundary ``Sink`` and its deficit comes from boundary ``Source``; an
    optional stock process ``Store`` fills from Source and empties to Sink with the matching
    stock change. Labels, stages, sources, grades and system attrs vary too. ``materials``:
    True always gives a ``material`` dim, False never, None either.
    """
    coords = _coords(draw, materials)
    shape = tuple(len(v) for v in coords.values())
    n_sources = draw(st.integers(1, 3))
    sources = [
        {"source_id": f"s{i}", "title": draw(WORDS), "year": str(draw(st.integers(1990, 2030)))}
        for i in range(n_sources)
    ]
    attr_values = WORDS if text_attrs else st.one_of(WORDS, st.integers(-5, 5), st.booleans())
    attrs = draw(st.dictionaries(st.sampled_from(["scenario", "note", "seed"]), attr_values))
    system = System(draw(WORDS), coords=coords, sources=sources, attrs=attrs)
    n = draw(st.integers(1, max_processes))
    ids = _add_processes(draw, system, n)
    pairs = [(a, b) for a in range(n) for b in range(n) if a != b]
    edges = (
        draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(pairs))) if pairs else []
    )
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))

    def values() -> np.ndarray:
        return rng.uniform(0.0, 1e3, shape) * (rng.random(shape) < 0.8)

    with_clo = draw(st.booleans())  # optional CLO reliability grades on some quantities

    def provenance() -> dict[str, xr.DataArray | str]:
        ids_ = np.array([s["source_id"] for s in sources] + [""], dtype=object)
        grades = np.array([*GRADES, ""], dtype=object)
        out = {
            "source_id": xr.DataArray(rng.choice(ids_, shape), dims=list(coords), coords=coords),
            "grade": xr.DataArray(rng.choice(grades, shape), dims=list(coords), coords=coords),
        }
        if with_clo and rng.random() < 0.5:
            clo = rng.choice(np.array([*CLO_GRADES, ""], dtype=object), shape)
            out["clo_grade"] = xr.DataArray(clo, dims=list(coords), coords=coords)
        return out

    def add(a: str, b: str, v: np.ndarray) -> None:
        da = xr.DataArray(v, dims=list(coords), coords=coords)
        system.add_flow(a, b, da, units="t", **provenance())

    net = np.zeros((n, *shape))
    for a, b in edges:
        v = values()
        add(ids[a], ids[b], v)
        net[b] += v
        net[a] -= v
    for j, pid in enumerate(ids):
        extra = values()
        add("Source", pid, np.maximum(0.0, -net[j]) + extra)
        add(pid, "Sink", np.maximum(0.0, net[j]) + extra)
    if draw(st.booleans()):
        system.add_process("Store", kind="stock", stage="Use", label_nl="Voorraad")
        fill, empty = values(), values()
        add("Source", "Store", fill)
        add("Store", "Sink", empty)
        change = fill - empty
        level = 1e4 + np.cumsum(change, axis=0)
        system.add_stock(
            "Store",
            xr.DataArray(level, dims=list(coords), coords=coords),
            stock_change=xr.DataArray(change, dims=list(coords), coords=coords),
            units="t",
            **provenance(),
        )
    if draw(st.booleans()):
        system.add_parameter("share", draw(st.floats(0, 1)), units="1", source_id="s0", grade="D")
    return system


def _coords(draw: st.DrawFn, materials: bool | None) -> dict[str, list[object]]:
    """Draw the coordinates: 1-4 consecutive years and, as ``materials`` asks, materials."""
    first = draw(st.integers(1990, 2030))
    years = list(range(first, first + draw(st.integers(1, 4))))
    items = st.lists(st.sampled_from(MATERIALS), min_size=1, max_size=3, unique=True)
    if materials is None:
        items = st.one_of(st.none(), items)
    elif not materials:
        items = st.none()
    drawn = draw(items)
    coords: dict[str, list[object]] = {"time": years}
    if drawn:
        coords["material"] = list(drawn)
    return coords


def _add_processes(draw: st.DrawFn, system: System, n: int) -> list[str]:
    """Add ``n`` transformations with drawn ids, stages and labels, then Source and Sink.

    Returns the ids of the transformations.
    """
    ids = draw(
        st.lists(
            WORDS.filter(lambda t: t not in ("Source", "Sink", "Store")),
            min_size=n,
            max_size=n,
            unique=True,
        )
    )
    for pid in ids:
        system.add_process(
            pid,
            stage=draw(st.one_of(st.none(), st.sampled_from(STAGES))),
            label_en=draw(st.one_of(st.none(), WORDS)),
            label_nl=draw(st.one_of(st.none(), WORDS)),
        )
    system.add_process("Source", kind="boundary", label_nl="Bron")
    system.add_process("Sink", kind="boundary")
    return ids
