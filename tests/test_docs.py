"""The documentation pages: internal links resolve, generated reference data is complete."""

from __future__ import annotations

import csv
import importlib
import re
import unicodedata
from importlib.resources import files
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md")) + [ROOT / "README.md", ROOT / "CHANGELOG.md"]
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)


def _slug(heading: str) -> str:
    """Return the anchor GitHub and MyST give a heading."""
    text = re.sub(r"[`*_]|<[^>]+>", "", heading).strip().lower()
    text = "".join(c for c in text if c.isalnum() or c in " -" or unicodedata.category(c) == "Mn")
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    found = {_slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.+?)\s*$", text, re.M)}
    found |= set(re.findall(r'<a id="([^"]+)"', text))
    found |= set(re.findall(r"^\(([\w-]+)\)=\s*$", text, re.M))
    return found


def _links(path: Path) -> list[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    text = re.sub(r"`[^`\n]*`", "", text)  # inline code is not a link
    return [m.group(1) for m in LINK.finditer(text)]


def test_slug_follows_github() -> None:
    """Headings with code, punctuation and capitals give GitHub's anchors."""
    assert _slug("The chain as a balanced system") == "the-chain-as-a-balanced-system"
    assert _slug("`sources.csv`") == "sourcescsv"
    assert _slug("MSA-table models: `[msa]`") == "msa-table-models-msa"


@pytest.mark.parametrize("page", [p for p in PAGES if p.exists()], ids=lambda p: p.name)
def test_relative_links_resolve(page: Path) -> None:
    """Every relative link of a page names an existing file, and its #anchor a heading there."""
    broken = []
    for link in _links(page):
        if re.match(r"[a-z]+:", link):  # https:, mailto:
            continue
        target, _, anchor = link.partition("#")
        path = (page.parent / target).resolve() if target else page
        if path.parent == DOCS / "notebooks" and path.suffix == ".ipynb":
            # a notebook page: docs/notebooks/<name>.ipynb is written at build time from the
            # jupytext source notebooks/<name>.py, which must exist
            path = ROOT / "notebooks" / f"{path.stem}.py"
        if not path.exists():
            broken.append(f"{link} (no file {path.relative_to(ROOT)})")
        elif anchor and path.suffix == ".md" and anchor not in _anchors(path):
            broken.append(f"{link} (no heading #{anchor} in {path.name})")
    assert not broken, f"{page.name}: " + "; ".join(broken)


def test_every_page_is_in_the_site() -> None:
    """Every Markdown page of docs/ is in a table of contents of the site."""
    tocs = "\n".join(p.read_text(encoding="utf-8") for p in DOCS.rglob("*.md"))
    listed = set(re.findall(r"^([\w/]+)\s*$", tocs, re.M))
    missing = {p.stem for p in DOCS.glob("*.md")} - listed - {"index"}
    assert not missing


def _data(name: str) -> list[dict[str, str]]:
    with files("msa").joinpath("data", name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


def test_glossary_has_forty_bilingual_terms() -> None:
    """The glossary has at least 40 terms, each with an English and a Dutch name and a line."""
    rows = _data("glossary.csv")
    assert len(rows) >= 40
    for row in rows:
        assert row["term_en"].strip() and row["term_nl"].strip(), row
        assert row["definition"].strip() and "\n" not in row["definition"], row
    assert len({row["term_en"].lower() for row in rows}) == len(rows)


def test_glossary_names_exist() -> None:
    """Every msa name the glossary gives exists in the package."""
    missing = []
    for row in _data("glossary.csv"):
        name = row["msa_name"]
        if not name:
            continue
        obj = importlib.import_module("msa")
        try:
            for part in name.split(".")[1:]:
                obj = getattr(obj, part)
        except AttributeError:
            missing.append(name)
    assert not missing


def test_jrc_variables_carry_the_jrc_descriptions() -> None:
    """Each of the 43 JRC variables has the JRC's own description; national codes have none."""
    rows = _data("jrc_variables.csv")
    jrc = [row for row in rows if row["frame"] == "jrc"]
    assert len(jrc) == 43
    assert all(len(row["description_en"]) > 20 for row in jrc)
    assert not any("<i>" in row["description_en"] for row in rows)
    assert all(not row["description_en"] for row in rows if row["frame"] == "national")


def _schema_keys(model: type, seen: set[type] | None = None) -> set[str]:
    """Return every key name of a pydantic model and the models it nests."""
    import typing

    from pydantic import BaseModel

    seen = seen if seen is not None else set()
    keys: set[str] = set()
    stack = [model]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        for name, field in current.model_fields.items():
            keys.add(name)
            todo = [field.annotation]
            while todo:
                annotation = todo.pop()
                if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                    stack.append(annotation)
                todo.extend(typing.get_args(annotation))
    return keys


def test_model_definition_page_names_every_key() -> None:
    """Every key of the model.toml schema is named in the prose of model_definition.md."""
    from msa.model import definition

    keys = _schema_keys(definition._Root) | _schema_keys(definition._MsaRoot)
    text = (DOCS / "model_definition.md").read_text(encoding="utf-8")
    unnamed = sorted(k for k in keys if not re.search(rf"\b{re.escape(k)}\b", text))
    assert not unnamed
