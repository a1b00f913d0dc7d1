"""Open-vocabulary evidence for vision units: what the images (and the regions) that drive a
unit show, against the corpus's base rates: their labels, colours, texture, how much of the
image fires, and, for a classifier, the classes it sees there."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

import numpy as np
from PIL import Image
from pydantic import Field
from scipy import ndimage

from models.exemplars import QUANTILES, layer_exemplars
from models.recording import activations
from tools.context import ToolContext, ToolError
from tools.observation import Observation
from tools.registry import tool
from tools.results import ToolResult
from tools.text_evidence import Lift
from tools.vision import exemplar_mask

#: Properties of a generated scene's layout that no single label names, in plain words
#: (descriptions use these phrases; `rank_descriptions` checks them on each scene).
SCENE_PHRASES = {
    "exactly one object": "scenes with exactly one object",
    "exactly two objects": "scenes with exactly two objects",
    "exactly three objects": "scenes with exactly three objects",
    "exactly four objects": "scenes with exactly four objects",
    "five or more objects": "scenes with five or more objects",
    "a large object": "large objects",
    "an object near the centre": "objects near the centre of the image",
    "an object darker than the background": "objects darker than the background",
    "a warm-coloured object": "objects in warm colours (red, orange, yellow, pink)",
    "a cool-coloured object": "objects in cool colours (green, cyan, blue, purple)",
    "two objects of the same colour": "objects that share their colour with another object",
    # the other end of each measured property: size, luminance, distance from the centre
    "a small object": "small objects",
    "an object lighter than the background": "objects lighter than the background",
    "an object near a corner": "objects near a corner of the image",
}
#: The same properties qualifying a shape ("circles near the centre of the image").
SCENE_QUALIFIERS = {
    "exactly one object": "alone in the scene",
    "exactly two objects": "in scenes with exactly two objects",
    "exactly three objects": "in scenes with exactly three objects",
    "exactly four objects": "in scenes with exactly four objects",
    "five or more objects": "in scenes with five or more objects",
    "a large object": "that are large",
    "an object near the centre": "near the centre of the image",
    "an object darker than the background": "darker than the background",
    "a warm-coloured object": "in warm colours",
    "a cool-coloured object": "in cool colours",
    "two objects of the same colour": "that share their colour with another object",
    "a small object": "that are small",
    "an object lighter than the background": "lighter than the background",
    "an object near a corner": "near a corner of the image",
}
#: An object is large when its size is at least this quantile of the object sizes in the
#: random sample of the same corpus (`size_cuts`), small when at most SMALL_QUANTILE; LARGE
#: and SMALL when there is no sample.
LARGE_QUANTILE = 75
SMALL_QUANTILE = 25
LARGE = 0.13
SMALL = 0.07
#: An object whose centre is within this distance of two edges (fractions of the image) is
#: near a corner.
CORNER = 0.25
#: An object within this distance of the centre on both axes (fractions of the image) is
#: near the centre (the central 24% by 24% of the image).
CENTRE = 0.12
#: An object darker (lighter) than the background by this much luminance (0-255) is darker
#: (lighter).
DARKER = 60.0
COUNT_WORDS = {1: "exactly one object", 2: "exactly two objects", 3: "exactly three objects",
               4: "exactly four objects"}


def _rgb(colour: str) -> tuple[int, int, int] | None:
    from models.stimuli.images.vocabulary import COLOURS

    return COLOURS.get(colour)


def _luminance(rgb: tuple[int, int, int]) -> float:
    return 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]


def _warmth(rgb: tuple[int, int, int]) -> str | None:
    """"warm" or "cool" for a saturated colour, None for black, white and greys."""
    hue, saturation, value = Image.new("RGB", (1, 1), rgb).convert("HSV").getpixel((0, 0))
    if saturation < 64 or value < 51:
        return None
    degrees = hue * 360 / 255
    return "warm" if degrees < 70 or degrees >= 290 else "cool"


def size_cuts(images: list[Image.Image]) -> tuple[float, float]:
    """(small, large): the sizes up to which an object counts as small and from which it
    counts as large, from a sample of generated images."""
    from models.stimuli.images import read_spec

    sizes = [o.size for spec in (read_spec(i) for i in images) if spec for o in spec.objects]
    if not sizes:
        return SMALL, LARGE
    return (float(np.percentile(sizes, SMALL_QUANTILE)),
            float(np.percentile(sizes, LARGE_QUANTILE)))


def scene_features(spec: Any, large: float = LARGE, small: float = SMALL) -> list[str]:
    """The layout properties (`SCENE_PHRASES`) of a generated scene; objects of size `large`
    or more are large, of size `small` or less small."""
    found = scene_wide(spec)
    for features in object_features(spec, large, small):
        found += features
    return sorted(set(found))


def scene_wide(spec: Any) -> list[str]:
    """The layout properties of a scene as a whole: its object count and shared colours."""
    objects = list(spec.objects)
    found = [COUNT_WORDS.get(len(objects), "five or more objects")] if objects else []
    if any(n >= 2 for n in Counter(o.colour for o in objects).values()):
        found.append("two objects of the same colour")
    return found


def object_features(spec: Any, large: float = LARGE, small: float = SMALL) -> list[list[str]]:
    """The layout properties each object of a scene has on its own (size, place, brightness
    against the background, warmth), one list per object in the scene's order."""
    backgrounds = [c for c in (_rgb(c) for c in spec.background.colours) if c]
    ground = float(np.mean([_luminance(c) for c in backgrounds])) if backgrounds else 245.0
    out = []
    for o in spec.objects:
        rgb = _rgb(o.colour)
        found = []
        if o.size >= large:
            found.append("a large object")
        if o.size <= small:
            found.append("a small object")
        if abs(o.x - 0.5) <= CENTRE and abs(o.y - 0.5) <= CENTRE:
            found.append("an object near the centre")
        if min(o.x, 1 - o.x) <= CORNER and min(o.y, 1 - o.y) <= CORNER:
            found.append("an object near a corner")
        if rgb is not None and _luminance(rgb) <= ground - DARKER:
            found.append("an object darker than the background")
        if rgb is not None and _luminance(rgb) >= ground + DARKER:
            found.append("an object lighter than the background")
        warmth = _warmth(rgb) if rgb is not None else None
        if warmth:
            found.append(f"a {warmth}-coloured object")
        out.append(found)
    return out


