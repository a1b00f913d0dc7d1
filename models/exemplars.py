"""The exemplar cache: one pass over a corpus records top-k, a random sample and quantiles
for every unit of a layer at once, stored on disk and reused."""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from models.base import SubjectModel
from models.corpora import Corpus, get_corpus
from models.errors import ModelsError
from models.loaders import cache_dir
from models.progress import report_progress
from models.recording import layer_activations, prepare_stimuli, resolve_unit
from models.registry import get_model
from models.units import UnitAddress

QUANTILES = (0.0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1.0)
#: The most exemplars one request may ask for (the cache keeps the top 32 per unit; up to
#: this many it is rebuilt once, larger requests would rebuild it for minutes).
MAX_EXEMPLARS = 128
CACHE_VERSION = 1


@dataclass
class Exemplar:
    """One top-activating stimulus of a unit."""

    rank: int
    stimulus_id: str
    value: float
    stimulus: Any  # PIL image or text


@dataclass
class LayerExemplars:
    """The cached statistics of every unit of one layer over one corpus.

    Arrays: `top_values`/`top_indices` `[units, k]` (descending), `sample_values`
    `[units, s]` at `sample_indices` `[s]` (a fixed random sample of the corpus),
    `quantiles` `[units, len(QUANTILES)]`.
    """

    model: str
    layer: str
    corpus: Corpus
    top_values: np.ndarray
    top_indices: np.ndarray
    sample_indices: np.ndarray
    sample_values: np.ndarray
    quantiles: np.ndarray

    def unit_summary(self, index: int) -> dict[str, Any]:
        """Numbers for one unit: its top values and where its quantiles lie."""
        return {
            "top_values": self.top_values[index].tolist(),
            "top_ids": [self.corpus.ids[i] for i in self.top_indices[index]],
            "quantiles": dict(
                zip([str(q) for q in QUANTILES], self.quantiles[index].tolist(), strict=True)
            ),
        }


def _cache_path(model: str, layer: str, corpus: Corpus) -> Path:
    safe_model = model.replace("/", "__")
    return cache_dir() / "exemplars" / safe_model / layer / f"{corpus.key}.npz"


def build_layer_exemplars(
    model: SubjectModel,
    layer: str,
    corpus: Corpus,
    k: int = 32,
    sample: int = 64,
    batch_size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    stimuli: list | None = None,
) -> LayerExemplars:
    """One pass over the corpus: running top-k per unit, plus all values for quantiles.

    Args:
        stimuli: the corpus already materialised (skips `corpus.load()`).
        progress: called with (done, total) after each batch.
    """
    items = prepare_stimuli(model, stimuli if stimuli is not None else corpus.load())
    total = len(items)
    k = min(k, total)
    rng = np.random.default_rng(0)
    sample_indices = np.sort(rng.choice(total, size=min(sample, total), replace=False))
    all_values: list[torch.Tensor] = []
    top_values = top_indices = None
    for start, recording in layer_activations(model, layer, items, None, batch_size):
        values = recording.values()  # [batch, units]
        all_values.append(values)
        index = torch.arange(start, start + values.shape[0])[:, None].expand_as(values)
        if top_values is None:
            pool_values, pool_index = values, index
        else:
            pool_values = torch.cat([top_values, values])
            pool_index = torch.cat([top_indices, index])
        keep = min(k, pool_values.shape[0])
        top_values, rows = pool_values.topk(keep, dim=0)
        top_indices = pool_index.gather(0, rows)
        if progress is not None:
            progress(start + values.shape[0], total)
        report_progress(f"building the exemplar cache of {model.name}:{layer} over corpus "
                        f"{corpus.name!r} (one pass; later runs on this layer reuse it)",
                        start + values.shape[0], total)
    values = torch.cat(all_values)  # [n, units]
    quantiles = torch.quantile(
        values.double(), torch.tensor(QUANTILES, dtype=torch.double), dim=0
    ).T.float()
    return LayerExemplars(
        model=model.name,
        layer=layer,
        corpus=corpus,
        top_values=top_values.T.numpy(),
        top_indices=top_indices.T.numpy(),
        sample_indices=sample_indices,
        sample_values=values[sample_indices].T.numpy(),
        quantiles=quantiles.numpy(),
    )


