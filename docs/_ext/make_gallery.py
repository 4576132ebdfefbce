"""Regenerate the gallery's images (docs/img/gallery/) from runs of the shipped models.

Run from the repository root: ``.venv/bin/python docs/_ext/make_gallery.py``. It runs each
model's baseline with ``msa run`` into a temporary folder and copies the figures the gallery
page shows (docs/gallery.md). Not part of the site build: the images are kept in the
repository, so the build does not run four models.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GALLERY = ROOT / "docs" / "img" / "gallery"

#: model folder -> (title, {figure of its run (figures/<name>.png): caption}).
FIGURES: dict[str, tuple[str, dict[str, str]]] = {
    "ev_batteries_nl": (
        "EV traction batteries in the Netherlands",
        {
            "sankey_pga_2030": "The PGA Sankey of 2030: raw material use, the fleet and its net "
            "addition, discarded batteries, recycling and losses; what the view leaves out of a "
            "node is drawn pale grey to Not in this view.",
            "secondary_vs_demand": "Material in new batteries against secondary supply from "
            "recycling.",
            "stock_by_material": "The urban mine by material.",
        },
    ),
    "pv_panels_nl": (
        "Solar PV panels in the Netherlands",
        {
            "sankey_pga_2050": "The PGA Sankey of 2050.",
            "sankey_2050": "The Sankey of the model's own processes, 2050.",
            "stocks": "The installed stock over time.",
        },
    ),
    "nl_national": (
        "The Dutch economy in JRC codes",
        {
            "sankey_icer_national_2022": "The ICER national view of 2022.",
        },
    ),
    "msa_example": (
        "A small MSA table (illustrative lithium data that close every stage)",
        {
            "sankey_jrc_2022": "The JRC chain, 2022.",
            "sankey_pga_2022": "The PGA view, 2022.",
        },
    ),
}


#: Dutch figures drawn with ``msa sankey MODEL --lang nl --preset PRESET`` (the runs draw in
#: English): model -> [(view, year, preset, caption)]; saved as ``sankey_<view>_<year>_nl``.
DUTCH: dict[str, list[tuple[str, int, str, str]]] = {
    "nl_national": [
        (
            "icer_national",
            2022,
            "a4-portrait",
            "De ICER nationale weergave van 2022, in het Nederlands.",
        ),
    ],
    "msa_example": [
        ("pga", 2022, "a4-portrait", "De PGA-weergave van 2022, in het Nederlands."),
    ],
}


def image(model: str, figure: str) -> Path:
    """Return the path of a gallery image."""
    return GALLERY / f"{model}_{figure}.png"


def main() -> int:
    """Run each model and copy its gallery figures; return 1 if any model or figure failed."""
    msa = Path(sys.executable).parent / "msa"
    GALLERY.mkdir(parents=True, exist_ok=True)
    failed = []
    with tempfile.TemporaryDirectory() as folder:
        for model, (_, figures) in FIGURES.items():
            out = Path(folder) / model
            done = subprocess.run(
                [str(msa), "run", str(ROOT / "models" / model), "--out", str(out), "--quiet"]
            )
            if done.returncode != 0:
                failed.append(model)
                continue
            for name in figures:
                source = out / "figures" / f"{name}.png"
                if not source.exists():
                    found = sorted(p.name for p in (out / "figures").glob("*.png"))
                    print(f"{model}: no {source.name}; the run drew {found}", file=sys.stderr)
                    failed.append(f"{model}/{name}")
                    continue
                shutil.copyfile(source, image(model, name))
                print(f"wrote {image(model, name)}")
        for model, figures_nl in DUTCH.items():
            for view, year, preset, _ in figures_nl:
                out = Path(folder) / f"{model}_nl"
                name = f"sankey_{view}_{year}"
                done = subprocess.run(
                    [str(msa), "sankey", str(ROOT / "models" / model), "--view", view]
                    + ["--year", str(year), "--lang", "nl", "--preset", preset]
                    + ["--format", "png", "--out", str(out), "--force"]
                )
                if done.returncode != 0:
                    failed.append(f"{model}/{name} (nl)")
                    continue
                shutil.copyfile(out / f"{name}.png", image(model, f"{name}_nl"))
                print(f"wrote {image(model, f'{name}_nl')}")
    if failed:
        print(f"not regenerated: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