def image_scene_features(image: Image.Image, cuts: tuple[float, float] = (SMALL, LARGE)
                         ) -> list[str]:
    """`scene_features` of a generated image (from the scene it carries), with the (small,
    large) size cuts of `size_cuts`; [] for a photo."""
    from models.stimuli.images import read_spec

    spec = read_spec(image)
    return scene_features(spec, large=cuts[1], small=cuts[0]) if spec is not None else []


#: Hue ranges (degrees) of the colour names, for saturated pixels.
HUES = (("red", 0, 15), ("orange", 15, 40), ("yellow", 40, 70), ("green", 70, 165),
        ("cyan", 165, 200), ("blue", 200, 255), ("purple", 255, 290), ("pink", 290, 335),
        ("red", 335, 361))


class ImageEvidence(ToolResult):
    """`image_evidence`: what a vision unit's driving images and regions have in common."""

    unit: str
    corpus: str
    images: int
    labels: list[Lift]
    words: list[Lift]
    colours: list[Lift]
    classes: list[Lift]
    scene: list[Lift] = []  # layout properties of generated scenes (`SCENE_PHRASES`)
    region: dict[str, float]
    texture: dict[str, float]

    def headline(self) -> str:
        parts = []
        if self.labels or self.words:
            parts.append("its top images show " + ", ".join(
                repr(x.item) for x in (self.labels or self.words)[:4]))
        if self.colours:
            parts.append("the regions that drive it are " + ", ".join(
                c.item for c in self.colours[:2]))
        if self.classes:
            parts.append("the classifier sees " + ", ".join(c.item for c in self.classes[:3]))
        return ("; ".join(parts) or "no label, colour or class stands out") + "."

    def rows(self) -> list[dict[str, Any]]:
        return [{"what": kind, "item": x.item, "in top images": f"{x.share:.0%}",
                 "at random": f"{x.base_share:.0%}", "lift": round(x.lift, 1)}
                for kind, items in (("label", self.labels[:3]), ("word", self.words[:3]),
                                    ("colour", self.colours[:2]), ("class", self.classes[:3]),
                                    ("scene", self.scene[:3]))
                for x in items]


