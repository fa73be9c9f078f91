"""Code generation: derivation results -> vectorised NumPy functions, via ``sympy.lambdify(cse=True)``.

A result over a sample (sums over i = 1..N of expressions in x_i) becomes a function of an array whose last
axis is the sample: each sum is printed as ``numpy.sum(..., axis=-1, keepdims=True)`` with x_i standing for the
whole last axis, so sums nest (sigma_hat^2 = 1/N sum (x_i - 1/N sum x_j)^2 is computed in two stable passes,
never as sum x^2 - (sum x)^2 / N).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
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


# ---- vector samples: x[n, r] is component r of observation n ------------------------------------------------
def sum_outer(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """sum_n left_nr right_ns for left of shape (..., N, p, 1) and right of shape (..., N, 1, p), without an
    (N, p, p) temporary (a matrix product, or einsum over a batch), with a kept sample axis: (..., 1, p, p)."""
    left, right = np.broadcast_arrays(left[..., 0], right[..., 0, :])
    if left.ndim == 2:  # one data set: one BLAS matrix product
        return (left.T @ right)[np.newaxis]
    # a batch of data sets: einsum (a stack of small matrix products is slower, by up to 8x for batch-contiguous data)
    return np.einsum("...nr,...ns->...rs", left, right)[..., np.newaxis, :, :]


class VectorSamplePrinter(NumPyPrinter):
    """NumPy printer for sums over a vector sample held as an array of shape (..., N, p).

    Component r of observation n is the array X_r = X[..., :, :, None] (shape (..., N, p, 1)), component s
    the array X_s = X[..., :, None, :] (shape (..., N, 1, p)), so an expression in both indices broadcasts to
    the p x p matrix of its (r, s) entries. A sum over n = 1..N reduces axis -3 (the sample), keeping it;
    a sum of a product of an r-factor and an s-factor is one matrix product (:func:`sum_outer`) rather than
    an (N, p, p) temporary.
    """

    def __init__(self, settings=None, *, sample_index: sp.Symbol, first: sp.Symbol, second: sp.Symbol):
        super().__init__(settings)
        self._index, self._first, self._second = sample_index, first, second

    def _print_Sum(self, expr: sp.Sum) -> str:
        (index, lower, upper), = expr.limits
        if (index, lower, upper) != (self._index, 1, N):
            raise ValueError(f"only sums over the whole sample {self._index} = 1..N can be generated, "
                             f"not {expr.limits}")
        factors = sp.Mul.make_args(expr.function)
        firsts = [f for f in factors if f.has(self._first) and not f.has(self._second)]
        seconds = [f for f in factors if f.has(self._second) and not f.has(self._first)]
        rest = [f for f in factors if f not in firsts and f not in seconds]
        if firsts and seconds and not any(f.has(self._first, self._second) for f in rest):
            outer = f"_sum_outer({self._print(sp.Mul(*firsts))}, {self._print(sp.Mul(*seconds))})"
            return outer if not rest else f"({self._print(sp.Mul(*rest))}) * {outer}"
        return "numpy.sum(%s, axis=-3, keepdims=True)" % self._print(expr.function)


def vector_sample_function(expr: sp.Expr, sample: sp.IndexedBase, sample_index: sp.Symbol,
                           first: sp.Symbol, second: sp.Symbol) -> Callable:
    """``f(X_r, X_s, N)`` evaluating the (first, second) entry of ``expr`` for all entries at once, where
    ``sample[sample_index, first]`` is component ``first`` of an observation (see VectorSamplePrinter)."""
    x_first, x_second = sp.Symbol("X_r"), sp.Symbol("X_s")
    expr = expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base == sample,
                        lambda e: {first: x_first, second: x_second}[e.indices[1]])
    printer = VectorSamplePrinter(sample_index=sample_index, first=x_first, second=x_second)
    # no cse: common-subexpression elimination would hide the r- and s-factors of a sum from the printer
    return sp.lambdify([x_first, x_second, N], expr, modules=[{"_sum_outer": sum_outer}, "numpy"],
                       printer=printer, cse=False)
