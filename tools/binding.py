"""Must two properties be on one object, or only somewhere in the same image?

A 2x2 design ("red" x "circle": both present, each alone, neither) says a unit needs both
properties, or is switched off by one, but not where: "fires on red circles" and "fires on
circles in images that also hold something red" pass the same design, since the design's
"both" scenes put them on one object. This experiment draws scenes that hold both properties
on different objects:

- together: one object has both (a red circle), no other object has either;
- apart: one object has the first but not the second (a red square), another the second but
  not the first (a blue circle);
- alone: one object has the first, nothing has the second (for an exclusion);
- neither: no object has either.

For a conjunction ("and"), a unit that reads one object fires on "together" and not on
"apart"; one that reads the scene fires on both. For an exclusion ("A unless B"), a unit that
excepts the object fires on "apart" as on "alone" (the B elsewhere does not matter); one that
reads the scene is silenced by it. Each cell's standardised effect is its mean less the
"neither" mean over the standard deviation of all the scenes; a cell "matches" another when
its effect is at least half of it. Colours, shapes and positions only: a background pattern
or an object count belongs to the whole scene, where the two readings are one.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, Field

from models.recording import activations, resolve_unit
from tools.context import ToolContext, ToolError
from tools.dissociation import DRIVES
from tools.observation import Observation
from tools.registry import tool
from tools.results import ToolResult

#: A cell matches another when its effect is at least this share of the other's.
MATCHES = 0.5
#: Fresh-stimulus seeds of this tool start here.
SEED_BASE = 9300
OPPOSITE = {"left": "right", "right": "left", "top": "bottom", "bottom": "top"}


def property_kind(concept: str) -> str | None:
    """"colour", "shape" or "position" for a property one object has, else None."""
    from models.stimuli.images.vocabulary import GENERATOR_VOCABULARY

    return next((k for k in ("colour", "shape", "position")
                 if concept in GENERATOR_VOCABULARY[k]), None)


def bindable(a: str, b: str) -> bool:
    """Whether one object can have both and each without the other (a colour and a shape, a
    shape and a side of the image, ...)."""
    ka, kb = property_kind(a), property_kind(b)
    return ka is not None and kb is not None and ka != kb


class BindingCell(BaseModel):
    n: int
    mean: float
    effect: float | None  # standardised, against "neither"


class Binding(ToolResult):
    """`binding`: whether a composition's two properties must be on one object."""

    unit: str
    a: str
    b: str
    composition: str  # "and" or "and_not"
    n: int
    cells: dict[str, BindingCell]  # together, apart, alone, neither
    # "object": on one object (bound); "scene": anywhere in the image; "neither": the cells
    # the verdict needs do not drive the unit
    verdict: str

    def headline(self) -> str:
        if self.composition == "and":
            return {"object": f"{self.a!r} and {self.b!r} drive the unit only on one object: "
                              "on different objects of one image they do not.",
                    "scene": f"{self.a!r} and {self.b!r} drive the unit on different objects "
                             "of one image too: the scene, not one object, must hold both.",
                    "neither": "Not even one object with both drives the unit."}[self.verdict]
        return {"object": f"{self.b!r} switches off only the objects that have it: {self.a!r} "
                          f"on another object still drives the unit.",
                "scene": f"{self.b!r} anywhere in the image switches the unit off, on other "
                         "objects too.",
                "neither": f"{self.a!r} without {self.b!r} does not drive the unit."}[self.verdict]


def _other(kind: str, value: str, rng: np.random.Generator) -> str:
    from models.stimuli.images.vocabulary import GENERATOR_VOCABULARY

    if kind == "position":
        return OPPOSITE[value]
    return str(rng.choice([v for v in GENERATOR_VOCABULARY[kind] if v != value]))


def scenes(a: str, b: str, n: int, seed: int) -> dict[str, list[Any]]:
    """n scene specs per cell (together, apart, alone, neither)."""
    from models.stimuli.images.compose import scene_with

    rng = np.random.default_rng(SEED_BASE + seed)
    ka, kb = property_kind(a), property_kind(b)
    cells: dict[str, list[Any]] = {k: [] for k in ("together", "apart", "alone", "neither")}
    for _ in range(n):
        cells["together"].append(scene_with([a, b], [], rng, others_exclude=[a, b]))
        # scene_with binds the first colour, shape and position it is given to one object and
        # the second ones to another: (a, not b) and (not a, b)
        not_a, not_b = _other(ka, a, rng), _other(kb, b, rng)  # type: ignore[arg-type]
        # (a filler object may share a side of the image with the second object, never its
        # colour or shape)
        cells["apart"].append(scene_with([a, not_b, not_a, b], [], rng, others_exclude=[
            c for c in (a, b) if property_kind(c) != "position"]))
        cells["alone"].append(scene_with([a, not_b], [b], rng))
        cells["neither"].append(scene_with([], [a, b], rng))
    return cells


def _verdict(composition: str, cells: dict[str, BindingCell]) -> str:
    together, apart, alone = (cells[k].effect for k in ("together", "apart", "alone"))
    if composition == "and":
        if together is None or apart is None or together < DRIVES:
            return "neither"
        return "scene" if apart >= MATCHES * together else "object"
    if alone is None or apart is None or alone < DRIVES:
        return "neither"
    return "object" if apart >= MATCHES * alone else "scene"


@tool("vision", result=Binding)
def binding(ctx: ToolContext, unit: str, a: str, b: str, composition: str = "and",
            n: Annotated[int, Field(ge=8, le=200)] = 32, seed: int = 0) -> Observation:
    """Whether two properties must be on one object or only in the same image: n generated
    scenes each with both on one object, on two different objects, the first alone, and
    neither. For a composition "and" (both needed) or "and_not" (a, unless b).

    Args:
        unit: the unit address '<model>:<layer>:<index>' of a vision unit.
        a: a colour, shape or position of the vocabulary ('red', 'circle', 'left').
        b: a property of another kind than a.
        composition: "and" or "and_not".
        n: scenes per cell.
        seed: change it for another fresh batch.
    """
    from models.stimuli.images.render import render

    if composition not in ("and", "and_not"):
        raise ToolError(f"composition: 'and' or 'and_not', got {composition!r}")
    if not bindable(a, b):
        raise ToolError(f"a, b: a colour, a shape or a position each, of two different kinds "
                        f"(e.g. 'red' and 'circle'); got {a!r} and {b!r}")
    address, _, _ = resolve_unit(unit)
    specs = scenes(a, b, n, seed)
    order = list(specs)
    images = [render(s) for k in order for s in specs[k]]
    values = np.asarray(activations(str(address), images).values, dtype=float)
    spread = float(values.std()) or 1.0
    means = {k: float(values[i * n:(i + 1) * n].mean()) for i, k in enumerate(order)}
    cells = {k: BindingCell(n=n, mean=round(means[k], 5),
                            effect=round((means[k] - means["neither"]) / spread, 3))
             for k in order}
    result = Binding(unit=str(address), a=a, b=b, composition=composition, n=n, cells=cells,
                     verdict=_verdict(composition, cells))
    lines = [result.headline()] + [f"  {k}: mean {c.mean}, effect {c.effect}"
                                   for k, c in cells.items()]
    return Observation("binding", "\n".join(lines), result=result)


def binding_row(result: dict[str, Any]) -> str:
    """One line for a transcript note."""
    cells = result["cells"]
    return ", ".join(f"{k} {cells[k]['effect']}" for k in ("together", "apart", "alone")) + (
        f" (standardised, fresh scenes): {result['verdict']}")
