"""The proof checker as a test suite: one test per step of every derivation, named after it."""

from __future__ import annotations

import pytest

from conftest import all_steps, step_id
from derivations import Method, Status, registry
from derivations.checker import check_chain_step

STEPS = all_steps()


@pytest.mark.parametrize("item", STEPS, ids=[step_id(s) for s in STEPS])
def test_step_is_valid(item):
    name, slug, index = item
    derivation = registry.get(name)
    verdict = check_chain_step(derivation, derivation.chain(slug), index)
    assert verdict.status is Status.VALID, f"{name}/{slug} step {index}: {verdict.message}"
    # a step is proved symbolically unless the derivation marks it for the numeric test
    assert verdict.method is derivation.chain(slug).steps[index].method, verdict.message


def test_univariate_steps_are_all_marked_symbolic():
    """No univariate step is marked for the numeric test: all are proofs, not spot checks."""
    for name in ("loglik-univariate", "mle-univariate", "fisher-univariate", "unbiased-variance"):
        for chain in registry.get(name).chains:
            assert all(step.method is Method.SYMBOLIC for step in chain.steps), (name, chain.slug)


def test_every_derivation_has_checked_steps(derivations):
    names = [d.name for d in derivations]
    assert {"loglik-univariate", "mle-univariate", "fisher-univariate", "unbiased-variance"} <= set(names)
    for d in derivations:
        assert d.n_steps >= 1, d.name
