"""Drawing a scene spec: backgrounds, shapes with fills, and text, at any size."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from models.errors import ModelsError
from models.stimuli.images.spec import BackgroundSpec, ObjectSpec, SceneSpec, TextSpec
from models.stimuli.images.vocabulary import PATTERNS, SHAPES, rgb


def _background(spec: BackgroundSpec, size: int) -> np.ndarray:
    """Background pixels as float32 HxWx3; periods are fractions of the side so any size works."""
    first = rgb(spec.colours[0])
    second = rgb(spec.colours[1] if len(spec.colours) > 1 else spec.colours[0])
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) / size
    kind = spec.kind
    if kind == "solid":
        mask = np.zeros((size, size), bool)
    elif kind == "gradient":
        t = {"horizontal": xs, "vertical": ys}.get(spec.direction, (xs + ys) / 2)
        return first * (1 - t[..., None]) + second * t[..., None]
    elif kind == "noise":
        rng = np.random.default_rng(spec.seed)
        # blocky luminance noise: hue stays put, so every pixel keeps the base colour's name
        cells = max(size // 4, 1)
        noise = rng.uniform(-0.12, 0.12, (cells, cells)).astype(np.float32)
        noise = np.kron(noise, np.ones((4, 4), np.float32))[:size, :size]
        pad = size - noise.shape[0]
        noise = np.pad(noise, ((0, pad), (0, pad)), mode="edge")
        return np.clip(first * (1 + noise[..., None]), 0, 255)
    elif kind == "horizontal_stripes":
        mask = (ys / 0.08) % 1 < 0.5
    elif kind == "vertical_stripes":
        mask = (xs / 0.08) % 1 < 0.5
    elif kind == "diagonal_stripes":
        mask = ((xs + ys) / 0.11) % 1 < 0.5
    elif kind == "checkerboard":
        mask = ((xs // 0.07) + (ys // 0.07)) % 2 == 1
    elif kind == "dots":
        period = 0.08
        dx = (xs % period) - period / 2
        dy = (ys % period) - period / 2
        mask = dx**2 + dy**2 <= (0.022) ** 2
    elif kind == "grid":
        period, width = 0.08, 0.014
        mask = ((xs % period) < width) | ((ys % period) < width)
    else:
        raise ModelsError(f"unknown background {kind!r}; valid: solid, {', '.join(PATTERNS)}")
    return np.where(mask[..., None], second, first)


def shape_mask(obj: ObjectSpec, size: int) -> Image.Image:
    """A binary ("L") mask of one object at image size `size`."""
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    cx, cy, r = obj.x * size, obj.y * size, obj.size * size
    shape = obj.shape

    def polygon(points: list[tuple[float, float]]) -> None:
        draw.polygon([(cx + px * r, cy + py * r) for px, py in points], fill=255)

    def around(count: int, radius: float = 1.0, start: float = -90.0) -> list[tuple[float, float]]:
        return [
            (
                radius * math.cos(math.radians(start + 360 * k / count)),
                radius * math.sin(math.radians(start + 360 * k / count)),
            )
            for k in range(count)
        ]

    if shape == "circle":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=255)
    elif shape == "oval":
        draw.ellipse((cx - r, cy - 0.55 * r, cx + r, cy + 0.55 * r), fill=255)
    elif shape == "ring":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=255)
        inner = 0.55 * r
        draw.ellipse((cx - inner, cy - inner, cx + inner, cy + inner), fill=0)
    elif shape == "square":
        h = 0.8 * r
        draw.rectangle((cx - h, cy - h, cx + h, cy + h), fill=255)
    elif shape == "rectangle":
        draw.rectangle((cx - r, cy - 0.55 * r, cx + r, cy + 0.55 * r), fill=255)
    elif shape == "triangle":
        polygon(around(3))
    elif shape == "hexagon":
        polygon(around(6))
    elif shape == "star":
        outer, inner = around(5), around(5, 0.5, -90 + 36)
        polygon([p for pair in zip(outer, inner, strict=True) for p in pair])
    elif shape == "cross":
        w = 0.32 * r
        draw.rectangle((cx - r, cy - w, cx + r, cy + w), fill=255)
        draw.rectangle((cx - w, cy - r, cx + w, cy + r), fill=255)
    else:
        raise ModelsError(f"unknown shape {shape!r}; valid: {', '.join(SHAPES)}")
    return mask


def _fill(obj: ObjectSpec, size: int) -> np.ndarray:
    """The object's paint: its colour, or its colour with a lighter tint in a fill pattern."""
    base = rgb(obj.colour)
    if obj.fill == "solid":
        return np.broadcast_to(base, (size, size, 3))
    tint = base * 0.6 + 255 * 0.4
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) / size
    if obj.fill == "stripes":
        mask = (ys / 0.04) % 1 < 0.5
    elif obj.fill == "dots":
        mask = ((xs % 0.04) - 0.02) ** 2 + ((ys % 0.04) - 0.02) ** 2 <= 0.008**2
    else:
        mask = ((xs // 0.03) + (ys // 0.03)) % 2 == 1
    return np.where(mask[..., None], tint, base)


def _font(pixels: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(pixels, 6))


def _text_layout(text: TextSpec, size: int) -> tuple[list[tuple[str, float]], float, float, Any]:
    """Glyph x-offsets (tracked apart so letters stay separate), total width, height, font."""
    font = _font(round(text.size * size))
    tracking = text.size * size * 0.3
    placed, cursor = [], 0.0
    for char in text.text:
        placed.append((char, cursor))
        cursor += font.getlength(char) + tracking
    width = max(cursor - tracking, 1.0)
    return placed, width, text.size * size, font


def text_box(text: TextSpec, size: int = 224) -> tuple[float, float, float, float]:
    """The text's box (x0, y0, x1, y1) as image fractions; the text is centred on (x, y)."""
    _, width, height, _ = _text_layout(text, size)
    w, h = width / size, height / size
    return text.x - w / 2, text.y - h / 2, text.x + w / 2, text.y + h / 2


def _text_mask(text: TextSpec, size: int) -> Image.Image:
    placed, width, height, font = _text_layout(text, size)
    layer = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(layer)
    left, top = text.x * size - width / 2, text.y * size - height / 2
    stroke = max(1, round(height / 22))
    baseline = top + 0.8 * height  # one shared baseline keeps the letters on a line
    for char, offset in placed:
        draw.text(
            (left + offset, baseline),
            char,
            font=font,
            fill=255,
            stroke_width=stroke,
            stroke_fill=255,
            anchor="ls",
        )
    # binarize: anti-aliased edges would add colours that belong to no named colour
    return layer.point(lambda v: 255 if v >= 128 else 0)


def render(spec: SceneSpec, size: int = 224) -> Image.Image:
    """Draw a scene as an RGB image of `size`x`size`; `image.info["scene_spec"]` holds its JSON.

    Raises:
        ModelsError: the spec names something outside the vocabulary.
    """
    spec.validate()
    if size < 16:
        raise ModelsError(f"image size {size} is too small; use at least 16")
    canvas = _background(spec.background, size)
    for obj in spec.objects:
        mask = np.asarray(shape_mask(obj, size)) > 0
        canvas = np.where(mask[..., None], _fill(obj, size), canvas)
    for text in spec.texts:
        mask = np.asarray(_text_mask(text, size)) > 0
        canvas = np.where(mask[..., None], rgb(text.colour), canvas)
    image = Image.fromarray(np.clip(np.rint(canvas), 0, 255).astype(np.uint8), "RGB")
    image.info["scene_spec"] = spec.to_json()
    return image
