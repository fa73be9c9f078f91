"""Benchmark: the notes checker's extraction (reading a document into its steps) is linear in the file size.

Documents of 1/16, 1/8, 1/4, 1/2 and 1 MB (the largest file ``check`` reads) are built from one section that
mixes what real notes hold: prose, inline math, a code fence, an HTML comment, ``$$`` blocks, an ``aligned``
chain, a matrix, a copied rendered formula. Each is extracted (``derivations.notes.extract.extract``: masking,
blocks, rows, chains) in the same run; the script prints the time per MB and its ratio to the smallest size's
(linear time keeps the ratio near 1; quadratic work would double it at each size). Also a Jupyter notebook of
the same sections in markdown cells, and a LaTeX file with macros, at 1 MB.

Run: ``python benchmarks/bench_extract.py``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from derivations.notes.extract import MAX_BYTES, extract  # noqa: E402

SECTION = r"""## Section {k}

The sample mean of $N$ draws is $\hat\mu = \frac{{1}}{{N}}\sum_i x_i$, and we check it below.

<!-- an old draft:
```python
mu = x.mean()
```
-->

```python
import numpy as np
x = np.random.default_rng({k}).normal(size=100)
mu_hat = x.mean()
```

$$
\begin{{aligned}}
\frac{{\partial \ell}}{{\partial\mu}} &= \frac{{1}}{{\sigma^2}}\sum_{{i=1}}^{{N}}(x_i-\mu) \\
&= \frac{{N}}{{\sigma^2}}(\bar x - \mu)
\end{{aligned}}
$$

so that $$ \hat\mu = \bar x, \quad \Sigma = \begin{{pmatrix}} a & b \\ b & c \end{{pmatrix}} $$

σ 2 = 1 n ∑ i = 1 n ( x i − μ ) 2 \sigma^2 = \frac{{1}}{{n}}\sum_{{i=1}}^{{n}}(x_i-\mu)^2 σ2=n1​i=1∑n​(xi​−μ)2

"""

TEX_PREAMBLE = "\\newcommand{\\E}{\\mathbb{E}}\n\\DeclareMathOperator{\\Var}{Var}\n\\def\\T{^{\\top}}\n"
TEX_SECTION = (r"\section{{Part {k}}}" "\n" r"\begin{{align}}" "\n" r"\E[x] &= \mu \\ \Var(x) &= \sigma^2 \\ A\T b &= c"
               "\n" r"\end{{align}}" "\n% a comment with $a = b$\nProse with $x = y$.\n\n")


def _markdown(size: int) -> str:
    parts, length, k = [], 0, 0
    while True:
        section = SECTION.format(k=k)
        if length + len(section.encode()) > size:
            return "".join(parts)
        parts.append(section)
        length += len(section.encode())
        k += 1


def _notebook(size: int) -> str:
    cells, k = [], 0
    while True:
        cell = {"cell_type": "markdown", "metadata": {}, "source": SECTION.format(k=k).splitlines(keepends=True)}
        code = {"cell_type": "code", "metadata": {}, "execution_count": k, "outputs": [], "source": ["a = 1 + 2\n"]}
        candidate = json.dumps({"cells": cells + [cell, code], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
        if len(candidate.encode()) > size:
            return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
        cells += [cell, code]
        k += 1


def _latex(size: int) -> str:
    parts, length, k = [TEX_PREAMBLE], len(TEX_PREAMBLE), 0
    while True:
        section = TEX_SECTION.format(k=k)
        if length + len(section) > size:
            return "".join(parts)
        parts.append(section)
        length += len(section)
        k += 1


def _seconds(name: str, text: str, repeat: int = 2) -> tuple[float, int]:
    best, steps = float("inf"), 0
    for _ in range(repeat):
        start = time.process_time()
        steps = len(extract(name, text).steps)
        best = min(best, time.process_time() - start)
    return best, steps


def main() -> None:
    sizes = [MAX_BYTES // 16, MAX_BYTES // 8, MAX_BYTES // 4, MAX_BYTES // 2, MAX_BYTES]
    print("extraction time against file size (CPU seconds, best of 2); linear: the per-MB ratio stays near 1")
    baseline = None
    for size in sizes:
        text = _markdown(size)
        seconds, steps = _seconds("notes.md", text)
        per_mb = seconds / (len(text.encode()) / 1e6)
        baseline = baseline or per_mb
        print(f"  Markdown {len(text.encode()) / 1e6:5.3f} MB: {seconds:6.2f} s, {steps:5d} steps, "
              f"{per_mb:5.2f} s/MB, ratio to the smallest {per_mb / baseline:4.2f}")
    for name, text in (("notes.ipynb", _notebook(MAX_BYTES)), ("notes.tex", _latex(MAX_BYTES))):
        seconds, steps = _seconds(name, text, repeat=1)
        print(f"  {name:<11} {len(text.encode()) / 1e6:5.3f} MB: {seconds:6.2f} s, {steps:5d} steps")


if __name__ == "__main__":
    main()
