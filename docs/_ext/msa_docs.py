"""Sphinx extension of the msa site: pages generated from the package data, and notebooks.

At ``builder-inited`` it writes, into ``docs/_generated/`` (not under version control):

- ``jrc_variables.md``: the 43 JRC MSA variables and msa's national-only codes, with the
  JRC's descriptions and the ICER national and PGA mappings (``msa/data/jrc_variables.csv``);
- ``glossary_terms.md``: the bilingual glossary (``msa/data/glossary.csv``);
- ``model_keys.md``: every key of ``model.toml``, from the pydantic schema
  (``msa.model.definition``), so the table cannot drift from the code;

and into ``docs/notebooks/`` one ``.ipynb`` per jupytext notebook of ``notebooks/``: the
executed copy the test suite wrote (``docs/_build/executed/``, when its source hash matches),
else the notebook without outputs, which myst-nb then executes.

It also resolves a reference to a name by its defining module (``msa.system.core.System``, as
type hints and docstrings name it) to the place the site documents it (``msa.System``).
"""

from __future__ import annotations

import hashlib
import types
import typing
from importlib.resources import files
from pathlib import Path
from typing import Any

import pandas as pd
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
GENERATED = DOCS / "_generated"
NOTEBOOK_PAGES = DOCS / "notebooks"
EXECUTED = DOCS / "_build" / "executed"


def _read_data(name: str) -> pd.DataFrame:
    with files("msa").joinpath("data", name).open(encoding="utf-8") as handle:
        return pd.read_csv(handle, comment="#", dtype=str, keep_default_na=False)


def _cell(text: str) -> str:
    """Escape a table cell for a Markdown pipe table."""
    return text.replace("|", "\\|").replace("\n", " ").strip()


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def jrc_variables_page() -> str:
    """Return the Markdown tables of the JRC MSA variables, one per stage."""
    table = _read_data("jrc_variables.csv")
    out: list[str] = []
    for frame, title in (("jrc", "JRC MSA variables"), ("national", "National-only codes")):
        part = table[table["frame"] == frame]
        out.append(f"## {title} ({len(part)})\n")
        for stage, rows in part.groupby("stage", sort=False):
            out.append(f"### {stage or 'Outside the chain'}\n")
            out.append(
                _table(
                    ["code", "name", "definition", "kind", "ICER national", "PGA"],
                    [
                        [
                            f"`{r.code}`",
                            r.name_en,
                            r.description_en,
                            f"{r.kind} ({r.role})",
                            r.national_text,
                            r.pga_text,
                        ]
                        for r in rows.itertuples()
                    ],
                )
            )
    return "\n".join(out)


def glossary_page() -> str:
    """Return the bilingual glossary table, grouped by topic."""
    table = _read_data("glossary.csv")
    out: list[str] = []
    for group, rows in table.groupby("group", sort=False):
        out.append(f"### {group}\n")
        out.append(
            _table(
                ["English", "Dutch", "definition", "in msa", "source"],
                [
                    [
                        f"**{r.term_en}**",
                        f"*{r.term_nl}*",
                        r.definition,
                        f"`{r.msa_name}`" if r.msa_name else "",
                        r.source,
                    ]
                    for r in rows.itertuples()
                ],
            )
        )
    return "\n".join(out)


def _type_name(annotation: Any) -> str:
    """Return a short, readable name of a pydantic field's type."""
    if annotation is Any:
        return "value"
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin is typing.Literal:
        return " | ".join(
            str(a).lower() if isinstance(a, bool) else repr(a).replace("'", '"') for a in args
        )
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in args if a is not type(None))
    if origin in (tuple, list):
        inner = _type_name(args[0]) if args else "value"
        return f"list of {inner}"
    if origin is dict:
        return f"table of {_type_name(args[1])}" if len(args) == 2 else "table"
    if isinstance(annotation, type):
        if annotation.__module__.startswith("msa."):
            return "table"
        return {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}.get(
            annotation.__name__, annotation.__name__
        )
    return str(annotation).replace("typing.", "")


