"""Hidden text concepts: per-token detectors that no tool exposes and no vocabulary lists.

They are word-form, grammar and language properties that the concept vocabulary cannot name
(French words, double letters, palindromes, past tense, long words, capitalised words inside a
sentence, words for times of day, numbers of 100 or more, rhyming sentence endings); and, for
the `unseen` units that no evidence tool was designed or tuned against, words that begin with a
vowel, -ing words, short words and -ly words; and, for the `blind` units, whose concepts were
chosen without reading the evidence tools at all, words spelt with an x, the word right after a
comma, words with no vowel letter and words that begin with wh. Each returns 1 on the tokens
(as `models.concepts.text.tokenize` cuts them) that have the property.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from models.concepts.text import sentence_spans, token_spans
from models.stimuli_io import check_texts

# Common words of the French language whose spelling is not also a common English word
# ("chat", "pain", "son", "on", "coin", "chose", "pour", "grand", "encore" and the like are left
# out), in lowercase, with and without accents where English text often drops them.
# fmt: off
FRENCH_WORDS: frozenset[str] = frozenset("""
le la les une des du au aux et est sont avec dans sur chez entre je tu il elle nous vous ils
elles moi toi lui leur leurs ma mes ta tes notre votre nos vos cette ces qui quoi quand
comment pourquoi parce mais donc alors aussi très tres beaucoup toujours jamais rien tout
tous toute toutes peu trop bien ici voilà déjà deja maintenant aujourd hui demain hier oui
merci bonjour bonsoir salut revoir plaît plait être etre avoir faire aller venir voir
savoir pouvoir vouloir dire maison chien eau lait fromage pomme jour nuit matin soir homme
femme enfant enfants ami amie amis amour monde ville école ecole livre voiture petit grande
beau belle nouveau nouvelle vieux vieille rouge bleu vert noir blanc jaune mère mere père
pere frère frere sœur soeur fille bonheur fête fete boulangerie baguette croissant crêpe
crêpes année annee semaine heure heures bonne bon mademoiselle madame monsieur messieurs
""".split())
# fmt: on


# Words ending in -ed that are not verb forms.
_NOT_PAST = frozenset("""
bed red shed sled need seed feed speed weed breed bleed greed steed reed deed creed tweed
indeed proceed exceed succeed hundred sacred naked wicked kindred embed fred ted
""".split())


# Common irregular past-tense forms (simple past, not the present that shares a spelling).
IRREGULAR_PAST: frozenset[str] = frozenset("""
went saw ate ran took came gave made said felt found got had did was were knew thought told
wrote bought brought sat stood left kept slept met sold held spent sent built lost paid won
began drank sang swam rang flew drew grew threw wore tore broke spoke chose froze drove rode
rose woke hid bit fell became forgot understood taught caught fought led fed fled hung struck
stuck shook laid meant heard dealt swore swept wept bent lent dug spun sank stole forgave
""".split())


TIME_OF_DAY_WORDS: frozenset[str] = frozenset("""
morning mornings afternoon afternoons evening evenings night nights tonight midnight noon
midday dawn dusk sunrise sunset twilight daybreak nighttime daytime overnight
""".split())


#: Letters at least this many make a long word.
LONG_WORD = 11


#: Letters at most this many make a short word ("the", "cat", "is", "a").
SHORT_WORD = 3


_VOWELS = frozenset("aeiou")


_WORD = re.compile(r"^[^\W\d_]+$")


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


_VOWEL_GROUP = re.compile(r"[aeiouy]+")


def _per_token(test: Callable[[str], bool]) -> Callable[[str, list[tuple[int, int]]], list[int]]:
    def detect(text: str, spans: list[tuple[int, int]]) -> list[int]:
        return [k for k, (a, b) in enumerate(spans) if test(text[a:b])]

    return detect


def _is_word(token: str) -> bool:
    return bool(_WORD.match(token))


def is_french(token: str) -> bool:
    """A token that is a common French word (see FRENCH_WORDS)."""
    return token.lower() in FRENCH_WORDS


def has_double_letter(token: str) -> bool:
    """A word of three or more letters with one letter twice in a row ("coffee", "rabbit")."""
    return _is_word(token) and len(token) >= 3 and bool(re.search(r"(\w)\1", token.lower()))


def is_palindrome(token: str) -> bool:
    """A word of three or more letters that reads the same backwards ("level", "dad")."""
    low = token.lower()
    return _is_word(token) and len(low) >= 3 and low == low[::-1]


def is_past_tense(token: str) -> bool:
    """A regular -ed verb form (past tense or participle) or a common irregular past form."""
    low = token.lower()
    if not _is_word(token):
        return False
    if low in IRREGULAR_PAST or low in ("agreed", "freed"):
        return True
    return (len(low) >= 4 and low.endswith("ed") and not low.endswith("eed")
            and low not in _NOT_PAST)


def is_long_word(token: str) -> bool:
    """A word of LONG_WORD letters or more."""
    return _is_word(token) and len(token) >= LONG_WORD


def is_time_of_day(token: str) -> bool:
    """A word for a part of the day (morning, evening, night, noon, ...), not a clock time."""
    return token.lower() in TIME_OF_DAY_WORDS


def is_vowel_initial(token: str) -> bool:
    """A word whose first letter is a, e, i, o or u, in either case ("apple", "Every", "I")."""
    return _is_word(token) and token[0].lower() in _VOWELS


def has_ing_ending(token: str) -> bool:
    """A word of five or more letters ending in -ing ("running", "morning"); in shorter ones
    ("sing", "king", "ring") the -ing is the whole stem, not an ending."""
    return _is_word(token) and len(token) >= 5 and token.lower().endswith("ing")


def is_short_word(token: str) -> bool:
    """A word of one to SHORT_WORD letters ("a", "the", "cat"); digits and marks are not words."""
    return _is_word(token) and len(token) <= SHORT_WORD


def has_ly_ending(token: str) -> bool:
    """A word of four or more letters ending in -ly ("quickly", "early"); "fly" and "sly" are
    too short to carry the ending."""
    return _is_word(token) and len(token) >= 4 and token.lower().endswith("ly")


def has_letter_x(token: str) -> bool:
    """A word with the letter x anywhere in it, in either case ("box", "next", "Exit")."""
    return _is_word(token) and "x" in token.lower()


def has_no_vowel(token: str) -> bool:
    """A word with none of the letters a, e, i, o, u ("by", "why", "rhythm", "www"); y does
    not count as a vowel."""
    return _is_word(token) and not _VOWELS & set(token.lower())


def is_wh_initial(token: str) -> bool:
    """A word of three or more letters that begins with wh ("when", "where", "white")."""
    return _is_word(token) and len(token) >= 3 and token.lower().startswith("wh")


def _after_comma(text: str, spans: list[tuple[int, int]]) -> list[int]:
    """The word right after a comma ("everyone" in "After the call, everyone felt calm."): the
    token that follows a comma token, when it is a word (not a digit or a mark)."""
    return [k for k in range(1, len(spans))
            if text[spans[k - 1][0]:spans[k - 1][1]] == ","
            and _is_word(text[spans[k][0]:spans[k][1]])]


def _title_case_inside(text: str, spans: list[tuple[int, int]]) -> list[int]:
    """Capitalised words (Paris, Monday) that do not open their sentence or a quotation."""
    hits = []
    starts = {a for a, _ in sentence_spans(text)}
    for k, (a, b) in enumerate(spans):
        token = text[a:b]
        if not re.fullmatch(r"[A-Z][a-z]+", token) or a in starts:
            continue
        before = text[:a].rstrip()[-1:]
        if not before or before in "\"“'‘(:":
            continue
        hits.append(k)
    return hits


def _large_numbers(text: str, spans: list[tuple[int, int]]) -> list[int]:
    """Numbers written in digits whose value is 100 or more (commas read as thousands)."""
    hits: list[int] = []
    for match in _NUMBER.finditer(text):
        raw = match.group()
        whole = raw.replace(",", "") if re.fullmatch(r"\d{1,3}(?:,\d{3})+", raw) else raw
        try:
            value = float(whole.replace(",", "."))
        except ValueError:
            continue
        if value >= 100:
            a, b = match.span()
            hits += [k for k, (s, e) in enumerate(spans) if s < b and e > a]
    return hits


def rhyme_part(word: str) -> str:
    """The spelling a rhyme shares: from the last vowel group on ("hallway" -> "ay"), or from
    the one before when the last is an -ed or -es ending ("arrived" -> "ived")."""
    low = word.lower()
    groups = [m.start() for m in _VOWEL_GROUP.finditer(low) if m.start() > 0 or len(low) < 4]
    if not groups:
        return ""
    if low[groups[-1]:] in ("ed", "es") and len(groups) > 1:
        return low[groups[-2]:]
    return low[groups[-1]:]


def _rhyming_endings(text: str, spans: list[tuple[int, int]]) -> list[int]:
    """The last word of each sentence that rhymes with another sentence's last word."""
    finals = []
    for a, b in sentence_spans(text):
        inside = [k for k, (s, e) in enumerate(spans) if s >= a and e <= b
                  and _is_word(text[s:e])]
        if inside:
            finals.append(inside[-1])
    words = {k: text[spans[k][0]:spans[k][1]].lower() for k in finals}
    hits = []
    for k in finals:
        key = rhyme_part(words[k])
        if len(key) >= 2 and any(j != k and words[j] != words[k] and rhyme_part(words[j]) == key
                                 for j in finals):
            hits.append(k)
    return hits


