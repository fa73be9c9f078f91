"""The adversarial suite (tests/adversarial/): false one-line steps that must never be judged valid, each
with a true twin that must never be judged invalid, plus the same rule through the Python API.

The steps were written without reading the parser (see tests/adversarial/README.md). "not checked" is an
acceptable verdict for both a false step and a true twin; only a false "valid" (an unsound proof) and a
false "invalid" (a false alarm) fail.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sympy as sp

from derivations import Context, Derivation, Method, Relation, Status, Step, chain, check_step, verify
from derivations.checker import numeric_test
from derivations.notation import N, i, mu, sample_sum, sigma2, x
from derivations.notes.judge import judge_pair

STEPS_FILE = Path(__file__).parent / "adversarial" / "steps.json"
CASES = json.loads(STEPS_FILE.read_text(encoding="utf-8"))
BY_ID = {case["id"]: case for case in CASES}
IDS = [case["id"] for case in CASES]


def _describe(case: dict, side: str, result: tuple) -> str:
    verdict, method, message, counterexample = result
    step = case[side]
    return (f"[{case['category']}] {case['id']} ({side}): {step['lhs']} = {step['rhs']}\n"
            f"    judged {verdict} ({method}): {message}\n    counterexample: {counterexample}\n"
            f"    why it is false: {case['why']}")


# ------------------------------------------------------------------------------------------ the file itself

def test_file_has_enough_distinct_false_steps_each_with_a_reason_and_a_twin():
    assert len(CASES) >= 150
    assert len(set(IDS)) == len(IDS), "repeated ids"
    for case in CASES:
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", case["id"]), case["id"]
        assert case["category"].strip(), case["id"]
        assert len(case["why"].strip()) >= 10, case["id"]
        for side in ("false", "true"):
            assert case[side]["lhs"].strip() and case[side]["rhs"].strip(), (case["id"], side)
        assert case["false"] != case["true"], case["id"]


# ------------------------------------------------------------------------------------------ gaussproof check

@pytest.fixture(scope="module")
def judged() -> dict:
    """Every step of the file judged once, in the worker pool (both cores; the verdicts are those of
    judge_pair in this process: the randomised test is seeded from the step)."""
    from derivations.limits import Task, default_pool, run_tasks

    keys = [(case["id"], side) for case in CASES for side in ("false", "true")]
    tasks = [Task(judge_pair, (BY_ID[key][side]["lhs"], BY_ID[key][side]["rhs"]), seconds=60) for key, side in keys]
    outcomes = run_tasks(tasks, default_pool())
    return {key: (o.value if o.ok else ("not_checked", None, f"{o.kind}: {o.message}", None))
            for key, o in zip(keys, outcomes)}


@pytest.mark.parametrize("case_id", IDS)
def test_false_step_is_not_valid(case_id, judged):
    case = BY_ID[case_id]
    result = judged[case_id, "false"]
    assert result[0] != "valid", _describe(case, "false", result)


@pytest.mark.parametrize("case_id", IDS)
def test_true_twin_is_not_invalid(case_id, judged):
    case = BY_ID[case_id]
    result = judged[case_id, "true"]
    assert result[0] != "invalid", _describe(case, "true", result)


def test_the_pool_gives_the_in_process_verdicts(judged):
    """A sample of steps judged here, in this process, agree with the pool's verdicts."""
    for case in CASES[::50]:
        assert judge_pair(case["false"]["lhs"], case["false"]["rhs"])[0] == judged[case["id"], "false"][0]


# ------------------------------------------------------------------------------------------ the Python API
# Each false case has a true twin right after it. A false step must not be VALID, a true one not INVALID.

a = sp.Symbol("a", real=True)
b = sp.Symbol("b", real=True)
a_pos = sp.Symbol("a", positive=True)
n_int = sp.Symbol("n", integer=True, positive=True)
p = sp.Symbol("p", integer=True, positive=True)
A = sp.MatrixSymbol("A", p, p)
B = sp.MatrixSymbol("B", p, p)
S = sp.MatrixSymbol("S", p, p)
SUM_X = sample_sum(x[i])


def _equal(left, right, method: Method = Method.SYMBOLIC):
    return check_step(Step(left, "previous line"), Step(right, "claimed", method=method))


def _iff(before, after, unknowns=(mu,)):
    return check_step(Step(before, "equation", Relation.START), Step(after, "solved", Relation.IFF),
                      Context(unknowns=unknowns))


def _power_sum(k: int):
    return sp.Trace(A) if k == 1 else sp.Trace(A ** k)


def _elementary_from_power_sums(k: int):
    """k! e_k(A) written with the traces tr(A^j) (Newton's identities): 0 for matrices smaller than k x k."""
    p_ = sp.symbols(f"q1:{k + 1}")
    m = sp.zeros(k, k)
    for r in range(k):
        for c in range(k):
            if c == r + 1:
                m[r, c] = r + 1
            elif c <= r:
                m[r, c] = p_[r - c]
    poly = sp.expand(m.det())
    return poly.xreplace({p_[j]: _power_sum(j + 1) for j in range(k)})


