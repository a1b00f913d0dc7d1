"""The generator's vocabulary: named colours, shapes, patterns, positions, words."""

from __future__ import annotations

import numpy as np

#: Named colours: well separated in RGB so a nearest-prototype reading of a pixel is unambiguous.
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 40, 40),
    "orange": (240, 130, 20),
    "yellow": (245, 225, 50),
    "green": (50, 170, 60),
    "cyan": (40, 200, 210),
    "blue": (40, 80, 220),
    "purple": (140, 60, 190),
    "pink": (245, 140, 200),
    "brown": (130, 80, 40),
    "black": (20, 20, 20),
    "white": (245, 245, 245),
    "gray": (128, 128, 128),
}


COLOUR_NAMES: tuple[str, ...] = tuple(COLOURS)


#: A pixel farther than this (RGB Euclidean) from every prototype has no colour name.
COLOUR_RADIUS = 90.0


SHAPES: tuple[str, ...] = (
    "circle",
    "square",
    "triangle",
    "star",
    "hexagon",
    "cross",
    "ring",
    "oval",
    "rectangle",
)


#: Whole-image background patterns; "solid" is the plain background and is not a concept.
PATTERNS: tuple[str, ...] = (
    "horizontal_stripes",
    "vertical_stripes",
    "diagonal_stripes",
    "checkerboard",
    "dots",
    "grid",
    "noise",
    "gradient",
)


OBJECT_FILLS: tuple[str, ...] = ("solid", "stripes", "dots", "checkerboard")


COUNTS: tuple[str, ...] = ("many_objects", "single_object")


POSITIONS: tuple[str, ...] = ("left", "right", "top", "bottom")


WORDS: tuple[str, ...] = ("cat", "sun", "box", "map", "text", "hello", "abc", "word", "yes", "zip")


GENERATOR_VOCABULARY: dict[str, list[str]] = {
    "colour": list(COLOUR_NAMES),
    "shape": list(SHAPES),
    "pattern": list(PATTERNS),
    "count": list(COUNTS),
    "position": list(POSITIONS),
    "text": ["text"],
}


#: Words a prompt may use for vocabulary names.
SYNONYMS: dict[str, str] = {
    "grey": "gray",
    "teal": "cyan",
    "violet": "purple",
    "magenta": "pink",
    "colour": "",
    "circles": "circle",
    "disc": "circle",
    "disk": "circle",
    "squares": "square",
    "triangles": "triangle",
    "stars": "star",
    "hexagons": "hexagon",
    "crosses": "cross",
    "plus": "cross",
    "rings": "ring",
    "donut": "ring",
    "ellipse": "oval",
    "ovals": "oval",
    "ellipses": "oval",
    "rectangles": "rectangle",
    "stripes": "horizontal_stripes",
    "striped": "horizontal_stripes",
    "stripe": "horizontal_stripes",
    "checkered": "checkerboard",
    "checkers": "checkerboard",
    "checker": "checkerboard",
    "polka": "dots",
    "dotted": "dots",
    "dot": "dots",
    "spots": "dots",
    "grid": "grid",
    "noisy": "noise",
    "texture": "noise",
    "gradients": "gradient",
    "letters": "text",
    "word": "text",
    "words": "text",
    "many": "many_objects",
    "lots": "many_objects",
    "single": "single_object",
    "one": "single_object",
    "lone": "single_object",
}


STOP_WORDS: frozenset[str] = frozenset(
    "a an the on with of and in at over to some its is are image picture photo background "
    "shape shapes object objects side".split()
)


#: Direction words that turn a following "stripes" into a specific stripe pattern.
STRIPE_DIRECTIONS = {
    "horizontal": "horizontal_stripes",
    "vertical": "vertical_stripes",
    "diagonal": "diagonal_stripes",
}


#: Objects stay inside this margin so the image border shows only the background.
MARGIN = 0.1


#: Minimum RGB distance between an object's colour and every background colour (keeps it visible).
CONTRAST = 100.0


def colour_index(pixels: np.ndarray) -> np.ndarray:
    """Nearest named colour of each RGB pixel (index into COLOUR_NAMES, -1 when none is near)."""
    flat = pixels.reshape(-1, 3).astype(np.float32)
    protos = np.asarray(list(COLOURS.values()), dtype=np.float32)
    # ||p - c||^2 expanded, which is several times faster than broadcasting the difference
    dist = (flat**2).sum(1)[:, None] - 2 * flat @ protos.T + (protos**2).sum(1)[None, :]
    best = dist.argmin(1)
    near = dist[np.arange(len(flat)), best] <= COLOUR_RADIUS**2
    return np.where(near, best, -1).reshape(pixels.shape[:-1])


def rgb(name: str) -> np.ndarray:
    return np.asarray(COLOURS[name], dtype=np.float32)


def colour_distance(a: str, b: str) -> float:
    return float(np.linalg.norm(rgb(a) - rgb(b)))
