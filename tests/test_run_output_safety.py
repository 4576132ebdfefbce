"""`msa run --out`: never into, over or around the model folder; --force replaces only msa runs."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

import msa
import msa.model.run as run_module
from msa.cli import main

EV = Path(__file__).resolve().parents[1] / "models" / "ev_batteries_nl"


@pytest.fixture
def mini(tiny_model: Callable[..., Path]) -> Path:
    """Return the tiny declared model (scenarios baseline and double) in folder ``mini``."""
    return tiny_model("mini")


@pytest.fixture
def no_compute(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make reading or building a model fail: a refusal must come before either."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"model {args[0]} was read or built although the output is refused")

    monkeypatch.setattr(run_module, "load_definition", refuse)
    monkeypatch.setattr(run_module, "build_model", refuse)


def test_no_compute_guard_catches_a_run(mini: Path, tmp_path: Path, no_compute: None) -> None:
    """The guard bites: a run that is not refused reads the model, and fails, writing nothing."""
    with pytest.raises(AssertionError, match=r"was read or built although the output is refused"):
        msa.run_model(mini, tmp_path / "fresh")
    assert not (tmp_path / "fresh").exists()


def _snapshot(root: Path) -> dict[str, bytes | str]:
    """Map every path under ``root`` (itself included) to its bytes, link target or 'dir'."""
    found: dict[str, bytes | str] = {}
    for path in [root, *sorted(root.rglob("*"))]:
        key = str(path.relative_to(root))
        if path.is_symlink():
            found[key] = "link:" + os.readlink(path)
        elif path.is_dir():
            found[key] = "dir"
        else:
            found[key] = path.read_bytes()
    return found


def _hidden(*folders: Path) -> list[str]:
    """Return the temporary folders of msa (``.NAME.tmp-*``, ``.NAME.old-*``) in ``folders``."""
    return [
        p.name
        for f in folders
        if f.is_dir()
        for p in f.iterdir()
        if p.name.startswith(".") and (".tmp-" in p.name or ".old-" in p.name)
    ]


def _cli_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run the CLI, expect exit code 2 and return its single stderr line."""
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("msa: error: ")
    return lines[0]


def _refused(
    model: Path,
    out: str | Path,
    error: type[msa.MsaError],
    match: str,
    *,
    force: bool = True,
    watch: Path | None = None,
) -> None:
    """Expect run_model to refuse; the model (and ``watch``) unchanged, no temporary folder."""
    roots = [model] + ([watch] if watch is not None else [])
    before = [_snapshot(r) for r in roots]
    with pytest.raises(error, match=match):
        msa.run_model(model, out, force=force)
    assert [_snapshot(r) for r in roots] == before
    assert _hidden(model.parent, model, Path(out).parent) == []


