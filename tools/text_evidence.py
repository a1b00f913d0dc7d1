"""Open-vocabulary evidence for text units: which tokens, n-grams, word endings, positions and
kinds of context make the unit fire, each against its base rate in the same corpus — evidence
that names what it finds in the corpus's own words, not a fixed vocabulary."""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, Field

from models.exemplars import layer_exemplars
from models.recording import activations, shared_activations
from tools.context import ToolContext, ToolError
from tools.observation import Observation
from tools.registry import tool
from tools.results import ToolResult
from tools.text_common import text_unit
from tools.word_shape import ending_lifts, initial_lifts, length_lifts
from tools.wordnet import Category, categories, past_tense_form

#: A token "fires" at or above this share of the unit's peak over its top texts.
FIRING_SHARE = 0.5
#: Firing positions analysed at most (the strongest), and context window sizes in tokens.
MAX_FIRING = 200
WINDOW_BEFORE, WINDOW_AFTER = 6, 2


class Lift(BaseModel):
    """How much more often something appears where the unit fires than at random."""

    item: str
    count: int
    share: float  # of firing positions
    base_share: float  # of all positions in a random sample of the corpus
    lift: float  # smoothed ratio share / base_share


class FiringContext(BaseModel):
    text: str
    token: str
    value: float
    window: str  # the words around the firing token, the token in ⟦ ⟧


class TokenEvidence(ToolResult):
    """`token_evidence`: what the positions where a text unit fires have in common."""

    unit: str
    corpus: str
    threshold: float
    firing: int
    tokens: list[Lift]
    ngrams: list[Lift]
    endings: list[Lift]
    features: list[Lift]
    categories: list[Category] = []
    # the firing words' shape against the sample's words (`tools.word_shape`): the best
    # length cut each way ("3 letters or fewer") and over-represented first letters
    lengths: list[Lift] = []
    initials: list[Lift] = []
    sources: list[Lift] = []  # kinds of text (the corpus's sources) among the top texts
    contexts: list[FiringContext]
    by_position: dict[str, float]
    by_frequency: dict[str, float]

    def headline(self) -> str:
        tokens = ", ".join(repr(t.item) for t in self.tokens[:4]) or "no token in particular"
        kinds = "; ".join(f"{c.share:.0%} are {c.name} words ({c.definition})"
                          for c in self.categories[:1])
        return (f"It fires ({self.firing} positions at >= {self.threshold:.3g}) most on "
                f"{tokens}; over-represented n-grams: "
                f"{', '.join(repr(g.item) for g in self.ngrams[:3]) or 'none'}"
                + (f"; of the firing words, {kinds}" if kinds else "") + ".")

    def rows(self) -> list[dict[str, Any]]:
        return [{"token": t.item, "where it fires": f"{t.share:.0%}",
                 "at random": f"{t.base_share:.1%}", "lift": round(t.lift, 1)}
                for t in self.tokens[:6]] + [
                {"token": f"({c.name}: {', '.join(c.members[:3])})",
                 "where it fires": f"{c.share:.0%}", "at random": f"{c.base_share:.1%}",
                 "lift": round(c.lift, 1)} for c in self.categories[:2]]


class Cluster(BaseModel):
    size: int
    mean_activation: float
    words: list[str]
    examples: list[str]


class ContextClusters(ToolResult):
    """`context_clusters`: kinds of context the unit fires in (clusters of their embeddings)."""

    unit: str
    corpus: str
    clusters: list[Cluster]

    def headline(self) -> str:
        parts = [f"{c.size} contexts about {', '.join(c.words[:4])}" for c in self.clusters]
        return "Kinds of firing context: " + "; ".join(parts) + "."

    def rows(self) -> list[dict[str, Any]]:
        return [{"contexts": c.size, "mean activation": round(c.mean_activation, 3),
                 "characteristic words": ", ".join(c.words[:6])} for c in self.clusters]


def _norm(token: str) -> str:
    return token.strip().lower()


def _spaced(tokens: list[str]) -> bool:
    """Whether tokens carry their own spaces (sub-word tokenizers) or are whole words."""
    return any(t[:1].isspace() for t in tokens[1:])


