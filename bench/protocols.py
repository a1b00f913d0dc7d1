"""Scoring protocols that test a description by what it predicts: predictive evaluation
(MAIA), simulation (Bills et al. 2023), detection (Paulo et al. 2024), and the two controls."""

from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench.judge import Parsed, parse

#: Held-out pool: a corpus the agent never sees (the exemplar cache uses seed 0).
POOL_SEED = 7
POOL_SIZE = {"vision": 240, "text": 400}
#: Held-out stimuli per unit: the pool's top activations and a random sample (Bills et al.).
N_TOP = 16
N_RANDOM = 48
#: Stimuli per side in predictive evaluation.
N_PREDICT = 12
#: Seed of the predictive stimuli; the agent's tools use small seeds from 0.
PREDICT_SEED = 9173


# --------------------------------------------------------------------------- held-out data


@functools.cache
def _pool(modality: str) -> list:
    """The held-out stimuli, materialised once per process."""
    if modality == "vision":
        from models.corpora import generated_images

        return generated_images(POOL_SIZE["vision"], seed=POOL_SEED).load()
    from models.stimuli.texts import corpus

    return corpus(POOL_SIZE["text"], seed=POOL_SEED)


@functools.cache
def _pool_tags(modality: str) -> tuple[frozenset[str], ...]:
    """Vocabulary concepts present in each pool stimulus (the detectors, content only)."""
    from tools.contrast import concept_tags

    return tuple(frozenset(t) for t in concept_tags(modality, _pool(modality)))


@dataclass
class HeldOut:
    """A unit's held-out stimuli: indices into the pool, real values, and which are top."""

    indices: np.ndarray
    values: np.ndarray
    is_top: np.ndarray
    cut: float  # activating at or above (half-way from the pool median to the pool max)


def held_out(address: str, modality: str) -> HeldOut:
    """Top-N and random held-out stimuli of a unit, measured on the real unit."""
    from models.recording import activations

    values = np.asarray(activations(address, _pool(modality)).values, dtype=float)
    order = np.argsort(-values, kind="stable")
    top = order[:N_TOP]
    rng = np.random.default_rng(zlib.crc32(address.encode()))
    rest = np.setdiff1d(np.arange(len(values)), top)
    sample = rng.choice(rest, size=min(N_RANDOM, len(rest)), replace=False)
    indices = np.concatenate([top, sample])
    median, peak = float(np.median(values)), float(values.max())
    return HeldOut(indices, values[indices],
                   np.array([True] * len(top) + [False] * len(sample)),
                   median + 0.5 * (peak - median))


# --------------------------------------------------------------------------- simulation


