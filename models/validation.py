"""Validation errors in words: what was wrong with each field and what would be valid."""

from __future__ import annotations

from pydantic import ValidationError


def explain(error: ValidationError, limit: int = 4) -> str:
    """A pydantic ValidationError as one readable line: `field: problem (got value); ...`."""
    parts = []
    for item in error.errors()[:limit]:
        where = ".".join(str(p) for p in item["loc"]) or "input"
        message = item["msg"]
        given = item.get("input")
        if isinstance(given, str | int | float | bool) and not isinstance(given, dict):
            shown = repr(given) if len(repr(given)) <= 40 else repr(given)[:37] + "...'"
            message += f" (got {shown})"
        parts.append(f"{where}: {message}")
    more = len(error.errors()) - limit
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")
