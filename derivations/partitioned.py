"""Partitioned Gaussian: affine maps, marginals, independence, the conditional (Schur complement).

x = (x_a, x_b) ~ N(mu, Sigma) with blocks mu_a, mu_b, Sigma_aa, Sigma_ab, Sigma_ba = Sigma_ab^T, Sigma_bb
of symbolic sizes m and n (``MatrixSymbol`` / ``BlockMatrix``). Moments are taken with the matrix
expectation operator (:mod:`derivations.matrix_expectation`: linearity and the first two moments only);
block products and inverses are collapsed by SymPy. The results of the chains are exported
(:func:`affine_moments`, :func:`conditional_moments`) so that other derivations apply them instead of
retyping them.
"""

from __future__ import annotations

import random
from functools import lru_cache

import sympy as sp

from .core import Derivation, Step, chain
from .matrices import random_spd, symbolic_matrix
from .matrix_expectation import MatrixCovariance, MatrixExpectation, evaluate_matrix_expectation, gaussian_model
from .normal_form import matrix_normal_form, use_symmetry
from .registry import get, register

# ----------------------------------------------------------------------------------------------------------
# Notation
p, k, l = sp.symbols("p k l", integer=True, positive=True)
m, n = sp.symbols("m n", integer=True, positive=True)

x = sp.MatrixSymbol("x", p, 1)
mu = sp.MatrixSymbol("mu", p, 1)
Sigma = sp.MatrixSymbol("Sigma", p, p)
A = sp.MatrixSymbol("A", k, p)
b = sp.MatrixSymbol("b", k, 1)
B = sp.MatrixSymbol("B", k, p)
C = sp.MatrixSymbol("C", l, p)

x_a, x_b = sp.MatrixSymbol("x_a", m, 1), sp.MatrixSymbol("x_b", n, 1)
mu_a, mu_b = sp.MatrixSymbol("mu_a", m, 1), sp.MatrixSymbol("mu_b", n, 1)
Sigma_aa = sp.MatrixSymbol("Sigma_aa", m, m)
Sigma_ab = sp.MatrixSymbol("Sigma_ab", m, n)
Sigma_bb = sp.MatrixSymbol("Sigma_bb", n, n)
K = sp.MatrixSymbol("K", n, n)
"""The Schur complement of Sigma_aa: K = Sigma_bb - Sigma_ba Sigma_aa^-1 Sigma_ab."""
x_res = sp.MatrixSymbol("x_b.a", n, 1)
"""x_{b.a} = x_b - Sigma_ba Sigma_aa^-1 x_a, as a random vector of its own (after it is shown independent)."""

SCHUR = Sigma_bb - Sigma_ab.T * Sigma_aa.I * Sigma_ab
GAIN = Sigma_ab.T * Sigma_aa.I

AFFINE_ASSUMPTIONS = (r"x \sim \mathcal{N}_p(\mu, \Sigma), \ \Sigma \text{ symmetric positive definite}",
                      r"A \in \mathbb{R}^{k \times p}, \ b \in \mathbb{R}^{k}, \ p, k \text{ symbolic}")
PARTITION_ASSUMPTIONS = (
    r"x = (x_a, x_b) \sim \mathcal{N}(\mu, \Sigma), \ x_a \in \mathbb{R}^m, \ x_b \in \mathbb{R}^n, "
    r"\ m, n \text{ symbolic}",
    r"\Sigma = \begin{pmatrix} \Sigma_{aa} & \Sigma_{ab} \\ \Sigma_{ab}^T & \Sigma_{bb} \end{pmatrix} "
    r"\text{ symmetric positive definite}",
)

JOINT = gaussian_model({x_a: mu_a, x_b: mu_b},
                       {(x_a, x_a): Sigma_aa, (x_a, x_b): Sigma_ab, (x_b, x_b): Sigma_bb})
"""x = (x_a, x_b) with its block means and covariances."""


SYMMETRIC = frozenset({Sigma_aa, Sigma_bb, K})


