"""Scenes with and without given concepts: placement, contrast and random scenes."""

from __future__ import annotations

import math

import numpy as np

from models.errors import ModelsError
from models.stimuli.images.render import text_box
from models.stimuli.images.spec import BackgroundSpec, ObjectSpec, SceneSpec, TextSpec
from models.stimuli.images.vocabulary import (
    COLOUR_NAMES,
    CONTRAST,
    GENERATOR_VOCABULARY,
    MARGIN,
    PATTERNS,
    SHAPES,
    WORDS,
    colour_distance,
    colour_index,
    rgb,
)


def background_colours(background: BackgroundSpec) -> set[str]:
    """The colour names a background visibly contains (gradients can pass through others)."""
    names = set(background.colours)
    if background.kind == "gradient" and len(background.colours) > 1:
        first, second = rgb(background.colours[0]), rgb(background.colours[1])
        t = np.linspace(0, 1, 65, dtype=np.float32)[:, None]
        samples = first * (1 - t) + second * t
        names |= {COLOUR_NAMES[i] for i in colour_index(samples).ravel() if i >= 0}
    return names


def _background_pixels(background: BackgroundSpec) -> np.ndarray:
    """Representative background colours, for contrast checks against object colours."""
    first = rgb(background.colours[0])
    second = rgb(background.colours[-1])
    if background.kind == "gradient":
        t = np.linspace(0, 1, 17, dtype=np.float32)[:, None]
        return first * (1 - t) + second * t
    if background.kind == "noise":
        return np.stack([first * 0.88, first, np.minimum(first * 1.12, 255)])
    return np.stack([first, second])


def contrasts(colour: str, background: BackgroundSpec) -> bool:
    pixels = _background_pixels(background)
    return bool(np.linalg.norm(pixels - rgb(colour), axis=1).min() >= CONTRAST)


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


def place(
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
        partners = [c for c in bg_pool if colour_distance(c, bg_colours[0]) >= CONTRAST]
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
    if kind == "noise" and float(rgb(bg_colours[0]).max()) < 100:
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
            options = [c for c in pool_colours if contrasts(c, background)]
            if not options:
                return None
            colour = str(rng.choice(options))
        elif not contrasts(colour, background):
            return None
        r = float(rng.uniform(*radius_range))
        excluded = excluded_positions | (set() if target else set(oth["position"]))
        spot = place(rng, r, placed, excluded, position)
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
        options = [c for c in other_colours if contrasts(c, background)]
        if "text" in inc["text"]:
            options = [c for c in allowed_colours if contrasts(c, background)]
        if not options:
            return None
        text = place_text(rng, str(rng.choice(options)), placed)
        if text is None:
            if "text" in inc["text"]:
                return None
        else:
            texts.append(text)
    return SceneSpec(background=background, objects=objects, texts=texts)


def place_text(
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
