"""Natural photos for probing: the offline scikit-image samples and images read from a folder."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
from PIL import Image

from models.errors import StimulusError
from models.stimuli_io import load_image

#: Real photographs bundled with scikit-image itself (no download needed); grayscale ones are
#: converted to RGB. Microscopy, astronomy, textures and synthetic test images are left out.
PHOTO_NAMES: tuple[str, ...] = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "camera",
    "coins",
    "moon",
    "page",
    "text",
    "clock",
)
IMAGE_SUFFIXES: frozenset[str] = frozenset(
    {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
)


def natural_photos() -> dict[str, Image.Image]:
    """The bundled scikit-image photos that load offline, as RGB PIL images by name.

    Decoded once per process; callers get their own copies, so they may edit them.
    """
    return {name: image.copy() for name, image in _decoded_photos().items()}


@functools.lru_cache(maxsize=1)
def _decoded_photos() -> dict[str, Image.Image]:
    from skimage import data  # imported here: skimage.data is slow to import

    photos: dict[str, Image.Image] = {}
    for name in PHOTO_NAMES:
        try:
            array = getattr(data, name)()
        except (AttributeError, ImportError, OSError, ValueError):
            continue  # a photo this scikit-image build cannot provide offline
        array = np.asarray(array)
        if array.dtype != np.uint8:
            array = (np.clip(array, 0, 1) * 255).astype(np.uint8)
        if array.ndim == 2:
            array = np.stack([array] * 3, axis=-1)
        image = Image.fromarray(array[..., :3]).convert("RGB")
        image.info["source"] = f"skimage.data.{name}"
        photos[name] = image
    return photos


def images_from_folder(path: str | Path, limit: int | None = None) -> list[Image.Image]:
    """Readable images in a folder, sorted by file name; unreadable files are skipped.

    Raises:
        StimulusError: the folder does not exist, or holds no readable image.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise StimulusError(f"no folder at {str(folder)!r}")
    images: list[Image.Image] = []
    skipped: list[str] = []
    for index, file in enumerate(sorted(p for p in folder.iterdir() if p.is_file())):
        if limit is not None and len(images) >= limit:
            break
        if file.suffix.lower() not in IMAGE_SUFFIXES:
            skipped.append(file.name)
            continue
        try:
            images.append(load_image(file, index))
        except StimulusError:
            skipped.append(file.name)
    if not images:
        shown = ", ".join(skipped[:5]) + (" ..." if len(skipped) > 5 else "")
        raise StimulusError(
            f"no readable image in {str(folder)!r}"
            + (f" (skipped: {shown})" if skipped else " (the folder is empty)")
            + f"; expected files ending in {', '.join(sorted(IMAGE_SUFFIXES))}"
        )
    return images
