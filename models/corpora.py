"""Stimulus corpora for exemplar caches: named, reproducible lists of images or texts."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.errors import StimulusError

DEFAULT_VISION_SIZE = 600
DEFAULT_TEXT_SIZE = 2000


@dataclass
class Corpus:
    """A reproducible list of stimuli with a stable identity (used as the cache key).

    Attributes:
        name: what to pass to ask for it again ("generated", "photos", a folder, a file).
        modality: "vision" or "text".
        ids: one stable id per stimulus, shown with exemplars.
        load: materialises the stimuli (images are rendered or read only when asked for).
    """

    name: str
    modality: str
    ids: list[str]
    load: Callable[[], list]
    item: Callable[[int], Any] | None = None

    def items(self, indices: list[int]) -> list:
        """Materialise only some stimuli (rendering one scene is cheaper than all of them)."""
        if self.item is not None:
            return [self.item(int(i)) for i in indices]
        everything = self.load()
        return [everything[int(i)] for i in indices]

    @property
    def key(self) -> str:
        """A short hash of the corpus content ids: changes when the corpus changes."""
        digest = hashlib.sha256("\n".join(self.ids).encode()).hexdigest()[:12]
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in self.name)[-40:]
        return f"{safe}-{len(self.ids)}-{digest}"

    def __len__(self) -> int:
        return len(self.ids)


def generated_images(n: int = DEFAULT_VISION_SIZE, seed: int = 0) -> Corpus:
    """Procedurally generated scenes (shapes, colours, patterns, glyphs), n of them."""
    import numpy as np

    from models.stimuli.images import random_scene, render

    def item(i: int):
        return render(random_scene(np.random.default_rng([seed, i])))

    return Corpus(
        f"generated-{n}-seed{seed}",
        "vision",
        [f"generated:seed{seed}:{i}" for i in range(n)],
        lambda: [item(i) for i in range(n)],
        item,
    )


def photos() -> Corpus:
    """The natural photos that ship inside scikit-image."""
    from models.stimuli.photos import natural_photos

    names = sorted(natural_photos())
    return Corpus(
        "photos",
        "vision",
        [f"photo:{name}" for name in names],
        lambda: [natural_photos()[name] for name in names],
        lambda i: natural_photos()[names[i]],
    )


def default_vision(n: int = DEFAULT_VISION_SIZE) -> Corpus:
    """Generated scenes plus the natural photos: the vision default, no download needed."""
    generated, natural = generated_images(n), photos()

    def item(i: int):
        return generated.item(i) if i < n else natural.item(i - n)

    return Corpus(
        "default",
        "vision",
        generated.ids + natural.ids,
        lambda: generated.load() + natural.load(),
        item,
    )


def folder(path: str | Path) -> Corpus:
    """Every image in a folder (sorted by name)."""
    from models.stimuli.photos import images_from_folder

    root = Path(path)
    if not root.is_dir():
        raise StimulusError(f"no image folder at {str(root)!r}")
    files = sorted(p for p in root.iterdir() if p.is_file())
    return Corpus(str(root), "vision", [str(p) for p in files], lambda: images_from_folder(root))


def default_text(n: int = DEFAULT_TEXT_SIZE) -> Corpus:
    """The offline written corpus (templates and lexicons over many topics)."""
    from models.stimuli.texts import corpus

    texts = corpus(n=n, seed=0)
    return Corpus("default", "text", texts, lambda: list(texts), texts.__getitem__)


def text_file(path: str | Path) -> Corpus:
    """One text per non-empty line of a file."""
    from models.stimuli.texts import texts_from_file

    texts = texts_from_file(path)
    return Corpus(str(path), "text", texts, lambda: list(texts), texts.__getitem__)


def natural_installed(modality: str) -> bool:
    """Whether the natural corpus of a modality is installed here (cheap: no corpus is built)."""
    from models.natural.images import natural_photos
    from models.natural.text import installed_text_sources

    try:
        return bool(installed_text_sources()) if modality == "text" else bool(natural_photos())
    except Exception:  # noqa: BLE001 (a broken source means: not installed)
        return False


def get_corpus(name: str, modality: str, model: str | None = None) -> Corpus:
    """A corpus by name.

    "default" depends on the model: real models read the natural corpus's exemplar split
    (installed text passages or labelled photos; the procedural corpora when it is not
    installed), synthetic units the procedural corpora their concepts are written in.
    "natural" is the natural exemplar split, "templates" (text) and "generated" / "photos"
    (vision) the offline procedural ones; a folder of images or a text file also works.
    """
    synthetic = model is not None and model.startswith("synthetic-")
    if name == "natural" or (name == "default" and model is not None and not synthetic
                             and natural_installed(modality)):
        from models.natural import natural_corpus

        return natural_corpus(modality)
    if modality == "vision":
        if name == "default":
            return default_vision()
        if name == "generated":
            return generated_images()
        if name == "photos":
            return photos()
        if Path(name).is_dir():
            return folder(name)
        raise StimulusError(
            f"unknown vision corpus {name!r}; valid: default, natural, generated, photos, or a "
            f"folder of images"
        )
    if name in ("default", "templates"):
        return default_text()
    if Path(name).is_file():
        return text_file(name)
    raise StimulusError(
        f"unknown text corpus {name!r}; valid: default, natural, templates, or a text file "
        "(one text per line)"
    )
