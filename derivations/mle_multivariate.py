"""Multivariate MLE: gradients by entry-wise matrix calculus, mu_hat, Sigma_hat, E[Sigma_hat].

Data x_1, ..., x_N iid N_p(mu, Sigma), N symbolic, written by components x_nr (``notation.xv``).

Matrix calculus is the trap here: SymPy 1.14's MatrixSymbol derivatives return 0 for d log|X| / dX and
for the derivative of any sum of scalar matrix terms (tests/test_mle_multivariate.py pins this). So no
result below rests on MatrixSymbol differentiation alone. Dimension-free gradients come from
:func:`matrix_gradient`, our own differential rules (d log|X| = tr(X^-1 dX), d(X^-1) = -X^-1 dX X^-1, ...),
and every such gradient is cross-checked entry by entry against ordinary partial derivatives of explicit
symbolic 2x2 (and 3x3) matrices (``matrix-calculus``, and the score chains of ``mle-multivariate``).

Gradient convention: the entries of Sigma are treated as independent variables, d l = tr(G^T dSigma), so
G_rc = dl/dSigma_rc, evaluated at a symmetric Sigma. (The "symmetric" convention 2G - diag(G) vanishes
exactly where G does, so the stationary points are the same.)
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from .core import Derivation, Method, Step, chain
from .expectation import Expectation, expectation
from .matrices import symbolic_matrix
from .normal_form import CANONICAL_INDEX, log_product_to_sum, split_sums
from .notation import N, Sigmav, cov_entry, muv, p, r, s, xv
from .registry import register

n, m = sp.symbols("n m", integer=True, positive=True)
"""Observation indices 1..N."""

ASSUMPTIONS = (
    r"x_1, \dots, x_N \overset{iid}{\sim} \mathcal{N}_p(\mu, \Sigma)",
    r"N \geq 1 \text{ symbolic}, \ \Sigma \text{ symmetric positive definite}",
)

# ----------------------------------------------------------------------------------------------------------
# Matrix calculus by differential rules


def differential(expr: sp.Basic, X: sp.MatrixSymbol, dX: sp.MatrixSymbol) -> sp.Basic:
    """The differential of a scalar or matrix expression in the matrix symbol ``X``, ``dX`` standing for dX.

    Rules (matrix calculus, e.g. Magnus & Neudecker): dX = dX; d(constant) = 0; d is linear;
    d(UV) = dU V + U dV (scalar or matrix products, order kept); d(U^-1) = -U^-1 dU U^-1;
    d(U^T) = (dU)^T; d tr(U) = tr(dU); d|U| = |U| tr(U^-1 dU); d log f = df / f; d f^c = c f^(c-1) df
    (c constant). Anything else raises NotImplementedError rather than guessing.
    """
    if not expr.has(X):
        return sp.ZeroMatrix(*expr.shape) if isinstance(expr, sp.MatrixExpr) else sp.S.Zero
    if expr == X:
        return dX
    if isinstance(expr, (sp.Add, sp.MatAdd)):
        return type(expr)(*[differential(a, X, dX) for a in expr.args])
    if isinstance(expr, (sp.Mul, sp.MatMul)):
        args = expr.args
        return sp.Add(*[type(expr)(*args[:k], differential(a, X, dX), *args[k + 1:])
                        for k, a in enumerate(args) if a.has(X)]) if isinstance(expr, sp.Mul) else \
            sp.MatAdd(*[sp.MatMul(*args[:k], differential(a, X, dX), *args[k + 1:])
                        for k, a in enumerate(args) if a.has(X)])
    if isinstance(expr, sp.Inverse):
        return -sp.MatMul(expr, differential(expr.arg, X, dX), expr)
    if isinstance(expr, sp.Transpose):
        return sp.Transpose(differential(expr.arg, X, dX))
    if isinstance(expr, sp.Trace):
        return sp.Trace(differential(expr.arg, X, dX))
    if isinstance(expr, sp.Determinant):
        return expr * sp.Trace(sp.MatMul(sp.Inverse(expr.arg), differential(expr.arg, X, dX)))
    if isinstance(expr, sp.log):
        return differential(expr.args[0], X, dX) / expr.args[0]
    if isinstance(expr, sp.Pow) and not expr.exp.has(X):
        return expr.exp * expr.base ** (expr.exp - 1) * differential(expr.base, X, dX)
    raise NotImplementedError(f"no differential rule for {type(expr).__name__}: {expr}")


def _trace_terms(expr: sp.Expr) -> list[tuple[sp.Expr, sp.MatrixExpr]]:
    """Write a scalar linear in traces as sum_k c_k tr(M_k), each M_k a single matrix product."""
    terms = []
    for term in sp.Add.make_args(sp.expand(expr)):
        traces = [f for f in sp.Mul.make_args(term) if isinstance(f, sp.Trace)]
        if len(traces) != 1:
            raise NotImplementedError(f"not a multiple of one trace: {term}")
        coefficient = term / traces[0]
        argument = sp.expand(traces[0].arg.doit())
        for product in (argument.args if isinstance(argument, sp.MatAdd) else (argument,)):
            terms.append((coefficient, product))
    return terms


def matrix_gradient(expr: sp.Expr, X: sp.MatrixSymbol) -> sp.MatrixExpr:
    """The gradient G of a scalar ``expr`` in the matrix ``X`` (entries of X independent, G_rc = d expr/dX_rc).

    From the differential: write d expr = sum_k c_k tr(U_k dX V_k) (or with dX^T), rotate each trace to
    tr(V_k U_k dX) and read off G from d expr = tr(G^T dX): G = sum_k c_k (V_k U_k)^T
    (and c_k V_k U_k for a dX^T term, since tr(U dX^T V) = tr((V U)^T dX)).
    """
    dX = sp.MatrixSymbol("dX", *X.shape)
    gradient = []
    for coefficient, product in _trace_terms(differential(expr, X, dX)):
        scalar, factors = product.as_coeff_matrices() if isinstance(product, sp.MatMul) else (1, [product])
        positions = [k for k, f in enumerate(factors) if f.has(dX)]
        if len(positions) != 1 or factors[positions[0]] not in (dX, dX.T):
            raise NotImplementedError(f"the differential is not linear in dX: {product}")
        k = positions[0]
        rotated = sp.MatMul(*factors[k + 1:], *factors[:k]) if len(factors) > 1 else sp.Identity(X.shape[0])
        term = rotated.T if factors[k] == dX else rotated
        gradient.append(coefficient * scalar * term)
    return sp.MatAdd(*gradient).doit()


def explicit_matrix(name: str, size: int) -> sp.ImmutableMatrix:
    """A size x size matrix of independent real symbols name_rc (1-based)."""
    return symbolic_matrix(name, size, size)


def entrywise_gradient(expr: sp.Expr, M: sp.MatrixBase) -> sp.ImmutableMatrix:
    """The matrix of partial derivatives d expr / d M_rc of a scalar in the entries of an explicit matrix."""
    return sp.ImmutableMatrix(sp.derive_by_array(expr, M).tomatrix())


class ExplicitInverse(sp.Inverse):
    """M^-1 of an explicit symbolic matrix, evaluated as adj(M) / |M|. (SymPy's default Gauss-Jordan
    route zero-tests its pivots numerically: about 0.6 s for a 2x2 matrix of indexed symbols.)"""

    def doit(self, **hints):
        arg = self.arg.doit(**hints) if hints.get("deep", True) else self.arg
        if isinstance(arg, sp.MatrixBase):
            return sp.ImmutableMatrix(arg.adjugate() / arg.det())
        return sp.Inverse(arg)


def at_explicit(expr: sp.MatrixExpr, values: dict) -> sp.MatrixExpr:
    """A dimension-free matrix expression with its matrix symbols replaced by explicit matrices (unevaluated,
    so that it prints as the formula; the checker evaluates it, inverses by the adjugate)."""
    return expr.xreplace(values).replace(lambda e: isinstance(e, sp.Inverse) and not isinstance(e, ExplicitInverse),
                                         lambda e: ExplicitInverse(e.arg))


# ----------------------------------------------------------------------------------------------------------
# The likelihood at p = 2, by components

SIGMA_GENERAL = sp.ImmutableMatrix([[Sigmav[1, 1], Sigmav[1, 2]], [Sigmav[2, 1], Sigmav[2, 2]]])
"""Sigma at p = 2 with four independent entries (for entry-wise gradients)."""
SIGMA = sp.ImmutableMatrix(2, 2, lambda a, b: cov_entry(a + 1, b + 1))
"""The covariance matrix at p = 2: symmetric, Sigma_21 written Sigma_12."""
MU = sp.ImmutableMatrix([muv[1], muv[2]])
PARAMETERS = (muv[1], muv[2], Sigmav[1, 1], Sigmav[1, 2], Sigmav[2, 1], Sigmav[2, 2])
SYMMETRIC_POINT = {Sigmav[2, 1]: Sigmav[1, 2]}

ell = sp.Function("ell")(*PARAMETERS)
"""Name of the log-likelihood at p = 2 as a function of mu and all four entries of Sigma."""
muhat = sp.IndexedBase(r"\hat{\mu}")
Sigmahat = sp.IndexedBase(r"\hat{\Sigma}")
Lambda = sp.IndexedBase("Lambda", real=True)
"""Entries of the precision matrix Lambda = Sigma^-1 (general p)."""
det_sigma = sp.Symbol(r"|\Sigma|", positive=True)
"""|Sigma| at general p: positive, since Sigma is positive definite."""


def centred(index: sp.Symbol = n) -> sp.ImmutableMatrix:
    """x_n - mu at p = 2."""
    return sp.ImmutableMatrix([xv[index, 1] - muv[1], xv[index, 2] - muv[2]])


def scatter(mean: sp.MatrixBase = MU) -> sp.ImmutableMatrix:
    """A = sum_n (x_n - mean)(x_n - mean)^T at p = 2, entry by entry."""
    d = sp.ImmutableMatrix([xv[n, 1] - mean[0], xv[n, 2] - mean[1]])
    return sp.ImmutableMatrix(2, 2, lambda a, b: sp.Sum(d[a] * d[b], (n, 1, N)))


def inverse_2x2(M: sp.MatrixBase, determinant: sp.Expr) -> sp.ImmutableMatrix:
    """M^-1 = adj(M) / |M|, with the determinant written as given."""
    return sp.ImmutableMatrix(M.adjugate() / determinant)


def loglik_p2(Sigma: sp.MatrixBase) -> sp.Expr:
    """-N log 2pi - N/2 log|Sigma| - 1/2 sum_n (x_n - mu)^T Sigma^-1 (x_n - mu) at p = 2 (for any 2x2 Sigma)."""
    quadratic = (centred().T * inverse_2x2(Sigma, Sigma.det()) * centred())[0, 0]
    return (-N * sp.log(2 * sp.pi) - N / 2 * sp.log(Sigma.det())
            - sp.Rational(1, 2) * sp.Sum(sp.factor(quadratic), (n, 1, N)))


def _readable(expr):
    return expr.xreplace({CANONICAL_INDEX: n}) if isinstance(expr, sp.Basic) else expr


# Dimension-free symbols (symbolic p).
Sigma_p = sp.MatrixSymbol("Sigma", p, p)
A_p = sp.MatrixSymbol("A", p, p)


@lru_cache(maxsize=None)
def sigma_gradient_general() -> sp.MatrixExpr:
    """d/dSigma of -N/2 log|Sigma| - 1/2 tr(Sigma^-1 A), by the differential rules (symbolic p)."""
    return matrix_gradient(-N / 2 * sp.log(sp.Determinant(Sigma_p)) - sp.Trace(Sigma_p.I * A_p) / 2, Sigma_p)


# ----------------------------------------------------------------------------------------------------------
@register("mle-multivariate")
def mle_multivariate() -> Derivation:
    """log L of N iid N_p(mu, Sigma); its gradients (entry-wise at p = 2, and by differential rules for any p);
    mu_hat = mean and Sigma_hat = (1/N) sum (x_n - mu_hat)(x_n - mu_hat)^T are a stationary point."""
    # log L at general p, by components: Lambda = Sigma^-1, quadratic form sum_r sum_s.
    quadratic = sp.Sum((xv[n, r] - muv[r]) * Lambda[r, s] * (xv[n, s] - muv[s]), (r, 1, p), (s, 1, p))
    density = (2 * sp.pi) ** (-p / 2) * det_sigma ** sp.Rational(-1, 2) * sp.exp(-quadratic / 2)
    joint = sp.log(sp.Product(density, (n, 1, N)))
    loglik_general = (-N * p / 2 * sp.log(2 * sp.pi) - N / 2 * sp.log(det_sigma)
                      - sp.Sum(quadratic, (n, 1, N)) / 2)
    loglik = chain(
        "loglik", r"Log-likelihood of N iid $\mathcal{N}_p(\mu, \Sigma)$ observations ($\Lambda = \Sigma^{-1}$)",
        joint, "independence: the joint density is the product of the densities",
        Step(log_product_to_sum(joint), "log of a product is the sum of logs"),
        Step(sp.Sum(sp.expand(sp.expand_log(sp.log(density))), (n, 1, N)), "log of the normal density, expanded"),
        Step(loglik_general, r"split the sum: $-\frac{Np}{2}\log 2\pi - \frac{N}{2}\log|\Sigma| - \frac12"
                             r"\sum_n (x_n - \mu)^T \Sigma^{-1} (x_n - \mu)$"),
    )

    # The same at p = 2, explicit matrices (the sums over components written out).
    inverse = inverse_2x2(SIGMA, SIGMA.det())
    at_p2 = loglik_general.xreplace({p: 2}).doit().xreplace(
        {det_sigma: SIGMA.det(), **{Lambda[a + 1, b + 1]: inverse[a, b] for a in range(2) for b in range(2)}})
    trace_form = -N * sp.log(2 * sp.pi) - N / 2 * sp.log(SIGMA.det()) - (inverse * scatter()).trace() / 2
    loglik2 = chain(
        "loglik-p2", r"The log-likelihood at $p = 2$",
        at_p2, r"loglik at $p = 2$: $|\Sigma| = \Sigma_{11}\Sigma_{22} - \Sigma_{12}^2$, "
               r"$\Sigma^{-1} = \operatorname{adj}\Sigma / |\Sigma|$",
        Step(trace_form, r"$\sum_n (x_n-\mu)^T \Sigma^{-1} (x_n-\mu) = \operatorname{tr}(\Sigma^{-1} A)$, "
                         r"$A = \sum_n (x_n-\mu)(x_n-\mu)^T$"),
        Step(sp.Subs(ell, (Sigmav[2, 1],), (Sigmav[1, 2],)),
             r"$\ell(\mu, \Sigma)$ as a function of all four entries of $\Sigma$, at a symmetric $\Sigma$"),
    )
    definitions: dict = {ell: loglik_p2(SIGMA_GENERAL)}
    ell_symmetric = loglik_p2(SIGMA)

    score_mu = chain(
        "score-mu", r"Gradient in $\mu$ ($p = 2$)",
        sp.ImmutableMatrix([sp.Subs(sp.Derivative(ell, muv[k]), (Sigmav[2, 1],), (Sigmav[1, 2],)) for k in (1, 2)]),
        r"definition: $\partial \ell / \partial \mu_r$ at a symmetric $\Sigma$",
        Step(entrywise_gradient(ell_symmetric, MU), "differentiate entry by entry under the sum"),
        Step(sp.MatMul(ExplicitInverse(SIGMA), sp.ImmutableMatrix([sp.Sum(xv[n, k] - muv[k], (n, 1, N)) for k in (1, 2)])),
             r"$= \Sigma^{-1} \sum_n (x_n - \mu)$"),
    )

    A2 = scatter()
    general_gradient = sigma_gradient_general()
    explicit_general = {Sigma_p: SIGMA_GENERAL, A_p: A2}
    score_sigma_entries = chain(
        "score-Sigma-entrywise", r"Gradient in $\Sigma$, entry by entry ($p = 2$, four independent entries)",
        sp.ImmutableMatrix(2, 2, lambda a, b: sp.Derivative(ell, Sigmav[a + 1, b + 1])),
        r"definition: $\partial \ell / \partial \Sigma_{rc}$",
        Step(entrywise_gradient(definitions[ell], SIGMA_GENERAL), "differentiate entry by entry"),
        Step(at_explicit(general_gradient, explicit_general),
             r"$= -\frac{N}{2}\Sigma^{-T} + \frac12 \Sigma^{-T} A^T \Sigma^{-T}$: the differential rules "
             r"(matrix-calculus) at $p = 2$"),
    )
    textbook = -N / 2 * Sigma_p.I + Sigma_p.I * A_p * Sigma_p.I / 2
    score_sigma = chain(
        "score-Sigma", r"Gradient in $\Sigma$ at a symmetric $\Sigma$ ($p = 2$)",
        sp.ImmutableMatrix(2, 2, lambda a, b: sp.Subs(sp.Derivative(ell, Sigmav[a + 1, b + 1]),
                                                      (Sigmav[2, 1],), (Sigmav[1, 2],))),
        r"$\partial \ell / \partial \Sigma_{rc}$ at $\Sigma_{21} = \Sigma_{12}$",
        Step(at_explicit(textbook, {Sigma_p: SIGMA, A_p: A2}),
             r"$-\frac{N}{2}\Sigma^{-1} + \frac12 \Sigma^{-1} A \Sigma^{-1}$ ($\Sigma$, $A$ symmetric)"),
    )
    score_sigma_general = chain(
        "score-Sigma-general", r"Gradient in $\Sigma$ for any $p$ (differential rules)",
        general_gradient,
        r"$d\log|\Sigma| = \operatorname{tr}(\Sigma^{-1} d\Sigma)$, "
        r"$d\Sigma^{-1} = -\Sigma^{-1} d\Sigma\, \Sigma^{-1}$, read off $d\ell = \operatorname{tr}(G^T d\Sigma)$",
        Step(textbook, r"$\Sigma$ and $A$ symmetric"),
    )

    # The stationary point at p = 2.
    definitions.update({muhat[k]: sp.Sum(xv[n, k], (n, 1, N)) / N for k in (1, 2)})
    hat_mean = sp.ImmutableMatrix([muhat[1], muhat[2]])
    hat_scatter = scatter(hat_mean)
    for a, b in ((1, 1), (1, 2), (2, 2)):
        definitions[Sigmahat[a, b]] = hat_scatter[a - 1, b - 1] / N
    Sigma_hat = sp.ImmutableMatrix(2, 2, lambda a, b: Sigmahat[min(a, b) + 1, max(a, b) + 1])
    at_hat = {muv[1]: muhat[1], muv[2]: muhat[2], **{cov_entry(a, b): Sigmahat[a, b] for a, b in ((1, 1), (1, 2), (2, 2))}}
    stationary_mu = chain(
        "stationary-mu-p2", r"$\hat\mu = \frac1N \sum_n x_n$ makes the gradient in $\mu$ vanish ($p = 2$)",
        score_mu.last.xreplace(at_hat), r"the gradient in $\mu$ (score-mu) at $\mu = \hat\mu$, $\Sigma = \hat\Sigma$",
        Step(sp.ImmutableMatrix([0, 0]), r"$\sum_n x_n = N\hat\mu$"),
    )
    score_at_hat = score_sigma.last.xreplace(at_hat)
    stationary_sigma = chain(
        "stationary-Sigma-p2",
        r"$\hat\Sigma = \frac1N \sum_n (x_n - \hat\mu)(x_n - \hat\mu)^T$ makes the gradient in $\Sigma$ vanish "
        r"($p = 2$)",
        score_at_hat, r"the gradient in $\Sigma$ (score-Sigma) at $\mu = \hat\mu$, $\Sigma = \hat\Sigma$",
        Step(score_at_hat.xreplace({hat_scatter: N * Sigma_hat}), r"$A(\hat\mu) = N \hat\Sigma$"),
        Step(sp.ZeroMatrix(2, 2), r"$\hat\Sigma^{-1} (N\hat\Sigma) \hat\Sigma^{-1} = N \hat\Sigma^{-1}$"),
    )
    stationary_general = chain(
        "stationary-general", r"The stationary point for any $p$: $\hat\Sigma = A(\hat\mu)/N$",
        at_explicit(textbook, {Sigma_p: A_p / N}), r"gradient in $\Sigma$ at $\Sigma = A/N$",
        Step(sp.ZeroMatrix(p, p), r"$(A/N)^{-1} = N A^{-1}$"),
    )
    return Derivation(
        "mle-multivariate", "Multivariate Gaussian MLE: log-likelihood, gradients, stationary point",
        ASSUMPTIONS,
        (loglik, loglik2, score_mu, score_sigma_entries, score_sigma, score_sigma_general, stationary_mu,
         stationary_sigma, stationary_general),
        definitions, symmetric=frozenset({Sigma_p, A_p}),
    )


# ----------------------------------------------------------------------------------------------------------
@register("matrix-calculus")
def matrix_calculus() -> Derivation:
    """d log|X| / dX = X^-T and d tr(X^-1 A) / dX = -X^-T A^T X^-T: by the differential rules for any size,
    cross-checked entry by entry (ordinary partial derivatives) on explicit symbolic 2x2 and 3x3 matrices."""
    X = sp.MatrixSymbol("X", p, p)
    A = sp.MatrixSymbol("A", p, p)
    log_det = sp.log(sp.Determinant(X))
    trace_inverse = sp.Trace(X.I * A)
    rules = r"differential rules: $d\log|X| = \operatorname{tr}(X^{-1} dX)$, read off $\operatorname{tr}(G^T dX)$"
    chains = [
        chain("log-det", r"$\partial \log|X| / \partial X$ for any $p$",
              matrix_gradient(log_det, X), rules,
              Step(X.T.I, r"$= X^{-T}$")),
        chain("trace-inverse", r"$\partial \operatorname{tr}(X^{-1} A) / \partial X$ for any $p$",
              matrix_gradient(trace_inverse, X),
              r"differential rules: $dX^{-1} = -X^{-1} dX X^{-1}$, $\operatorname{tr}$ cyclic",
              Step(-X.T.I * A.T * X.T.I, r"$= -X^{-T} A^T X^{-T}$"),
              Step(trace_inverse.diff(X),
                   r"agrees with SymPy's MatrixSymbol derivative (right for this term, unlike $\log|X|$)")),
    ]
    for size in (2, 3):
        # 3x3 is the larger explicit size: its entry-wise identities go to the randomised exact test.
        method = Method.SYMBOLIC if size == 2 else Method.NUMERIC
        Xs, As = explicit_matrix("X", size), explicit_matrix("A", size)
        explicit_log_det = sp.log(Xs.det())
        explicit_trace = (Xs.adjugate() / Xs.det() * As).trace()
        chains.append(chain(
            f"log-det-{size}x{size}", rf"$\partial \log|X| / \partial X_{{rc}}$ entry by entry, ${size} \times {size}$",
            sp.ImmutableMatrix(size, size, lambda a, b: sp.Derivative(explicit_log_det, Xs[a, b])),
            r"partial derivatives of $\log|X|$ (cofactor expansion of the determinant)",
            Step(entrywise_gradient(explicit_log_det, Xs), "differentiate entry by entry", method=method),
            Step(at_explicit(chains[0].last, {X: Xs}), r"$= X^{-T}$ (differential rules) at this size",
                 method=method),
        ))
        if size == 3:  # the 3x3 trace-of-inverse check takes 17 s even as a randomised test: 2x2 only
            continue
        chains.append(chain(
            f"trace-inverse-{size}x{size}",
            rf"$\partial \operatorname{{tr}}(X^{{-1}} A) / \partial X_{{rc}}$ entry by entry, ${size} \times {size}$",
            sp.ImmutableMatrix(size, size, lambda a, b: sp.Derivative(explicit_trace, Xs[a, b])),
            r"partial derivatives of $\operatorname{tr}(X^{-1} A)$, $X^{-1} = \operatorname{adj} X / |X|$",
            Step(entrywise_gradient(explicit_trace, Xs), "differentiate entry by entry", method=method),
            Step(at_explicit(chains[1].steps[1].expr, {X: Xs, A: As}),
                 r"$= -X^{-T} A^T X^{-T}$ (differential rules) at this size", method=method),
        ))
    return Derivation("matrix-calculus", "Matrix calculus: gradients of log-determinant and trace of inverse",
                      (r"X \text{ invertible } p \times p, \ A \text{ constant}",), tuple(chains))


# ----------------------------------------------------------------------------------------------------------
@register("mle-multivariate-bias")
def mle_multivariate_bias() -> Derivation:
    """E[Sigma_hat] = (N-1)/N Sigma for symbolic N, entry by entry (symbolic component indices r, s, so any p)."""
    def sample_mean(component):
        return sp.Sum(xv[n, component], (n, 1, N)) / N

    definitions = {muhat[r]: sample_mean(r), muhat[s]: sample_mean(s),
                   Sigmahat[r, s]: sp.Sum((xv[n, r] - muhat[r]) * (xv[n, s] - muhat[s]), (n, 1, N)) / N}
    for a in (1, 2):
        definitions[muhat[a]] = sample_mean(a)
    for a, b in ((1, 1), (1, 2), (2, 2)):
        definitions[Sigmahat[a, b]] = sp.Sum((xv[n, a] - muhat[a]) * (xv[n, b] - muhat[b]), (n, 1, N)) / N

    delta = sp.KroneckerDelta(n, m, (1, N))
    sigma_rs = cov_entry(r, s)
    value = expectation(definitions[Sigmahat[r, s]].xreplace(
        {muhat[r]: definitions[muhat[r]], muhat[s]: definitions[muhat[s]]}))
    entry = chain(
        "mean-of-Sigmahat", r"$\hat\Sigma$ is biased: entry $(r, s)$",
        Expectation(Sigmahat[r, s]), r"expectation of the estimator",
        Step(Expectation(sp.Sum(xv[n, r] * xv[n, s], (n, 1, N)) / N - muhat[r] * muhat[s]),
             r"expand the product, $\sum_n x_{nr} = N \hat\mu_r$"),
        Step(sp.Sum(Expectation(xv[n, r] * xv[n, s]), (n, 1, N)) / N
             - sp.Sum(sp.Sum(Expectation(xv[n, r] * xv[m, s]), (m, 1, N)), (n, 1, N)) / N ** 2,
             r"linearity of E, $\hat\mu_r \hat\mu_s = \frac{1}{N^2}\sum_n \sum_m x_{nr} x_{ms}$"),
        Step(sp.Sum(muv[r] * muv[s] + sigma_rs, (n, 1, N)) / N
             - sp.Sum(sp.Sum(muv[r] * muv[s] + sigma_rs * delta, (m, 1, N)), (n, 1, N)) / N ** 2,
             r"$E[x_{nr} x_{ms}] = \mu_r \mu_s + \Sigma_{rs} \delta_{nm}$"),
        Step(muv[r] * muv[s] + sigma_rs - muv[r] * muv[s] - sigma_rs / N, r"$\sum_n \sum_m \delta_{nm} = N$"),
        Step(sp.Mul(sp.factor(value / sigma_rs), sigma_rs, evaluate=False), "simplify"),
    )
    ratio = entry.last.args[0] if isinstance(entry.last, sp.Mul) else None
    matrix = chain(
        "mean-of-Sigmahat-p2", r"$E[\hat\Sigma] = \frac{N-1}{N}\Sigma$ as a matrix ($p = 2$)",
        sp.ImmutableMatrix(2, 2, lambda a, b: Expectation(Sigmahat[min(a, b) + 1, max(a, b) + 1])),
        r"expectation of the estimator, entry by entry",
        Step(sp.MatMul(ratio, SIGMA), r"the entry-wise result at $r, s \in \{1, 2\}$"),
    )
    return Derivation("mle-multivariate-bias", r"Bias of the multivariate MLE $\hat\Sigma$", ASSUMPTIONS,
                      (entry, matrix), definitions)