def simulate(parsed: Parsed, tags: list[frozenset[str]]) -> np.ndarray:
    """The offline simulator: 1 where the described composition of concepts is present."""
    if not parsed.concepts:
        return np.zeros(len(tags))
    concepts = list(parsed.concepts)
    out = []
    for present in tags:
        has = [c in present for c in concepts]
        if parsed.composition == "single":
            value = has[0]
        elif parsed.composition == "or":
            value = any(has)
        elif parsed.composition == "and":
            value = all(has)
        else:  # and_not: the last concept is the excluded one
            value = all(has[:-1]) and not has[-1]
        out.append(float(value))
    return np.array(out)


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation; 0 when either side is constant (the simulator says nothing)."""
    if np.std(a) == 0 or np.std(b) == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def simulation(parsed: Parsed, data: HeldOut, modality: str) -> dict[str, Any]:
    """Correlation of simulated and real activations on held-out top and random stimuli."""
    tags = [_pool_tags(modality)[i] for i in data.indices]
    predicted = simulate(parsed, tags)
    return {"correlation": round(_correlation(predicted, data.values), 4),
            "n": len(predicted)}


def detection(parsed: Parsed, data: HeldOut, modality: str) -> dict[str, Any]:
    """Balanced accuracy of telling held-out activating stimuli from non-activating ones."""
    tags = [_pool_tags(modality)[i] for i in data.indices]
    predicted = simulate(parsed, tags) > 0.5
    positive = data.is_top & (data.values >= data.cut)
    negative = ~data.is_top & (data.values < data.cut)
    if not positive.any() or not negative.any():
        return {"balanced_accuracy": None, "n_pos": int(positive.sum()),
                "n_neg": int(negative.sum())}
    hit = float(predicted[positive].mean())
    reject = float((~predicted[negative]).mean())
    return {"balanced_accuracy": round((hit + reject) / 2, 4), "n_pos": int(positive.sum()),
            "n_neg": int(negative.sum())}


# --------------------------------------------------------------------------- predictive


def _plans(parsed: Parsed) -> tuple[list[tuple[list[str], list[str]]], list[str]]:
    """(include, exclude) cells expected to activate the unit, and what neutrals exclude."""
    concepts = list(parsed.concepts)
    if parsed.composition == "single":
        return [(concepts[:1], [])], concepts[:1]
    if parsed.composition == "or":
        return [([c], []) for c in concepts], concepts
    if parsed.composition == "and":
        return [(concepts, [])], concepts
    return [(concepts[:-1], concepts[-1:])], concepts[:-1]


def predictive(parsed: Parsed, address: str, modality: str,
               n: int = N_PREDICT) -> dict[str, Any]:
    """Stimuli built from the description alone: expected-activating vs neutral, on the unit."""
    from models.errors import ModelsError
    from models.recording import activations
    from tools.contrast import auc, build_stimuli

    try:
        if parsed.concepts:
            plans, neutral_exclude = _plans(parsed)
            positives: list = []
            for k, (include, exclude) in enumerate(plans):
                count = n // len(plans) + (1 if k < n % len(plans) else 0)
                if count:
                    positives += build_stimuli(modality, include, exclude, count,
                                               PREDICT_SEED + k)
            neutrals = build_stimuli(modality, [], neutral_exclude, n, PREDICT_SEED)
        else:
            # a description naming nothing predicts nothing: two random sets
            positives = build_stimuli(modality, [], [], n, PREDICT_SEED + 1)
            neutrals = build_stimuli(modality, [], [], n, PREDICT_SEED + 2)
    except ModelsError as error:
        return {"auc": None, "error": str(error)[:300]}
    values = np.asarray(activations(address, positives + neutrals).values, dtype=float)
    pos, neg = values[: len(positives)], values[len(positives):]
    return {"auc": round(auc(pos, neg), 4), "mean_activating": round(float(pos.mean()), 5),
            "mean_neutral": round(float(neg.mean()), 5),
            "difference": round(float(pos.mean() - neg.mean()), 5)}


# --------------------------------------------------------------------------- controls


def exemplar_oneshot(address: str, modality: str, k: int = 16) -> str:
    """A one-shot explanation from exemplars alone (no experiments): the concept whose share
    among the top-k exemplars most exceeds its share in the cache's random sample."""
    from models.exemplars import exemplars, layer_exemplars
    from models.units import parse_unit
    from tools.contrast import concept_tags, vocabulary

    unit = parse_unit(address)
    top = exemplars(address, k=k)
    cache = layer_exemplars(unit.model, unit.layer)
    sample = cache.corpus.items(list(cache.sample_indices))
    top_tags = concept_tags(modality, [e.stimulus for e in top])
    base_tags = concept_tags(modality, sample)
    best, best_lift = None, -1.0
    for concept in sorted(vocabulary(modality)):
        lift = (sum(concept in t for t in top_tags) / len(top_tags)
                - sum(concept in t for t in base_tags) / max(len(base_tags), 1))
        if lift > best_lift:
            best, best_lift = concept, lift
    if best is None:
        return "no clear concept among the top exemplars"
    return f"fires on {vocabulary(modality)[best].phrase}"


def evaluate(description: str, address: str, modality: str,
             data: HeldOut | None = None) -> dict[str, Any]:
    """Predictive, simulation and detection scores of one description of one unit."""
    parsed = parse(description, modality)
    data = data or held_out(address, modality)
    result: dict[str, Any] = {"parsed": parsed.to_json()}
    for name, protocol in (("predictive", lambda: predictive(parsed, address, modality)),
                           ("simulation", lambda: simulation(parsed, data, modality)),
                           ("detection", lambda: detection(parsed, data, modality))):
        try:
            result[name] = protocol()
        except Exception as error:  # noqa: BLE001 (one failing protocol must not lose others)
            result[name] = {"error": f"{type(error).__name__}: {error}"[:300]}
    return result
