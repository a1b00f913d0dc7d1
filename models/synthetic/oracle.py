"""Reference truth of a composition tree, read from what a stimulus is made of, not from maps.

A stimulus is cut into elements (the objects, background and texts of a generated scene, read
from its scene spec; the tokens of a text), each tagged with the concepts it shows. A tree is
then evaluated with sets and booleans, the way its description reads: `or` at the element,
`bound_and` / `bound_and_not` at the same element, `and` / `and_not` against the presence of
the other arguments anywhere in the input. The unit should fire exactly where this says. It is
a second, independent account of the operators (the maps' account is
`models.synthetic.base.evaluate`), used to label probe stimuli and to test the units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from models.concepts.trees import CompositionNode, Tree, leaves
from models.stimuli import images as gen
from models.synthetic import hidden_vision as hv


@dataclass(frozen=True)
class Element:
    """One part of a stimulus and its concepts.

    Attributes:
        tags: the concepts it surely shows.
        unsure: concepts a detector may or may not see on it (at a boundary, thin strokes).
    """

    tags: frozenset[str]
    unsure: frozenset[str] = frozenset()


def element_truth(tree: Tree, elements: list[Element]) -> list[bool]:
    """Per element, whether the unit should fire there (uses only the sure tags)."""
    if isinstance(tree, str):
        return [tree in e.tags for e in elements]
    args = [element_truth(arg, elements) for arg in tree.args]
    if tree.op == "or":
        return [any(column) for column in zip(*args, strict=True)]
    if tree.op == "bound_and":
        return [all(column) for column in zip(*args, strict=True)]
    if tree.op == "bound_and_not":
        return [a and not b for a, b in zip(args[0], args[1], strict=True)]
    if tree.op == "and":
        gate = all(any(arg) for arg in args[1:])
        return [a and gate for a in args[0]]
    gone = not any(args[1])  # and_not
    return [a and gone for a in args[0]]


def truth(tree: Tree, elements: list[Element]) -> bool | None:
    """Whether the unit should fire on the stimulus; None when a leaf it uses is unsure."""
    used = set(leaves(tree))
    if any(e.unsure & used for e in elements):
        return None
    return any(element_truth(tree, elements))


_LUMA = np.array([0.299, 0.587, 0.114])


def _luma(colour: str) -> float:
    return float(np.asarray(gen.COLOURS[colour], float) @ _LUMA)


def _positions(obj: gen.ObjectSpec) -> tuple[set[str], set[str]]:
    """(sure, unsure) positions of an object: sure where its centre is in the outer 38 % on
    that side, unsure where it only reaches into that half."""
    sure, unsure = set(), set()
    from_edge = {"left": obj.x, "right": 1 - obj.x, "top": obj.y, "bottom": 1 - obj.y}
    for side, distance in from_edge.items():
        if distance <= 0.38:
            sure.add(side)
        elif distance - obj.size < 0.5:
            unsure.add(side)
    return sure, unsure


#: The pixel area `PixelAnalysis` finds for a generated object lies between these fractions of
#: its drawn mask's area at 112 px: 0.83 to 1.10 on the 2,753 objects of 1,000 random scenes
#: (segmentation drops anti-aliased edges; rings gain a little inside), with a margin each way.
_SEEN_AREA = (0.8, 1.14)


#: A hexagon drawn smaller than this (radius, fraction of the side) may be classified as a circle
#: (15 of 6,920 objects of 2,500 random scenes, all hexagons of radius 0.085 to 0.096; no other
#: shape was ever read as another).
_HEXAGON_AS_CIRCLE = 0.1


#: Found centroids lie within 0.007 of the spec's centres (see corner_objects below), so a
#: distance between two of them is sure only this far from a cut.
_PAIR_SLACK = 0.015


def _any_within(values: list[float], cut: float) -> tuple[bool, bool]:
    """(sure, unsure) that some value is at most `cut`, with _PAIR_SLACK either side."""
    if any(v <= cut - _PAIR_SLACK for v in values):
        return True, False
    return False, any(v < cut + _PAIR_SLACK for v in values)


def _drawn_area(obj: gen.ObjectSpec) -> float:
    return float((np.asarray(gen.shape_mask(obj, 112)) > 127).sum())


def _object_blind(obj: gen.ObjectSpec, scene: gen.SceneSpec) -> tuple[set[str], set[str]]:
    """(sure, unsure) blind-suite concepts of an object: its relations to the other objects."""
    sure, unsure = set(), set()
    others = [o for o in scene.objects if o is not obj]
    tests = {
        "level_objects": ([abs(o.y - obj.y) for o in others], hv.LEVEL_BY),
        "close_objects": ([math.hypot(o.x - obj.x, o.y - obj.y) for o in others], hv.CLOSE_BY),
    }
    for name, (values, cut) in tests.items():
        yes, maybe = _any_within(values, cut)
        sure |= {name} if yes else set()
        unsure |= {name} if maybe else set()
    if others:
        # the largest: every pixel area it can turn into beats every one the others can
        low, high = (_drawn_area(obj) * f for f in _SEEN_AREA)
        if all(low > _drawn_area(o) * _SEEN_AREA[1] for o in others):
            sure.add("largest_object")
        elif all(high > _drawn_area(o) * _SEEN_AREA[0] for o in others):
            unsure.add("largest_object")

    def ambiguous(o: gen.ObjectSpec) -> bool:
        return o.shape == "hexagon" and o.size < _HEXAGON_AS_CIRCLE

    if ambiguous(obj):
        unsure.add("shape_twins")
    elif any(o.shape == obj.shape and not ambiguous(o) for o in others):
        sure.add("shape_twins")
    elif obj.shape in ("circle", "hexagon") and any(ambiguous(o) for o in others):
        unsure.add("shape_twins")
    return sure, unsure


def _object_hidden(obj: gen.ObjectSpec, scene: gen.SceneSpec) -> tuple[set[str], set[str]]:
    """(sure, unsure) hidden concepts of an object, from its spec."""
    sure, unsure = set(), set()
    centre = math.hypot(obj.x - 0.5, obj.y - 0.5)
    if abs(centre - hv.CENTRE_RADIUS) < 0.04:
        unsure.add("centre_objects")
    elif centre < hv.CENTRE_RADIUS:
        sure.add("centre_objects")
    # the found centroid lies within 0.007 of the spec's centre (every shape is drawn
    # symmetrically about it; 1,000 scenes measured), so 0.01 either side of the line is unsure
    edge = max(min(obj.x, 1 - obj.x), min(obj.y, 1 - obj.y))
    if edge <= hv.CORNER_REACH - 0.01:
        sure.add("corner_objects")
    elif edge < hv.CORNER_REACH + 0.01:
        unsure.add("corner_objects")
    levels = [_luma(c) for c in scene.background.colours]
    if scene.background.kind == "noise":
        levels = [levels[0] * 0.88, levels[0] * 1.12]
    own = _luma(obj.colour)
    if own <= min(levels) - hv.DARKER_BY - 8:
        sure.add("dark_objects")
    elif own <= max(levels) - hv.DARKER_BY + 8:
        unsure.add("dark_objects")
    # the mirror image: lighter than even the lightest background colour is sure
    if own >= max(levels) + hv.LIGHTER_BY + 8:
        sure.add("light_objects")
    elif own >= min(levels) + hv.LIGHTER_BY - 8:
        unsure.add("light_objects")
    if obj.colour in hv.WARM_COLOURS:
        sure.add("warm_objects")
    area = _drawn_area(obj)
    if abs(area - hv.LARGE_AREA) < 0.12 * hv.LARGE_AREA:
        unsure.add("large_objects")
    elif area >= hv.LARGE_AREA:
        sure.add("large_objects")
    # sure only where every pixel area the drawn one can turn into is on the same side
    low, high = area * _SEEN_AREA[0], area * _SEEN_AREA[1]
    if high <= hv.SMALL_AREA:
        sure.add("small_objects")
    elif low <= hv.SMALL_AREA:
        unsure.add("small_objects")
    if sum(o.colour == obj.colour for o in scene.objects) >= 2:
        sure.add("colour_twins")
    blind, unsure_blind = _object_blind(obj, scene)
    return sure | blind, unsure | unsure_blind


def scene_elements(scene: gen.SceneSpec) -> list[Element]:
    """The elements of a generated scene: background, each object, each text."""
    count = len(scene.objects)
    shared = {scene.background.kind} - {"solid"}
    shared |= {"many_objects"} if count >= 5 else set()
    shared |= {"single_object"} if count == 1 else set()
    shared |= {"three_objects"} if count == 3 else set()
    shared |= {"two_objects"} if count == 2 else set()
    unsure_shared = {"many_objects"} if count == 4 else set()
    # the symmetry of a layout is not read from specs: a tree using it is always unsure
    unsure_shared.add("symmetric_layout")
    background = scene.background
    # thin pattern marks (dots, grid lines) and colours a gradient only passes through may
    # not fill a map cell
    main = {background.colours[0]} if background.kind in ("dots", "grid") else set(
        background.colours)
    elements = [Element(frozenset(shared | main), frozenset(
        unsure_shared | (gen.background_colours(background) - main)))]
    for obj in scene.objects:
        positions, unsure_positions = _positions(obj)
        hidden, unsure_hidden = _object_hidden(obj, scene)
        elements.append(Element(frozenset(shared | positions | hidden | {obj.shape, obj.colour}),
                                frozenset(unsure_shared | unsure_positions | unsure_hidden)))
    for text in scene.texts:
        # glyph strokes are thin: their colour may not fill a map cell
        elements.append(Element(frozenset(shared | {"text"}),
                                frozenset(unsure_shared | {text.colour})))
    return elements


def token_elements(tags: list[set[str]]) -> list[Element]:
    """The elements of a text: one per token, with the concepts tagged on it."""
    return [Element(frozenset(t)) for t in tags]


def is_composition(tree: Tree) -> bool:
    """Whether a tree has an operator (a bare concept is its own truth)."""
    return isinstance(tree, CompositionNode)