def _tidy(expr: sp.MatrixExpr) -> sp.MatrixExpr:
    """A computed expression for display: transposes of the symmetric blocks dropped."""
    return use_symmetry(expr.doit(), SYMMETRIC)


def _zero_one(*blocks) -> sp.BlockMatrix:
    return sp.BlockMatrix([list(blocks)])


def block_identity(r: sp.Expr, c: sp.Expr) -> sp.BlockMatrix:
    """diag(I_r, I_c) as a 2 x 2 block matrix."""
    return sp.BlockMatrix([[sp.Identity(r), sp.ZeroMatrix(r, c)], [sp.ZeroMatrix(c, r), sp.Identity(c)]])


def instantiate(expr: sp.Basic, values: dict) -> sp.Basic:
    """A derived result applied to other blocks: every matrix symbol in ``values`` replaced at once."""
    return expr.xreplace(values)


# ----------------------------------------------------------------------------------------------------------
@register("affine")
def affine() -> Derivation:
    """y = A x + b has mean A mu + b and covariance A Sigma A^T; B x and C x are independent iff
    B Sigma C^T = 0."""
    model = gaussian_model({x: mu}, {(x, x): Sigma})
    y = A * x + b
    centred = A * (x - mu)

    mean = chain(
        "mean", r"Mean of $y = A x + b$",
        MatrixExpectation(y, model), "expectation of the affine map",
        Step(A * MatrixExpectation(x, model) + b, "linearity of E (A, b constant)"),
        Step(evaluate_matrix_expectation(y, model), r"$E[x] = \mu$"),
    )
    covariance = chain(
        "covariance", r"Covariance of $y = A x + b$",
        MatrixCovariance(y, y, model), r"definition: $E[(y - E y)(y - E y)^T]$",
        Step(MatrixExpectation((y - mean.last) * (y - mean.last).T, model), r"$E[y] = A\mu + b$ (above)"),
        Step(MatrixExpectation(centred * centred.T, model), r"$b$ cancels"),
        Step(A * MatrixExpectation((x - mu) * (x - mu).T, model) * A.T, "linearity of E (A constant)"),
        Step(A * Sigma * A.T, r"$E[(x - \mu)(x - \mu)^T] = \Sigma$"),
    )
    cross = chain(
        "cross-covariance", r"Cross-covariance of $B x$ and $C x$; independence",
        MatrixCovariance(B * x, C * x, model), r"definition: $E[(Bx - E Bx)(Cx - E Cx)^T]$",
        Step(MatrixExpectation(B * (x - mu) * (x - mu).T * C.T, model), r"$E[Bx] = B\mu$, $E[Cx] = C\mu$"),
        Step(B * Sigma * C.T, r"linearity of E, $E[(x - \mu)(x - \mu)^T] = \Sigma$; (Bx, Cx) is an affine map"
                              r" of x, so jointly Gaussian: independent iff $B \Sigma C^T = 0$"),
    )
    stacked_map = sp.BlockMatrix([[B], [C]])
    stacked = chain(
        "stacked", r"Joint covariance of $(B x, C x)$",
        stacked_map * Sigma * stacked_map.T, r"covariance of the affine map $[B; C]\,x$ (above)",
        Step(sp.BlockMatrix([[B * Sigma * B.T, B * Sigma * C.T], [C * Sigma * B.T, C * Sigma * C.T]]),
             "block product: the off-diagonal blocks are the cross-covariances"),
    )
    return Derivation("affine", "Affine maps of a Gaussian vector; independence", AFFINE_ASSUMPTIONS,
                      (mean, covariance, cross, stacked), symmetric=frozenset({Sigma}))


def affine_moments(matrix: sp.MatrixExpr, offset: sp.MatrixExpr, mean: sp.MatrixExpr,
                   covariance: sp.MatrixExpr) -> tuple[sp.MatrixExpr, sp.MatrixExpr]:
    """(mean, covariance) of ``matrix @ v + offset`` for v ~ N(mean, covariance), from ``affine``."""
    derivation = get("affine")
    values = {A: matrix, b: offset, mu: mean, Sigma: covariance}
    return (instantiate(derivation.chain("mean").last, values),
            instantiate(derivation.chain("covariance").last, values))


