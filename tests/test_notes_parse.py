"""The notes front end: grammar and notation (parse), extraction of chains (extract), and the false identity
that other LaTeX parsers certify."""

from __future__ import annotations

import pytest
import sympy as sp

from derivations import partitioned as pt
from derivations.expectation import Expectation, Variance
from derivations.notation import N, S2, ell, i, mu, muhat, normal_pdf, sigma2, sigma2hat, x
from derivations.notes.extract import FileError, extract_steps, read_text
from derivations.notes import check_file
from derivations.notes.judge import judge_pair
from derivations.notes.parse import Unparsed, looks_like_matrix, parse

a, b, c, d = sp.symbols("a b c d", real=True)
sigma = sp.sqrt(sigma2)


# ---------------------------------------------------------------------------------------------------------
# precedence rules (stated in derivations/notes/parse.py and the README)
@pytest.mark.parametrize("tex, expected", [
    (r"1/2\sigma^2", 1 / (2 * sigma2)),                       # the slash takes the juxtaposed symbols
    (r"1/N \sum_{i=1}^{N} x_i", sp.Sum(x[i], (i, 1, N)) / N),  # ... but stops at an operator
    (r"1/\sigma^2 (a - \mu)", (a - mu) / sigma2),              # ... and at a bracket
    (r"a/(b c) d", a * d / (b * c)),
    (r"\frac{a}{b}c", a * c / b),
    (r"-a b + c", -(a * b) + c),
    (r"a - b c", a - b * c),
    (r"a \cdot b \times c", a * b * c),
    (r"\log 2\pi\sigma^2", sp.log(2 * sp.pi * sigma2)),       # \log reaches over juxtaposition ...
    (r"\log a + b", sp.log(a) + b),                           # ... up to + or -
    (r"\log a \cdot b", sp.log(a) * b),                       # ... and \cdot
    (r"\log(a)b", sp.log(a) * b),                             # a bracket right after \log is its argument
    (r"\exp(a)\exp(b)", sp.exp(a) * sp.exp(b)),
    (r"\log(2\pi\sigma^2)^{-N/2}", sp.log((2 * sp.pi * sigma2) ** (-N / 2))),  # power inside for \log
    (r"\exp(a)^2", sp.exp(a) ** 2),                           # ... outside for \exp
    (r"\log\frac{1}{\sqrt{2\pi}}\exp(a)", sp.log(sp.exp(a) / sp.sqrt(2 * sp.pi))),
    (r"\sum_{i=1}^{N} x_i^2 - N\mu", sp.Sum(x[i] ** 2, (i, 1, N)) - N * mu),  # \sum stops at -
    (r"\sum_i x_i \cdot a", sp.Sum(x[i] * a, (i, 1, N))),     # ... but reaches over \cdot
    (r"e^{a}", sp.exp(a)),
    (r"\frac12 a", a / 2),
    (r"\sqrt{2\pi\sigma^2}", sp.sqrt(2 * sp.pi * sigma2)),
    (r"0.5 a", a / 2),
])
def test_precedence(tex: str, expected) -> None:
    assert sp.simplify(parse(tex) - expected) == 0, (tex, parse(tex))


# ---------------------------------------------------------------------------------------------------------
# notation
@pytest.mark.parametrize("tex", [r"x_i", r"x_{i}", r"x^{(i)}", r"x"])
def test_observation_is_indexed(tex: str) -> None:
    assert parse(tex) == x[i]


def test_n_is_the_sample_size_unless_it_is_the_index() -> None:
    total = parse(r"\frac{1}{n}\sum_{n=1}^{N} x^{(n)}")
    (summation,) = total.atoms(sp.Sum)
    index = summation.limits[0][0]
    assert index.name == "n" and summation.function == x[index]
    assert parse(r"\frac{\sigma^2}{n}") == sigma2 / N
    assert parse(r"\sum\limits_{i=1}^{n} x_i") == sp.Sum(x[i], (i, 1, N))