def _not_valid(verdict, why):
    assert verdict.status is not Status.VALID, f"{why}: judged {verdict.status.value} ({verdict.method}): {verdict.message}"


def _not_invalid(verdict, why):
    assert verdict.status is not Status.INVALID, (f"{why}: judged invalid: {verdict.message} "
                                                  f"{verdict.counterexample}")


def test_api_polynomial_in_N_vanishing_on_2_to_40():
    perturbation = sp.Mul(*[N - k for k in range(2, 41)])
    _not_valid(_equal(SUM_X, SUM_X + perturbation), "sum x_i = sum x_i + prod_{k=2}^{40} (N - k) (nonzero at N = 41)")
    _not_invalid(_equal(SUM_X, sample_sum(x[i] + 1) - N), "sum x_i = sum (x_i + 1) - N")


def test_api_polynomial_in_N_vanishing_at_2_3_5():
    _not_valid(_equal(SUM_X, SUM_X + (N - 2) * (N - 3) * (N - 5)), "perturbation (N-2)(N-3)(N-5), -2 at N = 4")
    _not_invalid(_equal(sp.Sum(i, (i, 1, N)), N * (N + 1) / 2), "sum_{i=1}^N i = N(N+1)/2")


def test_api_numeric_test_directly_polynomial_in_N():
    perturbation = sp.Mul(*[N - k for k in range(1, 41)])
    agree, _ = numeric_test(sp.Sum(i, (i, 1, N)), N * (N + 1) / 2 + perturbation)
    assert agree is not True, "numeric_test accepted sum i = N(N+1)/2 + prod_{k=1}^{40}(N-k)"
    agree, example = numeric_test(sp.Sum(i, (i, 1, N)), N * (N + 1) / 2)
    assert agree is not False, f"numeric_test rejected sum i = N(N+1)/2: {example}"


def test_api_interpolated_power_of_two():
    _not_valid(_equal(sp.Integer(2) ** N, (8 * N ** 2 - 28 * N + 36) / 3), "2^N against the quadratic through N = 2, 3, 5")
    _not_invalid(_equal(sp.Product(2, (i, 1, N)).doit(), sp.Integer(2) ** N), "prod_{i=1}^N 2 = 2^N")


def test_api_matrix_identity_true_only_up_to_size_6():
    e7 = _elementary_from_power_sums(7)
    _not_valid(_equal(e7, sp.S.Zero), "7! e_7(A) in traces = 0 (true for sizes <= 6 only)")
    _not_invalid(_equal(sp.Trace(A * B), sp.Trace(B * A)), "tr(AB) = tr(BA)")


def test_api_matrix_identity_true_only_up_to_size_3():
    e4 = _elementary_from_power_sums(4)
    _not_valid(_equal(e4, sp.S.Zero), "4! e_4(A) in traces = 0 (true for sizes <= 3 only)")
    _not_invalid(_equal(sp.Trace(A ** 2), sp.Trace(A * A)), "tr(A^2) = tr(A A)")


def test_api_numeric_test_directly_matrix_size():
    agree, _ = numeric_test(_elementary_from_power_sums(7), sp.S.Zero)
    assert agree is not True, "numeric_test accepted 7! e_7(A) = 0 for a p x p matrix"
    agree, example = numeric_test(sp.Trace(A * B), sp.Trace(B * A))
    assert agree is not False, f"numeric_test rejected tr(AB) = tr(BA): {example}"


def test_api_determinant_scaling_interpolated_in_dimension():
    quintic = (p ** 5 - 10 * p ** 4 + 55 * p ** 3 - 110 * p ** 2 + 184 * p) / 60
    _not_valid(_equal(sp.Determinant(2 * S), quintic * sp.Determinant(S)),
               "det(2S) = c(p) det S with c = 2^p at p = 1..6 only (c(7) = 126)")
    _not_invalid(_equal(sp.Determinant(2 * S), 2 ** p * sp.Determinant(S)), "det(2S) = 2^p det S")


def test_api_polynomial_in_dimension():
    _not_valid(_equal(sp.Mul(*[p - k for k in range(1, 7)]) * sp.Determinant(S), sp.S.Zero),
               "(p-1)...(p-6) det S = 0 (720 det S at p = 7)")
    _not_invalid(_equal((p - 1) * sp.Determinant(S), p * sp.Determinant(S) - sp.Determinant(S)), "(p-1) det S")


def test_api_integer_symbol_small_values():
    _not_valid(_equal(sp.Mul(*[n_int - k for k in range(1, 7)]), sp.S.Zero), "prod_{k=1}^{6}(n - k) = 0 for an integer n")
    _not_invalid(_equal((-1) ** (n_int * (n_int + 1)), sp.S.One), "(-1)^{n(n+1)} = 1 for an integer n")


def test_api_iff_vanishing_coefficient():
    _not_valid(_iff(sp.Eq(a * mu, a), sp.Eq(mu, 1)), "(a mu = a) iff (mu = 1): every mu solves it when a = 0")
    _not_invalid(_iff(sp.Eq(a_pos * mu, a_pos), sp.Eq(mu, 1)), "(a mu = a) iff (mu = 1) for a > 0")


