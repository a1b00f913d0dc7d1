"""Text concept detectors: per-token scores in [0, 1], computed from the text alone.

* lexicon concepts: 1 on a token whose lowercase form (or its singular) is in the category's
  lexicon (`models.concepts.lexicons.LEXICONS`, or a narrower `SUBLEXICONS` list such as pets,
  whose words are also in their parent lexicon);
* pattern concepts: 1 on every token that overlaps a regex match on the raw text (a URL, a
  price, a quoted passage, a question sentence, ...);
* semantic concepts: the text is cut into sentences, each sentence is embedded with
  all-MiniLM-L6-v2 and its best cosine similarity to the concept's prototype phrases is
  mapped linearly from [SEMANTIC_LOW, SEMANTIC_HIGH] to [0, 1] and given to all its tokens.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import torch

from models.concepts.base import Concept
from models.concepts.lexicons import IRREGULAR_PLURALS, LEXICONS, SUBLEXICONS, plural
from models.errors import ModelsError, choices
from models.stimuli_io import check_texts

_TOKEN = re.compile(r"\w+|[^\w\s]")


def tokenize(text: str) -> list[str]:
    """Split a text into word tokens (`\\w+`) and single punctuation marks."""
    return _TOKEN.findall(text)


def token_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the tokens `tokenize` returns."""
    return [m.span() for m in _TOKEN.finditer(text)]


_LEXICON_PHRASES = {
    "animals": "words for animals",
    "food": "words for food",
    "colours": "colour words",
    "family": "family members",
    "body": "body parts",
    "vehicles": "words for vehicles",
    "places": "names of countries and cities",
    "emotions_positive": "words for positive emotions",
    "emotions_negative": "words for negative emotions",
    "music": "music words",
    "clothing": "words for clothing",
    "professions": "words for professions",
    "days_months": "names of weekdays and months",
    "number_words": "numbers written as words",
    "science": "science words",
    "law": "legal words",
    "religion": "religious words",
    "technology": "technology words",
    "civic": "words about government and elections",
    "pets": "words for pets (dog, cat, hamster, rabbit, parrot)",
    "cats": "the word cat",
}


@functools.lru_cache(maxsize=1)
def _lexicon_forms() -> dict[str, str]:
    """Every accepted surface form (lowercase word or plural) mapped to its category."""
    forms: dict[str, str] = {}
    for category, words in LEXICONS.items():
        for word in words:
            for form in (word, plural(word), word + "s"):
                forms.setdefault(form, category)
    for singular, plural_form in IRREGULAR_PLURALS.items():
        if singular in forms:
            forms.setdefault(plural_form, forms[singular])
    return forms


@functools.lru_cache(maxsize=1)
def _sublexicon_forms() -> dict[str, frozenset[str]]:
    """Every surface form of a sub-lexicon word mapped to the sub-lexicons that hold it."""
    forms: dict[str, set[str]] = {}
    for category, words in SUBLEXICONS.items():
        for word in words:
            for form in (word, plural(word), word + "s"):
                forms.setdefault(form, set()).add(category)
    return {form: frozenset(names) for form, names in forms.items()}


_QUOTE_CLOSERS = "\"”’')]"


