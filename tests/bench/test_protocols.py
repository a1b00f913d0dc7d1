"""Each protocol scores the ground-truth description high and a random one at chance."""

from __future__ import annotations

import pytest

from bench.judge import parse
from bench.protocols import evaluate, held_out
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

    assert truth["predictive"]["auc"] >= 0.95
    assert truth["predictive"]["difference"] > 0.5
    assert truth["simulation"]["correlation"] >= 0.6
    assert truth["detection"]["balanced_accuracy"] >= 0.8

    assert abs(random["predictive"]["auc"] - 0.5) <= 0.2
    assert abs(random["simulation"]["correlation"]) <= 0.3
    assert abs(random["detection"]["balanced_accuracy"] - 0.5) <= 0.2


def test_description_naming_nothing_scores_chance():
    address = "synthetic-vision:single:0"
    data = held_out(address, "vision")
    result = evaluate("responds to something hard to name", address, "vision", data)
    assert parse("responds to something hard to name", "vision").composition == "none"
    assert result["simulation"]["correlation"] == 0.0
    assert result["detection"]["balanced_accuracy"] == 0.5
    assert abs(result["predictive"]["auc"] - 0.5) <= 0.25