def whole_word(tokens: list[str], position: int) -> str:
    """The whole word a (sub-word) token belongs to."""
    if not _spaced(tokens):
        return tokens[position].strip()
    start = position
    while start > 0 and tokens[start] and not tokens[start][0].isspace() and (
            tokens[start - 1].strip() and tokens[start - 1].strip()[-1:].isalnum()):
        start -= 1
    end = position + 1
    while end < len(tokens) and tokens[end] and not tokens[end][0].isspace() and (
            tokens[end].strip()[:1].isalnum()):
        end += 1
    return "".join(tokens[start:end]).strip()


#: Surface features of a firing position, in plain words (descriptions use these phrases, and
#: `rank_descriptions` checks them on the firing token).
FEATURE_PHRASES = {
    "capitalised word": "capitalised words (names and sentence starts)",
    "word in capitals": "words written in capital letters",
    "digits": "numbers and digits",
    "punctuation": "punctuation marks",
    "first token of the text": "the first token of a text",
    "inside a word": "pieces inside longer words (sub-word tokens)",
    "long word (9+ letters)": "long words",
    "capitalised inside a sentence": "capitalised words inside a sentence (not the first word)",
    "doubled letter": "words with a doubled letter (like 'coffee')",
    "reads the same backwards": "words that read the same backwards",
    "past-tense form": "past-tense verb forms",
    "number of 100 or more": "large numbers (100 or more)",
}

#: The same features as a qualifier of other words, for compositions ("words for animals
#: spelt with a doubled letter"); `rank_descriptions` checks these phrases too.
FEATURE_QUALIFIERS = {
    "long word (9+ letters)": "that are long words",
    "capitalised word": "written with a capital letter",
    "capitalised inside a sentence": "capitalised inside a sentence",
    "doubled letter": "spelt with a doubled letter",
    "reads the same backwards": "that read the same backwards",
    "past-tense form": "in a past-tense form",
    "number of 100 or more": "of 100 or more",
}

#: What ends a sentence before a word (a semicolon does not: "...; Paris" is inside one).
SENTENCE_END = re.compile(r"[.!?:\"'\u201d)]\s*$")
#: Opening quotes and brackets a sentence may begin with ("\u201cBring the bucket").
OPENERS = "\"'\u201c\u2018(["


def surface_features(tokens: list[str], position: int) -> list[str]:
    token = tokens[position]
    word = whole_word(tokens, position)
    found = []
    if word[:1].isupper():
        found.append("capitalised word")
    if len(word) > 1 and word.isupper():
        found.append("word in capitals")
    if any(c.isdigit() for c in token):
        found.append("digits")
    if token.strip() and not any(c.isalnum() for c in token):
        found.append("punctuation")
    if position == 0:
        found.append("first token of the text")
    if token[:1].isspace() or position == 0:
        found.append("start of a word")
    else:
        found.append("inside a word")
    if len(word) >= 9:
        found.append("long word (9+ letters)")
    if not any(c.isalnum() for c in token):
        return found
    if word[:1].isupper() and not (len(word) > 1 and word.isupper()) and not _sentence_start(
            tokens, position):  # "Paris", not "FAQ" (a word in capitals)
        found.append("capitalised inside a sentence")
    letters = word.lower()
    if re.search(r"([a-z])\1", letters):
        found.append("doubled letter")
    if len(letters) >= 3 and letters.isalpha() and letters == letters[::-1]:
        found.append("reads the same backwards")
    if past_tense_form(word):
        found.append("past-tense form")
    digits = re.sub(r"(?<=\d),(?=\d{3})", "", word)
    number = re.search(r"\d+", digits)
    if number and int(number.group()[:12]) >= 100:
        found.append("number of 100 or more")
    return found