@pytest.mark.parametrize("force", [False, True])
def test_cli_out_is_model_folder(
    mini: Path, force: bool, no_compute: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """`msa run M --out M` (with or without --force) is one error line; M is untouched."""
    before = _snapshot(mini)
    argv = ["run", str(mini), "--out", str(mini)] + (["--force"] if force else [])
    line = _cli_error(argv, capsys)
    assert f"output folder {mini} is the model folder {mini.resolve()}" in line
    assert "choose an output folder outside the model" in line
    assert _snapshot(mini) == before
    assert _hidden(mini.parent, mini) == []


def test_cli_out_is_ev_model_folder_with_force(
    tmp_path: Path, no_compute: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """The EV model run into its own folder with --force keeps model.toml, model.py, data/."""
    ev = tmp_path / "ev"
    shutil.copytree(EV, ev, ignore=shutil.ignore_patterns("__pycache__"))
    before = _snapshot(ev)
    line = _cli_error(["run", str(ev), "--out", str(ev), "--force"], capsys)
    assert "is the model folder" in line
    assert _snapshot(ev) == before
    assert (ev / "model.toml").is_file() and (ev / "model.py").is_file()
    assert (ev / "data" / "registrations.csv").is_file()


def test_model_toml_path_and_out_is_its_folder(mini: Path, no_compute: None) -> None:
    """A model given by its model.toml is protected like a model given by its folder."""
    before = _snapshot(mini)
    with pytest.raises(msa.ConfigError, match=r"is the model folder"):
        msa.run_model(mini / "model.toml", mini, force=True)
    assert _snapshot(mini) == before


def test_out_is_parent_of_model(mini: Path, tmp_path: Path, no_compute: None) -> None:
    """An output folder holding the model folder is refused, even with --force."""
    _refused(mini, tmp_path, msa.ConfigError, r"contains the model folder", watch=tmp_path)


def test_out_dot_contains_model(
    mini: Path, tmp_path: Path, no_compute: None, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """`--out .` from the model's parent folder is refused (relative path, via the CLI)."""
    monkeypatch.chdir(tmp_path)
    before = _snapshot(tmp_path)
    line = _cli_error(["run", "mini", "--out", ".", "--force"], capsys)
    assert f"({tmp_path.resolve()}) contains the model folder {mini.resolve()}" in line
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("sub", ["out", "data", "data/new/deeper"])
def test_out_inside_model(mini: Path, sub: str, no_compute: None) -> None:
    """An output folder inside the model folder (new or existing) is refused, nothing made."""
    _refused(mini, mini / sub, msa.ConfigError, r"is inside the model folder")
    assert not (mini / "out").exists() and not (mini / "data" / "new").exists()


def test_relative_path_resolving_to_model(
    mini: Path, no_compute: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Relative paths with `..` that resolve to the model folder are refused."""
    monkeypatch.chdir(mini / "data")
    _refused(mini, "..", msa.ConfigError, r"is the model folder")
    _refused(mini, "../data/../../mini", msa.ConfigError, r"is the model folder")
    _refused(Path("../../mini"), "../", msa.ConfigError, r"is the model folder")


def test_symlink_resolving_to_model(mini: Path, tmp_path: Path, no_compute: None) -> None:
    """A symlinked --out pointing at (or into) the model folder is refused; the link stays."""
    link = tmp_path / "link"
    link.symlink_to(mini, target_is_directory=True)
    _refused(mini, link, msa.ConfigError, r"is the model folder")
    _refused(mini, link / "data", msa.ConfigError, r"is inside the model folder")
    assert link.is_symlink() and (link / "model.toml").is_file()


def test_symlinked_model_and_real_out(mini: Path, tmp_path: Path, no_compute: None) -> None:
    """A model given through a symlink is compared by its real folder."""
    link = tmp_path / "model_link"
    link.symlink_to(mini, target_is_directory=True)
    _refused(link, mini, msa.ConfigError, r"is the model folder")


@pytest.mark.parametrize("force", [False, True])
def test_force_over_foreign_file(mini: Path, tmp_path: Path, force: bool, no_compute) -> None:
    """A folder with a user's file is refused with or without --force; the file is intact."""
    out = tmp_path / "results"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    match = re.escape(f"output folder {out} holds 'keep.txt', which msa did not write")
    _refused(mini, out, msa.OutputExistsError, match, force=force, watch=out)
    assert (out / "keep.txt").read_text(encoding="utf-8") == "mine"


def test_cli_force_over_foreign_folder(
    mini: Path, tmp_path: Path, no_compute: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Via the CLI, --force over another project's folder is one line naming folder and file."""
    out = tmp_path / "project"
    (out / "src").mkdir(parents=True)
    (out / "README.md").write_text("other project", encoding="utf-8")
    before = _snapshot(out)
    line = _cli_error(["run", str(mini), "--out", str(out), "--force"], capsys)
    assert f"output folder {out} holds 'README.md'" in line
    assert _snapshot(out) == before


@pytest.mark.chromium
@pytest.mark.usefixtures("image_server")
def test_force_over_run_folder_with_user_file(mini: Path, tmp_path: Path) -> None:
    """A run folder a user added a file to is not msa's alone: --force refuses it."""
    out = tmp_path / "out"
    msa.run_model(mini, out)
    (out / "notes.txt").write_text("my notes", encoding="utf-8")
    _refused(mini, out, msa.OutputExistsError, r"holds 'notes.txt'", watch=out)


def test_force_over_fake_manifest(mini: Path, tmp_path: Path, no_compute: None) -> None:
    """A manifest.json msa did not write does not make a folder replaceable."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text('{"name": "npm package"}', encoding="utf-8")
    _refused(mini, out, msa.OutputExistsError, r"holds 'manifest.json'", watch=out)


@pytest.mark.chromium
@pytest.mark.usefixtures("image_server")
def test_force_replaces_previous_run(mini: Path, tmp_path: Path) -> None:
    """--force replaces an earlier msa run folder; without it the run is refused."""
    out = tmp_path / "out"
    msa.run_model(mini, out)
    first = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert first["scenario"] == "baseline"
    _refused(mini, out, msa.OutputExistsError, r"pass --force to replace it", force=False)
    assert msa.run_model(mini, out, scenarios=["double"], force=True) == [out]
    second = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert second["scenario"] == "double"
    assert _hidden(tmp_path) == []


@pytest.mark.chromium
@pytest.mark.usefixtures("image_server")
def test_force_replaces_nested_scenario_runs(
    mini: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--force replaces a folder of per-scenario run folders (the `-s all` layout)."""
    out = tmp_path / "out"
    assert main(["run", str(mini), "--out", str(out), "-s", "all"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["baseline", "double"]
    assert main(["run", str(mini), "--out", str(out), "-s", "double", "--force"]) == 0
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["scenario"] == "double"
    assert not (out / "baseline").exists()
    assert _hidden(tmp_path) == []
    capsys.readouterr()


@pytest.mark.chromium
@pytest.mark.usefixtures("image_server")
def test_force_over_nested_runs_with_foreign_entry(mini: Path, tmp_path: Path) -> None:
    """A user's file anywhere in the scenario folders is named, and --force refuses them."""
    out = tmp_path / "out"
    msa.run_model(mini, out, scenarios=["all"])
    (out / "baseline" / "figures" / "mine.png").write_bytes(b"png")  # inside msa's figures/
    _refused(mini, out, msa.OutputExistsError, r"holds 'baseline/figures/mine.png',", watch=out)
    (out / "zz_user").mkdir()
    (out / "zz_user" / "x.csv").write_text("a\n1\n", encoding="utf-8")
    match = r"holds 'baseline/figures/mine.png', 'zz_user', which msa did not write"
    _refused(mini, out, msa.OutputExistsError, match, watch=out)
    (out / "baseline" / "figures" / "mine.png").unlink()
    (out / "zz_user" / "x.csv").unlink()
    (out / "zz_user").rmdir()
    (out / "double" / "extra.txt").write_text("mine", encoding="utf-8")
    _refused(mini, out, msa.OutputExistsError, r"holds 'double/extra.txt'", watch=out)
    (out / "double" / "extra.txt").unlink()
    for extra in ("a.txt", "b.txt", "c.txt", "d.txt"):
        (out / "double" / "tables" / extra).write_text("mine", encoding="utf-8")
    match = r"holds 'double/tables/a.txt', 'double/tables/b.txt', 'double/tables/c.txt' \(and 1"
    _refused(mini, out, msa.OutputExistsError, match, watch=out)


@pytest.mark.chromium
@pytest.mark.usefixtures("image_server")
def test_manifest_lists_every_file_written(mini: Path, tmp_path: Path) -> None:
    """manifest.json lists every file of the run folder: what --force may replace."""
    out = tmp_path / "out"
    msa.run_model(mini, out)
    listed = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["files"]
    found = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert listed == [f for f in found if f != "manifest.json"]
    assert {"system.nc", "headline.csv", "report.html"} <= set(listed)
    assert any(f.startswith("figures/") for f in listed)


@pytest.mark.parametrize("force", [False, True])
def test_file_in_the_way(mini: Path, tmp_path: Path, force: bool, no_compute: None) -> None:
    """A file (or a broken symlink) at the output path is refused and left as it is."""
    out = tmp_path / "out"
    out.write_text("not a folder", encoding="utf-8")
    _refused(mini, out, msa.OutputExistsError, r"exists and is not a folder", force=force)
    assert out.read_text(encoding="utf-8") == "not a folder"
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    _refused(mini, dangling, msa.OutputExistsError, r"is not a folder", force=force)
    assert dangling.is_symlink() and not (tmp_path / "nowhere").exists()


@pytest.mark.chromium
@pytest.mark.usefixtures("image_server")
def test_symlinked_out_to_previous_run_is_written_through(mini: Path, tmp_path: Path) -> None:
    """--force through a symlink to an earlier run replaces the run and keeps the link."""
    real = tmp_path / "real"
    msa.run_model(mini, real)
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    msa.run_model(mini, link, scenarios=["double"], force=True)
    assert link.is_symlink()
    assert json.loads((real / "manifest.json").read_text(encoding="utf-8"))["scenario"] == "double"
    assert _hidden(tmp_path) == []


def test_no_temporary_folder_after_refusal(mini: Path, tmp_path: Path, no_compute) -> None:
    """Refusals of every kind leave no `.X.tmp-*` folder beside the output or the model."""
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "f.txt").write_text("f", encoding="utf-8")
    for out in (mini, tmp_path, mini / "sub", tmp_path / "foreign"):
        with pytest.raises(msa.MsaError):
            msa.run_model(mini, out, force=True)
    assert _hidden(tmp_path, mini, tmp_path / "foreign") == []
    assert not (mini / "sub").exists()
