"""Linear-Gaussian model: p(y), Cov(x, y), p(x | y)."""
