"""Model equations of a reconciliation: a small, safe parser for linear and bilinear equations.

An equation is a string that means "= 0" (``"F1 + F2 - F3"``), or two sides joined by one ``=``
(``"F4 = TC34 * F3"``). Terms are sums, differences and products of numbers and quantity names,
with parentheses (``"TC * (F1 + F2)"``) and division by a number (``"F / 2"``). Every term may
hold at most two quantities (bilinear); ``"a * b * c"`` is refused. The text is parsed with
:mod:`ast` and only these node types are accepted; nothing is ever evaluated.

Names
-----
A name written as is must be a Python identifier that is not a keyword, optionally dotted
(``F1``, ``mA5``, ``stock_change``, ``Li.export``). Any other name (a flow id such as
``"Use => Collection"``, a name with spaces, dashes or a leading digit, a keyword such as
``in``) is written between backticks:
``"`Use => Collection` - 0.4 * `Use => Landfill`"``. :func:`quote` does it for you. A name may
not contain a backtick.
"""

from __future__ import annotations

import ast
import keyword
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from msa.errors import DataError

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = ["Equations", "parse_equation", "quote"]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z_0-9]*(\.[A-Za-z_][A-Za-z_0-9]*)*$")
_QUOTED = re.compile(r"`([^`]*)`")

# A polynomial of degree <= 2: monomial (tuple of 0-2 sorted names) -> coefficient.
Poly = dict[tuple[str, ...], float]


def quote(name: str) -> str:
    """Return ``name`` as an equation must write it: bare if an identifier, else in backticks.

    Parameters
    ----------
    name : str
        A quantity name.

    Returns
    -------
    str
        ``name`` itself when it is a (dotted) Python identifier, else ```name```.

    Raises
    ------
    DataError
        If ``name`` is empty or holds a backtick.

    Examples
    --------
    >>> quote("F1")
    'F1'
    >>> quote("Use => Collection")
    '`Use => Collection`'
    """
    if not name or "`" in name:
        raise DataError(f"quantity name {name!r} cannot be used in an equation (empty or '`')")
    plain_name = _IDENTIFIER.match(name) and not any(
        keyword.iskeyword(part) for part in name.split(".")
    )
    return name if plain_name else f"`{name}`"


def parse_equation(text: str, *, where: str = "equation") -> dict[tuple[str, ...], float]:
    """Parse one equation into its polynomial: monomial -> coefficient, "= 0" implied.

    Parameters
    ----------
    text : str
        The equation, e.g. ``"F4 - TC34 * F3"`` or ``"F4 = TC34 * F3"``.
    where : str
        How messages name the equation (e.g. ``"equation 3"``).

    Returns
    -------
    dict
        Maps a sorted tuple of 0, 1 or 2 names (constant, linear, bilinear term) to its
        coefficient; terms that cancel are dropped.

    Raises
    ------
    DataError
        If the text is not an equation of this grammar or a term has degree above 2.

    Examples
    --------
    >>> parse_equation("F4 = TC34 * F3")
    {('F4',): 1.0, ('F3', 'TC34'): -1.0}
    >>> parse_equation("0.4*mV + 2*F - 3")
    {('mV',): 0.4, ('F',): 2.0, (): -3.0}
    """
    quoted: dict[str, str] = {}

    def _substitute(match: re.Match[str]) -> str:
        key = f"__q{len(quoted)}__"
        quoted[key] = match.group(1)
        return key

    body = _QUOTED.sub(_substitute, text)
    if "`" in body:
        raise DataError(f"{where} {text!r} has an unmatched backtick '`'")
    sides = re.split(r"(?<![=!<>])=(?!=)", body)
    if len(sides) > 2:
        raise DataError(f"{where} {text!r} has more than one '='")
    polys = [_parse_side(side, text, where, quoted) for side in sides]
    poly = polys[0] if len(polys) == 1 else _add(polys[0], polys[1], -1.0)
    return {k: v for k, v in poly.items() if v != 0.0}


