"""Multivariate density: normalisation, Mahalanobis distance, the 2-D independent case, diagonal covariance.

The p-dimensional normal density is

    N(x | mu, Sigma) = (2 pi)^(-p/2) |Sigma|^(-1/2) exp(-1/2 (x - mu)^T Sigma^-1 (x - mu)),

written by :func:`gaussian_density` with the determinant, the inverse and the quadratic form left
unevaluated, so that the steps below (determinant, inverse, quadratic form, ...) are computations the
checker carries out. Explicit-size results are computed by SymPy (``det``, ``inv``, matrix products);
hand-written textbook forms appear only as steps proved equal to them. Dimension-free steps use
``MatrixSymbol`` algebra of symbolic size p.
"""

from __future__ import annotations

import sympy as sp

from .core import Derivation, Method, Step, chain
from .normal_form import OrthogonalMatrixSymbol
from .notation import normal_pdf, p
from .registry import register

oo = sp.oo

# ---- scalar symbols ---------------------------------------------------------------------------------------
x1, x2, x3, x4 = X = sp.symbols("x_1 x_2 x_3 x_4", real=True)
mu1, mu2, mu3, mu4 = MU = sp.symbols("mu_1 mu_2 mu_3 mu_4", real=True)
sigma1, sigma2, sigma3, sigma4 = SIGMA = sp.symbols("sigma_1 sigma_2 sigma_3 sigma_4", positive=True)
rho = sp.Symbol("rho", real=True)
"""Correlation; the derivations assume -1 < rho < 1 (SymPy's assumptions cannot say so: see the steps)."""
y1, y2 = sp.symbols("y_1 y_2", real=True)
z1, z2 = sp.symbols("z_1 z_2", real=True)
"""Standardised coordinates z_k = (x_k - mu_k) / sigma_k (named quantities of the bivariate derivation)."""
lambda1, lambda2 = sp.symbols("lambda_1 lambda_2", positive=True)
theta = sp.Symbol("theta", real=True)
x_scalar, z_scalar, t_scalar = sp.symbols("x z t", real=True)
mu_scalar = sp.Symbol("mu", real=True)
variance = sp.Symbol("sigma^2", positive=True)
k = sp.Symbol("k", integer=True, positive=True)
whitened_integrand = sp.Function("f")(y1, y2)
"""Name of the p = 2 integrand after the change of variables, f(y) = N(L y + mu | mu, Sigma) det(dx/dy)."""
yk = sp.IndexedBase("y", real=True)
"""Components y_k of the whitened vector y (dimension-free chains)."""

# ---- matrix symbols of symbolic size p ----------------------------------------------------------------------
L = sp.MatrixSymbol("L", p, p)
"""A square root of Sigma: Sigma = L L^T (e.g. the Cholesky factor)."""
U = sp.MatrixSymbol("U", p, p)
"""Orthogonal eigenvector matrix of Sigma: U^T U = U U^T = I."""
Lam = sp.MatrixSymbol("Lambda", p, p)
"""Diagonal matrix of the eigenvalues of Sigma."""
Sigma = sp.MatrixSymbol("Sigma", p, p)
xv = sp.MatrixSymbol("x", p, 1)
muv = sp.MatrixSymbol("mu", p, 1)
yv = sp.MatrixSymbol("y", p, 1)


def gaussian_density(x, mean, cov) -> sp.Expr:
    """N(x | mean, cov) = (2 pi)^(-p/2) |cov|^(-1/2) exp(-1/2 tr((x - mean)^T cov^-1 (x - mean))) for column
    vectors ``x``, ``mean`` and a covariance ``cov`` (explicit matrices or matrix symbols, of integer or
    symbolic size);
    determinant, inverse and quadratic form are left unevaluated (the trace of the 1x1 quadratic form is the
    form itself)."""
    size = cov.shape[0]
    d = x - mean
    quadratic = sp.Trace(sp.MatMul(d.T, sp.Inverse(cov), d))
    return (2 * sp.pi) ** (-sp.sympify(size) / 2) * sp.Determinant(cov) ** sp.Rational(-1, 2) \
        * sp.exp(-quadratic / 2)


