"""Shared fixtures: every registered derivation and every checked step, collected once."""

from __future__ import annotations

import pytest

from derivations import registry


def all_steps():
    """(derivation name, chain slug, step index) for every checked step, in order."""
    return [(d.name, c.slug, k) for d in registry.all_derivations() for c in d.chains
            for k in range(1, len(c.steps))]


def step_id(item) -> str:
    name, slug, index = item
    step = registry.get(name).chain(slug).steps[index]
    return f"{name}/{slug}/{index}-{step.justification[:40]}"


@pytest.fixture(scope="session")
def derivations():
    return registry.all_derivations()
