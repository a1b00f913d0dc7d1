"""Hidden concepts stay hidden and do what their phrases say: no tool or policy imports them,
and the unseen concepts' detectors (and the oracle's reading of scene specs) mark what their
phrases name on hand-written texts and scenes, and nothing else."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from models.concepts.text import tokenize
from models.stimuli import images as gen
from models.synthetic.hidden import hidden_maps
from models.synthetic.hidden_units import HIDDEN_UNITS, UNSEEN_UNITS
from models.synthetic.oracle import scene_elements

ROOT = Path(__file__).resolve().parents[2]

#: The concepts added for the unseen suites, after the evidence tools were written.
UNSEEN = {"text": {"vowel_initial", "ing_forms", "short_words", "ly_words"},
          "vision": {"two_objects", "small_objects", "light_objects", "corner_objects"}}


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
