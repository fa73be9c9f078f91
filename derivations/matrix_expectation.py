"""Expectation and covariance of matrix expressions in Gaussian random vectors (symbolic sizes allowed).

A :class:`GaussianModel` names random column vectors (``MatrixSymbol`` of shape (k, 1)), their means and
every covariance block Cov(u, v) = E[(u - E u)(v - E v)^T]. ``MatrixExpectation(expr, model)`` is an
unevaluated E[expr]; its ``doit`` (which the checker's normal form calls) evaluates it using only

* linearity of E over sums and constant matrix factors (everything that is not a random vector is
  constant), after expanding products over sums, and
* the first two moments: E[u] = mean(u), E[u v^T] = Cov(u, v) + mean(u) mean(v)^T.

A term with three or more random factors, or two that are not an adjacent outer product u v^T, is not
supported (``NotImplementedError``; the checker reports the step *not checked*). ``MatrixCovariance``
is Cov(u, v) defined through E, as above. These are the only moments the affine-map, marginal,
conditional and linear-Gaussian derivations need.
"""

from __future__ import annotations

from typing import Mapping

import sympy as sp


class GaussianModel(sp.Tuple):
    """Random vectors with their means and all covariance blocks (a SymPy object, so that it can sit in
    the arguments of an expression and take part in substitutions).

    Built by :func:`gaussian_model`; stored as ((u, mean_u), ...), ((u, v, Cov(u, v)), ...).
    """

    @property
    def means(self) -> dict:
        return {u: mean for u, mean in self.args[0]}

    def covariance(self, u: sp.MatrixSymbol, v: sp.MatrixSymbol) -> sp.MatrixExpr:
        for a, b, cov in self.args[1]:
            if (a, b) == (u, v):
                return cov
            if (a, b) == (v, u):
                return cov.T
        raise KeyError(f"no covariance of {u} and {v} in the model")


def gaussian_model(means: Mapping[sp.MatrixSymbol, sp.MatrixExpr],
                   covariances: Mapping[tuple[sp.MatrixSymbol, sp.MatrixSymbol], sp.MatrixExpr]) -> GaussianModel:
    """The model with the given means and covariance blocks; every pair of vectors (including each vector
    with itself) must be given, in one order, so that no covariance is zero by omission."""
    vectors = list(means)
    for u in vectors:
        if not (isinstance(u, sp.MatrixSymbol) and u.shape[1] == 1):
            raise ValueError(f"random vectors must be column MatrixSymbols, got {u}")
        if means[u].shape != u.shape:
            raise ValueError(f"mean of {u} has shape {means[u].shape}, expected {u.shape}")
    given = {frozenset(pair) for pair in covariances}
    wanted = {frozenset((u, v)) for u in vectors for v in vectors}
    if given != wanted or len(covariances) != len(wanted):
        raise ValueError("give the covariance of every pair of random vectors exactly once")
    for (u, v), cov in covariances.items():
        if cov.shape != (u.shape[0], v.shape[0]):
            raise ValueError(f"Cov({u}, {v}) has shape {cov.shape}, expected {(u.shape[0], v.shape[0])}")
    return GaussianModel(sp.Tuple(*[sp.Tuple(u, means[u]) for u in vectors]),
                         sp.Tuple(*[sp.Tuple(u, v, cov) for (u, v), cov in covariances.items()]))


def _random_factor(factor: sp.MatrixExpr, vectors) -> tuple[sp.MatrixSymbol, bool] | None:
    """(u, transposed) if ``factor`` is the random vector u or u^T, else None."""
    if factor in vectors:
        return factor, False
    if isinstance(factor, sp.Transpose) and factor.arg in vectors:
        return factor.arg, True
    return None


