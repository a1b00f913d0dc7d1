"""The regularization study on the real SmolLM2: tiny fine-tunes saved as variants, loaded by
name, measured, edited, and configs rejected with clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from models.loaders import cache_dir
from models.recording import activations
from models.registry import entry, get_model
from studies.regularization.cli import main
from studies.regularization.config import StudyConfigError, load_config, parse_config
from studies.regularization.corpus import TextSplits, default_splits
from studies.regularization.editing import (
    applied,
    compute_edit,
    context_prefixes,
    edit_module,
    key_covariance,
    score_fact,
)
from studies.regularization.facts import all_facts, knows
from studies.regularization.measures import interpretability, unit_addresses
from studies.regularization.study import measure_all, train_all

BASE = "smollm2-135m-instruct"
LAYER = 6
TINY = {
    "name": "tiny", "base_model": BASE, "seed": 0, "tag": "pytest",
    "train": {"steps": 6, "batch_size": 2, "seq_len": 32, "learning_rate": 1e-2,
              "layers": [LAYER, LAYER]},
    "variants": [{"regularizer": "control"},
                 {"regularizer": "l1-act", "strengths": [0.2]},
                 {"regularizer": "l1-weight", "strengths": [1e-3]},
                 {"regularizer": "prune", "strengths": [0.5]},
                 {"regularizer": "topk", "strengths": [16]}],
    "measure": {"heldout_texts": 12, "neurons_per_layer": 48, "batch_size": 12},
}
CONTROL, L1_ACT = f"{BASE}@control-pytest", f"{BASE}@l1-act-0.2-pytest"
L1_WEIGHT, PRUNE, TOPK = (f"{BASE}@l1-weight-1e-3-pytest", f"{BASE}@prune-0.5-pytest",
                          f"{BASE}@topk-16-pytest")


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Train and edit on one torch thread, restored afterwards: on a 2-core machine shared with
    other processes, two threads wait on each other (a training step measured 3.3 s with one
    thread against 7.5-10 s with two); alone on the machine, one thread costs ~1.5x."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def variant_cache(tmp_path_factory):
    """A fresh cache folder that shares the converted base weights (no re-conversion)."""
    get_model(BASE)  # makes sure the converted base is cached
    base = cache_dir() / BASE
    root = tmp_path_factory.mktemp("workbench-cache")
    (root / BASE).symlink_to(base, target_is_directory=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WORKBENCH_CACHE", str(root))
        yield root


@pytest.fixture(scope="module")
def splits() -> TextSplits:
    full = default_splits()
    return TextSplits("tiny", full.train[:48], full.heldout[:12])


@pytest.fixture(scope="module")
def trained(variant_cache, splits):
    config = parse_config(TINY)
    return {record.name: record for record in train_all(config, splits)}


@pytest.fixture(scope="module")
def measured(trained, splits, variant_cache):
    two = parse_config({**TINY, "variants": TINY["variants"][:2]})
    return measure_all(two, variant_cache / "out", splits)


def test_variants_load_by_name_and_record_like_any_model(trained):
    assert set(trained) == {CONTROL, L1_ACT, L1_WEIGHT, PRUNE, TOPK}
    variant = get_model(L1_ACT)
    assert variant.name == L1_ACT and entry(L1_ACT).available()
    base = get_model(BASE)
    trained_weight = f"model.layers.{LAYER}.mlp.up_proj.weight"
    frozen_weight = f"model.layers.{LAYER + 1}.mlp.up_proj.weight"
    assert not torch.equal(variant.net.get_parameter(trained_weight),
                           base.net.get_parameter(trained_weight))
    assert torch.equal(variant.net.get_parameter(frozen_weight),
                       base.net.get_parameter(frozen_weight))
    result = activations(f"{CONTROL}:model.layers.{LAYER}.mlp:5", ["The cat sat.", "Rain fell."])
    assert len(result.values) == 2


def test_l1_activation_variant_is_sparser_than_control_on_heldout(measured):
    rows = {row["name"]: row for row in measured["variants"]}
    control, l1 = rows[CONTROL]["sparsity"], rows[L1_ACT]["sparsity"]
    assert l1["near_zero"] > control["near_zero"] + 0.04
    assert l1["mean_abs"] < 0.85 * control["mean_abs"]
    assert rows[BASE]["training"] is None and rows[L1_ACT]["training"]["steps"] == 6
    assert rows[L1_ACT]["heldout"]["tokens"] == rows[CONTROL]["heldout"]["tokens"] > 0


def test_weight_regularizers_and_topk_change_what_they_should(trained):
    assert trained[PRUNE].regularizer_state["weight_sparsity"] == pytest.approx(0.5, abs=1e-3)
    pruned = get_model(PRUNE).net.get_parameter(f"model.layers.{LAYER}.mlp.gate_proj.weight")
    assert float((pruned == 0).float().mean()) == pytest.approx(0.5, abs=1e-3)

    def mean_abs(name: str) -> float:
        net = get_model(name).net
        return float(torch.cat([net.get_parameter(f"model.layers.{LAYER}.mlp.{m}.weight").abs()
                                .flatten() for m in ("gate_proj", "up_proj", "down_proj")]).mean())

    assert mean_abs(L1_WEIGHT) < mean_abs(CONTROL) - 1e-3
    # top-k is re-installed when the variant loads: at most 16 non-zero neurons per token
    recording = get_model(TOPK).record(f"model.layers.{LAYER}.mlp", ["A dog ran home today."])
    nonzero = (recording.maps[0, :, :recording.lengths[0]] != 0).sum(dim=0)
    assert int(nonzero.max()) <= 16 and int(nonzero.min()) >= 1


def test_report_writes_table_and_plot(measured, variant_cache):
    out = variant_cache / "out"
    assert main(["report", "--out", str(out)]) == 0
    report = (out / "report.md").read_text()
    assert CONTROL in report and L1_ACT in report and "near-zero" in report
    assert (out / "performance.png").stat().st_size > 1000


def test_rome_edit_takes_effect_and_is_undone(smollm2, splits):
    fact = next(f for f in all_facts() if f.subject == "France" and f.relation == "capital")
    assert knows(smollm2, fact)
    config = parse_config({**TINY, "edit": {"layer": LAYER, "steps": 10, "prefixes": 1}}).edit
    module = edit_module(smollm2, LAYER)
    weight = smollm2.net.get_submodule(module).weight
    original = weight.detach().clone()
    covariance = key_covariance(smollm2, module, splits.train[:32])
    before = score_fact(smollm2, fact)
    edit = compute_edit(smollm2, fact, module, covariance, context_prefixes(splits.train, 1, 0),
                        config)
    with applied(smollm2, edit):
        after = score_fact(smollm2, fact)
        assert not torch.equal(weight, original)
    assert before.efficacy == 0.0 and before.margin < 0
    assert after.efficacy == 1.0 and after.margin > 0
    assert torch.equal(weight, original)
    assert score_fact(smollm2, fact) == before


def test_interpretability_seam_scores_the_sampled_units():
    units = unit_addresses(L1_ACT, {f"model.layers.{LAYER}.mlp": [3, 9, 40]})
    score = interpretability(L1_ACT, units, lambda unit: float(unit.endswith(":9")))
    assert score.mean == pytest.approx(1 / 3) and score.low < score.mean < score.high
    with pytest.raises(ValueError, match="not units of"):
        interpretability(CONTROL, units, lambda unit: 0.0)


def test_bad_configs_and_missing_variants_give_clear_errors(tmp_path, capsys, trained):
    with pytest.raises(StudyConfigError, match="unknown regularizer 'l2'; valid: control"):
        parse_config({**TINY, "variants": [{"regularizer": "l2", "strengths": [1]}]})
    with pytest.raises(StudyConfigError, match="final sparsity, a fraction in"):
        parse_config({**TINY, "variants": [{"regularizer": "prune", "strengths": [1.5]}]})
    with pytest.raises(StudyConfigError, match="train.steps"):
        parse_config({**TINY, "train": {**TINY["train"], "steps": 0}})
    with pytest.raises(StudyConfigError, match="lr"):  # unknown keys are named, not ignored
        parse_config({**TINY, "train": {**TINY["train"], "lr": 0.1}})
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nbase_model: smollm2-135m-instruct\ntrain: [1, 2]\n")
    assert main(["train", "--config", str(bad)]) == 2
    assert "not a valid study config" in capsys.readouterr().err
    assert main(["measure", "--config", str(tmp_path / "missing.yaml")]) == 2
    assert "shipped configs: gpu.yaml, small.yaml" in capsys.readouterr().err
    with pytest.raises(ValueError, match="saved variants: .*control-pytest"):
        entry(f"{BASE}@never-trained")


def test_shipped_configs_are_valid():
    import studies.regularization

    folder = Path(studies.regularization.__file__).parent / "configs"
    small, gpu = load_config(folder / "small.yaml"), load_config(folder / "gpu.yaml")
    assert {run.regularizer for run in small.variant_runs()} >= {"control"}
    assert len(gpu.variant_runs()) > len(small.variant_runs())


@pytest.fixture
def small_text_pool(monkeypatch):
    """Mechanics only, never a reported figure: a 120-text natural held-out pool instead of
    600 (recording each model on the full pool was most of the interpret test's two minutes).
    The pools are rebuilt on both sides, so no other test sees the small one."""
    from bench.protocols import heldout

    monkeypatch.setitem(heldout.NATURAL_POOL_SIZE, "text", 120)
    heldout._pool_corpus.cache_clear()
    heldout.pool.cache_clear()
    yield
    heldout._pool_corpus.cache_clear()
    heldout.pool.cache_clear()


def test_interpret_scores_the_same_neurons_of_every_model_and_reports_them(
        measured, variant_cache, tmp_path, small_text_pool):
    from studies.regularization.interpret import interpret_all
    from studies.regularization.report import INTERP_PLOT

    corpus = tmp_path / "texts.txt"  # a small exemplar corpus keeps each model's pass short
    corpus.write_text("\n".join(default_splits().train[:120]) + "\n")
    out = variant_cache / "out"
    results = interpret_all(out, units_per_model=2, corpus=str(corpus))
    rows = {row["name"]: row["interpretability"] for row in results["variants"]}
    assert set(rows) == {BASE, CONTROL, L1_ACT}
    indices = {tuple(sorted(a.rsplit(":", 1)[1] for a in r["scores"])) for r in rows.values()}
    assert len(indices) == 1  # the same two neurons in every model (two keep the suite's time)
    for found in rows.values():
        assert found["units"] == 2 and -1 <= found["mean"] <= 1
        assert 0 <= found["explained_fraction"] <= 1
    assert main(["report", "--out", str(out)]) == 0
    assert "simulation r [95% CI]" in (out / "report.md").read_text()
    assert (out / INTERP_PLOT).stat().st_size > 1000


def test_interpret_refuses_an_unmeasured_layer_and_no_units(measured, variant_cache, capsys):
    out = str(variant_cache / "out")
    assert main(["interpret", "--out", out, "--layer", "model.layers.99.mlp"]) == 2
    assert "valid: model.layers.6.mlp" in capsys.readouterr().err
    assert main(["interpret", "--out", out, "--units", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err
