"""Is a composed description needed, or does one of its parts drive the unit on its own?

The evidence tools find a part ("words for relatives", "circles") and a property ("of 11
letters or more", "near the centre of the image") that most top exemplars share, and the open
pool composes them ("words for relatives of 11 letters or more"). On the exemplar split the
composition and either part often fit alike: the random sample holds too few long words that
are no relatives, or relatives that are short, to tell them apart. This experiment draws
fresh procedural stimuli (a seed the exemplar cache never used) and sorts them by where the
two meet:

- both: a word (an object) that is the part and has the property;
- part only: the part without the property anywhere in the stimulus;
- property only: the property without the part anywhere;
- apart: both, but on different words (objects); reported, not read.

Each cell's mean, less the mean of stimuli with neither, over the batch's standard deviation,
is its standardised effect. When neither half drives the unit alone but both together do, the
composition is needed; when one half drives it alone with at least MATCHES (60%) of the
effect of both, the composition was a special case of that half; a half that drives it
alone, but with less, rules nothing out ("stronger together"). Properties of a whole scene (its object count, shared
colours) have no object to bind to: for them "both" means in the same scene.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, Field

from models.recording import activations, resolve_unit
from tools.context import ToolContext, ToolError
from tools.dissociation import DRIVES, MIN_CELL, property_test
from tools.observation import Observation
from tools.registry import tool
from tools.results import ToolResult

#: Fresh-stimulus seeds of this tool start here (dissociate uses SEED_BASE + its seed).
SEED_OFFSET = 50
#: Shapes the generated scenes draw.
SHAPES = ("circle", "square", "triangle", "star", "hexagon", "cross", "ring", "oval",
          "rectangle")
#: A part alone "matches" the composition when its effect is at least this share of the
#: composition's (the part explains the unit without the property).
MATCHES = 0.6


class Cell(BaseModel):
    n: int
    mean: float | None
    effect: float | None  # standardised, against the "neither" cell


class Conjunction(ToolResult):
    """`conjunction`: the unit where a part and a property meet, and where they do not."""

    unit: str
    part: str
    property: str
    n: int
    bound: bool  # the property belongs to one word or object (False: to the whole scene)
    cells: dict[str, Cell]  # both, part_only, property_only, apart, neither
    # "conjunction", "part", "property", "either", "stronger together", "neither", "too few"
    verdict: str

    def headline(self) -> str:
        where = "on the same word or object" if self.bound else "in the same stimulus"
        return {
            "conjunction": f"Only {self.part!r} and {self.property!r} together ({where}) drive "
                           "the unit; neither alone does: the composition is needed.",
            "part": f"{self.part!r} drives the unit without {self.property!r}: the "
                    "composition is a special case of the part.",
            "property": f"{self.property!r} drives the unit without {self.part!r}: the "
                        "composition is a special case of the property.",
            "either": "Each drives the unit without the other.",
            "stronger together": "A half drives the unit alone, but far less than both "
                                 "together: neither the composition nor a half is ruled out.",
            "neither": "Not even both together drive the unit on fresh stimuli.",
            "too few": "Too few fresh stimuli fall in a cell to tell.",
        }[self.verdict]


def _verdict(cells: dict[str, Cell]) -> str:
    both, part, prop = (cells[k].effect for k in ("both", "part_only", "property_only"))
    if both is None or part is None or prop is None:
        return "too few"
    if both < DRIVES and part < DRIVES and prop < DRIVES:
        return "neither"
    part_drives = part >= DRIVES and part >= MATCHES * both
    prop_drives = prop >= DRIVES and prop >= MATCHES * both
    if part_drives and prop_drives:
        return "either"
    if part_drives:
        return "part"
    if prop_drives:
        return "property"
    if part >= DRIVES or prop >= DRIVES:
        return "stronger together"  # a half drives it alone, far less than both do
    return "conjunction"  # together they drive it; neither alone does


def _text_flags(part: str, prop: str, stimuli: list[str], tokens: list[list[str]]
                ) -> tuple[list[tuple[bool, bool, bool]], bool]:
    """Per text (any word both, any word the part, any word the property), and True."""
    from tools.dissociation import named_property
    from tools.text_evidence import surface_features, whole_word
    from tools.wordnet import in_category, reader

    if reader() is None:
        raise ToolError("WordNet is not installed (python -m models.natural install)")
    features, shape = named_property(prop, "text")
    if not features and shape is None:
        raise ToolError(f"property: {prop!r} names no word shape or surface feature the "
                        "reader tests (e.g. 'of 11 letters or more', \"ending in '-ed'\")")
    flags = []
    for words in tokens:
        both = has_part = has_prop = False
        for i in range(len(words)):
            word = whole_word(words, i)
            if not re.fullmatch(r"[A-Za-z]+", word or ""):
                continue
            a = in_category(word, part)
            b = bool(features & set(surface_features(words, i))) or bool(
                shape is not None and shape(word))
            both, has_part, has_prop = both or (a and b), has_part or a, has_prop or b
        flags.append((both, has_part, has_prop))
    return flags, True


def _image_flags(part: str, prop: str, stimuli: list) -> tuple[list[tuple[bool, bool, bool]],
                                                               bool]:
    """Per image (an object both, an object of the shape, the property), and whether the
    property is an object's (bound) rather than the scene's."""
    from models.stimuli.images import read_spec
    from tools.description_fit import named_features
    from tools.vision_evidence import object_features, scene_wide, size_cuts

    wanted = named_features(prop, "vision")
    if not wanted:
        raise ToolError(f"property: {prop!r} names no scene layout the reader tests (e.g. "
                        "'near the centre of the image', 'large objects')")
    cuts = size_cuts(stimuli)
    flags, bound = [], True
    for image in stimuli:
        spec = read_spec(image)
        if spec is None:
            flags.append((False, False, False))
            continue
        scene = set(scene_wide(spec))
        per_object = [set(f) | scene for f in object_features(spec, large=cuts[1],
                                                               small=cuts[0])]
        bound = bound and not (wanted & scene)
        shapes = [o.shape == part for o in spec.objects]
        flags.append((any(s and bool(wanted & f) for s, f in zip(shapes, per_object,
                                                                  strict=True)),
                      any(shapes), any(bool(wanted & f) for f in per_object)))
    return flags, bound


@tool("vision", result=Conjunction)
@tool("text", result=Conjunction)
def conjunction(ctx: ToolContext, unit: str, part: str, property: str,
                n: Annotated[int, Field(ge=80, le=2000)] = 320, seed: int = 0) -> Observation:
    """Whether a composition of a part and a property is needed, or one of them drives the
    unit on its own: n fresh procedural stimuli sorted by whether the part and the property
    meet on one word (object), occur without each other, or not at all.

    Args:
        unit: the unit address '<model>:<layer>:<index>'.
        part: texts: a WordNet category as `token_evidence` names it ('relative.n.01', or
            'lex:food' for a class); images: a shape ('circle', 'square', ...).
        property: a word shape, surface feature or scene layout in the reader's words
            ('of 11 letters or more', "ending in '-ed'", 'near the centre of the image').
        n: fresh stimuli to draw.
        seed: change it for another fresh batch.
    """
    from tools.dissociation import fresh_stimuli

    address, model, _ = resolve_unit(unit)
    modality = model.modality
    if modality == "vision" and part not in SHAPES:
        raise ToolError(f"part: a shape the generator draws, one of {', '.join(SHAPES)}")
    if modality == "text" and not re.fullmatch(r"lex:[a-z_.]+|[a-z_.'-]+\.n\.\d\d", part):
        raise ToolError("part: a WordNet category id as token_evidence gives it "
                        "('relative.n.01' or 'lex:food')")
    stimuli = fresh_stimuli(modality, n, SEED_OFFSET + seed)
    recorded = activations(str(address), stimuli)
    if modality == "text":
        if property_test(property, modality, stimuli, recorded.tokens) is None:
            raise ToolError(f"property: {property!r} names nothing the reader tests")
        flags, bound = _text_flags(part, property, stimuli, recorded.tokens)
    else:
        flags, bound = _image_flags(part, property, stimuli)
    values = np.asarray(recorded.values, dtype=float)
    masks = {"both": [b for b, _, _ in flags],
             "part_only": [a and not p for b, a, p in flags],
             "property_only": [p and not a for b, a, p in flags],
             "apart": [a and p and not b for b, a, p in flags],
             "neither": [not a and not p for b, a, p in flags]}
    spread = float(values.std()) or 1.0
    means = {k: float(values[np.array(m, dtype=bool)].mean()) if sum(m) else None
             for k, m in masks.items()}
    base = means["neither"] if sum(masks["neither"]) >= MIN_CELL else None
    cells = {k: Cell(n=int(sum(m)), mean=None if means[k] is None else round(means[k], 5),
                     effect=None if base is None or means[k] is None or sum(m) < MIN_CELL
                     else round((means[k] - base) / spread, 3))
             for k, m in masks.items()}
    result = Conjunction(unit=str(address), part=part, property=property, n=n, bound=bound,
                         cells=cells, verdict=_verdict(cells))
    lines = [result.headline()] + [
        f"  {name}: n={cell.n}, mean {'-' if cell.mean is None else cell.mean}, effect "
        f"{'-' if cell.effect is None else cell.effect}" for name, cell in cells.items()]
    return Observation("conjunction", "\n".join(lines), result=result)


def conjunction_row(result: dict[str, Any]) -> str:
    """One line for a transcript note."""
    cells = result["cells"]
    return ", ".join(f"{k.replace('_', ' ')} {cells[k]['effect']} (n={cells[k]['n']})"
                     for k in ("both", "part_only", "property_only")) + (
        f" (standardised, fresh stimuli): {result['verdict']}")
