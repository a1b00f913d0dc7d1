"""Run the study: train every variant of a config, then measure the base model and each variant
on the same held-out texts, neurons and facts, and write `results.json`."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from models.text import TextModel
from models.variants import read_manifest
from studies.regularization.config import StudyConfig, StudyConfigError
from studies.regularization.corpus import TextSplits, get_splits
from studies.regularization.editing import (
    applied,
    compute_edit,
    context_prefixes,
    edit_module,
    key_covariance,
    score_fact,
)
from studies.regularization.facts import Fact, known_facts
from studies.regularization.measures import (
    activation_sparsity,
    heldout_loss,
    mlp_layers,
    sample_neurons,
)
from studies.regularization.train import TrainRecord, load_text_model, train_variant

Progress = Callable[[str], None]
RESULTS = "results.json"


def corpus_splits(config: StudyConfig) -> TextSplits:
    """The config's corpus, with a config error when it is unknown."""
    try:
        return get_splits(config.corpus)
    except ValueError as error:
        raise StudyConfigError(f"corpus: {error}") from None


def train_all(config: StudyConfig, splits: TextSplits | None = None,
              progress: Progress | None = None) -> list[TrainRecord]:
    """Train and save every variant of the config, in order."""
    splits = splits or corpus_splits(config)
    return [train_variant(config, run, splits, progress) for run in config.variant_runs()]


def check_blocks(config: StudyConfig, model: TextModel) -> None:
    """Config errors for measured or edited blocks the model does not have."""
    count = len(mlp_layers(model))
    wanted = {"measure.layers": measured_blocks(config)}
    if config.edit is not None:
        wanted["edit.layer"] = [config.edit.layer]
    for field, blocks in wanted.items():
        bad = [b for b in blocks if not 0 <= b < count]
        if bad:
            raise StudyConfigError(f"{field}: block(s) {bad} out of range; {model.name} has "
                                   f"blocks 0..{count - 1}")


def measured_blocks(config: StudyConfig) -> list[int]:
    """The blocks whose neurons are measured: configured, else the trained ones."""
    if config.measure.layers is not None:
        return list(config.measure.layers)
    first, last = config.train.layers
    return list(range(first, last + 1))


def edit_variant(model: TextModel, config: StudyConfig, facts: list[Fact],
                 splits: TextSplits) -> dict:
    """Edit each fact on `model` in turn (each edit undone before the next) and average scores."""
    edit = config.edit
    module = edit_module(model, edit.layer)
    covariance = key_covariance(model, module, splits.train[:edit.covariance_texts])
    prefixes = context_prefixes(splits.train, edit.prefixes, config.seed)
    weight = model.net.get_submodule(module).weight
    original = weight.detach().clone()
    rows = []
    for fact in facts:
        before = score_fact(model, fact)
        change = compute_edit(model, fact, module, covariance, prefixes, edit)
        with applied(model, change):
            after = score_fact(model, fact)
        restored = bool(torch.equal(weight, original))
        rows.append({"fact": fact.label, "before": before.to_json(), "after": after.to_json(),
                     "restored": restored, "value_loss": [change.loss_before, change.loss_after]})
    summary = {key: float(np.mean([r["after"][key] for r in rows]))
               for key in ("efficacy", "generalization", "specificity", "margin")}
    summary["specificity_before"] = float(np.mean([r["before"]["specificity"] for r in rows]))
    summary["all_restored"] = all(r["restored"] for r in rows)
    return {**summary, "layer": edit.layer, "module": module, "facts": rows}


def measure_model(name: str, config: StudyConfig, splits: TextSplits,
                  neurons: dict[str, list[int]], facts: list[Fact],
                  progress: Progress | None = None) -> dict:
    """Every measure of one model (the base or a saved variant) by registry name."""
    say = progress or (lambda _m: None)
    start = time.perf_counter()
    model = load_text_model(name)
    heldout = splits.heldout[:config.measure.heldout_texts]
    measure = config.measure
    row: dict = {"name": name}
    if "@" in name:
        details = read_manifest(name).details
        row["training"] = details.get("training")
    else:
        row["training"] = None
    row["heldout"] = heldout_loss(model, heldout, measure.batch_size).to_json()
    say(f"{name}: held-out loss {row['heldout']['loss']:.3f}")
    row["sparsity"] = activation_sparsity(model, heldout, neurons, measure.zero_threshold,
                                          measure.relative_threshold,
                                          measure.batch_size).to_json()
    say(f"{name}: near-zero fraction {row['sparsity']['near_zero']:.3f}")
    if config.edit is not None and facts:
        row["editing"] = edit_variant(model, config, facts, splits)
        say(f"{name}: edit efficacy {row['editing']['efficacy']:.2f} generalization "
            f"{row['editing']['generalization']:.2f} specificity "
            f"{row['editing']['specificity']:.2f}")
    row["measure_s"] = round(time.perf_counter() - start, 1)
    return row


def measure_all(config: StudyConfig, out: Path, splits: TextSplits | None = None,
                progress: Progress | None = None) -> dict:
    """Measure the base model and every saved variant of the config; write `out/results.json`."""
    say = progress or (lambda _m: None)
    splits = splits or corpus_splits(config)
    names = [run.name for run in config.variant_runs()]
    for name in names:
        read_manifest(name)  # a clear error, listing saved variants, before any long work
    base = load_text_model(config.base_model)
    check_blocks(config, base)
    neurons = sample_neurons(base, measured_blocks(config), config.measure.neurons_per_layer,
                             config.seed)
    facts = known_facts(base, config.edit.facts) if config.edit else []
    say(f"facts the base model knows (edited on every variant): {len(facts)}")
    del base
    rows = [measure_model(name, config, splits, neurons, facts, say)
            for name in [config.base_model, *names]]
    runs = {run.name: run for run in config.variant_runs()}
    for row in rows:
        run = runs.get(row["name"])
        row["regularizer"] = run.regularizer if run else "base (not fine-tuned)"
        row["strength"] = run.strength if run else None
    results = {
        "config": config.model_dump(mode="json"),
        "corpus": {"name": splits.name, "train_texts": len(splits.train),
                   "heldout_texts_used": min(len(splits.heldout), config.measure.heldout_texts)},
        "neurons": neurons,
        "facts": [fact.label for fact in facts],
        "variants": rows,
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / RESULTS).write_text(json.dumps(results, indent=1))
    return results


def read_results(out: Path) -> dict:
    """`out/results.json`, or an error that says to run `measure` first."""
    path = out / RESULTS
    if not path.is_file():
        raise StudyConfigError(f"no {RESULTS} in {out}: run `python -m studies.regularization "
                               f"measure --config ... --out {out}` first")
    return json.loads(path.read_text())