def _sentence_start(tokens: list[str], position: int) -> bool:
    """Whether the word at `position` begins the text, a sentence or a line (behind any
    opening quotes or brackets)."""
    if not _spaced(tokens):  # whole words: the previous tokens are the previous words
        before = " ".join(tokens[max(0, position - 3):position])
    else:
        start = position
        while start > 0 and tokens[start][:1] and not tokens[start][0].isspace() and (
                tokens[start - 1].strip()[-1:].isalnum()):
            start -= 1
        before = "".join(tokens[max(0, start - 3):start])
    before = before.rstrip(" \t").rstrip(OPENERS + " \t")
    return not before.strip() or before.endswith("\n") or bool(SENTENCE_END.search(before))


def _lifts(counts: Counter, total: int, base: Counter, base_total: int, minimum: int = 2,
           limit: int = 10) -> list[Lift]:
    rows = []
    for item, count in counts.items():
        if count < minimum or not item:
            continue
        share = count / total
        base_share = base.get(item, 0) / max(base_total, 1)
        lift = (count + 0.5) / (total + 1) / ((base.get(item, 0) + 0.5) / (base_total + 1))
        rows.append(Lift(item=item, count=count, share=round(share, 4),
                         base_share=round(base_share, 5), lift=round(lift, 2)))
    # rank by how much of the firing the item explains, weighted by how specific it is
    rows.sort(key=lambda r: -(r.share * math.log(max(r.lift, 1.0)) + 1e-6 * r.count))
    return [r for r in rows if r.lift > 1.5][:limit]


def _firing(address: str, texts: list[str]) -> tuple[Any, float, list[tuple[int, int, float]]]:
    acts = activations(address, texts)
    peak = max((float(m.max()) for m in acts.maps if len(m)), default=0.0)
    threshold = FIRING_SHARE * peak
    positions = [(i, j, float(v)) for i, m in enumerate(acts.maps) for j, v in enumerate(m)
                 if peak > 0 and v >= threshold]
    positions.sort(key=lambda p: -p[2])
    return acts, threshold, positions[:MAX_FIRING]


def _window(tokens: list[str], position: int) -> str:
    glue = "" if _spaced(tokens) else " "
    before = glue.join(tokens[max(0, position - WINDOW_BEFORE):position])
    after = glue.join(tokens[position + 1:position + 1 + WINDOW_AFTER])
    core = f"{glue}⟦{tokens[position].strip()}⟧{glue}"
    return re.sub(r"\s+", " ", f"{before}{core}{after}").strip()


def _top_and_sample(ctx: ToolContext, unit: str, k: int) -> tuple[Any, Any, list[str],
                                                                   list[str]]:
    address, model, _ = text_unit(unit)
    cache = layer_exemplars(address.model, address.layer, ctx.corpus)
    top = [str(t) for t in cache.corpus.items(list(cache.top_indices[address.index][:k]))]
    sample = [str(t) for t in cache.corpus.items(list(cache.sample_indices))]
    return address, cache, top, sample


def source_lifts(cache: Any, index: int, k: int) -> list[Lift]:
    """Which kinds of text (the sources of a natural corpus, the prefix of each passage id)
    are over-represented among the unit's top k texts against the cache's random sample;
    empty for corpora whose ids name no source."""
    ids = getattr(cache.corpus, "ids", None) or []

    def kind(row: int) -> str:
        ident = str(ids[int(row)]) if int(row) < len(ids) else ""
        return ident.split(":", 1)[0] if ":" in ident else ""

    top = Counter(kind(r) for r in list(cache.top_indices[index][:k]))
    base = Counter(kind(r) for r in list(cache.sample_indices))
    top.pop("", None)
    base.pop("", None)
    if not top:
        return []
    return _lifts(top, sum(top.values()), base, sum(base.values()), minimum=2, limit=4)


def sample_activations(address: Any, corpus_key: str, sample: list[str]) -> Any:
    """The unit on its exemplar cache's random sample, recorded once for the whole layer."""
    return shared_activations(address, sample, f"exemplar-sample:{corpus_key}")


