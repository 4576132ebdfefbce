"""Units of model inputs: parse, multiply and convert unit strings with pint.

Model tables and parameters declare their units (``MWp``, ``t/MWp``, ``kWh/vehicle``, ``1``);
a table row in other but convertible units is converted (``Wh/vehicle`` to ``kWh/vehicle`` is a
factor 0.001), a row in incompatible units is an error. pint's own registry is extended with the
units material flow models use that it lacks: watt-peak (``Wp``, with every SI prefix: ``MWp``),
and counts of things (``vehicle``, ``panel``, ``item``). pint reads ``kt`` as knot; write
``kilotonne``, and a mass flow declared in ``kt`` fails the check instead of being misread.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from msa.errors import ConfigError

if TYPE_CHECKING:
    import pint

__all__ = ["conversion_factor", "is_dimensionless", "product_units", "registry"]


@functools.cache
def registry() -> pint.UnitRegistry:
    """Return msa's unit registry (pint's defaults plus watt-peak and counts)."""
    import pint

    ureg: pint.UnitRegistry = pint.UnitRegistry()
    ureg.define("Wp = watt")
    ureg.define("vehicle = [vehicle_count] = vehicles")
    ureg.define("panel = [panel_count] = panels")
    ureg.define("item = [item_count] = items")
    return ureg


def _parse(units: str, where: str) -> pint.Unit:
    text = units.strip()
    if text in ("", "1", "-"):
        return registry().dimensionless
    try:
        return registry().Unit(text)
    except Exception as err:  # pint raises several unrelated classes for a bad string
        raise ConfigError(f"{where}: unknown units {units!r} ({err})") from err


def conversion_factor(given: str, declared: str, *, where: str) -> float:
    """Return the factor that converts a value in ``given`` units into ``declared`` units.

    Parameters
    ----------
    given, declared : str
        Unit strings (``"Wh/vehicle"``, ``"kWh/vehicle"``; ``"1"`` or ``""`` is dimensionless).
    where : str
        Names the place at fault in an error (file, row and column).

    Returns
    -------
    float
        1.0 for equal units.

    Raises
    ------
    msa.ConfigError
        If a string is not a unit or the two are not convertible.

    Examples
    --------
    >>> conversion_factor("Wh/vehicle", "kWh/vehicle", where="battery.csv row 2")
    0.001
    >>> conversion_factor("kg/kWp", "t/MWp", where="mass.csv row 2")
    1.0
    """
    if given.strip() == declared.strip():
        return 1.0
    source, target = _parse(given, where), _parse(declared, where)
    try:
        factor = float(registry().Quantity(1.0, source).to(target).magnitude)
    except Exception as err:  # pint.DimensionalityError
        raise ConfigError(
            f"{where}: units {given!r} cannot be converted to the declared {declared!r}"
        ) from err
    return round(factor, 12) if abs(factor - round(factor, 12)) < 1e-15 else factor


def product_units(parts: list[str], *, where: str) -> str:
    """Return the units of a product of quantities in ``parts`` units, as a pint string.

    Examples
    --------
    >>> conversion_factor(product_units(["MWp", "t/MWp", "1"], where="x"), "t", where="x")
    1.0
    """
    unit = registry().dimensionless
    for part in parts:
        unit = unit * _parse(part, where)
    return str(unit) if unit != registry().dimensionless else "1"


def is_dimensionless(units: str, *, where: str) -> bool:
    """Return whether ``units`` is a pure number (a share, a rate, a factor)."""
    return bool(_parse(units, where).dimensionless)
