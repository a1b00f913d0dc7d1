"""Procedural, seed-deterministic images of shapes, colours, patterns and text, with their specs.

The package's modules: `vocabulary` (what can be drawn), `spec` (scene specs), `render`
(drawing), `compose` (scenes with and without given concepts), `prompts` (words to a scene).
"""

from models.stimuli.images.compose import (
    background_colours,
    contrasts,
    place,
    random_scene,
    scene_with,
)
from models.stimuli.images.prompts import spec_from_words
from models.stimuli.images.render import render, shape_mask, text_box
from models.stimuli.images.spec import (
    BackgroundSpec,
    ObjectSpec,
    SceneSpec,
    TextSpec,
    read_spec,
    save_png,
)
from models.stimuli.images.vocabulary import (
    COLOUR_NAMES,
    COLOURS,
    CONTRAST,
    COUNTS,
    GENERATOR_VOCABULARY,
    PATTERNS,
    POSITIONS,
    SHAPES,
    SYNONYMS,
    WORDS,
    colour_distance,
    colour_index,
)

__all__ = ["COLOURS", "COLOUR_NAMES", "CONTRAST", "COUNTS", "GENERATOR_VOCABULARY", "PATTERNS",
           "POSITIONS", "SHAPES", "SYNONYMS", "WORDS", "BackgroundSpec", "ObjectSpec",
           "SceneSpec", "TextSpec", "background_colours", "colour_distance", "colour_index",
           "contrasts", "place", "random_scene", "read_spec", "render", "save_png", "scene_with",
           "shape_mask", "spec_from_words", "text_box"]
