"""The built-in synthetic vision units (ground truth) and stimuli on which each should fire."""

from __future__ import annotations

import numpy as np
from PIL import Image

from models.concepts.base import phrase_composition
from models.concepts.trees import OPERATOR_FAMILY, CompositionNode
from models.concepts.vision import VISION_CONCEPTS
from models.stimuli import images as gen
from models.synthetic import detect
from models.synthetic.base import SyntheticUnitSpec


def unit_values(spec: SyntheticUnitSpec, images: list[Image.Image]) -> np.ndarray:
    """A unit's activation per image: the max of its combined concept map."""
    return detect.unit_values(spec, images)


def _unit(
    operator: str, concepts: tuple[str, ...], label: str, description: str | None = None
) -> SyntheticUnitSpec:
    """A flat unit; its id keeps the composition family (`and_red_circle`) for old addresses."""
    phrases = [VISION_CONCEPTS[c].phrase for c in concepts]
    tree = concepts[0] if operator == "single" else CompositionNode(operator, concepts)
    composition = OPERATOR_FAMILY.get(operator, operator)
    return SyntheticUnitSpec.from_tree(
        "vision", tree, description or phrase_composition(operator, phrases), label,
        "_".join([composition, *concepts]))


_SINGLES = (
    "red",
    "blue",
    "green",
    "yellow",
    "purple",
    "orange",
    "pink",
    "circle",
    "square",
    "triangle",
    "star",
    "hexagon",
    "cross",
    "ring",
    "horizontal_stripes",
    "vertical_stripes",
    "checkerboard",
    "dots",
    "grid",
    "oval",
    "text",
    "many_objects",
    "left",
    "top",
)


VISION_UNITS: list[SyntheticUnitSpec] = [
    *(_unit("single", (c,), VISION_CONCEPTS[c].phrase.split(" (")[0]) for c in _SINGLES),
    _unit("or", ("red", "blue"), "red or blue"),
    _unit("or", ("circle", "square"), "circles or squares"),
    _unit("or", ("star", "triangle"), "stars or triangles"),
    _unit(
        "or",
        ("horizontal_stripes", "vertical_stripes"),
        "horizontal or vertical stripes",
        "fires on striped backgrounds, whether the stripes run horizontally or vertically",
    ),
    _unit("or", ("checkerboard", "dots"), "checkerboard or polka dots"),
    _unit("or", ("yellow", "green"), "yellow or green"),
    _unit(
        "or",
        ("text", "many_objects"),
        "text or crowded scenes",
        "fires on written text (letters or words) or on scenes with many objects (five or more)",
    ),
    _unit("or", ("ring", "cross"), "rings or crosses"),
    _unit(
        "bound_and",
        ("red", "circle"),
        "red circles",
        "fires on red circles: circles that are red; red things of other shapes and circles "
        "of other colours leave it silent",
    ),
    _unit(
        "bound_and",
        ("blue", "square"),
        "blue squares",
        "fires on blue squares; blue things of other shapes and squares of other colours "
        "leave it silent",
    ),
    _unit(
        "bound_and",
        ("yellow", "star"),
        "yellow stars",
        "fires on yellow stars; other yellow shapes and stars of other colours leave it silent",
    ),
    _unit(
        "bound_and",
        ("green", "triangle"),
        "green triangles",
        "fires on green triangles; other green shapes and triangles of other colours leave "
        "it silent",
    ),
    _unit(
        "bound_and",
        ("purple", "hexagon"),
        "purple hexagons",
        "fires on purple hexagons; other purple shapes and hexagons of other colours leave "
        "it silent",
    ),
    _unit(
        "bound_and",
        ("circle", "left"),
        "circles on the left",
        "fires on circles located in the left part of the image; circles elsewhere and "
        "other objects on the left leave it silent",
    ),
    _unit(
        "bound_and",
        ("square", "top"),
        "squares at the top",
        "fires on squares located in the top part of the image; squares lower down and "
        "other objects at the top leave it silent",
    ),
    _unit(
        "bound_and",
        ("triangle", "horizontal_stripes"),
        "triangles on horizontal stripes",
        "fires on triangles drawn over a horizontally striped background; triangles on other "
        "backgrounds and striped scenes without triangles leave it silent",
    ),
    _unit(
        "bound_and_not",
        ("circle", "red"),
        "non-red circles",
        "fires on circles of any colour except red; red circles leave it silent",
    ),
    _unit(
        "bound_and_not",
        ("square", "blue"),
        "non-blue squares",
        "fires on squares of any colour except blue; blue squares leave it silent",
    ),
    _unit(
        "bound_and_not",
        ("red", "circle"),
        "red except red circles",
        "fires on red regions (red shapes, text or background) except where the red thing is "
        "a circle",
    ),
    _unit(
        "bound_and_not",
        ("star", "yellow"),
        "non-yellow stars",
        "fires on stars of any colour except yellow; yellow stars leave it silent",
    ),
    _unit(
        "and_not",
        ("triangle", "horizontal_stripes"),
        "triangles not on stripes",
        "fires on triangles, unless the background has horizontal stripes",
    ),
    _unit(
        "and_not",
        ("text", "many_objects"),
        "text in uncluttered scenes",
        "fires on written text (letters or words), unless the scene also holds many objects "
        "(five or more)",
    ),
    _unit(
        "bound_and_not",
        ("circle", "left"),
        "circles not on the left",
        "fires on circles, except circles located in the left part of the image",
    ),
    _unit(
        "and_not",
        ("green", "checkerboard"),
        "green without checkerboard",
        "fires on green regions, unless the background is a checkerboard",
    ),
]


def probe_images(spec: SyntheticUnitSpec, n: int, seed: int, positive: bool) -> list[Image.Image]:
    """Fresh generated images on which a unit should fire (positive) or stay silent.

    Positives include what makes it fire: its concept (single), any one concept (OR), all
    concepts bound together (AND), or the first without the second (AND-NOT). Negatives are
    controls: scenes without the concept (single) or any of them (OR); scenes with all but
    one concept (AND); scenes with both (the first only where the second is) or neither
    (AND-NOT).
    """
    rng = np.random.default_rng(seed)
    concepts = list(spec.concepts)
    result = []
    for index in range(n):
        others: list[str] = []
        if spec.composition == "single":
            include, exclude = (concepts, []) if positive else ([], concepts)
        elif spec.composition == "or":
            if positive:
                pick = concepts[index % len(concepts)]
                include, exclude = [pick], []
            else:
                include, exclude = [], concepts
        elif spec.composition == "and":
            if positive:
                include, exclude = concepts, []
            else:
                missing = concepts[index % len(concepts)]
                include, exclude = [c for c in concepts if c != missing], [missing]
        else:
            first, second = concepts
            if positive:
                include, exclude = [first], [second]
            elif index % 2 == 0:
                include, exclude, others = [first, second], [], [first]
            else:
                include, exclude = [], [first, second]
        scene = gen.scene_with(include, exclude, rng, others_exclude=others)
        result.append(gen.render(scene))
    return result
