"""The built-in hidden-concept units: single hidden concepts and compositions of hidden with
vocabulary concepts, each kept only if it fires on enough of the default exemplar corpora.

Firing rates on the default corpora (2,000 template texts; 600 generated scenes plus the
scikit-image photos), measured with `python -m models firing synthetic-text hidden` (and
`synthetic-vision`), are listed beside each unit. Left out because they fire on fewer than
MIN_FIRING stimuli of those corpora: `french_words` (4 texts, all "croissant"),
`time_of_day_words` (17: "overnight", "tonight"), `long_words & negation` (10) and
`symmetric_layout` (11 images); `rhyming_endings` fires on just 20 texts and the text writer
almost never rhymes, so no fresh probes check it. The generated scenes never let objects touch,
so "touching objects" has no detector. They wait for a corpus that holds them (natural text and
photos).
"""

from __future__ import annotations

from models.concepts.trees import CompositionNode, Tree
from models.synthetic.base import SyntheticUnitSpec
from models.synthetic.detect import build_unit

#: A unit must fire (value above 0.5) on at least this many stimuli of its default corpus.
MIN_FIRING = 20


def _node(op: str, *args: Tree) -> CompositionNode:
    return CompositionNode(op, tuple(args))


HIDDEN_TEXT_UNITS: list[SyntheticUnitSpec] = [
    build_unit("text", "double_letters"),  # 76 % of texts
    build_unit("text", "palindromes"),  # 5.8 %
    build_unit("text", "past_tense"),  # 89 %
    build_unit("text", "long_words"),  # 9.4 %
    build_unit("text", "title_case_inside"),  # 23 %
    build_unit("text", "large_numbers"),  # 18 %
    build_unit("text", _node("bound_and", "animals", "double_letters"),
               "fires on words for animals spelt with a double letter (rabbit, sheep, parrot)",
               "animal words with a double letter"),  # 2.7 %
    build_unit("text", _node("bound_and", "food", "double_letters"),
               "fires on words for food spelt with a double letter (apple, coffee, broccoli)",
               "food words with a double letter"),  # 3.8 %
    build_unit("text", _node("bound_and", "emotions_negative", "past_tense"),
               "fires on words for negative emotions that are -ed forms (worried, scared, "
               "ashamed, terrified)", "negative -ed emotion words"),  # 2.4 %
    build_unit("text", _node("bound_and", "prices", "large_numbers"),
               "fires on prices of 100 or more", "prices of 100 or more"),  # 6.9 %
    build_unit("text", _node("bound_and_not", "title_case_inside", "places"),
               "fires on capitalised words inside a sentence that are not names of countries "
               "or cities (weekdays, months, other names)",
               "capitalised words that are not places"),  # 12 %
    build_unit("text", _node("or", "palindromes", "long_words")),  # 15 %
    build_unit("text", _node("bound_and", "family", "long_words"),
               "fires on family words of 11 letters or more (grandmother, granddaughter)",
               "long family words"),  # 1.3 %
]


HIDDEN_VISION_UNITS: list[SyntheticUnitSpec] = [
    build_unit("vision", "three_objects"),  # 25 % of images
    build_unit("vision", "centre_objects"),
    build_unit("vision", "dark_objects"),  # 28 %
    build_unit("vision", "warm_objects"),  # 51 %
    build_unit("vision", "large_objects"),  # 53 %
    build_unit("vision", "colour_twins"),  # 29 %
    build_unit("vision", _node("bound_and", "warm_objects", "large_objects"),
               "fires on large objects in warm colours (red, orange, yellow, pink)",
               "large warm objects"),  # 18 %
    build_unit("vision", _node("bound_and", "circle", "centre_objects"),
               "fires on circles near the centre of the image", "circles near the centre"),
    build_unit("vision", _node("and_not", "dark_objects", "text"),
               "fires on objects much darker than the background, but not when the image "
               "also contains written text", "dark objects, no text"),  # 22 %
    build_unit("vision", _node("and", "circle", "three_objects"),
               "fires on circles in scenes of exactly three objects",
               "circles among three objects"),  # 5.9 %
    build_unit("vision", _node("bound_and_not", "large_objects", "warm_objects"),
               "fires on large objects that are not in warm colours (blue, green, purple, "
               "grey, ...)", "large cool objects"),  # 40 %
    build_unit("vision", _node("bound_and", "square", "colour_twins"),
               "fires on squares that share their colour with another object in the scene",
               "squares with a colour twin"),  # 8.2 %
]


HIDDEN_UNITS: dict[str, list[SyntheticUnitSpec]] = {
    "vision": HIDDEN_VISION_UNITS, "text": HIDDEN_TEXT_UNITS}