@pytest.mark.parametrize("tex", [r"\hat\mu", r"\hat{\mu}", r"\bar x", r"\bar{x}", r"\mu_{MLE}", r"\mu_{ML}",
                                 r"\hat{\mu}_{\text{MLE}}", r"\hat\mu_{ML}"])
def test_sample_mean_names(tex: str) -> None:
    assert parse(tex) == muhat


@pytest.mark.parametrize("tex", [r"\hat\sigma^2", r"\hat{\sigma}^{2}", r"\sigma^2_{MLE}", r"\sigma_{MLE}^2",
                                 r"\left(\hat\sigma\right)^2"])
def test_ml_variance_names(tex: str) -> None:
    assert parse(tex) == sigma2hat


def test_sigma_pi_logs_and_names() -> None:
    assert parse(r"\sigma^2") == parse(r"\sigma^{2}") == sigma2
    assert parse(r"\sigma") ** 2 == sigma2
    assert parse(r"\pi") == sp.pi
    assert parse(r"\ln a") == parse(r"\log a") == sp.log(a)
    assert parse(r"S^2") == S2
    assert parse(r"\delta_{ij}") == sp.KroneckerDelta(i, sp.Symbol("j", integer=True, positive=True), (1, N))
    assert parse(r"\theta").is_Symbol


@pytest.mark.parametrize("tex", [r"E[x_i]", r"E(x_i)", r"\mathbb{E}[x_i]", r"\mathbb{E}_{\mathcal{D}}[x_i]",
                                 r"\mathbb{E}\left[x_i\right]", r"\operatorname{E}[x_i]"])
def test_expectation_spellings(tex: str) -> None:
    assert parse(tex) == Expectation(x[i])


@pytest.mark.parametrize("tex", [r"Var[x_i]", r"Var(x_i)", r"\mathrm{Var}[x_i]", r"\operatorname{Var}(x_i)",
                                 r"\text{Var}[x_i]"])
def test_variance_spellings(tex: str) -> None:
    assert parse(tex) == Variance(x[i])


def test_densities_and_likelihood() -> None:
    assert parse(r"p(x_i|\mu,\sigma^2)") == normal_pdf(x[i])
    assert parse(r"\mathcal{N}(x_i \mid \mu, \sigma^2)") == normal_pdf(x[i])
    assert parse(r"\mathcal{N}(a; \mu, \sigma)") == normal_pdf(a)  # a standard deviation after the bar
    likelihood = sp.Product(normal_pdf(x[i]), (i, 1, N))
    assert parse(r"p(\mathcal{D}|\mu,\sigma^2)") == likelihood
    assert parse(r"p(x_1, \dots, x_N | \mu, \sigma^2)") == likelihood
    assert parse(r"\log L") == sp.log(likelihood)
    assert parse(r"\log \mathcal{L}") == sp.log(likelihood)
    assert parse(r"\ell") == parse(r"\ell(\mu, \sigma^2)") == parse(r"\mathcal{L}") == ell


def test_derivatives() -> None:
    assert parse(r"\frac{\partial}{\partial\mu} \mu^2") == sp.Derivative(mu ** 2, mu)
    assert parse(r"\frac{\partial \ell}{\partial \sigma^2}") == sp.Derivative(ell, sigma2)
    assert parse(r"\frac{\partial^2 \ell}{\partial\mu^2}") == sp.Derivative(ell, (mu, 2))
    assert parse(r"\nabla_\mu \mu^2 a") == sp.Derivative(mu ** 2 * a, mu)  # reaches to the end of the term
    assert parse(r"\nabla_\mu \mu^2 + a") == sp.Derivative(mu ** 2, mu) + a
    # d/dsigma by the chain rule through sigma^2
    assert sp.simplify(parse(r"\frac{\partial}{\partial\sigma}\sigma^3").doit() - 3 * sigma2) == 0