_PATTERNS: dict[str, re.Pattern[str]] = {
    "numbers": re.compile(r"\d+(?:[.,]\d+)*"),
    "years": re.compile(r"(?<![\w$€£¥.,:])(?:1[5-9]\d\d|20\d\d)(?![\w.,:]\d|\w)"),
    "times": re.compile(
        r"\b(?:[01]?\d|2[0-3]):[0-5]\d(?:\s?[ap]\.?m\.?)?\b|\b(?:1[0-2]|0?[1-9])\s?[ap]\.?m\b\.?"
        r"|\b(?:1[0-2]|[1-9]) o'clock\b",
        re.IGNORECASE,
    ),
    "prices": re.compile(
        r"[$€£¥]\s?\d+(?:[.,]\d+)*|\b\d+(?:[.,]\d+)*\s?(?:dollars?|euros?|pounds?|cents?|"
        r"yen|USD|EUR|GBP)\b"
    ),
    "urls": re.compile(r"\b(?:https?://|www\.)[^\s<>\"]+[^\s<>\".,;:!?)]"),
    "emails": re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-zA-Z]{2,}\b"),
    "all_caps": re.compile(r"\b[A-Z]{2,}\b"),
    "negation": re.compile(
        r"\b(?:not|no|never|nobody|nothing|none|neither|nor|nowhere|cannot)\b|\b\w+n['’]t\b",
        re.IGNORECASE,
    ),
    # "US" in capitals is the country, not the pronoun.
    "first_person": re.compile(
        r"\b(?:I|[Mm]e|[Mm]y|[Mm]ine|[Mm]yself|[Ww]e|[Uu]s|[Oo]ur|[Oo]urs|[Oo]urselves"
        r"|ME|MY|WE|OUR)\b"
    ),
    "quotations": re.compile(r"\"[^\"\n]{1,300}\"|“[^”\n]{1,300}”"),
    "code": re.compile(
        r"\b[A-Za-z]\w*_\w+\b|\b[a-z]+[A-Z]\w*\b|\b\w+\([^()\n]{0,40}\)|[{}\[\]]|==|!=|=>|->"
        r"|\+=|&&|\|\|"
    ),
}


_PATTERN_PHRASES = {
    "numbers": "numbers written in digits",
    "years": "years (such as 1999 or 2024)",
    "times": "times of day (such as 10:30 or 5 pm)",
    "prices": "prices and amounts of money",
    "urls": "web addresses (URLs)",
    "emails": "email addresses",
    "all_caps": "words in all capital letters",
    "questions": "questions",
    "negation": "negation words (not, no, never, n't)",
    "first_person": "first-person pronouns (I, me, my, we, our)",
    "quotations": "quoted speech or text in quotation marks",
    "code": "programming code (identifiers with underscores, function calls, brackets)",
}


# Sentence boundaries: end punctuation (with closing quotes) followed by space, or a newline.
_SENTENCE_END = re.compile(r"[.!?]+[" + re.escape(_QUOTE_CLOSERS) + r"]*(?=\s|$)|\n")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of a text, stripped of surrounding space."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((start, match.end()))
        start = match.end()
    spans.append((start, len(text)))
    out = []
    for a, b in spans:
        chunk = text[a:b]
        if chunk.strip():
            a += len(chunk) - len(chunk.lstrip())
            b -= len(chunk) - len(chunk.rstrip())
            out.append((a, b))
    return out


def _match_spans(concept: str, text: str) -> list[tuple[int, int]]:
    if concept == "questions":
        return [
            (a, b) for a, b in sentence_spans(text) if text[a:b].rstrip(_QUOTE_CLOSERS)[-1:] == "?"
        ]
    return [m.span() for m in _PATTERNS[concept].finditer(text)]


#: Cosine similarity at or below which a sentence scores 0, and at or above which it scores 1.
SEMANTIC_LOW = 0.30


SEMANTIC_HIGH = 0.45


_SEMANTIC_PROTOTYPES: dict[str, tuple[str, ...]] = {
    "sports": (
        "sports",
        "a football match",
        "a team won the game",
        "an athlete in a race",
        "scored a goal",
        "tennis",
        "a championship tournament",
        "the coach and the players",
        "olympic athletes competing",
    ),
    "medicine": (
        "medicine",
        "a doctor treating a patient",
        "hospital",
        "illness and disease",
        "medication and prescriptions",
        "surgery",
        "a vaccine against a virus",
        "a nurse in a clinic",
        "symptoms and diagnosis",
    ),
    "weather": (
        "weather",
        "rain and storms",
        "snow and cold temperatures",
        "sunny and warm weather",
        "the weather forecast",
        "strong wind",
        "fog",
        "a heatwave",
        "thunder and lightning",
    ),
    "cooking": (
        "cooking",
        "a recipe",
        "frying food in a pan",
        "baking in the oven",
        "a chef in the kitchen",
        "stirring a sauce",
        "simmering a stew",
        "chopping vegetables",
        "roasting meat",
    ),
}


