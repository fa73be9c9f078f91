"""Partitioned Gaussian: affine maps, marginals, independence, the conditional (Schur complement)."""
