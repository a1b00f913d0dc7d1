"""Naming groups of words with WordNet: which categories (hypernyms such as "relative" or
"feline", and lexicographer classes such as "food") the words where a unit fires share more than
words at random do. This gives the agent's descriptions words that no concept vocabulary holds.

WordNet 3.0 (Princeton; Miller 1995) comes from Debian's `wordnet-base` package (installed by
`python -m models.natural install`) and is read with NLTK's reader. Without it, `categories`
returns nothing and says so once in the log.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import warnings
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from models.natural.text_readers import WORDNET_LEXNAMES
from models.settings import models_settings

log = logging.getLogger(__name__)

#: Where Debian puts WordNet's database; WORDNET_DIR overrides it.
SYSTEM_DIR = Path("/usr/share/wordnet")
#: Hypernyms this close to the root say nothing ("entity", "object", "abstraction").
MIN_DEPTH = 4
#: Senses of a word considered (WordNet orders them by frequency).
SENSES = 2


class Category(BaseModel):
    """A WordNet category shared by words where a unit fires, against its base rate."""

    name: str  # e.g. "relative"
    definition: str
    synset: str = ""  # WordNet's id ("relative.n.01"), or "lex:<class>" (`in_category`)
    members: list[str]  # firing words in it, most frequent first
    share: float  # of firing words
    base_share: float  # of words in a random sample
    lift: float


@lru_cache(maxsize=1)
def reader() -> Any | None:
    """NLTK's WordNet reader over the system database, or None when it is not installed.

    NLTK expects a `lexnames` file Debian does not ship, and reads only files under its root
    (it refuses symbolic and hard links): a folder in the cache holds a copy of the database
    (28 MB, made once) and the `lexnames` file.
    """
    source = Path(os.environ.get("WORDNET_DIR", SYSTEM_DIR))
    if not (source / "data.noun").exists():
        log.warning("WordNet not found at %s: install it with `python -m models.natural "
                    "install` (Debian package wordnet-base) or set WORDNET_DIR", source)
        return None
    import nltk
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    folder = models_settings().cache / "wordnet"
    folder.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        target = folder / item.name
        if not target.exists():
            tmp = folder / f"{item.name}.{os.getpid()}"
            shutil.copyfile(item, tmp)
            tmp.replace(target)
    lexnames = folder / "lexnames"
    if not lexnames.exists():
        tmp = folder / f"lexnames.{os.getpid()}"
        tmp.write_text("".join(f"{i:02d}\t{name}\t{_POS_NUMBER[name.split('.')[0]]}\n"
                               for i, name in enumerate(WORDNET_LEXNAMES)))
        tmp.replace(lexnames)
    if str(folder.parent) not in nltk.data.path:  # NLTK reads only under its data paths
        nltk.data.path.append(str(folder.parent))

    class Reader(WordNetCorpusReader):
        def map_wn(self, version: str = "wordnet") -> None:
            """No mapping to NLTK's own WordNet copy (only multilingual data needs it)."""
            return None

    with warnings.catch_warnings():  # "multilingual functions are not available": not used
        warnings.simplefilter("ignore", UserWarning)
        return Reader(str(folder), None)


_POS_NUMBER = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}


#: Present-tense forms in WordNet's verb exception list (every other entry not ending in -s
#: or -ing is a past form or a past participle).
_PRESENT_EXCEPTIONS = frozenset({"am", "are", "is", "has"})


