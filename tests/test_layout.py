"""Tests of the package layout: public names live in public modules, privates stay home.

The layers themselves (cli > model > figures > jrc_msa | stocks > system > errors) are checked
by import-linter in CI (``lint-imports``, contract in pyproject.toml); these tests check what a
layer contract cannot: where public names are defined and who may use a private name.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import msa

SRC = Path(msa.__file__).resolve().parent
ROOT = SRC.parents[1]


def _modules() -> list[str]:
    """Every module and package under msa, by dotted name (``__main__`` runs the CLI: skipped)."""
    names = ["msa"]
    for info in pkgutil.walk_packages(msa.__path__, prefix="msa."):
        if not info.name.endswith("__main__"):
            names.append(info.name)
    return sorted(names)


def _package_of(module: str, is_package: bool) -> str:
    """Return the package a module belongs to (a package belongs to itself)."""
    return module if is_package else module.rpartition(".")[0]


def _is_private(dotted: str) -> bool:
    return any(part.startswith("_") and part != "__main__" for part in dotted.split("."))


def test_layout_has_the_concept_packages():
    """The library is split into one sub-package per concept, each importable on its own."""
    packages = {m for m in _modules() if (SRC / Path(*m.split(".")[1:]) / "__init__.py").exists()}
    assert {"msa.system", "msa.stocks", "msa.jrc_msa", "msa.figures", "msa.model", "msa.cli"} <= (
        packages
    )


@pytest.mark.parametrize("name", sorted(n for n in msa.__all__ if n != "__version__"))
def test_every_public_name_is_defined_in_a_public_module(name: str):
    """No name of msa.__all__ is defined in a module whose dotted name has a part starting '_'."""
    obj = getattr(msa, name)
    if inspect.ismodule(obj):
        module = obj.__name__
    elif isinstance(obj, tuple | str | int | float | dict):
        module = _defining_module_of_constant(name)
    else:
        module = obj.__module__
    assert module.startswith("msa"), (name, module)
    assert not _is_private(module), f"msa.{name} is defined in private module {module}"


def _defining_module_of_constant(name: str) -> str:
    """Return the module assigning ``name`` at top level (constants carry no __module__)."""
    for module in _modules():
        path = _path_of(module)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            targets = []
            if isinstance(node, ast.Assign):
                targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                targets = [node.target.id]
            if name in targets:
                return module
    raise AssertionError(f"no module defines {name}")


def _path_of(module: str) -> Path:
    parts = module.split(".")[1:]
    package = SRC.joinpath(*parts, "__init__.py")
    return package if package.exists() else SRC.joinpath(*parts[:-1], parts[-1] + ".py")


def _exists(module: str) -> bool:
    """Whether ``module`` is a module or package of msa (not a name inside one)."""
    path = _path_of(module)
    return path.exists()


def _imports(module: str) -> list[tuple[str, str, int]]:
    """Return (module, name or "", line) for every ``msa`` import in ``module``."""
    tree = ast.parse(_path_of(module).read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "msa" or node.module.startswith("msa."):
                found += [(node.module, alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(a.name, "", node.lineno) for a in node.names if a.name.startswith("msa")]
    return found


@pytest.mark.parametrize("module", _modules())
def test_no_module_imports_a_private_name_of_another_package(module: str):
    """A private module or a private name is used only inside the package that owns it."""
    own = _package_of(module, _path_of(module).name == "__init__.py")
    for target, name, line in _imports(module):
        target_is_package = _path_of(target).name == "__init__.py"
        if name and _exists(f"{target}.{name}"):
            target, name, target_is_package = f"{target}.{name}", "", True
        owner = _package_of(target, target_is_package)
        if _is_private(owner):  # a private module's owner is the package holding it
            owner = owner.rpartition("._")[0] or owner
        private = _is_private(target.removeprefix(owner)) or name.startswith("_")
        if private and owner != own:
            pytest.fail(f"{module} line {line} imports private {target} {name} from {owner}")


@pytest.mark.parametrize("module", [m for m in _modules() if m != "msa"])
def test_no_module_is_hidden_by_a_name_of_its_parent(module: str):
    """``parent.<name>`` is the module itself, never a function or class of the same name."""
    importlib.import_module(module)
    parent, _, name = module.rpartition(".")
    assert getattr(importlib.import_module(parent), name) is importlib.import_module(module)


def test_layer_contract_is_kept():
    """import-linter's layer contract (pyproject.toml) holds: no cycle, no upward import."""
    lint = Path(sys.executable).parent / "lint-imports"
    assert lint.exists(), "import-linter is a dev dependency: pip install -e '.[dev]'"
    done = subprocess.run(
        [str(lint), "--config", str(ROOT / "pyproject.toml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout


def test_ci_checks_layers_and_types():
    """.ci/run runs the layer contract and the type checker on src/ before the tests."""
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert ".venv/bin/lint-imports" in ci
    assert ".venv/bin/mypy" in ci
