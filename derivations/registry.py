"""The registry of derivations: ``gaussproof list`` shows it, ``verify`` and the tests walk it.

Derivations are registered as builder functions and built on first use (building runs SymPy: solving,
differentiating, taking expectations), then cached.
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from typing import Callable

from .core import Derivation

_BUILDERS: dict[str, Callable[[], Derivation]] = {}


class UnknownDerivation(KeyError):
    """No derivation of that name; the message lists the valid names."""

    def __str__(self) -> str:
        return self.args[0]


def register(name: str) -> Callable[[Callable[[], Derivation]], Callable[[], Derivation]]:
    """Decorator: register a zero-argument function that builds the derivation ``name``."""
    def decorate(builder: Callable[[], Derivation]) -> Callable[[], Derivation]:
        if name in _BUILDERS:
            raise ValueError(f"a derivation named {name!r} is already registered")
        _BUILDERS[name] = builder
        return builder

    return decorate


#: Topic modules, imported (and so registered) in this order.
TOPICS = ("univariate", "density", "partitioned", "linear_gaussian", "mle_multivariate")


def _load_topics() -> None:
    for topic in TOPICS:
        importlib.import_module(f"{__package__}.{topic}")


def names() -> list[str]:
    """Registered derivation names, in registration order."""
    _load_topics()
    return list(_BUILDERS)


@lru_cache(maxsize=None)
def get(name: str) -> Derivation:
    """The derivation called ``name``; raises UnknownDerivation listing the valid names."""
    _load_topics()
    if name not in _BUILDERS:
        raise UnknownDerivation(f"unknown derivation {name!r}; valid names: {', '.join(_BUILDERS)}")
    derivation = _BUILDERS[name]()
    if derivation.name != name:
        raise ValueError(f"builder for {name!r} returned a derivation named {derivation.name!r}")
    return derivation


def all_derivations() -> list[Derivation]:
    return [get(name) for name in names()]
