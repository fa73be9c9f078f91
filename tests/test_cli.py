"""The command line: list, show in every format, verify (passing and failing), bad names."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from derivations import Step, registry
from derivations.cli import main


def test_list_names_every_derivation(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in registry.names():
        assert name in out


def test_show_mle_latex_has_scores_and_bias_factor(capsys):
    assert main(["show", "mle-univariate", "--format", "latex"]) == 0
    out = capsys.readouterr().out
    assert r"\frac{N - 1}{N}" in out
    assert r"\frac{\partial}{\partial \mu}" in out and r"\frac{\partial}{\partial \sigma^{2}}" in out
    assert r"\begin{aligned}" in out and r"\text{linearity of E}" in out


@pytest.mark.parametrize("name", registry.names())
def test_show_text_and_json(name, capsys):
    assert main(["show", name, "--format", "text"]) == 0
    assert name in capsys.readouterr().out
    assert main(["show", name, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    derivation = registry.get(name)
    assert data["name"] == name
    assert [c["slug"] for c in data["chains"]] == [c.slug for c in derivation.chains]
    assert sum(len(c["steps"]) - 1 for c in data["chains"]) == derivation.n_steps


def test_verify_passes_and_reports_methods(capsys):
    assert main(["verify", "loglik-univariate", "unbiased-variance"]) == 0
    out = capsys.readouterr().out
    assert "proved symbolically" in out and "0 failed" in out


def test_unknown_name_is_one_line_with_valid_names(capsys):
    assert main(["show", "no-such-thing"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "no-such-thing" in err and "mle-univariate" in err


def test_verify_fails_loudly_on_a_wrong_step(monkeypatch, capsys):
    good = registry.get("mle-univariate")
    chain = good.chain("variance-of-muhat")
    bad = good.with_step("variance-of-muhat", 4, Step(chain.steps[4].expr * 2, chain.steps[4].justification))
    monkeypatch.setattr(registry, "get", lambda name: bad if name == "mle-univariate" else good)
    assert main(["verify", "mle-univariate"]) == 1
    captured = capsys.readouterr()
    assert "FAILED mle-univariate" in captured.err
    assert "chain 'variance-of-muhat', step 4" in captured.err
    assert "step 3:" in captured.err and "counterexample" in captured.err


def test_module_entry_point_matches_console_script():
    result = subprocess.run([sys.executable, "-m", "derivations", "list"], capture_output=True, text=True,
                            check=True)
    assert "mle-univariate" in result.stdout


def test_repr_latex_for_jupyter():
    shown = registry.get("mle-univariate")._repr_latex_()
    assert shown.startswith("$$\\begin{aligned}") and shown.count("$$") == 2 * len(registry.get("mle-univariate").chains)
    assert "\\[" not in shown and "%" not in shown
