"""Derivations as data: a derivation is a named list of chains, a chain an ordered list of steps.

A chain reads like a ``calc`` block: its first step states what is being computed (a definition), every
later step is an expression together with its relation to the previous step and a justification. The
checker (:mod:`derivations.checker`) judges each consecutive pair; the printers
(:mod:`derivations.printing`) render the same objects as LaTeX, text and JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Mapping, Sequence

import sympy as sp


class Method(str, Enum):
    """How a step is checked: a proof, or a randomised exact test (never reported as a proof)."""

    SYMBOLIC = "symbolic"
    NUMERIC = "numeric"


class Relation(str, Enum):
    """How a step relates to the step before it."""

    START = "start"  #: first step of a chain: the definition being computed, not checked
    EQUAL = "="  #: the expression (scalar or matrix) equals the previous one
    IFF = "iff"  #: the equation system has the same solution set in the chain's unknowns
    NEG_DEF = "neg-def"  #: the previous (symmetric) matrix is negative definite


@dataclass(frozen=True)
class Step:
    """One line of a chain: an expression, its relation to the previous line, and why it holds.

    ``expr`` is a SymPy expression, a ``Matrix``, a matrix expression (``MatrixSymbol`` algebra, symbolic
    sizes allowed), an ``Eq``, or a tuple of ``Eq`` (a system, used with ``Relation.IFF``).
    ``Relation.NEG_DEF`` steps carry no expression of their own. ``method`` is how the step is meant to be
    checked: ``Method.NUMERIC`` marks a step (e.g. explicit components at larger sizes) that goes straight
    to the randomised test, and is reported as checked numerically.
    """

    expr: object
    justification: str
    relation: Relation = Relation.EQUAL
    method: Method = Method.SYMBOLIC


@dataclass(frozen=True)
class Chain:
    """A chain of steps that computes one result, e.g. the score in mu."""

    slug: str
    title: str
    steps: tuple[Step, ...]
    unknowns: tuple[sp.Symbol, ...] = ()

    def __post_init__(self) -> None:
        if len(self.steps) < 2:
            raise ValueError(f"chain {self.slug!r} needs at least two steps, has {len(self.steps)}")
        if self.steps[0].relation is not Relation.START:
            raise ValueError(f"chain {self.slug!r} must begin with a Relation.START step")
        if any(s.relation is Relation.START for s in self.steps[1:]):
            raise ValueError(f"chain {self.slug!r}: only the first step may be a Relation.START step")
        if any(s.relation is Relation.IFF for s in self.steps) and not self.unknowns:
            raise ValueError(f"chain {self.slug!r} has equivalence steps but names no unknowns")

    @property
    def first(self) -> object:
        return self.steps[0].expr

    @property
    def last(self) -> object:
        """The result of the chain: the last step that carries an expression."""
        return next(s.expr for s in reversed(self.steps) if s.expr is not None)


@dataclass(frozen=True)
class Derivation:
    """A named derivation: its assumptions, the chains proving its results, and the symbols it defines.

    ``definitions`` maps a named quantity (e.g. ``muhat``) to the expression it abbreviates; the checker
    substitutes them before comparing, so a step may use either the name or its definition.
    ``symmetric`` lists the matrix symbols that are symmetric (covariance blocks such as Sigma_aa): the
    checker uses S^T = S for them, and the randomised test gives them symmetric positive-definite values.
    """

    name: str
    title: str
    assumptions: tuple[str, ...]
    chains: tuple[Chain, ...]
    definitions: Mapping[sp.Basic, sp.Basic] = field(default_factory=dict)
    symmetric: frozenset = frozenset()

    def __post_init__(self) -> None:
        slugs = [c.slug for c in self.chains]
        if len(set(slugs)) != len(slugs):
            raise ValueError(f"derivation {self.name!r} has repeated chain slugs: {slugs}")

    @property
    def n_steps(self) -> int:
        """Number of checked steps (first steps of chains are definitions, not checked)."""
        return sum(len(c.steps) - 1 for c in self.chains)

    def chain(self, slug: str) -> Chain:
        for c in self.chains:
            if c.slug == slug:
                return c
        raise KeyError(f"derivation {self.name!r} has no chain {slug!r}; chains: {[c.slug for c in self.chains]}")

    def with_step(self, slug: str, index: int, step: Step) -> "Derivation":
        """A copy with step ``index`` of chain ``slug`` replaced (used to build corrupted copies)."""
        chains = []
        for c in self.chains:
            if c.slug == slug:
                steps = list(c.steps)
                steps[index] = step
                c = replace(c, steps=tuple(steps))
            chains.append(c)
        return replace(self, chains=tuple(chains))

    def _repr_latex_(self) -> str:
        """Jupyter display: one displayed aligned chain per result."""
        from .printing import chain_latex

        return "\n".join(f"$${chain_latex(c)}$$" for c in self.chains)


def chain(slug: str, title: str, start: object, start_justification: str, *steps: Step,
          unknowns: Sequence[sp.Symbol] = ()) -> Chain:
    """Build a :class:`Chain` from its defining first expression and the steps that follow."""
    return Chain(slug, title, (Step(start, start_justification, Relation.START), *steps), tuple(unknowns))
