"""A linear probe for "correct answer, flawed reasoning", trained and tested on disjoint items.

Each item gives two examples (its sound and its flawed chain, both ending at the correct
answer). Folds are split by item, so a probe never sees the item it scores. The layer is chosen
inside each training fold (nested cross-validation), so the reported AUC is not picked on the
test items. The interval is a bootstrap over items.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

C = 0.05  # inverse L2 strength: few items, many dimensions


def _fit(x: np.ndarray, y: np.ndarray):
    model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000))
    return model.fit(x, y)


def _cv_auc(x: np.ndarray, y: np.ndarray, groups: np.ndarray, folds: int) -> float:
    scores = np.zeros(len(y))
    for train, test in GroupKFold(n_splits=folds).split(x, y, groups):
        scores[test] = _fit(x[train], y[train]).predict_proba(x[test])[:, 1]
    return float(roc_auc_score(y, scores))


def bootstrap_auc(y: np.ndarray, scores: np.ndarray, groups: np.ndarray, rounds: int = 2000,
                  seed: int = 0) -> tuple[float, float]:
    """A 95% percentile interval of the AUC, resampling items (groups) with replacement."""
    rng = np.random.default_rng(seed)
    ids = np.unique(groups)
    members = {g: np.flatnonzero(groups == g) for g in ids}
    values = []
    for _ in range(rounds):
        pick = np.concatenate([members[g] for g in rng.choice(ids, len(ids))])
        if len(np.unique(y[pick])) == 2:
            values.append(roc_auc_score(y[pick], scores[pick]))
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))


@dataclass
class ProbeResult:
    auc: float
    interval: tuple[float, float]
    layers_chosen: list[int]
    per_layer: list[float]
    items: int

    def to_json(self) -> dict:
        return {"auc": self.auc, "interval": list(self.interval),
                "layers_chosen": self.layers_chosen, "per_layer": self.per_layer,
                "items": self.items}


def probe(features: np.ndarray, labels: np.ndarray, groups: np.ndarray, folds: int = 5,
          seed: int = 0) -> ProbeResult:
    """Nested cross-validated AUC of a logistic-regression probe.

    Args:
        features: `[examples, layers, d]`.
        labels: 1 for "flawed reasoning", 0 for sound.
        groups: the item of each example (folds never split an item).
        folds: outer folds (inner selection uses 3).
    """
    features = np.asarray(features, dtype=np.float64)
    labels = np.asarray(labels)
    groups = np.asarray(groups)
    n_items = len(np.unique(groups))
    folds = min(folds, n_items)
    if folds < 2 or len(np.unique(labels)) < 2:
        raise ValueError("the probe needs at least two items and both labels")
    scores = np.zeros(len(labels))
    chosen = []
    for train, test in GroupKFold(n_splits=folds).split(features, labels, groups):
        inner = min(3, len(np.unique(groups[train])))
        by_layer = [_cv_auc(features[train, layer], labels[train], groups[train], inner)
                    for layer in range(features.shape[1])]
        best = int(np.argmax(by_layer))
        chosen.append(best)
        model = _fit(features[train, best], labels[train])
        scores[test] = model.predict_proba(features[test, best])[:, 1]
    per_layer = [_cv_auc(features[:, layer], labels, groups, folds)
                 for layer in range(features.shape[1])]
    return ProbeResult(float(roc_auc_score(labels, scores)),
                       bootstrap_auc(labels, scores, groups, seed=seed), chosen, per_layer,
                       n_items)


def shuffled(labels: np.ndarray, groups: np.ndarray, seed: int = 0) -> np.ndarray:
    """The labels permuted at random over all examples: a probe on them must score at chance."""
    del groups
    return np.random.default_rng(seed).permutation(labels)