# Unseen: hidden concepts added after the evidence tools were written, so that no tool was
# designed, tuned or tested against them; a policy that explains these units about as well as
# the hidden ones above generalises rather than fits. Firing rates on the same default corpora,
# measured with `python -m models firing synthetic-text unseen` (and `synthetic-vision`), are
# listed beside each unit. Left out because they fire on fewer than MIN_FIRING stimuli:
# `bound_and(emotions_positive, ly_words)` (0 texts: no positive-emotion word of the template
# lexicons ends in -ly) and `bound_and(square, small_objects)` (0 images: the smallest square the
# generator draws still covers more than SMALL_AREA pixels, so a small square never occurs).
# Cooking -ing words and small triangles take their places; the other vocabulary categories
# with -ing or -ly words fire on fewer texts or on a single word ("really" in questions, "July").
# `short_words` and its OR fire on every text (each sentence holds a word of three letters or
# fewer), so no score over whole stimuli can tell their descriptions apart; they stay because
# their token maps still can, and so can the judge.
UNSEEN_TEXT_UNITS: list[SyntheticUnitSpec] = [
    build_unit("text", "vowel_initial"),  # 96 % of texts
    build_unit("text", "ing_forms"),  # 16 %
    build_unit("text", "short_words"),  # 100 %
    build_unit("text", "ly_words"),  # 10 %
    build_unit("text", _node("bound_and", "animals", "vowel_initial"),
               "fires on words for animals beginning with a vowel (elephant, owl, eagle)",
               "animal words beginning with a vowel"),  # 1.3 %
    build_unit("text", _node("bound_and", "cooking", "ing_forms"),
               "fires on cooking words ending in -ing (grilling, frying, baking)",
               "cooking -ing words"),  # 1.1 %
    build_unit("text", _node("or", "short_words", "ly_words")),  # 100 %
]


UNSEEN_VISION_UNITS: list[SyntheticUnitSpec] = [
    build_unit("vision", "two_objects"),  # 27 % of images
    build_unit("vision", "small_objects"),  # 35 %
    build_unit("vision", "light_objects"),  # 37 %
    build_unit("vision", "corner_objects"),  # 14 %
    build_unit("vision", _node("and", "circle", "two_objects"),
               "fires on circles in scenes of exactly two objects",
               "circles among two objects"),  # 6.4 %
    build_unit("vision", _node("bound_and", "triangle", "small_objects"),
               "fires on small triangles", "small triangles"),  # 18 %
    build_unit("vision", _node("and_not", "light_objects", "text"),
               "fires on objects much lighter than the background, but not when the image "
               "also contains written text", "light objects, no text"),  # 25 %
]


UNSEEN_UNITS: dict[str, list[SyntheticUnitSpec]] = {
    "vision": UNSEEN_VISION_UNITS, "text": UNSEEN_TEXT_UNITS}


# Blind: hidden concepts chosen after the evidence tools and the agent were written, by someone
# who did not read either and did not pick them by what the tools can detect; unlike the unseen
# ones above, which were known when the tools were last changed, nobody tuning the tools has
# seen them. Firing rates on the default corpora, measured with `python -m models firing
# synthetic-text blind` (and `synthetic-vision`), are listed beside each unit. Left out because
# they fire on fewer than MIN_FIRING stimuli: `bound_and(emotions_negative, x_words)` (8 texts:
# "anxious", "anxiety"), `bound_and(science, x_words)` (13: "experiment", "galaxy") and
# `and_not(close_objects, many_objects)` (1 image at the first cut tried, 0.25: only the smaller
# objects of crowded scenes came that close). The oracle's reading of scene specs agrees with the
# vision detectors on every sure object of 1,500 scenes (random and `scene_with([], [])` ones).
BLIND_TEXT_UNITS: list[SyntheticUnitSpec] = [
    build_unit("text", "x_words"),  # 17 % of texts
    build_unit("text", "after_comma"),  # 9.8 %
    build_unit("text", "no_vowel_words"),  # 21 %
    build_unit("text", "wh_words"),  # 14 %
    build_unit("text", _node("bound_and", "questions", "wh_words"),
               "fires on words beginning with wh in questions (where, who, why)",
               "wh words in questions"),  # 4.3 %
    build_unit("text", _node("or", "x_words", "after_comma")),  # 26 %
    build_unit("text", _node("bound_and_not", "no_vowel_words", "first_person"),
               "fires on words with no vowel letters that are not first-person pronouns (by, "
               "why, rhythm, www)", "vowelless words, not first-person"),  # 18 %
]


BLIND_VISION_UNITS: list[SyntheticUnitSpec] = [
    build_unit("vision", "level_objects"),  # 24 % of images
    build_unit("vision", "close_objects"),  # 37 %
    build_unit("vision", "largest_object"),  # 72 %
    build_unit("vision", "shape_twins"),  # 28 %
    build_unit("vision", _node("bound_and", "square", "largest_object"),
               "fires on squares that are the largest object in a scene that holds more than "
               "one", "largest squares"),  # 12 %
    build_unit("vision", _node("or", "level_objects", "shape_twins")),  # 36 %
    build_unit("vision", _node("and_not", "close_objects", "text"),
               "fires on objects close to another object, but not when the image also "
               "contains written text", "close objects, no text"),  # 29 %
]


BLIND_UNITS: dict[str, list[SyntheticUnitSpec]] = {
    "vision": BLIND_VISION_UNITS, "text": BLIND_TEXT_UNITS}