# ----------------------------------------------------------------------------------------------------------
JOINT_MEAN = sp.BlockMatrix([[mu_a], [mu_b]])
JOINT_COVARIANCE = sp.BlockMatrix([[Sigma_aa, Sigma_ab], [Sigma_ab.T, Sigma_bb]])


@register("marginal")
def marginal() -> Derivation:
    """x_a ~ N(mu_a, Sigma_aa) and x_b ~ N(mu_b, Sigma_bb): the affine-map theorem with A = [I 0], [0 I]."""
    chains = []
    for name, select, mean_block, cov_block in (
            ("a", _zero_one(sp.Identity(m), sp.ZeroMatrix(m, n)), mu_a, Sigma_aa),
            ("b", _zero_one(sp.ZeroMatrix(n, m), sp.Identity(n)), mu_b, Sigma_bb)):
        mean, cov = affine_moments(select, sp.ZeroMatrix(select.shape[0], 1), JOINT_MEAN, JOINT_COVARIANCE)
        label = f"[I\\ 0]" if name == "a" else f"[0\\ I]"
        chains.append(chain(
            f"mean-{name}", rf"Marginal mean of $x_{name}$",
            mean, rf"affine-map theorem with $A = {label}$, $b = 0$",
            Step(mean_block, "block product"),
        ))
        chains.append(chain(
            f"covariance-{name}", rf"Marginal covariance of $x_{name}$",
            cov, rf"affine-map theorem with $A = {label}$",
            Step(cov_block, "block products"),
        ))
    return Derivation("marginal", "Marginals of a partitioned Gaussian", PARTITION_ASSUMPTIONS, tuple(chains),
                      symmetric=frozenset({Sigma_aa, Sigma_bb}))


