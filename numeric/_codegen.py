"""Code generation: derivation results -> vectorised NumPy functions, via ``sympy.lambdify(cse=True)``.

A result over a sample (sums over i = 1..N of expressions in x_i) becomes a function of an array whose last
axis is the sample: each sum is printed as ``numpy.sum(..., axis=-1, keepdims=True)`` with x_i standing for the
whole last axis, so sums nest (sigma_hat^2 = 1/N sum (x_i - 1/N sum x_j)^2 is computed in two stable passes,
never as sum x^2 - (sum x)^2 / N).
"""

from __future__ import annotations

from typing import Callable, Sequence

import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from derivations.notation import N, x

DATA = sp.Symbol("x")


class SamplePrinter(NumPyPrinter):
    """NumPy printer for sums over the sample axis (the last axis of the data array)."""

    def _print_Sum(self, expr: sp.Sum) -> str:
        (index, lower, upper), = expr.limits
        if (lower, upper) != (1, N):
            raise ValueError(f"only sums over the whole sample i = 1..N can be generated, not {expr.limits}")
        return "numpy.sum(%s, axis=-1, keepdims=True)" % self._print(expr.function)


def sample_function(expr: sp.Expr, parameters: Sequence[sp.Symbol]) -> Callable:
    """``f(x, N, *parameters)`` evaluating ``expr``; x has the sample on its last axis, parameters carry a
    trailing axis of length 1 so they broadcast against it; the result keeps that trailing axis."""
    expr = expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base == x, lambda e: DATA)
    return sp.lambdify([DATA, N, *parameters], expr, modules="numpy", printer=SamplePrinter, cse=True)


def scalar_function(expr: sp.Expr, parameters: Sequence[sp.Symbol]) -> Callable:
    """``f(*parameters)`` for a result with no data in it (e.g. E[sigma_hat^2] as a function of sigma^2, N)."""
    return sp.lambdify(list(parameters), expr, modules="numpy", cse=True)
