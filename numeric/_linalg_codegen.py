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
    """u^T S^-1 u for S symmetric positive definite and column vectors u of shape (..., p, 1); shape (...)."""
    return spd_quadratic_rows(matrix, vectors[..., 0])


def spd_quadratic_rows(matrix: np.ndarray, u: np.ndarray, centre: np.ndarray | None = None) -> np.ndarray:
    """u^T S^-1 u = |L^-1 u|^2 for S = L L^T and vectors stored as rows, u of shape (..., p); with ``centre``,
    the same for u - centre.

    S is factorised once; L^-1 (the inverse of the p x p triangular factor, never of S) is applied to all
    the vectors in one matrix product. A centre is whitened on its own and subtracted in place,
    L^-1 (u - c) = L^-1 u - L^-1 c, which spares a pass (and a temporary) over all the points.
    Returns shape (...), the batch axes of S, u and centre broadcast.
    """
    lower = np.linalg.cholesky(matrix)
    inverse_factor = np.linalg.solve(lower, np.broadcast_to(np.eye(lower.shape[-1]), lower.shape))

    def whiten(vectors: np.ndarray) -> np.ndarray:
        if inverse_factor.ndim == 2:
            return vectors @ inverse_factor.T
        return np.einsum("...ij,...j->...i", inverse_factor, vectors)

    whitened = whiten(u)
    if centre is not None:
        shift = whiten(centre)
        if np.broadcast_shapes(whitened.shape, shift.shape) == whitened.shape:
            whitened -= shift
        else:
            whitened = whitened - shift
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
            return f"{self._quadratic_call(*quadratic)}[..., None, None]"
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

    def _print_Add(self, expr: sp.Add) -> str:
        # Constants first, then terms free of vectors (e.g. a log determinant, one value per covariance),
        # terms in vectors (e.g. a quadratic form, one value per point) last: Python adds left to right, so a
        # batch of points costs one pass for the sum instead of one per term.
        def vectors(term: sp.Basic) -> bool:
            return any(symbol.shape[1] == 1 for symbol in term.atoms(sp.MatrixSymbol))

        terms = sorted(expr.args, key=lambda term: (not term.is_number, vectors(term)))
        return "(" + " + ".join(f"({self._print(term)})" for term in terms) + ")"

    def _quadratic_call(self, matrix: sp.MatrixExpr, vector: sp.MatrixExpr) -> str:
        return f"_spd_quadratic({self._print(matrix)}, {self._print(vector)})"

    def _print_Trace(self, expr: sp.Trace) -> str:
        quadratic = _quadratic_form(expr.arg)
        if quadratic:
            return self._quadratic_call(*quadratic)
        return f"numpy.trace({self._print(expr.arg)}, axis1=-2, axis2=-1)"

    def _print_Determinant(self, expr: sp.Determinant) -> str:
        return f"_spd_det({self._print(expr.arg)})"

    def _print_log(self, expr: sp.log) -> str:
        if isinstance(expr.args[0], sp.Determinant):
            return f"_spd_logdet({self._print(expr.args[0].arg)})"
        return super()._print_log(expr)


def _coefficient_and_symbol(term: sp.MatrixExpr) -> tuple[sp.Expr, sp.MatrixSymbol | None]:
    """(c, v) for a term c * v with v a matrix symbol; (c, None) for any other term."""
    if isinstance(term, sp.MatrixSymbol):
        return sp.Integer(1), term
    if isinstance(term, sp.MatMul):
        coefficient, factors = term.as_coeff_matrices()
        if len(factors) == 1 and isinstance(factors[0], sp.MatrixSymbol):
            return coefficient, factors[0]
    return sp.Integer(0), None


class RowVectorCholeskyPrinter(CholeskyPrinter):
    """CholeskyPrinter for results in which vectors enter only through sums and quadratic forms u^T S^-1 u
    (a log density, a Mahalanobis distance): vectors are passed as rows, shape (..., p), the natural layout
    of a batch of points (no trailing axis of length 1 in the element-wise passes over the points). Any
    other product with a vector is refused."""

    def _quadratic_call(self, matrix: sp.MatrixExpr, vector: sp.MatrixExpr) -> str:
        if isinstance(vector, sp.MatAdd) and len(vector.args) == 2:  # u - c: the centre whitened on its own
            (c0, a), (c1, b) = (_coefficient_and_symbol(term) for term in vector.args)
            if {c0, c1} == {1, -1} and a is not None and b is not None:
                u, centre = (a, b) if c0 == 1 else (b, a)
                return f"_spd_quadratic_rows({self._print(matrix)}, {self._print(u)}, {self._print(centre)})"
        return f"_spd_quadratic_rows({self._print(matrix)}, {self._print(vector)})"

    def _product(self, factors: list) -> str:
        if len(factors) > 1 and not (len(factors) == 3 and _quadratic_form(sp.MatMul(*factors))):
            if any(factor.shape[1] == 1 or factor.shape[0] == 1 for factor in factors):
                raise ValueError(f"vectors as rows: only quadratic forms can be printed, not {sp.MatMul(*factors)}")
        return super()._product(factors)

    def _print_Trace(self, expr: sp.Trace) -> str:
        if not _quadratic_form(expr.arg):
            raise ValueError(f"vectors as rows: only traces of quadratic forms can be printed, not {expr}")
        return super()._print_Trace(expr)


def matrix_function(expr: sp.MatrixExpr, arguments: Sequence[sp.MatrixSymbol], vectors_as_rows: bool = False
                    ) -> Callable:
    """A NumPy function of the arrays for ``arguments`` that evaluates the matrix expression ``expr``.

    Vectors (p x 1 symbols) are arrays of shape (..., p, 1); with ``vectors_as_rows`` (for scalar results in
    which vectors enter only through sums and quadratic forms) arrays of shape (..., p).
    """
    helpers = {"_spd_solve": spd_solve, "_spd_inverse": spd_inverse, "_spd_logdet": spd_logdet, "_spd_det": spd_det,
               "_spd_quadratic": spd_quadratic, "_spd_quadratic_rows": spd_quadratic_rows}
    printer = RowVectorCholeskyPrinter if vectors_as_rows else CholeskyPrinter
    return sp.lambdify(list(arguments), expr, modules=[helpers, "numpy"], printer=printer, cse=False)
