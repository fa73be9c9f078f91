r"""The matrix scope: what a document's premises say its vectors and matrices are (``notes/matrix_scope.py``),
and the verdicts it makes possible. Each rule has a mutation: the same step made wrong is rejected."""

from __future__ import annotations

import random

import pytest
import sympy as sp

from derivations.checker import _random_structured
from derivations.normal_form import DiagonalMatrixSymbol, LowerTriangularMatrixSymbol, OrthogonalMatrixSymbol
from derivations.notes.check import check_document
from derivations.notes.judge import judge_pair
from derivations.notes.matrix_scope import MatrixName, MatrixScope, key_of, read_matrix_scope

EIGEN_PROSE = "Write $\\Sigma = QDQ^\\top$ where $D$ is diagonal with the eigenvalues, and $Q$ is orthogonal."
CHOLESKY_PROSE = "Let $L$ be its Cholesky factor, the lower triangular matrix with a positive diagonal."


def _scope(premises, prose=""):
    table, applied = read_matrix_scope([(k + 1, *p) for k, p in enumerate(premises)], prose)
    return table, applied


EIGEN, _ = _scope([(r"\Sigma", "=", r"QDQ^\top"), (r"Q^\top Q", "=", "I")], EIGEN_PROSE)
CHOLESKY, _ = _scope([(r"\Sigma", "=", r"LL^\top")], CHOLESKY_PROSE)
MODEL, _ = _scope([("z", "=", r"Wx + c + \eta"), (r"\eta", "sim", r"\mathcal{N}(0, R)"),
                   ("x", "sim", r"\mathcal{N}(\mu_0, \Sigma_0)")])


@pytest.mark.parametrize("tex, key", [(r"\Sigma_0", "Sigma_0"), (r"\Sigma_{0}", "Sigma_0"), (r"\tilde{x}", "tilde:x"),
                                      (r"\mathbf{W}", "W"), (r"\eta", "eta"), ("Wx", None), (r"\sum", None)])
def test_key_of_spells_a_name_as_the_parser_does(tex, key):
    assert key_of(tex) == key


def test_a_model_equation_sizes_its_new_vectors_and_its_matrix():
    names = {e.key: (e.rows, e.cols, e.kind) for e in MODEL.names}
    assert names["W"] == ("q", "p", "general")
    assert names["z"] == names["c"] == names["eta"] == ("q", "1", "general")
    assert names["R"] == ("q", "q", "symmetric")
    assert names["Sigma_0"] == ("p", "p", "symmetric") and names["mu_0"] == ("p", "1", "general")
    assert MODEL.derived == (("z", r"Wx + c + \eta"),)


def test_structures_come_from_formulas_and_prose():
    kinds = {e.key: e.kind for e in EIGEN.names}
    assert kinds == {"Q": "orthogonal", "D": "diagonal"}
    assert EIGEN.built == (("Sigma", r"QDQ^\top"),)
    assert {e.key: e.kind for e in CHOLESKY.names} == {"L": "lower"}


def test_a_factorisation_whose_factors_the_prose_does_not_describe_is_not_applied():
    table, applied = _scope([(r"\Sigma", "=", r"QDQ^\top")], "We write it as a product.")
    assert not table.built and applied == set()


def test_a_name_given_two_shapes_is_not_applied_twice():
    table, applied = _scope([("z", "=", r"Wx + c + \eta"), ("z", "sim", r"\mathcal{N}(0, \Sigma)")])
    assert applied == {0}  # z is of size q by its model, Sigma of size p: the distribution does not fit


