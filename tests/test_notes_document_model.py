r"""The document model (issue 12, ``derivations.notes.document``): roles read in order, definitions and values
substituted in later steps, premises the checker does not apply set aside. Each rule is tested with a wrong
step next to the right one, so that a rule that hides errors fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from derivations.cli import main
from derivations.notes.check import check_document
from derivations.notes.document import name_of, read_roles
from derivations.notes.extract import extract


def _write(tmp_path: Path, text: str, name: str = "notes.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _roles(tmp_path: Path, text: str) -> list[tuple[str, str, str]]:
    found = extract(_write(tmp_path, text))
    statements, _ = read_roles(found, found.steps)
    return [(s.lhs, s.rhs, statement.role) for s, statement in zip(found.steps, statements)]


def _verdicts(tmp_path: Path, text: str) -> list[tuple[str, str, str]]:
    report = check_document(_write(tmp_path, text), pool=None)
    return [(r.rhs, r.role, r.verdict) for r in report.results]


@pytest.mark.parametrize("tex, name", [("r^2", "r"), (r"\hat{\sigma}^2", r"\hat\sigma"), ("z_{k}", "z_k"),
                                       (r"\Delta", r"\Delta"), ("a + b", None), ("p(x)", None), (r"\sum", None)])
def test_name_of(tex, name) -> None:
    assert name_of(tex) == name


def test_roles_of_definitions_premises_and_assertions(tmp_path) -> None:
    text = ("Let $x_i \\sim \\mathcal{N}(\\mu, \\sigma^2)$.\n\n$$ x_i \\sim \\mathcal{N}(\\mu, \\sigma^2) $$\n\n"
            "$$ r^2 = (x - m)^2 $$\n\n$$ \\Delta := a + b $$\n\n$$ y = A x + b + \\epsilon $$\n\n"
            "Suppose the decomposition\n$$ Q^\\top Q = I $$\n\n$$ \\mu = 2 $$\n\n"
            "$$ \\frac{1}{N}\\sum_{i=1}^{N} x_i = \\hat\\mu $$\n\n$$ x_1 - x_1 = 0 \\Rightarrow x_2 = x_2 $$\n")
    assert [role for _, _, role in _roles(tmp_path, text)] == [
        "premise", "definition", "definition", "premise", "premise", "premise", "assertion", "assertion", "other",
        "assertion"]


def test_a_known_name_is_redefined_only_when_the_prose_says_so(tmp_path) -> None:
    plain = "$$ \\hat\\sigma^2 = \\frac{1}{N-1}\\sum_{i=1}^{N}(x_i - \\bar x)^2 $$\n"
    assert _roles(tmp_path, plain)[0][2] == "assertion"
    cued = "We define the unbiased version\n\n" + plain
    assert _roles(tmp_path, cued)[0][2] == "definition"


def test_a_definition_is_substituted_later(tmp_path) -> None:
    text = "Let\n$$ r^2 = a^2 + b^2 $$\nthen\n$$ r^2 - a^2 = b^2 $$\n$$ r^2 - b^2 = 2 a^2 $$\n"
    assert _verdicts(tmp_path, text) == [("a^2 + b^2", "definition", "not_checked"),
                                         ("b^2", "assertion", "valid"), ("2 a^2", "assertion", "invalid")]


def test_an_own_unbiased_estimator_wins_from_its_definition_on(tmp_path) -> None:
    text = ("We use the unbiased version,\n$$ \\hat\\sigma^2 = \\frac{1}{N-1}\\sum_{i=1}^{N}(x_i - \\bar x)^2 $$\n"
            "so that\n$$ \\mathbb{E}[\\hat\\sigma^2] = \\sigma^2 $$\n"
            "$$ \\mathbb{E}[\\hat\\sigma^2] = \\frac{N-1}{N}\\sigma^2 $$\n")
    assert [v for _, _, v in _verdicts(tmp_path, text)] == ["not_checked", "valid", "invalid"]


def test_a_value_given_to_a_name_is_used(tmp_path) -> None:
    text = "Take\n$$ \\mu = 2 $$\nthen\n$$ \\mu^2 + 1 = 5 $$\n$$ \\mu^2 - 1 = 4 $$\n"
    assert [(role, v) for _, role, v in _verdicts(tmp_path, text)] == [
        ("premise", "not_checked"), ("assertion", "valid"), ("assertion", "invalid")]


def test_a_step_that_may_rest_on_a_premise_is_not_invalid(tmp_path) -> None:
    # a factorisation whose factors the prose does not describe is recorded, not applied
    text = ("Suppose we factorise it:\n$$ \\Sigma = BC $$\nThen\n$$ \\Sigma^{-1} = B^{-1}C^{-1} $$\n"
            "$$ \\Lambda_{aa} + \\Lambda_{bb} = \\Lambda_{bb} $$\n")
    results = check_document(_write(tmp_path, text), pool=None).results
    assert [(r.role, r.verdict) for r in results] == [("premise", "not_checked"), ("assertion", "not_checked"),
                                                      ("assertion", "invalid")]
    assert "may hold given the premise \\Sigma = BC (line 2)" in results[1].message and results[1].uses == (2,)


def test_a_structure_premise_is_applied(tmp_path) -> None:
    text = ("Suppose $Q$ is orthogonal:\n$$ Q^\\top Q = I $$\nThen\n$$ (Q^\\top Q)^{-1} = I $$\n"
            "$$ Q Q^\\top Q = Q^\\top $$\n")
    results = check_document(_write(tmp_path, text), pool=None).results
    assert [(r.role, r.verdict) for r in results] == [("premise", "not_checked"), ("assertion", "valid"),
                                                      ("assertion", "invalid")]


def test_a_definition_the_checker_cannot_read_leaves_its_users_not_checked(tmp_path) -> None:
    text = "Let\n$$ \\Delta = \\frac{1}{2} \\oint f $$\n$$ 2\\Delta = b $$\n"
    results = check_document(_write(tmp_path, text), pool=None).results
    assert results[1].verdict == "not_checked" and "defined on line 2" in results[1].message


def test_json_and_text_show_roles(tmp_path, capsys) -> None:
    path = _write(tmp_path, "Let\n$$ r^2 = a^2 + b^2 $$\n$$ r^2 - a^2 = b^2 $$\n")
    assert main(["check", "--format", "json", str(path)]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [(r["role"], r["uses"]) for r in records] == [("definition", []), ("assertion", [2])]
    main(["check", str(path)])
    out = capsys.readouterr().out
    assert f"{path}:2: DEFINITION: r^2 = a^2 + b^2" in out and "definition of r^2: recorded, not judged" in out
    assert "1 definitions and premises (recorded, not judged)" in out


def test_github_format_annotates_each_invalid_step(tmp_path, capsys) -> None:
    path = _write(tmp_path, "$$ 1 + 1 = 2 $$\n\n$$ (a+b)^2 = a^2 + b^2 $$\n\n$$ x, y = 1 $$\n")
    assert main(["check", "--format", "github", str(path)]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    errors = [line for line in lines if line.startswith("::error ")]
    assert len(errors) == 1 and errors[0].startswith(f"::error file={path},line=3,title=invalid step::(a+b)^2 = ")
    assert "counterexample" in errors[0].lower() and "\n" not in errors[0]
    assert lines[-1].startswith("3 steps: 1 valid")


def test_explain_prints_the_scope(tmp_path, capsys) -> None:
    path = _write(tmp_path, "Let\n$$ r^2 = a^2 + b^2 $$\nSuppose\n$$ Q^\\top Q = I $$\n$$ r^2 - a^2 = b^2 $$\n")
    main(["check", "--explain", str(path)])
    out = capsys.readouterr().out
    assert "scope: 1 definitions and values, 1 premises applied, 0 premises the checker does not apply" in out
    assert "line 2: r^2 := a^2 + b^2" in out and "line 4: premise Q^\\top Q = I   (applied in later steps)" in out
    assert "Q: orthogonal matrix, p x p" in out


def test_a_definition_read_with_another_shape_is_never_substituted(tmp_path) -> None:
    r"""Adversarial: a scatter matrix S defined by a sum the grammar reads as a scalar must not make
    Sigma^{-1} S Sigma^{-1} = Sigma^{-2} S (false: matrices do not commute) valid."""
    text = ("Let\n$$ \\mathbf{S} = \\sum_{i=1}^{N}(\\mathbf{x}_i - \\bar{\\mathbf{x}})(\\mathbf{x}_i - \\bar{\\mathbf{x}})^\\top $$\n"
            "$$ \\Sigma^{-1}\\mathbf{S}\\Sigma^{-1} = \\Sigma^{-2}\\mathbf{S} $$\n")
    results = check_document(_write(tmp_path, text), pool=None).results
    assert results[1].verdict != "valid" and results[1].uses == (2,)


@pytest.mark.parametrize("rhs, verdict", [
    (r"\exp\left(-\frac{\mu^2}{2} + a\mu\right)", "valid"),
    (r"\exp\left(-\frac{\mu^2}{2} - a\mu\right)", "invalid"),  # a sign slip in the linear term
    (r"\exp\left(-\mu^2 + a\mu\right)", "invalid"),  # a lost 1/2
])
def test_proportional_steps_are_judged_in_the_density_variable(tmp_path, rhs, verdict) -> None:
    text = f"$$ p(\\mu | x) \\propto \\exp\\left(-\\frac{{(\\mu - a)^2}}{{2}}\\right) \\propto {rhs} $$\n"
    results = check_document(_write(tmp_path, text), pool=None).results
    assert [r.verdict for r in results] == ["not_checked", verdict]  # p(mu | x) itself: an unknown density
    assert "in \\mu" in results[1].message


def test_proportional_without_a_named_variable_is_not_checked(tmp_path) -> None:
    text = "$$ \\exp(-(\\mu - a)^2) \\propto \\exp(-\\mu^2 + 2a\\mu) $$\n"
    result = check_document(_write(tmp_path, text), pool=None).results[0]
    assert result.verdict == "not_checked" and "do not name" in result.message


def test_html_report_marks_every_step(tmp_path, capsys) -> None:
    path = _write(tmp_path, "Let\n$$ r^2 = a^2 + b^2 $$\n$$ r^2 - a^2 = b^2 $$\n$$ (a+b)^2 = a^2 + b^2 $$\n"
                            "$$ \\int_0^1 f = F $$\n<b>&</b>\n")
    assert main(["check", "--format", "html", str(path)]) == 1
    page = capsys.readouterr().out
    assert page.startswith("<!DOCTYPE html>") and page.count('class="step ') == 4
    assert all(kind in page for kind in ('class="step definition"', 'class="step valid"', 'class="step invalid"',
                                         'class="step not_checked"'))
    assert "counterexample:" in page and "&lt;b&gt;&amp;&lt;/b&gt;" in page and "<b>&</b>" not in page


@pytest.mark.skipif(__import__("derivations.sheet", fromlist=["find_chromium"]).find_chromium() is None,
                    reason="no Chromium browser installed (CI installs Debian's chromium; see .ci/run)")
def test_html_report_in_chromium(tmp_path, capsys) -> None:
    """The page as a browser lays it out: every step shown, the counterexample visible, no overflow at 360 px."""
    import re

    from derivations.sheet import run_chromium

    path = _write(tmp_path, "Let\n$$ r^2 = a^2 + b^2 $$\n$$ r^2 - a^2 = b^2 $$\n$$ (a+b)^2 = a^2 + b^2 $$\n")
    main(["check", "--format", "html", str(path)])
    probe = ("<script>document.addEventListener('DOMContentLoaded', () => { const steps = [...document.querySelectorAll"
             "('.step')]; const out = document.createElement('pre'); out.id = 'probe'; out.textContent = JSON.stringify("
             "{steps: steps.length, shown: steps.filter(s => s.getBoundingClientRect().height > 0).length, counter: "
             "[...document.querySelectorAll('.counterexample')].filter(c => c.getBoundingClientRect().height > 0)"
             ".length, wide: document.documentElement.scrollWidth > window.innerWidth}); document.body.append(out); });"
             "</script>")
    page = tmp_path / "report.html"
    page.write_text(capsys.readouterr().out.replace("</body>", probe + "</body>"), encoding="utf-8")
    run = run_chromium(["--dump-dom", "--window-size=360,800", page.as_uri()], tmp_path)
    found = re.search(r'<pre id="probe">(.*?)</pre>', run.stdout, re.S)
    assert found, run.stderr[-500:]
    probe_result = json.loads(found.group(1).replace("&quot;", '"'))
    assert probe_result == {"steps": 3, "shown": 3, "counter": 1, "wide": False}