_SEMANTIC_PHRASES = {
    "sports": "sentences about sports",
    "medicine": "sentences about medicine and health care",
    "weather": "sentences about the weather",
    "cooking": "sentences about cooking",
}


@functools.cache
def _prototype_embeddings(concept: str) -> torch.Tensor:
    from models.embedding import get_embedder

    return get_embedder().embed(list(_SEMANTIC_PROTOTYPES[concept]))


# Sentence similarities already computed, per (concept, sentence): templated texts repeat
# sentences a lot, and the model is the slow part. Cleared when it grows past the limit.
_SIMILARITY_CACHE: dict[tuple[str, str], float] = {}


_SIMILARITY_CACHE_LIMIT = 200_000


def _sentence_similarities(concept: str, sentences: list[str]) -> np.ndarray:
    """Best cosine similarity of each sentence to the concept's prototypes."""
    from models.embedding import get_embedder

    missing = sorted({s for s in sentences if (concept, s) not in _SIMILARITY_CACHE})
    if missing:
        if len(_SIMILARITY_CACHE) + len(missing) > _SIMILARITY_CACHE_LIMIT:
            _SIMILARITY_CACHE.clear()
        vectors = get_embedder().embed(missing)
        best = (vectors @ _prototype_embeddings(concept).T).max(dim=1).values.tolist()
        _SIMILARITY_CACHE.update({(concept, s): v for s, v in zip(missing, best, strict=True)})
    return np.array([_SIMILARITY_CACHE[(concept, s)] for s in sentences], dtype=np.float32)


def _semantic_scores(
    concepts: list[str], texts: list[str]
) -> list[list[tuple[int, int, np.ndarray]]]:
    """Per text, a list of (start, end, scores per concept) for each sentence."""
    spans = [sentence_spans(t) for t in texts]
    sentences = [t[a:b] for t, s in zip(texts, spans, strict=True) for a, b in s]
    if not sentences:
        return [[] for _ in texts]
    per_concept = [
        np.clip(
            (_sentence_similarities(c, sentences) - SEMANTIC_LOW) / (SEMANTIC_HIGH - SEMANTIC_LOW),
            0.0,
            1.0,
        )
        for c in concepts
    ]
    scores = np.stack(per_concept, axis=1)
    out, k = [], 0
    for s in spans:
        out.append([(a, b, scores[k + j]) for j, (a, b) in enumerate(s)])
        k += len(s)
    return out


# Other words a description may use for each concept (for judges and parsers).
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "animals": ("animal", "creatures", "wildlife"),
    "pets": ("pet", "domestic animals", "companion animals"),
    "cats": ("cat", "kitten", "feline"),
    "food": ("foods", "dishes", "meals", "ingredients", "groceries"),
    "colours": ("colors", "colour", "color", "hues"),
    "family": ("relatives", "family members", "kinship"),
    "body": ("body parts", "anatomy", "limbs"),
    "vehicles": ("vehicle", "transport", "transportation", "cars"),
    "places": ("countries", "cities", "locations", "geography", "place names"),
    "emotions_positive": ("happiness", "joy", "positive feelings", "positive sentiment"),
    "emotions_negative": ("sadness", "fear", "anger", "negative feelings", "negative sentiment"),
    "music": ("musical instruments", "songs", "musical"),
    "clothing": ("clothes", "garments", "apparel"),
    "professions": ("jobs", "occupations", "workers"),
    "days_months": ("weekdays", "months", "dates", "calendar words"),
    "number_words": ("spelled-out numbers", "counting words", "quantities"),
    "science": ("scientific terms", "physics", "chemistry", "biology"),
    "law": ("legal terms", "courts", "justice"),
    "religion": ("religious terms", "faith", "worship"),
    "technology": ("computers", "tech", "software", "gadgets"),
    "civic": ("government", "elections", "politics", "civics"),
    "numbers": ("digits", "numerals", "numeric values"),
    "years": ("dates", "years", "calendar years"),
    "times": ("clock times", "time of day", "hours"),
    "prices": ("money", "currency", "costs", "amounts"),
    "urls": ("links", "web addresses", "websites"),
    "emails": ("email addresses", "e-mail"),
    "all_caps": ("capital letters", "uppercase", "acronyms", "shouting"),
    "questions": ("question marks", "interrogatives", "queries"),
    "negation": ("negatives", "not", "never", "denial"),
    "first_person": ("I", "me", "we", "self-reference", "pronouns"),
    "quotations": ("quotes", "quotation marks", "dialogue", "direct speech"),
    "code": ("programming", "source code", "identifiers", "function calls"),
    "sports": ("sport", "athletics", "games", "matches"),
    "medicine": ("health", "doctors", "hospitals", "illness", "medical"),
    "weather": ("rain", "snow", "storms", "climate", "forecast"),
    "cooking": ("recipes", "kitchen", "baking", "culinary"),
}


