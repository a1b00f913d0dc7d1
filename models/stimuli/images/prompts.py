"""Reading a prompt's words into a scene spec (the offline text-to-image backend)."""

from __future__ import annotations

import numpy as np

from models.stimuli.images.compose import contrasts, place, place_text
from models.stimuli.images.spec import BackgroundSpec, ObjectSpec, SceneSpec, TextSpec
from models.stimuli.images.vocabulary import (
    COLOUR_NAMES,
    COLOURS,
    PATTERNS,
    POSITIONS,
    SHAPES,
    STOP_WORDS,
    STRIPE_DIRECTIONS,
    SYNONYMS,
)


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
        if token in STRIPE_DIRECTIONS:
            direction = STRIPE_DIRECTIONS[token]
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
    free = [c for c in COLOUR_NAMES if contrasts(c, background)]
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
            spot = spot or place(rng, obj.size, placed, set(), position)
            if spot is not None:
                break
        obj.x, obj.y = spot if spot else (0.5, 0.5)
        placed.append((obj.x, obj.y, obj.size))
    texts = []
    if has_text:
        colour = "black" if "black" in free else (free[0] if free else "black")
        text = place_text(rng, colour, placed)
        texts.append(text or TextSpec(text="text", colour=colour, x=0.5, y=0.85))
    return SceneSpec(background=background, objects=objects, texts=texts)
