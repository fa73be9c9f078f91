"""gaussproof's symbolic side: Gaussian derivations as checked chains of SymPy steps."""

from .checker import Method, Report, Status, Verdict, check_step, verify
from .core import Chain, Derivation, Relation, Step, chain
from .registry import UnknownDerivation, all_derivations, get, names

__all__ = ["Chain", "Derivation", "Relation", "Step", "chain", "Method", "Report", "Status", "Verdict",
           "check_step", "verify", "UnknownDerivation", "all_derivations", "get", "names"]
