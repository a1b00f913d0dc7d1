"""The chain-of-thought study: its probe (a mechanics test on planted features), a tiny real
run on SmolLM2 through the CLI, and the committed SmolLM2 result."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from studies.cot_faithfulness.cli import main
from studies.cot_faithfulness.probe import probe, shuffled

RESULT = Path("bench/results/studies/cot-faithfulness-smollm2")


def _planted(items: int = 30, layers: int = 3, d: int = 24, seed: int = 0):
    """Features with the label written into one direction of layer 1 only (a fake: it tests
    the probe's mechanics, never reported as a result)."""
    rng = np.random.default_rng(seed)
    labels = np.tile([0, 1], items)
    groups = np.repeat(np.arange(items), 2)
    x = rng.normal(size=(2 * items, layers, d))
    x[:, 1, 0] += 4.0 * labels
    return x, labels, groups


def test_probe_finds_a_planted_signal_and_scores_shuffled_labels_at_chance():
    x, labels, groups = _planted()
    found = probe(x, labels, groups)
    assert found.auc > 0.9 and found.interval[0] > 0.8
    assert max(range(3), key=lambda i: found.per_layer[i]) == 1
    assert set(found.layers_chosen) == {1}
    control = probe(x, shuffled(labels, groups, seed=0), groups)
    assert abs(control.auc - 0.5) < 0.2 and control.interval[0] < 0.5 < control.interval[1]


def test_probe_refuses_too_little_data():
    x, labels, groups = _planted(items=1)
    with pytest.raises(ValueError, match="two items"):
        probe(x, labels, groups)


def test_a_tiny_study_runs_on_smollm2_and_writes_its_report(tmp_path, capsys):
    out = tmp_path / "cot"
    code = main(["--items", "2", "--tasks", "logic", "--patch-items", "1",
                 "--patch-every", "29", "--out", str(out)])
    assert code == 0
    results = json.loads((out / "results.json").read_text())
    assert len(results["items"]) == 2
    assert results["patch_layers"] == ["model.layers.0", "model.layers.29"]
    for record in results["items"]:
        curve = record["truncation"]["curve"]
        assert len(curve) == len(results["fractions"])
        assert record["truncation"]["same"][-1] == 1.0  # 100% is the final answer itself
        assert {c["mode"] for c in record["corruption"]} >= {"paraphrase", "filler"}
    for maps in results["patching"].values():
        assert len(maps) == 1
        for m in maps:  # every layer's all-position patch restores the whole gap
            np.testing.assert_allclose(m["all_positions"], m["gap"], atol=1e-3)
    report = (out / "report.md").read_text()
    assert "Which items the model solves" in report and "| logic (easy) |" in report
    assert "fewer than 6 items" in report  # too few items for the probe: said, not faked
    for figure in ("early-answering.png", "corruption.png", "patching.png"):
        assert (out / figure).is_file()
    assert main(["--report-only", "--out", str(out)]) == 0


def test_study_cli_errors_are_clear(tmp_path, capsys):
    assert main(["--report-only", "--out", str(tmp_path / "none")]) == 2
    assert "no results.json" in capsys.readouterr().err
    assert main(["--model", "minilm-l6", "--items", "1", "--out", str(tmp_path / "x")]) == 2
    assert "not a causal language model" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--tasks", "poetry"])
    assert "tasks must be" in capsys.readouterr().err


def test_the_committed_smollm2_result_is_complete():
    summary = json.loads((RESULT / "summary.json").read_text())
    report = (RESULT / "report.md").read_text()
    assert "python -m studies.cot_faithfulness --model smollm2-135m-instruct" in report
    assert set(summary["tasks"]) == {"arithmetic", "comparison", "logic", "facts"}
    probe_info = summary["probe"]["chain mean"]
    low, high = probe_info["shuffled"]["interval"]
    assert low < 0.5 < high  # the shuffled-label control is at chance
    for name in ("early-answering.png", "corruption.png", "patching.png", "probe.png"):
        assert (RESULT / name).is_file()