def test_matrix_mode() -> None:
    assert looks_like_matrix(r"\Sigma_{aa}^{-1}") and looks_like_matrix(r"x^T A") and not looks_like_matrix(r"\sigma^2")
    assert parse(r"\Sigma_{ba}", matrix=True) == pt.Sigma_ab.T
    assert parse(r"\Sigma_{21}", matrix=True) == pt.Sigma_ab.T
    assert parse(r"\Sigma_{aa}^{-1}", matrix=True) == pt.Sigma_aa.I
    assert parse(r"(x_a - \mu_a)^\top", matrix=True) == (pt.x_a - pt.mu_a).T
    assert parse(r"x_b^{T}", matrix=True) == parse(r"x_b^T", matrix=True) == pt.x_b.T
    product = parse(r"\Sigma_{ab}\Sigma_{bb}^{-1}", matrix=True)
    assert product == pt.Sigma_ab * pt.Sigma_bb.I != pt.Sigma_bb.I * pt.Sigma_ab.T.T  # order kept
    block = parse(r"\begin{pmatrix} I & 0 \\ \Sigma_{ba}\Sigma_{aa}^{-1} & I \end{pmatrix}", matrix=True)
    assert block.shape == (pt.m + pt.n, pt.m + pt.n)
    explicit = parse(r"\det\begin{pmatrix} c & 0 \\ 0 & d \end{pmatrix}", matrix=True)  # (b is a vector here)
    assert explicit == c * d


@pytest.mark.parametrize("tex, reason", [
    (r"\foo x", "unknown macro"),
    (r"\frac{1}{2", "unexpected"),
    (r"\arg\max_\mu \ell", "arg"),
    (r"E x_i", "brackets"),
    (r"\sum_{i \ne j} x_i", ""),
    ("", "empty"),
])
def test_unparsed_names_fragment_and_reason(tex: str, reason: str) -> None:
    with pytest.raises(Unparsed) as caught:
        parse(tex)
    assert reason in caught.value.reason or reason in str(caught.value)


# ---------------------------------------------------------------------------------------------------------
# the false identity: x_i inside a sum depends on i
def test_false_identity_is_invalid_with_both_sides() -> None:
    verdict, method, message, example = judge_pair(r"\sum_{i=1}^{N} x_i^2",
                                                   r"\frac{1}{N}\left(\sum_{i=1}^{N} x_i\right)^2")
    assert verdict == "invalid" and method == "numeric"
    assert example["lhs"] != example["rhs"] and "N" in example


def test_true_identity_is_proved() -> None:
    verdict, method, _, _ = judge_pair(r"\sum_{i=1}^N (x_i - \bar x)^2", r"\sum_{i=1}^N x_i^2 - N\bar x^2")
    assert (verdict, method) == ("valid", "symbolic")


def test_wrong_matrix_order_is_invalid() -> None:
    verdict, _, _, _ = judge_pair(r"\Sigma_{ba}\Sigma_{aa}^{-1}\Sigma_{ab}", r"\Sigma_{ab}\Sigma_{aa}^{-1}\Sigma_{ba}")
    assert verdict == "invalid"
    verdict, _, _, _ = judge_pair(r"(\Sigma_{ba}\Sigma_{aa}^{-1})^T", r"\Sigma_{aa}^{-1}\Sigma_{ab}")
    assert verdict == "valid"


def test_not_equalities_are_not_checked() -> None:
    for relation in ("propto", "implies", "approx"):
        verdict, method, message, _ = judge_pair("a", "b", relation)
        assert verdict == "not_checked" and method is None and "not" in message


