"""Choosing the answer: replication of vocabulary concepts, open candidates from evidence, and
the choice between them (pure functions over recorded numbers)."""

from agent.policies.selection import (
    Candidate,
    choose,
    confidence,
    image_candidates,
    replication,
    text_candidates,
)


def screen(**aucs):
    return {"rows": [{"concept": c, "auc": a} for c, a in aucs.items()]}


def design(a, b, a_alone, pattern="single_a"):
    return {"a": a, "b": b, "pattern": pattern,
            "effects": {"a_alone": {"size": a_alone, "z": 10 * a_alone},
                        "b_alone": {"size": 0.0, "z": 0.0}}}


def test_a_concept_seen_in_one_screen_only_does_not_replicate():
    status, why = replication("yellow", [screen(yellow=0.80), screen(yellow=0.42)], [], [])
    assert status == "not replicated" and "0.80" in why and "0.42" in why


def test_two_screens_or_a_design_replicate():
    assert replication("red", [screen(red=0.9), screen(red=0.8)], [], [])[0] == "replicated"
    assert replication("red", [screen(red=0.9)], [design("red", "blue", 0.9)], [])[0] == (
        "replicated")


def test_design_cells_that_show_nothing_contradict():
    # the case: square alone equal to neither in every design
    status, why = replication("square", [screen(square=0.9), screen(square=0.7)],
                              [design("square", "red", 0.02), design("square", "blue", -0.05)],
                              [])
    assert status == "contradicted" and "2 2x2 design" in why


def test_under_represented_in_exemplars_contradicts():
    enrichment = [{"concept": "ring", "top_fraction": 0.0, "base_fraction": 0.19}]
    status, why = replication("ring", [screen(ring=0.6)], [], enrichment)
    assert status == "contradicted" and "0%" in why and "19%" in why


def test_choose_keeps_a_causal_verdict_unless_an_open_one_fits_clearly_better():
    vocab = Candidate("V", "circles", "circle", "vocabulary", "", status="replicated", fit=1.2,
                      confidence=1.0)
    close = Candidate("O1", "round things", "round", "evidence", "", fit=1.5)
    assert choose([vocab, close]) is vocab  # within the margin a clean design wins
    weak = Candidate("V", "food", "food", "vocabulary", "", status="replicated", fit=0.3,
                     confidence=0.2)
    better = Candidate("O2", "the tokens 'each' and 'with'", "tokens", "evidence", "", fit=0.6)
    assert choose([weak, better]) is better
    dropped = Candidate("V", "yellow", "yellow", "vocabulary", "", status="not replicated",
                        fit=2.0)
    assert choose([dropped, better]) is better  # a dropped verdict is never the answer
    assert choose([dropped]) is None


def test_open_confidence_never_exceeds_what_a_correlation_can_claim():
    high = Candidate("O", "x", "x", "evidence", "", fit=1.9)
    assert confidence(high, None) == 0.8
    assert confidence(Candidate("O", "x", "x", "evidence", "", fit=0.55), None) == 0.2


def test_candidates_from_evidence_use_its_own_words():
    text = text_candidates({
        "categories": [{"name": "relative", "definition": "a person related by blood",
                        "members": ["aunt", "niece", "grandfather"], "share": 0.9,
                        "base_share": 0.01, "lift": 50.0}],
        "tokens": [{"item": "aunt", "share": 0.2, "lift": 40.0}],
        "ngrams": [], "endings": [], "features": []})
    assert text[0].description == "words for relatives, such as aunt, niece, grandfather"
    assert any(c.description == "the tokens 'aunt'" for c in text)
    vision = image_candidates({
        "labels": [{"item": "goldfish", "share": 0.5, "base_share": 0.02, "lift": 9.0}],
        "classes": [], "words": [],
        "colours": [{"item": "orange", "share": 0.8, "base_share": 0.1, "lift": 5.0}]})
    assert {c.description for c in vision} == {"images of goldfish", "orange regions"}
