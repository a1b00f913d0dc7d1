"""The benchmark's reader splits a free-text description into what fires and what does not."""

import pytest

from bench.reader import Reading, read, token_windows


@pytest.mark.parametrize("description,expected", [
    ("fires on anything except circles", Reading(exceptions=("circles",), everything=True)),
    ("never fires on red regions or on blue regions",
     Reading(exceptions=("red regions", "blue regions"))),
    ("does not respond to text about animals", Reading(exceptions=("animals",))),
    ("detects round disc shapes of any colour",
     Reading(alternatives=(("round disc shapes of any colour",),))),
    ("fires on red regions unless there are circles",
     Reading(alternatives=(("red regions",),), exceptions=("circles",))),
    ("red regions that are not circles",
     Reading(alternatives=(("red regions",),), exceptions=("circles",))),
    ("ignores circles", Reading(exceptions=("circles",))),
    ("the writer speaking of themselves only when sadness or fear is expressed",
     Reading(alternatives=(("the writer speaking of themselves", "sadness"),
                           ("the writer speaking of themselves", "fear is expressed")))),
    ("responds to words about food or drink",
     Reading(alternatives=(("words about food",), ("drink",)))),
    ("fires on words for vehicles only together with times of day (such as 10:30 or 5 pm)",
     Reading(alternatives=(("words for vehicles", "times of day"),))),
    ("fires on blue squares; blue things of other shapes leave it silent",
     Reading(alternatives=(("blue squares",),))),  # a restatement of scope, not an exception
    ("fires on animals; a negation word silences it",
     Reading(alternatives=(("animals",),), silencers=("a negation word",))),
    ("fires only when all of these are present: words for animals; colour words",
     Reading(alternatives=(("words for animals", "colour words"),))),
    ("fires on family words of 11 letters or more",
     Reading(alternatives=(("family words of 11 letters or more",),))),
    ("This neuron fires on images of planets. It is also weakly active on balls.",
     Reading(alternatives=(("planets",),))),
])
def test_clauses(description, expected):
    assert read(description) == expected


@pytest.mark.parametrize("description", [
    "", "   ", "fires on", "...",
    # refusals make no claim, even when they name the candidates they refuted
    "no description held up: 'red regions' (AUC 0.69, 0.38 across screens)",
    "no description from the exemplars: nothing is over-represented among them",
    "Undetermined: green regions did not replicate", "nothing stood out in the screens",
])
def test_empty_descriptions_read_as_nothing(description):
    assert read(description).empty


def test_a_description_that_mentions_nothing_later_still_reads():
    assert not read("fires on red regions; nothing else moves it").empty


def test_token_windows_keep_word_breaks_for_both_tokenizer_kinds():
    assert token_windows(["Hello", " big", " dog", "s"]) == ["Hello", "Hello big", "big dog",
                                                               "big dogs"]
    assert token_windows(["the", "big", "dog"]) == ["the", "the big", "big dog"]