@lru_cache(maxsize=20000)
def past_tense_form(word: str) -> bool:
    """Whether a word is a past verb form: an irregular one from WordNet's exception list
    (went, felt, was), a regular -ed form of a verb WordNet knows (painted), or an -ed
    adjective that is no noun (ashamed, scared). Past participles count too; WordNet does not
    tell them apart."""
    wn = reader()
    lowered = word.lower()
    if wn is None or not lowered.isalpha() or len(lowered) < 3:
        return False
    irregular = wn._exception_map["v"]  # noqa: SLF001 (NLTK keeps verb.exc only here)
    if lowered in irregular:
        bases = [b for b in irregular[lowered] if b != lowered]  # "red red", "bed bed"
        return bool(bases) and lowered not in _PRESENT_EXCEPTIONS and (
            lowered == "was" or not lowered.endswith(("s", "ing")))
    if not lowered.endswith("ed") or len(lowered) < 5:
        return False
    lemma = wn.morphy(lowered, "v")
    if lemma is not None and lemma != lowered:
        return True
    return bool(wn.synsets(lowered, "a")) and not wn.synsets(lowered, "n")


@lru_cache(maxsize=20000)
def _ancestors(word: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(hypernym synset names at depth >= MIN_DEPTH, lexicographer classes) of a word's first
    noun senses; empty for words WordNet does not know as nouns."""
    wn = reader()
    if wn is None or not word.isalpha() or len(word) < 3:
        return (), ()
    lemma = wn.morphy(word, "n")
    if lemma is None:
        return (), ()
    names, classes = set(), set()
    for synset in wn.synsets(lemma, "n")[:SENSES]:
        classes.add(synset.lexname().split(".", 1)[1])
        for path in synset.hypernym_paths():
            names.update(s.name() for s in path[MIN_DEPTH:])
    return tuple(sorted(names)), tuple(sorted(classes - {"Tops"}))


def in_category(word: str, synset: str) -> bool:
    """Whether WordNet puts a word (its first noun senses) under a category `synset` ("relative.n.01",
    or "lex:food" for a lexicographer class), as `categories` counts it."""
    names, classes = _ancestors(word.lower())
    return synset[4:] in classes if synset.startswith("lex:") else synset in names


def categories(firing_words: Iterable[str], base_words: Iterable[str],
               limit: int = 5) -> list[Category]:
    """The WordNet categories over-represented among `firing_words` (one entry per firing
    position) against `base_words` (a random sample's words), best first.

    A category's score is share x log(lift): it must cover many firing words and be rare at
    random, which favours "relative" over "person" for grandfather, aunt and niece.
    """
    wn = reader()
    if wn is None:
        return []
    firing = [w.lower() for w in firing_words if w]
    base = [w.lower() for w in base_words if w]
    counts, members, base_counts = Counter(), {}, Counter()
    for word in firing:
        names, classes = _ancestors(word)
        for name in (*names, *(f"lex:{c}" for c in classes)):
            counts[name] += 1
            members.setdefault(name, Counter())[word] += 1
    for word in base:
        names, classes = _ancestors(word)
        base_counts.update((*names, *(f"lex:{c}" for c in classes)))
    total, base_total = max(len(firing), 1), max(len(base), 1)
    rows = []
    for name, count in counts.items():
        if count < 2 or len(members[name]) < 2:  # one repeated word is a token, not a category
            continue
        share, base_share = count / total, base_counts[name] / base_total
        lift = ((count + 0.5) / (total + 1)) / ((base_counts[name] + 0.5) / (base_total + 1))
        if lift <= 2:
            continue
        if name.startswith("lex:"):
            label, definition = name[4:], f"WordNet's class of {name[4:]} nouns"
        else:
            synset = wn.synset(name)
            label = synset.lemmas()[0].name().replace("_", " ")
            definition = synset.definition()
        rows.append(Category(name=label, definition=definition, synset=name,
                             members=[w for w, _ in members[name].most_common(6)],
                             share=round(share, 3), base_share=round(base_share, 4),
                             lift=round(lift, 2)))
    rows.sort(key=lambda r: -(r.share * math.log(r.lift)))
    kept: list[Category] = []
    for row in rows:  # drop a category named like, or covering no more than, a better one
        if any(row.name == k.name or (set(row.members) <= set(k.members)
                                      and row.share <= k.share) for k in kept):
            continue
        kept.append(row)
    return kept[:limit]
