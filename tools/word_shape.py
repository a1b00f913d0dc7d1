"""The shape of a word as open evidence: its length, its first letter and its ending, each
measured against the corpus's base rate at every cut, not at a few cuts chosen in advance.

Evidence side (`length_lifts`, `initial_lifts`, `ending_lifts`): where a unit fires, which
lengths ("3 letters or fewer", "11 letters or more"), first letters and endings (of two or
three letters) are over-represented against a random sample of the same corpus. First letters
are reported as evidence but offered to no policy as a description: a set of letters chosen
to cover most firing words, then tested on the same exemplars, ranked first on five of seven
units of the blind suite that none of them described, and predicted held-out activations worse
than the one-shot control did. Reading side
(`shape_test`): a description that names such a property in plain words ("short words of 3
letters or fewer", "words beginning with 'a', 'e' or 'o'", "words ending in '-ly'") becomes a
test on a word, so `rank_descriptions` can check it on the firing word the way it checks the
named surface features; a sentence embedder sees none of these.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable

#: Longest word length a length cut considers.
MAX_LENGTH = 16
#: A length cut or a set of first letters is reported only when it covers at least this share
#: of the firing words (a description claims it of most of them).
MIN_SHARE = 0.6
VOWELS = frozenset("aeiou")


def letters(word: str) -> str:
    """A word's letters, lower case ("Don't" -> "dont")."""
    return re.sub(r"[^a-z]", "", word.lower())


def _row(item: str, count: int, total: int, base: int, base_total: int) -> dict:
    share = count / max(total, 1)
    lift = (count + 0.5) / (total + 1) / ((base + 0.5) / (base_total + 1))
    return {"item": item, "count": count, "share": round(share, 4),
            "base_share": round(base / max(base_total, 1), 5), "lift": round(lift, 2)}


def _strength(row: dict) -> float:
    return row["share"] * math.log(max(row["lift"], 1.0))


def length_lifts(firing: Iterable[str], base: Iterable[str]) -> list[dict]:
    """The best length cut each way: "N letters or fewer" and "N letters or more", where the
    firing words' share at the cut, weighted by its log lift over the base rate, is highest
    among cuts that cover at least MIN_SHARE of the firing words."""
    fired = [len(w) for w in (letters(w) for w in firing) if w]
    sample = [len(w) for w in (letters(w) for w in base) if w]
    if not fired or not sample:
        return []
    rows = []
    for test, label in ((lambda n, cut: n <= cut, "{} letters or fewer"),
                        (lambda n, cut: n >= cut, "{} letters or more")):
        cuts = [_row(label.format(cut), sum(test(n, cut) for n in fired), len(fired),
                     sum(test(n, cut) for n in sample), len(sample))
                for cut in range(1, MAX_LENGTH + 1)]
        cuts = [r for r in cuts if r["share"] >= MIN_SHARE and r["lift"] > 1.5]
        if cuts:
            rows.append(max(cuts, key=_strength))
    return sorted(rows, key=lambda r: -_strength(r))


def initial_lifts(firing: Iterable[str], base: Iterable[str], limit: int = 6) -> list[dict]:
    """First letters over-represented among the firing words (one row per letter)."""
    fired = Counter(w[0] for w in (letters(w) for w in firing) if w)
    sample = Counter(w[0] for w in (letters(w) for w in base) if w)
    total, base_total = sum(fired.values()), sum(sample.values())
    rows = [_row(letter, count, total, sample.get(letter, 0), base_total)
            for letter, count in fired.items() if count >= 2]
    rows = [r for r in rows if r["lift"] > 1.5]
    return sorted(rows, key=lambda r: -_strength(r))[:limit]


def initial_set(rows: list[dict], min_share: float = MIN_SHARE) -> list[dict]:
    """The fewest over-represented first letters (strongest first, at most five) that together
    cover `min_share` of the firing words; [] when none do."""
    chosen, share = [], 0.0
    for row in rows[:5]:
        chosen.append(row)
        share += row["share"]
        if share >= min_share:
            return chosen
    return []