def colour_names(pixels: np.ndarray) -> np.ndarray:
    """A colour name per pixel of an `[h, w, 3]` uint8 array (hue for saturated pixels, else
    white, grey or black by brightness)."""
    hsv = np.asarray(Image.fromarray(pixels).convert("HSV"), dtype=np.float32)
    hue, saturation, value = hsv[..., 0] * 360 / 255, hsv[..., 1] / 255, hsv[..., 2] / 255
    names = np.full(hue.shape, "grey", dtype=object)
    names[value < 0.2] = "black"
    names[(saturation < 0.2) & (value >= 0.8)] = "white"
    colourful = (saturation >= 0.25) & (value >= 0.2)
    for name, low, high in HUES:
        names[colourful & (hue >= low) & (hue < high)] = name
    return names


def _labels(stimulus_id: str, image: Image.Image) -> tuple[list[str], list[str]]:
    """(labels, words) of an image: a natural photo's label and category, a generated scene's
    objects and background, nothing for other images."""
    if ":" in stimulus_id and not stimulus_id.startswith("generated:"):
        try:
            from models.natural.splits import photo_record

            photo = photo_record(stimulus_id)
            words = [w for w in f"{photo.label} {photo.category}".split() if len(w) > 2]
            return [photo.label, photo.category], words
        except Exception:  # noqa: BLE001 (an id of another collection)
            pass
    from models.stimuli.images import read_spec

    spec = read_spec(image)
    if spec is None:
        return [], []
    labels = [f"{o.colour} {o.shape}".replace("_", " ") for o in spec.objects]
    labels.append(f"{spec.background.kind} background".replace("_", " "))
    labels.extend(f"{c} background".replace("_", " ") for c in spec.background.colours)
    return labels, sorted({w for label in labels for w in label.split()})


def _lifts(counts: Counter, total: int, base: Counter, base_total: int,
           limit: int = 6) -> list[Lift]:
    rows = []
    for item, count in counts.items():
        share, base_share = count / max(total, 1), base.get(item, 0) / max(base_total, 1)
        lift = (count + 0.5) / (total + 1) / ((base.get(item, 0) + 0.5) / (base_total + 1))
        if count >= 2 and lift > 1.5:
            rows.append(Lift(item=item, count=count, share=round(share, 3),
                             base_share=round(base_share, 3), lift=round(lift, 2)))
    rows.sort(key=lambda r: -r.share * np.log(r.lift))
    return rows[:limit]