# ----------------------------------------------------------------------------------------------------------
@register("conditional")
def conditional() -> Derivation:
    r"""x_b | x_a ~ N(mu_b + Sigma_ba Sigma_aa^-1 (x_a - mu_a), Sigma_bb - Sigma_ba Sigma_aa^-1 Sigma_ab),
    derived twice: (i) from x_{b.a} = x_b - Sigma_ba Sigma_aa^-1 x_a, independent of x_a; (ii) by completing
    the square in the joint exponent, with the block inverse through the Schur complement K.

    The checker parametrises Sigma_bb = K + Sigma_ba Sigma_aa^-1 Sigma_ab (a definition: every symmetric
    Sigma_bb is of this form with K its Schur complement), so that products with the block inverse
    collapse to the identity.
    """
    residual = x_b - GAIN * x_a
    d_a, d_b = x_a - mu_a, x_b - mu_b
    d = sp.BlockMatrix([[d_a], [d_b]])

    # (i) the construction x_{b.a}
    decorrelate = chain(
        "independence", r"$x_{b.a} = x_b - \Sigma_{ba}\Sigma_{aa}^{-1} x_a$ is independent of $x_a$",
        MatrixCovariance(residual, x_a, JOINT), r"cross-covariance of $x_{b.a}$ and $x_a$",
        Step(MatrixExpectation((d_b - GAIN * d_a) * d_a.T, JOINT),
             r"$E[x_{b.a}] = \mu_b - \Sigma_{ba}\Sigma_{aa}^{-1}\mu_a$"),
        Step(_tidy(evaluate_matrix_expectation((d_b - GAIN * d_a) * d_a.T, JOINT)),
             r"linearity of E; $E[x_b x_a^T] = \Sigma_{ba} + \mu_b\mu_a^T$, $E[x_a x_a^T] = \Sigma_{aa} + \mu_a\mu_a^T$"),
        Step(sp.MatAdd(Sigma_ab.T, sp.MatMul(-1, Sigma_ab.T, Sigma_aa.I, Sigma_aa)), "the mean products cancel"),
        Step(sp.ZeroMatrix(n, m), r"$\Sigma_{aa}^{-1}\Sigma_{aa} = I$: uncorrelated, and jointly Gaussian"
                                  r" (an affine map of x), hence independent"),
    )
    residual_mean = chain(
        "residual-mean", r"Mean of $x_{b.a}$",
        MatrixExpectation(residual, JOINT), "expectation",
        Step(_tidy(evaluate_matrix_expectation(residual, JOINT)), "linearity of E"),
    )
    residual_cov_value = _tidy(evaluate_matrix_expectation((d_b - GAIN * d_a) * (d_b - GAIN * d_a).T, JOINT))
    residual_covariance = chain(
        "residual-covariance", r"Covariance of $x_{b.a}$",
        MatrixCovariance(residual, residual, JOINT), "covariance",
        Step(MatrixExpectation((d_b - GAIN * d_a) * (d_b - GAIN * d_a).T, JOINT), "mean above"),
        Step(residual_cov_value, "linearity of E, second moments of the joint"),
        Step(sp.MatAdd(Sigma_bb, sp.MatMul(-2, GAIN, Sigma_ab), sp.MatMul(GAIN, Sigma_aa, Sigma_aa.I, Sigma_ab)),
             "the mean products cancel"),
        Step(SCHUR, r"$\Sigma_{aa}^{-1}\Sigma_{aa} = I$, $\Sigma_{aa}$ symmetric: the Schur complement"),
    )
    given = gaussian_model({x_res: residual_mean.last}, {(x_res, x_res): residual_covariance.last})
    decomposition = x_res + GAIN * x_a
    mean_i = chain(
        "conditional-mean", r"Conditional mean $E[x_b \mid x_a]$ (construction)",
        MatrixExpectation(decomposition, given),
        r"$x_b = x_{b.a} + \Sigma_{ba}\Sigma_{aa}^{-1} x_a$; given $x_a$ the second term is fixed and"
        r" $x_{b.a}$, independent of $x_a$, keeps its distribution",
        Step(evaluate_matrix_expectation(decomposition, given), r"$E[x_{b.a}]$ (above)"),
        Step(mu_b + GAIN * (x_a - mu_a), "collect"),
    )
    covariance_i = chain(
        "conditional-covariance", r"Conditional covariance $\mathrm{Cov}[x_b \mid x_a]$ (construction)",
        MatrixCovariance(decomposition, decomposition, given),
        r"$x_b = x_{b.a} + \Sigma_{ba}\Sigma_{aa}^{-1} x_a$ given $x_a$ (as above)",
        Step(matrix_normal_form(MatrixCovariance(decomposition, decomposition, given), SYMMETRIC),
             r"a fixed shift does not change the covariance: $\mathrm{Cov}[x_{b.a}]$ (above)"),
        Step(SCHUR, r"the Schur complement $\Sigma_{bb} - \Sigma_{ba}\Sigma_{aa}^{-1}\Sigma_{ab}$"),
    )

    # (ii) completing the square, with the block inverse through the Schur complement
    parametrised = sp.BlockMatrix([[Sigma_aa, Sigma_ab], [Sigma_ab.T, K + Sigma_ab.T * Sigma_aa.I * Sigma_ab]])
    inverse = sp.block_collapse(parametrised.I)
    inverse = sp.BlockMatrix(inverse.blocks.applyfunc(lambda e: matrix_normal_form(e, frozenset({Sigma_aa, K}))))
    (P_aa, P_ab), (P_ba, P_bb) = inverse.blocks.tolist()
    identity = block_identity(m, n)
    right_inverse = chain(
        "block-inverse", r"Block inverse through the Schur complement $K$",
        JOINT_COVARIANCE * inverse,
        r"$\Sigma^{-1}$ computed by SymPy (block_collapse), with $K = \Sigma_{bb} - \Sigma_{ba}\Sigma_{aa}^{-1}\Sigma_{ab}$",
        Step(identity, r"block by block: $\Sigma\,\Sigma^{-1} = I$"),
    )
    left_inverse = chain(
        "block-inverse-left", r"... and from the left",
        inverse * JOINT_COVARIANCE, r"the same $\Sigma^{-1}$",
        Step(identity, r"block by block: $\Sigma^{-1}\Sigma = I$"),
    )
    correction = -P_bb.I * P_ba * d_a
    completed = (d_b - correction).T * P_bb * (d_b - correction) + d_a.T * (P_aa - P_ab * P_bb.I * P_ba) * d_a
    square = chain(
        "complete-square", r"Completing the square in the joint exponent",
        d.T * JOINT_COVARIANCE.I * d, r"the exponent of the joint density is $-\frac12$ of this",
        Step(d.T * inverse * d, r"block inverse (above)"),
        Step(d_a.T * P_aa * d_a + d_a.T * P_ab * d_b + d_b.T * P_ba * d_a + d_b.T * P_bb * d_b,
             "block products"),
        Step(completed, r"complete the square in $x_b$: precision $(\Sigma^{-1})_{bb}$, centre"
                        r" $\mu_b - (\Sigma^{-1})_{bb}^{-1}(\Sigma^{-1})_{ba}(x_a - \mu_a)$"),
        Step((x_b - mu_b - GAIN * d_a).T * K.I * (x_b - mu_b - GAIN * d_a) + d_a.T * Sigma_aa.I * d_a,
             r"$(\Sigma^{-1})_{bb} = K^{-1}$, $-(\Sigma^{-1})_{bb}^{-1}(\Sigma^{-1})_{ba} = \Sigma_{ba}\Sigma_{aa}^{-1}$,"
             r" $(\Sigma^{-1})_{aa} - (\Sigma^{-1})_{ab}(\Sigma^{-1})_{bb}^{-1}(\Sigma^{-1})_{ba} = \Sigma_{aa}^{-1}$"
             r": the marginal exponent of $x_a$ plus a Gaussian exponent in $x_b$"),
    )
    mean_ii = chain(
        "conditional-mean-square", r"Conditional mean from the completed square",
        mu_b + correction, r"the centre of the square in $x_b$",
        Step(mu_b + GAIN * d_a, r"blocks of $\Sigma^{-1}$ (above)"),
    )
    covariance_ii = chain(
        "conditional-covariance-square", r"Conditional covariance from the completed square",
        sp.Inverse(P_bb), r"inverse of the precision $(\Sigma^{-1})_{bb}$ of the square in $x_b$",
        Step(K, r"$(\Sigma^{-1})_{bb} = K^{-1}$"),
        Step(SCHUR, "the Schur complement"),
    )
    return Derivation(
        "conditional", "Conditional of a partitioned Gaussian (Schur complement)", PARTITION_ASSUMPTIONS,
        (decorrelate, residual_mean, residual_covariance, mean_i, covariance_i,
         right_inverse, left_inverse, square, mean_ii, covariance_ii),
        definitions={Sigma_bb: K + Sigma_ab.T * Sigma_aa.I * Sigma_ab},
        symmetric=SYMMETRIC,
    )