def test_api_iff_vanishing_coefficient_of_an_exponential():
    _not_valid(_iff(sp.Eq(a * sp.exp(mu), a), sp.Eq(mu, 0)), "(a e^mu = a) iff (mu = 0): fails at a = 0")
    _not_invalid(_iff(sp.Eq(sigma2 * sp.exp(mu), sigma2), sp.Eq(mu, 0)), "(sigma^2 e^mu = sigma^2) iff (mu = 0)")


def test_api_iff_sample_size_factor():
    _not_valid(_iff(sp.Eq((N - 2) * (mu - 1), 0), sp.Eq(mu, 1)), "((N-2)(mu-1) = 0) iff (mu = 1): fails at N = 2")
    _not_invalid(_iff(sp.Eq(N * (mu - 1), 0), sp.Eq(mu, 1)), "(N (mu - 1) = 0) iff (mu = 1), N >= 1")


def test_api_iff_real_cube_root():
    _not_valid(_iff(sp.Eq(mu ** 2, a ** 2), sp.Eq(mu, a)), "(mu^2 = a^2) iff (mu = a): mu = -a also solves it")
    _not_invalid(_iff(sp.Eq(mu ** 3, a ** 3), sp.Eq(mu, a)), "(mu^3 = a^3) iff (mu = a) over the reals (mu is real)")


def test_api_magnitude_beyond_the_sampled_range():
    _not_valid(_equal(sp.Abs(a - 10 ** 7), 10 ** 7 - a), "|a - 10^7| = 10^7 - a (false for a > 10^7)")
    _not_invalid(_equal(sp.Abs(a - 10 ** 7), sp.Abs(10 ** 7 - a)), "|a - 10^7| = |10^7 - a|")


def test_api_log_variance_bounded_below():
    _not_valid(_equal(sp.Abs(sp.log(sigma2) + 20), sp.log(sigma2) + 20), "|log sigma^2 + 20| = log sigma^2 + 20")
    _not_invalid(_equal(sp.Abs(sigma2 + 1), sigma2 + 1), "|sigma^2 + 1| = sigma^2 + 1")


def test_api_short_decimals_are_not_all_reals():
    _not_valid(_equal(sp.floor(10 ** 12 * a), 10 ** 12 * a), "floor(10^12 a) = 10^12 a (a = 10^-13 is a counterexample)")
    _not_invalid(_equal(sp.floor(2 * N), 2 * N), "floor(2N) = 2N for the integer N")


def test_api_periodic_function_of_short_decimals():
    _not_valid(_equal(sp.sin(sp.pi * 10 ** 12 * a), sp.S.Zero), "sin(10^12 pi a) = 0 (false for a = 10^-13)")
    _not_invalid(_equal(sp.sin(sp.pi * N), sp.S.Zero), "sin(pi N) = 0 for the integer N")


def test_api_method_numeric_step_goes_straight_to_the_randomised_test():
    perturbation = sp.Mul(*[N - k for k in range(2, 41)])
    _not_valid(_equal(SUM_X, SUM_X + perturbation * x[1], method=Method.NUMERIC),
               "a Method.NUMERIC step with a perturbation vanishing on N = 2..40")
    _not_invalid(_equal(sample_sum(2 * x[i]), 2 * SUM_X, method=Method.NUMERIC), "sum 2 x_i = 2 sum x_i")


def test_api_negative_definite_semidefinite_hessian():
    hessian = sp.Matrix([[-1, 0], [0, -(mu - 1) ** 2]])
    verdict = check_step(Step(hessian, "Hessian"), Step(None, "negative definite", Relation.NEG_DEF))
    _not_valid(verdict, "diag(-1, -(mu-1)^2) is only semidefinite at mu = 1")
    verdict = check_step(Step(sp.Matrix([[-1, 0], [0, -sigma2]]), "Hessian"),
                         Step(None, "negative definite", Relation.NEG_DEF))
    _not_invalid(verdict, "diag(-1, -sigma^2) is negative definite")


def test_api_verify_a_derivation_with_one_false_step():
    perturbation = sp.Mul(*[N - k for k in range(2, 41)])
    good = chain("sum", "sum of the data", SUM_X, "definition",
                 Step(sample_sum(x[i] + 1) - N, "add and subtract N"),
                 Step(SUM_X, "cancel"))
    bad = chain("sum-bad", "sum of the data, corrupted", SUM_X, "definition",
                Step(sample_sum(x[i] + 1) - N, "add and subtract N"),
                Step(SUM_X + perturbation * sigma2, "a term that vanishes for N = 2..40 only"))
    derivation = Derivation("adversarial", "adversarial chains", ("x_1..x_N observations",), (good, bad))
    report = verify(derivation)
    by_chain = {(r.chain.slug, r.index): r.verdict for r in report.results}
    _not_valid(by_chain[("sum-bad", 2)], "verify(): the corrupted last step")
    for index in (1, 2):
        _not_invalid(by_chain[("sum", index)], f"verify(): true step {index}")
    _not_invalid(by_chain[("sum-bad", 1)], "verify(): the true first step of the corrupted chain")
    assert not report.ok
