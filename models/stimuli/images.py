"""Procedural, seed-deterministic images of shapes, colours, patterns and text, with their specs."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont, PngImagePlugin

from models.errors import ModelsError, StimulusError

#: Named colours: well separated in RGB so a nearest-prototype reading of a pixel is unambiguous.
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 40, 40),
    "orange": (240, 130, 20),
    "yellow": (245, 225, 50),
    "green": (50, 170, 60),
    "cyan": (40, 200, 210),
    "blue": (40, 80, 220),
    "purple": (140, 60, 190),
    "pink": (245, 140, 200),
    "brown": (130, 80, 40),
    "black": (20, 20, 20),
    "white": (245, 245, 245),
    "gray": (128, 128, 128),
}
COLOUR_NAMES: tuple[str, ...] = tuple(COLOURS)
#: A pixel farther than this (RGB Euclidean) from every prototype has no colour name.
COLOUR_RADIUS = 90.0

SHAPES: tuple[str, ...] = (
    "circle",
    "square",
    "triangle",
    "star",
    "hexagon",
    "cross",
    "ring",
    "oval",
    "rectangle",
)
#: Whole-image background patterns; "solid" is the plain background and is not a concept.
PATTERNS: tuple[str, ...] = (
    "horizontal_stripes",
    "vertical_stripes",
    "diagonal_stripes",
    "checkerboard",
    "dots",
    "grid",
    "noise",
    "gradient",
)
OBJECT_FILLS: tuple[str, ...] = ("solid", "stripes", "dots", "checkerboard")
COUNTS: tuple[str, ...] = ("many_objects", "single_object")
POSITIONS: tuple[str, ...] = ("left", "right", "top", "bottom")
WORDS: tuple[str, ...] = ("cat", "sun", "box", "map", "text", "hello", "abc", "word", "yes", "zip")

GENERATOR_VOCABULARY: dict[str, list[str]] = {
    "colour": list(COLOUR_NAMES),
    "shape": list(SHAPES),
    "pattern": list(PATTERNS),
    "count": list(COUNTS),
    "position": list(POSITIONS),
    "text": ["text"],
}

#: Words a prompt may use for vocabulary names.
SYNONYMS: dict[str, str] = {
    "grey": "gray",
    "teal": "cyan",
    "violet": "purple",
    "magenta": "pink",
    "colour": "",
    "circles": "circle",
    "disc": "circle",
    "disk": "circle",
    "squares": "square",
    "triangles": "triangle",
    "stars": "star",
    "hexagons": "hexagon",
    "crosses": "cross",
    "plus": "cross",
    "rings": "ring",
    "donut": "ring",
    "ellipse": "oval",
    "ovals": "oval",
    "ellipses": "oval",
    "rectangles": "rectangle",
    "stripes": "horizontal_stripes",
    "striped": "horizontal_stripes",
    "stripe": "horizontal_stripes",
    "checkered": "checkerboard",
    "checkers": "checkerboard",
    "checker": "checkerboard",
    "polka": "dots",
    "dotted": "dots",
    "dot": "dots",
    "spots": "dots",
    "grid": "grid",
    "noisy": "noise",
    "texture": "noise",
    "gradients": "gradient",
    "letters": "text",
    "word": "text",
    "words": "text",
    "many": "many_objects",
    "lots": "many_objects",
    "single": "single_object",
    "one": "single_object",
    "lone": "single_object",
}
STOP_WORDS: frozenset[str] = frozenset(
    "a an the on with of and in at over to some its is are image picture photo background "
    "shape shapes object objects side".split()
)
#: Direction words that turn a following "stripes" into a specific stripe pattern.
_STRIPE_DIRECTIONS = {
    "horizontal": "horizontal_stripes",
    "vertical": "vertical_stripes",
    "diagonal": "diagonal_stripes",
}

#: Objects stay inside this margin so the image border shows only the background.
MARGIN = 0.1
#: Minimum RGB distance between an object's colour and every background colour (keeps it visible).
CONTRAST = 100.0


@dataclass
class ObjectSpec:
    """One filled shape. `size` is its circumscribed radius as a fraction of the image side."""

    shape: str
    colour: str
    x: float
    y: float
    size: float = 0.12
    fill: str = "solid"


@dataclass
class TextSpec:
    """A word drawn with PIL's default font; `size` is the font height as an image fraction."""

    text: str
    colour: str
    x: float
    y: float
    size: float = 0.11


