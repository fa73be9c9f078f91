"""Explicit matrices for checks at concrete sizes: symbolic entries, and exact random rational instances.

One place for them: the checker's randomised test and the explicit-component derivations draw from the same
generators.
"""

from __future__ import annotations

import random

import sympy as sp


def symbolic_matrix(name: str, rows: int, cols: int, symmetric: bool = False) -> sp.ImmutableMatrix:
    """A rows x cols matrix of real symbols name_rc (1-based; name_r for a column vector); with
    ``symmetric``, entry (r, c) and (c, r) are the same symbol."""
    def entry(r: int, c: int) -> sp.Symbol:
        if symmetric:
            r, c = min(r, c), max(r, c)
        return sp.Symbol(f"{name}_{r + 1}{c + 1}" if cols > 1 else f"{name}_{r + 1}", real=True)

    return sp.ImmutableMatrix(rows, cols, entry)


def random_matrix(rows: int, cols: int, rng: random.Random) -> sp.ImmutableMatrix:
    """An exact random rational matrix (entries p/q with |p| <= 19, 1 <= q <= 7)."""
    return sp.ImmutableMatrix(rows, cols, lambda *_: sp.Rational(rng.randint(-19, 19), rng.randint(1, 7)))


def random_spd(size: int, rng: random.Random) -> sp.ImmutableMatrix:
    """An exact random rational symmetric positive-definite matrix R R^T + I."""
    root = sp.Matrix(size, size, lambda *_: sp.Rational(rng.randint(-9, 9), rng.randint(1, 5)))
    return sp.ImmutableMatrix(root * root.T + sp.eye(size))