#: Each hidden text concept's detector: (text, token spans) -> indices of the tokens it marks.
TEXT_DETECTORS: dict[str, Callable[[str, list[tuple[int, int]]], list[int]]] = {
    "french_words": _per_token(is_french),
    "double_letters": _per_token(has_double_letter),
    "palindromes": _per_token(is_palindrome),
    "past_tense": _per_token(is_past_tense),
    "long_words": _per_token(is_long_word),
    "time_of_day_words": _per_token(is_time_of_day),
    "title_case_inside": _title_case_inside,
    "large_numbers": _large_numbers,
    "rhyming_endings": _rhyming_endings,
    "vowel_initial": _per_token(is_vowel_initial),
    "ing_forms": _per_token(has_ing_ending),
    "short_words": _per_token(is_short_word),
    "ly_words": _per_token(has_ly_ending),
    "x_words": _per_token(has_letter_x),
    "after_comma": _after_comma,
    "no_vowel_words": _per_token(has_no_vowel),
    "wh_words": _per_token(is_wh_initial),
}


def hidden_text_scores(names: list[str], texts: list[str]) -> np.ndarray:
    """Per-token scores `[len(texts), len(names), max_tokens]` of hidden text concepts.

    Tokens and padding are those of `models.concepts.text.text_concept_scores`, so the maps
    line up with the vocabulary's.
    """
    texts = check_texts(texts)
    spans = [token_spans(t) for t in texts]
    width = max(1, max((len(s) for s in spans), default=1))
    scores = np.zeros((len(texts), len(names), width), dtype=np.float32)
    for i, text in enumerate(texts):
        for j, name in enumerate(names):
            for k in TEXT_DETECTORS[name](text, spans[i]):
                scores[i, j, k] = 1.0
    return scores
