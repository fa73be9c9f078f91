"""Code generation for matrix results (MatrixSymbol expressions) as NumPy functions with Cholesky solves.

A derivation's matrix result such as Sigma_bb - Sigma_ab^T Sigma_aa^-1 Sigma_ab is printed by
:class:`CholeskyPrinter`: every product ``S^-1 R`` becomes ``_spd_solve(S, R)`` (a Cholesky factorisation
and two triangular solves), ``R S^-1`` becomes ``_spd_solve(S, R^T)^T`` (S symmetric), and ``S^-1`` alone
``_spd_inverse(S)``. Products use ``@`` and transposes swap the last two axes, so every generated function
broadcasts over leading (batch) axes. No explicit inverse is ever formed.
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
    return np.linalg.solve(np.swapaxes(lower, -1, -2), np.linalg.solve(lower, rhs))


def spd_inverse(matrix: np.ndarray) -> np.ndarray:
    """The inverse of a symmetric positive-definite matrix, through Cholesky solves."""
    return spd_solve(matrix, np.broadcast_to(np.eye(matrix.shape[-1]), matrix.shape))


class CholeskyPrinter(NumPyPrinter):
    """NumPy printer for matrix expressions: SPD solves instead of inverses, batch-friendly products."""

    def _print_MatMul(self, expr: sp.MatMul) -> str:
        coefficient, factors = expr.as_coeff_matrices()
        text = self._product(list(factors))
        return text if coefficient == 1 else f"({self._print(coefficient)}) * {text}"

    def _product(self, factors: list) -> str:
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


def matrix_function(expr: sp.MatrixExpr, arguments: Sequence[sp.MatrixSymbol]) -> Callable:
    """A NumPy function of the arrays for ``arguments`` that evaluates the matrix expression ``expr``."""
    return sp.lambdify(list(arguments), expr, modules=[{"_spd_solve": spd_solve, "_spd_inverse": spd_inverse}, "numpy"],
                       printer=CholeskyPrinter, cse=False)
