"""The judge's own glosses of the synthetic units' concepts: the phrasings it matches a
description's words against. Written for the judge; the agent's tools never see them, and the
labelled set's plain paraphrases (`bench/data/judge_calibration.json`) were written separately.
"""

from __future__ import annotations

GLOSSES: dict[str, dict[str, tuple[str, ...]]] = {
    "vision": {
        "red": ("red", "red regions", "scarlet or crimson areas"),
        "orange": ("orange", "orange regions", "orange-coloured areas"),
        "yellow": ("yellow", "yellow regions", "golden yellow areas"),
        "green": ("green", "green regions", "green-coloured areas"),
        "cyan": ("cyan", "cyan regions", "turquoise or aqua areas"),
        "blue": ("blue", "blue regions", "navy or azure areas"),
        "purple": ("purple", "purple regions", "violet or lilac areas"),
        "pink": ("pink", "pink regions", "rose or magenta areas"),
        "brown": ("brown", "brown regions", "chocolate or tan areas"),
        "black": ("black", "black regions", "pitch dark areas"),
        "white": ("white", "white regions", "pale blank areas"),
        "gray": ("gray", "grey regions", "ash or silver areas"),
        "circle": ("circles", "round discs", "circular shapes"),
        "square": ("squares", "square boxes", "four equal sides"),
        "triangle": ("triangles", "three-sided shapes", "pyramid-like wedges"),
        "star": ("stars", "star shapes", "five-pointed stars"),
        "hexagon": ("hexagons", "six-sided shapes", "honeycomb cells"),
        "cross": ("crosses", "plus signs", "cross shapes"),
        "ring": ("rings", "hollow circles", "donut shapes"),
        "oval": ("ovals", "ellipses", "egg shapes"),
        "rectangle": ("rectangles", "oblong boxes", "long bars"),
        "horizontal_stripes": ("horizontal stripes", "horizontally striped background",
                               "bands running left to right"),
        "vertical_stripes": ("vertical stripes", "vertically striped background",
                             "bands running top to bottom"),
        "diagonal_stripes": ("diagonal stripes", "diagonally striped background",
                             "slanted bands"),
        "checkerboard": ("checkerboard", "chessboard pattern", "checkered tiles"),
        "dots": ("polka dots", "dotted background", "spotted pattern"),
        "grid": ("grid of lines", "graph paper lines", "lattice of thin lines"),
        "noise": ("noise texture", "grainy static", "speckled grain"),
        "gradient": ("colour gradient", "smooth fade of colour", "shading from one colour "
                     "to another"),
        "many_objects": ("many objects", "crowded cluttered scene", "lots of shapes"),
        "single_object": ("exactly one object", "a lone shape", "a single item by itself"),
        "left": ("objects on the left", "left side of the image", "left half"),
        "right": ("objects on the right", "right side of the image", "right half"),
        "top": ("objects at the top", "top of the image", "upper part"),
        "bottom": ("objects at the bottom", "bottom of the image", "lower part"),
        "text": ("written text", "letters and words", "printed writing"),
        # concepts the agent's tools do not expose (the hidden suites)
        "three_objects": ("exactly three objects", "a trio of shapes", "three items"),
        "warm_objects": ("warm-coloured objects", "shapes in warm colours like red and "
                         "orange", "fiery hues"),
        "dark_objects": ("dark objects", "dark-coloured shapes", "shapes in dark shades",
                         "objects darker than the background"),
        "centre_objects": ("objects in the centre", "shapes in the middle of the image",
                           "centred items", "near the centre of the image"),
        "large_objects": ("large objects", "big shapes", "shapes filling much of the image"),
        "colour_twins": ("two objects of the same colour", "matching colours", "same-coloured "
                         "pair of shapes", "sharing their colour with another object"),
        # hidden concepts that no evidence tool was designed against (the unseen suites)
        "two_objects": ("exactly two objects", "a pair of shapes", "two items"),
        "small_objects": ("small objects", "small", "little or tiny shapes"),
        "light_objects": ("light objects", "pale shapes on a dark background",
                          "objects lighter than the background"),
        "corner_objects": ("objects in the corners", "shapes near a corner of the image",
                           "corner items"),
        # hidden concepts chosen without reading the evidence tools (the blind suites); worded
        # away from the phrases of every other concept ("with another object", "pictures")
        "level_objects": ("objects level with another object", "shapes at the same height as "
                          "another shape", "two shapes at one height"),
        "close_objects": ("shapes close together", "close beside another shape",
                          "tightly spaced pairs of shapes"),
        "largest_object": ("the largest object", "the biggest object",
                           "the object larger than all the others"),
        "shape_twins": ("objects of a matching shape", "shapes that appear more than once",
                        "the same shape appearing twice"),
        # the opposites of layout concepts, which a sentence embedder reads as near the
        # concept itself ("brighter than" vs "darker than the background"): no unit fires on
        # these, so a description that names one is not a description of the concept. (Not
        # for "near the centre": MiniLM puts "far from the centre" closer to it than to any
        # phrasing of its opposite.)
        "opposite:dark_objects": ("brighter than the background", "objects paler than what "
                                  "is behind them", "bright shapes on a dark ground"),
        "opposite:colour_twins": ("share no colour with another object", "every object a "
                                  "different colour", "no two objects of the same colour"),
    },
    "text": {
        "animals": ("animals", "animal names", "creatures and beasts"),
        "food": ("food", "things to eat", "dishes and ingredients"),
        "colours": ("colour words", "names of colours", "hues"),
        "family": ("family members", "relatives", "kinship terms"),
        "body": ("body parts", "parts of the human body", "anatomy"),
        "vehicles": ("vehicles", "cars and trucks", "means of transport"),
        "places": ("countries and cities", "place names", "geographic locations"),
        "emotions_positive": ("positive emotions", "happy feelings", "joy and delight"),
        "emotions_negative": ("negative emotions", "sad or angry feelings",
                              "fear and sorrow"),
        "music": ("music", "musical instruments and songs", "melody and rhythm"),
        "clothing": ("clothing", "garments", "things to wear"),
        "professions": ("professions", "jobs and occupations", "workers"),
        "days_months": ("weekdays and months", "days of the week", "calendar months"),
        "number_words": ("numbers spelled out as words", "counting words",
                         "one two three"),
        "science": ("science", "scientific terms", "physics chemistry biology"),
        "law": ("law", "legal terms", "courts and lawyers"),
        "religion": ("religion", "religious terms", "faith and worship"),
        "technology": ("technology", "computers and software", "gadgets"),
        "civic": ("government and elections", "politics", "voting and parliament"),
        "numbers": ("digits", "numerals", "numbers in figures"),
        "years": ("years", "four-digit years", "calendar years"),
        "times": ("times of day", "clock times", "hours and minutes"),
        "prices": ("prices", "amounts of money", "costs in dollars"),
        "urls": ("web addresses", "URLs", "website links"),
        "emails": ("email addresses", "e-mail", "mail addresses with an at sign"),
        "all_caps": ("capital letters", "uppercase words", "shouting in caps"),
        "questions": ("questions", "interrogative sentences", "asking something"),
        "negation": ("negation", "not no never", "negative particles"),
        "first_person": ("first-person pronouns", "I me my we", "speaker referring to "
                         "themselves"),
        "quotations": ("quotations", "quoted speech", "text in quotation marks"),
        "code": ("programming code", "source code", "function calls and brackets"),
        "sports": ("sports", "athletes and games", "matches and tournaments"),
        "medicine": ("medicine", "health care", "doctors and treatment"),
        "weather": ("weather", "rain and sunshine", "forecasts and storms"),
        "cooking": ("cooking", "recipes", "baking and frying"),
        "pets": ("pets", "household pets", "dogs cats and hamsters"),
        "cats": ("cats", "the word cat", "felines"),
        # concepts the agent's tools do not expose (the hidden suites)
        "double_letters": ("words with a double letter", "doubled letters", "repeated letters "
                           "like in coffee"),
        "palindromes": ("palindromes", "words that read the same backwards", "level, dad"),
        "past_tense": ("past tense verbs", "things that already happened", "verbs ending in "
                       "-ed", "-ed forms"),
        "long_words": ("long words", "words with many letters", "lengthy words",
                       "of 11 letters or more"),
        "title_case_inside": ("capitalised words inside a sentence", "title-case words",
                              "proper nouns mid-sentence"),
        "large_numbers": ("large numbers", "big numbers in the thousands", "numbers over a "
                          "thousand", "numbers of 100 or more", "of 100 or more"),
        # hidden concepts that no evidence tool was designed against (the unseen suites)
        "vowel_initial": ("words beginning with a vowel", "words starting with a, e, i, o or u",
                          "vowel-initial words", "a vowel"),
        "ing_forms": ("words ending in -ing", "-ing forms", "gerunds and present participles"),
        "short_words": ("short words", "of 3 letters or fewer", "tiny words like the and is"),
        "ly_words": ("words ending in -ly", "-ly adverbs", "adverbs like quickly"),
        # hidden concepts chosen without reading the evidence tools (the blind suites); worded
        # away from the phrases of every other concept ("spelt", "contains words", "first word")
        "x_words": ("the letter x in a word", "x as one of its letters", "the letter x"),
        # no bare "comma": "speech between inverted commas" must still name quotations
        "after_comma": ("the word just after a comma break", "words coming after a comma in "
                        "a list", "a word that a comma precedes"),
        # "a vowel" (vowel_initial) keeps the bare "vowel" of "beginning with a vowel" from
        # naming this one
        "no_vowel_words": ("no vowel letters", "vowelless", "no vowels"),
        "wh_words": ("beginning with wh", "starting with wh", "wh-initial"),
    },
}
