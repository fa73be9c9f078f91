"""gaussproof numeric side: NumPy functions generated from the derivations (see issue 4)."""