def _column(*entries) -> sp.ImmutableMatrix:
    return sp.ImmutableMatrix(len(entries), 1, entries)


def _product(*factors) -> sp.Expr:
    """A product kept as written (SymPy would merge exp(a) exp(b) into exp(a + b))."""
    return sp.Mul(*factors, evaluate=False)


def bivariate_covariance(s1: sp.Expr = sigma1, s2: sp.Expr = sigma2, r: sp.Expr = rho) -> sp.ImmutableMatrix:
    """Sigma = [[s1^2, r s1 s2], [r s1 s2, s2^2]]."""
    return sp.ImmutableMatrix([[s1 ** 2, r * s1 * s2], [r * s1 * s2, s2 ** 2]])


def bivariate_textbook(r: sp.Expr = rho) -> sp.Expr:
    """1/(2 pi s1 s2 sqrt(1 - r^2)) exp(-(z1^2 - 2 r z1 z2 + z2^2) / (2 (1 - r^2))), z_k = (x_k - mu_k)/s_k."""
    w1, w2 = (x1 - mu1) / sigma1, (x2 - mu2) / sigma2
    return sp.exp(-(w1 ** 2 - 2 * r * w1 * w2 + w2 ** 2) / (2 * (1 - r ** 2))) \
        / (2 * sp.pi * sigma1 * sigma2 * sp.sqrt(1 - r ** 2))


def diagonal_density(size: int) -> sp.Expr:
    """N(x | mu, diag(sigma_1^2, ..., sigma_size^2)) in matrix form (unevaluated)."""
    return gaussian_density(_column(*X[:size]), _column(*MU[:size]),
                            sp.ImmutableMatrix(sp.diag(*[s ** 2 for s in SIGMA[:size]])))


