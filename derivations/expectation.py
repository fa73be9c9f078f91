"""Expectation over x_1, ..., x_N iid Normal(mu, sigma^2) with symbolic N.

``Expectation``, ``Variance`` and ``Covariance`` are unevaluated SymPy functions so that steps can be
written with them; :func:`evaluate_expectations` replaces them by their values using only

* linearity of E (sums over i, products of sums become nested sums with fresh indices), and
* the Gaussian moments: with x_a = mu + sigma z_a and z iid standard normal,
  E[z_a1 ... z_ak] is the sum over pairings of products of Kronecker deltas (Isserlis), so for instance
  E[x_a x_b] = mu^2 + sigma^2 delta_ab.

Var and Cov are defined through E: Var[X] = E[X^2] - E[X]^2, Cov[X, Y] = E[XY] - E[X] E[Y].

The same operator handles a second, vector-valued sample x_1, ..., x_N iid N_p(mu, Sigma), independent of
the scalar one, written by components ``xv[n, r]`` (see :mod:`derivations.notation`): with
x_nr = mu_r + w_nr, E[w_{n1 r1} ... w_{nk rk}] is the sum over pairings of products of
delta_{n_a n_b} Sigma_{r_a r_b} (Isserlis), so E[x_nr x_ms] = mu_r mu_s + Sigma_rs delta_nm.
The Kronecker deltas carry the range (1, N) so that SymPy evaluates their sums (see SYMPY-NOTES).
"""

from __future__ import annotations

from functools import lru_cache
from itertools import count
from typing import Iterator

import sympy as sp

from .notation import N, cov_entry, mu, muv, sigma2, x, xv

_fresh = count()


def _fresh_index() -> sp.Symbol:
    return sp.Symbol(f"k{next(_fresh)}", integer=True, positive=True)


def _with_power(tex: str, exp: str | None) -> str:
    return tex if exp is None else r"%s^{%s}" % (tex, exp)


class Expectation(sp.Function):
    """E[X] over the iid Normal(mu, sigma^2) sample ``x``."""

    nargs = 1

    def _latex(self, printer, exp=None) -> str:
        return _with_power(r"\mathbb{E}\left[%s\right]" % printer._print(self.args[0]), exp)

    def _sympystr(self, printer) -> str:
        return "E[%s]" % printer._print(self.args[0])


class Variance(sp.Function):
    """Var[X] = E[X^2] - E[X]^2."""

    nargs = 1

    def _latex(self, printer, exp=None) -> str:
        return _with_power(r"\operatorname{Var}\left[%s\right]" % printer._print(self.args[0]), exp)

    def _sympystr(self, printer) -> str:
        return "Var[%s]" % printer._print(self.args[0])


class Covariance(sp.Function):
    """Cov[X, Y] = E[XY] - E[X] E[Y]."""

    nargs = 2

    def _latex(self, printer, exp=None) -> str:
        return _with_power(r"\operatorname{Cov}\left[%s, %s\right]" % tuple(printer._print(a) for a in self.args),
                           exp)

    def _sympystr(self, printer) -> str:
        return "Cov[%s, %s]" % tuple(printer._print(a) for a in self.args)


class UnsupportedExpectation(ValueError):
    """The argument of E is outside what the moment algebra handles (e.g. 1/sum x_i or log x_i)."""


def _expanded_terms(expr: sp.Expr, limits: tuple = ()) -> Iterator[tuple[tuple, sp.Expr]]:
    """Write ``expr`` as a sum of nested sums of monomials: yields (limits, monomial) pairs.

    Every Sum factor is pulled outward with a fresh index, so a product of sums becomes a multiple sum
    (sum_i a_i)(sum_j b_j) = sum_k sum_l a_k b_l.
    """
    for term in sp.Add.make_args(sp.expand(expr)):
        for factor in sp.Mul.make_args(term):
            base, exponent = factor.as_base_exp()
            if isinstance(base, sp.Sum):
                if not (exponent.is_Integer and exponent > 0):
                    raise UnsupportedExpectation(f"cannot take E of a sum raised to the power {exponent}")
                summand, new_limits = base.function, []
                for index, lower, upper in base.limits:
                    k = _fresh_index()
                    summand = summand.xreplace({index: k})
                    new_limits.append((k, lower, upper))
                rest = term / factor * base ** (exponent - 1)
                yield from _expanded_terms(rest * summand, limits + tuple(new_limits))
                break
        else:
            yield limits, term


