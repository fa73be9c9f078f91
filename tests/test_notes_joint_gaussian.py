r"""Scalars made jointly Gaussian by a stacked premise (``(x; y) \sim \mathcal{N}((\mu_x; \mu_y), C)``), and
distribution statements judged by the premises: the moments, the conditional moments and the conditional laws
they fix. Each rule has a mutation: the same step made wrong is rejected; an unstated dependence is never
guessed."""

from __future__ import annotations

import pytest
import sympy as sp

from derivations.expectation import UnsupportedExpectation, joint_gaussian_moments
from derivations.notes.check import check_document
from derivations.notes.judge import judge_pair
from derivations.notes.matrix_scope import matrix_entries, read_matrix_scope

PAIR = (r"\begin{pmatrix} x \\ y \end{pmatrix}", "sim",
        r"\mathcal{N}\left(\begin{pmatrix} \mu_x \\ \mu_y \end{pmatrix}, \begin{pmatrix} \sigma_x^2 & "
        r"\rho\sigma_x\sigma_y \\ \rho\sigma_x\sigma_y & \sigma_y^2 \end{pmatrix}\right)")
JOINT, APPLIED = read_matrix_scope([(1, *PAIR)], "")
MODEL, _ = read_matrix_scope([(1, "z", "=", r"Wx + c + \eta"), (2, r"\eta", "sim", r"\mathcal{N}(0, R)"),
                              (3, "x", "sim", r"\mathcal{N}(m, V)")], "")


def test_isserlis_moments_agree_with_sympy_stats():
    """E[x^2 y], Var[x y], Cov[x^2, y] of a bivariate normal, against sympy.stats (an independent oracle)."""
    from sympy.stats import E, Normal

    m1, m2, s1, s2, r = sp.symbols("m1 m2 s1 s2 r", real=True)
    x, y = sp.symbols("x y", real=True)
    expect, variance, cov = joint_gaussian_moments((x, y), (m1, m2), ((s1 ** 2, r * s1 * s2), (r * s1 * s2, s2 ** 2)))
    z1, z2 = Normal("z1", 0, 1), Normal("z2", 0, 1)  # x = m1 + s1 z1, y = m2 + s2 (r z1 + sqrt(1 - r^2) z2)
    as_normals = {x: m1 + s1 * z1, y: m2 + s2 * (r * z1 + sp.sqrt(1 - r ** 2) * z2)}
    for expr in (x ** 2 * y, x * y, y ** 3, x ** 2 * y ** 2):
        assert sp.simplify(expect(expr) - E(expr.xreplace(as_normals))) == 0
    assert sp.simplify(variance(x * y) - (E((x * y).xreplace(as_normals) ** 2) - E((x * y).xreplace(as_normals)) ** 2)) == 0
    assert sp.simplify(cov(x ** 2, y) - 2 * m1 * r * s1 * s2) == 0
    with pytest.raises(UnsupportedExpectation):
        expect(sp.exp(x))


def test_a_stacked_premise_of_scalars_is_read_and_applied():
    assert APPLIED == {0}
    (joint,) = JOINT.joint
    assert joint.variables == ("x", "y") and joint.means == (r"\mu_x", r"\mu_y")
    assert joint.covariance[0][1] == r"\rho\sigma_x\sigma_y"
    assert matrix_entries(r"\begin{bmatrix} a & b \\ c & d \end{bmatrix}") == [["a", "b"], ["c", "d"]]
    # blocks of vectors (capital letters) are not scalars: not this premise
    blocks, _ = read_matrix_scope([(1, r"\begin{pmatrix} u \\ v \end{pmatrix}", "sim",
                                    r"\mathcal{N}\left(\begin{pmatrix} a \\ b \end{pmatrix}, \begin{pmatrix} A & B "
                                    r"\\ B^\top & C \end{pmatrix}\right)")], "")
    assert not blocks.joint


