# Writes c_cholesky_sampling.ipynb (nbformat 4.5) from the cell texts below.
import json
from pathlib import Path
HERE = Path(__file__).resolve().parent  # part_c_tools/
DOCS = HERE.parent  # the documents and labels.part_c.json

cells = []


def md(text, cid):
    cells.append({"cell_type": "markdown", "id": cid, "metadata": {}, "source": text})


def code(text, cid, n, outputs):
    cells.append({"cell_type": "code", "id": cid, "execution_count": n, "metadata": {},
                  "source": text, "outputs": outputs})


def stream(text):
    return {"name": "stdout", "output_type": "stream", "text": text}


def result(text, n):
    return {"output_type": "execute_result", "execution_count": n, "metadata": {},
            "data": {"text/plain": text}}


md(r"""# Sampling a correlated Gaussian with a Cholesky factor

A short notebook for the reading group: why `m + L @ z` produces samples with covariance
$\Sigma$, what the Cholesky factor buys us for the inverse and the log-determinant, and a 2×2
example done by hand and then checked with NumPy.""", "a1f0c3e2")

code("""import numpy as np

np.set_printoptions(precision=4, suppress=True)""", "b27d91aa", 1, [])

md(r"""## The factorisation

Let $\Sigma$ be a symmetric positive definite $d \times d$ covariance matrix and $m \in \mathbb{R}^d$
a mean vector. We factor

$$
\Sigma = L L^\top
$$

where $L$ is the lower-triangular Cholesky factor, i.e. $L_{ij} = 0$ for $j > i$ and every
diagonal entry $L_{jj}$ is positive (with that sign convention the factor is unique). Draw a
standard normal vector

$$
z \sim \mathcal{N}(0, I)
$$

and define the sample

$$
y = m + L z
$$""", "c3e85b10")

md(r"""## Mean and covariance of $y$

Expectation is linear and $\mathbb{E}[z] = 0$:

$$
\mathbb{E}[y] = m + L\,\mathbb{E}[z] = m
$$

For the covariance, $y - m = L z$ and the constant factors come out of the expectation on
either side:

$$
\begin{aligned}
\operatorname{Cov}[y] &= \mathbb{E}\left[(y - m)(y - m)^\top\right] \\
&= L\,\mathbb{E}\left[z z^\top\right] L^\top \\
&= L L^\top \\
&= \Sigma
\end{aligned}
$$

So $y \sim \mathcal{N}(m, \Sigma)$: an affine image of a Gaussian is Gaussian, and the first two
moments are the right ones.""", "d4a1b7c9")

md(r"""## Inverse and log-determinant for free

The same factor gives the precision matrix as a product of two triangular inverses, in reversed
order:

$$
\Sigma^{-1} = (L L^\top)^{-1} = L^{-\top} L^{-1}
$$

In code one never forms $L^{-1}$: the quadratic form $(y - m)^\top \Sigma^{-1} (y - m)$ is the
squared norm of the solution of one triangular system $L u = y - m$. The determinant of a
triangular matrix is the product of its diagonal, and $\det L^\top = \det L$, hence

$$
\log\det\Sigma = \log\left(\det L \cdot \det L^\top\right) = 2\log\det L = 2\sum_{j=1}^{d}\log L_{jj}
$$

and the log density needs no determinant and no explicit inverse at all:

$$
\log p(y) = -\frac{1}{2}\log(2\pi) - \sum_{j=1}^{d}\log L_{jj} - \frac{1}{2}\left\lVert L^{-1}(y - m)\right\rVert^2
$$""", "e5b2c8d0")

md(r"""## A 2×2 example by hand

Take

$$
\Sigma = \begin{pmatrix} 4 & 2 \\ 2 & 3 \end{pmatrix}, \qquad m = \begin{pmatrix} 1 \\ -1 \end{pmatrix}
$$

The Cholesky recursion gives $L_{11} = \sqrt{4} = 2$, then $L_{21} = 2 / L_{11} = 1$, and
finally $L_{22} = \sqrt{3 - L_{21}^2} = \sqrt{2}$:

$$
L = \begin{pmatrix} 2 & 0 \\ 1 & \sqrt{2} \end{pmatrix}
$$

The inverse of a lower-triangular matrix is again lower triangular, with the reciprocal
diagonal:

$$
L^{-1} = \begin{pmatrix} 1/2 & 0 \\ \sqrt{2}/4 & \sqrt{2}/2 \end{pmatrix}
$$

Let us check the factor and its inverse numerically.""", "f6c3d9e1")

code("""Sigma = np.array([[4.0, 2.0],
                  [2.0, 3.0]])
m = np.array([1.0, -1.0])

L = np.linalg.cholesky(Sigma)   # lower triangular by default
print(L)
print(np.allclose(L @ L.T, Sigma))
print(np.linalg.inv(L))""", "07d4eaf2", 2,
     [stream("[[2.     0.    ]\n [1.     1.4142]]\nTrue\n[[ 0.5     0.    ]\n [-0.3536  0.7071]]\n")])

md(r"""## One sample, computed by hand

Suppose the generator returned

$$
z = \begin{pmatrix} 0.5 \\ -1 \end{pmatrix}
$$

Then

$$
y = m + L z = \begin{pmatrix} 1 + 2 \cdot 0.5 \\ -1 + 0.5 - \sqrt{2} \end{pmatrix} = \begin{pmatrix} 2 \\ -0.5 + \sqrt{2} \end{pmatrix}
$$

The first coordinate only sees $z_1$, because the first row of $L$ has a single non-zero entry:
that is the triangular structure at work.""", "18e5fb03")

code("""z = np.array([0.5, -1.0])
y = m + L @ z
y""", "29f60c14", 3, [result("array([ 2.    , -1.9142])", 3)])

md(r"""## Log-determinant of the example

From the diagonal of $L$,

$$
\log\det\Sigma = 2\left(\log 2 + \log\sqrt{2}\right) = 3\log 2 \approx 2.0794
$$

which agrees with $\det\Sigma = 4 \cdot 3 - 2 \cdot 2 = 8$.""", "3a071d25")

code("""sign, logdet = np.linalg.slogdet(Sigma)
print(2 * np.sum(np.log(np.diag(L))), logdet)""", "4b182e36", 4,
     [stream("2.079441541679836 2.0794415416798357\n")])

md(r"""## Many samples

Finally, a Monte Carlo sanity check of the mean and covariance derived above.""", "5c293f47")

code("""rng = np.random.default_rng(0)
Z = rng.standard_normal((100_000, 2))
Y = m + Z @ L.T          # each row is m + L z
print(Y.mean(axis=0))
print(np.cov(Y, rowvar=False))""", "6d3a4058", 5,
     [stream("[ 1.0036 -1.0004]\n[[4.0174 1.9921]\n [1.9921 2.9888]]\n")])


def split_source(text):
    lines = text.split("\n")
    return [ln + "\n" for ln in lines[:-1]] + [lines[-1]]


for c in cells:
    c["source"] = split_source(c["source"])

nb = {
    "cells": cells,
    "metadata": {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
                          "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
                          "pygments_lexer": "ipython3", "version": "3.11.6"},
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}

with open(str(DOCS / "c_cholesky_sampling.ipynb"), "w", encoding="utf-8") as f:
    json.dump(nb, f, indent=1, ensure_ascii=False)
    f.write("\n")
