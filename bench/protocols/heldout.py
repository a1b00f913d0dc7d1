"""The held-out data the protocols score on: a pool of stimuli the agent never sees, and each
unit's top and random stimuli from it, measured on the real unit.

Real units are scored on the natural corpus's held-out split (`models.natural.splits.
heldout_corpus`; the agent's tools read only the exemplar split); synthetic units, whose
concepts are written in the procedural generators, on a procedural pool with its own seed.
Each pool item is also given as text, which is how the benchmark's reader sees it: a text as
itself, a photo through its dataset label and caption, a procedural scene through its
generator spec written out as a caption.
"""

from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass

import numpy as np

#: Procedural held-out pool: a corpus the agent never sees (the exemplar cache uses seed 0).
POOL_SEED = 7


POOL_SIZE = {"vision": 240, "text": 400}


#: Natural held-out pool sizes (vision: every held-out photo).
NATURAL_POOL_SIZE = {"vision": "all", "text": 600}


#: Held-out stimuli per unit: the pool's top activations and a random sample (Bills et al.).
N_TOP = 16


N_RANDOM = 48


def pool_kind(address: str, modality: str) -> str:
    """"natural" for real units where the natural corpus is installed, else "procedural"."""
    from models.corpora import natural_installed

    if address.startswith("synthetic-") or not natural_installed(modality):
        return "procedural"
    return "natural"


@functools.cache
def _pool_corpus(modality: str, kind: str):
    if kind == "natural":
        from models.natural.splits import heldout_corpus

        return heldout_corpus(modality, NATURAL_POOL_SIZE[modality])
    return None


@functools.cache
def pool(modality: str, kind: str = "procedural") -> list:
    """The held-out stimuli, materialised once per process."""
    corpus = _pool_corpus(modality, kind)
    if corpus is not None:
        return corpus.load()
    if modality == "vision":
        from models.corpora import generated_images

        return generated_images(POOL_SIZE["vision"], seed=POOL_SEED).load()
    import re

    from models.stimuli.texts import corpus as template_corpus

    # one sentence per stimulus: multi-sentence texts would let a text's length alone (more
    # sentences, more of every concept) correlate any description with any unit
    sentences = dict.fromkeys(s for text in template_corpus(POOL_SIZE["text"], seed=POOL_SEED)
                              for s in re.split(r"(?<=[.!?])\s+", text) if s.strip())
    return list(sentences)[: POOL_SIZE["text"]]


def _scene_caption(spec) -> str:
    """A procedural scene's generator spec written out as a caption."""
    parts = []
    for obj in spec.objects:
        fill = "" if obj.fill == "solid" else f"{obj.fill} "
        parts.append(f"a {obj.colour} {fill}{obj.shape}")
    for text in spec.texts:
        parts.append(f"the word '{text.text}' written in {text.colour}")
    background = spec.background
    colours = " and ".join(background.colours)
    kind = "plain" if background.kind == "solid" else background.kind
    scene = ", ".join(parts) if parts else "nothing"
    return f"{scene} on a {kind} {colours} background"


@functools.cache
def pool_texts(modality: str, kind: str = "procedural") -> tuple[str, ...]:
    """Each pool stimulus as the reader sees it (texts: itself; images: label and caption)."""
    if modality == "text":
        return tuple(pool(modality, kind))
    corpus = _pool_corpus(modality, kind)
    if corpus is not None:
        from models.natural.splits import photo_record

        out = []
        for photo_id in corpus.ids:
            record = photo_record(photo_id)
            caption = f". {record.caption}" if record.caption else ""
            out.append(f"a photo of {record.label}{caption}")
        return tuple(out)
    from models.stimuli.images.compose import random_scene

    return tuple(_scene_caption(random_scene(np.random.default_rng([POOL_SEED, i])))
                 for i in range(POOL_SIZE["vision"]))


@dataclass
class HeldOut:
    """A unit's held-out stimuli: indices into the pool, real values, and which are top.

    Attributes:
        kind: which pool ("natural" or "procedural").
        pool_values: the unit's value on every pool stimulus.
        tokens, token_values: texts only: per chosen stimulus, its tokens and per-token values.
    """

    indices: np.ndarray
    values: np.ndarray
    is_top: np.ndarray
    cut: float  # activating at or above (half-way from the pool median to the pool max)
    kind: str = "procedural"
    pool_values: np.ndarray | None = None
    tokens: list[list[str]] | None = None
    token_values: list[np.ndarray] | None = None


def held_out(address: str, modality: str) -> HeldOut:
    """Top-N and random held-out stimuli of a unit, measured on the real unit."""
    from models.recording import shared_activations, shared_values

    kind = pool_kind(address, modality)
    stimuli = pool(modality, kind)
    # the pool's size is part of its name: a smaller pool (a test's) never reads a larger one's
    # recording
    key = f"held-out:{modality}:{kind}:{POOL_SEED}:{len(stimuli)}"
    # every unit of a layer is scored on the same pool: one forward pass serves the layer
    recorded = None
    if modality == "text":
        recorded = shared_activations(address, stimuli, key)
        values = np.asarray(recorded.values, dtype=float)
    else:
        values = shared_values(address, stimuli, key)
    order = np.argsort(-values, kind="stable")
    top = order[:N_TOP]
    rng = np.random.default_rng(zlib.crc32(address.encode()))
    rest = np.setdiff1d(np.arange(len(values)), top)
    sample = rng.choice(rest, size=min(N_RANDOM, len(rest)), replace=False)
    indices = np.concatenate([top, sample])
    median, peak = float(np.median(values)), float(values.max())
    data = HeldOut(indices, values[indices],
                   np.array([True] * len(top) + [False] * len(sample)),
                   median + 0.5 * (peak - median), kind, values)
    if recorded is not None and recorded.tokens is not None:
        data.tokens = [recorded.tokens[i] for i in indices]
        data.token_values = [np.asarray(recorded.maps[i], dtype=float) for i in indices]
    return data
