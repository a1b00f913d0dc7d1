"""The atlas's baseline: each unit scored with another unit's description of the same atlas
(a derangement), beside its own. A layer's descriptions that beat their own shuffle say
something unit-specific; ones that do not only describe the layer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from bench.atlas.store import read_rows

#: The metrics compared (the protocols' summary keys and their result paths).
METRICS = {"simulation_r": ("simulation", "correlation"),
           "detection_bacc": ("detection", "balanced_accuracy"),
           "predictive_auc": ("predictive", "auc")}


def shuffled_control(pairs: list[tuple[str, str]], modality: str, seed: int = 0
                     ) -> dict[str, Any]:
    """Score every (unit, description) pair with its own and with another pair's description.

    Returns:
        {"n", and per metric: {"own": mean, "own_ci", "shuffled": mean, "shuffled_ci",
         "difference": mean of own - shuffled, "difference_ci"}}
    """
    from bench.protocols import ScoringContext, evaluate
    from bench.runner import mean_ci

    if len(pairs) < 2:
        raise ValueError("a shuffled control needs at least two units")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(pairs))
    other = np.roll(order, 1)  # a derangement: nobody keeps their own description
    donor = dict(zip(order.tolist(), other.tolist(), strict=True))
    values: dict[str, dict[str, list[float]]] = {m: {"own": [], "shuffled": []} for m in METRICS}
    for i, (address, description) in enumerate(pairs):
        context = ScoringContext(address, modality)
        for side, text in (("own", description), ("shuffled", pairs[donor[i]][1])):
            result = evaluate(text, address, modality, context=context)
            for metric, (protocol, field) in METRICS.items():
                value = (result.get(protocol) or {}).get(field)
                values[metric][side].append(float(value) if value is not None else np.nan)
    out: dict[str, Any] = {"n": len(pairs), "seed": seed}
    for metric, sides in values.items():
        own, shuffled = np.array(sides["own"]), np.array(sides["shuffled"])
        keep = ~np.isnan(own) & ~np.isnan(shuffled)
        diff = (own - shuffled)[keep]
        out[metric] = {"own": round(float(own[keep].mean()), 4),
                       "own_ci": mean_ci(own[keep].tolist()),
                       "shuffled": round(float(shuffled[keep].mean()), 4),
                       "shuffled_ci": mean_ci(shuffled[keep].tolist()),
                       "difference": round(float(diff.mean()), 4),
                       "difference_ci": mean_ci(diff.tolist())}
    return out


def atlas_control(atlas: Path, sample: int | None = None, seed: int = 0) -> dict[str, Any]:
    """`shuffled_control` over an atlas's rows (a seeded sample of them, or all)."""
    from models.registry import get_model

    rows = sorted(read_rows(Path(atlas)), key=lambda r: r["address"])
    if not rows:
        raise ValueError(f"{atlas}: no rows; build the atlas first")
    if sample is not None and sample < len(rows):
        chosen = np.random.default_rng(seed).choice(len(rows), size=sample, replace=False)
        rows = [rows[i] for i in sorted(chosen)]
    modality = get_model(rows[0]["model"]).modality
    return shuffled_control([(r["address"], r["description"]) for r in rows], modality, seed)