@tool("text", result=TokenEvidence)
def token_evidence(ctx: ToolContext, unit: str,
                   k: Annotated[int, Field(ge=4, le=32)] = 24) -> Observation:
    """Where in its top texts the unit fires, and what those positions share against the
    corpus's base rates: the recurring tokens, the n-grams ending at them, word endings,
    surface features (capitals, digits, punctuation, word starts), the position in the text
    and how common the token is. Names what it finds in the corpus's own words.

    Args:
        unit: the unit address '<model>:<layer>:<index>' of a text unit.
        k: how many of the unit's top exemplar texts to read.
    """
    address, cache, top, sample = _top_and_sample(ctx, unit, k)
    acts, threshold, firing = _firing(address, top)
    if not firing:
        raise ToolError(f"{address} does not fire above zero on its top texts of corpus "
                        f"{ctx.corpus!r}: nothing to describe there")
    base = sample_activations(address, cache.corpus.key, sample)
    base_tokens = Counter(_norm(t) for tokens in base.tokens for t in tokens)
    base_total = sum(base_tokens.values())
    base_ngrams: Counter = Counter()
    base_features: Counter = Counter()
    for tokens in base.tokens:
        for j in range(len(tokens)):
            base_ngrams.update(_ngrams(tokens, j))
            base_features.update(surface_features(tokens, j))
    counts: Counter = Counter()
    ngrams: Counter = Counter()
    features: Counter = Counter()
    contexts = []
    for i, j, value in firing:
        tokens = acts.tokens[i]
        counts[_norm(tokens[j])] += 1
        ngrams.update(_ngrams(tokens, j))
        features.update(surface_features(tokens, j))
        if len(contexts) < 12:
            contexts.append(FiringContext(text=top[i][:300], token=tokens[j], value=round(value, 4),
                                          window=_window(tokens, j)))
    total = len(firing)
    firing_words = [whole_word(acts.tokens[i], j) for i, j, _ in firing]
    # each firing word once per text (a word split into several firing tokens is one word)
    fired = [w for _, w in dict.fromkeys(
        (i, w) for (i, _, _), w in zip(firing, firing_words, strict=True))]
    sample_words = [w for t in sample for w in re.findall(r"[A-Za-z]+", t)]
    result = TokenEvidence(
        unit=str(address), corpus=ctx.corpus, threshold=round(threshold, 5), firing=total,
        tokens=_lifts(counts, total, base_tokens, base_total),
        ngrams=_lifts(ngrams, total, base_ngrams, base_total),
        endings=[Lift(**r) for r in ending_lifts(fired, sample_words)],
        features=_lifts(features, total, base_features, base_total, minimum=3, limit=6),
        categories=categories(firing_words, sample_words),
        lengths=[Lift(**r) for r in length_lifts(fired, sample_words)],
        initials=[Lift(**r) for r in initial_lifts(fired, sample_words)],
        sources=source_lifts(cache, address.index, k),
        contexts=contexts, by_position=_by_position(base), by_frequency=_by_frequency(
            base, base_tokens))
    lines = [result.headline()] + [f"  {c.value:.3g}: {c.window}" for c in contexts[:6]]
    if result.endings:
        lines.append("word endings: " + ", ".join(f"-{e.item} ({e.share:.0%} vs "
                                                  f"{e.base_share:.1%})" for e in result.endings))
    if result.lengths or result.initials:
        lines.append("word shape: " + ", ".join(
            [f"{r.item} ({r.share:.0%} vs {r.base_share:.0%})" for r in result.lengths]
            + [f"first letter {r.item!r} ({r.share:.0%} vs {r.base_share:.1%})"
               for r in result.initials[:4]]))
    if result.sources:
        lines.append("kinds of text: " + ", ".join(f"{r.item} ({r.share:.0%} of top texts vs "
                                                   f"{r.base_share:.0%})" for r in result.sources))
    if result.features:
        lines.append("features: " + ", ".join(f"{f.item} ({f.share:.0%} vs {f.base_share:.0%})"
                                              for f in result.features))
    return Observation("token_evidence", "\n".join(lines), result=result)


def _ngrams(tokens: list[str], position: int) -> list[str]:
    """The bigram and trigram ending at a position (normalised)."""
    out = []
    for size in (2, 3):
        if position - size + 1 >= 0:
            glue = "" if _spaced(tokens) else " "
            out.append(re.sub(r"\s+", " ", glue.join(tokens[position - size + 1:position + 1])
                              ).strip().lower())
    return out


