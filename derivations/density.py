"""Multivariate density: normalisation, Mahalanobis distance, the 2-D independent case, diagonal covariance."""