@pytest.mark.parametrize("lhs, rhs, table, verdict", [
    (r"Q^\top\Sigma Q", "D", EIGEN, "valid"),
    (r"Q\Sigma Q^\top", "D", EIGEN, "invalid"),  # the order of the factors matters
    (r"\Sigma^{-1}", r"QD^{-1}Q^\top", EIGEN, "valid"),
    (r"\Sigma^{-1}", r"Q^\top D^{-1}Q", EIGEN, "invalid"),
    (r"\left(LL^\top\right)^{-1}", r"L^{-\top}L^{-1}", CHOLESKY, "valid"),
    (r"\left(LL^\top\right)^{-1}", r"L^{-1}L^{-\top}", CHOLESKY, "invalid"),  # a Cholesky factor is not symmetric
    (r"\mathbb{E}[z]", r"W\mu_0 + c", MODEL, "valid"),
    (r"\mathbb{E}[z]", r"W\mu_0 - c", MODEL, "invalid"),
    (r"\operatorname{Cov}[z]", r"W\Sigma_0W^\top + R", MODEL, "valid"),
    (r"\operatorname{Cov}[z]", r"W\Sigma_0W^\top", MODEL, "invalid"),
    (r"p(z \mid x)", r"\mathcal{N}(z \mid Wx + c, R)", MODEL, "valid"),
    (r"p(z \mid x)", r"\mathcal{N}(z \mid Wx + c, R^{-1})", MODEL, "invalid"),
])
def test_steps_are_judged_in_the_document_matrix_scope(lhs, rhs, table, verdict):
    assert judge_pair(lhs, rhs, table=table)[0] == verdict


def test_entries_of_a_scoped_matrix_are_its_entries():
    # a Cholesky factor is lower triangular: its determinant is the product of its diagonal
    assert judge_pair(r"\log\det L", r"\sum_{j=1}^{p}\log L_{jj}", table=CHOLESKY)[0] == "valid"
    assert judge_pair(r"\log\det L", r"2\sum_{j=1}^{p}\log L_{jj}", table=CHOLESKY)[0] == "invalid"
    status, _, message, _ = judge_pair(r"L_{ab}", "L", table=CHOLESKY)  # a block, not an entry
    assert status == "not_checked" and "entry or block" in message


def test_a_name_of_the_scope_puts_a_step_in_matrix_notation():
    assert CHOLESKY.mentions(r"L^{-1}(x - m)") and MODEL.mentions(r"VW x") and not CHOLESKY.mentions(r"\Lambda")
    assert MatrixScope((MatrixName("Sigma_0", "p", "p"),)).mentions(r"\Sigma_{0}^{-1}")


def test_the_randomised_test_draws_matrices_with_their_structure():
    rng = random.Random(3)
    lower = _random_structured(LowerTriangularMatrixSymbol("L", 4, 4), rng, set())
    assert all(lower[r, c] == 0 for r in range(4) for c in range(r + 1, 4)) and all(lower[k, k] > 0 for k in range(4))
    diagonal = _random_structured(DiagonalMatrixSymbol("D", 3, 3), rng, set())
    assert diagonal.is_diagonal() and all(diagonal[k, k] > 0 for k in range(3))
    orthogonal = _random_structured(OrthogonalMatrixSymbol("Q", 3, 3), rng, set())
    assert orthogonal.T * orthogonal == sp.eye(3)


DOCUMENT = r"""# Eigenvectors

Let $x \sim \mathcal{N}(m, \Sigma)$. Write

$$\Sigma = QDQ^\top$$

where $D$ is diagonal with the eigenvalues (we call them $\lambda_k$), and $Q$ is orthogonal:

$$Q^\top Q = I$$

Then

$$Q^\top\Sigma Q = Q^\top QDQQ$$

and

$$|Q|\,|D|\,|Q^\top| = \prod_{k=1}^{p} \lambda_k$$
"""


def test_a_document_applies_its_structure_premises(tmp_path):
    path = tmp_path / "eigen.md"
    path.write_text(DOCUMENT, encoding="utf-8")
    results = {r.source.line: r for r in check_document(path).results}
    assert results[5].role == "premise" and "applied" in results[5].message
    assert results[13].verdict == "invalid"  # a dropped transpose, caught with Sigma = Q D Q^T, Q orthogonal
    # lambda_k are D's diagonal entries in words the checker does not read: not invalid, not valid
    assert results[17].verdict == "not_checked" and "may hold given the premise" in results[17].message


