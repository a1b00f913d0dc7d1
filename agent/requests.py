"""What a run is asked to do, validated in one typed layer: the CLI, the app and the benchmark
all build a RunSpec, so every flag and field gets the same checks and the same clear errors.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from models.validation import explain

#: The longest question accepted (a paragraph; transcripts and checkpoints store it often).
MAX_QUESTION_CHARS = 2000
MAX_SUBJECT_CHARS = 300


class RequestError(ValueError):
    """A run request that cannot be served as asked; the message says what is valid."""


def _printable(value: str, what: str) -> str:
    if any(ord(c) < 32 and c not in "\t\n\r" for c in value):
        raise ValueError(f"{what} must not contain control characters")
    return value


class Budgets(BaseModel):
    """Limits on one run; when one runs out the agent concludes with what it has."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_rounds: int = Field(6, ge=1, le=50, strict=True)
    max_tool_calls: int = Field(40, ge=1, le=500, strict=True)
    max_seconds: float = Field(900.0, gt=0, le=86400, allow_inf_nan=False)

    def recursion_limit(self) -> int:
        """LangGraph steps a run can take: five nodes a round, plus start and conclusion."""
        return 5 * self.max_rounds + 10


class RunSpec(BaseModel):
    """What to ask, about what, with which policy and budgets."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    subject: str = Field(min_length=1, max_length=MAX_SUBJECT_CHARS)
    policy: str = "systematic"
    policy_options: dict[str, Any] = Field(default_factory=dict)
    budgets: Budgets = Field(default_factory=Budgets)
    corpus: str = Field("default", min_length=1, max_length=500)

    @field_validator("question", "subject", "corpus", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        return _printable(value, "the question")

    @field_validator("subject")
    @classmethod
    def _subject(cls, value: str) -> str:
        return _printable(value, "the subject")

    @field_validator("policy")
    @classmethod
    def _policy(cls, value: str) -> str:
        from agent.policies import policy_names

        known = policy_names(reported_only=False)
        if value not in known:
            raise ValueError(f"unknown policy; valid: {', '.join(policy_names())}")
        return value

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunSpec:
        """The spec stored in a run's config (which holds more than the spec)."""
        return cls.model_validate({k: v for k, v in data.items() if k in cls.model_fields})


def run_spec(**fields: Any) -> RunSpec:
    """A RunSpec from loose fields (CLI flags, form fields); a RequestError when invalid."""
    budgets = {k: fields.pop(k) for k in ("max_rounds", "max_tool_calls", "max_seconds")
               if k in fields and fields[k] is not None}
    try:
        if budgets:
            fields["budgets"] = Budgets(**budgets)
        return RunSpec(**fields)
    except ValidationError as error:
        raise RequestError(explain(error)) from None
