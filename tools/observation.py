"""The Observation every tool returns: a short summary, PNG artifacts by path, structured data."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Artifact:
    """A PNG a tool saved once; referenced by path.

    Attributes:
        path: the PNG file.
        kind: "image" (a stimulus the agent can reuse by `image_id`) or "plot".
        title: a caption for people ("exemplar 3, act 4.21", "activations by image").
        image_id: for stimuli: the id tools accept in place of the image.
    """

    path: str
    kind: str
    title: str
    image_id: str | None = None


@dataclass
class Observation:
    """What a tool call returns to the agent, the UI and the transcript alike.

    A failed call is an Observation with `error` set and a summary saying what would be valid;
    it is never an exception into the caller.
    """

    tool: str
    summary: str
    artifacts: list[Artifact] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Observation:
        artifacts = [Artifact(**a) for a in data.get("artifacts", [])]
        return cls(tool=data["tool"], summary=data["summary"], artifacts=artifacts,
                   data=data.get("data", {}), error=data.get("error"),
                   duration_s=data.get("duration_s", 0.0))

    @classmethod
    def failure(cls, tool: str, message: str, duration_s: float = 0.0) -> Observation:
        return cls(tool=tool, summary=f"error: {message}", error=message, duration_s=duration_s)