NUMERIC_EXAMPLE = r"""# A numeric example

Take

$$m = \begin{pmatrix} 1 \\ 2 \end{pmatrix}, \quad A = \begin{pmatrix} 1 & 1 \\ 0 & 2 \end{pmatrix}, \quad b = \begin{pmatrix} 0 \\ -1 \end{pmatrix}$$

and

$$x \sim \mathcal{N}(m, \Sigma), \qquad y = Ax + b$$

Then

$$\mathbb{E}[y] = Am + b = \begin{pmatrix} 3 \\ 3 \end{pmatrix}$$

$$\mathbb{E}[y] = \begin{pmatrix} 3 \\ 4 \end{pmatrix}$$
"""


def test_numbers_given_to_matrices_fix_the_sizes_and_the_model(tmp_path):
    path = tmp_path / "numbers.md"
    path.write_text(NUMERIC_EXAMPLE, encoding="utf-8")
    results = [(r.role, r.verdict) for r in check_document(path).results]
    # the three values, the distribution, y defined with it; then E[y] through the model with the numbers
    assert results[:5] == [("premise", "not_checked")] * 4 + [("definition", "not_checked")]
    assert results[5:] == [("assertion", "valid"), ("assertion", "valid"), ("assertion", "invalid")]


def test_a_factor_fixed_by_a_value_is_not_drawn_at_random():
    """Numbers for Sigma fix its factors: a Cholesky factor is solved for (unique), an eigendecomposition's are
    not (the step is not checked); neither is drawn at random, which would make Sigma = L L^T false."""
    given = ((r"\Sigma", r"\begin{pmatrix} 4 & 2 \\ 2 & 3 \end{pmatrix}", 3),)
    assert judge_pair(r"LL^\top", r"\Sigma", definitions=given, table=CHOLESKY)[0] == "valid"
    assert judge_pair(r"LL", r"\Sigma", definitions=given, table=CHOLESKY)[0] == "invalid"
    status, _, message, _ = judge_pair(r"QDQ^\top", r"\Sigma", definitions=given, table=EIGEN)
    assert status == "not_checked" and "does not solve for the factors" in message


def test_a_name_defined_by_its_inverse(tmp_path):
    text = ("Matching the terms gives\n$$ P^{-1} = V^{-1} + W^\\top W $$\nso\n"
            "$$ P\\left(V^{-1} + W^\\top W\\right) = I $$\n$$ P\\left(V^{-1} + W^\\top W\\right) = V $$\n")
    path = tmp_path / "inverse.md"
    path.write_text(text, encoding="utf-8")
    results = [(r.role, r.verdict) for r in check_document(path).results]
    assert results == [("definition", "not_checked"), ("assertion", "valid"), ("assertion", "invalid")]


AFFINE_MAP = r"""Let

$$z \sim \mathcal{N}(m, \Sigma)$$

and define

$$y := Cz + d$$

Then

$$\mathbb{E}[y] = Cm + d$$

$$\mathbb{E}[y] = Cm - d$$

$$\operatorname{Cov}[y] = C\Sigma C^\top$$

$$\operatorname{Cov}[y] = C\Sigma C$$
"""


def test_a_letter_added_to_a_vector_is_a_vector_and_a_definition_wins_over_the_profile(tmp_path):
    # d is a vector because it is added to C z; y is the notes' Cz + d, not the profile's y = Ax + b + epsilon
    path = tmp_path / "affine.md"
    path.write_text(AFFINE_MAP, encoding="utf-8")
    verdicts = [r.verdict for r in check_document(path).results]
    assert verdicts == ["not_checked", "not_checked", "valid", "invalid", "valid", "invalid"]


def test_a_letter_added_to_a_vector_keeps_one_shape_on_both_sides():
    assert judge_pair(r"(Cx + d) - d", "Cx")[0] == "valid"
    assert judge_pair(r"(Cx + d) - 2d", "Cx")[0] == "invalid"


def test_a_matrix_of_numbers_is_a_value_even_for_a_letter_the_profile_knows(tmp_path):
    text = ("$$ L = \\begin{pmatrix} 2 & 0 \\\\ 1 & 2 \\end{pmatrix} $$\nso\n"
            "$$ L^{-1} = \\begin{pmatrix} 1/2 & 0 \\\\ -1/4 & 1/2 \\end{pmatrix} $$\n"
            "$$ L^{-1} = \\begin{pmatrix} 1/2 & 0 \\\\ 1/4 & 1/2 \\end{pmatrix} $$\n")
    path = tmp_path / "values.md"
    path.write_text(text, encoding="utf-8")
    assert [(r.role, r.verdict) for r in check_document(path).results] == [
        ("premise", "not_checked"), ("assertion", "valid"), ("assertion", "invalid")]


