"""Fast plotting for tool artifacts: image grids, heat-map overlays, masks and bar charts as PNGs."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

#: Side of one cell's image in a grid: big enough to read, small enough to encode quickly.
CELL = 128
TITLE_HEIGHT = 16
PAD = 4
BACKGROUND = (255, 255, 255)
#: Brightness kept outside an exemplar's mask (MAIA dims, rather than hides, the context).
DIM = 0.25


@lru_cache(maxsize=4)
def colormap_lut(name: str = "inferno") -> np.ndarray:
    """A `[256, 3]` uint8 lookup table of a matplotlib colormap (applied by numpy indexing)."""
    from matplotlib import colormaps  # imported here: only the table is needed, never pyplot

    return (colormaps[name](np.linspace(0.0, 1.0, 256))[:, :3] * 255).round().astype(np.uint8)


@lru_cache(maxsize=2)
def _font() -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=11)


def save_png(image: Image.Image, path: Path) -> Path:
    """Write a PNG with light compression: encoding speed matters more than bytes here."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG", compress_level=1)
    return path


def upsample(unit_map: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A `[h, w]` map resized bilinearly to `size` = (width, height), as float32 `[H, W]`."""
    source = Image.fromarray(np.asarray(unit_map, dtype=np.float32), mode="F")
    return np.asarray(source.resize(size, Image.Resampling.BILINEAR), dtype=np.float32)


def heat_overlay(
    image: Image.Image, unit_map: np.ndarray, low: float, high: float, side: int = CELL,
    alpha: float = 0.55,
) -> Image.Image:
    """The image (fitted into `side`) blended with its map coloured by the inferno colormap.

    Args:
        image: the stimulus.
        unit_map: `[h, w]` activations, aligned with the whole image (the models do not crop).
        low: the map value drawn darkest (shared across a batch so cells compare).
        high: the value drawn brightest.
        side: the longest side of the returned image.
        alpha: weight of the heat map in the blend.
    """
    thumb = fit(image, side)
    heat = upsample(unit_map, thumb.size)
    scaled = np.clip((heat - low) / max(high - low, 1e-8), 0.0, 1.0)
    colours = colormap_lut()[(scaled * 255).astype(np.uint8)]
    blended = (1 - alpha) * np.asarray(thumb, np.float32) + alpha * colours
    return Image.fromarray(blended.astype(np.uint8), "RGB")


def masked(image: Image.Image, mask: np.ndarray, side: int | None = None) -> Image.Image:
    """The image with pixels outside `mask` (shape H x W of the image) dimmed, as MAIA shows."""
    pixels = np.asarray(image.convert("RGB"), np.float32)
    weight = np.where(mask, 1.0, DIM)[..., None]
    out = Image.fromarray((pixels * weight).astype(np.uint8), "RGB")
    return fit(out, side) if side else out


def fit(image: Image.Image, side: int) -> Image.Image:
    """The image scaled so its longest side is `side` (aspect kept)."""
    image = image.convert("RGB")
    scale = side / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    # reducing_gap first shrinks by an integer factor (cheap box filter), then resamples
    return image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)


def _clip_title(draw: ImageDraw.ImageDraw, title: str, width: int) -> str:
    font = _font()
    if draw.textlength(title, font=font) <= width:
        return title
    while title and draw.textlength(title + "…", font=font) > width:
        title = title[:-1]
    return title + "…"


def grid(
    images: Sequence[Image.Image], titles: Sequence[str], columns: int | None = None,
    cell: int = CELL,
) -> Image.Image:
    """Images in a grid of `cell`-sized squares, each with its title above it.

    Args:
        images: any sizes; each is fitted into its cell and centred.
        titles: one per image.
        columns: cells per row (default: about square, at most 8).
    """
    count = max(len(images), 1)
    columns = columns or min(8, int(np.ceil(np.sqrt(count))))
    rows = int(np.ceil(count / columns))
    step_x, step_y = cell + PAD, cell + TITLE_HEIGHT + PAD
    canvas = Image.new("RGB", (columns * step_x + PAD, rows * step_y + PAD), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    for index, (image, title) in enumerate(zip(images, titles, strict=True)):
        row, column = divmod(index, columns)
        x, y = PAD + column * step_x, PAD + row * step_y
        thumb = image if max(image.size) == cell else fit(image, cell)
        canvas.paste(thumb, (x + (cell - thumb.width) // 2,
                             y + TITLE_HEIGHT + (cell - thumb.height) // 2))
        draw.text((x + 1, y + 2), _clip_title(draw, title, cell - 2), fill=(0, 0, 0),
                  font=_font())
    return canvas


def pairs_grid(pairs: Sequence[tuple[Image.Image, Image.Image | None, str, str]],
               cell: int = CELL) -> Image.Image:
    """Original/edited pairs, one pair per row; a failed edit shows an empty grey cell."""
    images: list[Image.Image] = []
    titles: list[str] = []
    blank = Image.new("RGB", (cell, cell), (200, 200, 200))
    for original, edited, original_title, edited_title in pairs:
        images += [original, edited if edited is not None else blank]
        titles += [original_title, edited_title]
    return grid(images, titles, columns=2, cell=cell)


def bar_chart(labels: Sequence[str], values: Sequence[float], title: str = "",
              width: int = 480, row: int = 18) -> Image.Image:
    """A horizontal bar chart drawn with PIL (a matplotlib figure costs ~100 ms; this ~1 ms).

    Bars start at zero, so negative values extend left of the axis.
    """
    font = _font()
    label_width = 110
    value_width = 56
    plot_width = width - label_width - value_width - 2 * PAD
    top = TITLE_HEIGHT + PAD if title else PAD
    height = top + row * max(len(values), 1) + PAD
    canvas = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    if title:
        draw.text((PAD, 2), _clip_title(draw, title, width - 2 * PAD), fill=(0, 0, 0), font=font)
    array = np.asarray(values, dtype=np.float64)
    low = min(0.0, float(array.min())) if array.size else 0.0
    high = max(0.0, float(array.max())) if array.size else 1.0
    span = max(high - low, 1e-8)
    zero = label_width + PAD + plot_width * (0 - low) / span
    for index, (label, value) in enumerate(zip(labels, array, strict=True)):
        y = top + index * row
        draw.text((PAD, y + 3), _clip_title(draw, label, label_width - PAD), fill=(0, 0, 0),
                  font=font)
        end = label_width + PAD + plot_width * (value - low) / span
        x0, x1 = sorted((zero, end))
        draw.rectangle((x0, y + 3, max(x1, x0 + 1), y + row - 3),
                       fill=(70, 110, 200) if value >= 0 else (200, 90, 70))
        draw.text((label_width + PAD + plot_width + PAD, y + 3), f"{value:.3g}", fill=(0, 0, 0),
                  font=font)
    draw.line((zero, top, zero, height - PAD), fill=(0, 0, 0))
    return canvas


def histogram(values: Sequence[float], title: str = "", bins: int = 30,
              marks: dict[str, float] | None = None) -> Image.Image:
    """A histogram (matplotlib, small figure), with optional labelled vertical marks."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers; must precede the pyplot import
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(4.8, 2.6), dpi=80)
    try:
        axes.hist(np.asarray(values, dtype=np.float64), bins=bins, color="#4670c8")
        for label, x in (marks or {}).items():
            axes.axvline(x, color="#c85a46", linestyle="--")
            axes.text(x, axes.get_ylim()[1] * 0.9, label, fontsize=8, rotation=90, ha="right")
        axes.set_title(title, fontsize=9)
        figure.tight_layout()
        figure.canvas.draw()
        rgba = np.asarray(figure.canvas.buffer_rgba())
        return Image.fromarray(rgba[..., :3].copy(), "RGB")
    finally:
        plt.close(figure)