@dataclass
class BackgroundSpec:
    """The background: "solid", "gradient" or a pattern name, with one or two colour names."""

    kind: str = "solid"
    colours: list[str] = field(default_factory=lambda: ["white"])
    direction: str = "horizontal"
    seed: int = 0


@dataclass
class SceneSpec:
    """A whole scene: background, objects (drawn in order) and texts."""

    background: BackgroundSpec = field(default_factory=BackgroundSpec)
    objects: list[ObjectSpec] = field(default_factory=list)
    texts: list[TextSpec] = field(default_factory=list)

    def to_json(self) -> str:
        """Serialize to a JSON string."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, data: str | dict[str, Any]) -> SceneSpec:
        """Parse a JSON string or dict written by `to_json`.

        Raises:
            ModelsError: the data is not a scene spec.
        """
        try:
            raw = json.loads(data) if isinstance(data, str) else dict(data)
            return cls(
                background=BackgroundSpec(**raw.get("background", {})),
                objects=[ObjectSpec(**o) for o in raw.get("objects", [])],
                texts=[TextSpec(**t) for t in raw.get("texts", [])],
            )
        except (TypeError, ValueError, AttributeError) as error:
            raise ModelsError(f"not a scene spec: {error}") from error

    def validate(self) -> None:
        """Check every name against the vocabulary.

        Raises:
            ModelsError: an unknown colour, shape, fill or background kind.
        """
        kinds = ("solid", *PATTERNS)
        if self.background.kind not in kinds:
            raise ModelsError(f"unknown background {self.background.kind!r}; valid: {kinds}")
        names = [
            *self.background.colours,
            *(o.colour for o in self.objects),
            *(t.colour for t in self.texts),
        ]
        for name in names:
            if name not in COLOURS:
                raise ModelsError(f"unknown colour {name!r}; valid: {', '.join(COLOUR_NAMES)}")
        for obj in self.objects:
            if obj.shape not in SHAPES:
                raise ModelsError(f"unknown shape {obj.shape!r}; valid: {', '.join(SHAPES)}")
            if obj.fill not in OBJECT_FILLS:
                raise ModelsError(f"unknown fill {obj.fill!r}; valid: {OBJECT_FILLS}")


# --------------------------------------------------------------------------- colours


def colour_index(pixels: np.ndarray) -> np.ndarray:
    """Nearest named colour of each RGB pixel (index into COLOUR_NAMES, -1 when none is near)."""
    flat = pixels.reshape(-1, 3).astype(np.float32)
    protos = np.asarray(list(COLOURS.values()), dtype=np.float32)
    # ||p - c||^2 expanded, which is several times faster than broadcasting the difference
    dist = (flat**2).sum(1)[:, None] - 2 * flat @ protos.T + (protos**2).sum(1)[None, :]
    best = dist.argmin(1)
    near = dist[np.arange(len(flat)), best] <= COLOUR_RADIUS**2
    return np.where(near, best, -1).reshape(pixels.shape[:-1])


def _rgb(name: str) -> np.ndarray:
    return np.asarray(COLOURS[name], dtype=np.float32)


def _distance(a: str, b: str) -> float:
    return float(np.linalg.norm(_rgb(a) - _rgb(b)))


# --------------------------------------------------------------------------- rendering


def _background(spec: BackgroundSpec, size: int) -> np.ndarray:
    """Background pixels as float32 HxWx3; periods are fractions of the side so any size works."""
    first = _rgb(spec.colours[0])
    second = _rgb(spec.colours[1] if len(spec.colours) > 1 else spec.colours[0])
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


def _shape_mask(obj: ObjectSpec, size: int) -> Image.Image:
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
    base = _rgb(obj.colour)
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
        mask = np.asarray(_shape_mask(obj, size)) > 0
        canvas = np.where(mask[..., None], _fill(obj, size), canvas)
    for text in spec.texts:
        mask = np.asarray(_text_mask(text, size)) > 0
        canvas = np.where(mask[..., None], _rgb(text.colour), canvas)
    image = Image.fromarray(np.clip(np.rint(canvas), 0, 255).astype(np.uint8), "RGB")
    image.info["scene_spec"] = spec.to_json()
    return image


def save_png(image: Image.Image, path: str | Path) -> Path:
    """Write a PNG that keeps the image's scene spec in a text chunk."""
    path = Path(path)
    meta = PngImagePlugin.PngInfo()
    if "scene_spec" in image.info:
        meta.add_text("scene_spec", image.info["scene_spec"])
    image.save(path, format="PNG", pnginfo=meta)
    return path


