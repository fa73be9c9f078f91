r"""Reading whole documents (issue 11): each dialect rule of ``derivations.notes.sources`` and ``extract``, with
the text a rule must *not* read next to the text it must read, so that a rule that reads too much or too little
fails. The corpus of whole documents is checked in ``test_notes_documents_corpus.py``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from derivations.cli import main
from derivations.notes.extract import FileError, extract, extract_steps
from derivations.notes.sources import copied_formula, expand_macros, mask_markdown


def _write(tmp_path: Path, text: str, name: str = "notes.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _pairs(tmp_path: Path, text: str, name: str = "notes.md", inline: bool = False) -> list[tuple]:
    return [(s.lhs, s.rhs, s.relation, s.line) for s in extract_steps(_write(tmp_path, text, name), inline=inline)]


# Markdown: what is never math ------------------------------------------------------------------------------
def test_html_comment_holding_a_fence_hides_only_itself(tmp_path) -> None:
    text = "<!-- draft\n```python\nprint(1)\n$$ a = b $$\n-->\n\n$$ c = d $$\n\n```python\nx = 1\n```\n\n$$ e = f $$\n"
    assert _pairs(tmp_path, text) == [("c", "d", "=", 7), ("e", "f", "=", 13)]


def test_code_fences_and_indented_code_are_never_math(tmp_path) -> None:
    text = ("Prose.\n\n```python\na = b\n$$ p = q $$\n```\n\n~~~\n$$ r = s $$\n~~~\n\n    $$ t = u $$\n    a = b\n\n"
            "$$ v = w $$\n")
    assert _pairs(tmp_path, text) == [("v", "w", "=", 15)]


def test_indented_math_under_a_list_item_or_admonition_is_read(tmp_path) -> None:
    text = "1. First\n\n    $$ a = b $$\n\n!!! note \"Why\"\n\n    $$ c = d $$\n\nPara.\n\n    $$ e = f $$\n"
    assert _pairs(tmp_path, text) == [("a", "b", "=", 3), ("c", "d", "=", 7)]


def test_front_matter_liquid_code_and_obsidian_comments_are_not_math(tmp_path) -> None:
    text = ("---\ntitle: $a = b$\n---\n{% highlight python %}\n$$ c = d $$\n{% endhighlight %}\n%% $$ e = f $$ %%\n"
            "$$ g = h $$\n")
    assert _pairs(tmp_path, text) == [("g", "h", "=", 8)]


def test_hugo_and_jekyll_wrappers_and_escapes(tmp_path) -> None:
    text = ("{{< math >}}\n$$\n\\begin{aligned}\n\\hat\\mu &= \\frac{1}{N}\\sum x\\_i \\\\\\\\\n&= \\bar x\n"
            "\\end{aligned}\n$$\n{{< /math >}}\n{{< katex display >}} a = b {{< /katex >}}\n"
            "{% raw %}$$ \\left\\\\{ c \\right\\\\} = d $${% endraw %}\n{% katex display %} e = f {% endkatex %}\n")
    assert _pairs(tmp_path, text) == [(r"\hat\mu", r"\frac{1}{N}\sum x_i", "=", 4), (r"\frac{1}{N}\sum x_i", r"\bar x", "=", 5),
                                      ("a", "b", "=", 9), (r"\left \{ c \right \}", "d", "=", 10), ("e", "f", "=", 11)]


def test_inline_katex_is_inline(tmp_path) -> None:
    text = "Here {{< katex >}}a = b{{< /katex >}} and {% katex %}c = d{% endkatex %}.\n"
    assert _pairs(tmp_path, text) == []
    assert [p[:2] for p in _pairs(tmp_path, text, inline=True)] == [("a", "b"), ("c", "d")]


def test_bare_environments_and_inline_double_dollars_in_markdown(tmp_path) -> None:
    text = ("\\begin{aligned}\na &= b \\\\\n&= c\n\\end{aligned}\n\n所以 $$\\hat\\sigma^2 = s$$ 成立。\n"
            "\\begin{align*}\nd &= e\n\\end{align*}\n")
    assert _pairs(tmp_path, text) == [("a", "b", "=", 2), ("b", "c", "=", 3), (r"\hat\sigma^2", "s", "=", 6),
                                      ("d", "e", "=", 8)]


def test_blockquoted_math_is_read_without_its_markers(tmp_path) -> None:
    text = "> [!note]\n> $$\n> a = b \\\\\n> = c\n> $$\n"
    assert _pairs(tmp_path, text) == [("a", "b", "=", 3), ("b", "c", "=", 4)]


def test_chain_continues_in_a_block_that_starts_with_a_relation(tmp_path) -> None:
    text = "$$ a = b $$\n\nso that\n\n$$ = c $$\n\n$$ d = e $$\n\n$$ f $$\n"
    steps = extract_steps(_write(tmp_path, text))
    assert [(s.lhs, s.rhs, s.line) for s in steps] == [("a", "b", 1), ("b", "c", 5), ("d", "e", 7)]
    assert steps[0].chain is steps[1].chain and steps[2].chain is not steps[1].chain


# inside math -------------------------------------------------------------------------------------------------
def test_matrix_and_array_rows_never_split_a_chain(tmp_path) -> None:
    text = ("$$ x = \\left(\\begin{array}{c} x_1 \\\\ x_2 \\end{array}\\right) = "
            "\\begin{pmatrix} a & b \\\\ c & d \\end{pmatrix} $$\n"
            "$$ f(x) = \\begin{cases} 1 & x > 0 \\\\ 0 & \\text{otherwise} \\end{cases} $$\n"
            "$$ \\begin{array}{rcl} g &=& h \\\\ &=& k \\end{array} $$\n")
    pairs = _pairs(tmp_path, text)
    assert [p[:2] for p in pairs] == [
        ("x", r"\left(\begin{array}{c} x_1 \\ x_2 \end{array}\right)"),
        (r"\left(\begin{array}{c} x_1 \\ x_2 \end{array}\right)", r"\begin{pmatrix} a & b \\ c & d \end{pmatrix}"),
        ("f(x)", r"\begin{cases} 1 & x > 0 \\ 0 & \text{otherwise} \end{cases}"), ("g", "h"), ("h", "k")]


def test_statement_separators_and_spacing(tmp_path) -> None:
    text = ("$$ \\mu = 0,\\quad \\sigma^2 = 1 $$\n$$ a = b \\qquad c = d; \\ e = f $$\n"
            "$$ g = 0 \\quad\\Rightarrow\\quad h = 1 $$\n$$ \\begin{aligned} k &= l \\\\ &\\quad + m \\end{aligned} $$\n")
    assert [p[:3] for p in _pairs(tmp_path, text)] == [
        (r"\mu", "0", "="), (r"\sigma^2", "1", "="), ("a", "b", "="), ("c", "d", "="), ("e", "f", "="),
        ("g", "0", "="), ("0", "h", "implies"), ("h", "1", "="), ("k", "l + m", "=")]


def test_text_in_a_formula_stays_and_prose_text_is_an_annotation(tmp_path) -> None:
    text = ("$$ A^\\text{T} = \\text{tr}(B) + \\text{const} \\quad \\text{(by symmetry)} $$\n"
            "$$ E[x_i] = \\mu \\text{ for all } i $$\n$$ a = b \\text{where} c = d $$\n")
    assert [p[:2] for p in _pairs(tmp_path, text)] == [
        (r"A^\text{T}", r"\text{tr}(B) + \text{const}"), ("E[x_i]", r"\mu"), ("a", "b"), ("c", "d")]


def test_decorations_are_dropped_and_what_they_decorate_kept(tmp_path) -> None:
    text = ("$$ \\underbrace{a + b}_{\\text{sum}} = \\boxed{c} = {\\color{red} d} = \\textcolor{blue}{e} "
            "= \\cancel{f} = \\overbrace{g}^{n} = \\displaystyle\\sum\\limits_{i} h_i $$\n")
    sides = [p[1] for p in _pairs(tmp_path, text)]
    assert [" ".join(s.split()) for s in sides] == ["{c}", "{ d}", "{e}", "{f}", "{g}", r"\sum_{i} h_i"]
    assert "underbrace" not in _pairs(tmp_path, text)[0][0] and "sum}" not in _pairs(tmp_path, text)[0][0]


def test_relations_with_reasons(tmp_path) -> None:
    text = ("$$ a \\overset{\\text{iid}}{=} b \\stackrel{(a)}{=} c \\stackrel{\\text{def}}{=} d "
            "\\mathop{=}\\limits_{\\text{lin.}} e \\overset{(1)}{\\approx} f $$\n")
    steps = extract_steps(_write(tmp_path, text))
    assert [(s.lhs, s.rhs, s.relation, s.reason) for s in steps] == [
        ("a", "b", "=", "iid"), ("b", "c", "=", "(a)"), ("c", "d", ":=", None), ("d", "e", "=", "lin."),
        ("e", "f", "approx", "(1)")]


# copied pages --------------------------------------------------------------------------------------------------
_RENDERED = ("σ 2 = 1 n ∑ i = 1 n ( x i − μ ) 2 \\sigma^2 = \\frac{1}{n}\\sum_{i=1}^{n}(x_i - \\mu)^2 "
             "σ2=n1\u200bi=1∑n\u200b(xi\u200b−μ)2")


def test_a_copied_rendered_formula_is_read_from_its_source(tmp_path) -> None:
    start, end = copied_formula(_RENDERED)
    assert _RENDERED[start:end] == r"\sigma^2 = \frac{1}{n}\sum_{i=1}^{n}(x_i - \mu)^2"
    assert _pairs(tmp_path, "均值与方差\n" + _RENDERED + "\n") == [
        (r"\sigma^2", r"\frac{1}{n}\sum_{i=1}^{n}(x_i - \mu)^2", "=", 2)]


@pytest.mark.parametrize("line", [
    r"Prose that mentions x_i and \alpha but is no copy.",
    r"We write a = b \quad here, in plain words.",
    "σ 2 = 1 n ∑ i = 1 n ( x i − μ ) 2 \\sigma^2 = \\frac{1}{n-1}\\sum_{i=1}^{n}(x_i - \\mu)^2 σ2=n1\u200bi=1∑n\u200b(xi\u200b−μ)2",
])
def test_text_that_is_not_a_rendered_copy_is_not_read(line) -> None:
    """Prose with TeX in it, and a 'copy' whose source does not show what the rendered text shows (the source
    has n-1 where the rendering has n), are not copies."""
    assert copied_formula(line) is None


# other formats ---------------------------------------------------------------------------------------------------
def _notebook(cells: list) -> str:
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def test_notebook_markdown_cells_are_read_and_code_cells_never(tmp_path) -> None:
    text = _notebook([
        {"cell_type": "markdown", "metadata": {}, "source": ["# Title\n", "$$\n", "a = b\n", "$$"]},
        {"cell_type": "code", "metadata": {}, "execution_count": 1, "source": ["a = 1 + 2\n", "# $$ c = d $$"],
         "outputs": [{"output_type": "stream", "name": "stdout", "text": ["$$ p = q $$\n"]}]},
        {"cell_type": "raw", "metadata": {}, "source": "$$ r = s $$"},
        {"cell_type": "markdown", "metadata": {}, "source": "Text\n\\begin{aligned}\nx &= y \\\\\n&= z\n\\end{aligned}\n"},
    ])
    steps = extract_steps(_write(tmp_path, text, "nb.ipynb"))
    assert [(s.lhs, s.rhs, s.cell, s.cell_line) for s in steps] == [("a", "b", 1, 3), ("x", "y", 4, 3), ("y", "z", 4, 4)]
    assert steps[1].location == "cell 4, line 3"


def test_notebook_report_names_cells(tmp_path, capsys) -> None:
    path = _write(tmp_path, _notebook([{"cell_type": "code", "metadata": {}, "source": "a = 1 + 2", "outputs": [],
                                        "execution_count": None},
                                       {"cell_type": "markdown", "metadata": {}, "source": "$$ 1 + 2 = 3 $$"}]),
                  "nb.ipynb")
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"{path}:cell 2, line 1: VALID" in out and "a = 1 + 2" not in out


@pytest.mark.parametrize("text, problem", [("{not json", "invalid JSON"), ('{"cells": 3}', "no list of cells")])
def test_a_broken_notebook_is_a_one_line_error(tmp_path, capsys, text, problem) -> None:
    path = _write(tmp_path, text, "nb.ipynb")
    with pytest.raises(FileError, match=problem):
        extract(path)
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "not a Jupyter notebook" in err and "Traceback" not in err


def test_tex_macros_are_expanded_and_input_noted(tmp_path) -> None:
    text = ("\\newcommand{\\E}{\\mathbb{E}}\n\\newcommand{\\norm}[1]{\\lVert #1 \\rVert}\n"
            "\\DeclareMathOperator{\\Var}{Var}\n\\def\\T{^{\\top}}\n\\newcommand{\\pair}[2][x]{(#1, #2)}\n"
            "\\input{macros}\n% \\begin{equation} h = k \\end{equation}\n\\begin{align}\n\\E[x] &= \\mu \\\\\n"
            "\\Var(x) &= \\norm{v}^2 \\\\\nA\\T b &= \\pair{y} = \\pair[z]{w}\n\\end{align}\n")
    found = extract(_write(tmp_path, text, "notes.tex"))
    assert [(s.lhs, s.rhs, s.line) for s in found.steps] == [
        (r"\mathbb{E}[x]", r"\mu", 9), (r"\operatorname{Var}(x)", r"\lVert v \rVert^2", 10),
        (r"A^{\top} b", "(x, y)", 11), ("(x, y)", "(z, w)", 11)]
    assert found.notes == [(6, r"\input{macros} not read")]


def test_a_macro_that_expands_without_end_is_stopped() -> None:
    notes: list = []
    text = expand_macros("\\def\\a{\\a\\a}\n$\\a$\n", notes)
    assert len(text) < 300_000 and any("without end" in note for _, note in notes)


@pytest.mark.parametrize("suffix", [".Rmd", ".qmd"])
def test_r_markdown_and_quarto_are_markdown(tmp_path, suffix) -> None:
    text = "---\ntitle: x\n---\n```{r}\nx <- 1 == 1\n```\n$$ a = b $$ {#eq-a}\n"
    assert _pairs(tmp_path, text, "notes" + suffix) == [("a", "b", "=", 7)]


# inline math and the summary --------------------------------------------------------------------------------------
def test_inline_math_is_kept_apart_and_checked_on_request(tmp_path, capsys) -> None:
    path = _write(tmp_path, "We know $1 + 1 = 2$ and \\(2 + 2 = 4\\), and $x$ alone.\n")
    assert extract_steps(path) == []
    assert [s.rhs for s in extract_steps(path, inline=True)] == ["2", "4"]
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "0 steps checked: no display equation; 2 inline equalities not checked; --inline checks them" in out
    assert main(["check", "--inline", str(path)]) == 0
    assert "2 steps: 2 valid" in capsys.readouterr().out


def test_a_file_with_no_math_says_why(tmp_path, capsys) -> None:
    path = _write(tmp_path, "Just prose about x = 1, in words.\n\n```python\na = b\n```\n")
    assert main(["check", str(path)]) == 0
    assert "0 steps checked: no math found" in capsys.readouterr().out


def test_inline_equalities_left_unchecked_are_counted(tmp_path, capsys) -> None:
    path = _write(tmp_path, "Let $a = 1$.\n\n$$ 1 + 1 = 2 $$\n")
    main(["check", str(path)])
    assert "1 inline equality not checked; --inline checks them" in capsys.readouterr().out


def test_document_lines_are_linear_in_size() -> None:
    """One line index serves the whole file: extraction of a file of many blocks finds each block's line."""
    text = "".join(f"Para {k}.\n\n$$ a_{{{k}}} = b $$\n\n" for k in range(2000))
    masked = mask_markdown(text)
    assert masked.count("\n") == text.count("\n")


