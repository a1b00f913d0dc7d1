"""Hidden concepts stay hidden and do what their phrases say: no tool or policy imports them,
and the unseen and blind concepts' detectors (and the oracle's reading of scene specs) mark what
their phrases name on hand-written texts and scenes, and nothing else."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from models.concepts.text import tokenize
from models.stimuli import images as gen
from models.synthetic.hidden import hidden_maps
from models.synthetic.hidden_units import BLIND_UNITS, HIDDEN_UNITS, UNSEEN_UNITS
from models.synthetic.oracle import scene_elements

ROOT = Path(__file__).resolve().parents[2]

#: The concepts added for the unseen suites, after the evidence tools were written.
UNSEEN = {"text": {"vowel_initial", "ing_forms", "short_words", "ly_words"},
          "vision": {"two_objects", "small_objects", "light_objects", "corner_objects"}}

#: The concepts of the blind suites, chosen without reading the evidence tools.
BLIND = {"text": {"x_words", "after_comma", "no_vowel_words", "wh_words"},
         "vision": {"level_objects", "close_objects", "largest_object", "shape_twins"}}


def _imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
    return modules


def test_no_tool_or_policy_imports_the_hidden_concepts():
    """The agent's evidence must come from what a unit does, never from the hidden detectors."""
    paths = [path for package in ("tools", "agent") for path in (ROOT / package).rglob("*.py")]
    offences = [f"{path.relative_to(ROOT)} imports {module}" for path in paths
                for module in _imported_modules(path)
                if module.startswith("models.synthetic.hidden")]
    assert paths and not offences, offences


def test_the_unseen_suites_alone_use_the_unseen_concepts():
    for modality, concepts in UNSEEN.items():
        assert UNSEEN_UNITS[modality]
        assert all(set(u.concepts) & concepts for u in UNSEEN_UNITS[modality])
        assert not any(set(u.concepts) & concepts for u in HIDDEN_UNITS[modality])


def test_the_blind_suites_alone_use_the_blind_concepts():
    for modality, concepts in BLIND.items():
        assert len(BLIND_UNITS[modality]) == 7
        assert all(set(u.concepts) & concepts for u in BLIND_UNITS[modality])
        # every blind concept is a unit of its own, and the three others are compositions
        assert concepts <= {u.id for u in BLIND_UNITS[modality]}
        assert {u.composition for u in BLIND_UNITS[modality]} - {"single"}
        assert not any(set(u.concepts) & (concepts | UNSEEN[modality])
                       for u in HIDDEN_UNITS[modality])
        assert not any(set(u.concepts) & concepts for u in UNSEEN_UNITS[modality])
        assert not any(set(u.concepts) & UNSEEN[modality] for u in BLIND_UNITS[modality])


@pytest.mark.parametrize(("concept", "text", "marked"), [
    ("vowel_initial", "Every owl and I ate 8 apples under the bridge.",
     {"Every", "owl", "and", "I", "ate", "apples", "under"}),
    ("ing_forms", "The king was singing this morning, running past a ring of string.",
     {"singing", "morning", "running", "string"}),
    ("short_words", "The cat is on a warm mat 42 times, isn't it?",
     {"The", "cat", "is", "on", "a", "mat", "isn", "t", "it"}),
    ("ly_words", "She really spoke quickly and early in July to a fly.",
     {"really", "quickly", "early", "July"}),
])
def test_unseen_text_detectors_mark_the_words_their_phrases_name(concept, text, marked):
    tokens = tokenize(text)
    scores = hidden_maps("text", [concept], [text])[0, 0]
    assert {t for t, s in zip(tokens, scores, strict=True) if s > 0.5} == marked
    assert all(s == 0 for t, s in zip(tokens, scores, strict=True) if t not in marked)


@pytest.mark.parametrize(("concept", "text", "marked"), [
    ("x_words", "The fox explained six boxes to Max, 24 x 7 times.",
     {"fox", "explained", "six", "boxes", "Max", "x"}),
    ("after_comma", "After the call, everyone left, 42 stayed, and, well, Bob waved.",
     {"everyone", "and", "well", "Bob"}),
    ("no_vowel_words", "Why try my rhythm by the sea at 5 pm, isn't it?",
     {"Why", "try", "my", "rhythm", "by", "pm", "t"}),
    ("wh_words", "When the whale asked who, what and why somewhere, Wh said nothing.",
     {"When", "whale", "who", "what", "why"}),
])
def test_blind_text_detectors_mark_the_words_their_phrases_name(concept, text, marked):
    test_unseen_text_detectors_mark_the_words_their_phrases_name(concept, text, marked)


def _scene(objects: list[gen.ObjectSpec], background: str = "white") -> gen.SceneSpec:
    return gen.SceneSpec(gen.BackgroundSpec("solid", [background]), objects)