def _texture(pixels: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    """(edge density, share of edges that run horizontally or vertically) inside a mask."""
    grey = pixels.astype(np.float32).mean(axis=2)
    gx, gy = ndimage.sobel(grey, axis=1), ndimage.sobel(grey, axis=0)
    magnitude = np.hypot(gx, gy)
    edges = (magnitude > 60) & mask
    if not edges.any():
        return 0.0, 0.0
    angle = np.degrees(np.arctan2(gy[edges], gx[edges])) % 180
    axis = ((angle < 15) | (angle > 165) | ((angle > 75) & (angle < 105))).mean()
    return float(edges.sum() / max(mask.sum(), 1)), float(axis)


@tool("vision", result=ImageEvidence)
def image_evidence(ctx: ToolContext, unit: str,
                   k: Annotated[int, Field(ge=4, le=32)] = 16) -> Observation:
    """What the unit's top images and the regions driving it have in common, against a random
    sample of the same corpus: the images' labels (natural photos) or scene contents
    (generated images), the colours of the driving regions, their texture, how much of the
    image fires, and the classes an image classifier sees in the top images.

    Args:
        unit: the unit address '<model>:<layer>:<index>' of a vision unit.
        k: how many of the unit's top exemplar images to read.
    """
    from models.recording import resolve_unit

    address, model, _ = resolve_unit(unit)
    if model.modality != "vision":
        raise ToolError(f"{unit!r} is not a vision unit; text units have token_evidence")
    cache = layer_exemplars(address.model, address.layer, ctx.corpus)
    rows = [int(i) for i in cache.top_indices[address.index][:k]]
    sample_rows = [int(i) for i in cache.sample_indices]
    top = [image.convert("RGB") for image in cache.corpus.items(rows)]
    sample = [image.convert("RGB") for image in cache.corpus.items(sample_rows)]
    recorded = activations(str(address), top)
    level = float(cache.quantiles[address.index][QUANTILES.index(0.5)])
    labels, words, colours, scene = Counter(), Counter(), Counter(), Counter()
    cuts = size_cuts(sample)
    coverage, density, axis = [], [], []
    for row, image, unit_map in zip(rows, top, recorded.maps, strict=True):
        found_labels, found_words = _labels(cache.corpus.ids[row], image)
        labels.update(set(found_labels))
        words.update(set(found_words))
        scene.update(image_scene_features(image, cuts))
        mask = exemplar_mask(unit_map, image.size, level)
        pixels = np.asarray(image)
        region = colour_names(pixels)[mask]
        colours.update(name for name, n in Counter(region).items() if n >= 0.15 * len(region))
        coverage.append(float(mask.mean()))
        d, a = _texture(pixels, mask)
        density.append(d)
        axis.append(a)
    base_labels, base_words, base_colours, base_scene = Counter(), Counter(), Counter(), Counter()
    for row, image in zip(sample_rows, sample, strict=True):
        found_labels, found_words = _labels(cache.corpus.ids[row], image)
        base_labels.update(set(found_labels))
        base_words.update(set(found_words))
        base_scene.update(image_scene_features(image, cuts))
        names = colour_names(np.asarray(image))
        base_colours.update(name for name, n in Counter(names.ravel()).items()
                            if n >= 0.15 * names.size)
    classes = _classes(top, sample, [cache.corpus.ids[r] for r in rows],
                       [cache.corpus.ids[r] for r in sample_rows])
    result = ImageEvidence(
        unit=str(address), corpus=ctx.corpus, images=len(top),
        labels=_lifts(labels, len(top), base_labels, len(sample)),
        words=_lifts(words, len(top), base_words, len(sample)),
        colours=_lifts(colours, len(top), base_colours, len(sample), limit=4),
        classes=classes,
        scene=_lifts(scene, len(top), base_scene, len(sample)),
        region={"share of the image that fires": round(float(np.mean(coverage)), 3)},
        texture={"edge density in the region": round(float(np.mean(density)), 3),
                 "share of horizontal or vertical edges": round(float(np.mean(axis)), 3)})
    lines = [result.headline()] + [f"  {r['what']}: {r['item']} ({r['in top images']} vs "
                                   f"{r['at random']})" for r in result.rows()]
    return Observation("image_evidence", "\n".join(lines), result=result)


#: The classifier's first class per stimulus id, kept per process (corpus images never change).
_CLASSES: dict[str, str | None] = {}


def classifier_classes(ids: list[str], images: list[Image.Image]) -> list[str | None]:
    """The class an ImageNet classifier (EfficientNet-Lite0) ranks first on each image, or None
    without a classifier; memoised by stimulus id."""
    from models.registry import get_model

    missing = [i for i, key in enumerate(ids) if key not in _CLASSES]
    if missing:
        try:
            classifier = get_model("efficientnet_lite0")
            names = classifier.class_names or []
            found = classifier.logits([images[i] for i in missing]).argmax(dim=1)
            for i, cls in zip(missing, found, strict=True):
                _CLASSES[ids[i]] = names[int(cls)]
        except Exception:  # noqa: BLE001 (no classifier here: no class evidence)
            return [None] * len(ids)
    return [_CLASSES[key] for key in ids]


def _classes(top: list[Image.Image], sample: list[Image.Image], top_ids: list[str],
             sample_ids: list[str]) -> list[Lift]:
    """Classes an ImageNet classifier ranks first on the top images, against the sample."""
    top_classes = [c for c in classifier_classes(top_ids, top) if c]
    sample_classes = [c for c in classifier_classes(sample_ids, sample) if c]
    if not top_classes:
        return []
    return _lifts(Counter(top_classes), len(top), Counter(sample_classes), len(sample),
                  limit=5)
