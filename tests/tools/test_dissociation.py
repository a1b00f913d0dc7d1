"""Telling a vocabulary concept from an open property on fresh stimuli (`dissociate`)."""

from __future__ import annotations

import pytest

from tools.dissociation import _verdict, can_test
from tools.registry import call_tool


@pytest.mark.parametrize("concept, prop, verdict", [
    (0.0, 1.7, "property"),  # the concept was riding on the property
    (0.3, 1.5, "property"),  # a weak correlate is not a co-cause
    (1.2, 0.05, "concept"),
    (1.0, 0.9, "both"),
    (0.1, 0.1, "neither"),
    (None, 2.0, "property"),  # the concept never occurs without the property: a special case
    (None, 0.1, "too few"),
    (None, None, "too few"),
])
def test_the_verdict_reads_each_explanation_without_the_other(concept, prop, verdict):
    assert _verdict(concept, prop) == verdict


def test_only_properties_the_reader_can_check_are_testable():
    assert can_test("objects lighter than the background", "vision")
    assert can_test("words ending in '-ly'", "text")
    assert not can_test("images of cyan triangle", "vision")
    assert not can_test("words for animals, such as owl", "text")


def test_a_colour_that_rides_on_lightness_is_told_apart_on_fresh_scenes(tmp_path):
    from tools.context import ToolContext

    # the unit fires on objects much lighter than the background; white objects go with it
    obs = call_tool("dissociate", "vision", {
        "unit": "synthetic-vision:unseen:2", "concepts": ["white"],
        "property": "objects lighter than the background"}, ToolContext(run_dir=tmp_path))
    assert obs.ok, obs.error
    assert obs.data["verdict"] == "property"
    assert obs.data["cells"]["concept_only"]["n"] >= 5  # white objects that are not lighter
    bad = call_tool("dissociate", "vision", {
        "unit": "synthetic-vision:unseen:2", "concepts": ["white"],
        "property": "images of cyan triangle"}, ToolContext(run_dir=tmp_path))
    assert not bad.ok and "names nothing the reader can test" in bad.error
    unknown = call_tool("dissociate", "vision", {
        "unit": "synthetic-vision:unseen:2", "concepts": ["lightness"],
        "property": "small objects"}, ToolContext(run_dir=tmp_path))
    assert not unknown.ok and "unknown" in unknown.error
