"""What image backends return, and the interfaces they implement."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from PIL import Image


@dataclass
class Generated:
    """One generated image and the prompt words the backend could not render."""

    image: Image.Image
    unrendered: list[str] = field(default_factory=list)


@dataclass
class Edited:
    """One edit's result: the image, or why the edit could not be applied."""

    image: Image.Image | None
    applied: str = ""
    error: str | None = None


class Text2Image(Protocol):
    """Anything that turns a prompt into an image."""

    name: str

    def generate(self, prompt: str, size: int, seed: int) -> Generated: ...


class Editor(Protocol):
    """Anything that edits an image by an instruction."""

    name: str

    def edit(self, image: Image.Image, instruction: str, seed: int) -> Edited: ...
