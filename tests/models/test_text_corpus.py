"""Tests of the offline text corpus, concept-controlled texts and text-file loading."""

from __future__ import annotations

import numpy as np
import pytest

from models.concepts.text import TEXT_CONCEPTS, text_concept_scores
from models.errors import ModelsError, StimulusError
from models.stimuli.texts import (
    LEXICONS,
    concept_names,
    corpus,
    plural,
    realize,
    sentences_with,
    texts_from_file,
)


def test_corpus_is_deterministic_in_its_seed() -> None:
    assert corpus(300, seed=4) == corpus(300, seed=4)
    assert corpus(300, seed=4) != corpus(300, seed=5)


def test_corpus_texts_are_distinct_and_short() -> None:
    texts = corpus(2000, seed=0)
    assert len(texts) == 2000
    assert len(set(texts)) >= 0.9 * len(texts)
    lengths = [len(t.split()) for t in texts]
    assert min(lengths) >= 5 and max(lengths) <= 40


def test_corpus_covers_every_lexicon_and_pattern_concept() -> None:
    texts = corpus(2000, seed=0)
    from models.concepts.lexicons import SUBLEXICON_PARENT

    # narrower lexicons (pets, cats) sit inside a broad one that the corpus covers; the
    # corpus draws from the broad concepts only
    names = [n for n, c in TEXT_CONCEPTS.items() if c.category != "semantic"
             and n not in SUBLEXICON_PARENT]
    scores, _ = text_concept_scores(names, texts)
    share = (scores.max(axis=2) >= 0.5).mean(axis=0)
    rare = {n: float(s) for n, s in zip(names, share, strict=True) if s < 0.01}
    assert not rare, f"concepts in under 1% of the corpus: {rare}"


def test_lexicons_are_many_disjoint_lowercase_single_words() -> None:
    assert len(LEXICONS) >= 15
    seen: dict[str, str] = {}
    for category, words in LEXICONS.items():
        assert len(words) >= 15, category
        for word in words:
            assert word == word.lower() and word.isalpha(), word
            assert word not in seen, f"{word!r} is in both {seen.get(word)} and {category}"
            seen[word] = category


def test_plural_applies_the_suffix_rules_and_irregular_forms() -> None:
    assert [plural(w) for w in ["fox", "cherry", "mouse", "potato", "dog", "day"]] == [
        "foxes",
        "cherries",
        "mice",
        "potatoes",
        "dogs",
        "days",
    ]


def test_every_text_concept_can_be_written() -> None:
    assert set(concept_names()) == set(TEXT_CONCEPTS)


@pytest.mark.parametrize(
    ("include", "exclude"),
    [
        (["animals", "colours"], ["negation"]),
        (["questions"], ["first_person", "numbers"]),
        (["prices", "food"], ["questions", "all_caps"]),
        ([], ["animals", "numbers", "questions"]),
        (["urls", "code"], ["emails"]),
        (["weather"], ["places", "sports"]),
        (["sports", "first_person"], ["negation"]),
    ],
)
def test_sentences_with_contains_every_included_and_no_excluded_concept(
    include: list[str], exclude: list[str]
) -> None:
    texts = sentences_with(include, exclude, n=12, seed=91)
    assert len(texts) == 12 and len(set(texts)) == 12
    scores, _ = text_concept_scores([*include, *exclude], texts)
    presence = scores.max(axis=2)
    assert (presence[:, : len(include)] >= 0.6).all()
    assert (presence[:, len(include) :] < 0.4).all()


def test_sentences_with_is_deterministic_in_its_seed() -> None:
    first = sentences_with(["family"], ["places"], n=6, seed=3)
    assert first == sentences_with(["family"], ["places"], n=6, seed=3)
    assert first != sentences_with(["family"], ["places"], n=6, seed=4)


def test_sentences_with_rejects_unknown_and_contradictory_concepts() -> None:
    with pytest.raises(ModelsError, match="unknown text concept 'dragons'"):
        sentences_with(["dragons"], [], n=2, seed=0)
    with pytest.raises(ModelsError, match="both included and excluded"):
        sentences_with(["animals"], ["animals"], n=2, seed=0)


def test_sentences_with_reports_an_impossible_combination() -> None:
    # A price is always written with digits, so prices without numbers cannot be found.
    with pytest.raises(ModelsError, match="contradictory"):
        sentences_with(["prices"], ["numbers"], n=2, seed=0)


def test_realized_sentences_express_their_concept() -> None:
    import random

    rng = random.Random(2024)
    from models.concepts.lexicons import SUBLEXICON_PARENT

    # narrower lexicons (pets, cats) sit inside a broad one that the corpus covers; the
    # corpus draws from the broad concepts only
    names = [n for n, c in TEXT_CONCEPTS.items() if c.category != "semantic"
             and n not in SUBLEXICON_PARENT]
    texts = [realize(name, rng) for name in names for _ in range(10)]
    scores, _ = text_concept_scores(names, texts)
    own = np.array([scores[i, i // 10].max() for i in range(len(texts))])
    assert (own == 1.0).all(), [texts[i] for i in np.flatnonzero(own < 1.0)]


def test_texts_from_file_reads_one_text_per_line(tmp_path) -> None:
    path = tmp_path / "lines.txt"
    path.write_text("first text\nsecond text\nthird text\n", encoding="utf-8")
    assert texts_from_file(path) == ["first text", "second text", "third text"]
    assert texts_from_file(path, limit=2) == ["first text", "second text"]


def test_texts_from_file_reads_paragraphs_when_blank_lines_separate_them(tmp_path) -> None:
    path = tmp_path / "paragraphs.txt"
    path.write_text("one line\nand its next\n\nanother paragraph\n", encoding="utf-8")
    assert texts_from_file(path) == ["one line and its next", "another paragraph"]


def test_texts_from_file_explains_missing_empty_and_oversized_files(tmp_path) -> None:
    with pytest.raises(StimulusError, match="no text file"):
        texts_from_file(tmp_path / "absent.txt")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n", encoding="utf-8")
    with pytest.raises(StimulusError, match="holds no text"):
        texts_from_file(empty)
    big = tmp_path / "big.txt"
    big.write_text("x" * 5000, encoding="utf-8")
    with pytest.raises(StimulusError, match="over the limit"):
        texts_from_file(big)
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(StimulusError, match="UTF-8"):
        texts_from_file(binary)
