"""Mutation tests: a corrupted copy of every derivation must be rejected by the checker.

Corruptions people really make, each applied to every step (including the defining first step) of every
chain: a sign slip (one term of a sum negated), N replaced by N - 1, a lost square, and for matrix
expressions a dropped transpose and a product with its factors in the wrong order. The step
that was corrupted, or the step after a corrupted definition, must get the verdict *invalid*.
"""

from __future__ import annotations

import pytest
import sympy as sp

from derivations import Relation, Status, Step, registry
from derivations.checker import (Context, StepTimeout, _shape, check_chain_step, check_step, context_of,
                                 numeric_test, time_limit)
from derivations.normal_form import normal_form
from derivations.notation import N


def _first(expr: sp.Basic, predicate):
    return next((e for e in sp.preorder_traversal(expr) if predicate(e)), None)


def _map_expr(expr, corrupt):
    """Apply ``corrupt`` to a step expression: a scalar, a matrix (first entry that changes), an equation
    (its right side, else its left side) or a system (first equation that changes)."""
    if isinstance(expr, tuple):
        for k, eq in enumerate(expr):
            new = _map_expr(eq, corrupt)
            if new != eq:
                return expr[:k] + (new,) + expr[k + 1:]
        return expr
    if isinstance(expr, sp.Equality):
        rhs = corrupt(expr.rhs)
        if rhs != expr.rhs:
            return sp.Eq(expr.lhs, rhs, evaluate=False)
        return sp.Eq(corrupt(expr.lhs), expr.rhs, evaluate=False)
    if isinstance(expr, sp.MatrixBase):
        entries = list(expr)
        for k, entry in enumerate(entries):
            new = corrupt(entry)
            if new != entry:
                entries[k] = new
                return sp.Matrix(expr.rows, expr.cols, entries)
        return expr
    return corrupt(expr)


def flip_sign(expr: sp.Expr) -> sp.Expr:
    """Negate one term of the first sum of two or more terms (scalar or matrix); else negate the whole."""
    add = _first(expr, lambda e: isinstance(e, (sp.Add, sp.MatAdd)))
    if add is None:
        return -expr
    term = add.args[0]
    return expr.xreplace({add: add - 2 * term})


def drop_transpose(expr: sp.Basic) -> sp.Basic:
    """Replace the first transpose X^T by X (a dropped transpose)."""
    transpose = _first(expr, lambda e: isinstance(e, sp.Transpose))
    return expr if transpose is None else expr.xreplace({transpose: transpose.arg})


def swap_factors(expr: sp.Basic) -> sp.Basic:
    """Reverse the first product of matrices (factors in the wrong order)."""
    product = _first(expr, lambda e: isinstance(e, sp.MatMul) and len(e.as_coeff_matrices()[1]) > 1)
    if product is None:
        return expr
    coefficient, factors = product.as_coeff_matrices()
    return expr.xreplace({product: sp.MatMul(coefficient, *reversed(factors))})


def n_to_n_minus_1(expr: sp.Expr) -> sp.Expr:
    return expr.xreplace({N: N - 1})


def drop_square(expr: sp.Expr) -> sp.Expr:
    """Replace the first square b**2 (or b**-2) by b (or 1/b)."""
    power = _first(expr, lambda e: isinstance(e, sp.Pow) and abs(e.exp) == 2)
    if power is None:
        return expr
    return expr.xreplace({power: power.base ** sp.sign(power.exp)})


MUTATIONS = {"flip-sign": flip_sign, "N-to-N-1": n_to_n_minus_1, "drop-square": drop_square,
             "drop-transpose": drop_transpose, "swap-factors": swap_factors}


#: CPU seconds allowed to decide whether a corruption changes a step's value (e.g. a corrupted integrand can
#: make SymPy's integrator run for minutes); an undecided corruption is skipped, with the reason.
DECIDE_SECONDS = 5.0