def conditional_moments(mean_a: sp.MatrixExpr, mean_b: sp.MatrixExpr, cov_aa: sp.MatrixExpr,
                        cov_ab: sp.MatrixExpr, cov_bb: sp.MatrixExpr,
                        given: sp.MatrixExpr) -> tuple[sp.MatrixExpr, sp.MatrixExpr]:
    """(mean, covariance) of x_b | x_a = ``given`` for the partitioned Gaussian with the given blocks,
    from the results of ``conditional`` (chains conditional-mean and conditional-covariance)."""
    derivation = get("conditional")
    values = {mu_a: mean_a, mu_b: mean_b, Sigma_aa: cov_aa, Sigma_ab: cov_ab, Sigma_bb: cov_bb, x_a: given}
    return (instantiate(derivation.chain("conditional-mean").last, values),
            instantiate(derivation.chain("conditional-covariance").last, values))


# ----------------------------------------------------------------------------------------------------------
def explicit_chains(size_a: int, size_b: int, instance_seed: int | None = None) -> tuple:
    """Chains checking, component by component, that the joint exponent is the marginal exponent of x_a
    plus the conditional exponent of x_b | x_a, and det Sigma = det Sigma_aa det Sigma_{b|a}, for blocks
    of sizes ``size_a`` and ``size_b``. The conditional moments are the dimension-free results of
    ``conditional`` applied to the explicit blocks. With ``instance_seed`` None, Sigma has symbolic entries;
    otherwise Sigma is an exact random-rational SPD instance (x and mu stay symbolic)."""
    size = size_a + size_b
    if instance_seed is None:
        cov = symbolic_matrix("s", size, size, symmetric=True)
        kind = "symbolic"
    else:
        cov = random_spd(size, random.Random(instance_seed))
        kind = f"random rational SPD instance (seed {instance_seed})"
    xs = sp.ImmutableMatrix([sp.Symbol(f"x_{r + 1}", real=True) for r in range(size)])
    ms = sp.ImmutableMatrix([sp.Symbol(f"m_{r + 1}", real=True) for r in range(size)])
    cov_aa, cov_ab, cov_bb = cov[:size_a, :size_a], cov[:size_a, size_a:], cov[size_a:, size_a:]
    da = xs[:size_a, :] - ms[:size_a, :]
    mean_b, cov_b = conditional_moments(ms[:size_a, :], ms[size_a:, :], cov_aa, cov_ab, cov_bb, xs[:size_a, :])
    db = xs[size_a:, :] - mean_b
    d = xs - ms
    tag = f"{size_a}-{size_b}"
    exponent = chain(
        f"exponent-{tag}", rf"Joint exponent = marginal + conditional, sizes ({size_a}, {size_b}), {kind}",
        d.T * sp.Inverse(cov) * d, r"$(x - \mu)^T \Sigma^{-1} (x - \mu)$, explicit components",
        Step(da.T * sp.Inverse(cov_aa) * da + db.T * sp.Inverse(cov_b) * db,
             r"$(x_a - \mu_a)^T\Sigma_{aa}^{-1}(x_a - \mu_a) + (x_b - \mu_{b|a})^T\Sigma_{b|a}^{-1}(x_b - \mu_{b|a})$"
             r" with the conditional moments of the conditional derivation"),
    )
    determinant = chain(
        f"determinant-{tag}", rf"Determinant factorises, sizes ({size_a}, {size_b}), {kind}",
        sp.Determinant(cov), r"$\det\Sigma$",
        Step(sp.Determinant(cov_aa) * sp.Determinant(cov_b),
             r"$\det\Sigma_{aa}\,\det\Sigma_{b|a}$: with the exponent above and $(2\pi)^{(m+n)/2} ="
             r" (2\pi)^{m/2}(2\pi)^{n/2}$, $p(x_a, x_b) = p(x_a)\,p(x_b \mid x_a)$"),
    )
    return exponent, determinant


