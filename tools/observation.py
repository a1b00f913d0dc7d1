"""The Observation every tool returns: a short summary, PNG artifacts by path, a typed result."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from tools.results import ToolResult


@dataclass
class Artifact:
    """A PNG a tool saved once; referenced by path.

    Attributes:
        path: the PNG file.
        kind: "image" (a stimulus the agent can reuse by `image_id`) or "plot".
        title: a caption for people ("exemplar 3, act 4.21", "activations by image").
        image_id: for stimuli: the id tools accept in place of the image.
        sha256: the file's SHA-256 when the observation was made (a replay can check it).
    """

    path: str
    kind: str
    title: str
    image_id: str | None = None
    sha256: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Observation:
    """What a tool call returns to the agent, the UI and the transcript alike.

    A failed call is an Observation with `error` set and a summary saying what would be valid;
    it is never an exception into the caller.

    Attributes:
        tool: the tool's name.
        summary: a short text for the agent and people.
        artifacts: PNGs saved by the call.
        result: the typed result (None on failure); `data` is its JSON.
        error: what went wrong, when something did.
        duration_s: wall time of the call.
    """

    tool: str
    summary: str
    artifacts: list[Artifact] = field(default_factory=list)
    result: ToolResult | None = None
    error: str | None = None
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def data(self) -> dict[str, Any]:
        """The result as JSON (what the transcript stores); empty on failure."""
        return self.result.to_json() if self.result is not None else {}

    def to_json(self) -> dict[str, Any]:
        return {"tool": self.tool, "summary": self.summary,
                "artifacts": [a.to_json() for a in self.artifacts], "data": self.data,
                "error": self.error, "duration_s": self.duration_s}

    @classmethod
    def failure(cls, tool: str, message: str, duration_s: float = 0.0) -> Observation:
        return cls(tool=tool, summary=f"error: {message}", error=message, duration_s=duration_s)