def _differs(original, corrupted, context: Context) -> bool | None:
    """True if the corruption changes the step's value, False if it does not (or does not even make a
    well-formed expression), None if that could not be decided in time."""
    try:
        with time_limit(DECIDE_SECONDS):
            return _value_changes(original, corrupted, context)
    except (ValueError, TypeError):  # the corruption does not even make a well-formed expression
        return False
    except (StepTimeout, NotImplementedError):  # too slow, or outside what the normal form evaluates
        return None


def _value_changes(original, corrupted, context: Context) -> bool:
    """True if the corruption changes the step's value at random points (an equation: its value, up to
    sign). Some corruptions are harmless, e.g. N -> N - 1 throughout sum_{i=1}^{N} x_i / N inside E."""
    if isinstance(original, tuple):
        return any(_value_changes(a, b, context) for a, b in zip(original, corrupted))
    before, after = context.normal_form(original), context.normal_form(corrupted)
    if _shape(before) != _shape(after):
        return True
    def separated(a, b) -> bool:  # a random point tells the two apart (not merely: nothing to compare)
        return numeric_test(a, b, symmetric=context.symmetric)[0] is False

    if isinstance(original, sp.Equality):
        return separated(before, after) and separated(before, -after)
    return separated(before, after)


def _corrupted(step: Step, kind: str):
    """The step's expression with the corruption ``kind`` applied, or None if it cannot be built."""
    try:
        return _map_expr(step.expr, MUTATIONS[kind])
    except (ValueError, TypeError):  # e.g. a shape error while building the corrupted product
        return None


def _cases():
    """Every (derivation, chain, step, corruption) whose corruption changes the step's expression. Only the
    expressions are compared here (cheap, and the same on an idle or a busy machine); whether the corruption
    changes the step's *value* is decided in the test itself."""
    cases = []
    for derivation in registry.all_derivations():
        for chain in derivation.chains:
            for index, step in enumerate(chain.steps):
                if step.expr is None:
                    continue
                for kind in MUTATIONS:
                    corrupted = _corrupted(step, kind)
                    if corrupted is not None and corrupted != step.expr:
                        cases.append(pytest.param(derivation.name, chain.slug, index, kind,
                                                  id=f"{derivation.name}/{chain.slug}/{index}/{kind}"))
    return cases


CASES = _cases()


@pytest.mark.parametrize("name, slug, index, kind", CASES)
def test_corrupted_step_is_rejected(name, slug, index, kind):
    derivation = registry.get(name)
    chain = derivation.chain(slug)
    step = chain.steps[index]
    corrupted_expr = _corrupted(step, kind)
    changes = _differs(step.expr, corrupted_expr, context_of(derivation, chain))
    if changes is None:
        pytest.skip(f"undecided: whether the corruption changes the step's value was not settled in "
                    f"{DECIDE_SECONDS:g} CPU seconds")
    if not changes:
        pytest.skip("harmless: the corruption does not change the step's value at random points")
    corrupted = derivation.with_step(slug, index, Step(corrupted_expr, step.justification, step.relation))
    judged = index if index > 0 else 1  # a corrupted definition is caught by the step after it
    verdict = check_chain_step(corrupted, corrupted.chain(slug), judged)
    assert verdict.status is Status.INVALID, (
        f"{kind} on {name}/{slug} step {index} was not rejected: {verdict.status.value}, {verdict.message}")


def test_every_derivation_has_mutation_cases():
    covered = {case.values[0] for case in CASES}
    assert covered == set(registry.names())
    assert len(CASES) >= 3 * len(registry.names())


def test_negative_definite_step_rejects_a_positive_matrix():
    a = sp.Symbol("a", positive=True)
    verdict = check_step(Step(sp.Matrix([[-a, 0], [0, a]]), "H"), Step(None, "Sylvester", Relation.NEG_DEF))
    assert verdict.status is Status.INVALID