def test_a_macro_whose_body_multiplies_its_argument_is_stopped() -> None:
    notes: list = []
    body = "#1" * 1000
    text = expand_macros(f"\\newcommand{{\\a}}[1]{{{body}}}\n$\\a{{{'x' * 50_000}}}$\n", notes)
    assert len(text) < 400_000 and any("without end" in note for _, note in notes)


# bad input: never a traceback --------------------------------------------------------------------------------------
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

_PIECES = st.sampled_from([
    "$$", "$", "\\[", "\\]", "\\(", "\\)", "\\begin{aligned}", "\\end{aligned}", "\\begin{array}{c}", "\\end{array}",
    "```", "```math", "~~~", "<!--", "-->", "{{< katex display >}}", "{{< /katex >}}", "{% katex %}", "{% endkatex %}",
    "{% raw %}", "%%", "> ", "    ", "\n", "\n\n", "=", "&=", "\\\\", "\\\\\\", "\\_", "\\\\{", "a", "x_i", "\\frac{1}{N}",
    "\\quad", ";", ",", "\\text{tr}", "\\text{(by X)}", "\\overset{\\text{iid}}{=}", "\\underbrace{a}_{b}", "\\color{red}",
    "\\newcommand{\\E}{\\mathbb{E}}", "\\def\\a{\\a\\a}", "\\newcommand{\\b}[2]{#1#2}", "\\b", "\\E", "\\input{x}",
    "σ 2 = 1 n ", "\\sigma^2 = 1", " σ2=1", "均值", "，", "{", "}", "\\left(", "\\right)", "%", "\\", "\u200b",
])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES, max_size=40), st.sampled_from(["notes.md", "notes.tex", "notes.qmd"]))
def test_extraction_of_any_text_never_fails_and_keeps_lines(tmp_path_factory, pieces, name) -> None:
    text = "".join(pieces) + "\n"
    if not text.strip():
        return
    path = tmp_path_factory.mktemp("fuzz") / name
    path.write_text(text, encoding="utf-8")
    found = extract(path)
    lines = text.count("\n") + 1
    assert all(1 <= step.line <= lines for step in found.steps + found.inline_steps)
    assert found.document.text.count("\n") == text.count("\n")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                        st.sampled_from(["cells", "cell_type", "source", "markdown", "outputs"]), inner, max_size=4),
                    max_leaves=20))
def test_any_json_as_a_notebook_is_read_or_refused_in_one_line(tmp_path_factory, value) -> None:
    path = tmp_path_factory.mktemp("nb") / "nb.ipynb"
    path.write_text(json.dumps(value), encoding="utf-8")
    try:
        extract(path)
    except FileError as error:
        assert "\n" not in str(error) and str(path) in str(error)
