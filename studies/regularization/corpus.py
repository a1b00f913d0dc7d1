"""Text corpora for the study, each split once into training texts and held-out texts.

A corpus is a callable returning `TextSplits`; `CORPORA` names them, and `register_corpus` adds
one (for example a natural-text corpus with its own splits). A text file also works: one text
per line, split like the default corpus.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TextSplits:
    """A corpus split once: texts to fine-tune on and texts only measurement sees."""

    name: str
    train: list[str]
    heldout: list[str]


def split_by_hash(name: str, texts: list[str], heldout_every: int = 5) -> TextSplits:
    """Deduplicate `texts` and hold out those whose content hash falls in one of `heldout_every`
    buckets: stable when the corpus grows, and no text is in both splits."""
    unique = list(dict.fromkeys(t for t in texts if t.strip()))
    train, heldout = [], []
    for text in unique:
        bucket = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % heldout_every
        (heldout if bucket == 0 else train).append(text)
    return TextSplits(name, train, heldout)


def default_splits() -> TextSplits:
    """The workbench's offline written corpus (`models.corpora` "default"), split by hash."""
    from models.corpora import get_corpus

    return split_by_hash("default", get_corpus("default", "text").load())


def generated_splits(n: int = 20000) -> TextSplits:
    """More texts from the same offline generator as "default" (seed 0), split by hash: enough
    tokens for longer runs to see each text only a few times."""
    from models.stimuli.texts import corpus

    return split_by_hash(f"generated-{n}", corpus(n=n, seed=0))


CORPORA: dict[str, Callable[[], TextSplits]] = {"default": default_splits,
                                                "generated-20k": generated_splits}


def register_corpus(name: str, splits: Callable[[], TextSplits]) -> None:
    """Make a corpus available to configs by name."""
    CORPORA[name] = splits


def get_splits(name: str) -> TextSplits:
    """The splits of a corpus by registered name, or of a text file (one text per line)."""
    if name in CORPORA:
        splits = CORPORA[name]()
    elif Path(name).is_file():
        lines = Path(name).read_text(encoding="utf-8").splitlines()
        splits = split_by_hash(name, lines)
    else:
        raise ValueError(f"unknown corpus {name!r}; valid: {', '.join(CORPORA)}, or a text file "
                         f"with one text per line")
    if not splits.train or not splits.heldout:
        raise ValueError(f"corpus {name!r} has {len(splits.train)} training and "
                         f"{len(splits.heldout)} held-out texts; both splits need texts")
    return splits