#: Fully symbolic Sigma (sizes (2, 1) and up take seconds per step: see SYMPY-NOTES and the benchmark).
EXPLICIT_SYMBOLIC_SIZES = ((1, 1), (1, 2))
#: Exact random-rational SPD instances of Sigma, x and mu symbolic.
EXPLICIT_INSTANCE_SIZES = ((2, 1), (2, 2), (2, 3), (3, 3), (4, 4))


@register("conditional-explicit")
def conditional_explicit() -> Derivation:
    """Component-wise check that p(x_a, x_b) = p(x_a) p(x_b | x_a) with the derived conditional moments:
    fully symbolic Sigma at block sizes (1,1), (1,2); exact random-rational SPD instances (symbolic
    x and mu) at (2,1), (2,2), (2,3), (3,3), (4,4)."""
    chains = [c for sizes in EXPLICIT_SYMBOLIC_SIZES for c in explicit_chains(*sizes)]
    chains += [c for k, sizes in enumerate(EXPLICIT_INSTANCE_SIZES) for c in explicit_chains(*sizes, instance_seed=k)]
    return Derivation("conditional-explicit", "Joint = marginal x conditional, explicit components",
                      (r"x = (x_a, x_b) \sim \mathcal{N}(\mu, \Sigma) \text{ with explicit components}",
                       r"\Sigma \text{ symmetric positive definite}"), tuple(chains))