@pytest.mark.parametrize("lhs, rhs, verdict", [
    (r"\mathbb{E}[x \mid z]", r"\mu_0 + \Sigma_0W^\top\left(W\Sigma_0W^\top + R\right)^{-1}(z - W\mu_0 - c)", "valid"),
    (r"\mathbb{E}[x \mid z]", r"\mu_0 + \Sigma_0W^\top\left(W\Sigma_0W^\top + R\right)^{-1}(z - W\mu_0)", "invalid"),
    (r"\operatorname{Cov}[x \mid z]", r"\Sigma_0 - \Sigma_0W^\top\left(W\Sigma_0W^\top + R\right)^{-1}W\Sigma_0", "valid"),
    (r"\operatorname{Cov}[x \mid z]", r"\Sigma_0 + \Sigma_0W^\top\left(W\Sigma_0W^\top + R\right)^{-1}W\Sigma_0", "invalid"),
])
def test_conditional_moments_come_from_the_conditional_derivation(lhs, rhs, verdict):
    assert judge_pair(lhs, rhs, table=MODEL)[0] == verdict


def test_a_number_computed_from_the_data_is_judged_at_the_data(tmp_path):
    text = ("Take four observations\n$$ x = (1, 3, 4, 8) $$\nthen\n$$ \\hat\\mu = \\frac{1 + 3 + 4 + 8}{4} $$\n"
            "$$ \\hat\\sigma^2 = \\frac{9 + 1 + 0 + 16}{4} $$\n$$ \\hat\\sigma^2 = \\frac{9 + 1 + 0 + 16}{3} $$\n")
    path = tmp_path / "data.md"
    path.write_text(text, encoding="utf-8")
    results = check_document(path).results
    assert [(r.role, r.verdict) for r in results] == [("premise", "not_checked"), ("assertion", "valid"),
                                                      ("assertion", "valid"), ("assertion", "invalid")]
    assert "at the data on line 2 (N = 4)" in results[3].message  # the MLE divides by N, not N - 1


def test_data_given_in_a_sentence_count_too(tmp_path):
    text = "观测到三个数 $x = (2, 4, 9)$，于是\n$$ \\bar x = \\frac{2 + 4 + 9}{3} $$\n$$ \\bar x = 6 $$\n"
    path = tmp_path / "data_zh.md"
    path.write_text(text, encoding="utf-8")
    assert [r.verdict for r in check_document(path).results] == ["valid", "invalid"]


EIGEN_PARTS, _ = _scope([(r"\Sigma", "=", r"QDQ^\top"), (r"Q^\top Q", "=", "I")],
                        "Write $\\Sigma = QDQ^\\top$ where $D$ is diagonal with the eigenvalues $d_1, \\dots, d_p$ "
                        "and the columns $q_1, \\dots, q_p$ of $Q$ are the eigenvectors. $Q$ is orthogonal.")


def test_the_prose_names_columns_and_diagonal_entries():
    assert set(EIGEN_PARTS.parts) == {("d", "D", "diagonal"), ("q", "Q", "column")}
    quadratic = r"(x - \mu)^\top QD^{-1}Q^\top(x - \mu)"
    assert judge_pair(quadratic, r"\sum_{k=1}^{p} d_k^{-1}\left(q_k^\top(x - \mu)\right)^2", table=EIGEN_PARTS)[0] == "valid"
    assert judge_pair(quadratic, r"\sum_{k=1}^{p} d_k\left(q_k^\top(x - \mu)\right)^2", table=EIGEN_PARTS)[0] == "invalid"
    assert judge_pair(r"|Q|\,|D|\,|Q^\top|", r"\prod_{k=1}^{p} d_k", table=EIGEN_PARTS)[0] == "valid"
    assert judge_pair(r"|Q|\,|D|\,|Q^\top|", r"\prod_{k=1}^{p} d_k^2", table=EIGEN_PARTS)[0] == "invalid"