# ----------------------------------------------------------------------------------------------------------
@register("density-normalisation")
def density_normalisation() -> Derivation:
    """The p-dimensional normal density integrates to 1: for p = 1 and p = 2 explicitly, and for general p
    through the change of variables x = L y + mu with Sigma = L L^T."""
    # p = 1: the matrix formula is the univariate density; its integral, by standardising
    one_d = gaussian_density(_column(x_scalar), _column(mu_scalar), sp.ImmutableMatrix([[variance]]))
    p1_density = chain(
        "p1-density", r"$p = 1$: the matrix formula is the univariate density",
        one_d, r"$\mathcal{N}(x \mid \mu, \Sigma)$ with $\Sigma = (\sigma^2)$",
        Step(normal_pdf(x_scalar, mu_scalar, variance),
             r"$|\Sigma| = \sigma^2$, $\Sigma^{-1} = 1/\sigma^2$"),
    )
    standard = sp.exp(-z_scalar ** 2 / 2) / sp.sqrt(2 * sp.pi)
    gauss_integral = sp.integrate(sp.exp(-z_scalar ** 2 / 2), (z_scalar, -oo, oo))
    p1_integral = chain(
        "p1-integral", r"$p = 1$: the density integrates to 1",
        sp.Integral(normal_pdf(x_scalar, mu_scalar, variance), (x_scalar, -oo, oo)),
        r"integral of the density over $\mathbb{R}$",
        Step(sp.Integral(standard, (z_scalar, -oo, oo)),
             r"$x = \mu + \sigma z$, $dx = \sigma\,dz$ (completing the square: the exponent is $-z^2/2$)"),
        Step(_product(1 / sp.sqrt(2 * sp.pi), gauss_integral),
             r"Gaussian integral $\int e^{-z^2/2} dz = \sqrt{2\pi}$"),
        Step(sp.S.One, "cancel"),
    )

    # p = 2, general SPD Sigma, whitened coordinates x = L y + mu with L the Cholesky factor of Sigma
    cov = bivariate_covariance()
    chol = sp.ImmutableMatrix([[sigma1, 0], [rho * sigma2, sigma2 * sp.sqrt(1 - rho ** 2)]])
    mean, y = _column(mu1, mu2), _column(y1, y2)
    x_of_y = chol * y + mean
    jacobian = sp.ImmutableMatrix(x_of_y.jacobian(y))
    p2_factor = chain(
        "p2-cholesky", r"$p = 2$: $\Sigma = L L^T$ with the Cholesky factor $L$",
        sp.MatMul(chol, chol.T), r"$L = \begin{pmatrix}\sigma_1 & 0\\ \rho\sigma_2 & \sigma_2\sqrt{1-\rho^2}"
                                 r"\end{pmatrix}$, $-1 < \rho < 1$",
        Step(cov, "multiply out"),
    )
    p2_jacobian = chain(
        "p2-jacobian", r"$p = 2$: Jacobian of $x = L y + \mu$",
        sp.Determinant(jacobian), r"$\det \partial x / \partial y$, the Jacobian matrix computed ($= L$)",
        Step(sigma1 * sigma2 * sp.sqrt(1 - rho ** 2), "determinant of a triangular matrix"),
        Step(sp.sqrt(sp.Determinant(cov)), r"$= |\Sigma|^{1/2}$ (positive for $-1 < \rho < 1$)"),
    )
    p2_whitening = chain(
        "p2-whitening", r"$p = 2$: the quadratic form in whitened coordinates",
        sp.Trace(sp.MatMul((x_of_y - mean).T, sp.Inverse(cov), x_of_y - mean)),
        r"$(x - \mu)^T \Sigma^{-1} (x - \mu)$ at $x = L y + \mu$",
        Step(y1 ** 2 + y2 ** 2, r"$L^T \Sigma^{-1} L = I$: $y^T y$"),
    )
    transformed = gaussian_density(x_of_y, mean, cov) * sp.Determinant(jacobian)
    standard_pair = _product(normal_pdf(y1, 0, 1), normal_pdf(y2, 0, 1))
    p2_integrand = chain(
        "p2-integrand", r"$p = 2$: the integrand after the change of variables",
        transformed, r"$\mathcal{N}(L y + \mu \mid \mu, \Sigma)\,\det(\partial x/\partial y)$",
        Step(sp.exp(-(y1 ** 2 + y2 ** 2) / 2) / (2 * sp.pi),
             r"$|\Sigma|^{-1/2} \det L = 1$ (p2-jacobian), quadratic form $y_1^2 + y_2^2$ (p2-whitening)"),
        Step(standard_pair, "a product of two standard normal densities"),
    )
    limits = ((y2, -oo, oo), (y1, -oo, oo))
    p2_integral = chain(
        "p2-integral", r"$p = 2$: the density integrates to 1",
        sp.Integral(whitened_integrand, *limits),
        r"$\int\!\!\int \mathcal{N}(x \mid \mu, \Sigma)\,dx_1 dx_2$ after the change of variables "
        r"$x = L y + \mu$, $dx = \det L\,dy$ (p2-cholesky, p2-jacobian)",
        Step(sp.Integral(standard_pair, *limits), "the integrand (p2-integrand)"),
        Step(_product(sp.Integral(normal_pdf(y1, 0, 1), (y1, -oo, oo)),
                      sp.Integral(normal_pdf(y2, 0, 1), (y2, -oo, oo))),
             "Fubini: the integral of a product of functions of separate variables"),
        Step(sp.S.One, "each factor is the p = 1 integral (p1-integral)"),
    )

    # general p: dimension-free
    definitions = {whitened_integrand: transformed, xv: L * yv + muv, Sigma: L * L.T}
    quadratic = (xv - muv).T * Sigma.I * (xv - muv)
    general_whitening = chain(
        "general-whitening", r"General $p$: the quadratic form in whitened coordinates",
        quadratic, r"$(x - \mu)^T \Sigma^{-1} (x - \mu)$ with $x = L y + \mu$, $\Sigma = L L^T$",
        Step(yv.T * L.T * (L * L.T).I * L * yv, r"$x - \mu = L y$"),
        Step(yv.T * L.T * L.T.I * L.I * L * yv, r"$(L L^T)^{-1} = L^{-T} L^{-1}$"),
        Step(yv.T * yv, r"$L^T L^{-T} = I$, $L^{-1} L = I$"),
    )
    abs_det_l = sp.sqrt(sp.Determinant(L) ** 2)
    general_jacobian = chain(
        "general-jacobian", r"General $p$: $|\det L| = |\Sigma|^{1/2}$",
        sp.sqrt(sp.Determinant(Sigma)), r"$|\Sigma|^{1/2}$",
        Step(sp.sqrt(sp.Determinant(L) * sp.Determinant(L.T)), r"$\det(L L^T) = \det L \det L^T$"),
        Step(abs_det_l, r"$\det L^T = \det L$; $\sqrt{(\det L)^2} = |\det L|$ ($L$ real)"),
    )
    sum_squares = sp.Sum(yk[k] ** 2, (k, 1, p))
    general_integrand = chain(
        "general-integrand", r"General $p$: the integrand is a product of $p$ standard normal densities",
        (2 * sp.pi) ** (-p / 2) * sp.Determinant(Sigma) ** sp.Rational(-1, 2) * sp.exp(-sum_squares / 2)
        * abs_det_l,
        r"$\mathcal{N}(L y + \mu \mid \mu, \Sigma)\,|\det L|$ with the quadratic form "
        r"$y^T y = \sum_k y_k^2$ (general-whitening)",
        Step((2 * sp.pi) ** (-p / 2) * sp.exp(-sum_squares / 2), r"$|\Sigma|^{1/2} = |\det L|$ (general-jacobian)"),
        Step(sp.Product(normal_pdf(yk[k], 0, 1), (k, 1, p)),
             r"$e^{\sum_k a_k} = \prod_k e^{a_k}$, $(2\pi)^{-p/2} = \prod_k (2\pi)^{-1/2}$"),
    )
    general_integral = chain(
        "general-integral", r"General $p$: the density integrates to 1",
        sp.Product(sp.Integral(normal_pdf(t_scalar, 0, 1), (t_scalar, -oo, oo)), (k, 1, p)),
        r"$\int_{\mathbb{R}^p} \mathcal{N}(x \mid \mu, \Sigma)\,dx = \int_{\mathbb{R}^p} \prod_k "
        r"\phi(y_k)\,dy$ (change of variables $x = L y + \mu$, $dx = |\det L|\,dy$; general-integrand) "
        r"$= \prod_k \int \phi$ (Fubini)",
        Step(sp.Product(sp.S.One, (k, 1, p)), "each factor is the p = 1 integral (p1-integral)"),
        Step(sp.S.One, "a product of ones"),
    )
    return Derivation(
        "density-normalisation", "The multivariate normal density integrates to 1",
        (r"\Sigma \text{ symmetric positive definite}", r"-1 < \rho < 1, \ \sigma_1, \sigma_2, \sigma^2 > 0",
         r"\Sigma = L L^T, \ x = L y + \mu \text{ (a bijection of } \mathbb{R}^p)"),
        (p1_density, p1_integral, p2_factor, p2_jacobian, p2_whitening, p2_integrand, p2_integral,
         general_whitening, general_jacobian, general_integrand, general_integral),
        definitions, frozenset({Sigma}),
    )


