"""What a benchmark command is asked to do, validated in one typed layer (clear errors)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from models.validation import explain


class BenchRequest(BaseModel):
    """`bench run`: a policy over (the first `limit` units of) a suite."""

    model_config = ConfigDict(extra="forbid")

    suite: str = Field(min_length=1)
    policy: str = "systematic"
    policy_options: dict[str, Any] = Field(default_factory=dict)
    limit: int | None = Field(None, ge=1, strict=True)
    workers: int = Field(1, ge=1, le=32, strict=True)

    @field_validator("policy_options", mode="before")
    @classmethod
    def _options(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else {}
            except json.JSONDecodeError as error:
                raise ValueError(f"not valid JSON ({error.msg})") from None
            if not isinstance(value, dict):
                raise ValueError("must be a JSON object, e.g. '{\"n\": 8}'")
        return value or {}

    @field_validator("policy")
    @classmethod
    def _policy(cls, value: str) -> str:
        from agent.policies import policy_names

        if value not in policy_names(reported_only=False):
            raise ValueError(f"unknown policy; valid: {', '.join(policy_names())}")
        return value


def bench_request(**fields: Any) -> BenchRequest:
    """A BenchRequest from CLI flags; ValueError with what is valid."""
    try:
        return BenchRequest(**fields)
    except ValidationError as error:
        raise ValueError(explain(error)) from None


def check_workers(workers: int) -> int:
    """Worker count for `bench score`: 1..32."""
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= 32:
        raise ValueError(f"workers must be a whole number from 1 to 32, got {workers!r}")
    return workers