def save(cache: LayerExemplars, path: Path) -> None:
    """Write atomically: a temporary file renamed into place, so no half-written cache."""
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "version": CACHE_VERSION,
        "model": cache.model,
        "layer": cache.layer,
        "corpus": cache.corpus.name,
        "corpus_key": cache.corpus.key,
    }
    handle, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            np.savez(
                out,
                meta=json.dumps(meta),
                top_values=cache.top_values,
                top_indices=cache.top_indices,
                sample_indices=cache.sample_indices,
                sample_values=cache.sample_values,
                quantiles=cache.quantiles,
            )
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load(path: Path, corpus: Corpus) -> LayerExemplars | None:
    """Read a cache; None when missing, unreadable or built for another corpus or version."""
    try:
        with np.load(path) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("version") != CACHE_VERSION or meta.get("corpus_key") != corpus.key:
                return None
            return LayerExemplars(
                meta["model"],
                meta["layer"],
                corpus,
                data["top_values"],
                data["top_indices"],
                data["sample_indices"],
                data["sample_values"],
                data["quantiles"],
            )
    except (OSError, ValueError, KeyError):
        return None


def layer_exemplars(
    model_name: str,
    layer: str,
    corpus: str | Corpus = "default",
    k: int = 32,
    progress: Callable[[int, int], None] | None = None,
) -> LayerExemplars:
    """The layer's exemplar cache over a corpus, built on first use and reused from disk."""
    model = get_model(model_name)
    model.layer_info(layer)
    if isinstance(corpus, str):
        corpus = get_corpus(corpus, model.modality, model.name)
    path = _cache_path(model.name, layer, corpus)
    cached = load(path, corpus)
    if cached is not None and cached.top_values.shape[1] >= min(k, len(corpus)):
        return cached
    started = time.perf_counter()
    built = build_layer_exemplars(model, layer, corpus, k=k, progress=progress)
    _JUST_BUILT[str(path)] = time.perf_counter() - started
    save(built, path)
    return built


#: Caches built in this process and not yet reported (path -> seconds the pass took).
_JUST_BUILT: dict[str, float] = {}


def cache_note(model: str, layer: str, corpus: str | Corpus = "default") -> str:
    """A sentence for people when this process just built the layer's cache (once)."""
    subject = get_model(model)
    if isinstance(corpus, str):
        corpus = get_corpus(corpus, subject.modality, subject.name)
    seconds = _JUST_BUILT.pop(str(_cache_path(subject.name, layer, corpus)), None)
    if seconds is None:
        return ""
    return (f" (this call built the exemplar cache of {model}:{layer} in {seconds:.0f} s; "
            "later runs on this layer reuse it and start at once)")


def exemplars(
    unit: str | UnitAddress,
    k: int = 16,
    corpus: str | Corpus = "default",
    progress: Callable[[int, int], None] | None = None,
) -> list[Exemplar]:
    """The unit's k top-activating stimuli of the corpus, highest first (MAIA's exemplars).

    Raises:
        ModelsError: k outside 1..MAX_EXEMPLARS (a larger k would rebuild the cache).
    """
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_EXEMPLARS:
        raise ModelsError(f"k must be a whole number from 1 to {MAX_EXEMPLARS}, got {k!r}")
    address, model, _ = resolve_unit(unit)
    cache = layer_exemplars(address.model, address.layer, corpus, k=max(k, 32), progress=progress)
    rows = cache.top_indices[address.index][:k]
    stimuli = cache.corpus.items(list(rows))
    return [
        Exemplar(rank, cache.corpus.ids[i], float(v), stimulus)
        for rank, (i, v, stimulus) in enumerate(
            zip(rows, cache.top_values[address.index][:k], stimuli, strict=True)
        )
    ]