def _by_position(acts: Any) -> dict[str, float]:
    bins: dict[str, list[float]] = {"first token": [], "tokens 2-5": [], "tokens 6-20": [],
                                    "later tokens": []}
    for values in acts.maps:
        for j, value in enumerate(values):
            key = ("first token" if j == 0 else "tokens 2-5" if j < 5 else
                   "tokens 6-20" if j < 20 else "later tokens")
            bins[key].append(float(value))
    return {k: round(float(np.mean(v)), 5) for k, v in bins.items() if v}


def _by_frequency(acts: Any, counts: Counter) -> dict[str, float]:
    bins: dict[str, list[float]] = {"common tokens (10+ in the sample)": [],
                                    "uncommon tokens (2-9)": [], "rare tokens (once)": []}
    for tokens, values in zip(acts.tokens, acts.maps, strict=True):
        for token, value in zip(tokens, values, strict=True):
            count = counts.get(_norm(token), 0)
            key = ("common tokens (10+ in the sample)" if count >= 10 else
                   "uncommon tokens (2-9)" if count >= 2 else "rare tokens (once)")
            bins[key].append(float(value))
    return {k: round(float(np.mean(v)), 5) for k, v in bins.items() if v}


@tool("text", result=ContextClusters)
def context_clusters(ctx: ToolContext, unit: str,
                     k: Annotated[int, Field(ge=4, le=32)] = 24,
                     clusters: Annotated[int, Field(ge=1, le=6)] = 3) -> Observation:
    """Kinds of context the unit fires in: the windows around its firing tokens in its top
    texts, grouped by meaning (sentence embeddings, k-means), each group with its size, mean
    activation, characteristic words (against the other groups and a random sample) and
    examples.

    Args:
        unit: the unit address '<model>:<layer>:<index>' of a text unit.
        k: how many of the unit's top exemplar texts to read.
        clusters: how many groups at most.
    """
    from sklearn.cluster import KMeans

    from models.embedding import get_embedder

    address, _, top, sample = _top_and_sample(ctx, unit, k)
    acts, _, firing = _firing(address, top)
    if not firing:
        raise ToolError(f"{address} does not fire above zero on its top texts")
    firing = firing[:60]
    windows = [_window(acts.tokens[i], j).replace("⟦", "").replace("⟧", "") for i, j, _ in firing]
    values = np.array([v for _, _, v in firing])
    vectors = get_embedder().embed(windows).numpy()
    groups = max(1, min(clusters, len(windows) // 4))
    labels = KMeans(n_clusters=groups, n_init=4, random_state=0).fit_predict(vectors)
    base_words = Counter(w for t in sample for w in _words(t))
    found = []
    for g in range(groups):
        members = [i for i in range(len(windows)) if labels[i] == g]
        words = Counter(w for i in members for w in _words(windows[i]))
        others = Counter(w for i in range(len(windows)) if labels[i] != g
                         for w in _words(windows[i]))
        scored = sorted(words, key=lambda w: -(words[w] / len(members))
                        * math.log((words[w] + 1) / (others.get(w, 0) + base_words.get(w, 0)
                                                     / max(len(sample), 1) + 1) + 1))
        found.append(Cluster(size=len(members),
                             mean_activation=round(float(values[members].mean()), 4),
                             words=scored[:8],
                             examples=[windows[i] for i in members[:3]]))
    found.sort(key=lambda c: -c.size * c.mean_activation)
    result = ContextClusters(unit=str(address), corpus=ctx.corpus, clusters=found)
    lines = [result.headline()] + [f"  group of {c.size}: e.g. {c.examples[0]!r}" for c in found]
    return Observation("context_clusters", "\n".join(lines), result=result)


_STOP = frozenset("the a an and or of to in on at for with is was are were be been it its this "
                  "that as by from he she they we you i his her their our your not no but so if "
                  "then than there here".split())


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z][a-z'-]+", text.lower()) if w not in _STOP]