def test_a_density_written_as_a_product_over_the_eigenvectors():
    density = r"\mathcal{N}(x \mid \mu, \Sigma)"
    right = r"\prod_{k=1}^{p}\frac{1}{\sqrt{2\pi d_k}}\exp\left(-\frac{(q_k^\top(x-\mu))^2}{2d_k}\right)"
    wrong = r"\prod_{k=1}^{p}\frac{1}{\sqrt{2\pi}\,d_k}\exp\left(-\frac{(q_k^\top(x-\mu))^2}{2d_k}\right)"
    assert judge_pair(density, right, table=EIGEN_PARTS)[0] != "invalid"  # (may run out of time: not checked)
    assert judge_pair(density, wrong, table=EIGEN_PARTS)[0] == "invalid"  # the normaliser 1/(sqrt(2 pi) d_k)


def test_the_distribution_of_a_defined_vector_is_judged(tmp_path):
    text = AFFINE_MAP + ("\nso\n\n$$y \\sim \\mathcal{N}\\left(Cm + d, C\\Sigma C^\\top\\right)$$\n\n"
                         "$$y \\sim \\mathcal{N}\\left(Cm + d, C\\Sigma C\\right)$$\n")
    path = tmp_path / "affine.md"
    path.write_text(text, encoding="utf-8")
    results = check_document(path).results
    assert [(r.role, r.verdict) for r in results[-2:]] == [("assertion", "valid"), ("assertion", "invalid")]
    assert "covariance" in results[-1].message


@pytest.mark.parametrize("lhs, rhs, verdict", [
    ("z", r"\mathcal{N}(W\mu_0 + c, W\Sigma_0W^\top + R)", "valid"),
    ("z", r"\mathcal{N}(W\mu_0 + c, W\Sigma_0W^\top)", "invalid"),  # the noise's covariance lost
    ("z", r"\mathcal{N}(W\mu_0, W\Sigma_0W^\top + R)", "invalid"),
    # adversarial: x^T x has the stated mean but is not Gaussian; never valid
    (r"x^\top x", r"\mathcal{N}\left(\operatorname{tr}(\Sigma_0) + \mu_0^\top\mu_0, 1\right)", "not_checked"),
])
def test_a_distribution_statement_is_judged_by_the_model(lhs, rhs, verdict):
    assert judge_pair(lhs, rhs, relation="sim", table=MODEL)[0] == verdict


PROPORTIONAL_IN_A_NEW_LETTER = r"""Completing the square in $z_a$:

$$
\begin{aligned}
p(z_a \mid z_b) &\propto \exp\left(-\frac{1}{2}(z_a - \mu_a)^\top \Lambda_{aa} (z_a - \mu_a)\right) \\
&\propto \exp\left(-\frac{1}{2} z_a^\top \Lambda_{aa} z_a + z_a^\top\Lambda_{aa}\mu_a\right) \\
&\propto \exp\left(-\frac{1}{2}(z_a - \mu_a)^\top \Lambda_{aa} (z_a + \mu_a)\right)
\end{aligned}
$$
"""


def test_a_proportionality_in_a_letter_the_sides_make_a_vector(tmp_path):
    """Adversarial: the variable z_a is a vector in the sides (z_a - mu_a), a scalar on its own; the test must
    vary the vector, or every ratio looks constant (a false valid found on the held-out part C)."""
    path = tmp_path / "square.md"
    path.write_text(PROPORTIONAL_IN_A_NEW_LETTER, encoding="utf-8")
    verdicts = [r.verdict for r in check_document(path).results]
    assert verdicts[1:] == ["valid", "invalid"]


def test_spacing_between_the_arguments_of_a_distribution():
    table, applied = _scope([("s", "sim", r"\mathcal{N}\left(m,\,P\right)")])
    assert applied == {0} and table.random == (("s", "m", "P"),)
    assert judge_pair(r"\operatorname{Cov}[Hs + r]", r"HPH^\top", table=table)[0] == "valid"
    assert judge_pair(r"\operatorname{Cov}[Hs + r]", r"HPH", table=table)[0] == "invalid"


