"""The ground-truth judge: calibration accuracy, parsing of compositions, no-model fallback."""

from __future__ import annotations

import pytest

from bench import judge
from models.synthetic.base import SyntheticUnitSpec


def _spec(modality: str, composition: str, *concepts: str) -> SyntheticUnitSpec:
    return SyntheticUnitSpec(modality, composition, concepts, "ground truth", "x")  # type: ignore


def test_judge_separates_right_from_wrong_on_held_out_calibration_pairs():
    rows = judge.load_calibration()
    assert len(rows) >= 60
    assert {r["label"] for r in rows} == {"right", "wrong"}
    result = judge.calibrate(rows)
    assert result["heldout_accuracy"] >= 0.9
    assert result["accuracy"] >= 0.9
    assert result["threshold"] == pytest.approx(judge.THRESHOLD, abs=0.02)
    # the near misses that matter most are all caught
    for kind in ("wrong_composition", "missing_concept", "swapped_exclusion"):
        assert result["by_kind"][kind] >= 0.9


@pytest.mark.parametrize(("text", "concepts", "composition"), [
    ("fires on red regions or on circles", ("red", "circle"), "or"),
    ("fires on red circles", ("red", "circle"), "and"),
    ("fires on circles, but not red ones", ("circle", "red"), "and_not"),
    ("fires on circles of any colour except red; red circles leave it silent",
     ("circle", "red"), "and_not"),
    ("responds to red circles only; red squares and blue circles leave it silent",
     ("red", "circle"), "and"),
])
def test_parse_reads_vision_compositions(text, concepts, composition):
    parsed = judge.parse(text, "vision")
    assert parsed.concepts == concepts
    assert parsed.composition == composition


@pytest.mark.parametrize(("text", "concepts", "composition"), [
    ("fires on words for animals, unless the text also contains negation words (not, no)",
     ("animals", "negation"), "and_not"),
    ("fires on prices, but only in texts that also contain a negation word",
     ("prices", "negation"), "and"),
    ("fires on first-person pronouns (I, me, my) only together with negative emotions",
     ("first_person", "emotions_negative"), "and"),
    ("fires on animals; a negation word silences it", ("animals", "negation"), "and_not"),
    ("web addresses or email addresses", ("urls", "emails"), "or"),
    ("something about the stock market", (), "none"),
])
def test_parse_reads_text_compositions(text, concepts, composition):
    parsed = judge.parse(text, "text")
    assert parsed.concepts == concepts
    assert parsed.composition == composition


def test_swapped_exclusion_is_wrong():
    truth = _spec("vision", "and_not", "circle", "red")
    assert judge.judge("fires on circles, unless they are red", truth)["correct"]
    assert not judge.judge("fires on red regions, unless there are circles", truth)["correct"]


def test_judge_needs_no_model(monkeypatch):
    import models.embedding

    def broken():
        raise RuntimeError("no embedder here")

    monkeypatch.setattr(models.embedding, "get_embedder", broken)
    truth = _spec("text", "or", "urls", "emails")
    verdict = judge.judge("links or e-mail addresses", truth, use_llm=False)
    assert verdict["correct"] and verdict["judge"] == "rules+minilm"
    assert not judge.judge("links", truth, use_llm=False)["correct"]