def read_spec(source: str | Path | Image.Image) -> SceneSpec | None:
    """The scene spec carried by an image or PNG file, or None if it has none.

    Raises:
        StimulusError: the path is not a readable image.
    """
    if isinstance(source, Image.Image):
        raw = source.info.get("scene_spec")
    else:
        try:
            with Image.open(source) as image:
                raw = image.info.get("scene_spec") or getattr(image, "text", {}).get("scene_spec")
        except OSError as error:
            raise StimulusError(f"cannot read an image at {str(source)!r} ({error})") from error
    return SceneSpec.from_json(raw) if raw else None


# --------------------------------------------------------------------------- scene synthesis


def background_colours(background: BackgroundSpec) -> set[str]:
    """The colour names a background visibly contains (gradients can pass through others)."""
    names = set(background.colours)
    if background.kind == "gradient" and len(background.colours) > 1:
        first, second = _rgb(background.colours[0]), _rgb(background.colours[1])
        t = np.linspace(0, 1, 65, dtype=np.float32)[:, None]
        samples = first * (1 - t) + second * t
        names |= {COLOUR_NAMES[i] for i in colour_index(samples).ravel() if i >= 0}
    return names


def _background_pixels(background: BackgroundSpec) -> np.ndarray:
    """Representative background colours, for contrast checks against object colours."""
    first = _rgb(background.colours[0])
    second = _rgb(background.colours[-1])
    if background.kind == "gradient":
        t = np.linspace(0, 1, 17, dtype=np.float32)[:, None]
        return first * (1 - t) + second * t
    if background.kind == "noise":
        return np.stack([first * 0.88, first, np.minimum(first * 1.12, 255)])
    return np.stack([first, second])


def _contrasts(colour: str, background: BackgroundSpec) -> bool:
    pixels = _background_pixels(background)
    return bool(np.linalg.norm(pixels - _rgb(colour), axis=1).min() >= CONTRAST)


def _region_ok(x: float, y: float, r: float, excluded: set[str]) -> bool:
    """Whether an object lies wholly outside every excluded half of the image."""
    checks = {
        "left": x - r >= 0.5,
        "right": x + r <= 0.5,
        "top": y - r >= 0.5,
        "bottom": y + r <= 0.5,
    }
    return all(checks[p] for p in excluded)


