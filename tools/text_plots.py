"""Fast PIL plots for the text tools: highlighted tokens and next-token distributions."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

WIDTH = 960
PAD = 10
FONT_SIZE = 14
LINE = FONT_SIZE + 8
# Cap what one figure draws: a plot is a glance for people, the numbers are in the data.
MAX_TOKENS_PER_TEXT = 160
MAX_LINES_PER_TEXT = 6


@functools.cache
def _font(size: int = FONT_SIZE) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans when installed (it covers most scripts), else Pillow's built-in font."""
    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "DejaVuSans.ttf"):
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def _visible(token: str) -> str:
    """A token as drawn: newlines and tabs shown as symbols, spaces kept."""
    return token.replace("\n", "↵").replace("\t", "⇥").replace("\r", "") or "∅"


def _colour(value: float, scale: float) -> tuple[int, int, int]:
    """White for 0, red for +scale, blue for -scale (linear in between)."""
    if scale <= 0:
        return (255, 255, 255)
    strength = max(-1.0, min(1.0, value / scale))
    shade = int(255 * (1 - abs(strength)))
    return (255, shade, shade) if strength >= 0 else (shade, shade, 255)


def _layout(tokens: Sequence[str], font, width: int) -> list[list[tuple[str, int, float]]]:
    """Greedy line wrapping: per line, (shown text, index, x offset) of each token."""
    lines: list[list[tuple[str, int, float]]] = [[]]
    x = 0.0
    for i, token in enumerate(tokens[:MAX_TOKENS_PER_TEXT]):
        shown = _visible(token)
        advance = font.getlength(shown) + 1
        if x + advance > width and lines[-1]:
            if len(lines) == MAX_LINES_PER_TEXT:
                break
            lines.append([])
            x = 0.0
        lines[-1].append((shown, i, x))
        x += advance
    return lines


def highlight_tokens(
    path: Path,
    rows: Sequence[tuple[str, Sequence[str], Sequence[float]]],
    title: str = "",
) -> Path:
    """Draw texts token by token, each token's background coloured by its value.

    One colour scale (the largest absolute value of all rows) is shared, so rows compare.

    Args:
        path: where the PNG goes.
        rows: per text, (caption, token strings, per-token values), tokens and values aligned.
        title: a line drawn on top.

    Returns:
        The path written.
    """
    font = _font()
    inner = WIDTH - 2 * PAD
    scale = max((abs(float(v)) for _, _, values in rows for v in values), default=0.0)
    layouts = [_layout(tokens, font, inner) for _, tokens, _ in rows]
    height = PAD + LINE + sum(LINE * (1 + len(lines)) + 4 for lines in layouts) + PAD
    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((PAD, PAD), f"{title}  (colour scale ±{scale:.3g})", fill="black", font=font)
    y = PAD + LINE
    for (caption, _, values), lines in zip(rows, layouts, strict=True):
        draw.text((PAD, y), caption, fill=(90, 90, 90), font=font)
        y += LINE
        for line in lines:
            for shown, i, x in line:
                left = PAD + x
                right = left + font.getlength(shown)
                draw.rectangle((left, y, right, y + LINE - 3),
                               fill=_colour(float(values[i]), scale))
                draw.text((left, y + 2), shown, fill="black", font=font)
            y += LINE
        y += 4
    image.save(path, format="PNG", compress_level=1)  # fast: these PNGs are small anyway
    return path


def distribution_bars(
    path: Path,
    before: Sequence[tuple[str, float]],
    after: Sequence[tuple[str, float]],
    title: str = "",
) -> Path:
    """Grouped horizontal bars: each token's probability before (grey) and after (red).

    Args:
        path: where the PNG goes.
        before: (token, probability) pairs; the tokens drawn are the union of both lists.
        after: (token, probability) pairs after the intervention.
        title: a line drawn on top.

    Returns:
        The path written.
    """
    font = _font()
    first, second = dict(before), dict(after)
    tokens = list(dict.fromkeys([t for t, _ in before] + [t for t, _ in after]))
    label_width = 160
    bar_width = WIDTH - label_width - 3 * PAD - 60
    row = 2 * FONT_SIZE + 6
    height = PAD + 2 * LINE + row * len(tokens) + PAD
    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((PAD, PAD), title, fill="black", font=font)
    draw.text((PAD, PAD + LINE), "grey: before   red: after", fill=(90, 90, 90), font=font)
    top = max([*first.values(), *second.values(), 1e-9])
    y = PAD + 2 * LINE
    for token in tokens:
        draw.text((PAD, y + FONT_SIZE // 2), repr(token)[:22], fill="black", font=font)
        for offset, probability, colour in ((0, first.get(token), (150, 150, 150)),
                                            (FONT_SIZE, second.get(token), (215, 60, 60))):
            x0 = PAD + label_width
            if probability is None:
                draw.text((x0, y + offset), "(not in top)", fill=(150, 150, 150), font=font)
                continue
            length = bar_width * probability / top
            draw.rectangle((x0, y + offset + 1, x0 + length, y + offset + FONT_SIZE - 1),
                           fill=colour)
            draw.text((x0 + length + 4, y + offset - 2), f"{probability:.3f}", fill="black",
                      font=font)
        y += row
    image.save(path, format="PNG", compress_level=1)
    return path