def _parse_side(side: str, text: str, where: str, quoted: Mapping[str, str]) -> Poly:
    if not side.strip():
        raise DataError(f"{where} {text!r} has an empty side")
    try:
        tree = ast.parse(side.strip(), mode="eval")
    except SyntaxError as err:
        raise DataError(
            f"{where} {text!r} cannot be parsed: {err.msg} (names that are not identifiers "
            "or are Python keywords such as 'in' go in `backticks`)"
        ) from err
    return _Walker(text, where, quoted).visit(tree.body)


class _Walker:
    """Turn an expression tree of +, -, *, / number, numbers and names into a polynomial."""

    def __init__(self, text: str, where: str, quoted: Mapping[str, str]) -> None:
        self.text = text
        self.where = where
        self.quoted = quoted

    def fail(self, what: str) -> DataError:
        return DataError(
            f"{self.where} {self.text!r} cannot be parsed: {what} (allowed: numbers, names, "
            "+, -, *, / by a number, parentheses; quote other names in `backticks`)"
        )

    def visit(self, node: ast.AST) -> Poly:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise self.fail(f"{node.value!r} is not a number")
            return {(): float(node.value)}
        if isinstance(node, ast.Name | ast.Attribute):
            return {(self.name(node),): 1.0}
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            inner = self.visit(node.operand)
            sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
            return {k: sign * v for k, v in inner.items()}
        if isinstance(node, ast.BinOp):
            return self.binop(node)
        raise self.fail(f"{type(node).__name__} is not allowed")

    def binop(self, node: ast.BinOp) -> Poly:
        left, right = self.visit(node.left), self.visit(node.right)
        if isinstance(node.op, ast.Add):
            return _add(left, right, 1.0)
        if isinstance(node.op, ast.Sub):
            return _add(left, right, -1.0)
        if isinstance(node.op, ast.Mult):
            return self.multiply(left, right)
        if isinstance(node.op, ast.Div):
            if set(right) != {()} or right[()] == 0.0:
                raise self.fail("division is only by a non-zero number")
            return {k: v / right[()] for k, v in left.items()}
        raise self.fail(f"operator {type(node.op).__name__} is not allowed")

    def multiply(self, left: Poly, right: Poly) -> Poly:
        out: Poly = {}
        for ka, va in left.items():
            for kb, vb in right.items():
                key = tuple(sorted(ka + kb))
                if len(key) > 2:
                    raise DataError(
                        f"{self.where} {self.text!r} has a term of degree {len(key)} "
                        f"({' * '.join(key)}): equations must be bilinear (at most two "
                        "quantities multiplied)"
                    )
                out[key] = out.get(key, 0.0) + va * vb
        return out

    def name(self, node: ast.AST) -> str:
        if isinstance(node, ast.Name):
            return self.quoted.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            return f"{self.name(node.value)}.{node.attr}"
        raise self.fail(f"{type(node).__name__} is not a name")


def _add(a: Poly, b: Poly, sign: float) -> Poly:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0.0) + sign * v
    return out