TEXT_CONCEPTS: dict[str, Concept] = {
    **{
        name: Concept(name, "lexicon", _LEXICON_PHRASES[name], _SYNONYMS[name])
        for name in (*LEXICONS, *SUBLEXICONS)
    },
    **{
        name: Concept(name, "pattern", phrase, _SYNONYMS[name])
        for name, phrase in _PATTERN_PHRASES.items()
    },
    **{
        name: Concept(name, "semantic", phrase, _SYNONYMS[name])
        for name, phrase in _SEMANTIC_PHRASES.items()
    },
}


def _check_concepts(concepts: list[str]) -> None:
    for name in concepts:
        if name not in TEXT_CONCEPTS:
            raise ModelsError(
                f"unknown text concept {name!r}; valid: {choices(list(TEXT_CONCEPTS))}"
            )


def text_concept_scores(
    concepts: list[str], texts: list[str]
) -> tuple[np.ndarray, list[list[str]]]:
    """Per-token scores of text concepts.

    Args:
        concepts: concept names from TEXT_CONCEPTS.
        texts: the texts (validated with `check_texts`).

    Returns:
        `(scores, tokens)`: scores `[len(texts), len(concepts), max_tokens]` float32 in
        [0, 1], right-padded with 0, and the tokens of each text (see `tokenize`).

    Raises:
        ModelsError: an unknown concept name or invalid texts.
    """
    concepts = list(concepts)
    _check_concepts(concepts)
    texts = check_texts(texts)
    spans = [token_spans(t) for t in texts]
    tokens = [[t[a:b] for a, b in s] for t, s in zip(texts, spans, strict=True)]
    width = max(1, max(len(s) for s in spans))
    scores = np.zeros((len(texts), len(concepts), width), dtype=np.float32)
    forms, subforms = _lexicon_forms(), _sublexicon_forms()
    semantic = [c for c in concepts if TEXT_CONCEPTS[c].category == "semantic"]
    sentence_scores = _semantic_scores(semantic, texts) if semantic else None
    for i, text in enumerate(texts):
        starts = np.array([a for a, _ in spans[i]])
        ends = np.array([b for _, b in spans[i]])
        lowered = [tok.lower() for tok in tokens[i]]
        for j, concept in enumerate(concepts):
            category = TEXT_CONCEPTS[concept].category
            row = scores[i, j]
            if category == "lexicon":
                for k, tok in enumerate(lowered):
                    if forms.get(tok) == concept or concept in subforms.get(tok, ()):
                        row[k] = 1.0
            elif category == "pattern":
                for a, b in _match_spans(concept, text):
                    row[: len(starts)][(starts < b) & (ends > a)] = 1.0
            else:
                which = semantic.index(concept)
                for a, b, values in sentence_scores[i]:
                    row[: len(starts)][(starts < b) & (ends > a)] = values[which]
    return scores, tokens
