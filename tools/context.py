"""The per-run state tools share: where artifacts go, the image store, limits and backends."""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from models.stimuli_io import load_image


class ToolError(Exception):
    """A tool call that cannot be served as asked; its message says what would be valid."""


@dataclass(frozen=True)
class Limits:
    """Guards that protect the machine; exceeding one is a clear error, not a slow call."""

    max_images: int = 32  # per call
    max_texts: int = 32  # per call
    max_text_chars: int = 2000
    max_generated: int = 16  # stimuli one generate/text2image call may make
    max_exemplars: int = 32
    max_image_side: int = 1024
    max_new_tokens: int = 48


def write_atomically(path: Path, data: bytes) -> None:
    """Write a file whole or not at all: a temporary file renamed into place."""
    handle, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's bytes (artifacts record it, so replays can check them)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


_IMAGE_NAME = re.compile(r"^img-(\d{4,})\.png$")
_PLOT_NAME = re.compile(r"^(\d{4,})-.*\.png$")


class ImageStore:
    """Images a run has seen, saved once as PNG and named by a short id (`img-0003`).

    Tools take image ids (or files under the store's allowed roots) wherever they take images,
    so an agent can generate an image in one call and edit or measure it in the next. A store
    opened on a folder that already holds images (a resumed run) knows them and numbers new
    ones after them: an image on disk is never overwritten.
    """

    def __init__(self, root: Path, allowed_roots: tuple[Path, ...] = ()) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.allowed_roots = tuple(Path(r).resolve() for r in (root, *allowed_roots))
        self._paths: dict[str, Path] = {}
        self._by_hash: dict[str, str] = {}
        self._next = 1
        self._lock = threading.Lock()
        for path in sorted(self.root.iterdir()):
            found = _IMAGE_NAME.match(path.name)
            if found:
                image_id = path.stem
                self._paths[image_id] = path
                self._by_hash.setdefault(hashlib.sha256(path.read_bytes()).hexdigest()[:16],
                                         image_id)
                self._next = max(self._next, int(found.group(1)) + 1)

    def add(self, image: Image.Image, title: str = "") -> tuple[str, Path]:
        """Save the image (once per distinct content) and return its id and path."""
        buffer = io.BytesIO()
        pnginfo = None
        spec = image.info.get("scene_spec")
        if spec:
            from PIL.PngImagePlugin import PngInfo

            pnginfo = PngInfo()
            pnginfo.add_text("scene_spec", spec)
        image.save(buffer, format="PNG", pnginfo=pnginfo)
        data = buffer.getvalue()
        digest = hashlib.sha256(data).hexdigest()[:16]
        with self._lock:
            if digest in self._by_hash:
                image_id = self._by_hash[digest]
                return image_id, self._paths[image_id]
            image_id = f"img-{self._next:04d}"
            self._next += 1
            path = self.root / f"{image_id}.png"
            write_atomically(path, data)
            self._paths[image_id] = path
            self._by_hash[digest] = image_id
        return image_id, path

    def path(self, image_id: str) -> Path:
        return self._paths[image_id]

    def get(self, ref: str) -> Image.Image:
        """An image by id, by named photo (`photo:chelsea`), or by a file under allowed roots."""
        if ref in self._paths:
            return load_image(self._paths[ref])
        if ref.startswith("photo:"):
            from models.stimuli.photos import natural_photos

            photos = natural_photos()
            name = ref.split(":", 1)[1]
            if name not in photos:
                raise ToolError(f"no photo {name!r}; valid: {', '.join(sorted(photos))}")
            return photos[name]
        path = Path(ref)
        if path.is_file():
            resolved = path.resolve()
            if any(resolved.is_relative_to(root) for root in self.allowed_roots):
                return load_image(resolved)
            raise ToolError(f"image file {ref!r} is outside the run's folders; pass an image id")
        known = ", ".join(list(self._paths)[-8:]) or "none yet"
        raise ToolError(
            f"unknown image {ref!r}: pass an image id from an earlier tool call (recent: {known}), "
            f"or a named photo such as 'photo:chelsea'"
        )

    def ids(self) -> list[str]:
        return list(self._paths)


@dataclass
class ToolContext:
    """Everything tools need besides their arguments, for one run.

    Attributes:
        run_dir: the run folder; artifacts go under `run_dir/artifacts`.
        limits: per-call guards.
        corpus: the exemplar corpus name ("default", or a folder / text file).
        backends: optional model-backed helpers (text2image, editor, describer, text LM),
            looked up by name; tools fall back to offline implementations when absent.
    """

    run_dir: Path
    limits: Limits = field(default_factory=Limits)
    corpus: str = "default"
    backends: dict[str, Any] = field(default_factory=dict)
    allowed_roots: tuple[Path, ...] = ()

    def __post_init__(self) -> None:
        self.run_dir = Path(self.run_dir)
        self.artifact_dir = self.run_dir / "artifacts"
        self.artifact_dir.mkdir(parents=True, exist_ok=True)
        self.images = ImageStore(self.artifact_dir / "images", self.allowed_roots)
        plots = self.artifact_dir / "plots"
        numbers = [int(m.group(1)) for p in (plots.iterdir() if plots.is_dir() else [])
                   if (m := _PLOT_NAME.match(p.name))]
        # a resumed run numbers its plots after those on disk: none is ever overwritten
        self._plot_count = max(numbers, default=0)
        self._lock = threading.Lock()

    def plot_path(self, stem: str) -> Path:
        """A fresh path for a plot PNG."""
        with self._lock:
            self._plot_count += 1
            count = self._plot_count
        safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in stem)[:40]
        path = self.artifact_dir / "plots" / f"{count:04d}-{safe}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path
