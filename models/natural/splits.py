"""The one exemplar / held-out split of every natural corpus, exposed as `Corpus` objects.

Each item falls in one split by a hash of its document id (all pieces of one speech or chapter
land together), fixed once: the exemplar split is what the agent's tools see; the held-out split
is for the benchmark only and is reached through `heldout_corpus`, the single function that
returns it, so a test can check that tools and agents never call it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from models.corpora import Corpus
from models.errors import StimulusError
from models.natural.images import Photo, load_photo, natural_photos
from models.natural.text import Passage, natural_passages

SPLITS: tuple[str, ...] = ("exemplar", "heldout")
#: Share of documents in the held-out split, in percent.
HELDOUT_PERCENT = 50
#: Passages in the default exemplar text corpus: a fixed hash-chosen subsample of the exemplar
#: split (3000 of about 18,800 passages; about 183,000 of 1.15 million tokens), sized so that
#: one SmolLM2-135M pass at `model.layers.12.mlp` takes minutes on two CPU cores (measured:
#: 234 s at load average 4, 685 s at load average 5-7). The whole split would take 15-25
#: minutes at the same rates (about 800-1,400 tokens/s); `size="all"` gives it.
EXEMPLAR_TEXT_SIZE = 3000
MODALITIES: tuple[str, ...] = ("text", "vision")


def split_of(document: str) -> str:
    """The split a document id falls in: "heldout" for HELDOUT_PERCENT % of ids, by hash."""
    digest = hashlib.sha256(f"split:{document}".encode()).digest()
    return "heldout" if int.from_bytes(digest[:8], "big") % 100 < HELDOUT_PERCENT else "exemplar"


def _subsample_rank(item_id: str) -> str:
    return hashlib.sha256(f"subsample:{item_id}".encode()).hexdigest()


def _check(modality: str, size: int | str | None) -> None:
    if modality not in MODALITIES:
        raise StimulusError(f"unknown modality {modality!r}; valid: {', '.join(MODALITIES)}")
    if size is not None and size != "all" and not (isinstance(size, int) and size > 0):
        raise StimulusError(f"invalid size {size!r}; valid: a positive integer, 'all' or None "
                            f"(the default subsample)")


def _choose(items: Sequence[Any], ident: Callable[[Any], str], size: int | str | None,
            default: int | None) -> list[Any]:
    """The first `size` items by a fixed hash order (nested: a larger size keeps the smaller)."""
    limit = default if size is None else (None if size == "all" else size)
    if limit is None or limit >= len(items):
        return list(items)
    return sorted(items, key=lambda item: _subsample_rank(ident(item)))[:limit]


def _text_corpus(passages: Sequence[Passage], name: str) -> Corpus:
    # ordered by length: batches of similar length waste little on padding
    ordered = sorted(passages, key=lambda p: (p.tokens, p.id))
    texts = [p.text for p in ordered]
    return Corpus(name, "text", [p.id for p in ordered], lambda: list(texts), texts.__getitem__)


def _photo_corpus(photos: Sequence[Photo], name: str) -> Corpus:
    ordered = sorted(photos, key=lambda p: p.id)
    return Corpus(name, "vision", [p.id for p in ordered],
                  lambda: [load_photo(p) for p in ordered], lambda i: load_photo(ordered[i]))


def _in_split(modality: str, split: str) -> list[Any]:
    if modality == "text":
        return [p for p in natural_passages() if split_of(p.document) == split]
    return [p for p in natural_photos() if split_of(p.id) == split]


def _hub_corpus(hub: str, modality: str, split: str, size: int | str | None) -> Corpus:
    from models.natural.hub import hub_rows

    rows = hub_rows(hub, modality)
    chosen = [i for i, ident in enumerate(rows.ids) if split_of(ident) == split]
    chosen = _choose(chosen, lambda i: rows.ids[i], size, None)
    return Corpus(f"hub-{hub}-{split}", modality, [rows.ids[i] for i in chosen],
                  lambda: [rows.get(i) for i in chosen], lambda k: rows.get(chosen[k]))


def natural_corpus(modality: str, split: str = "exemplar", size: int | str | None = None,
                   hub: str | None = None) -> Corpus:
    """The exemplar split of the natural text corpus or photo collection, as a `Corpus`.

    Args:
        modality: "text" (passages) or "vision" (photos).
        split: only "exemplar"; the held-out split comes from `heldout_corpus`.
        size: None for the default (text: EXEMPLAR_TEXT_SIZE passages; vision: every photo),
            an integer for a fixed hash-chosen subsample of that many, or "all".
        hub: a hub dataset name (see `hub.HUB_DATASETS`) instead of the installed sources.

    Raises:
        StimulusError: an unknown modality, split or size, nothing installed, or a hub dataset
            that cannot be loaded here.
    """
    _check(modality, size)
    if split != "exemplar":
        raise StimulusError(
            f"natural_corpus gives only the 'exemplar' split (asked for {split!r}); the held-out "
            f"split is for the benchmark and comes from models.natural.splits.heldout_corpus"
        )
    if hub is not None:
        return _hub_corpus(hub, modality, "exemplar", size)
    default = EXEMPLAR_TEXT_SIZE if modality == "text" else None
    items = _choose(_in_split(modality, "exemplar"), lambda item: item.id, size, default)
    suffix = "" if len(items) == len(_in_split(modality, "exemplar")) else f"-{len(items)}"
    if modality == "text":
        return _text_corpus(items, f"natural-text-exemplar{suffix}")
    return _photo_corpus(items, f"natural-photos-exemplar{suffix}")


def heldout_corpus(modality: str, size: int | str | None = "all",
                   hub: str | None = None) -> Corpus:
    """The held-out split: for the benchmark only, never for tools or agents.

    Args:
        modality: "text" or "vision".
        size: "all" (default), or an integer for a fixed hash-chosen subsample.
        hub: a hub dataset name instead of the installed sources.
    """
    _check(modality, size)
    if hub is not None:
        return _hub_corpus(hub, modality, "heldout", size)
    items = _choose(_in_split(modality, "heldout"), lambda item: item.id, size, None)
    suffix = "" if len(items) == len(_in_split(modality, "heldout")) else f"-{len(items)}"
    if modality == "text":
        return _text_corpus(items, f"natural-text-heldout{suffix}")
    return _photo_corpus(items, f"natural-photos-heldout{suffix}")


@lru_cache(maxsize=1)
def _photo_index() -> dict[str, Photo]:
    return {p.id: p for p in natural_photos()}


@lru_cache(maxsize=1)
def _passage_index() -> dict[str, Passage]:
    return {p.id: p for p in natural_passages()}


def photo_record(photo_id: str) -> Photo:
    """The record (label, category, caption, source) of a photo id from either split.

    Raises:
        StimulusError: no installed photo has that id.
    """
    try:
        return _photo_index()[photo_id]
    except KeyError:
        raise StimulusError(f"no natural photo with id {photo_id!r}") from None


def passage_record(passage_id: str) -> Passage:
    """The record (source, document, tokens) of a passage id from either split.

    Raises:
        StimulusError: no passage has that id.
    """
    try:
        return _passage_index()[passage_id]
    except KeyError:
        raise StimulusError(f"no natural passage with id {passage_id!r}") from None
