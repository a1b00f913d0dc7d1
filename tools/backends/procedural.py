"""The offline image backends: prompts drawn by the procedural generator, and deterministic edits of scenes and pixels."""

from __future__ import annotations

import copy
import re

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from models.stimuli import images as gen
from tools.backends.base import Edited, Generated


class ProceduralText2Image:
    """The offline generator: a prompt's words become a scene spec, rendered deterministically."""

    name = "procedural"

    def generate(self, prompt: str, size: int, seed: int) -> Generated:
        spec, unrendered = gen.spec_from_words([prompt])
        return Generated(gen.render(spec, size=size), unrendered)


_POSITION_WORDS = {"left", "right", "top", "bottom"}


_CROPS = {
    "left": (0.0, 0.0, 0.5, 1.0), "right": (0.5, 0.0, 1.0, 1.0),
    "top": (0.0, 0.0, 1.0, 0.5), "bottom": (0.0, 0.5, 1.0, 1.0),
    "center": (0.25, 0.25, 0.75, 0.75), "centre": (0.25, 0.25, 0.75, 0.75),
}


#: One line per edit the offline editor understands, shown when an edit is not understood.
OFFLINE_EDITS = (
    "scene edits (generated images): 'make the circle blue', 'add a red star [on the left]', "
    "'remove the square', 'remove the text', 'checkerboard background', 'background vertical "
    "stripes', 'blue background', 'plain background'; pixel edits (any image): 'crop left|right|"
    "top|bottom half', 'crop center', 'blur [radius]', 'rotate N', 'scale F', 'grayscale', "
    "'flip', 'flip vertical', 'invert'; chain edits with ';' or ' then '"
)


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9_.\-]+", text.lower()) if w]


def _vocab(word: str) -> str:
    """A word mapped to its generator vocabulary name ("grey" → "gray", "circles" → "circle")."""
    name = gen.SYNONYMS.get(word, word)
    if name.endswith("s") and name[:-1] in gen.SHAPES:
        name = name[:-1]
    return name


def _describe_objects(spec: gen.SceneSpec) -> str:
    things = [f"{o.colour} {o.shape}" for o in spec.objects]
    things += [f"text {t.text!r}" for t in spec.texts]
    return ", ".join(things) or "no objects"


def _border_colour(image: Image.Image) -> tuple[int, int, int]:
    pixels = np.asarray(image.convert("RGB"))
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    return tuple(int(v) for v in np.median(border, axis=0))  # type: ignore[return-value]


def _number(words: list[str], default: float | None) -> float | None:
    for word in words:
        try:
            return float(word.rstrip("x°"))
        except ValueError:
            continue
    return default


def _pixel_edit(image: Image.Image, words: list[str]) -> Edited | None:
    """A pixel-level edit, or None when the words name none."""
    verb = words[0] if words else ""
    out: Image.Image | None = None
    applied = ""
    if verb == "crop":
        region = next((w for w in words[1:] if w in _CROPS), None)
        if region is None:
            return Edited(None, error="crop what? say 'crop left|right|top|bottom half' or "
                                      "'crop center'")
        x0, y0, x1, y1 = _CROPS[region]
        w, h = image.size
        out = image.crop((round(x0 * w), round(y0 * h), round(x1 * w), round(y1 * h)))
        applied = f"crop {region}" + ("" if region in ("center", "centre") else " half")
    elif verb == "blur":
        radius = _number(words[1:], 2.0) or 2.0
        if not 0 < radius <= 50:
            return Edited(None, error=f"blur radius must be in (0, 50], got {radius}")
        out = image.filter(ImageFilter.GaussianBlur(radius))
        applied = f"blur radius {radius:g}"
    elif verb == "rotate":
        angle = _number(words[1:], 90.0) or 0.0
        # counter-clockwise, as PIL; same size, corners filled with the border colour
        out = image.rotate(angle, resample=Image.Resampling.BICUBIC,
                           fillcolor=_border_colour(image))
        applied = f"rotate {angle:g} degrees counter-clockwise"
    elif verb in ("scale", "zoom", "resize", "shrink", "enlarge"):
        factor = _number(words[1:], {"shrink": 0.5, "enlarge": 2.0}.get(verb))
        if factor is None or not 0.1 <= factor <= 10:
            return Edited(None, error="scale needs a factor in [0.1, 10], e.g. 'scale 0.5'")
        out = _scale_content(image, factor)
        applied = f"scale content by {factor:g} about the centre (image size kept)"
    elif verb in ("grayscale", "greyscale", "gray", "grey", "desaturate") or words[:3] == [
        "black", "and", "white"
    ]:
        out = ImageOps.grayscale(image).convert("RGB")
        applied = "grayscale"
    elif verb in ("flip", "mirror"):
        vertical = any(w in ("vertical", "vertically", "upside") for w in words)
        out = ImageOps.flip(image) if vertical else ImageOps.mirror(image)
        applied = "flip vertically" if vertical else "flip horizontally"
    elif verb == "invert":
        out = ImageOps.invert(image.convert("RGB"))
        applied = "invert colours"
    if out is None:
        return None
    out = out.convert("RGB")
    # the pixels no longer match any scene spec: drop it so later scene edits cannot revert them
    out.info = {}
    return Edited(out, applied)


