"""The evidence maths policies share: reading 2x2 designs, standardised effects, separations.

Pure functions of measured numbers, so that every policy reads the same experiment the same
way (and a test can pin each reading).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tools.contrast import auc

#: The cells of a 2x2 design over concepts a and b.
CELLS = ("ab", "a_only", "b_only", "neither")


def clip(value: float) -> float:
    """A value clipped to [0, 1] and rounded to 3 decimals."""
    return round(float(min(max(value, 0.0), 1.0)), 3)


def standardised(cell: dict[str, Any], base: dict[str, Any]) -> float:
    """0..1 score of a cell above its baseline: the difference in pooled SDs, over 3."""
    span = max(abs(cell["mean"]), abs(base["mean"]), 1e-6)
    # floor the spread so zero-variance cells (synthetic units) do not give infinite scores
    spread = math.sqrt((cell["std"] ** 2 + base["std"] ** 2) / 2 + (0.05 * span) ** 2)
    return clip((cell["mean"] - base["mean"]) / spread / 3)


def separation(positives: np.ndarray, negatives: np.ndarray) -> float:
    """0..1 score that texts with a concept beat texts without it (2 x (AUC - 0.5))."""
    if not len(positives) or not len(negatives):
        return 0.0
    return clip(2 * (auc(positives, negatives) - 0.5))


def classify_cells(cells: dict[str, dict[str, float]], n: int) -> dict[str, Any]:
    """Read a 2x2 design (a, b present or absent) as single, OR, AND or AND-NOT.

    Four simple effects, each normalised by the range of the cell means and tested with a
    z-score (difference over its standard error, floored at 5 % of the range so zero-variance
    cells do not give infinite z): a alone (`a_only - neither`), b alone (`b_only -
    neither`), b given a (`ab - a_only`) and a given b (`ab - b_only`). An effect counts when
    it is at least a quarter of the range and z >= 3.

    Returns:
        {"pattern": single_a | single_b | or | and | and_not_ab | and_not_ba | none,
         "confidence": 0..1, "effects": {...}}
    """
    present = [c for c in CELLS if c in cells]
    means = {c: cells[c]["mean"] for c in present}
    stds = {c: cells[c]["std"] for c in present}
    span = max(means.values()) - min(means.values())
    if span <= 1e-9:
        return {"pattern": "none", "confidence": 0.0, "effects": {}, "means": means}

    def effect(high: str, low: str) -> dict[str, float]:
        diff = means[high] - means[low]
        error = np.sqrt(stds[high] ** 2 / n + stds[low] ** 2 / n + (0.05 * span) ** 2)
        return {"size": round(float(diff / span), 4), "z": round(float(diff / error), 3)}

    # A cell that cannot be built (two background patterns together; prices without
    # numbers) leaves its effects unmeasured, read as no effect.
    pairs = {"a_alone": ("a_only", "neither"), "b_alone": ("b_only", "neither"),
             "b_given_a": ("ab", "a_only"), "a_given_b": ("ab", "b_only")}
    effects = {name: effect(high, low) if high in means and low in means
               else {"size": 0.0, "z": 0.0} for name, (high, low) in pairs.items()}

    def positive(name: str) -> bool:
        return effects[name]["size"] >= 0.25 and effects[name]["z"] >= 3

    def negative(name: str) -> bool:
        return effects[name]["size"] <= -0.25 and effects[name]["z"] <= -3

    a_fires, b_fires = positive("a_alone"), positive("b_alone")
    if a_fires and b_fires:
        pattern, defining = "or", ["a_alone", "b_alone"]
    elif a_fires:
        pattern, defining = (("and_not_ab", ["a_alone", "b_given_a"]) if negative("b_given_a")
                             else ("single_a", ["a_alone"]))
    elif b_fires:
        pattern, defining = (("and_not_ba", ["b_alone", "a_given_b"]) if negative("a_given_b")
                             else ("single_b", ["b_alone"]))
    elif positive("b_given_a") and positive("a_given_b"):
        pattern, defining = "and", ["b_given_a", "a_given_b"]
    else:
        return {"pattern": "none", "confidence": 0.0, "effects": effects, "means": means}
    confidence = min(min(1.0, abs(effects[e]["z"]) / 6.0) * min(1.0, abs(effects[e]["size"])
                                                                / 0.8) for e in defining)
    return {"pattern": pattern, "confidence": round(float(confidence), 3), "effects": effects,
            "means": means}
