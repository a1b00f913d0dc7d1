"""Vision concept detectors: maps of colours, shapes, patterns, counts, positions and text, computed from the pixels alone."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image
from scipy import ndimage
from skimage.measure import label, regionprops

from models.concepts.base import Concept
from models.errors import ModelsError, StimulusError
from models.stimuli import images as gen

#: Side of the analysed image and of the output maps.
WORK = 112


MAP = 28


#: Border band (pixels at WORK size) that the generator keeps free of objects: it shows the
#: background, whose colours are learnt there.
BAND = 11


#: Components at least this large are objects; smaller compact ones may be glyphs.
OBJECT_AREA = 100


GLYPH_MAX_SIDE = 16


def _concepts() -> dict[str, Concept]:
    table: dict[str, Concept] = {}
    for name in gen.COLOUR_NAMES:
        synonyms = {"gray": ("grey",), "cyan": ("teal",), "purple": ("violet",)}.get(name, ())
        table[name] = Concept(name, "colour", f"{name} regions", synonyms)
    for name in gen.SHAPES:
        plural = {"cross": "crosses (plus signs)", "oval": "ovals (ellipses)"}.get(name, name + "s")
        table[name] = Concept(name, "shape", plural)
    phrases = {
        "horizontal_stripes": ("a horizontally striped background", ("horizontal lines",)),
        "vertical_stripes": ("a vertically striped background", ("vertical lines",)),
        "diagonal_stripes": ("a diagonally striped background", ("slanted stripes",)),
        "checkerboard": ("a checkerboard background", ("checkered", "chessboard")),
        "dots": ("a polka-dot background", ("dotted", "spots")),
        "grid": ("a grid of thin lines in the background", ("lattice", "mesh")),
        "noise": ("a grainy noise texture in the background", ("speckle", "grain")),
        "gradient": ("a smooth colour gradient in the background", ("fade", "ramp")),
    }
    for name, (phrase, synonyms) in phrases.items():
        table[name] = Concept(name, "pattern", phrase, synonyms)
    table["many_objects"] = Concept(
        "many_objects",
        "count",
        "scenes with many objects (five or more)",
        ("crowded", "cluttered", "many shapes"),
    )
    table["single_object"] = Concept(
        "single_object", "count", "scenes with exactly one object", ("lone object", "one shape")
    )
    for name in gen.POSITIONS:
        side = {"left": "left side", "right": "right side", "top": "top", "bottom": "bottom"}[name]
        table[name] = Concept(
            name,
            "position",
            f"objects at the {side} of the image",
            (f"{name} side", f"{name} half"),
        )
    table["text"] = Concept(
        "text", "text", "written text (letters or words)", ("letters", "words", "writing", "glyphs")
    )
    return table


VISION_CONCEPTS: dict[str, Concept] = _concepts()


@lru_cache(maxsize=1)
def _templates() -> dict[str, tuple[np.ndarray, float]]:
    """Each shape's silhouette normalised to its bounding box (20x20), and its aspect ratio."""
    table = {}
    for shape in gen.SHAPES:
        obj = gen.ObjectSpec(shape=shape, colour="red", x=0.5, y=0.5, size=0.4)
        mask = np.asarray(gen.shape_mask(obj, 200)) > 0
        table[shape] = (_normalise(mask), _aspect(mask))
    return table


