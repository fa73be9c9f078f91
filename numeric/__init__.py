"""gaussproof's numeric side: vectorised NumPy functions generated from the verified derivations.

Arrays in, arrays out; samples on the last axis; every function validates its input and raises
``ValueError`` naming the problem.
"""

from .univariate import expected_mle_var, loglik, mle, score, unbiased_var

__all__ = ["loglik", "score", "mle", "unbiased_var", "expected_mle_var"]