def _pairings(items: list) -> Iterator[list[tuple]]:
    """All perfect matchings of ``items`` (none if the count is odd)."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for n, partner in enumerate(rest):
        for tail in _pairings(rest[:n] + rest[n + 1:]):
            yield [(first, partner), *tail]


def _standard_normal_moment(indices: list[sp.Expr]) -> sp.Expr:
    """E[z_a1 ... z_ak] for z iid N(0, 1) (Isserlis): sum over pairings of products of deltas."""
    return sp.Add(*[sp.Mul(*[sp.KroneckerDelta(a, b, (1, N)) for a, b in pairing])
                    for pairing in _pairings(indices)])


def _vector_moment(components: list[tuple]) -> sp.Expr:
    """E[w_{n1 r1} ... w_{nk rk}] for w_n iid N_p(0, Sigma) (Isserlis): sum over pairings of products of
    delta_{n_a n_b} Sigma_{r_a r_b}; ``components`` lists the (n, r) index pairs."""
    return sp.Add(*[sp.Mul(*[sp.KroneckerDelta(a[0], b[0], (1, N)) * cov_entry(a[1], b[1]) for a, b in pairing])
                    for pairing in _pairings(components)])


def _monomial_expectation(monomial: sp.Expr) -> sp.Expr:
    """E of a product of a constant and powers of observations x[a] and vector components xv[n, r]."""
    z = sp.IndexedBase("z")
    w = sp.IndexedBase("w")
    sigma = sp.sqrt(sigma2)
    centred = sp.expand(monomial.replace(lambda e: isinstance(e, sp.Indexed) and e.base == x and e.rank == 1,
                                         lambda e: mu + sigma * z[e.indices[0]])
                        .replace(lambda e: isinstance(e, sp.Indexed) and e.base == xv and e.rank == 2,
                                 lambda e: muv[e.indices[1]] + w[e.indices]))
    total = sp.S.Zero
    for term in sp.Add.make_args(centred):
        indices: list[sp.Expr] = []
        components: list[tuple] = []
        coefficient = sp.S.One
        for factor in sp.Mul.make_args(term):
            base, exponent = factor.as_base_exp()
            if isinstance(base, sp.Indexed) and base.base == z:
                indices += [base.indices[0]] * int(exponent)
            elif isinstance(base, sp.Indexed) and base.base == w:
                components += [base.indices] * int(exponent)
            else:
                coefficient *= factor
        if coefficient.has(z) or coefficient.has(w):
            raise UnsupportedExpectation(
                f"E of a non-polynomial function of the data is not supported: E[{monomial}]")
        total += coefficient * _standard_normal_moment(indices) * _vector_moment(components)
    return total


@lru_cache(maxsize=4096)
def expectation(expr: sp.Expr) -> sp.Expr:
    """E[expr] for ``expr`` a polynomial in the observations x[i] (sums over i allowed, N symbolic)."""
    expr = evaluate_expectations(expr)
    total = sp.S.Zero
    for limits, monomial in _expanded_terms(expr):
        value = _monomial_expectation(monomial)
        total += sp.Sum(value, *limits).doit() if limits else value
    return sp.expand(total)


def evaluate_expectations(expr):
    """Replace every Expectation, Variance and Covariance in ``expr`` by its value (innermost first)."""
    if not isinstance(expr, sp.Basic) or not expr.has(Expectation, Variance, Covariance):
        return expr

    def value(e):
        if isinstance(e, Expectation):
            return expectation(e.args[0])
        if isinstance(e, Variance):
            (a,) = e.args
            return sp.expand(expectation(a ** 2) - expectation(a) ** 2)
        if isinstance(e, Covariance):
            a, b = e.args
            return sp.expand(expectation(a * b) - expectation(a) * expectation(b))
        return e

    return expr.replace(lambda e: isinstance(e, (Expectation, Variance, Covariance)), value)


def joint_gaussian_moments(variables: tuple[sp.Symbol, ...], mean: tuple[sp.Expr, ...],
                           covariance: tuple[tuple[sp.Expr, ...], ...]):
    """E, Var and Cov over scalar variables v jointly Gaussian with the given mean m and covariance C: with
    v_k = m_k + w_k, E[w_a1 ... w_ak] is the sum over pairings of products of C entries (Isserlis), so
    E[v_a v_b] = m_a m_b + C_ab. Returns (E, Var, Cov) as functions of polynomials in the variables."""
    w = [sp.Dummy(f"w{k}") for k in range(len(variables))]
    centring = dict(zip(variables, (m + wk for m, wk in zip(mean, w))))

    def expect(expr: sp.Expr) -> sp.Expr:
        centred = sp.expand(sp.sympify(expr).xreplace(centring))
        total = sp.S.Zero
        for term in sp.Add.make_args(centred):
            indices: list[int] = []
            coefficient = sp.S.One
            for factor in sp.Mul.make_args(term):
                base, exponent = factor.as_base_exp()
                if base in w and exponent.is_Integer and exponent > 0:
                    indices += [w.index(base)] * int(exponent)
                else:
                    coefficient *= factor
            if coefficient.has(*w):
                raise UnsupportedExpectation(f"E of a non-polynomial function of jointly Gaussian variables: E[{expr}]")
            total += coefficient * sp.Add(*[sp.Mul(*[covariance[a][b] for a, b in pairing])
                                            for pairing in _pairings(indices)])
        return total

    def variance(expr: sp.Expr) -> sp.Expr:
        return expect(expr ** 2) - expect(expr) ** 2

    def cov(a: sp.Expr, b: sp.Expr) -> sp.Expr:
        return expect(a * b) - expect(a) * expect(b)

    return expect, variance, cov