WHITENING = r"""Any such matrix has an eigendecomposition

$$
\Sigma = U \Lambda U^\top
$$

where $U$ is orthogonal and $\Lambda = \operatorname{diag}(\lambda_1, \dots, \lambda_d)$ is diagonal.

$$
U^\top U = I
$$

$$
\Lambda^{-1/2} \Lambda \Lambda^{-1/2} = I
$$

$$
\Lambda^{-1/2} \Lambda \Lambda^{-1/2} = \Lambda
$$

$$
\log\det\Sigma = \sum_{i=1}^{d} \log\lambda_i
$$

$$
\log\det\Sigma = 2\sum_{i=1}^{d} \log\lambda_i
$$

Take

$$
\Sigma = \begin{pmatrix} 2 & 1 \\ 1 & 2 \end{pmatrix}
$$

$$
\Sigma^{-1} = \frac{1}{3} \begin{pmatrix} 2 & -1 \\ -1 & 2 \end{pmatrix}
$$

$$
\Sigma^{-1} = \frac{1}{3} \begin{pmatrix} 2 & 1 \\ 1 & 2 \end{pmatrix}
$$
"""


def test_a_diagonal_matrix_written_as_diag_its_powers_and_entries(tmp_path):
    r"""``$\Lambda = \operatorname{diag}(\lambda_1, \dots, \lambda_d)$`` makes Lambda diagonal with the entries
    lambda_i; its half powers are its entries' (a diagonal matrix with positive entries); a d as the limit of
    a sum in matrix notes is the dimension. Each with a mutation."""
    path = tmp_path / "whitening.md"
    path.write_text(WHITENING, encoding="utf-8")
    results = check_document(path).results
    assert results[0].role == "premise" and "applied" in results[0].message
    verdicts = [r.verdict for r in results if r.role == "assertion"]
    assert verdicts == ["valid", "invalid", "valid", "invalid", "valid", "invalid"]


def test_a_step_in_numbers_is_not_set_aside_by_a_premise_about_its_names(tmp_path):
    r"""Sigma = U Lambda U^T (recorded) cannot make a false fact about the numbers given to Sigma true."""
    text = WHITENING.replace("where $U$ is orthogonal", "where $U$ is a matrix")  # not applied: a premise only
    path = tmp_path / "numbers.md"
    path.write_text(text, encoding="utf-8")
    results = check_document(path).results
    assert [r.verdict for r in results[-2:]] == ["valid", "invalid"]


def test_an_index_letter_added_to_a_vector_is_a_vector(tmp_path):
    text = ("Let\n\n$$\nz \\sim \\mathcal{N}(0, I)\n$$\n\nand\n\n$$\ny := m + L z\n$$\n\n"
            "$$\n\\mathbb{E}[y] = m + L\\,\\mathbb{E}[z] = m\n$$\n\n$$\n\\mathbb{E}[y] = 2m\n$$\n")
    path = tmp_path / "shift.md"
    path.write_text(text, encoding="utf-8")
    assert [r.verdict for r in check_document(path).results[-3:]] == ["valid", "valid", "invalid"]


UP_TO_A_CONSTANT = r"""The conditional density is

$$
p(x_a \mid x_b) \propto p(x_a, x_b)
$$

Collecting the terms in $x_a$:

$$
(x_a-\mu_a)^\top\Lambda_{aa}(x_a-\mu_a) + 2(x_a-\mu_a)^\top\Lambda_{ab}(x_b-\mu_b) = x_a^\top\Lambda_{aa}x_a - 2x_a^\top\left(\Lambda_{aa}\mu_a - \Lambda_{ab}(x_b-\mu_b)\right) + \text{const}
$$

$$
(x_a-\mu_a)^\top\Lambda_{aa}(x_a-\mu_a) + 2(x_a-\mu_a)^\top\Lambda_{ab}(x_b-\mu_b) = x_a^\top\Lambda_{aa}x_a - 2x_a^\top\left(\Lambda_{aa}\mu_a + \Lambda_{ab}(x_b-\mu_b)\right) + \text{const}
$$

$$
(x_a-\mu_a)^\top\Lambda_{aa}(x_a-\mu_a) = x_a^\top\Lambda_{aa}x_a + \text{const}
$$
"""