def _default(field: Any) -> str:
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        value = field.default_factory()
        return "" if value in ({}, ()) or hasattr(value, "model_fields") else repr(value)
    if field.default is None:
        return ""
    value = field.default
    if value == ():
        return ""
    if isinstance(value, tuple):
        return "[" + ", ".join(f'"{v}"' if isinstance(v, str) else str(v) for v in value) + "]"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value).lower() if isinstance(value, bool) else repr(value)


def _nested_model(annotation: Any) -> tuple[type | None, str]:
    """Return the pydantic model a field holds and how it nests (``""``, ``.<name>``, ``[]``)."""
    from pydantic import BaseModel

    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, ""
    if origin is dict and len(args) == 2:
        model, how = _nested_model(args[1])
        return model, ".<name>" + how if model else ""
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        for arg in args:
            model, how = _nested_model(arg)
            if model is not None:
                return model, how
    return None, ""


def schema_rows(model: type, prefix: str) -> list[list[str]]:
    """Return one row per key of a pydantic model and of the models it nests."""
    rows: list[list[str]] = []
    nested: list[tuple[type, str]] = []
    for name, field in model.model_fields.items():  # type: ignore[attr-defined]
        key = f"{prefix}.{name}" if prefix else name
        child, how = _nested_model(field.annotation)
        rows.append([f"`{key}`", _type_name(field.annotation), _default(field)])
        if child is not None and child.__name__ not in ("ParameterRef", "TargetNeeds"):
            nested.append((child, key + how))
    for child, key in nested:
        rows += schema_rows(child, key)
    return rows


def model_keys_page() -> str:
    """Return the table of every ``model.toml`` key, generated from the pydantic schema."""
    from msa.model import definition

    out = []
    roots = (
        (definition._Root, "A model with processes and flows"),
        (definition._MsaRoot, "An MSA-table model"),
    )
    for root, title in roots:
        out.append(f"### {title}\n")
        out.append(_table(["key", "type", "default"], schema_rows(root, "")))
    out.append(
        "A lifetime (`stocks.<name>.lifetime`) takes, beside the keys above, the parameters "
        "of its distribution:\n"
    )
    out.append(
        _table(
            ["distribution", "parameters"],
            [
                [f'"{d}"', ", ".join(f"`{p}`" for p in params)]
                for d, params in definition.DISTRIBUTIONS.items()
            ],
        )
    )
    return "\n".join(out)


#: Where the site documents msa's names: sub-packages (and modules) in the order searched.
API_MODULES = (
    "msa.system",
    "msa.stocks",
    "msa.jrc_msa",
    "msa.jrc_msa.coverage",
    "msa.figures",
    "msa.uncertainty",
    "msa.reconciliation",
    "msa.effects",
    "msa.model",
    "msa.model.coverage",
    "msa.errors",
    "msa.testing",
)


def toplevel_page() -> str:
    """Return the table of ``msa``'s top-level names, each linked to where it is documented."""
    import importlib

    import msa

    modules = [importlib.import_module(name) for name in API_MODULES]
    rows = []
    for name in sorted(msa.__all__, key=str.lower):
        if name == "__version__":
            continue
        if name == "testing":
            rows.append(["{py:mod}`msa.testing`", "Assertions for tests of models and systems."])
            continue
        home = next(m for m in modules if name in getattr(m, "__all__", dir(m)))
        obj = getattr(msa, name)
        doc = (getattr(obj, "__doc__", None) or "").strip().splitlines()
        summary = doc[0] if doc and not isinstance(obj, tuple | dict | str) else ""
        rows.append([f"{{py:obj}}`msa.{name} <{home.__name__}.{name}>`", summary])
    return _table(["name", "summary"], rows)


def _param_row(param: Any) -> list[str]:
    names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
    if type(param).__name__.endswith("Argument"):
        names = f"`{param.name.upper()}`"
    default = param.default
    shown = "" if default in (None, False, (), []) or callable(default) else f"`{default}`"
    text = (param.help or "").replace("\n", " ")
    return [names, "yes" if param.required else "", shown, text]


