"""How well candidate descriptions of a unit predict its activations on the EXEMPLAR split: the
agent's way to choose between descriptions before it commits to one (MAIA's agents test their
final description the same way, on their own stimuli).

Each exemplar-split stimulus (the unit's top ones and a random sample) is read as text: a text
through the window around the token where the unit fires most; a natural photo through its
label, category and caption; a generated image through its scene and the class an ImageNet
classifier sees in it. A description's predicted activation of a stimulus is the sentence-embedding
similarity (MiniLM) of the text to the description's claim, minus its similarity to the part
after "unless", "except", "but not" or "without"; for texts, plus one when the token the unit
fires on is a word the claim names explicitly (quoted, or listed in parentheses or after "such
as") or has a surface feature it names ("long words", "capitalised words"), since a sentence
embedder hardly sees single function words, length or capitals. A text is read a second
time whole, since a description should also say which texts fire. The fit is the rank
correlation of predicted and real activations and the AUC of telling top stimuli from random
ones, averaged over the readings.

This reader is the agent's own: the benchmark scores descriptions with its own reader and
judge, on a held-out split this tool never sees.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, Field
from scipy.stats import rankdata, spearmanr

from models.exemplars import layer_exemplars
from models.recording import activations, resolve_unit
from tools.context import ToolContext, ToolError
from tools.observation import Observation
from tools.registry import tool
from tools.results import ToolResult
from tools.text_common import join_tokens
from tools.text_evidence import (
    FEATURE_PHRASES,
    FEATURE_QUALIFIERS,
    sample_activations,
    surface_features,
    whole_word,
)
from tools.vision_evidence import (
    SCENE_PHRASES,
    SCENE_QUALIFIERS,
    classifier_classes,
    image_scene_features,
    size_cuts,
)
from tools.word_shape import shape_test

#: Words that open the excluded part of a description.
EXCEPTION = re.compile(r"\b(?:unless|except(?: when| for| if)?|but not|other than|without|"
                       r"apart from|not when)\b", re.IGNORECASE)
#: Most candidate descriptions one call ranks.
MAX_DESCRIPTIONS = 24
#: Share of the random sample at or above the top exemplars' lowest activation from which the
#: exemplar split cannot tell descriptions apart.
SATURATED = 0.9
#: Tokens either side of the firing token that make a text's window.
WINDOW = 6
#: Bootstrap resamples of the stimuli behind each fit's standard error.
BOOTSTRAP = 200


class Fit(BaseModel):
    description: str
    spearman: float  # rank correlation of predicted and real activation, top + random
    auc: float  # top exemplars vs random ones, by the predicted activation
    # texts only: the same two read from the whole text (which texts fire), not the window
    text_spearman: float | None = None
    text_auc: float | None = None
    # with `fresh`: the same, on the next top exemplars (which the evidence tools did not
    # read), averaged over the readings
    fresh_spearman: float | None = None
    fresh_auc: float | None = None
    # bootstrap standard error of `score` over the stimuli (top, fresh and random resampled
    # separately): how far the ranking of two descriptions can move by which exemplars were
    # drawn
    se: float | None = None

    @property
    def score(self) -> float:
        """What candidates are ranked by: rank correlation + AUC, averaged over the readings
        made (one for images, two for texts), so one scale serves both; with fresh exemplars,
        the mean of the fit on the top exemplars and on the fresh ones."""
        first = self.spearman + self.auc
        if self.text_spearman is not None and self.text_auc is not None:
            first = (first + self.text_spearman + self.text_auc) / 2
        if self.fresh_spearman is None or self.fresh_auc is None:
            return first
        return (first + self.fresh_spearman + self.fresh_auc) / 2


class DescriptionFit(ToolResult):
    """`rank_descriptions`: candidate descriptions ranked by how well they predict the unit."""

    unit: str
    corpus: str
    read_as: str  # how stimuli were read ("firing windows", "labels, captions and classes")
    natural: bool = False  # the exemplar split is natural data (not procedural stimuli)
    # False when nearly all the random sample (SATURATED) reaches the top exemplars' lowest
    # activation (a unit that fires on something in nearly every text): then top and random
    # stimuli are not different, and no fit can tell descriptions apart
    informative: bool = True
    top: int
    random: int
    fits: list[Fit]  # best first

    def headline(self) -> str:
        best = self.fits[0]
        return (f"Best description on the exemplar split: {best.description!r} (rank "
                f"correlation {best.spearman:+.2f}, AUC {best.auc:.2f}, over {self.top} top "
                f"and {self.random} random stimuli)." + (
                    "" if self.informative else " Not informative: nearly every random "
                    "stimulus reaches the top exemplars' activation, so top and random do not "
                    "differ."))

    def rows(self) -> list[dict[str, Any]]:
        return [{"description": f.description, "rank correlation": round(f.spearman, 3),
                 "AUC top vs random": round(f.auc, 3)} | (
                {"standard error": round(f.se, 3)} if f.se is not None else {}) | (
                {"whole texts: rank correlation": round(f.text_spearman, 3),
                 "whole texts: AUC": round(f.text_auc or 0.0, 3)}
                if f.text_spearman is not None else {}) | (
                {"fresh exemplars: rank correlation": round(f.fresh_spearman, 3),
                 "fresh exemplars: AUC": round(f.fresh_auc or 0.0, 3)}
                if f.fresh_spearman is not None else {}) for f in self.fits]


def split_claim(description: str) -> tuple[str, str]:
    """(claim, excluded part) of a description; the excluded part is "" when there is none."""
    parts = EXCEPTION.split(description, maxsplit=1)
    claim = parts[0].strip(" ,;:-") or description
    return claim, (parts[1].strip(" ,;:-.") if len(parts) > 1 else "")


def named_words(claim: str) -> set[str]:
    """Words a claim names explicitly: quoted, listed in parentheses, or after "such as"."""
    found = re.findall(r"'([^']{1,30})'|\"([^\"]{1,30})\"", claim)
    words = {w for pair in found for w in pair if w}
    for group in re.findall(r"\(([^)]*)\)", claim):
        words.update(group.split(","))
    match = re.search(r"such as (.*)$", claim)
    if match:
        words.update(re.split(r",| and | or ", match.group(1)))
    return {w.strip().strip(".").lower() for w in words if w.strip()}


def named_features(claim: str, modality: str = "text") -> set[str]:
    """Features a claim names, by their evidence phrases or their qualifiers in a composition:
    of the firing token for text (`tools.text_evidence.FEATURE_PHRASES`: "long words",
    "spelt with a doubled letter"), of a generated scene's layout for images
    (`tools.vision_evidence.SCENE_PHRASES`: "scenes with exactly three objects")."""
    phrases, qualifiers = (SCENE_PHRASES, SCENE_QUALIFIERS) if modality == "vision" else (
        FEATURE_PHRASES, FEATURE_QUALIFIERS)
    remaining = claim.lower()
    names = sorted(((text.lower(), item) for item, phrase in phrases.items()
                    for text in (phrase, item, qualifiers.get(item)) if text),
                   key=lambda pair: -len(pair[0]))
    found = set()
    for text, item in names:  # longest first: "capitalised words inside a sentence" is not
        if text in remaining:  # also "capitalised word"
            found.add(item)
            remaining = remaining.replace(text, "\0")
    return found


def predicted(descriptions: list[str], texts: list[str],
              centers: list[str] | None = None,
              features: list[set[str]] | None = None, modality: str = "text",
              words: list[list[str]] | None = None) -> np.ndarray:
    """`[descriptions, texts]` predicted activations: similarity to the claim minus similarity
    to the excluded part, plus one where the text's firing token (`centers`) is a word the
    claim names or has a surface feature (`features`) the claim names, plus one where one of
    its `words` (the firing word, or any word of a whole text) has the word shape the claim
    names ("words ending in '-ly'", `tools.word_shape`); minus one for each where the excluded
    part names it, since a sentence embedder sees neither single words nor length or
    capitals."""
    from models.embedding import get_embedder

    embedder = get_embedder()
    stimuli = embedder.embed(texts).numpy()
    scores = []
    for description in descriptions:
        claim, excluded = split_claim(description)
        vectors = embedder.embed([claim] + ([excluded] if excluded else [])).numpy()
        score = stimuli @ vectors[0]
        if excluded:
            score = score - np.maximum(stimuli @ vectors[1], 0)
        if centers is not None:
            named, barred = named_words(claim), named_words(excluded) if excluded else set()
            tokens = [c.strip().lower() for c in centers]
            score = score + np.array([float(t in named) - float(t in barred) for t in tokens])
        if features is not None:
            wanted = named_features(claim, modality)
            unwanted = named_features(excluded, modality) if excluded else set()
            score = score + np.array([float(bool(wanted & f)) - float(bool(unwanted & f))
                                      for f in features])
        if words is not None:
            for part, sign in ((claim, 1.0), (excluded, -1.0)):
                test = shape_test(part) if part else None
                if test is not None:
                    score = score + sign * np.array([float(any(test(w) for w in ws))
                                                     for ws in words])
        scores.append(score)
    return np.stack(scores)


def auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """P(a positive scores above a negative), ties counted half."""
    if not len(positive) or not len(negative):
        return 0.5
    greater = (positive[:, None] > negative[None, :]).mean()
    ties = (positive[:, None] == negative[None, :]).mean()
    return float(greater + 0.5 * ties)


def _text_stimuli(address: Any, cache: Any, top_rows: list[int], sample_rows: list[int]
                  ) -> tuple[list[str], list[str], list[set[str]], list[set[str]],
                             list[list[str]], list[list[str]]]:
    """(the window around each text's firing token, that token, its surface features, the
    surface features of any of the text's words, the firing word, every word of the text),
    top rows then sample rows."""
    top = activations(str(address), [str(t) for t in cache.corpus.items(top_rows)])
    sample_texts = [str(t) for t in cache.corpus.items([int(i) for i in cache.sample_indices])]
    sample = sample_activations(address, cache.corpus.key, sample_texts)
    where = {int(r): i for i, r in enumerate(cache.sample_indices)}
    tokens_list = top.tokens + [sample.tokens[where[r]] for r in sample_rows]
    maps = top.maps + [sample.maps[where[r]] for r in sample_rows]
    windows, centers, features, anywhere, fired, every = [], [], [], [], [], []
    for tokens, values in zip(tokens_list, maps, strict=True):
        j = int(np.argmax(values)) if len(values) else 0
        windows.append(join_tokens(tokens[max(0, j - WINDOW):j + 3]).strip() or "(empty)")
        centers.append(tokens[j] if tokens else "")
        features.append(set(surface_features(tokens, j)) if tokens else set())
        anywhere.append({f for i in range(len(tokens)) for f in surface_features(tokens, i)})
        fired.append([whole_word(tokens, j)] if tokens else [])
        every.append(re.findall(r"[A-Za-z]+", join_tokens(tokens)))
    return windows, centers, features, anywhere, fired, every


def image_text(stimulus_id: str, image: Any, classifier_class: str | None) -> str:
    """An image read as words: a photo's label, category and caption, as a person would read
    it; a generated scene's contents and the class a classifier sees in it. A photo is not
    read through the classifier: a candidate written from the classes it sees ("things that
    look like a street sign") would otherwise be confirmed by the very outputs it was read
    from, whether or not the photos show the thing (on real EfficientNet units such
    candidates fitted the exemplar split and then told held-out photos apart no better than
    chance: `bench report` of 1c1e3a0, units blocks.3:19, 3:33, 2:29, 4:11, 4:36, 3:11)."""
    parts: list[str] = []
    try:
        from models.natural.splits import photo_record

        photo = photo_record(stimulus_id)
        return ", ".join(p.replace("_", " ") for p in (photo.label, photo.category,
                                                        photo.caption) if p) or "an image"
    except Exception:  # noqa: BLE001 (not a natural photo)
        from models.stimuli.images import read_spec

        spec = read_spec(image)
        if spec is not None:
            parts += [f"{o.colour} {o.shape.replace('_', ' ')}" for o in spec.objects]
            parts.append(f"{' and '.join(spec.background.colours)} "
                         f"{spec.background.kind.replace('_', ' ')} background")
            parts += [f"the text {t.text!r}" for t in getattr(spec, "texts", [])]
    if classifier_class:
        parts.append(f"looks like a {classifier_class}")
    return ", ".join(p.replace("_", " ") for p in parts if p) or "an image"


def _image_stimuli(cache: Any, rows: list[int], sample_rows: list[int]
                   ) -> tuple[list[str], list[set[str]]]:
    """(each image read as words, its scene's layout properties) for `rows`; an object is
    large or small against the objects of `sample_rows`."""
    images = [image.convert("RGB") for image in cache.corpus.items(rows)]
    # photos are read without the classifier (`image_text`): only generated scenes need it
    natural = str(cache.corpus.name).startswith("natural")
    classes = [None] * len(rows) if natural else classifier_classes(
        [cache.corpus.ids[row] for row in rows], images)
    cuts = size_cuts([images[rows.index(r)] for r in sample_rows if r in rows])
    return [image_text(cache.corpus.ids[row], image, cls)
            for row, image, cls in zip(rows, images, classes, strict=True)], [
        set(image_scene_features(image, cuts)) for image in images]


@tool("vision", result=DescriptionFit, name="rank_descriptions")
@tool("text", result=DescriptionFit, name="rank_descriptions")
def rank_descriptions(ctx: ToolContext, unit: str, descriptions: list[str],
                      k: Annotated[int, Field(ge=8, le=64)] = 24,
                      fresh: bool = False) -> Observation:
    """Rank candidate descriptions of the unit by how well each predicts its activations on the
    exemplar split (its top k stimuli and a random sample of the corpus): rank correlation of
    the description's similarity to each stimulus with the real activation, and the AUC of
    telling top from random stimuli. Use it to choose between hypotheses in words.

    Args:
        unit: the unit address '<model>:<layer>:<index>'.
        descriptions: 1 to 24 candidate descriptions in plain words.
        k: how many top exemplars to read (the random sample is the cache's).
        fresh: also read the next k top exemplars and average the two fits: a description
            written from the top exemplars must predict ones it was not written from.
    """
    if not descriptions or len(descriptions) > MAX_DESCRIPTIONS:
        raise ToolError(f"descriptions: give 1 to {MAX_DESCRIPTIONS} candidate descriptions")
    if any(not isinstance(d, str) or not d.strip() or len(d) > 400 for d in descriptions):
        raise ToolError("descriptions: each must be a non-empty string of at most 400 "
                        "characters")
    address, model, _ = resolve_unit(unit)
    cache = layer_exemplars(address.model, address.layer, ctx.corpus)
    ranked_rows = [int(i) for i in cache.top_indices[address.index]]
    top_rows = ranked_rows[:k]
    fresh_rows = ranked_rows[k:2 * k] if fresh else []
    taken = set(top_rows + fresh_rows)
    sample_rows = [int(i) for i in cache.sample_indices if int(i) not in taken][:64]
    tops = top_rows + fresh_rows
    rows = tops + sample_rows
    centers = features = anywhere = fired = every = None
    if model.modality == "text":
        (texts, centers, features, anywhere, fired, every), read_as = _text_stimuli(
            address, cache, tops, sample_rows), (
            "firing windows of texts, the words, surface features and word shapes named")
    else:
        (texts, features), read_as = _image_stimuli(cache, rows, sample_rows), (
            "labels, categories and captions" if str(cache.corpus.name).startswith("natural")
            else "labels, captions, scenes, their layout and classes")
    real = np.concatenate([np.asarray(cache.top_values[address.index][:len(tops)]),
                           _sample_values(cache, address.index, sample_rows)])
    n_sample = len(rows) - len(tops)
    reached = float(np.mean(real[len(tops):] >= real[:len(top_rows)].min())) if n_sample else 0.0
    informative = bool(np.ptp(real) > 0 and reached < SATURATED)
    readings = [predicted(list(descriptions), texts, centers, features, model.modality,
                          fired)]
    # texts are read twice: the window where the unit fires (which token) and the whole text
    # (which texts, by its meaning and by the surface features any of its words has); a
    # description should predict both
    if model.modality == "text":
        readings.append(predicted(list(descriptions), [str(t) for t in cache.corpus.items(rows)],
                                  features=anywhere, words=every))
    n_top, n_tops = len(top_rows), len(tops)
    first = np.r_[0:n_top, n_tops:len(rows)]
    again = np.r_[n_top:len(rows)]
    fits = []
    for i, description in enumerate(descriptions):
        measured = [_fit(reading[i][first], real[first], n_top) for reading in readings]
        extra: dict[str, float] = {}
        if len(measured) > 1:
            extra = {"text_spearman": measured[1][0], "text_auc": measured[1][1]}
        if fresh_rows:
            repeat = [_fit(reading[i][again], real[again], len(fresh_rows))
                      for reading in readings]
            extra |= {"fresh_spearman": round(float(np.mean([r for r, _ in repeat])), 4),
                      "fresh_auc": round(float(np.mean([a for _, a in repeat])), 4)}
        draws = _score_draws([reading[i] for reading in readings], real, n_top, n_tops,
                             np.random.default_rng(0))
        fits.append(Fit(description=description, spearman=measured[0][0], auc=measured[0][1],
                        se=round(float(np.std(draws)), 4) if len(draws) else None, **extra))
    fits.sort(key=lambda f: -f.score)
    result = DescriptionFit(unit=str(address), corpus=ctx.corpus, read_as=read_as,
                            natural=str(cache.corpus.name).startswith(("natural", "hub-")),
                            informative=informative, top=len(top_rows),
                            random=len(sample_rows), fits=fits)
    lines = [result.headline()] + [
        f"  {f.spearman:+.2f} / AUC {f.auc:.2f}"
        + (f" (whole texts {f.text_spearman:+.2f} / AUC {f.text_auc:.2f})"
           if f.text_spearman is not None and f.text_auc is not None else "")
        + (f" (fresh exemplars {f.fresh_spearman:+.2f} / AUC {f.fresh_auc:.2f})"
           if f.fresh_spearman is not None and f.fresh_auc is not None else "")
        + (f" (score {f.score:.2f} +/- {f.se:.2f})" if f.se is not None else "")
        + f": {f.description}" for f in fits]
    return Observation("rank_descriptions", "\n".join(lines), result=result)


def _fit(score: np.ndarray, real: np.ndarray, n_top: int) -> tuple[float, float]:
    """(rank correlation with the real activations, AUC of top vs random stimuli)."""
    rho = spearmanr(score, real).statistic if np.ptp(real) > 0 and np.ptp(score) > 0 else 0.0
    return round(float(np.nan_to_num(rho)), 4), round(auc(score[:n_top], score[n_top:]), 4)


def _score_draws(readings: list[np.ndarray], real: np.ndarray, n_top: int, n_tops: int,
                 rng: np.random.Generator, draws: int = BOOTSTRAP) -> np.ndarray:
    """`draws` bootstrap replicates of a description's `Fit.score`: the top exemplars, the
    fresh ones (rows `n_top:n_tops`) and the random sample (after `n_tops`) are each resampled
    with replacement, and the score is recomputed as `rank_descriptions` computes it (rank
    correlation + AUC per reading, averaged; with fresh exemplars, averaged with theirs)."""
    n = len(real)
    if n == n_tops or not n_top:
        return np.zeros(0)  # no random stimuli to tell the top ones from: no spread
    top = rng.integers(0, n_top, (draws, n_top))
    sample = rng.integers(n_tops, n, (draws, n - n_tops))
    sets = [(np.concatenate([top, sample], axis=1), n_top)]
    if n_tops > n_top:
        fresh = rng.integers(n_top, n_tops, (draws, n_tops - n_top))
        sets.append((np.concatenate([fresh, sample], axis=1), n_tops - n_top))
    totals = []
    for rows, k in sets:
        per_reading = [_rank_r(reading[rows], real[rows]) + _auc_rows(reading[rows], k)
                       for reading in readings]
        totals.append(np.mean(per_reading, axis=0))
    return np.mean(totals, axis=0)


def _rank_r(score: np.ndarray, real: np.ndarray) -> np.ndarray:
    """Row-wise Spearman correlation of `[draws, n]` arrays (0 where a row is constant)."""
    a, b = rankdata(score, axis=1), rankdata(real, axis=1)
    a, b = a - a.mean(axis=1, keepdims=True), b - b.mean(axis=1, keepdims=True)
    norm = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    return np.where(norm > 0, (a * b).sum(axis=1) / np.where(norm > 0, norm, 1.0), 0.0)


def _auc_rows(score: np.ndarray, n_top: int) -> np.ndarray:
    """Row-wise AUC of the first `n_top` columns against the rest, ties counted half."""
    pos, neg = score[:, :n_top, None], score[:, None, n_top:]
    return (pos > neg).mean(axis=(1, 2)) + 0.5 * (pos == neg).mean(axis=(1, 2))


def _sample_values(cache: Any, index: int, rows: list[int]) -> np.ndarray:
    where = {int(r): i for i, r in enumerate(cache.sample_indices)}
    return np.asarray([cache.sample_values[index][where[r]] for r in rows], dtype=np.float64)
