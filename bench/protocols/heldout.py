"""The held-out data the protocols score on: a pool of stimuli the agent never sees, and each
unit's top and random stimuli from it, measured on the real unit."""

from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass

import numpy as np

#: Held-out pool: a corpus the agent never sees (the exemplar cache uses seed 0).
POOL_SEED = 7


POOL_SIZE = {"vision": 240, "text": 400}


#: Held-out stimuli per unit: the pool's top activations and a random sample (Bills et al.).
N_TOP = 16


N_RANDOM = 48


@functools.cache
def pool(modality: str) -> list:
    """The held-out stimuli, materialised once per process."""
    if modality == "vision":
        from models.corpora import generated_images

        return generated_images(POOL_SIZE["vision"], seed=POOL_SEED).load()
    from models.stimuli.texts import corpus

    return corpus(POOL_SIZE["text"], seed=POOL_SEED)


@functools.cache
def pool_tags(modality: str) -> tuple[frozenset[str], ...]:
    """Vocabulary concepts present in each pool stimulus (the detectors, content only)."""
    from tools.contrast import concept_tags

    return tuple(frozenset(t) for t in concept_tags(modality, pool(modality)))


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

    values = np.asarray(activations(address, pool(modality)).values, dtype=float)
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
