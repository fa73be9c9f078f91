"""The checker itself: it proves true steps, rejects false ones with a counterexample, and never
certifies by assumption (no forced log expansion, no loose tolerances)."""

from __future__ import annotations

import sympy as sp

from derivations import Context, Method, Relation, Status, Step, check_step
from derivations.checker import NUMERIC_MAX_N, numeric_test
from derivations.notation import N, i, mu, sample_sum, sigma2, x


def _judge(before, after, **kwargs):
    return check_step(Step(before, "before", Relation.START), Step(after, "after"), **kwargs)


def test_true_identity_over_sums_is_proved_symbolically():
    verdict = _judge(sample_sum((x[i] - mu) ** 2), sample_sum(x[i] ** 2) - 2 * mu * sample_sum(x[i]) + N * mu ** 2)
    assert verdict.status is Status.VALID and verdict.method is Method.SYMBOLIC


def test_sum_of_squares_is_not_square_of_sum():
    """The false identity that LaTeX parsers certify: sum x_i^2 = (sum x_i)^2 / N."""
    verdict = _judge(sample_sum(x[i] ** 2), sample_sum(x[i]) ** 2 / N)
    assert verdict.status is Status.INVALID
    example = verdict.counterexample
    assert 2 <= int(example["N"]) <= NUMERIC_MAX_N
    assert sp.Rational(example["lhs"]) != sp.Rational(example["rhs"])


def test_log_is_not_expanded_by_force():
    """log(y^2) = 2 log(y) is false for negative y: it must not be proved."""
    y = sp.Symbol("y", real=True)
    verdict = _judge(sp.log(y ** 2), 2 * sp.log(y))
    assert verdict.status is Status.INVALID


def test_log_of_a_sum_is_not_the_sum_of_logs():
    verdict = _judge(sp.log(sample_sum(x[i] ** 2 + 1)), sample_sum(sp.log(x[i] ** 2 + 1)))
    assert verdict.status is Status.INVALID


def test_numeric_fallback_is_reported_as_numeric(monkeypatch):
    """When the symbolic route cannot decide, the randomised test decides and says so."""
    import derivations.checker as checker

    monkeypatch.setattr(checker, "is_zero", lambda *args: False)
    verdict = _judge(sample_sum((x[i] - mu) ** 2), sample_sum(x[i] ** 2) - 2 * mu * sample_sum(x[i]) + N * mu ** 2)
    assert verdict.status is Status.VALID and verdict.method is Method.NUMERIC
    assert "not proved" in verdict.message


def test_numeric_test_uses_exact_rationals():
    # differs by 10^-60: no float tolerance would see it, exact rationals do
    agree, example = numeric_test(mu + sp.Rational(1, 10 ** 60), mu)
    assert not agree and example is not None


def test_infinite_is_not_equal_to_finite():
    verdict = _judge(sp.oo, sp.S.One)
    assert verdict.status is Status.INVALID


def test_no_usable_point_is_not_checked_never_valid(monkeypatch):
    """If no random point gives both sides a value, nothing is claimed."""
    import derivations.checker as checker

    monkeypatch.setattr(checker, "is_zero", lambda *args: False)
    verdict = _judge(sp.nan * mu, sp.nan * mu)
    assert verdict.status is Status.NOT_CHECKED and "nothing to compare" in verdict.message


def test_divergent_integral_is_not_one():
    z = sp.Symbol("z", real=True)
    verdict = _judge(sp.Integral(sp.exp(z ** 2 / 2), (z, -sp.oo, sp.oo)), sp.S.One)
    assert verdict.status is Status.INVALID


def test_time_limit_gives_not_checked(monkeypatch):
    import time

    import derivations.checker as checker

    def slow(*args, **kwargs):  # busy for 2 s of CPU (the limits count CPU time, not sleeping)
        start = time.process_time()
        while time.process_time() - start < 2:
            pass

    monkeypatch.setattr(checker, "_check_equal", slow)
    verdict = _judge(mu, mu, seconds=0.2)
    assert verdict.status is Status.NOT_CHECKED and "time limit" in verdict.message
    assert verdict.seconds < 1


def test_matrix_shapes_must_match():
    verdict = _judge(sp.Matrix([[mu, 0]]), sp.Matrix([[mu], [0]]))
    assert verdict.status is Status.INVALID and "shape" in verdict.message


def test_equation_systems_compare_solution_sets():
    before = (sp.Eq(sample_sum(x[i] - mu), 0),)
    good = check_step(Step(before, "", Relation.START), Step((sp.Eq(mu, sample_sum(x[i]) / N),), "s", Relation.IFF),
                      Context(unknowns=(mu,)))
    bad = check_step(Step(before, "", Relation.START),
                     Step((sp.Eq(mu, sample_sum(x[i]) / (N - 1)),), "s", Relation.IFF), Context(unknowns=(mu,)))
    assert good.status is Status.VALID
    assert bad.status is Status.INVALID and bad.counterexample


def test_negative_definite_needs_sylvester_minors():
    a = sp.Symbol("a", positive=True)
    ok = check_step(Step(sp.Matrix([[-a, 0], [0, -2 * a]]), "", Relation.START), Step(None, "", Relation.NEG_DEF))
    not_symmetric = check_step(Step(sp.Matrix([[-a, 1], [0, -a]]), "", Relation.START),
                               Step(None, "", Relation.NEG_DEF))
    unknown_sign = check_step(Step(sp.Matrix([[mu]]), "", Relation.START), Step(None, "", Relation.NEG_DEF))
    assert ok.status is Status.VALID
    assert not_symmetric.status is Status.INVALID
    assert unknown_sign.status is Status.NOT_CHECKED


def test_positive_parameter_values_are_positive():
    verdict = _judge(sp.sqrt(sigma2) ** 2, sigma2)
    assert verdict.status is Status.VALID


def test_simplification_crash_falls_back_to_the_numeric_test(monkeypatch):
    """SymPy raising inside the simplification (e.g. cancel on a Trace of a MatAdd) is not a verdict: the
    numeric test decides, and the verdict says the proof was not obtained."""
    import derivations.checker as checker

    def crash(*args, **kwargs):
        raise TypeError("simulated SymPy failure")

    monkeypatch.setattr(checker, "is_zero", crash)
    true = _judge(sample_sum((x[i] - mu) ** 2), sample_sum(x[i] ** 2) - 2 * mu * sample_sum(x[i]) + N * mu ** 2)
    assert true.status is Status.VALID and true.method is Method.NUMERIC
    assert "simplification failed" in true.message
    false = _judge(sample_sum(x[i] ** 2), sample_sum(x[i]) ** 2 / N)
    assert false.status is Status.INVALID and false.counterexample


def test_one_by_one_matrix_compares_with_a_scalar():
    """u^T S^-1 u (a 1 x 1 matrix) = tr(S^-1 u u^T) (a scalar): judged by value, not rejected for its shape;
    a wrong scalar is still rejected, and a p x p matrix against a scalar is still a shape error."""
    p = sp.Symbol("p", integer=True, positive=True)
    S, u = sp.MatrixSymbol("S", p, p), sp.MatrixSymbol("u", p, 1)
    context = Context(symmetric=frozenset({S}))
    quadratic = u.T * S.I * u
    right = _judge(quadratic, sp.Trace(S.I * u * u.T), context=context)
    assert right.status is Status.VALID
    wrong = _judge(quadratic, sp.Trace(S * u * u.T), context=context)
    assert wrong.status is Status.INVALID and wrong.counterexample
    assert _judge(S, sp.Trace(S), context=context).status is Status.INVALID
