"""Mutation tests: a corrupted copy of every derivation must be rejected by the checker.

Three corruptions people really make, each applied to every step (including the defining first step) of
every chain: a sign slip (one term of a sum negated), N replaced by N - 1, and a lost square. The step
that was corrupted, or the step after a corrupted definition, must get the verdict *invalid*.
"""

from __future__ import annotations

import pytest
import sympy as sp

from derivations import Relation, Status, Step, registry
from derivations.checker import check_chain_step, check_step, numeric_test
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
    if isinstance(expr, sp.MatrixExpr):
        return expr
    return corrupt(expr)


def flip_sign(expr: sp.Expr) -> sp.Expr:
    """Negate one term of the first sum of two or more terms; negate the whole if there is none."""
    add = _first(expr, lambda e: isinstance(e, sp.Add))
    if add is None:
        return -expr
    term = add.args[0]
    return expr.xreplace({add: add - 2 * term})


def n_to_n_minus_1(expr: sp.Expr) -> sp.Expr:
    return expr.xreplace({N: N - 1})


def drop_square(expr: sp.Expr) -> sp.Expr:
    """Replace the first square b**2 (or b**-2) by b (or 1/b)."""
    power = _first(expr, lambda e: isinstance(e, sp.Pow) and abs(e.exp) == 2)
    if power is None:
        return expr
    return expr.xreplace({power: power.base ** sp.sign(power.exp)})


MUTATIONS = {"flip-sign": flip_sign, "N-to-N-1": n_to_n_minus_1, "drop-square": drop_square}


def _differs(original, corrupted, definitions) -> bool:
    """True if the corruption changes the step's value at random points (an equation: its value, up to
    sign). Some corruptions are harmless, e.g. N -> N - 1 throughout sum_{i=1}^{N} x_i / N inside E."""
    if isinstance(original, tuple):
        return any(_differs(a, b, definitions) for a, b in zip(original, corrupted))
    before, after = normal_form(original, definitions), normal_form(corrupted, definitions)
    if isinstance(original, sp.Equality):
        return not numeric_test(before, after)[0] and not numeric_test(before, -after)[0]
    return not numeric_test(before, after)[0]


def _cases():
    cases = []
    for derivation in registry.all_derivations():
        for chain in derivation.chains:
            for index, step in enumerate(chain.steps):
                if step.expr is None:
                    continue
                for kind, corrupt in MUTATIONS.items():
                    corrupted = _map_expr(step.expr, corrupt)
                    if corrupted != step.expr and _differs(step.expr, corrupted, derivation.definitions):
                        cases.append(pytest.param(derivation.name, chain.slug, index, kind,
                                                  id=f"{derivation.name}/{chain.slug}/{index}/{kind}"))
    return cases


CASES = _cases()


@pytest.mark.parametrize("name, slug, index, kind", CASES)
def test_corrupted_step_is_rejected(name, slug, index, kind):
    derivation = registry.get(name)
    step = derivation.chain(slug).steps[index]
    corrupted = derivation.with_step(slug, index, Step(_map_expr(step.expr, MUTATIONS[kind]),
                                                       step.justification, step.relation))
    chain = corrupted.chain(slug)
    judged = index if index > 0 else 1  # a corrupted definition is caught by the step after it
    verdict = check_chain_step(corrupted, chain, judged)
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