def ending_lifts(firing: Iterable[str], base: Iterable[str], limit: int = 6) -> list[dict]:
    """Two- and three-letter endings over-represented among the firing words (of four letters
    or more, so that an ending is not the whole word)."""
    def endings(words: Iterable[str]) -> Counter:
        found: Counter = Counter()
        for word in (letters(w) for w in words):
            if len(word) >= 4:
                found.update({word[-2:], word[-3:]})
        return found

    firing, base = list(firing), list(base)
    fired, sample = endings(firing), endings(base)
    total = sum(1 for w in firing if letters(w))
    base_total = sum(1 for w in base if letters(w))
    rows = [_row(ending, count, total, sample.get(ending, 0), base_total)
            for ending, count in fired.items() if count >= 3]
    rows = [r for r in rows if r["lift"] > 1.5]
    rows.sort(key=lambda r: -_strength(r))
    # of an ending and its longer form ("-ng" and "-ing", "-ly" and "-lly") keep one: the
    # longer where it covers nearly every word the shorter does, else the shorter
    kept: list[dict] = []
    for row in rows:
        related = [k for k in kept if k["item"].endswith(row["item"])
                   or row["item"].endswith(k["item"])]
        if not related:
            kept.append(row)
            continue
        other = related[0]
        longer, shorter = (row, other) if len(row["item"]) > len(other["item"]) else (
            other, row)
        best = longer if longer["share"] >= 0.9 * shorter["share"] else shorter
        kept[kept.index(other)] = best
    return kept[:limit]


def letters_phrase(rows: list[dict]) -> str:
    """"'a', 'e' or 'o'" for the rows' letters."""
    quoted = [f"'{r['item']}'" for r in rows]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def length_phrase(row: dict) -> str:
    """A length cut as a description ("short words of 3 letters or fewer")."""
    return ("short words of " if row["item"].endswith("fewer") else "long words of ") + row[
        "item"]


# -- reading a description ------------------------------------------------------------------

_QUOTED = r"'-?([a-z]{1,4})'|\"-?([a-z]{1,4})\"|-([a-z]{1,4})\b"
_FEWER = re.compile(r"\b(\d{1,2}) letters? or (?:fewer|less)\b|\b(?:at most|up to|no more "
                    r"than) (\d{1,2}) letters?\b")
_MORE = re.compile(r"\b(\d{1,2}) letters? or (?:more|longer)\b|\b(?:at least|more than) "
                   r"(\d{1,2}) letters?\b|\b(\d{1,2})\+ letters?\b")
_ENDING = re.compile(r"\b(?:ending|end|ends) (?:in|with) ((?:(?:" + _QUOTED + r")"
                     r"(?:,? (?:or )?)?)+)")
_BEGINNING = re.compile(r"\b(?:beginning|starting|begin|start|begins|starts) with "
                        r"(a vowel|a consonant|(?:(?:'[a-z]'|\"[a-z]\"|the letter [a-z]\b)"
                        r"(?:,? (?:or |and )?)?)+)")


def _pieces(text: str) -> set[str]:
    return {a or b or c for a, b, c in re.findall(_QUOTED, text)}


def shape_test(claim: str) -> Callable[[str], bool] | None:
    """A test on a word for the word-shape properties a claim names in plain words, all of
    which must hold (a composition's category is left to the embedder); None when it names
    none."""
    text = claim.lower()
    tests: list[Callable[[str], bool]] = []
    for match in _FEWER.finditer(text):
        cut = int(next(g for g in match.groups() if g))
        tests.append(lambda w, cut=cut: 0 < len(w) <= cut)
    for match in _MORE.finditer(text):
        cut = int(next(g for g in match.groups() if g))
        tests.append(lambda w, cut=cut: len(w) >= cut)
    for match in _ENDING.finditer(text):
        ends = tuple(_pieces(match.group(1)))
        if ends:
            tests.append(lambda w, ends=ends: any(len(w) > len(e) and w.endswith(e)
                                                  for e in ends))
    for match in _BEGINNING.finditer(text):
        spec = match.group(1)
        if spec == "a vowel":
            firsts = VOWELS
        elif spec == "a consonant":
            firsts = frozenset("bcdfghjklmnpqrstvwxyz")
        else:
            firsts = frozenset(a or b or c for a, b, c in re.findall(
                r"'([a-z])'|\"([a-z])\"|letter ([a-z])", spec))
        if firsts:
            tests.append(lambda w, firsts=firsts: w[:1] in firsts)
    if not tests:
        return None
    return lambda word: bool(letters(word)) and all(t(letters(word)) for t in tests)
