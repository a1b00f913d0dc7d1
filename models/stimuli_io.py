"""Validation of stimuli: images become RGB PIL images, texts non-empty bounded strings."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from models.errors import StimulusError

#: Largest image accepted, in pixels (a decompression-bomb guard; 16 megapixels).
MAX_IMAGE_PIXELS = 4096 * 4096
#: Longest text accepted, in characters.
MAX_TEXT_CHARS = 4000

ImageLike = Image.Image | str | Path | np.ndarray | bytes


def load_image(item: Any, position: int = 0) -> Image.Image:
    """Turn a path, bytes, an HxWx3 uint8 array or a PIL image into an RGB PIL image.

    Raises:
        StimulusError: unreadable, corrupt, too large or not an image at all.
    """
    where = f"stimulus {position}"
    try:
        if isinstance(item, Image.Image):
            image = item
        elif isinstance(item, (str, Path)):
            path = Path(item)
            if not path.is_file():
                raise StimulusError(f"{where}: no image file at {str(path)!r}")
            image = _open_checked(path.read_bytes(), where)
            image.info.setdefault("source", str(path))
        elif isinstance(item, bytes):
            image = _open_checked(item, where)
        elif isinstance(item, np.ndarray):
            if item.ndim != 3 or item.shape[2] != 3 or item.dtype != np.uint8:
                raise StimulusError(
                    f"{where}: an image array must be HxWx3 uint8, got shape {item.shape} "
                    f"and dtype {item.dtype}"
                )
            image = Image.fromarray(item)
        else:
            raise StimulusError(
                f"{where}: expected an image (a PIL image, a file path, PNG/JPEG bytes or an "
                f"HxWx3 uint8 array), got {type(item).__name__}"
            )
    except StimulusError:
        raise
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise StimulusError(f"{where}: not a readable image ({error})") from error
    if image.width * image.height > MAX_IMAGE_PIXELS:
        raise StimulusError(
            f"{where}: image is {image.width}x{image.height}, larger than the limit of "
            f"{MAX_IMAGE_PIXELS} pixels; downscale it first"
        )
    if image.width < 8 or image.height < 8:
        raise StimulusError(f"{where}: image is {image.width}x{image.height}; need at least 8x8")
    if image.mode != "RGB":
        info = dict(image.info)
        image = image.convert("RGB")
        image.info.update(info)
    return image


def _open_checked(data: bytes, where: str) -> Image.Image:
    try:
        probe = Image.open(io.BytesIO(data))
        width, height = probe.size
        if width * height > MAX_IMAGE_PIXELS:
            raise StimulusError(
                f"{where}: image is {width}x{height}, larger than the limit of "
                f"{MAX_IMAGE_PIXELS} pixels; downscale it first"
            )
        probe.verify()  # catches truncated and corrupt files before decoding
        image = Image.open(io.BytesIO(data))
        image.load()
        return image
    except StimulusError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise StimulusError(f"{where}: not a readable image ({error})") from error


def load_images(items: Sequence[Any]) -> list[Image.Image]:
    """Validate a batch of images (see `load_image`); an empty batch is an error."""
    if isinstance(items, (str, bytes, Path, Image.Image, np.ndarray)):
        items = [items]
    items = list(items)
    if not items:
        raise StimulusError("no stimuli given: pass at least one image")
    return [load_image(item, i) for i, item in enumerate(items)]


def check_texts(items: Sequence[Any]) -> list[str]:
    """Validate a batch of texts: non-empty strings of at most MAX_TEXT_CHARS characters."""
    if isinstance(items, str):
        items = [items]
    items = list(items)
    if not items:
        raise StimulusError("no stimuli given: pass at least one text")
    texts = []
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise StimulusError(
                f"stimulus {i}: a text model takes strings, got {type(item).__name__}"
            )
        if not item.strip():
            raise StimulusError(f"stimulus {i}: empty text; give at least one visible character")
        if len(item) > MAX_TEXT_CHARS:
            raise StimulusError(
                f"stimulus {i}: text has {len(item)} characters, over the limit of "
                f"{MAX_TEXT_CHARS}; split it"
            )
        try:
            item.encode("utf-8")
        except UnicodeEncodeError:
            # bytes that were not UTF-8 arrive from a command line as lone surrogates
            raise StimulusError(f"stimulus {i}: not valid UTF-8 text; pass UTF-8") from None
        if "\x00" in item:
            raise StimulusError(f"stimulus {i}: text contains a NUL character")
        texts.append(item)
    return texts


def png_data_url(image: Image.Image, side: int = 512) -> str:
    """A base64 PNG data URL of the image, downscaled so its longest side is at most `side`."""
    image = image.convert("RGB")
    if max(image.size) > side:
        scale = side / max(image.size)
        image = image.resize((round(image.width * scale), round(image.height * scale)))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