def _normalise(mask: np.ndarray) -> np.ndarray:
    rows, cols = np.nonzero(mask)
    crop = mask[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    small = Image.fromarray(crop.astype(np.uint8) * 255).resize((20, 20), Image.BILINEAR)
    return np.asarray(small) >= 128


def _aspect(mask: np.ndarray) -> float:
    rows, cols = np.nonzero(mask)
    return (cols.max() - cols.min() + 1) / (rows.max() - rows.min() + 1)


def _classify(crop: np.ndarray) -> str | None:
    """The shape whose normalised silhouette and aspect best match a component, if any fits."""
    normal, aspect = _normalise(crop), _aspect(crop)
    best, best_score, best_iou = None, -1.0, 0.0
    for shape, (template, template_aspect) in _templates().items():
        iou = (normal & template).sum() / max((normal | template).sum(), 1)
        score = iou - 0.8 * abs(math.log(aspect / template_aspect))
        if score > best_score:
            best, best_score, best_iou = shape, score, iou
    return best if best_iou >= 0.72 and best_score >= 0.6 else None


def pool(mask: np.ndarray) -> np.ndarray:
    """Average a `[112, 112]` mask over 4x4 blocks into a `[28, 28]` map."""
    size = WORK // MAP
    return mask.astype(np.float32).reshape(MAP, size, MAP, size).mean(axis=(1, 3))


def _ramp(value: float, low: float, high: float) -> float:
    return float(np.clip((value - low) / (high - low), 0.0, 1.0))


_BALL = np.linalg.norm(np.mgrid[-3:4, -3:4, -3:4], axis=0) <= 3.0


_BAND_MASK = np.ones((WORK, WORK), bool)


_BAND_MASK[BAND:-BAND, BAND:-BAND] = False


_XS = (np.arange(WORK, dtype=np.float32) + 0.5) / WORK


_SIDE_WEIGHTS = {
    "left": np.broadcast_to(np.clip((0.5 - _XS) / 0.1, 0, 1)[None, :], (WORK, WORK)),
    "right": np.broadcast_to(np.clip((_XS - 0.5) / 0.1, 0, 1)[None, :], (WORK, WORK)),
    "top": np.broadcast_to(np.clip((0.5 - _XS) / 0.1, 0, 1)[:, None], (WORK, WORK)),
    "bottom": np.broadcast_to(np.clip((_XS - 0.5) / 0.1, 0, 1)[:, None], (WORK, WORK)),
}


@dataclass(frozen=True)
class SceneObject:
    """One object found in an image (a large connected foreground component).

    Attributes:
        mask: `[112, 112]` bool, its pixels at the analysis size.
        area: its pixel count at the analysis size.
        centre: (y, x) of its centroid, as fractions of the image side.
        colour: the colour name most of its pixels have (None if no named colour).
    """

    mask: np.ndarray
    area: int
    centre: tuple[float, float]
    colour: str | None


class PixelAnalysis:
    """Pixel analysis of one image, computed lazily and shared by all concepts of a call."""

    def __init__(self, image: Image.Image) -> None:
        # nearest resampling keeps pure colours: averaging would invent blends at every edge
        small = image.convert("RGB").resize((WORK, WORK), Image.NEAREST)
        self.pixels = np.asarray(small, dtype=np.uint8)
        self._colours: np.ndarray | None = None
        self._segments: tuple | None = None
        self._texture: dict[str, float] | None = None
        self._objects: list[SceneObject] = []

    @property
    def colours(self) -> np.ndarray:
        if self._colours is None:
            self._colours = gen.colour_index(self.pixels)
        return self._colours

    def segments(self) -> tuple[np.ndarray, dict[str, np.ndarray], int, np.ndarray, np.ndarray]:
        """Foreground, per-shape masks, object count, all-object mask and text mask."""
        if self._segments is not None:
            return self._segments
        quant = (self.pixels // 16).astype(np.int32)
        codes = quant[..., 0] * 256 + quant[..., 1] * 16 + quant[..., 2]
        seen = np.bincount(codes[_BAND_MASK], minlength=4096) >= 2
        # a colour is background if it is near one seen in the border band (patterns included)
        lut = ndimage.binary_dilation(seen.reshape(16, 16, 16), structure=_BALL).ravel()
        foreground = ~lut[codes] & ~_BAND_MASK
        labels = label(foreground, connectivity=2)
        shapes = {name: np.zeros((WORK, WORK), bool) for name in gen.SHAPES}
        objects = np.zeros((WORK, WORK), bool)
        glyphs = []
        count = 0
        for region in regionprops(labels):
            r0, c0, r1, c1 = region.bbox
            if region.area >= OBJECT_AREA:
                count += 1
                objects[r0:r1, c0:c1] |= region.image
                self._objects.append(self._object(region))
                shape = _classify(region.image)
                if shape is not None:
                    shapes[shape][r0:r1, c0:c1] |= region.image
            elif region.area >= 3 and r1 - r0 <= GLYPH_MAX_SIDE and c1 - c0 <= GLYPH_MAX_SIDE:
                glyphs.append(region)
        text = np.zeros((WORK, WORK), bool)
        centres = np.array([g.centroid for g in glyphs]) if glyphs else np.zeros((0, 2))
        for index, glyph in enumerate(glyphs):
            # a glyph is text when at least two others sit beside it on the same line
            near = (np.abs(centres[:, 0] - centres[index, 0]) <= 5) & (
                np.abs(centres[:, 1] - centres[index, 1]) <= 30
            )
            if near.sum() >= 3:
                r0, c0, r1, c1 = glyph.bbox
                text[r0:r1, c0:c1] |= glyph.image
        if text.any():
            text = ndimage.binary_dilation(text, iterations=2)
        self._segments = (foreground, shapes, count, objects, text)
        return self._segments

    def _object(self, region) -> SceneObject:
        mask = np.zeros((WORK, WORK), bool)
        r0, c0, r1, c1 = region.bbox
        mask[r0:r1, c0:c1] = region.image
        named = self.colours[mask]
        named = named[named >= 0]
        colour = gen.COLOUR_NAMES[int(np.bincount(named).argmax())] if named.size else None
        y, x = region.centroid
        return SceneObject(mask, int(region.area), ((y + 0.5) / WORK, (x + 0.5) / WORK), colour)

    def objects(self) -> list[SceneObject]:
        """The objects of the image (components of at least OBJECT_AREA pixels)."""
        self.segments()
        return list(self._objects)

    def background(self) -> np.ndarray:
        """`[112, 112]` bool: the pixels that show the background (not objects nor glyphs)."""
        return ~self.segments()[0]

    def texture(self) -> dict[str, float]:
        """Scores of each background pattern, from edges and colours of the background pixels."""
        if self._texture is not None:
            return self._texture
        foreground = self.segments()[0]
        background = ~ndimage.binary_dilation(foreground, iterations=2)
        scores = dict.fromkeys(gen.PATTERNS, 0.0)
        if background.sum() < 0.2 * WORK * WORK:
            self._texture = scores
            return scores
        pixels = self.pixels.astype(np.float32)
        gx = np.stack([ndimage.sobel(pixels[..., c], axis=1) for c in range(3)], -1)
        gy = np.stack([ndimage.sobel(pixels[..., c], axis=0) for c in range(3)], -1)
        jxx, jyy, jxy = (gx * gx).sum(-1), (gy * gy).sum(-1), (gx * gy).sum(-1)
        magnitude = np.sqrt(jxx + jyy)
        strong = (magnitude > 150) & background
        weak = (magnitude > 35) & background
        total = background.sum()
        strong_frac, weak_frac = strong.sum() / total, weak.sum() / total
        quant = (self.pixels // 16).astype(np.int32)
        codes = quant[..., 0] * 256 + quant[..., 1] * 16 + quant[..., 2]
        counts = np.sort(np.bincount(codes[background], minlength=4096))[::-1] / total
        top1, top2 = counts[0], counts[0] + counts[1]
        # orientation of the colour gradient, from the smoothed structure tensor
        sxx, syy, sxy = (ndimage.gaussian_filter(j, 1.0) for j in (jxx, jyy, jxy))
        theta = np.degrees(0.5 * np.arctan2(2 * sxy, sxx - syy)) % 180
        if strong.any():
            bins = np.rint(theta[strong] / 45).astype(int) % 4
            hist = np.bincount(bins, weights=magnitude[strong], minlength=4)
            hist = hist / hist.sum()
        else:
            hist = np.zeros(4)
        h_vertical, h_diag1, h_horizontal, h_diag2 = hist  # gradient at 0, 45, 90, 135 degrees
        means = []
        half = WORK // 2
        for region in (np.s_[:, :half], np.s_[:, half:], np.s_[:half, :], np.s_[half:, :]):
            select = background[region]
            means.append(pixels[region][select].mean(0) if select.any() else np.zeros(3))
        spread = max(np.linalg.norm(means[0] - means[1]), np.linalg.norm(means[2] - means[3]))
        # patterns have few colours and only sharp edges; noise has many soft edges
        patterned = (
            _ramp(top2, 0.7, 0.85)
            * _ramp(strong_frac, 0.04, 0.1)
            * (1 - _ramp(weak_frac - strong_frac, 0.2, 0.35))
        )
        minority = top2 - top1
        crossing = _ramp(min(h_vertical, h_horizontal), 0.2, 0.3) * (
            1 - _ramp(h_diag1 + h_diag2, 0.35, 0.5)
        )
        scores["horizontal_stripes"] = patterned * _ramp(h_horizontal, 0.6, 0.8)
        scores["vertical_stripes"] = patterned * _ramp(h_vertical, 0.6, 0.8)
        scores["diagonal_stripes"] = patterned * _ramp(max(h_diag1, h_diag2), 0.5, 0.7)
        scores["checkerboard"] = patterned * crossing * _ramp(minority, 0.32, 0.4)
        scores["grid"] = (
            patterned
            * crossing
            * (1 - _ramp(minority, 0.26, 0.34))
            * (1 - _ramp(h_diag1 + h_diag2, 0.25, 0.35))
        )
        scores["dots"] = (
            patterned
            * _ramp(h_diag1 + h_diag2, 0.3, 0.4)
            * (1 - _ramp(max(h_diag1, h_diag2), 0.4, 0.5))
            * (1 - _ramp(minority, 0.3, 0.4))
        )
        scores["noise"] = _ramp(weak_frac, 0.45, 0.65) * (
            1 - _ramp(strong_frac / max(weak_frac, 1e-6), 0.5, 0.8)
        )
        scores["gradient"] = (
            _ramp(spread, 20, 35)
            * (1 - _ramp(strong_frac, 0.02, 0.05))
            * (1 - _ramp(weak_frac, 0.3, 0.45))
        )
        self._texture = scores
        return scores

    def concept_map(self, name: str) -> np.ndarray:
        concept = VISION_CONCEPTS[name]
        if concept.category == "colour":
            return pool(self.colours == gen.COLOUR_NAMES.index(name))
        if concept.category == "pattern":
            return np.full((MAP, MAP), self.texture()[name], np.float32)
        _, shapes, count, objects, text = self.segments()
        if concept.category == "shape":
            return pool(shapes[name])
        if concept.category == "position":
            return pool(objects * _SIDE_WEIGHTS[name])
        if concept.category == "count":
            value = (
                min(max((count - 3) / 2, 0.0), 1.0) if name == "many_objects" else float(count == 1)
            )
            return np.full((MAP, MAP), value, np.float32)
        return pool(text)


def vision_concept_maps(concepts: list[str], images: list[Image.Image]) -> np.ndarray:
    """Concept maps `[batch, concepts, 28, 28]` in [0, 1], computed from the pixels alone.

    Raises:
        ModelsError: an unknown concept name.
        StimulusError: an item that is not a PIL image.
    """
    unknown = [c for c in concepts if c not in VISION_CONCEPTS]
    if unknown:
        raise ModelsError(f"unknown vision concepts {unknown}; valid: {', '.join(VISION_CONCEPTS)}")
    out = np.zeros((len(images), len(concepts), MAP, MAP), np.float32)
    for i, image in enumerate(images):
        if not isinstance(image, Image.Image):
            raise StimulusError(f"stimulus {i}: expected a PIL image, got {type(image).__name__}")
        analysis = PixelAnalysis(image)
        for j, name in enumerate(concepts):
            out[i, j] = analysis.concept_map(name)
    return out