# ----------------------------------------------------------------------------------------------------------
x_2d = sp.MatrixSymbol("x", 2, 1)
mu_2d = sp.MatrixSymbol("mu", 2, 1)
Sigma_2d = sp.MatrixSymbol("Sigma", 2, 2)
COORDINATES_2D = {x_2d: _column(x1, x2), mu_2d: _column(mu1, mu2)}
ASSUMPTIONS_2D = (r"x = (x_1, x_2)^T, \ \mu = (\mu_1, \mu_2)^T", r"\sigma_1, \sigma_2 > 0")

Y = sp.MatrixSymbol("y", p, 1)


@register("mahalanobis")
def mahalanobis() -> Derivation:
    """(x - mu)^T Sigma^-1 (x - mu) = sum_i y_i^2 / lambda_i with y = U^T (x - mu), Sigma = U Lambda U^T,
    U orthogonal: dimension-free, and explicitly for p = 2 with a rotation matrix."""
    orthogonal = OrthogonalMatrixSymbol("U", p, p)
    definitions = {Sigma: orthogonal * Lam * orthogonal.T, Y: orthogonal.T * (xv - muv)}
    inverse = chain(
        "inverse", r"$\Sigma^{-1} = U \Lambda^{-1} U^T$",
        Sigma.I, r"$\Sigma = U \Lambda U^T$, $U$ orthogonal ($U^T U = U U^T = I$)",
        Step(orthogonal.T.I * Lam.I * orthogonal.I, "inverse of a product, in reverse order"),
        Step(orthogonal * Lam.I * orthogonal.T, r"$U^{-1} = U^T$ (from $U^T U = I$)"),
    )
    check = chain(
        "inverse-check", r"$U \Lambda^{-1} U^T$ is the inverse of $\Sigma$",
        Sigma * orthogonal * Lam.I * orthogonal.T, r"$\Sigma\, U \Lambda^{-1} U^T$",
        Step(orthogonal * Lam * orthogonal.T * orthogonal * Lam.I * orthogonal.T, r"$\Sigma = U \Lambda U^T$"),
        Step(orthogonal * Lam * Lam.I * orthogonal.T, r"$U^T U = I$"),
        Step(orthogonal * orthogonal.T, r"$\Lambda \Lambda^{-1} = I$"),
        Step(sp.Identity(p), r"$U U^T = I$"),
    )
    d = xv - muv
    distance = chain(
        "distance", r"The Mahalanobis distance in the eigenbasis",
        d.T * Sigma.I * d, r"$(x - \mu)^T \Sigma^{-1} (x - \mu)$",
        Step(d.T * orthogonal * Lam.I * orthogonal.T * d, r"$\Sigma^{-1} = U \Lambda^{-1} U^T$"),
        Step(Y.T * Lam.I * Y, r"$y = U^T (x - \mu)$, so $y^T = (x - \mu)^T U$"),
    )

    # p = 2 with a concrete rotation
    rotation = sp.ImmutableMatrix([[sp.cos(theta), -sp.sin(theta)], [sp.sin(theta), sp.cos(theta)]])
    eigenvalues = sp.ImmutableMatrix(sp.diag(lambda1, lambda2))
    cov = sp.ImmutableMatrix((rotation * eigenvalues * rotation.T).applyfunc(sp.expand))
    centred = _column(x1 - mu1, x2 - mu2)
    components = [(rotation[:, col].T * centred)[0, 0] for col in range(2)]
    orthogonality = chain(
        "rotation-orthogonal", r"$p = 2$: the rotation is orthogonal",
        sp.MatMul(rotation.T, rotation), r"$U^T U$ for $U = $ rotation by $\theta$",
        Step(sp.ImmutableMatrix(sp.eye(2)), r"$\cos^2\theta + \sin^2\theta = 1$"),
    )
    spectral = chain(
        "spectral-2d", r"$p = 2$: $\Sigma^{-1}$ from the eigendecomposition",
        sp.Inverse(cov), r"$\Sigma = U \Lambda U^T$ with $U$ the rotation by $\theta$, multiplied out",
        Step(sp.ImmutableMatrix((rotation * eigenvalues.inv() * rotation.T).applyfunc(sp.expand)),
             r"$U \Lambda^{-1} U^T$, multiplied out"),
    )
    distance_2d = chain(
        "distance-2d", r"$p = 2$: $\sum_i y_i^2 / \lambda_i$",
        sp.Trace(sp.MatMul(centred.T, rotation, sp.Inverse(eigenvalues), rotation.T, centred)),
        r"$(x - \mu)^T \Sigma^{-1} (x - \mu)$ with $\Sigma^{-1} = U \Lambda^{-1} U^T$ (spectral-2d)",
        Step(components[0] ** 2 / lambda1 + components[1] ** 2 / lambda2,
             r"$y_i = u_i^T (x - \mu)$, $u_i$ the columns of $U$"),
    )
    return Derivation(
        "mahalanobis", "The Mahalanobis distance in the eigenbasis of the covariance",
        (r"\Sigma = U \Lambda U^T, \ U^T U = U U^T = I, \ \Lambda = \mathrm{diag}(\lambda_i), \ \lambda_i > 0",),
        (inverse, check, distance, orthogonality, spectral, distance_2d),
        definitions, frozenset({Sigma}),
    )


