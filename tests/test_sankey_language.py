"""One language per Sankey: every visible text of a figure is in the figure's language.

Each view (jrc, icer, pga) of the example model and of an EV run is drawn as ``msa sankey``
draws it, in English and in Dutch; no word of the other language may appear in its title,
node labels, notes and footnotes, legend, or hover. The words of each language are those
of the figures' phrases (msa.figures.labels) and of the views' node labels
(src/msa/data/view_nodes.csv) that the other language does not share.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from msa.cli import main
from msa.cli.commands import (  # the CLI's own steps, so the figures are those it draws
    _SANKEY_VIEWS,
    _color_by,
    _load_for_views,
    _sankey_links,
    _sankey_title,
)
from msa.figures import labels as figure_labels
from msa.figures import sankey
from msa.figures.labels import default_subtitle

ROOT = Path(__file__).resolve().parents[1]
VIEWS = ("jrc", "icer", "pga")
LANGS = ("en", "nl")
_WORD = re.compile(r"[^\W\d_]{4,}")  # words of four letters or more (not codes, units, 'de')


def _words(texts: list[str]) -> set[str]:
    """Return the lower-case words of ``texts``."""
    return {w.lower() for t in texts for w in _WORD.findall(t)}


def _vocabulary() -> dict[str, set[str]]:
    """Return the words only English, and only Dutch, figures use (phrases, node labels)."""
    phrases = figure_labels._TEXT.values()
    nodes = pd.read_csv(resources.files("msa.data") / "view_nodes.csv", comment="#")
    english = [p["en"] for p in phrases] + list(nodes["label_en"])
    english += list(figure_labels._STAGE_NL) + list(figure_labels._STATUS_NL)
    dutch = [p["nl"] for p in phrases] + list(nodes["label_nl"])
    dutch += list(figure_labels._STAGE_NL.values()) + list(figure_labels._STATUS_NL.values())
    materials = pd.read_csv(resources.files("msa.data") / "material_names.csv", comment="#")
    english += list(materials["name"])
    dutch += list(materials["label_nl"])
    en, nl = _words(english), _words(dutch)
    both = {"export", "import"}  # English and Dutch words alike (a model's 'Export of ...')
    return {"en": en - nl - both, "nl": nl - en - both}


VOCABULARY = _vocabulary()


def _texts(fig: Any) -> list[str]:
    """Return every text a reader sees: title, annotations, legend, hover (by line)."""
    d = fig.to_plotly_json()
    layout = d["layout"]
    texts = [str((layout.get("title") or {}).get("text") or "")]
    texts += [str(a.get("text") or "") for a in layout.get("annotations", [])]
    for trace in d["data"]:
        texts += [str(trace.get("name") or ""), str(trace.get("hovertemplate") or "")]
        for part in ("node", "link"):
            texts += [str(c) for c in (trace.get(part) or {}).get("customdata", []) or []]
    lines = [line for t in texts for line in re.split(r"<br>", t)]
    # material coordinates and flow ids in the hover are the model's data (e.g. 'graphite',
    # 'Imports => Market'), not words of the figure; the subtitle names materials in the
    # figure's language (msa/data/material_names.csv) and is checked with the rest
    data = r"(material|materiaal|JRC codes|JRC-codes): "
    return [line for line in lines if not re.match(data, line)]


def _figure(path: Path, year: int, view: str, lang: str) -> Any:
    """Return the figure ``msa sankey PATH --view VIEW --year YEAR --lang LANG`` draws."""
    system = _load_for_views(path)
    links, nodes, footnotes = _sankey_links(path, system, year, view, lang, "value")
    name = _SANKEY_VIEWS[view] or "jrc"
    colour = _color_by("stage" if view == "jrc" else "flow_type")
    return sankey(
        links,
        nodes=nodes,
        lang=lang,
        footnotes=list(footnotes),
        color_by=colour,
        # the model's own title and subtitle, as msa sankey gives them (a Dutch title in Dutch)
        title=f"{_sankey_title(system, name, lang)} {year}",
        subtitle=default_subtitle(system, lang, colour),
    )


@pytest.fixture(scope="module")
def ev_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the output folder of one EV batteries run (built once for the module)."""
    out = tmp_path_factory.mktemp("ev_run")
    assert main(["run", str(ROOT / "models" / "ev_batteries_nl"), "--out", str(out), "-q"]) == 0
    return out


def test_vocabulary_is_not_empty():
    """The word lists hold the words the figures are known to mix up."""
    assert {"stock", "view", "loop", "material"} <= VOCABULARY["en"]
    assert {"voorraad", "afval", "weergave", "materiaal"} <= VOCABULARY["nl"]
    assert {"glass", "graphite", "other"} <= VOCABULARY["en"] and "glas" in VOCABULARY["nl"]


def _check(fig: Any, lang: str) -> None:
    """Assert that no word of the other language appears in the figure."""
    other = VOCABULARY["nl" if lang == "en" else "en"]
    mixed = {line: sorted(_words([line]) & other) for line in _texts(fig)}
    mixed = {line: words for line, words in mixed.items() if words}
    assert not mixed, f"{lang} figure shows words of the other language: {mixed}"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("view", VIEWS)
def test_example_figures_speak_one_language(view, lang):
    """Every view of the example, in English and in Dutch, uses words of its language only."""
    _check(_figure(ROOT / "models" / "msa_example", 2021, view, lang), lang)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    ("model", "view", "year"),
    [
        ("pv_panels_nl", "jrc", 2030),
        ("pv_panels_nl", "icer", 2030),
        ("pv_panels_nl", "pga", 2030),
        ("nl_national", "jrc", 2022),
        ("nl_national", "icer", 2022),
        ("nl_national", "pga", 2022),
    ],
)
def test_pv_and_national_figures_speak_one_language(model, view, year, lang):
    """The PV model and the national model, drawn from their folders, speak one language."""
    _check(_figure(ROOT / "models" / model, year, view, lang), lang)


_EV_CASES = [(view, lang) for view in VIEWS for lang in LANGS]


@pytest.mark.parametrize(("view", "lang"), _EV_CASES)
def test_ev_figures_speak_one_language(ev_run, view, lang):
    """Every view of an EV run, in English and in Dutch, uses words of its language only."""
    _check(_figure(ev_run, 2030, view, lang), lang)


def test_dutch_notes_use_a_decimal_comma():
    """A Dutch note writes its threshold as Dutch numbers ('< 0,5 px')."""
    fig = _figure(ROOT / "models" / "msa_example", 2021, "icer", "nl")
    notes = " ".join(_texts(fig))
    assert "< 0,5 px" in notes and "< 0.5 px" not in notes


def test_footnotes_name_nodes_as_the_figure_labels_them():
    """A footnote names a node by its label in the figure's language, not the view's id."""
    en = " ".join(_texts(_figure(ROOT / "models" / "msa_example", 2021, "pga", "en")))
    nl = " ".join(_texts(_figure(ROOT / "models" / "msa_example", 2021, "pga", "nl")))
    assert "Stock \u2192 Net addition to stock" in en and "Voorraadtoename" not in en
    assert "Voorraad \u2192 Netto toename voorraad" in nl and "Voorraadtoename." not in nl
