"""Word shape as open evidence: length cuts, first letters and endings against a base rate,
and descriptions that name them read as tests on a word."""

from __future__ import annotations

import pytest

from tools.word_shape import (
    ending_lifts,
    initial_lifts,
    initial_set,
    length_lifts,
    length_phrase,
    shape_test,
)

BASE = ("the harbour master walked slowly along the quay while seven fishermen mended "
        "their nets and talked about yesterday's enormous catch of mackerel").split() * 4


@pytest.mark.parametrize("claim, yes, no", [
    ("short words of 3 letters or fewer", ["the", "cat", "a"], ["house", ""]),
    ("long words of 11 letters or more", ["grandmother"], ["mother"]),
    ("words of at most 4 letters", ["word"], ["words"]),
    ("words ending in '-ly'", ["quickly", "only"], ["ly", "table"]),
    ("words ending in '-ing' or '-ed'", ["running", "walked"], ["tree", "ing"]),
    ("words for cooking ending in '-ing', such as frying", ["frying"], ["fried"]),
    ("words beginning with 'a', 'e' or 'o'", ["Apple", "owl"], ["under", "cat"]),
    ("words beginning with a vowel", ["island"], ["bee"]),
])
def test_a_claim_naming_a_word_shape_tests_words(claim, yes, no):
    test = shape_test(claim)
    assert test is not None
    assert all(test(w) for w in yes) and not any(test(w) for w in no)


def test_a_claim_naming_no_word_shape_gives_no_test():
    assert shape_test("words for animals") is None
    assert shape_test("capitalised words inside a sentence") is None


def test_the_length_cut_is_found_at_the_firing_words_own_length():
    short = ["the", "is", "cat", "on", "a", "was", "his", "it", "of", "to"]
    rows = {r["item"]: r for r in length_lifts(short, BASE)}
    assert "3 letters or fewer" in rows and rows["3 letters or fewer"]["share"] == 1.0
    assert length_phrase(rows["3 letters or fewer"]) == "short words of 3 letters or fewer"
    long = ["grandmother", "extraordinary", "congratulations", "granddaughter"]
    assert [r["item"] for r in length_lifts(long, BASE)] == ["11 letters or more"]


def test_endings_keep_the_longer_form_only_where_it_covers_the_shorter():
    ing = ["running", "singing", "morning", "bring", "moving", "reading"]
    assert [r["item"] for r in ending_lifts(ing, BASE)][:1] == ["ing"]
    assert "ng" not in [r["item"] for r in ending_lifts(ing, BASE)]
    ly = ["quickly", "really", "early", "lovely", "only", "daily"]
    assert [r["item"] for r in ending_lifts(ly, BASE)][:1] == ["ly"]


def test_first_letters_are_gathered_until_they_cover_most_firing_words():
    vowels = ["apple", "every", "island", "orange", "under", "owl", "egg", "ant", "ink", "oak"]
    rows = initial_lifts(vowels, BASE)
    chosen = {r["item"] for r in initial_set(rows)}
    assert chosen <= set("aeiou") and len(chosen) >= 3
    assert initial_set(initial_lifts(["cat", "dog", "hen", "pig"], BASE)) == []
