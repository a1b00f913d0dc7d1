"""Scene specs: what a generated image shows, stored in its PNG so it can be read back."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, PngImagePlugin

from models.errors import ModelsError, StimulusError
from models.stimuli.images.vocabulary import COLOUR_NAMES, COLOURS, OBJECT_FILLS, PATTERNS, SHAPES


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