def _marked(concept: str, scene: gen.SceneSpec) -> tuple[list[bool], list[bool]]:
    """Per object: whether the detector's map is high at its centre, and whether the oracle
    tags it surely (from the spec alone)."""
    grid = hidden_maps("vision", [concept], [gen.render(scene)])[0, 0]
    seen = [bool(grid[int(o.y * grid.shape[0]), int(o.x * grid.shape[1])] > 0.5)
            for o in scene.objects]
    tagged = [concept in element.tags for element in scene_elements(scene)[1:]]
    return seen, tagged


@pytest.mark.parametrize(("concept", "scene", "expected"), [
    # exactly two objects: the whole scene, and not with one or three
    ("two_objects", _scene([gen.ObjectSpec("circle", "red", 0.3, 0.3),
                            gen.ObjectSpec("square", "blue", 0.7, 0.7)]), [True, True]),
    ("two_objects", _scene([gen.ObjectSpec("circle", "red", 0.3, 0.3),
                            gen.ObjectSpec("square", "blue", 0.7, 0.7),
                            gen.ObjectSpec("star", "green", 0.3, 0.7)]), [False] * 3),
    ("two_objects", _scene([gen.ObjectSpec("circle", "red", 0.5, 0.5)]), [False]),
    # a small triangle beside a large circle
    ("small_objects", _scene([gen.ObjectSpec("triangle", "red", 0.3, 0.3, 0.085),
                              gen.ObjectSpec("circle", "blue", 0.65, 0.65, 0.13)]),
     [True, False]),
    # yellow on blue is much lighter; red on blue is not; nothing is lighter than white
    ("light_objects", _scene([gen.ObjectSpec("circle", "yellow", 0.3, 0.3),
                              gen.ObjectSpec("square", "red", 0.7, 0.7)], "blue"),
     [True, False]),
    ("light_objects", _scene([gen.ObjectSpec("circle", "yellow", 0.3, 0.3),
                              gen.ObjectSpec("square", "black", 0.7, 0.7)]), [False, False]),
    # near a corner on both axes; near one edge only; in the middle
    ("corner_objects", _scene([gen.ObjectSpec("circle", "red", 0.2, 0.2, 0.09),
                               gen.ObjectSpec("square", "blue", 0.79, 0.8, 0.09),
                               gen.ObjectSpec("star", "green", 0.2, 0.55, 0.09),
                               gen.ObjectSpec("hexagon", "purple", 0.55, 0.5, 0.09)]),
     [True, True, False, False]),
])
def test_unseen_vision_detectors_and_the_oracle_mark_the_objects_their_phrases_name(
        concept, scene, expected):
    seen, tagged = _marked(concept, scene)
    assert seen == expected
    assert tagged == expected


@pytest.mark.parametrize(("concept", "scene", "expected"), [
    # the circle and the square are level; the star lies lower; a lone object has no partner
    ("level_objects", _scene([gen.ObjectSpec("circle", "red", 0.25, 0.3),
                              gen.ObjectSpec("square", "blue", 0.7, 0.32),
                              gen.ObjectSpec("star", "green", 0.5, 0.7)]), [True, True, False]),
    ("level_objects", _scene([gen.ObjectSpec("circle", "red", 0.5, 0.5)]), [False]),
    # the circle and the square are a quarter of the side apart; the star is far from both
    ("close_objects", _scene([gen.ObjectSpec("circle", "red", 0.3, 0.3, 0.1),
                              gen.ObjectSpec("square", "blue", 0.55, 0.35, 0.1),
                              gen.ObjectSpec("star", "green", 0.7, 0.8, 0.1)]),
     [True, True, False]),
    # a big circle beside a small triangle; a lone object is not the largest of anything
    ("largest_object", _scene([gen.ObjectSpec("circle", "red", 0.3, 0.3, 0.13),
                               gen.ObjectSpec("triangle", "blue", 0.7, 0.7, 0.09)]),
     [True, False]),
    ("largest_object", _scene([gen.ObjectSpec("circle", "red", 0.5, 0.5, 0.13)]), [False]),
    # two circles (of different colours and sizes) and a square
    ("shape_twins", _scene([gen.ObjectSpec("circle", "red", 0.25, 0.3),
                            gen.ObjectSpec("square", "blue", 0.7, 0.3),
                            gen.ObjectSpec("circle", "green", 0.5, 0.75, 0.1)]),
     [True, False, True]),
])
def test_blind_vision_detectors_and_the_oracle_mark_the_objects_their_phrases_name(
        concept, scene, expected):
    seen, tagged = _marked(concept, scene)
    assert seen == expected
    assert tagged == expected


def test_the_oracle_is_unsure_of_shape_twins_where_a_small_hexagon_may_read_as_a_circle():
    scene = _scene([gen.ObjectSpec("hexagon", "red", 0.3, 0.3, 0.09),
                    gen.ObjectSpec("circle", "blue", 0.7, 0.7, 0.12),
                    gen.ObjectSpec("square", "green", 0.3, 0.75, 0.12)])
    hexagon, circle, square = scene_elements(scene)[1:]
    assert "shape_twins" in hexagon.unsure and "shape_twins" in circle.unsure
    assert "shape_twins" not in square.unsure | square.tags