def _target_region(position: str, r: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """Centre ranges (x, y) that put an object wholly in the outer 40% on that side."""
    lo, hi = MARGIN + r, 1 - MARGIN - r
    ranges = {
        "left": ((lo, 0.4 - r), (lo, hi)),
        "right": ((0.6 + r, hi), (lo, hi)),
        "top": ((lo, hi), (lo, 0.4 - r)),
        "bottom": ((lo, hi), (0.6 + r, hi)),
    }
    return ranges[position]


def _place(
    rng: np.random.Generator,
    r: float,
    placed: list[tuple[float, float, float]],
    excluded: set[str],
    position: str | None,
    tries: int = 60,
) -> tuple[float, float] | None:
    for _ in range(tries):
        if position:
            (x0, x1), (y0, y1) = _target_region(position, r)
        else:
            x0 = y0 = MARGIN + r
            x1 = y1 = 1 - MARGIN - r
        if x1 < x0 or y1 < y0:
            return None
        x, y = float(rng.uniform(x0, x1)), float(rng.uniform(y0, y1))
        if not _region_ok(x, y, r, excluded):
            continue
        if all(math.hypot(x - px, y - py) >= r + pr + 0.035 for px, py, pr in placed):
            return x, y
    return None


def _split(names: list[str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {category: [] for category in GENERATOR_VOCABULARY}
    for name in names:
        for category, words in GENERATOR_VOCABULARY.items():
            if name in words:
                groups[category].append(name)
                break
        else:
            valid = [w for words in GENERATOR_VOCABULARY.values() for w in words]
            raise ModelsError(f"unknown concept {name!r}; valid: {', '.join(valid)}")
    return groups


def scene_with(
    include: list[str],
    exclude: list[str],
    rng: np.random.Generator,
    others_exclude: tuple[str, ...] | list[str] = (),
) -> SceneSpec:
    """A random scene that visibly contains every concept of `include` and none of `exclude`.

    The first included colour, shape and position are bound to one object (a "red circle on
    the left"); further included colours and shapes get objects of their own. Concepts in
    `others_exclude` may appear only in that bound object (so "a red circle and nothing
    else red").

    Raises:
        ModelsError: an unknown name, a name both included and excluded, or a combination
            that cannot be drawn (two background patterns, "single_object" with two shapes).
    """
    include, exclude = list(include), list(exclude)
    clash = set(include) & set(exclude)
    if clash:
        raise ModelsError(f"concepts both included and excluded: {sorted(clash)}")
    inc, exc, oth = _split(include), _split(exclude), _split(list(others_exclude))
    if len(inc["pattern"]) > 1:
        raise ModelsError(f"only one background pattern fits a scene, got {inc['pattern']}")
    if len(set(inc["count"])) > 1:
        raise ModelsError("a scene cannot have both many objects and a single object")
    if "single_object" in inc["count"] and (len(inc["shape"]) > 1 or len(inc["colour"]) > 1):
        raise ModelsError("a single-object scene holds one shape in one colour")
    for _ in range(200):
        spec = _try_scene(inc, exc, oth, rng)
        if spec is not None:
            return spec
    raise ModelsError(f"cannot draw a scene with {include} and without {exclude}")


def _try_scene(
    inc: dict[str, list[str]],
    exc: dict[str, list[str]],
    oth: dict[str, list[str]],
    rng: np.random.Generator,
) -> SceneSpec | None:
    banned_colours = set(exc["colour"])
    other_banned = banned_colours | set(oth["colour"])
    allowed_colours = [c for c in COLOUR_NAMES if c not in banned_colours]
    other_colours = [c for c in COLOUR_NAMES if c not in other_banned]
    excluded_positions = set(exc["position"])

    # background: an included pattern, else solid more often than not
    if inc["pattern"]:
        kind = inc["pattern"][0]
    else:
        kinds = [p for p in PATTERNS if p not in exc["pattern"]]
        kind = "solid" if rng.random() < 0.45 or not kinds else str(rng.choice(kinds))
    bg_pool = [c for c in other_colours if c not in inc["colour"]]
    if not bg_pool:
        return None
    bg_colours = [str(rng.choice(bg_pool))]
    if kind not in ("solid", "noise"):
        partners = [c for c in bg_pool if _distance(c, bg_colours[0]) >= CONTRAST]
        if not partners:
            return None
        bg_colours.append(str(rng.choice(partners)))
    background = BackgroundSpec(
        kind=kind,
        colours=bg_colours,
        direction=str(rng.choice(["horizontal", "vertical", "diagonal"])),
        seed=int(rng.integers(0, 2**31)),
    )
    if background_colours(background) & other_banned:
        return None
    if kind == "noise" and float(_rgb(bg_colours[0]).max()) < 100:
        return None  # luminance noise on a near-black colour would be invisible

    # objects: the bound target, further included things, then fillers up to the count
    many = "many_objects" in inc["count"]
    single = "single_object" in inc["count"]
    if many:
        count = int(rng.integers(5, 8))
    elif single:
        count = 1
    else:
        low = 2 if "single_object" in exc["count"] else 1
        count = int(rng.integers(low, 4))
    radius_range = (0.085, 0.1) if many else (0.1, 0.13)
    wanted: list[tuple[str | None, str | None, str | None]] = []
    shapes, colours = list(inc["shape"]), list(inc["colour"])
    positions = list(inc["position"])
    while shapes or colours or positions or not wanted:
        wanted.append(
            (
                shapes.pop(0) if shapes else None,
                colours.pop(0) if colours else None,
                positions.pop(0) if positions else None,
            )
        )
    if single and len(wanted) > 1:
        return None
    count = max(count, len(wanted))
    if "many_objects" in exc["count"] and count > 3:
        return None

    objects: list[ObjectSpec] = []
    placed: list[tuple[float, float, float]] = []
    free_shapes = [s for s in SHAPES if s not in exc["shape"]]
    other_shapes = [s for s in free_shapes if s not in oth["shape"]]
    for index in range(count):
        target = index == 0
        shape, colour, position = wanted[index] if index < len(wanted) else (None, None, None)
        pool_shapes = free_shapes if target else other_shapes
        pool_colours = allowed_colours if target else other_colours
        if shape is None:
            if not pool_shapes:
                return None
            shape = str(rng.choice(pool_shapes))
        if colour is None:
            options = [c for c in pool_colours if _contrasts(c, background)]
            if not options:
                return None
            colour = str(rng.choice(options))
        elif not _contrasts(colour, background):
            return None
        r = float(rng.uniform(*radius_range))
        excluded = excluded_positions | (set() if target else set(oth["position"]))
        spot = _place(rng, r, placed, excluded, position)
        if spot is None:
            if index < len(wanted) or many or single or "single_object" in exc["count"]:
                return None
            break
        placed.append((*spot, r))
        objects.append(ObjectSpec(shape=shape, colour=colour, x=spot[0], y=spot[1], size=r))

    texts: list[TextSpec] = []
    want_text = "text" in inc["text"] or (
        "text" not in exc["text"] and "text" not in oth["text"] and rng.random() < 0.2
    )
    if want_text:
        options = [c for c in other_colours if _contrasts(c, background)]
        if "text" in inc["text"]:
            options = [c for c in allowed_colours if _contrasts(c, background)]
        if not options:
            return None
        text = _place_text(rng, str(rng.choice(options)), placed)
        if text is None:
            if "text" in inc["text"]:
                return None
        else:
            texts.append(text)
    return SceneSpec(background=background, objects=objects, texts=texts)


def _place_text(
    rng: np.random.Generator, colour: str, placed: list[tuple[float, float, float]]
) -> TextSpec | None:
    for _ in range(60):
        word = str(rng.choice(WORDS))
        text = TextSpec(text=word, colour=colour, x=0.5, y=0.5, size=float(rng.uniform(0.1, 0.12)))
        x0, y0, x1, y1 = text_box(text)
        half_w, half_h = (x1 - x0) / 2, (y1 - y0) / 2
        text.x = float(rng.uniform(MARGIN + 0.02 + half_w, 1 - MARGIN - 0.02 - half_w))
        text.y = float(rng.uniform(MARGIN + 0.02 + half_h, 1 - MARGIN - 0.02 - half_h))
        # keep clear of every object's bounding box, with a gap
        if all(
            abs(text.x - px) >= half_w + pr + 0.03 or abs(text.y - py) >= half_h + pr + 0.03
            for px, py, pr in placed
        ):
            return text
    return None


def random_scene(rng: np.random.Generator) -> SceneSpec:
    """A random scene from the whole vocabulary (background, one to seven objects, maybe text)."""
    roll = rng.random()
    include = ["many_objects"] if roll < 0.2 else ["text"] if roll < 0.35 else []
    return scene_with(include, [], rng)


def spec_from_words(words: list[str]) -> tuple[SceneSpec, list[str]]:
    """The scene that a prompt's words describe, and the words it could not render.

    Colour words bind to the next shape ("red circle"); a colour with no shape after it
    colours the background, or the pattern it precedes ("blue stripes"); "stripes" after
    "horizontal"/"vertical"/"diagonal" picks that stripe direction; stop-words are ignored.
    """
    tokens = [w.strip(".,;:!?\"'()").lower() for word in words for w in word.split()]
    tokens = [t for t in tokens if t and t not in STOP_WORDS]
    unrenderable: list[str] = []
    objects: list[ObjectSpec] = []
    background = BackgroundSpec(kind="solid", colours=["white"])
    pending_colour: str | None = None
    direction: str | None = None
    positions: list[str] = []
    has_text, count = False, 0
    bg_colours: list[str] = []
    for token in tokens:
        name = SYNONYMS.get(token, token)
        if token in _STRIPE_DIRECTIONS:
            direction = _STRIPE_DIRECTIONS[token]
            continue
        if name == "":
            continue
        if name.endswith("s") and name[:-1] in SHAPES:
            name = name[:-1]
        if name in COLOURS:
            if pending_colour:
                bg_colours.append(pending_colour)
            pending_colour = name
        elif name in SHAPES:
            objects.append(ObjectSpec(shape=name, colour=pending_colour or "", x=0.5, y=0.5))
            pending_colour = None
        elif name in PATTERNS:
            if name == "horizontal_stripes" and direction:
                name = direction
            background.kind = name
            if pending_colour:
                bg_colours.append(pending_colour)
                pending_colour = None
        elif name in POSITIONS:
            positions.append(name)
        elif name == "text":
            has_text = True
        elif name == "many_objects":
            count = 6
        elif name == "single_object":
            count = 1
        elif token.isdigit() and 1 <= int(token) <= 7:
            count = int(token)
        else:
            unrenderable.append(token)
    if direction and background.kind == "solid":
        background.kind = direction
    if pending_colour:
        bg_colours.append(pending_colour)
    return _assemble(background, bg_colours, objects, positions, has_text, count), unrenderable


def _assemble(
    background: BackgroundSpec,
    bg_colours: list[str],
    objects: list[ObjectSpec],
    positions: list[str],
    has_text: bool,
    count: int,
) -> SceneSpec:
    """Lay out parsed words deterministically: fill in colours, counts and positions."""
    rng = np.random.default_rng(0)
    used = {o.colour for o in objects if o.colour}
    if not bg_colours:
        bg_colours = ["white"] if "white" not in used else ["black"]
        if background.kind not in ("solid", "noise"):
            bg_colours.append("gray" if "gray" not in used else "black")
    if background.kind not in ("solid", "noise") and len(bg_colours) < 2:
        partner = next(
            c for c in ("white", "black", "gray", "yellow") if c != bg_colours[0] and c not in used
        )
        bg_colours.append(partner)
    background.colours = (
        bg_colours[:2] if background.kind not in ("solid", "noise") else (bg_colours[:1])
    )
    free = [c for c in COLOUR_NAMES if _contrasts(c, background)]
    for obj in objects:
        if not obj.colour:
            obj.colour = next(
                (
                    c
                    for c in ("red", "blue", "green", "yellow", "black")
                    if c in free and c not in used
                ),
                free[0] if free else "black",
            )
            used.add(obj.colour)
    if not objects and (positions or count):
        objects.append(ObjectSpec(shape="circle", colour=free[0] if free else "red", x=0.5, y=0.5))
    while count and len(objects) < count:
        template = objects[len(objects) % max(len(objects), 1)]
        objects.append(ObjectSpec(shape=template.shape, colour=template.colour, x=0.5, y=0.5))
    many = len(objects) >= 5
    placed: list[tuple[float, float, float]] = []
    for index, obj in enumerate(objects):
        obj.size = 0.09 if many else 0.12
        position = positions[index] if index < len(positions) else None
        spot = None
        if index == 0 and len(objects) == 1 and position is None:
            spot = (0.5, 0.5)
        for _ in range(20):
            spot = spot or _place(rng, obj.size, placed, set(), position)
            if spot is not None:
                break
        obj.x, obj.y = spot if spot else (0.5, 0.5)
        placed.append((obj.x, obj.y, obj.size))
    texts = []
    if has_text:
        colour = "black" if "black" in free else (free[0] if free else "black")
        text = _place_text(rng, colour, placed)
        texts.append(text or TextSpec(text="text", colour=colour, x=0.5, y=0.85))
    return SceneSpec(background=background, objects=objects, texts=texts)