@pytest.mark.parametrize("lhs, rhs, verdict", [
    (r"\operatorname{Cov}(x, y)", r"\rho\sigma_x\sigma_y", "valid"),
    (r"\operatorname{Cov}(x, y)", r"\rho\sigma_x^2\sigma_y", "invalid"),
    (r"\mathbb{E}[x^2]", r"\mu_x^2 + \sigma_x^2", "valid"),
    (r"\mathbb{E}[x^2]", r"\mu_x^2", "invalid"),
    (r"\operatorname{Var}(x - y)", r"\sigma_x^2 + \sigma_y^2 - 2\rho\sigma_x\sigma_y", "valid"),
    (r"\operatorname{Var}(x - y)", r"\sigma_x^2 - \sigma_y^2", "invalid"),  # Var(a - b) = Var a - Var b
    (r"\mathbb{E}[y \mid x]", r"\mu_y + \rho\frac{\sigma_y}{\sigma_x}(x - \mu_x)", "valid"),
    (r"\mathbb{E}[x \mid y]", r"\mu_x + \rho\frac{\sigma_y}{\sigma_x}(y - \mu_y)", "invalid"),  # the slope upside down
    (r"\operatorname{Var}[y \mid x]", r"\sigma_y^2(1 - \rho^2)", "valid"),
    (r"\operatorname{Var}[y \mid x]", r"\sigma_y^2(1 - \rho)", "invalid"),
])
def test_moments_follow_the_joint_premise(lhs, rhs, verdict):
    assert judge_pair(lhs, rhs, table=JOINT)[0] == verdict


@pytest.mark.parametrize("lhs, rhs", [
    (r"\mathbb{E}[a x]", r"a\mu_x"),  # a: a constant or a random variable? the notes do not say
    (r"\mathbb{E}[y \mid x^2]", r"\mu_y"),  # conditioning on a non-affine function: not the Schur complement
])
def test_what_the_premise_does_not_fix_is_not_checked(lhs, rhs):
    assert judge_pair(lhs, rhs, table=JOINT)[0] == "not_checked"


@pytest.mark.parametrize("lhs, rhs, verdict", [
    (r"y \mid x", r"\mathcal{N}\left(\mu_y + \rho\frac{\sigma_y}{\sigma_x}(x - \mu_x), \sigma_y^2(1 - \rho^2)\right)", "valid"),
    (r"y \mid x", r"\mathcal{N}\left(\mu_y + \rho\frac{\sigma_y}{\sigma_x}(x - \mu_x), \sigma_y^2(1 - \rho)\right)", "invalid"),
    (r"y \mid x", r"\mathcal{N}\left(\mu_y + \rho\frac{\sigma_x}{\sigma_y}(x - \mu_x), \sigma_y^2(1 - \rho^2)\right)", "invalid"),
    (r"x + y", r"\mathcal{N}\left(\mu_x + \mu_y, \sigma_x^2 + \sigma_y^2 + 2\rho\sigma_x\sigma_y\right)", "valid"),
    (r"x + y", r"\mathcal{N}\left(\mu_x + \mu_y, \sigma_x^2 + \sigma_y^2\right)", "invalid"),
    # adversarial: x y has the stated mean and variance of no Gaussian; never valid
    (r"x y", r"\mathcal{N}\left(\mu_x\mu_y + \rho\sigma_x\sigma_y, 1\right)", "not_checked"),
])
def test_a_distribution_statement_is_judged_by_the_joint_premise(lhs, rhs, verdict):
    assert judge_pair(lhs, rhs, relation="sim", table=JOINT)[0] == verdict


@pytest.mark.parametrize("rhs, verdict", [
    (r"\mathcal{N}\left(\begin{pmatrix} m \\ Wm + c \end{pmatrix}, \begin{pmatrix} V & VW^\top \\ WV & WVW^\top + R "
     r"\end{pmatrix}\right)", "valid"),
    (r"\mathcal{N}\left(\begin{pmatrix} m \\ Wm + c \end{pmatrix}, \begin{pmatrix} V & VW^\top \\ WV & WVW^\top "
     r"\end{pmatrix}\right)", "invalid"),  # the noise's covariance lost
    (r"\mathcal{N}\left(\begin{pmatrix} m \\ Wm \end{pmatrix}, \begin{pmatrix} V & VW^\top \\ WV & WVW^\top + R "
     r"\end{pmatrix}\right)", "invalid"),
])
def test_a_stacked_distribution_of_the_model_vectors_is_judged_block_by_block(rhs, verdict):
    lhs = r"\begin{pmatrix} x \\ z \end{pmatrix}"
    assert judge_pair(lhs, rhs, relation="sim", table=MODEL)[0] == verdict