# ----------------------------------------------------------------------------------------------------------
@register("independent-2d")
def independent_2d() -> Derivation:
    """With Sigma = diag(sigma_1^2, sigma_2^2) the bivariate density is N(x_1 | mu_1, sigma_1^2)
    N(x_2 | mu_2, sigma_2^2)."""
    cov = sp.ImmutableMatrix(sp.diag(sigma1 ** 2, sigma2 ** 2))
    inverse = sp.ImmutableMatrix(sp.diag(1 / sigma1 ** 2, 1 / sigma2 ** 2))
    d = x_2d - mu_2d
    quadratic = sp.Trace(sp.MatMul(d.T, Sigma_2d.I, d))
    first = sp.exp(-(x1 - mu1) ** 2 / (2 * sigma1 ** 2))
    second = sp.exp(-(x2 - mu2) ** 2 / (2 * sigma2 ** 2))
    density = chain(
        "density", "Diagonal covariance: the density factorises",
        gaussian_density(x_2d, mu_2d, Sigma_2d), r"$\mathcal{N}(x \mid \mu, \Sigma)$, $p = 2$",
        Step((2 * sp.pi) ** -1 * (sigma1 ** 2 * sigma2 ** 2) ** sp.Rational(-1, 2) * sp.exp(-quadratic / 2),
             r"determinant of a diagonal matrix: $|\Sigma| = \sigma_1^2 \sigma_2^2$"),
        Step((2 * sp.pi) ** -1 / (sigma1 * sigma2) * sp.exp(-sp.Trace(sp.MatMul(d.T, inverse, d)) / 2),
             r"inverse of a diagonal matrix: $\Sigma^{-1} = \mathrm{diag}(1/\sigma_1^2, 1/\sigma_2^2)$"),
        Step(sp.exp(-((x1 - mu1) ** 2 / sigma1 ** 2 + (x2 - mu2) ** 2 / sigma2 ** 2) / 2)
             / (2 * sp.pi * sigma1 * sigma2),
             r"quadratic form with a diagonal matrix: a sum of squares"),
        Step(_product(1 / (2 * sp.pi * sigma1 * sigma2), first, second), r"exponent split: $e^{a + b} = e^a e^b$"),
        Step(_product(_product(1 / sp.sqrt(2 * sp.pi * sigma1 ** 2), first),
                      _product(1 / sp.sqrt(2 * sp.pi * sigma2 ** 2), second)),
             r"normaliser split: $2\pi\sigma_1\sigma_2 = \sqrt{2\pi\sigma_1^2}\sqrt{2\pi\sigma_2^2}$"),
        Step(_product(normal_pdf(x1, mu1, sigma1 ** 2), normal_pdf(x2, mu2, sigma2 ** 2)),
             r"the product of two univariate densities $\mathcal{N}(x_1 \mid \mu_1, \sigma_1^2)\,"
             r"\mathcal{N}(x_2 \mid \mu_2, \sigma_2^2)$"),
    )
    return Derivation("independent-2d", "Bivariate normal with diagonal covariance: independent components",
                      ASSUMPTIONS_2D + (r"\Sigma = \mathrm{diag}(\sigma_1^2, \sigma_2^2)",), (density,),
                      {**COORDINATES_2D, Sigma_2d: cov}, frozenset({Sigma_2d}))