def cli_page() -> str:
    """Return the reference of every ``msa`` command, from the typer app's own help texts."""
    import inspect

    import typer

    from msa.cli.commands import app

    group = typer.main.get_command(app)
    out = [inspect.cleandoc(group.help or ""), ""]
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        args = " ".join(
            p.name.upper() for p in command.params if type(p).__name__.endswith("Argument")
        )
        out.append(f"## `msa {name}`\n")
        out.append(f"```text\nmsa {name} [OPTIONS] {args}\n```\n")
        out.append(inspect.cleandoc(command.help or "") + "\n")
        params = [p for p in command.params if p.name != "help"]
        if params:
            out.append(
                _table(
                    ["argument or option", "required", "default", "meaning"],
                    [_param_row(p) for p in params],
                )
            )
    return "\n".join(out)


def gallery_page() -> str:
    """Return the gallery: the images of docs/img/gallery/ that make_gallery.py wrote."""
    from make_gallery import DUTCH, FIGURES, image

    out = []
    for model, (title, figures) in FIGURES.items():
        dutch = {f"sankey_{v}_{y}_nl": text for v, y, _, text in DUTCH.get(model, [])}
        every = figures | dutch
        shown = [(name, text) for name, text in every.items() if image(model, name).exists()]
        out.append(f"## {title} (`models/{model}`)\n")
        if not shown:
            out.append("No image yet: run `docs/_ext/make_gallery.py`.\n")
        for name, caption in shown:
            out.append(f"{caption}\n\n![{caption}](../img/gallery/{model}_{name}.png)\n")
    return "\n".join(out)


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def source_hash(path: Path) -> str:
    """Return the SHA-256 of a notebook's jupytext source (tests record it when executing)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def notebook_pages() -> list[str]:
    """Write one ``.ipynb`` page per notebook; return the names of those already executed."""
    import jupytext
    import nbformat

    names = []
    for source in sorted((ROOT / "notebooks").glob("*.py")):
        executed = EXECUTED / f"{source.stem}.ipynb"
        digest = source_hash(source)
        notebook = None
        if executed.exists():
            candidate = nbformat.read(executed, as_version=4)
            if candidate.metadata.get("msa_source_sha256") == digest:
                notebook = candidate
                names.append(source.stem)
        if notebook is None:
            notebook = jupytext.read(source)
        _write_if_changed(NOTEBOOK_PAGES / f"{source.stem}.ipynb", nbformat.writes(notebook))
    return names


def generate(app: Sphinx) -> None:
    """Write the generated pages and notebooks before the build reads its sources."""
    _write_if_changed(GENERATED / "jrc_variables.md", jrc_variables_page())
    _write_if_changed(GENERATED / "glossary_terms.md", glossary_page())
    _write_if_changed(GENERATED / "model_keys.md", model_keys_page())
    _write_if_changed(GENERATED / "toplevel.md", toplevel_page())
    _write_if_changed(GENERATED / "cli.md", cli_page())
    _write_if_changed(GENERATED / "gallery.md", gallery_page())
    # An executed copy is rendered as it is: myst-nb's "auto" mode would execute it again
    # when one of its code cells has no output.
    executed = [f"notebooks/{name}.ipynb" for name in notebook_pages()]
    app.config.nb_execution_excludepatterns = [
        *app.config.nb_execution_excludepatterns,
        *executed,
    ]


def _documented(env: BuildEnvironment) -> dict[str, str]:
    """Map each documented object's last name to its full name, msa's top level first."""
    objects = env.get_domain("py").objects  # type: ignore[attr-defined]
    found: dict[str, str] = {}
    for full in sorted(objects, key=lambda n: (n.count("."), n)):
        found.setdefault(full.rsplit(".", 1)[-1], full)
    return found


def _parent_module(env: BuildEnvironment, target: str) -> str | None:
    """Return the nearest documented package of a module the site does not document itself."""
    modules = env.get_domain("py").modules  # type: ignore[attr-defined]
    parts = target.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        parent = ".".join(parts[:cut])
        if parent in modules:
            return parent
    return None


def _defining_module(target: str, context: str | None) -> str | None:
    """Return the module an existing msa object is reached through, or None if none is."""
    import importlib

    candidates = [f"{context}.{target}"] if context else []
    for candidate in [*candidates, target]:
        candidate = "".join(candidate.split())  # a reference wrapped over two lines
        parts = candidate.split(".")
        if parts[0] != "msa":
            continue
        for cut in range(len(parts), 0, -1):
            try:
                obj: Any = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            try:
                for attr in parts[cut:]:
                    obj = getattr(obj, attr)
            except AttributeError:
                break
            return ".".join(parts[:cut])
    return None


def _resolve_in_package(
    app: Sphinx, env: BuildEnvironment, node: Any, contnode: nodes.Element
) -> nodes.Element | None:
    """Link an msa object the site does not document to the page of its package."""
    target = node.get("reftarget", "")
    source = str(node.source or "")
    contexts = [node.get("py:module")]
    if "docstring of " in source:  # the docstring's own module: msa.model.report.func
        owner = source.split("docstring of ", 1)[1].split(".")
        contexts = [".".join(owner[:cut]) for cut in range(len(owner), 1, -1)] + contexts
    module = next((m for c in contexts if (m := _defining_module(target, c))), None)
    parent = _parent_module(env, module + ".x") if module else None
    if parent is None:
        return None
    return env.get_domain("py").resolve_xref(  # type: ignore[no-any-return]
        env, node["refdoc"], app.builder, "mod", parent, node, contnode
    )


def _resolve_by_name(
    app: Sphinx, env: BuildEnvironment, node: Any, contnode: nodes.Element
) -> nodes.Element | None:
    """Resolve ``msa.system.core.System`` or ``DataError`` to where the site documents it."""
    target = node.get("reftarget", "")
    domain = env.get_domain("py")
    parts = target.split(".")
    documented = _documented(env)
    # A method or attribute (msa.system.core.System.add_flow): keep the class and member.
    for cut in (1, 2):
        head = documented.get(parts[-cut]) if len(parts) >= cut else None
        if head is None or not head.startswith("msa."):
            continue
        new_target = ".".join([head, *parts[len(parts) - cut + 1 :]])
        if new_target == target:
            continue
        for kind in (node["reftype"], "obj"):
            found = domain.resolve_xref(
                env, node["refdoc"], app.builder, kind, new_target, node, contnode
            )
            if found is not None:
                return found  # type: ignore[no-any-return]
    return None


def resolve_by_defining_module(
    app: Sphinx, env: BuildEnvironment, node: Any, contnode: nodes.Element
) -> nodes.Element | None:
    """Resolve a reference to an msa name by where the site documents it.

    ``msa.system.core.System`` (as a type hint or docstring names it) resolves to
    ``msa.system.System``; a bare ``DataError`` to ``msa.errors.DataError``; a module the site
    does not document (``msa.system.core``) to the page of its package (``msa.system``); an
    existing object the API reference does not document (a module constant, an internal
    helper) to the page of the package holding it. A name that exists nowhere stays a warning.
    """
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    if node["reftype"] == "mod":
        parent = _parent_module(env, target) if target.startswith("msa.") else None
        if parent is None:
            return None
        return env.get_domain("py").resolve_xref(  # type: ignore[no-any-return]
            env, node["refdoc"], app.builder, "mod", parent, node, contnode
        )
    return _resolve_by_name(app, env, node, contnode) or _resolve_in_package(
        app, env, node, contnode
    )


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the generator and the reference resolver."""
    from pygments.lexers.special import TextLexer

    # Code blocks the pages mark as mermaid diagrams or CSV tables are shown as plain text.
    for name in ("mermaid", "csv"):
        app.add_lexer(name, TextLexer)
    # Before myst-nb reads its configuration at builder-inited (priority 500).
    app.connect("builder-inited", generate, priority=400)
    app.connect("missing-reference", resolve_by_defining_module)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