def test_a_conditional_law_of_the_model_vectors_is_judged():
    schur = r"V - VW^\top\left(WVW^\top + R\right)^{-1}WV"
    gain = r"VW^\top\left(WVW^\top + R\right)^{-1}"
    right = rf"\mathcal{{N}}\left(m + {gain}(z - Wm - c), {schur}\right)"
    assert judge_pair(r"x \mid z", right, relation="sim", table=MODEL)[0] == "valid"
    assert judge_pair(r"x \mid z", right.replace("(z - Wm - c)", "(z - Wm)"), relation="sim", table=MODEL)[0] == "invalid"


BIVARIATE = r"""# Conditioning a pair

The pair is jointly normal:

$$
\begin{pmatrix} x \\ y \end{pmatrix} \sim \mathcal{N}\left(\begin{pmatrix} \mu_x \\ \mu_y \end{pmatrix},
\begin{pmatrix} \sigma_x^2 & \rho\sigma_x\sigma_y \\ \rho\sigma_x\sigma_y & \sigma_y^2 \end{pmatrix}\right)
$$

Define the slope and the residual

$$
\beta := \frac{\rho\sigma_y}{\sigma_x}, \qquad e = y - \mu_y - \beta(x - \mu_x)
$$

$$
\operatorname{Var}(e) = \sigma_y^2 - 2\beta\rho\sigma_x\sigma_y + \beta^2\sigma_x^2
$$

$$
\operatorname{Var}(e) = \sigma_y^2 - \beta\rho\sigma_x\sigma_y + \beta^2\sigma_x^2
$$

So

$$
y \mid x \sim \mathcal{N}\left(\mu_y + \beta(x - \mu_x), \sigma_y^2(1 - \rho^2)\right)
$$
"""


def test_a_document_with_a_joint_premise(tmp_path):
    path = tmp_path / "pair.md"
    path.write_text(BIVARIATE, encoding="utf-8")
    results = check_document(path).results
    roles = [(r.role, r.verdict) for r in results]
    assert roles[0] == ("premise", "not_checked") and "applied" in results[0].message
    # the residual e is the notes' own name (not Euler's number), substituted in the moments
    assert roles[-3:] == [("assertion", "valid"), ("assertion", "invalid"), ("assertion", "valid")]


def test_a_second_distribution_of_a_variable_after_an_assumption_cue_stays_a_premise(tmp_path):
    text = BIVARIATE.replace("So\n", "Now suppose instead that\n")
    path = tmp_path / "pair.md"
    path.write_text(text, encoding="utf-8")
    assert check_document(path).results[-1].role == "premise"


SCALAR_KALMAN = r"""# One update

$$
s \sim \mathcal{N}(m, P), \qquad v \sim \mathcal{N}(0, Q), \qquad o = Hs + v
$$

$$
\operatorname{Cov}[s \mid o] = P - PH^\top\left(HPH^\top + Q\right)^{-1}HP
$$

For a number example take $H = 1$, and

$$
P = 4, \qquad Q = 1
$$

$$
\operatorname{Cov}[s \mid o] = 4 - \frac{16}{4 + 1}
$$

$$
\operatorname{Cov}[s \mid o] = 4 - \frac{4}{4 + 1}
$$
"""


def test_a_value_given_in_a_sentence_holds_from_there_on(tmp_path):
    path = tmp_path / "kalman.md"
    path.write_text(SCALAR_KALMAN, encoding="utf-8")
    results = check_document(path).results
    assert [r.verdict for r in results[-2:]] == ["valid", "invalid"]  # the lost square of P^2 H^2
    # without a sentence that gives the value, H stays a symbol: the numbers are not judged
    path.write_text(SCALAR_KALMAN.replace("take $H = 1$", "where $H = 1$ would be a special case"),
                    encoding="utf-8")
    assert check_document(path).results[-1].verdict == "not_checked"


def test_numbers_given_to_the_parameters_hold_in_the_moments(tmp_path):
    text = BIVARIATE + ("\nWith numbers\n\n$$\n\\mu_x = 170, \\quad \\mu_y = 65, \\quad \\sigma_x = 8, \\quad "
                        "\\sigma_y = 10, \\quad \\rho = 0.5\n$$\n\n$$\n\\operatorname{Cov}(x, y) = 40\n$$\n\n"
                        "$$\n\\operatorname{Cov}(x, y) = 80\n$$\n")
    path = tmp_path / "numbers.md"
    path.write_text(text, encoding="utf-8")
    assert [r.verdict for r in check_document(path).results[-2:]] == ["valid", "invalid"]