@dataclass(frozen=True)
class Equations:
    """Equations compiled over an ordered set of quantity names: residuals and Jacobians.

    The residual of equation ``r`` at values ``v`` is
    ``f_r(v) = c_r + sum_j L_rj v_j + sum_b k_b v_{i_b} v_{j_b}`` over its bilinear terms ``b``.

    Attributes
    ----------
    names : tuple of str
        The quantities, in column order.
    texts : tuple of str
        The equations as given.
    const : numpy.ndarray
        ``c`` (m,).
    linear : scipy.sparse.csr_array
        ``L`` (m, n).
    bilinear : numpy.ndarray
        (b, 3) int array of (row, i, j) and ``bilinear_coef`` (b,) their coefficients.
    """

    names: tuple[str, ...]
    texts: tuple[str, ...]
    const: np.ndarray
    linear: sp.csr_array
    bilinear: np.ndarray
    bilinear_coef: np.ndarray

    @classmethod
    def compile(cls, equations: Sequence[str], names: Iterable[str]) -> Equations:
        """Parse ``equations`` over ``names``; every name an equation uses must be known.

        Parameters
        ----------
        equations : sequence of str
            The equations (see the module docstring for the grammar).
        names : iterable of str
            The quantity names, in the column order of every array.

        Returns
        -------
        Equations

        Raises
        ------
        DataError
            If an equation cannot be parsed, is not bilinear or names an unknown quantity.
        """
        import scipy.sparse as sp

        names = tuple(names)
        index = {name: i for i, name in enumerate(names)}
        if isinstance(equations, str):
            equations = [equations]
        texts = tuple(str(e) for e in equations)
        const = np.zeros(len(texts))
        rows, cols, vals, bil, bil_coef = [], [], [], [], []
        for r, text in enumerate(texts):
            where = f"equation {r + 1}"
            poly = parse_equation(text, where=where)
            for key, coef in poly.items():
                for name in key:
                    if name not in index:
                        raise DataError(
                            f"{where} {text!r} names {name!r}, which is not a quantity "
                            "(add a row for it, or quote a name with spaces in `backticks`)"
                        )
                if len(key) == 0:
                    const[r] += coef
                elif len(key) == 1:
                    rows.append(r)
                    cols.append(index[key[0]])
                    vals.append(coef)
                else:
                    bil.append((r, index[key[0]], index[key[1]]))
                    bil_coef.append(coef)
        linear = sp.csr_array(
            (np.asarray(vals, float), (np.asarray(rows, int), np.asarray(cols, int))),
            shape=(len(texts), len(names)),
        )
        return cls(
            names=names,
            texts=texts,
            const=const,
            linear=linear,
            bilinear=np.asarray(bil, dtype=np.int64).reshape(-1, 3),
            bilinear_coef=np.asarray(bil_coef, float),
        )

    @property
    def shape(self) -> tuple[int, int]:
        """(equations, quantities)."""
        return (len(self.texts), len(self.names))

    def residual(self, values: np.ndarray) -> np.ndarray:
        """Return ``f(values)``: (m,) for values (n,), or (K, m) for values (K, n)."""
        import scipy.sparse as sp

        values = np.asarray(values, float)
        out = self.const + values @ self.linear.T
        if len(self.bilinear_coef):
            r, i, j = self.bilinear.T
            terms = self.bilinear_coef * values[..., i] * values[..., j]
            if values.ndim == 1:
                out = out + np.bincount(r, weights=terms, minlength=self.shape[0])
            else:
                onehot = sp.csr_array(
                    (np.ones(len(r)), (np.arange(len(r)), r)), shape=(len(r), self.shape[0])
                )
                out = out + terms @ onehot
        return out

    def jacobian(self, values: np.ndarray) -> sp.csr_array:
        """Return the sparse Jacobian ``df/dv`` (m, n) at ``values`` (n,)."""
        import scipy.sparse as sp

        if not len(self.bilinear_coef):
            return self.linear
        r, i, j = self.bilinear.T
        k = self.bilinear_coef
        extra = sp.coo_array(
            (
                np.concatenate([k * values[j], k * values[i]]),
                (np.concatenate([r, r]), np.concatenate([i, j])),
            ),
            shape=self.shape,
        )
        return (self.linear + extra.tocsr()).tocsr()

    def term_scale(self, values: np.ndarray) -> np.ndarray:
        """Return, per equation, the sum of the absolute values of its terms (m,)."""
        values = np.nan_to_num(np.asarray(values, float))
        out = np.abs(self.const) + np.abs(values) @ abs(self.linear).T
        if len(self.bilinear_coef):
            r, i, j = self.bilinear.T
            terms = np.abs(self.bilinear_coef * values[..., i] * values[..., j])
            out = out + np.bincount(r, weights=terms, minlength=self.shape[0])
        return out

    def is_linear_given(self, fixed: np.ndarray) -> bool:
        """Return True if every bilinear term holds at least one quantity marked ``fixed``."""
        if not len(self.bilinear_coef):
            return True
        _, i, j = self.bilinear.T
        return bool(np.all(fixed[i] | fixed[j]))