# ----------------------------------------------------------------------------------------------------------
@register("bivariate")
def bivariate() -> Derivation:
    """The bivariate density in sigma_1, sigma_2, rho: |Sigma| = sigma_1^2 sigma_2^2 (1 - rho^2), Sigma^-1, the
    quadratic form (z_1^2 - 2 rho z_1 z_2 + z_2^2) / (1 - rho^2), and rho = 0 gives the independent case."""
    cov = bivariate_covariance()
    det_value = sigma1 ** 2 * sigma2 ** 2 * (1 - rho ** 2)
    determinant = chain(
        "determinant", r"$|\Sigma|$",
        sp.Determinant(Sigma_2d), r"$\Sigma = \begin{pmatrix}\sigma_1^2 & \rho\sigma_1\sigma_2\\ "
                                  r"\rho\sigma_1\sigma_2 & \sigma_2^2\end{pmatrix}$",
        Step(cov.det(), r"$ad - bc$"),
        Step(det_value, r"factor"),
    )
    adjugate = sp.ImmutableMatrix([[sigma2 ** 2, -rho * sigma1 * sigma2], [-rho * sigma1 * sigma2, sigma1 ** 2]])
    inverse = chain(
        "inverse", r"$\Sigma^{-1}$",
        Sigma_2d.I, r"inverse of $\Sigma$",
        Step(sp.ImmutableMatrix(cov.inv().applyfunc(sp.factor)), "computed (adjugate over determinant)"),
        Step(sp.MatMul(1 / det_value, adjugate), r"$\frac{1}{|\Sigma|}$ times the adjugate"),
    )
    d = x_2d - mu_2d
    w1, w2 = (x1 - mu1) / sigma1, (x2 - mu2) / sigma2
    quadratic_z = (z1 ** 2 - 2 * rho * z1 * z2 + z2 ** 2) / (1 - rho ** 2)
    quadratic = chain(
        "quadratic-form", r"The quadratic form in standardised coordinates",
        sp.Trace(sp.MatMul(d.T, Sigma_2d.I, d)), r"$(x - \mu)^T \Sigma^{-1} (x - \mu)$",
        Step(sp.Trace(sp.MatMul(d.T, sp.MatMul(1 / det_value, adjugate), d)), r"$\Sigma^{-1}$ (above)"),
        Step(((x1 - mu1) ** 2 / sigma1 ** 2 - 2 * rho * (x1 - mu1) * (x2 - mu2) / (sigma1 * sigma2)
              + (x2 - mu2) ** 2 / sigma2 ** 2) / (1 - rho ** 2), "multiply out"),
        Step(quadratic_z, r"$z_k = (x_k - \mu_k) / \sigma_k$"),
    )
    textbook = bivariate_textbook()
    density = chain(
        "density", r"The bivariate density",
        gaussian_density(x_2d, mu_2d, Sigma_2d), r"$\mathcal{N}(x \mid \mu, \Sigma)$, $p = 2$",
        Step((2 * sp.pi) ** -1 * sp.Determinant(Sigma_2d) ** sp.Rational(-1, 2) * sp.exp(-quadratic_z / 2),
             "the quadratic form (above)"),
        Step(sp.exp(-quadratic_z / 2) / (2 * sp.pi * sigma1 * sigma2 * sp.sqrt(1 - rho ** 2)),
             r"$|\Sigma|^{1/2} = \sigma_1 \sigma_2 \sqrt{1 - \rho^2}$"),
        Step(textbook, r"in the original coordinates"),
    )
    uncorrelated = chain(
        "uncorrelated", r"$\rho = 0$: the independent case",
        sp.Subs(textbook, rho, 0), r"the bivariate density at $\rho = 0$",
        Step(_product(normal_pdf(x1, mu1, sigma1 ** 2), normal_pdf(x2, mu2, sigma2 ** 2)),
             r"the product of the marginal densities (independent-2d)"),
    )
    return Derivation(
        "bivariate", r"The bivariate normal density in $\sigma_1, \sigma_2, \rho$",
        ASSUMPTIONS_2D + (r"-1 < \rho < 1",), (determinant, inverse, quadratic, density, uncorrelated),
        {**COORDINATES_2D, Sigma_2d: cov, z1: w1, z2: w2}, frozenset({Sigma_2d}),
    )


