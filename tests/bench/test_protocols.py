"""Each protocol scores the ground-truth description high and a random one at chance."""

from __future__ import annotations

import pytest

from bench.protocols import evaluate, held_out
from bench.reader import read
from bench.suites import load_suite

# (unit, an unrelated unit of the same suite whose description is the random control)
CASES = [("synthetic-vision:and:0", "synthetic-vision:single:17"),  # red circles vs dots
         ("synthetic-text:and_not:0", "synthetic-text:single:13")]  # animals-not-neg vs times


@pytest.mark.parametrize(("address", "other"), CASES)
def test_ground_truth_high_and_random_description_at_chance(address, other):
    suite = load_suite(address.split(":")[0])
    unit, control = suite.unit(address), suite.unit(other)
    assert not set(unit.spec.concepts) & set(control.spec.concepts)
    data = held_out(address, unit.modality)
    truth = evaluate(unit.spec.description, address, unit.modality, data)
    random = evaluate(control.spec.description, address, unit.modality, data)

    # the reader is an embedding simulator, not the unit's own detector: good, not perfect
    assert truth["predictive"]["auc"] >= 0.6
    assert truth["predictive"]["difference"] > 0
    assert truth["simulation"]["correlation"] >= 0.4
    assert truth["detection"]["balanced_accuracy"] >= 0.7

    assert abs(random["predictive"]["auc"] - 0.5) <= 0.2
    assert abs(random["simulation"]["correlation"]) <= 0.3
    assert abs(random["detection"]["balanced_accuracy"] - 0.5) <= 0.2


def test_description_naming_nothing_scores_chance():
    address = "synthetic-vision:single:0"
    data = held_out(address, "vision")
    result = evaluate("fires on ...", address, "vision", data)
    assert read("fires on ...").empty
    assert result["simulation"]["correlation"] == 0.0
    assert result["detection"]["balanced_accuracy"] == 0.5
    assert abs(result["predictive"]["auc"] - 0.5) <= 0.25


CIRCLE = "synthetic-vision:single:7"


def test_plain_english_paraphrase_scores_and_negation_does_not():
    """The first version scored "anything except circles" 1.0 and "round disc shapes" at
    chance on the circle unit; the reader reads both as language."""
    from bench.suites import load_suite

    assert load_suite("synthetic-vision").unit(CIRCLE).spec.concepts == ("circle",)
    data = held_out(CIRCLE, "vision")
    paraphrase = evaluate("detects round disc shapes of any colour", CIRCLE, "vision", data)
    negated = evaluate("fires on anything except circles", CIRCLE, "vision", data)
    never = evaluate("never fires on circles", CIRCLE, "vision", data)
    assert paraphrase["predictive"]["auc"] >= 0.75
    assert paraphrase["simulation"]["correlation"] >= 0.3
    assert paraphrase["detection"]["balanced_accuracy"] >= 0.65
    for result in (negated, never):  # at chance or below on every protocol
        assert result["predictive"]["auc"] <= 0.55
        assert result["simulation"]["correlation"] <= 0.05
        assert result["detection"]["balanced_accuracy"] <= 0.55


def test_real_units_are_scored_on_natural_held_out_data():
    data = held_out("efficientnet_lite0:blocks.4:3", "vision")
    assert data.kind == "natural"
    right = evaluate("fires on images of planets", "efficientnet_lite0:blocks.4:3", "vision",
                     data)
    assert right["simulation"]["data"] == "natural" and right["simulation"]["reader"]
    assert right["predictive"]["auc"] >= 0.7