def _term_expectation(term: sp.MatrixExpr, model: GaussianModel) -> sp.MatrixExpr:
    means = model.means
    if isinstance(term, sp.MatMul):
        coefficient, factors = term.as_coeff_matrices()
    else:
        coefficient, factors = sp.S.One, [term]
    found = [(k, _random_factor(f, means)) for k, f in enumerate(factors)]
    found = [(k, r) for k, r in found if r is not None]
    for k, f in enumerate(factors):
        if not any(k == j for j, _ in found) and f.free_symbols & set(means):
            raise NotImplementedError(f"E of a non-linear function of a random vector: {f}")
    if not found:
        return term
    if len(found) == 1:
        (k, (u, transposed)), = found
        mean = means[u].T if transposed else means[u]
        return coefficient * sp.MatMul(*factors[:k], mean, *factors[k + 1:])
    if len(found) == 2:
        (k, (u, t1)), (l, (v, t2)) = found
        if l == k + 1 and not t1 and t2:
            second = model.covariance(u, v) + means[u] * means[v].T
            return coefficient * sp.MatMul(*factors[:k], second, *factors[l + 1:])
    raise NotImplementedError(f"only first and second moments (outer products u v^T) are supported: E[{term}]")


def evaluate_matrix_expectation(expr: sp.MatrixExpr, model: GaussianModel) -> sp.MatrixExpr:
    """E[expr] in the model, by linearity and the first two moments (see the module docstring)."""
    expanded = sp.expand(expr.doit()).doit()
    terms = expanded.args if isinstance(expanded, sp.MatAdd) else (expanded,)
    return sp.MatAdd(*[_term_expectation(t, model) for t in terms]).doit()


class MatrixExpectation(sp.MatrixExpr):
    """Unevaluated E[expr] for a matrix expression in the random vectors of ``model``."""

    def __new__(cls, expr, model: GaussianModel):
        return super().__new__(cls, sp.sympify(expr), model)

    @property
    def shape(self):
        return self.args[0].shape

    def doit(self, **hints):
        expr = self.args[0].doit(**hints) if hints.get("deep", True) else self.args[0]
        return evaluate_matrix_expectation(expr, self.args[1])

    def _latex(self, printer, exp=None) -> str:
        return r"\mathbb{E}\left[%s\right]" % printer._print(self.args[0])

    def _sympystr(self, printer) -> str:
        return f"E[{printer._print(self.args[0])}]"


class MatrixCovariance(sp.MatrixExpr):
    """Unevaluated Cov(u, v) = E[(u - E u)(v - E v)^T] for vector expressions u, v in ``model``."""

    def __new__(cls, u, v, model: GaussianModel):
        return super().__new__(cls, sp.sympify(u), sp.sympify(v), model)

    @property
    def shape(self):
        return (self.args[0].shape[0], self.args[1].shape[0])

    def as_expectation(self) -> MatrixExpectation:
        u, v, model = self.args
        centred_u = sp.MatAdd(u, sp.MatMul(sp.S.NegativeOne, MatrixExpectation(u, model)))
        centred_v = sp.MatAdd(v, sp.MatMul(sp.S.NegativeOne, MatrixExpectation(v, model)))
        return MatrixExpectation(sp.MatMul(centred_u, sp.Transpose(centred_v)), model)

    def doit(self, **hints):
        u, v, model = self.args
        centred_u = u - evaluate_matrix_expectation(u, model)
        centred_v = v - evaluate_matrix_expectation(v, model)
        return evaluate_matrix_expectation(centred_u * centred_v.T, model)

    def _latex(self, printer, exp=None) -> str:
        u, v, _ = self.args
        if u == v:
            return r"\operatorname{Cov}\left[%s\right]" % printer._print(u)
        return r"\operatorname{Cov}\left[%s, %s\right]" % (printer._print(u), printer._print(v))

    def _sympystr(self, printer) -> str:
        u, v, _ = self.args
        return f"Cov[{printer._print(u)}]" if u == v else f"Cov[{printer._print(u)}, {printer._print(v)}]"


__all__ = ["GaussianModel", "gaussian_model", "MatrixExpectation", "MatrixCovariance",
           "evaluate_matrix_expectation"]
