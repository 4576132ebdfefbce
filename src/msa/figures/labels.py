"""Words, numbers and colours of the Sankey figures (English and Dutch).

Palettes are Paul Tol's colour-blind safe schemes (muted for stages, bright for materials,
vibrant for flow types, high-contrast and vibrant for grades, the sequential YlOrBr for
effects; https://personal.sron.nl/~pault/). Colour carries one meaning per figure: stage,
material, flow type, data-quality grade or environmental effect.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, Literal

from msa.errors import ConfigError

__all__ = [
    "EFFECT_COLORS",
    "EFFECT_NONE",
    "EFFECT_UNKNOWN",
    "FLOW_TYPES",
    "GRADE_COLORS",
    "LANGS",
    "STAGE_COLORS",
    "Lang",
    "checked_lang",
    "colors_for",
    "display_units",
    "format_value",
    "rgba",
    "status_name",
    "text",
]

#: A language of the figures' words and number format.
Lang = Literal["en", "nl"]
#: Every :data:`Lang`, in the order error messages name them.
LANGS: tuple[Lang, ...] = ("en", "nl")

#: Colour of each JRC stage (Tol muted); ``None`` is for nodes without a stage (boundaries).
STAGE_COLORS: dict[str | None, str] = {
    "Exploration": "#882255",
    "Extraction": "#AA4499",
    "Processing": "#332288",
    "Manufacture": "#88CCEE",
    "Use": "#117733",
    "Collection": "#DDCC77",
    "Recycling": "#44AA99",
    None: "#999999",
}
#: Colour of each flow type (Tol vibrant, chosen apart from the stage colours of the nodes:
#: blue primary, teal secondary, red loss, grey trade across the boundary, orange stock change;
#: pale grey for what a view leaves out of a node, msa.jrc_msa.scope_gaps).
FLOW_TYPES: dict[str, str] = {
    "primary": "#0077BB",
    "secondary": "#009988",
    "loss": "#CC3311",
    "trade": "#BBBBBB",
    "stock": "#EE7733",
    "scope": "#DDDDDD",
}
#: Colour of each JRC data-quality grade, from cool to warm as the data weaken: dark blue A
#: taken from the source, cyan B inter- or extrapolated, yellow C an estimate, red D an
#: assumption; grey ``""`` for ungraded, which counts as worst (msa.system.provenance). Tol's
#: high-contrast blue, vibrant cyan and red, and Tol's light yellow for C: the high-contrast
#: yellow (#DDAA33) has the lightness of cyan B, so B and C merged in grey print (adjacent
#: grades now differ by >= 10 L*). The pairs were chosen to stay apart for deuteranope,
#: protanope and tritanope vision at the links' opacity of 0.5 (CIELAB distance >= 16 with
#: #DDAA33; Tol vibrant orange and red for C and D fall to 10 for a deuteranope).
GRADE_COLORS: dict[str, str] = {
    "A": "#004488",
    "B": "#33BBEE",
    "C": "#EECC66",
    "D": "#CC3311",
    "": "#BBBBBB",
}
#: Colours of the effect bins, light to dark: Paul Tol's sequential YlOrBr (colour-blind safe,
#: also in grey print), its five darker steps of nine (the two palest vanish on white).
EFFECT_COLORS: tuple[str, ...] = ("#FEE391", "#FEC44F", "#FB9A29", "#CC4C02", "#662506")
#: Colour of a link that carries no effect (0): grey, outside the sequential scale.
EFFECT_NONE = "#BBBBBB"
#: Colour of a link whose effect is not known (NaN: no factor): Tol's "bad data" grey of YlOrBr.
EFFECT_UNKNOWN = "#888888"
_MATERIAL_PALETTE = ("#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377", "#BBBBBB")
NEUTRAL = "#6E6E6E"

_TEXT = {
    "stock_of": {"en": "Stock: {}", "nl": "Voorraad: {}"},
    "addition": {"en": "net addition to stock", "nl": "netto toename voorraad"},
    "depletion": {"en": "depletion", "nl": "afname"},
    "net": {"en": "net", "nl": "netto"},
    "as_source": {"en": "{} (supplies)", "nl": "{} (levert)"},
    "as_sink": {"en": "{} (receives)", "nl": "{} (ontvangt)"},
    "small": {
        "en": "Too thin to see at this scale (< {px}), kept in the data: {items}",
        "nl": "Te dun om te zien op deze schaal (< {px}), wel in de data: {items}",
    },
    "uncertain": {
        "en": "Mapping not settled ('?'): {items}",
        "nl": "Toewijzing niet vastgesteld ('?'): {items}",
    },
    "zero": {"en": "zero this year: {items}", "nl": "nul dit jaar: {items}"},
    "more": {"en": "and {n} more", "nl": "en nog {n}"},
    "scale": {"en": "scale: {value} per px", "nl": "schaal: {value} per px"},
    "scale_series": {
        "en": "scale: {value} per px, the same in every figure of this series ({items}): "
        "equal widths and scale bars are equal flows",
        "nl": "schaal: {value} per px, gelijk in alle figuren van deze reeks ({items}): "
        "gelijke breedte en schaalbalk zijn gelijke stromen",
    },
    "stage": {"en": "Stage", "nl": "Fase"},
    "node_stage": {"en": "Nodes by stage", "nl": "Knopen per fase"},
    "material": {"en": "Material", "nl": "Materiaal"},
    "flow_type": {"en": "Flow type", "nl": "Soort stroom"},
    "primary": {"en": "primary", "nl": "primair"},
    "secondary": {"en": "secondary", "nl": "secundair"},
    "loss": {"en": "loss", "nl": "verlies"},
    "trade": {"en": "trade", "nl": "handel"},
    "stock": {"en": "stock change", "nl": "voorraadverandering"},
    "scope": {"en": "not in this view", "nl": "buiten deze weergave"},
    "other": {"en": "outside the chain", "nl": "buiten de keten"},
    "grade": {
        "en": "Data quality (worst grade the link rests on)",
        "nl": "Datakwaliteit (slechtste klasse waarop de stroom rust)",
    },
    "grade_A": {"en": "A from source", "nl": "A uit bron"},
    "grade_B": {"en": "B inter-/extrapolated", "nl": "B inter-/extrapolatie"},
    "grade_C": {"en": "C estimate", "nl": "C schatting"},
    "grade_D": {"en": "D assumption", "nl": "D aanname"},
    "grade_": {"en": "ungraded", "nl": "zonder klasse"},
    "effect": {"en": "Effect carried", "nl": "Effect"},
    "effect_none": {"en": "none (0)", "nl": "geen (0)"},
    "effect_unknown": {"en": "not assessed", "nl": "niet bepaald"},
    "link_range": {
        "en": "Link labels: median (5th\u201395th percentile)",
        "nl": "Stroomlabels: mediaan (5e\u201395e percentiel)",
    },
    "link_sd": {
        "en": "Link labels: value \u00b1 standard deviation",
        "nl": "Stroomlabels: waarde \u00b1 standaardafwijking",
    },
    "link_left_out": {
        "en": "Link labels left out for lack of room ({n}; hover over a link for its label): "
        "{items}",
        "nl": "Stroomlabels weggelaten wegens plaatsgebrek ({n}; beweeg over een stroom voor "
        "het label): {items}",
    },
    "link_no_range": {
        "en": "Value without range ({n}): these bands merge rows (e.g. by material or region), "
        "whose percentiles do not combine: {items}",
        "nl": "Waarde zonder bereik ({n}): deze stromen voegen rijen samen (bijv. per materiaal "
        "of regio), waarvan de percentielen niet te combineren zijn: {items}",
    },
    "link_unknown": {
        "en": "Value without {what} ({n}): none in the links table: {items}",
        "nl": "Waarde zonder {what} ({n}): niet in de stromentabel: {items}",
    },
    "range": {"en": "range", "nl": "bereik"},
    "sd": {"en": "sd", "nl": "sd"},
    # hover fields of a link (the links table's column names in English)
    "hover_material": {"en": "material", "nl": "materiaal"},
    "hover_jrc_codes": {"en": "jrc_codes", "nl": "JRC-codes"},
    "hover_status": {"en": "status", "nl": "status"},
    "hover_grade": {"en": "grade", "nl": "klasse"},
    "hover_effect": {"en": "effect", "nl": "effect"},
}
#: Dutch of a view's mapping status (msa.jrc_msa.STATUSES) and of its scope gaps, on hover.
_STATUS_NL = {
    "in scope": "in de weergave",
    "inside a node": "binnen een knoop",
    "out of scope": "buiten de weergave",
    "uncertain": "niet vastgesteld",
    "not in this view": "buiten deze weergave",
}
_STAGE_NL = {
    "Exploration": "Exploratie",
    "Extraction": "Winning",
    "Processing": "Verwerking",
    "Manufacture": "Fabricage",
    "Use": "Gebruik",
    "Collection": "Inzameling",
    "Recycling": "Recycling",
}


def checked_lang(lang: str) -> Lang:
    """Return ``lang`` as a :data:`Lang` after checking it is one.

    Parameters
    ----------
    lang : str
        A language code from the caller (a keyword argument, a CLI option).

    Returns
    -------
    Lang
        The same code, narrowed for the type checker.

    Raises
    ------
    ConfigError
        ``lang`` is not ``"en"`` or ``"nl"``.

    Examples
    --------
    >>> checked_lang("nl")
    'nl'
    """
    for known in LANGS:
        if lang == known:
            return known
    raise ConfigError(f"lang must be 'en' or 'nl' (got {lang!r})")


def text(key: str, lang: str) -> str:
    """Return the phrase ``key`` in ``lang`` ("en" or "nl")."""
    return _TEXT[key][lang]


def stage_name(stage: str | None, lang: str) -> str:
    """Display name of a JRC stage (``None``: outside the chain)."""
    if stage is None:
        return text("other", lang)
    return _STAGE_NL.get(stage, stage) if lang == "nl" else stage


def status_name(status: str, lang: str) -> str:
    """Display name of a mapping status in ``lang`` (an unknown status is shown as given).

    Examples
    --------
    >>> status_name("uncertain", "nl")
    'niet vastgesteld'
    >>> status_name("?", "nl")
    '?'
    """
    return _STATUS_NL.get(status, status) if lang == "nl" else status


def format_value(
    value: float, units: str, lang: str = "en", digits: int = 3, *, decimals: int | None = None
) -> str:
    """Format a quantity with ``digits`` significant digits, thousands grouped, and its unit.

    Dutch uses a point to group thousands and a comma for decimals. With ``decimals``, the
    value is rounded to that many decimals instead, trailing zeros kept (a standard deviation
    shown to the decimals of its value); negative ``decimals`` round to tens, hundreds, ...

    Examples
    --------
    >>> format_value(12345.6, "t")
    '12,300 t'
    >>> format_value(12345.6, "t", "nl")
    '12.300 t'
    >>> format_value(0.012345, "t")
    '0.0123 t'
    >>> format_value(20.0, "t")
    '20 t'
    >>> format_value(0.0, "t")
    '0 t'
    >>> format_value(0.84, "t", "nl", decimals=1)
    '0,8 t'
    >>> format_value(197003.0, "t", decimals=-3)
    '197,000 t'

    Below a thousandth and from a million million on, a power of ten:

    >>> format_value(1.234e-7, "t")
    '1.23 × 10⁻⁷ t'
    >>> format_value(2.5e15, "kg", "nl")
    '2,5 × 10¹⁵ kg'
    """
    if decimals is not None and math.isfinite(value):
        number = f"{round(value, decimals):,.{max(decimals, 0)}f}"
        if lang == "nl":
            number = number.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    elif value == 0 or not math.isfinite(value):
        number = "0" if value == 0 else str(value)
    else:
        magnitude = int(f"{value:.{digits - 1}e}".split("e")[1])  # once rounded
        if not _PLAIN_MAGNITUDES[0] <= magnitude < _PLAIN_MAGNITUDES[1]:
            return f"{_powers_of_ten(value, digits, lang)} {units}".strip()
        decimals = max(digits - 1 - magnitude, 0)
        rounded = round(value, digits - 1 - magnitude)
        number = f"{rounded:,.{decimals}f}"
        if "." in number:
            number = number.rstrip("0").rstrip(".")
        if lang == "nl":
            number = number.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return f"{number} {units}".strip()


#: Orders of magnitude written out in full (0.00123 to 999,000,000,000); smaller and larger
#: values are written with a power of ten.
_PLAIN_MAGNITUDES = (-3, 12)
_SUPERSCRIPTS = str.maketrans(
    "-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"
)


def _powers_of_ten(value: float, digits: int, lang: str) -> str:
    """Return ``value`` as a mantissa of ``digits`` significant digits times a power of ten."""
    mantissa, exponent = f"{value:.{digits - 1}e}".split("e")  # Python rounds: 9.996e-5 -> 1.00e-04
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    if lang == "nl":
        mantissa = mantissa.replace(".", ",")
    return f"{mantissa} \u00d7 10{str(int(exponent)).translate(_SUPERSCRIPTS)}"


def display_units(units: str, largest: float) -> tuple[str, float]:
    """Return the unit figures show values in, and the divisor from the data's unit.

    Tonnes stay tonnes up to ten million; above, the whole figure is in megatonnes, as
    national accounts publish them (``415 Mt``, not ``415,000,000 t``).

    Examples
    --------
    >>> display_units("t", 4.15e8)
    ('Mt', 1000000.0)
    >>> display_units("t", 98500.0)
    ('t', 1.0)
    """
    if units == "t" and largest >= 1e7:
        return "Mt", 1e6
    return units, 1.0


def rgba(color: str, alpha: float) -> str:
    """Turn ``#RRGGBB`` into an ``rgba(r,g,b,alpha)`` string.

    Examples
    --------
    >>> rgba("#117733", 0.5)
    'rgba(17,119,51,0.5)'
    """
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha:g})"


def colors_for(items: Iterable[str]) -> dict[str, str]:
    """Assign the categorical palette to ``items`` in order of first appearance (cycling)."""
    unique = list(dict.fromkeys(items))
    return {item: _MATERIAL_PALETTE[i % len(_MATERIAL_PALETTE)] for i, item in enumerate(unique)}


_MASS_BASIS = {
    "en": ("{materials}; {units} of {basis}", "{materials}; {units}, mass basis not stated"),
    "nl": ("{materials}; {units} {basis}", "{materials}; {units}, massabasis niet vermeld"),
}


def default_subtitle(system: Any, lang: str, color_by: str = "flow_type", units: str = "t") -> str:
    """Return a Sankey's default subtitle: the materials counted and the mass basis.

    The basis is the System's ``attrs["mass_basis"]`` (``attrs["mass_basis_nl"]`` in Dutch;
    ``[model] mass_basis`` of a declared model, e.g. "element mass"); without one the subtitle
    says it is not stated rather than leave the reader to guess what a tonne counts.

    Parameters
    ----------
    system : System
        The System drawn (its ``material`` coordinates and ``attrs``).
    lang : {"en", "nl"}
        Language of the figure.
    color_by : str, default "flow_type"
        The figure's colour meaning: several materials are "(summed)" unless coloured apart.
    units : str, default "t"
        Unit of the drawn flows.

    Returns
    -------
    str

    Examples
    --------
    >>> import msa
    >>> system = msa.load_example()
    >>> default_subtitle(system, "en")
    'Co, Li (summed); t, mass basis not stated'
    >>> system.attrs["mass_basis_nl"] = "elementmassa"
    >>> default_subtitle(system, "nl", color_by="material")
    'Co, Li; t elementmassa'

    Material names are in the figure's language where ``msa/data/material_names.csv`` has
    them (``glass`` is *glas* in Dutch); chemical symbols stay as they are.
    """
    from msa.figures._materials import material_label

    nl = checked_lang(lang) == "nl"
    found = system.coords["material"] if "material" in system.dims else []
    everything = "alle materialen" if nl else "all materials"
    materials = [material_label(str(m), "nl" if nl else "en") for m in found]
    joined = ", ".join(materials) or everything
    if len(materials) > 1 and color_by != "material":
        joined += " (opgeteld)" if nl else " (summed)"
    basis = system.attrs.get("mass_basis_nl" if nl else "mass_basis")
    with_basis, without = _MASS_BASIS["nl" if nl else "en"]
    return (with_basis if basis else without).format(materials=joined, units=units, basis=basis)
