"""Multivariate MLE: gradients by entry-wise matrix calculus, mu_hat, Sigma_hat, E[Sigma_hat]."""