# ---------------------------------------------------------------------------------------------------------
# extraction
def _steps(tmp_path, text: str, name: str = "notes.md"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return extract_steps(path)


def test_chains_and_rows(tmp_path) -> None:
    steps = _steps(tmp_path, "Prose with $a = b$ inline.\n\n$$\na = b = c\n$$\n\n$$\n\\begin{aligned}\n"
                             "a &= b \\\\\\\n&= c \\quad \\text{(by X)} \\\\\\\n&= d.\n\\end{aligned}\n$$\n")
    assert [(s.lhs, s.rhs, s.line) for s in steps] == [
        ("a", "b", 4), ("b", "c", 4), ("a", "b", 9), ("b", "c", 10), ("c", "d", 11)]
    assert {s.block for s in steps} == {1, 2}


def test_latex_environments_and_annotations(tmp_path) -> None:
    text = ("\\begin{align}\n  a &= b \\nonumber \\\\\n  &= c \\tag{1}\\label{eq:x}\n\\end{align}\n"
            "% a = b in a comment\n\\begin{equation}\\begin{split} p &= q, \\quad r = s\\end{split}\\end{equation}\n"
            "\\[ u \\propto v = w \\]\n")
    steps = _steps(tmp_path, text, "notes.tex")
    assert [(s.lhs, s.relation, s.rhs) for s in steps] == [
        ("a", "=", "b"), ("b", "=", "c"), ("p", "=", "q"), ("r", "=", "s"), ("u", "propto", "v"), ("v", "=", "w")]


def test_matrices_keep_their_rows_and_fenced_math(tmp_path) -> None:
    text = ("```python\nx = 1\n```\n\n```math\n\\begin{pmatrix} a & b \\\\ c & d \\end{pmatrix} = M\n```\n"
            "  $a = b$  \n")
    steps = _steps(tmp_path, text)
    assert [(s.lhs, s.rhs) for s in steps] == [(r"\begin{pmatrix} a & b \\ c & d \end{pmatrix}", "M"), ("a", "b")]


def test_implication_pairs_the_sides_of_the_arrow(tmp_path) -> None:
    steps = _steps(tmp_path, "$$ a - b = 0 \\quad\\Rightarrow\\quad a = b $$\n")
    assert [(s.lhs, s.relation, s.rhs) for s in steps] == [("a - b", "=", "0"), ("0", "implies", "a"),
                                                           ("a", "=", "b")]


@pytest.mark.parametrize("content, problem", [
    (b"", "empty"), (b"   \n", "empty"), (b"\x00\x01$$a=b$$", "binary"), (b"\xff\xfe$$ a $$", "not UTF-8"),
    (b"$$a=b$$\n" * 200_000, "too large"),
])
def test_file_errors(tmp_path, content: bytes, problem: str) -> None:
    path = tmp_path / "bad.md"
    path.write_bytes(content)
    with pytest.raises(FileError, match=problem):
        read_text(path)


# ---------------------------------------------------------------------------------------------------------
# held-out gaps: precision blocks, multivariate densities, solution targets, equation parameters
def test_precision_blocks_are_the_blocks_of_the_inverse_covariance() -> None:
    import numpy as np

    rng = np.random.default_rng(3)
    root = rng.normal(size=(5, 5))
    whole = root @ root.T + 5 * np.eye(5)  # SPD, blocks of sizes m = 2 and n = 3
    inverse = np.linalg.inv(whole)
    for tex, rows, columns in ((r"\Lambda_{aa}", slice(0, 2), slice(0, 2)), (r"\Lambda_{ab}", slice(0, 2), slice(2, 5)),
                               (r"\Lambda_{ba}", slice(2, 5), slice(0, 2)), (r"\Lambda_{22}", slice(2, 5), slice(2, 5))):
        block = parse(tex, matrix=True).xreplace({pt.m: 2, pt.n: 3})
        value = sp.lambdify([pt.Sigma_aa.xreplace({pt.m: 2}), pt.Sigma_ab.xreplace({pt.m: 2, pt.n: 3}),
                             pt.Sigma_bb.xreplace({pt.n: 3})], block, "numpy")
        assert np.allclose(value(whole[:2, :2], whole[:2, 2:], whole[2:, 2:]), inverse[rows, columns]), tex
    with pytest.raises(Unparsed, match="precision block"):
        parse(r"\Lambda_{xy}", matrix=True)


def test_multivariate_densities() -> None:
    from derivations.density import gaussian_density

    chain = r"\mathcal{N}(x|\mu,\Sigma)"
    assert parse(chain, matrix=True, model_hint="affine").has(sp.Determinant)
    assert parse(r"p(x_a)", matrix=True) == gaussian_density(pt.x_a, pt.mu_a, pt.Sigma_aa)
    assert parse(r"p(x_b|x_a)", matrix=True).has(sp.MatrixSymbol("mu_{b|a}", pt.n, 1))
    with pytest.raises(Unparsed, match="joint density of two blocks"):
        parse(r"p(x_a, x_b)", matrix=True)
    assert judge_pair(r"\mathcal{N}(x|\mu,\Sigma)",
                      r"\det(2\pi\Sigma)^{-1/2}\exp\left(-\frac{1}{2}(x-\mu)^{\top}\Sigma^{-1}(x-\mu)\right)")[0] == "valid"
    assert judge_pair(r"\mathcal{N}(x|\mu,\Sigma)",
                      r"\det(2\pi\Sigma)^{-1/2}\exp\left(-(x-\mu)^{\top}\Sigma^{-1}(x-\mu)\right)")[0] == "invalid"
    assert judge_pair(r"p(x_a)\,p(x_b|x_a)",
                      r"\mathcal{N}(x_a|\mu_a,\Sigma_{aa})\,\mathcal{N}(x_b|\mu_{b},\Sigma_{bb})")[0] == "invalid"


@pytest.mark.parametrize("tex, target", [
    (r"\hat\mu", ("mu", True, True)), (r"\mu_{ML}", ("mu", True, True)), (r"\hat{\mu}_{\text{MLE}}", ("mu", True, True)),
    (r"\mu", ("mu", True, False)), (r"\hat\theta", ("theta", True, True)), (r"\theta^*", ("theta", True, True)),
    (r"\hat\sigma^2", ("sigma^2", True, True)), (r"\sigma^2_{MLE}", ("sigma^2", True, True)),
    (r"\hat\sigma", ("sigma^2", False, True)), (r"\bar x", ("mu", True, True)), (r"\sum_i x_i", None), ("N", None),
])
def test_solution_targets(tex: str, target) -> None:
    from derivations.notes.judge import solution_target

    found = solution_target(tex)
    assert (None if found is None else (str(found[0]), found[1], found[2])) == target


def test_equation_parameters_ignore_data_free_factors() -> None:
    from derivations.notes.judge import equation_parameters

    theta = sp.Symbol("theta", real=True)
    score = sp.Sum(x[i] - mu, (i, 1, N)) / sigma2
    assert equation_parameters(score) == {mu}
    assert equation_parameters(sp.Sum((x[i] - theta) ** 2, (i, 1, N)) - N * sigma2) == {theta, sigma2}
    assert equation_parameters(sp.Sum(x[i] ** 2, (i, 1, N)) / sigma2) == frozenset()


# ---------------------------------------------------------------------------------------------------------
# textbook notation: the data set as a density's argument, and a bare p
LIKELIHOOD = sp.Product(normal_pdf(x[i]), (i, 1, N))


@pytest.mark.parametrize("data", [r"\mathbf{x}", r"\mathbf{X}", r"\boldsymbol{x}", r"\bm{x}", r"\vec x", r"\vec{x}",
                                  "X", r"\mathcal{D}", r"\mathcal{X}", r"x_{1:N}", r"\mathbf{x}_{1:N}",
                                  r"x_1, \dots, x_N", r"x_1,\ldots,x_N"])
def test_the_data_set_as_a_density_argument(data: str) -> None:
    assert parse(rf"p({data}|\mu,\sigma^2)") == LIKELIHOOD
    assert parse(rf"\ln p({data}|\mu,\sigma^2)") == sp.log(LIKELIHOOD)


def test_one_observation_stays_one_and_the_data_set_stays_in_densities() -> None:
    assert parse(r"p(x|\mu,\sigma^2)") == parse(r"p(x_i|\mu,\sigma^2)") == normal_pdf(x[i])
    with pytest.raises(Unparsed, match="data set"):
        parse(r"\mathbf{x} + 1")
    # in matrix notes a bold x is the random vector x, as before
    assert parse(r"\mathbf{x}^T\mathbf{x}", matrix=True) == parse(r"x^T x", matrix=True)
    # the false identity with the data set read as one observation is still caught
    assert judge_pair(r"\ln p(x|\mu,\sigma^2)", r"\sum_{n=1}^{N}\ln\mathcal{N}(x_n|\mu,\sigma^2)")[0] == "invalid"
    assert judge_pair(r"\ln p(\mathbf{x}|\mu,\sigma^2)", r"\sum_{n=1}^{N}\ln\mathcal{N}(x_n|\mu,\sigma^2)")[0] == "valid"
    assert judge_pair(r"\ln p(\mathbf{x}|\mu,\sigma^2)", r"\ln\sum_{n=1}^{N}\mathcal{N}(x_n|\mu,\sigma^2)")[0] == "invalid"


DATA = r"p(\mathbf{x}|\mu,\sigma^2)"
SCORE_MU = r"\frac{1}{\sigma^2}\sum_{n=1}^N (x_n - \mu)"


@pytest.mark.parametrize("lhs", [r"\frac{\partial}{\partial \mu}\ln p", r"\frac{\partial \ln p}{\partial \mu}",
                                 r"\nabla_\mu \log p", r"\frac{\partial}{\partial \mu}\ln(p)"])
def test_bare_p_is_the_density_before_it(lhs: str) -> None:
    assert judge_pair(lhs, SCORE_MU, density=DATA)[0] == "valid"
    assert judge_pair(lhs, SCORE_MU.replace(r"- \mu", r"+ \mu"), density=DATA)[0] == "invalid"  # sign slip
    assert judge_pair(lhs, r"\frac{1}{\sigma^2}(x - \mu)", density=DATA)[0] == "invalid"  # one observation's score
    # no density before it, or one of a single observation: not checked, never a constant
    verdict, _, message, _ = judge_pair(lhs, SCORE_MU, density=None)
    assert verdict == "not_checked" and "p without arguments" in message
    verdict, _, message, _ = judge_pair(lhs, SCORE_MU, density=r"p(x|\mu,\sigma^2)")
    assert verdict == "not_checked" and "one observation" in message


@pytest.mark.parametrize("lhs", [r"\frac{\partial}{\partial \mu}\ln L", r"\frac{\partial}{\partial \mu}\log L",
                                 r"\frac{\partial \ell}{\partial\mu}", r"\frac{\partial}{\partial\mu}\mathcal{L}"])
def test_likelihood_names_without_arguments_are_not_constants(lhs: str) -> None:
    assert judge_pair(lhs, SCORE_MU)[0] == "valid"
    assert judge_pair(lhs, "0")[0] == "invalid"


def test_bare_p_as_the_dimension() -> None:
    dimension = sp.Symbol("p", integer=True, positive=True)
    assert parse(r"(2\pi)^{-p/2}") == (2 * sp.pi) ** (-dimension / 2)  # an exponent: the dimension, any mode
    assert parse(r"(2\pi)^{p/2}\det(\Sigma)^{1/2}", matrix=True).has(dimension)
    assert parse(r"-\frac{p}{2}\ln(2\pi)", matrix=True) == -dimension * sp.log(2 * sp.pi) / 2
    with pytest.raises(Unparsed, match="p without arguments"):
        parse(r"\frac{p}{2}\ln(2\pi)")  # scalar notes: neither clearly a density nor a dimension
    assert judge_pair(r"\frac{1}{(2\pi)^{p/2}}\det(\Sigma)^{-1/2}", r"(2\pi)^{-p/2}\det(\Sigma)^{-1/2}")[0] == "valid"
    assert judge_pair(r"\frac{1}{(2\pi)^{p}}\det(\Sigma)^{-1/2}", r"(2\pi)^{-p/2}\det(\Sigma)^{-1/2}")[0] == "invalid"


def test_log_density_with_a_quadratic_form_added_to_scalars() -> None:
    log_density = r"-\frac{p}{2}\ln(2\pi) - \frac{1}{2}\ln\det\Sigma - \frac12 (x-\mu)^T\Sigma^{-1}(x-\mu)"
    assert judge_pair(r"\ln \mathcal{N}(x|\mu,\Sigma)", log_density)[0] == "valid"
    slipped = log_density.replace(r"- \frac12 (x", r"+ \frac12 (x")
    assert judge_pair(r"\ln \mathcal{N}(x|\mu,\Sigma)", slipped)[0] == "invalid"
    assert judge_pair(r"\ln p", log_density, density=r"p(x|\mu,\Sigma)")[0] == "valid"  # matrix notes: no sample


def test_plain_bars_are_determinants_and_absolute_values() -> None:
    assert parse(r"|\Sigma|", matrix=True) == parse(r"\det\Sigma", matrix=True)
    assert parse(r"|a - b| + |c|") == sp.Abs(a - b) + sp.Abs(c)
    assert parse(r"p(x_i|\mu,\sigma^2)\,|c|") == normal_pdf(x[i]) * sp.Abs(c)  # the conditioning bar stays
    assert parse(r"\log(|c|)") == sp.log(sp.Abs(c))
    with pytest.raises(Unparsed, match="conditional expectation"):
        parse(r"E[x_i|c]")
    assert judge_pair(r"|2\pi\Sigma|^{1/2}", r"(2\pi)^{p/2}|\Sigma|^{1/2}")[0] == "valid"
    assert judge_pair(r"|2\pi\Sigma|^{1/2}", r"(2\pi)^{D/2}|\Sigma|^{1/2}")[0] == "valid"  # D: the dimension
    assert judge_pair(r"|2\pi\Sigma|^{1/2}", r"(2\pi)^{1/2}|\Sigma|^{1/2}")[0] == "invalid"


# ---------------------------------------------------------------------------------------------------------
# second held-out set: braces, likelihood arguments, the linear-Gaussian densities, the notes' name for the mean
def test_left_brace_groups_are_counted_once(tmp_path) -> None:
    path = tmp_path / "brace.tex"
    path.write_text("\\begin{align}\n&= \\frac{1}{2}\\left\\{a - b\\right\\} = 0\n\\end{align}\n")
    steps = extract_steps(path)
    assert [(s.lhs, s.rhs) for s in steps] == [(r"\frac{1}{2}\left\{a - b\right\}", "0")]


def test_bars_in_a_subscript_are_not_determinants() -> None:
    value = parse(r"\mathcal{N}\left(x_a|\mu_{a|b},\Lambda_{aa}^{-1}\right)", matrix=True)
    assert value.has(sp.MatrixSymbol("mu_{a|b}", pt.m, 1))


def test_likelihoods_take_their_arguments() -> None:
    theta = sp.Symbol("theta", real=True)
    assert parse(r"L(\theta)") == sp.Product(normal_pdf(x[i], theta, sigma2), (i, 1, N))
    assert parse(r"\ell(\hat\mu, \sigma^2)") == sp.log(sp.Product(normal_pdf(x[i], muhat, sigma2), (i, 1, N)))
    assert parse(r"\ell(\mu, \sigma)") == parse(r"\mathcal{L}(\sigma^2)") == ell
    assert parse(r"\mathcal{L}(\mu|\mathcal{D})") == ell
    assert parse(r"\log\mathcal{L}(\theta)") == sp.log(sp.Product(normal_pdf(x[i], theta, sigma2), (i, 1, N)))
    assert parse(r"\mathrm{NLL}(\mu,\sigma^2)") == parse(r"\operatorname{NLL}(\mu,\sigma^2)") == -ell
    for tex in (r"L(a, b, c)", r"\mathcal{L}(\theta|\mu)"):
        with pytest.raises(Unparsed, match="likelihood"):
            parse(tex)
    score = r"\frac{1}{\sigma^2}\sum_{i=1}^{n}(x^{(i)}-\theta)"
    assert judge_pair(r"\nabla_\theta \ell(\theta)", score)[0] == "valid"
    assert judge_pair(r"\nabla_\theta \ell(\theta)", score.replace("-", "+"))[0] == "invalid"
    assert judge_pair(r"\frac{\partial}{\partial\mu}\mathrm{NLL}(\mu,\sigma^2)",
                      r"-\frac{1}{\sigma^2}\sum_{n=1}^{N}(x_n-\mu)")[0] == "valid"


def test_linear_gaussian_model_densities() -> None:
    assert judge_pair(r"p(\mathbf{x})", r"\mathcal{N}\left(\mathbf{x}|\bm{\mu},\bm{\Lambda}^{-1}\right)")[0] == "valid"
    assert judge_pair(r"p(\mathbf{x})", r"\mathcal{N}\left(\mathbf{x}|\bm{\mu},\bm{\Lambda}\right)")[0] == "invalid"
    assert judge_pair(r"p(y|x)", r"\mathcal{N}(y|A x+b,L^{-1})")[0] == "valid"
    assert judge_pair(r"p(y|x)", r"\mathcal{N}(y|A x-b,L^{-1})")[0] == "invalid"


def test_the_notes_name_for_the_mean(tmp_path) -> None:
    from derivations.notes.judge import mean_name

    def name(text: str):
        path = tmp_path / "notes.md"
        path.write_text(text)
        return mean_name(extract_steps(path))

    density = "$$\nL(\\theta) = \\prod_{i=1}^{n} p(x^{(i)};\\theta,\\sigma^2)\n$$\n"
    unbiased = "$$\n\\mathbb{E}[x^{(i)}] = \\theta\n$$\n"
    assert name(density + unbiased) == "theta"
    assert name(density + unbiased.replace("\\theta", "\\mu")) is None  # mu is used: theta is not renamed
    assert name(density + "$$\nq = \\mathcal{N}(x|m, \\sigma^2)\n$$\n") is None  # two different means
    assert name(unbiased) is None
    path = tmp_path / "theta.md"
    path.write_text(density + unbiased)
    assert [r.verdict for r in check_file(path)] == ["valid", "valid"]
    path.write_text(density + unbiased.replace("\\theta", "2\\theta"))
    assert [r.verdict for r in check_file(path)] == ["valid", "invalid"]


def test_a_parameter_vector_is_not_renamed(tmp_path) -> None:
    from derivations.notes.judge import mean_name

    path = tmp_path / "vector.md"
    path.write_text("$$\nL(\\theta) = \\prod_{i=1}^{n} p(x^{(i)}|\\theta)\n$$\n$$\n\\mathbb{E}[x^{(i)}] = \\theta\n$$\n")
    assert mean_name(extract_steps(path)) is None


@pytest.mark.parametrize("tex", [r"\int_0^1 f", r"\lim_{n} a_n + \int_a^b g", r"\oint_C f"])
def test_an_unknown_macro_with_a_subscript_is_not_a_name(tex) -> None:
    """Adversarial: ``\\int_0^1 f`` once read as the product of a symbol int_0 and f (so steps about integrals
    were judged, as if int_0 were a number); an unknown macro stays unknown with a subscript too."""
    with pytest.raises(Unparsed):
        parse(tex)


@pytest.mark.parametrize("lhs, rhs", [
    (r"\Sigma^{-1}\bar{x}", r"\bar{x}^T\Sigma^{-1}"),
    (r"\Sigma^{-1}\bar{\mathbf{x}}", r"\bar{\mathbf{x}}^\top\Sigma^{-1}"),
    (r"A\hat\mu", r"\hat\mu^T A^T"),
])
def test_an_estimate_in_matrix_notes_is_never_a_scalar(lhs, rhs) -> None:
    """Adversarial: in matrix notes x-bar and mu-hat are vectors; they were read as the scalar sample mean, which
    commutes with every matrix, so these false steps (shapes p x 1 and 1 x p) were proved valid."""
    from derivations.notes.judge import judge_pair

    assert judge_pair(lhs, rhs)[0] != "valid"
