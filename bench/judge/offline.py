"""The offline ground-truth judge: parsed concepts and composition against the truth, plus the
MiniLM similarity to the ground-truth description, thresholded at a calibrated value."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.judge.llm import llm_configured, llm_judge
from bench.judge.parser import Parsed, parse
from models.synthetic.base import SyntheticUnitSpec

CALIBRATION_FILE = Path(__file__).parents[1] / "data" / "judge_calibration.json"


#: Weights of the judge's score: concept overlap, composition agreement, MiniLM similarity.
WEIGHTS = (0.5, 0.3, 0.2)


#: The threshold `calibrate` picks on the labelled set (`python -m bench calibrate`), kept
#: here so that workers do not recompute it; a test checks that the two agree.
THRESHOLD = 0.8169


def composition_agrees(parsed: Parsed, truth: SyntheticUnitSpec) -> bool:
    """Same composition; for AND-NOT the same excluded concept (the order matters)."""
    if parsed.composition != truth.composition:
        return False
    if truth.composition == "and_not":
        return parsed.concepts[-1] == truth.concepts[-1]
    return True


def _similarity(a: str, b: str) -> float | None:
    """MiniLM cosine similarity; None when the embedder cannot load (the rules decide)."""
    try:
        from models.embedding import get_embedder

        vectors = get_embedder().embed([a, b])
        return float((vectors[0] @ vectors[1]).item())
    except Exception:  # noqa: BLE001 (the judge must work without any model)
        return None


def features(description: str, truth: SyntheticUnitSpec,
             similarity: float | None = None) -> dict[str, Any]:
    """The judge's evidence: parse, concept overlap (Jaccard), composition, similarity."""
    parsed = parse(description, truth.modality)
    said, true = set(parsed.concepts), set(truth.concepts)
    jaccard = len(said & true) / len(said | true) if said | true else 0.0
    if similarity is None:
        similarity = _similarity(description, truth.description)
    return {"parsed": parsed.to_json(), "concept_overlap": round(jaccard, 4),
            "composition_ok": composition_agrees(parsed, truth),
            "similarity": None if similarity is None else round(similarity, 4)}


def score(feats: dict[str, Any]) -> float:
    """The weighted score that the threshold cuts (rules alone, rescaled, without MiniLM)."""
    w_concepts, w_composition, w_similarity = WEIGHTS
    rules = (w_concepts * feats["concept_overlap"]
             + w_composition * float(feats["composition_ok"] and feats["concept_overlap"] > 0))
    if feats["similarity"] is None:
        return rules / (w_concepts + w_composition)
    return rules + w_similarity * max(feats["similarity"], 0.0)


def judge(description: str, truth: SyntheticUnitSpec, threshold: float | None = None,
          use_llm: bool | None = None) -> dict[str, Any]:
    """Judge one description against a unit's ground truth.

    Args:
        description: the candidate description.
        truth: the unit's ground truth.
        threshold: the score cut (default: THRESHOLD, calibrated on the labelled set).
        use_llm: ask the configured LLM judge (default: when WORKBENCH_MODEL is set).

    Returns:
        {"correct": bool, "score": float, "judge": "rules+minilm" | "llm", ...features}
    """
    feats = features(description, truth)
    value = score(feats)
    cut = THRESHOLD if threshold is None else threshold
    verdict = {"correct": bool(value >= cut), "score": round(value, 4), "judge": "rules+minilm",
               **feats}
    if use_llm is None:
        use_llm = llm_configured()
    if use_llm:
        verdict.update(llm_judge(description, truth))
    return verdict


def load_calibration(path: Path = CALIBRATION_FILE) -> list[dict[str, Any]]:
    """Labelled pairs: modality, concepts, composition, truth, candidate, label (right/wrong)."""
    return json.loads(Path(path).read_text())["pairs"]


def _truth(row: dict[str, Any]) -> SyntheticUnitSpec:
    return SyntheticUnitSpec(row["modality"], row["composition"], tuple(row["concepts"]),
                             row["truth"], row.get("label", "calibration"))


def _batch_similarities(pairs: list[tuple[str, str]]) -> list[float | None]:
    """MiniLM similarities of many pairs in one batch (None each without the embedder)."""
    texts = sorted({t for pair in pairs for t in pair})
    try:
        from models.embedding import get_embedder

        vectors = get_embedder().embed(texts)
    except Exception:  # noqa: BLE001 (the rules alone still judge)
        return [None] * len(pairs)
    row = {t: i for i, t in enumerate(texts)}
    return [float((vectors[row[a]] @ vectors[row[b]]).item()) for a, b in pairs]


def calibrate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Pick the threshold that maximises accuracy on two thirds of the set; report the rest.

    Returns:
        {"threshold", "train_accuracy", "heldout_accuracy", "accuracy" (all pairs),
         "by_kind": accuracy per near-miss kind, "n"}
    """
    similarities = _batch_similarities([(r["candidate"], r["truth"]) for r in rows])
    scores = [score(features(r["candidate"], _truth(r), sim))
              for r, sim in zip(rows, similarities, strict=True)]
    labels = [r["label"] == "right" for r in rows]
    train_idx = [i for i in range(len(rows)) if i % 3 != 2]
    held_idx = [i for i in range(len(rows)) if i % 3 == 2]

    def accuracy(idx: list[int], cut: float) -> float:
        return sum((scores[i] >= cut) == labels[i] for i in idx) / max(len(idx), 1)

    ordered = sorted({round(s, 4) for s in scores})
    # cuts half-way between neighbouring scores, so no calibration score sits on the cut
    candidates = [(a + b) / 2 for a, b in zip([0.0, *ordered], ordered, strict=False)]
    best = max(accuracy(train_idx, c) for c in candidates)
    # of the best cuts, the one in the middle of the best range keeps a margin both ways
    tied = [c for c in candidates if accuracy(train_idx, c) == best]
    threshold = round((tied[0] + tied[-1]) / 2, 4)
    kinds: dict[str, list[bool]] = {}
    for i, row in enumerate(rows):
        kinds.setdefault(row.get("kind", row["label"]), []).append(
            (scores[i] >= threshold) == labels[i])
    return {"threshold": threshold, "train_accuracy": round(best, 4),
            "heldout_accuracy": round(accuracy(held_idx, threshold), 4),
            "accuracy": round(accuracy(list(range(len(rows))), threshold), 4),
            "by_kind": {k: round(sum(v) / len(v), 4) for k, v in sorted(kinds.items())},
            "n": len(rows), "n_heldout": len(held_idx)}
