"""Code generation for matrix results (MatrixSymbol expressions) as NumPy functions with Cholesky solves.

A derivation's matrix result such as Sigma_bb - Sigma_ab^T Sigma_aa^-1 Sigma_ab is printed by
:class:`CholeskyPrinter`: every product ``S^-1 R`` becomes ``_spd_solve(S, R)`` (a Cholesky factorisation
and two triangular solves), ``R S^-1`` becomes ``_spd_solve(S, R^T)^T`` (S symmetric), and ``S^-1`` alone
``_spd_inverse(S)``. Products use ``@`` and transposes swap the last two axes, so every generated function
broadcasts over leading (batch) axes. No explicit inverse of S is ever formed.

Scalar results of a density: ``log|S|`` becomes ``_spd_logdet(S)`` (2 sum log diag of the Cholesky factor; ``|S|``
alone its exponential), and a quadratic form ``u^T S^-1 u`` (or its trace) becomes ``_spd_quadratic(S, u)``:
one Cholesky factorisation of S, the p x p inverse of the triangular factor, and |L^-1 u|^2 for all the
vectors u at once (one matrix product, one sum of squares), so a batch of 10^6 points costs one factorisation.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import sympy as sp
from sympy.printing.numpy import NumPyPrinter


def spd_solve(matrix: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve ``matrix @ X = rhs`` for symmetric positive-definite ``matrix`` through its Cholesky factor."""
    # Cholesky fails loudly (LinAlgError) on a matrix that is not positive definite, where an inverse would
    # return garbage. NumPy has no triangular solver; np.linalg.solve on each factor is exact, and for many
    # right-hand sides costs one O(p^3) factorisation plus O(p^2) per column.
    lower = np.linalg.cholesky(matrix)
    upper = np.swapaxes(lower, -1, -2)
    if lower.ndim == 2 and rhs.ndim > 2:
        # one matrix, a batch of right-hand sides: solve them as the columns of one system (np.linalg.solve
        # would broadcast the matrix and factorise it once per batch element)
        rows = rhs.shape[-2]
        columns = np.moveaxis(rhs, -2, 0).reshape(rows, -1)
        solved = np.linalg.solve(upper, np.linalg.solve(lower, columns))
        return np.moveaxis(solved.reshape((rows,) + rhs.shape[:-2] + rhs.shape[-1:]), 0, -2)
    return np.linalg.solve(upper, np.linalg.solve(lower, rhs))


def spd_inverse(matrix: np.ndarray) -> np.ndarray:
    """The inverse of a symmetric positive-definite matrix, through Cholesky solves."""
    return spd_solve(matrix, np.broadcast_to(np.eye(matrix.shape[-1]), matrix.shape))


def spd_logdet(matrix: np.ndarray) -> np.ndarray:
    """log|S| = 2 sum_i log L_ii for S = L L^T (symmetric positive definite; batches on leading axes)."""
    return 2 * np.log(np.diagonal(np.linalg.cholesky(matrix), axis1=-2, axis2=-1)).sum(axis=-1)


def spd_det(matrix: np.ndarray) -> np.ndarray:
    """|S| = exp(log|S|) through the Cholesky factor."""
    return np.exp(spd_logdet(matrix))


def spd_quadratic(matrix: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """u^T S^-1 u = |L^-1 u|^2 for S = L L^T and column vectors ``vectors`` of shape (..., p, 1).

    S is factorised once; L^-1 (the inverse of the p x p triangular factor, never of S) is applied to all
    the vectors in one matrix product. Returns shape (...), the batch axes of S and u broadcast.
    """
    lower = np.linalg.cholesky(matrix)
    inverse_factor = np.linalg.solve(lower, np.broadcast_to(np.eye(lower.shape[-1]), lower.shape))
    u = vectors[..., 0]
    if inverse_factor.ndim == 2:
        whitened = u @ inverse_factor.T
    else:
        whitened = np.einsum("...ij,...j->...i", inverse_factor, u)
    return np.einsum("...i,...i->...", whitened, whitened)


def _quadratic_form(expr: sp.Basic) -> tuple[sp.MatrixExpr, sp.MatrixExpr] | None:
    """(S, u) if ``expr`` is the matrix product u^T S^-1 u (u a column vector), else None."""
    if not isinstance(expr, sp.MatMul):
        return None
    coefficient, factors = expr.as_coeff_matrices()
    if coefficient != 1 or len(factors) != 3 or not isinstance(factors[1], sp.Inverse):
        return None
    left, inverse, right = factors
    if right.shape[1] != 1 or sp.Transpose(left).doit() != right:
        return None
    return inverse.arg, right


class CholeskyPrinter(NumPyPrinter):
    """NumPy printer for matrix expressions: SPD solves instead of inverses, batch-friendly products."""

    def _print_MatMul(self, expr: sp.MatMul) -> str:
        coefficient, factors = expr.as_coeff_matrices()
        text = self._product(list(factors))
        return text if coefficient == 1 else f"({self._print(coefficient)}) * {text}"

    def _product(self, factors: list) -> str:
        quadratic = _quadratic_form(sp.MatMul(*factors)) if len(factors) == 3 else None
        if quadratic:  # a 1 x 1 matrix
            return f"_spd_quadratic({self._print(quadratic[0])}, {self._print(quadratic[1])})[..., None, None]"
        for k, factor in enumerate(factors):
            if isinstance(factor, sp.Inverse):
                matrix, left, right = self._print(factor.arg), factors[:k], factors[k + 1:]
                if right:
                    solved = f"_spd_solve({matrix}, {self._product(right)})"
                    return f"({self._product(left)} @ {solved})" if left else solved
                if left:  # X S^-1 = (S^-1 X^T)^T for symmetric S
                    return (f"numpy.swapaxes(_spd_solve({matrix}, numpy.swapaxes({self._product(left)}, -1, -2)),"
                            " -1, -2)")
                return f"_spd_inverse({matrix})"
        return "(" + " @ ".join(self._print(f) for f in factors) + ")"

    def _print_Inverse(self, expr: sp.Inverse) -> str:
        return self._product([expr])

    def _print_Transpose(self, expr: sp.Transpose) -> str:
        return f"numpy.swapaxes({self._print(expr.arg)}, -1, -2)"

    def _print_MatAdd(self, expr: sp.MatAdd) -> str:
        return "(" + " + ".join(self._print(term) for term in expr.args) + ")"

    def _print_Trace(self, expr: sp.Trace) -> str:
        quadratic = _quadratic_form(expr.arg)
        if quadratic:
            return f"_spd_quadratic({self._print(quadratic[0])}, {self._print(quadratic[1])})"
        return f"numpy.trace({self._print(expr.arg)}, axis1=-2, axis2=-1)"

    def _print_Determinant(self, expr: sp.Determinant) -> str:
        return f"_spd_det({self._print(expr.arg)})"

    def _print_log(self, expr: sp.log) -> str:
        if isinstance(expr.args[0], sp.Determinant):
            return f"_spd_logdet({self._print(expr.args[0].arg)})"
        return super()._print_log(expr)


def matrix_function(expr: sp.MatrixExpr, arguments: Sequence[sp.MatrixSymbol]) -> Callable:
    """A NumPy function of the arrays for ``arguments`` that evaluates the matrix expression ``expr``."""
    helpers = {"_spd_solve": spd_solve, "_spd_inverse": spd_inverse, "_spd_logdet": spd_logdet, "_spd_det": spd_det,
               "_spd_quadratic": spd_quadratic}
    return sp.lambdify(list(arguments), expr, modules=[helpers, "numpy"], printer=CholeskyPrinter, cse=False)
