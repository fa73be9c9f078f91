"""gaussproof's symbolic side: Gaussian derivations as checked chains of SymPy steps."""

from .checker import Context, Report, Status, Verdict, check_step, verify
from .core import Chain, Derivation, Method, Relation, Step, chain
from .registry import UnknownDerivation, all_derivations, get, names

__all__ = ["Chain", "Derivation", "Relation", "Step", "chain", "Context", "Method", "Report", "Status", "Verdict",
           "check_step", "verify", "UnknownDerivation", "all_derivations", "get", "names"]