# ----------------------------------------------------------------------------------------------------------
@register("diagonal-product")
def diagonal_product() -> Derivation:
    """A p-dimensional normal with diagonal covariance is the product of p univariate normals: explicitly for
    p = 1..4, and for symbolic p in components."""
    chains = []
    for size in range(1, 5):
        xs, ms, ss = X[:size], MU[:size], SIGMA[:size]
        chains.append(chain(
            f"p{size}", rf"$p = {size}$",
            diagonal_density(size), rf"$\mathcal{{N}}(x \mid \mu, \mathrm{{diag}}(\sigma_1^2, \dots, "
                                    rf"\sigma_{size}^2))$",
            Step((2 * sp.pi) ** (-sp.Integer(size) / 2) * sp.Mul(*[s ** 2 for s in ss]) ** sp.Rational(-1, 2)
                 * sp.exp(-sp.Add(*[(a - m) ** 2 / s ** 2 for a, m, s in zip(xs, ms, ss)]) / 2),
                 "determinant and inverse of a diagonal matrix"),
            Step(_product(*[normal_pdf(a, m, s ** 2) for a, m, s in zip(xs, ms, ss)]),
                 r"split the exponent and the normaliser: a product of univariate densities"),
        ))
    xk, mk, sk = sp.IndexedBase("x", real=True), sp.IndexedBase("mu", real=True), \
        sp.IndexedBase("sigma", positive=True)
    generic = chain(
        "general-p", r"General $p$, in components",
        (2 * sp.pi) ** (-p / 2) * sp.Product(sk[k] ** 2, (k, 1, p)) ** sp.Rational(-1, 2)
        * sp.exp(-sp.Sum((xk[k] - mk[k]) ** 2 / sk[k] ** 2, (k, 1, p)) / 2),
        r"$\mathcal{N}(x \mid \mu, \Sigma)$ with $|\Sigma| = \prod_k \sigma_k^2$, $(x - \mu)^T \Sigma^{-1} (x - \mu) "
        r"= \sum_k (x_k - \mu_k)^2 / \sigma_k^2$ (diagonal $\Sigma$)",
        Step(sp.Product(normal_pdf(xk[k], mk[k], sk[k] ** 2), (k, 1, p)),
             r"$e^{\sum_k a_k} = \prod_k e^{a_k}$, $(2\pi)^{-p/2} \prod_k \sigma_k^{-1} = "
             r"\prod_k (2\pi\sigma_k^2)^{-1/2}$"),
    )
    chains.append(generic)
    return Derivation("diagonal-product", "Diagonal covariance: a product of univariate normals",
                      (r"\Sigma = \mathrm{diag}(\sigma_1^2, \dots, \sigma_p^2), \ \sigma_k > 0",), tuple(chains))


