"""The built-in composed synthetic units: three-concept and nested compositions, image- and
text-level AND / AND-NOT beside their bound (same object, same token) counterparts, and the
narrow lexicon concepts (pets, cats) that make "animals that are not pets" and "cats"
expressible. Their ground truth is written from the tree (`phrase_composition`) unless a
plainer sentence says the same."""

from __future__ import annotations

from models.concepts.trees import CompositionNode, Tree
from models.synthetic.base import SyntheticUnitSpec
from models.synthetic.detect import build_unit


def node(op: str, *args: Tree) -> CompositionNode:
    """A composition node, for writing trees in code: `node("or", "red", "blue")`."""
    return CompositionNode(op, tuple(args))


def _vision(tree: Tree, label: str, description: str | None = None) -> SyntheticUnitSpec:
    return build_unit("vision", tree, description, label)


def _text(tree: Tree, label: str | None = None,
          description: str | None = None) -> SyntheticUnitSpec:
    return build_unit("text", tree, description, label)


COMPOSED_VISION_UNITS: list[SyntheticUnitSpec] = [
    _vision(node("and_not", node("or", "red", "blue"), "circle"),
            "red or blue, unless a circle"),
    _vision(node("and_not", "gradient", "square"), "gradient unless a square",
            "fires on a smooth colour gradient in the background, but not when the image also "
            "contains a square anywhere"),
    _vision(node("and_not", "circle", "square"), "circles unless a square",
            "fires on circles, but not when the image also contains a square anywhere"),
    _vision(node("and", "triangle", "circle"), "triangles beside a circle",
            "fires on triangles, but only in images that also contain a circle somewhere"),
    _vision(node("and", "hexagon", "text"), "hexagons with text in the image"),
    _vision(node("or", "red", "blue", "green"), "red, blue or green"),
    _vision(node("or", "circle", "square", "triangle"), "circles, squares or triangles"),
    _vision(node("and", "text", "red", "circle"), "text with red and a circle",
            "fires on written text (letters or words), but only in images that also contain "
            "red regions and a circle"),
    _vision(node("bound_and", node("or", "red", "orange"), "circle"), "red or orange circles",
            "fires on circles that are red or orange; circles of other colours and red or "
            "orange things of other shapes leave it silent"),
    _vision(node("bound_and", "circle", node("or", "left", "top")),
            "circles on the left or at the top",
            "fires on circles located in the left part or in the top part of the image; "
            "circles elsewhere and other objects there leave it silent"),
    _vision(node("bound_and", "blue", "square", "left"), "blue squares on the left",
            "fires on blue squares located in the left part of the image; blue squares "
            "elsewhere, other blue things and other squares leave it silent"),
    _vision(node("bound_and_not", "circle", node("or", "red", "blue")),
            "circles neither red nor blue",
            "fires on circles of any colour except red and blue; red or blue circles leave "
            "it silent, other circles in the same image do not"),
    _vision(node("or", node("bound_and", "red", "circle"), node("bound_and", "blue", "square")),
            "red circles or blue squares",
            "fires on red circles and on blue squares; other red or blue shapes, and circles "
            "or squares of other colours, leave it silent"),
    _vision(node("and_not", node("bound_and", "yellow", "star"), "many_objects"),
            "yellow stars in uncluttered scenes",
            "fires on yellow stars, but not in scenes with many objects (five or more)"),
    _vision(node("and_not", "star", node("or", "checkerboard", "dots")),
            "stars unless checkered or dotted",
            "fires on stars, but not when the background is a checkerboard or polka dots"),
    _vision(node("and_not", node("or", "horizontal_stripes", "vertical_stripes"), "text"),
            "stripes without text",
            "fires on striped backgrounds (horizontal or vertical), but not when the image "
            "also contains written text"),
    _vision(node("bound_and", node("or", "circle", "oval"), "purple"),
            "purple circles or ovals",
            "fires on purple circles and purple ovals; other purple shapes and circles or "
            "ovals of other colours leave it silent"),
    _vision(node("and_not", node("and", "red", "blue"), "many_objects"),
            "red beside blue, uncluttered",
            "fires on red regions in images that also contain blue, but not in scenes with "
            "many objects (five or more)"),
]


COMPOSED_TEXT_UNITS: list[SyntheticUnitSpec] = [
    _text("pets"),
    _text("cats"),
    _text(node("bound_and_not", "animals", "pets"), "animals that are not pets",
          "fires on words for animals that are not pets (wolf, lion, owl, shark, ...); words "
          "for pets (dog, cat, hamster, rabbit, parrot) leave it silent, other animals in the "
          "same text do not"),
    _text(node("bound_and_not", "animals", "cats"), "animals other than cats",
          "fires on words for animals except the word cat"),
    _text(node("and_not", "animals", "pets"), "animals in texts without pets",
          "fires on words for animals, but not when the text also names a pet (dog, cat, "
          "hamster, rabbit, parrot) anywhere"),
    _text(node("or", "animals", "food", "colours")),
    _text(node("or", "urls", "emails", "prices")),
    _text(node("and", "family", "places", "times")),
    _text(node("and", "animals", node("or", "colours", "places"))),
    _text(node("and_not", node("or", "food", "animals"), "negation")),
    _text(node("and_not", "sports", node("or", "questions", "negation"))),
    _text(node("and_not", "colours", node("or", "clothing", "food"))),
    _text(node("and", "emotions_positive", node("or", "family", "animals"))),
    _text(node("and_not", node("and", "vehicles", "places"), "negation")),
    _text(node("or", node("and", "food", "prices"), node("and", "vehicles", "times"))),
    _text(node("bound_and_not", "numbers", "prices"), "numbers that are not prices",
          "fires on numbers written in digits, except where they are part of a price; other "
          "numbers in a text with a price still count"),
    _text(node("and", node("or", "urls", "emails"), "negation")),
    _text(node("and_not", "pets", "questions")),
]


COMPOSED_UNITS: dict[str, list[SyntheticUnitSpec]] = {
    "vision": COMPOSED_VISION_UNITS, "text": COMPOSED_TEXT_UNITS}
