"""gaussproof's numeric side: vectorised NumPy functions generated from the verified derivations.

Arrays in, arrays out; univariate samples on the last axis, multivariate points (..., p) and data sets
(..., N, p); leading axes broadcast; every function validates its input (:mod:`numeric.validate`) and
raises ``ValueError`` (a wrong value) or ``TypeError`` (the wrong kind, e.g. a string or a complex array; also
a ``ValueError``) naming the argument.
"""

from .multivariate import (conditional, expected_mle_cov, linear_gaussian, linear_gaussian_posterior, logpdf,
                           mahalanobis, marginal, mvn_mle, pdf)
from .univariate import expected_mle_var, loglik, mle, score, unbiased_var

__all__ = ["loglik", "score", "mle", "unbiased_var", "expected_mle_var",
           "logpdf", "pdf", "mahalanobis", "marginal", "conditional", "linear_gaussian",
           "linear_gaussian_posterior", "mvn_mle", "expected_mle_cov"]