def free_entries(size: int) -> int:
    """The number of distinct entries of a symbolic symmetric size x size matrix (counted, not computed by formula)."""
    symmetric = sp.Matrix(size, size, lambda r, c: sp.Symbol(f"s_{min(r, c)}_{max(r, c)}"))
    return len(symmetric.free_symbols)


@register("parameter-count")
def parameter_count() -> Derivation:
    """A full p x p covariance has p(p+1)/2 free parameters; with the mean, p(p+3)/2."""
    closed = sp.factor(sp.Sum(k, (k, 1, p)).doit())
    formula = chain(
        "closed-form", r"Free entries of a symmetric $p \times p$ matrix",
        sp.Sum(k, (k, 1, p)), r"row $k$ has $k$ entries on or below the diagonal; the rest follow by symmetry",
        Step(closed, "sum of an arithmetic series"),
        Step(p * (p + 1) / 2, r"$p(p+1)/2$"),
    )
    sizes = range(1, 7)
    counted = chain(
        "counted", r"Counted for $p = 1, \dots, 6$",
        sp.ImmutableMatrix([free_entries(n) for n in sizes]),
        r"distinct entries of a symmetric matrix of symbols, $p = 1, \dots, 6$",
        Step(sp.ImmutableMatrix([sp.Subs(formula.last, p, n) for n in sizes]), r"$p(p+1)/2$ at $p = 1, \dots, 6$"),
    )
    total = chain(
        "with-mean", r"Mean and covariance together",
        p + formula.last, r"$p$ entries of $\mu$ and $p(p+1)/2$ of $\Sigma$",
        Step(p * (p + 3) / 2, r"$p(p+3)/2$"),
    )
    return Derivation("parameter-count", "Free parameters of a multivariate normal",
                      (r"\Sigma \text{ symmetric } p \times p",), (formula, counted, total))