def _scale_content(image: Image.Image, factor: float) -> Image.Image:
    w, h = image.size
    scaled = image.resize((max(1, round(w * factor)), max(1, round(h * factor))),
                          Image.Resampling.BICUBIC)
    if factor >= 1:
        left, top = (scaled.width - w) // 2, (scaled.height - h) // 2
        return scaled.crop((left, top, left + w, top + h))
    canvas = Image.new("RGB", (w, h), _border_colour(image))
    canvas.paste(scaled, ((w - scaled.width) // 2, (h - scaled.height) // 2))
    return canvas


def _matches(obj: gen.ObjectSpec, shape: str | None, colour: str | None) -> bool:
    return (shape is None or obj.shape == shape) and (colour is None or obj.colour == colour)


def _scene_edit(spec: gen.SceneSpec, words: list[str], seed: int) -> tuple[str, str | None]:
    """Edit `spec` in place; returns (what was applied, error or None)."""
    names = [_vocab(w) for w in words]
    colours = [n for n in names if n in gen.COLOURS]
    shapes = [n for n in names if n in gen.SHAPES]
    verb = words[0]
    if verb in ("remove", "delete", "erase"):
        if "text" in names or "word" in words or "words" in words:
            if not spec.texts:
                return "", "there is no text in this image"
            spec.texts.clear()
            return "remove the text", None
        if not shapes and not colours:
            return "", "remove what? name a shape and/or colour, e.g. 'remove the red square'"
        shape, colour = (shapes or [None])[0], (colours or [None])[0]
        keep = [o for o in spec.objects if not _matches(o, shape, colour)]
        if len(keep) == len(spec.objects):
            target = " ".join(x for x in (colour, shape) if x)
            return "", f"no {target} in this image (it has: {_describe_objects(spec)})"
        removed = len(spec.objects) - len(keep)
        spec.objects[:] = keep
        return f"remove {removed} {' '.join(x for x in (colour, shape) if x)}", None
    if verb == "add":
        if not shapes:
            return "", f"add what? name a shape ({', '.join(gen.SHAPES)})"
        shape = shapes[0]
        colour = colours[0] if colours else next(
            c for c in ("red", "blue", "green", "yellow", "black")
            if gen.contrasts(c, spec.background))
        position = next((w for w in words if w in _POSITION_WORDS), None)
        taken = [(o.x, o.y, o.size) for o in spec.objects]
        size = min((o.size for o in spec.objects), default=0.12)
        spot = gen.place(np.random.default_rng(seed), size, taken, set(), position, tries=200)
        if spot is None:
            return "", f"no free space for a {shape}" + (f" on the {position}" if position else "")
        spec.objects.append(gen.ObjectSpec(shape=shape, colour=colour, x=spot[0], y=spot[1],
                                           size=size))
        return f"add a {colour} {shape}" + (f" on the {position}" if position else ""), None
    if "background" in words:
        return _background_edit(spec, words, names, colours)
    if verb in ("make", "colour", "color", "recolour", "recolor", "paint", "turn", "change"):
        if not shapes or not colours:
            return "", "recolour needs a shape and a colour, e.g. 'make the circle blue'"
        shape, new = shapes[0], colours[-1]
        old = colours[0] if len(colours) > 1 else None
        hits = [o for o in spec.objects if _matches(o, shape, old)]
        if not hits:
            target = " ".join(x for x in (old, shape) if x)
            return "", f"no {target} in this image (it has: {_describe_objects(spec)})"
        for obj in hits:
            obj.colour = new
        return f"make {len(hits)} {' '.join(x for x in (old, shape) if x)} {new}", None
    return "", "not understood"


def _background_edit(spec: gen.SceneSpec, words: list[str], names: list[str],
                     colours: list[str]) -> tuple[str, str | None]:
    background = spec.background
    directions = {"horizontal": "horizontal_stripes", "vertical": "vertical_stripes",
                  "diagonal": "diagonal_stripes"}
    pattern = next((n for n in names if n in gen.PATTERNS), None)
    direction = next((directions[w] for w in words if w in directions), None)
    if pattern == "horizontal_stripes" and direction:
        pattern = direction
    plain = any(w in ("plain", "solid", "uniform") for w in words)
    if pattern is None and not colours and not plain:
        return "", ("change the background to what? a pattern (" + ", ".join(gen.PATTERNS)
                    + "), 'plain', or a colour")
    if plain:
        background.kind = "solid"
    elif pattern:
        background.kind = pattern
    if colours:
        background.colours = colours[:2]
    if background.kind in ("solid", "noise"):
        background.colours = background.colours[:1]
    elif len(background.colours) < 2:
        partner = next(c for c in ("white", "black", "gray", "yellow")
                       if gen.colour_distance(c, background.colours[0]) >= gen.CONTRAST)
        background.colours = [background.colours[0], partner]
    return f"background {background.kind.replace('_', ' ')} in {' and '.join(background.colours)}", None


class ProceduralEditor:
    """Offline, deterministic edits: scene-spec edits re-rendered, and pixel edits on any image."""

    name = "offline"

    def edit(self, image: Image.Image, instruction: str, seed: int) -> Edited:
        steps = [s.strip() for s in re.split(r";|\bthen\b", instruction) if s.strip()]
        if not steps:
            return Edited(None, error=f"empty edit; valid edits: {OFFLINE_EDITS}")
        applied = []
        for step in steps:
            result = self._one(image, step, seed)
            if result.error is not None or result.image is None:
                return Edited(None, error=f"{step!r}: {result.error}")
            image = result.image
            applied.append(result.applied)
        return Edited(image, "; ".join(applied))

    def _one(self, image: Image.Image, instruction: str, seed: int) -> Edited:
        words = [w for w in _words(instruction) if w not in ("the", "a", "an", "all", "of", "to")]
        if not words:
            return Edited(None, error=f"empty edit; valid edits: {OFFLINE_EDITS}")
        pixel = _pixel_edit(image, words)
        if pixel is not None:
            return pixel
        spec = gen.read_spec(image)
        if spec is None:
            return Edited(None, error=(
                "scene edits (recolour, add, remove, background) need a generated image with a "
                "scene spec; this image has none. Pixel edits work on any image: crop, blur, "
                "rotate, scale, grayscale, flip, invert"))
        edited = copy.deepcopy(spec)
        # a leading background word ("checkerboard background") reads as a background edit
        if words[0] not in ("add", "remove", "delete", "erase") and "background" in words:
            words = ["background", *words]
        applied, error = _scene_edit(edited, words, seed)
        if error == "not understood":
            return Edited(None, error=f"edit not understood; valid edits: {OFFLINE_EDITS}")
        if error is not None:
            return Edited(None, error=error)
        return Edited(gen.render(edited, size=image.width), applied)
