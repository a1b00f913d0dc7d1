"""The study's measurements, per item and averaged: behaviour with and without the chain,
early answering, corruption, residual features for the probe, and patching maps."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from models.errors import ModelsError
from models.reasoning import TASKS, CotItem, items_for, score_answers, step_spans
from models.reasoning.patching import patch_sweep, residual_layers
from models.reasoning.scoring import (
    answer_ids,
    chain_text,
    check_causal,
    corrupted_steps,
    prompt_ids,
    truncate_chain,
)
from models.registry import get_model
from tools.cot import curve_area

FRACTIONS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
SEGMENTS = ("question", "first step", "middle steps", "last step", "cue")
PAIRS = ("sound->control", "flawed->control")


@dataclass
class StudyConfig:
    """What one run of the study measures.

    Attributes:
        model: a causal LM from the model registry (offline: smollm2-135m-instruct), or a hub
            name such as 'gpt2' or 'Qwen/Qwen2.5-0.5B-Instruct' when the hub is reachable.
        items: items per task.
        patch_items: items per task whose patching maps are computed (the slow part).
        patch_every: patch every n-th block (and the last).
    """

    model: str = "smollm2-135m-instruct"
    tasks: tuple[str, ...] = TASKS
    items: int = 20
    patch_items: int = 2
    patch_every: int = 5
    seed: int = 0
    folds: int = 5
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"model": self.model, "tasks": list(self.tasks), "items": self.items,
                "patch_items": self.patch_items, "patch_every": self.patch_every,
                "seed": self.seed, "folds": self.folds}


def measure_item(model, item: CotItem) -> dict:
    """Behaviour of one item: choices after each chain, early answering, corruption."""
    chains = {kind: chain_text(item.chain(kind)) for kind in ("sound", "flawed", "control")}
    base = score_answers(model, item.question, ["", *chains.values()], item.candidates)
    choice = dict(zip(["no chain", "sound", "flawed", "control"],
                      [base.choice(i) for i in range(4)], strict=True))
    truncated = score_answers(model, item.question,
                              [truncate_chain(item.sound, f) for f in FRACTIONS], item.candidates)
    final = truncated.choice(len(FRACTIONS) - 1)
    curve = [truncated.probability(i, final) for i in range(len(FRACTIONS))]
    same = [float(truncated.choice(i) == final) for i in range(len(FRACTIONS))]
    corruptions = []
    variants = []
    for step in range(len(item.sound)):
        for mode in ("mistake", "paraphrase", "filler"):
            try:
                steps = corrupted_steps(item, step, mode)
            except ModelsError:  # a step with nothing to make a mistake in
                continue
            variants.append((step, mode, chain_text(steps)))
    corrupted = score_answers(model, item.question, [v[2] for v in variants], item.candidates)
    last = len(item.sound) - 1
    for i, (step, mode, _) in enumerate(variants):
        corruptions.append({
            "step": step, "mode": mode,
            "where": "last" if step == last else ("flaw" if step == item.flaw_step else "other"),
            "choice": corrupted.choice(i), "changed": corrupted.choice(i) != final,
            "p_final": corrupted.probability(i, final)})
    return {"item": item.to_json(), "choice": choice,
            "solved": {k: v == item.answer for k, v in choice.items()},
            "follows_control": choice["control"] == item.wrong,
            "truncation": {"final": final, "curve": curve, "same": same,
                           "area_probability": curve_area(list(FRACTIONS), curve),
                           "area_same": curve_area(list(FRACTIONS), same)},
            "corruption": corruptions}


def chain_features(model, item: CotItem, kind: str) -> np.ndarray:
    """`[layers + 1, 2, d]`: the embeddings and each block's residual stream, averaged over the
    chain's tokens and at the last prompt token."""
    ids = prompt_ids(model, item.question, chain_text(item.chain(kind)))
    spans = step_spans(model, item.question, item.chain(kind))
    start, end = spans[1][0], spans[-2][1]
    with torch.inference_mode():
        out = model.net(input_ids=torch.tensor([ids], device=model.device),
                        output_hidden_states=True, use_cache=False)
    states = torch.stack([h[0] for h in out.hidden_states]).float().cpu()  # [L+1, T, d]
    return torch.stack([states[:, start:end].mean(dim=1), states[:, -1]], dim=1).numpy()


def segment_map(model, item: CotItem, effects: np.ndarray, positions: list[int],
                gap: float) -> np.ndarray:
    """`[layers, SEGMENTS]`: the summed single-position effects in each segment over the gap."""
    spans = step_spans(model, item.question, item.sound)
    question, steps, cue = spans[0], spans[1:-1], spans[-1]
    groups = {"question": [question], "first step": [steps[0]],
              "middle steps": steps[1:-1], "last step": [steps[-1]] if len(steps) > 1 else [],
              "cue": [cue]}
    where = np.array(positions)
    out = np.zeros((effects.shape[0], len(SEGMENTS)))
    for s, name in enumerate(SEGMENTS):
        mask = np.zeros(len(positions), dtype=bool)
        for a, b in groups[name]:
            mask |= (where >= a) & (where < b)
        out[:, s] = effects[:, mask].sum(axis=1) / gap if abs(gap) > 1e-6 else 0.0
    return out


def run(config: StudyConfig, out: Path, progress: Callable[[str], None] = print) -> dict:
    """Measure every item, the probe's features and the patching maps; write results.json."""
    model = check_causal(get_model(config.model))  # ModelsErrors say what would load
    out.mkdir(parents=True, exist_ok=True)
    blocks = residual_layers(model)
    patch_layers = sorted({*range(0, len(blocks), config.patch_every), len(blocks) - 1})
    records, features, maps = [], [], {pair: [] for pair in PAIRS}
    # every task's items first: a task that cannot make enough fails before any measuring
    by_task = {task: items_for(model, task, config.items, seed=config.seed)
               for task in config.tasks}
    for task, items in by_task.items():
        for n, item in enumerate(items):
            progress(f"{task} {n + 1}/{len(items)}: {item.question}")
            record = measure_item(model, item)
            records.append(record)
            features.append(np.stack([chain_features(model, item, "sound"),
                                      chain_features(model, item, "flawed")]))
            if n < config.patch_items:
                for pair in PAIRS:
                    source, target = pair.split("->")
                    sweep = patch_sweep(
                        model, prompt_ids(model, item.question, chain_text(item.chain(source))),
                        prompt_ids(model, item.question, chain_text(item.chain(target))),
                        answer_ids(model, item.answer), [blocks[i] for i in patch_layers])
                    gap = sweep.source_logprob - sweep.target_logprob
                    maps[pair].append({
                        "item": item.id, "gap": gap,
                        "all_positions": sweep.all_positions.tolist(),
                        "segments": segment_map(model, item, sweep.effects, sweep.positions,
                                                gap).tolist()})
    np.save(out / "features.npy", np.stack(features).astype(np.float16))
    results = {"config": config.to_json(), "layers": ["embeddings", *blocks],
               "patch_layers": [blocks[i] for i in patch_layers], "segments": list(SEGMENTS),
               "fractions": list(FRACTIONS), "items": records, "patching": maps}
    (out / "results.json").write_text(json.dumps(results, indent=1))
    return results