def test_equal_up_to_a_constant_in_the_variable_of_the_conditional_density(tmp_path):
    r"""``a = b + \text{const}``: a - b free of x_a, the variable of the last conditional density p(x_a | ..); the
    sign slip in the linear term and a dropped linear term are caught."""
    path = tmp_path / "const.md"
    path.write_text(UP_TO_A_CONSTANT, encoding="utf-8")
    results = check_document(path).results
    assert [r.verdict for r in results[-3:]] == ["valid", "invalid", "invalid"], [r.message for r in results[-3:]]
    assert "up to a term free of x_a" in results[-3].message
    # no conditional density before it: the variable is not named, so not checked
    path.write_text(UP_TO_A_CONSTANT.split("Collecting")[1], encoding="utf-8")
    assert {r.verdict for r in check_document(path).results} == {"not_checked"}


SCATTER = r"""With the scatter matrix

$$
\mathbf{S} := \sum_{i=1}^{N} (\mathbf{x}_i - \bar{\mathbf{x}})(\mathbf{x}_i - \bar{\mathbf{x}})^{\top}
$$

$$
\left(\Sigma^{-1}\mathbf{S}\Sigma^{-1}\right)^\top = \Sigma^{-1}\mathbf{S}\Sigma^{-1}
$$

$$
\Sigma^{-1}\mathbf{S}\Sigma^{-1} = \Sigma^{-2}\mathbf{S}
$$

$$
\mathbb{E}[\mathbf{S}] = (N - 1)\Sigma
$$
"""


def test_a_sum_of_outer_products_is_a_symmetric_matrix_but_random_under_e(tmp_path):
    r"""S := sum_i (v_i)(v_i)^T is judged as any symmetric matrix (its transpose is itself; it does not commute
    with Sigma^{-1}); under E it is random, and the checker does not model the sample vectors: not checked."""
    path = tmp_path / "scatter.md"
    path.write_text(SCATTER, encoding="utf-8")
    results = check_document(path).results
    assert [r.verdict for r in results[1:]] == ["valid", "invalid", "not_checked"]


CHOLESKY_NUMBERS = r"""Let $L$ be the Cholesky factor of the covariance:

$$
\Sigma = L L^\top
$$

Take

$$
\Sigma = \begin{pmatrix} 4 & 2 \\ 2 & 3 \end{pmatrix}
$$

$$
L = \begin{pmatrix} 2 & 0 \\ 1 & \sqrt{2} \end{pmatrix}
$$

$$
L^{-1} = \begin{pmatrix} 1/2 & 0 \\ -\sqrt{2}/4 & \sqrt{2}/2 \end{pmatrix}
$$

$$
L^{-1} = \begin{pmatrix} 1/2 & 0 \\ \sqrt{2}/4 & \sqrt{2}/2 \end{pmatrix}
$$
"""


def test_numbers_for_a_product_fix_its_cholesky_factor(tmp_path):
    """Sigma = L L^T with L lower triangular (a Cholesky factor) and numbers for Sigma: L is the unique
    Cholesky factor, so the numbers claimed for L and L^{-1} are judged; a wrong sign is caught."""
    path = tmp_path / "cholesky.md"
    path.write_text(CHOLESKY_NUMBERS, encoding="utf-8")
    assert [r.verdict for r in check_document(path).results[-3:]] == ["valid", "valid", "invalid"]
    # adversarial: an eigendecomposition is not unique, so numbers for Sigma fix no factor: never judged
    eigen = CHOLESKY_NUMBERS.replace("Let $L$ be the Cholesky factor of the covariance:",
                                     "Write it with $Q$ orthogonal and $L$ diagonal:").replace("L L^\\top", "Q L Q^\\top")
    path.write_text(eigen, encoding="utf-8")
    assert {r.verdict for r in check_document(path).results[-3:]} == {"not_checked"}
