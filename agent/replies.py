"""What an LLM backbone's replies must say, as pydantic models, and how they are read.

A reply is free text that should hold one JSON value; `extract_json` finds it (a fenced block,
the whole text, or a JSON value embedded in prose), and the models below validate and coerce
it: unknown statuses fall back, confidences are clipped to [0, 1], bare strings become
statements. A reply that cannot be read raises ValueError with what was wrong.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from agent.state import FinalAnswer

STATUSES = ("open", "supported", "refuted")


def extract_json(text: str) -> Any:
    """The first JSON object or list in a reply: a ```json block, the whole text, or embedded.

    Returns None when the text holds no JSON value.
    """
    if not text:
        return None
    candidates = re.findall(r"```(?:json)?\s*(.*?)```", text, re.S) + [text]
    for candidate in candidates:
        try:
            value = json.loads(candidate.strip())
            if isinstance(value, dict | list):
                return value
        except json.JSONDecodeError:
            pass
    decoder = json.JSONDecoder()
    for match in re.finditer(r"[{\[]", text):
        try:
            value, _ = decoder.raw_decode(text[match.start():])
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict | list):
            return value
    return None


def unit_interval(value: Any, default: float) -> float:
    """A number clipped to [0, 1]; `default` when it is not a number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    if number != number:  # NaN
        return default
    return min(max(number, 0.0), 1.0)


def _text(limit: int) -> BeforeValidator:
    """Whitespace-collapsed text cut to `limit` characters (None and numbers become text)."""
    return BeforeValidator(lambda v: " ".join(str("" if v is None else v).split())[:limit])


def _required(value: str) -> str:
    if not value:
        raise ValueError("must not be empty")
    return value


Text = Annotated[str, _text(300)]
RequiredText = Annotated[str, _text(2000), AfterValidator(_required)]
Confidence = Annotated[float, BeforeValidator(lambda v: unit_interval(v, 0.5))]
NoConfidence = Annotated[float, BeforeValidator(lambda v: unit_interval(v, 0.0))]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ProposedHypothesis(_Lenient):
    """One hypothesis in a HYPOTHESIZE reply."""

    id: Text = ""
    statement: Annotated[str, _text(300), AfterValidator(_required)]
    confidence: Confidence = 0.5


class HypothesesReply(_Lenient):
    """A HYPOTHESIZE reply: `{"hypotheses": [...]}` (a bare list or strings are accepted)."""

    hypotheses: list[ProposedHypothesis] = Field(default_factory=list)


class HypothesisUpdate(_Lenient):
    """One update in a REVISE reply; an unknown status keeps the old one (None), as does a
    confidence that is not a number."""

    id: Text
    status: Annotated[str | None, BeforeValidator(
        lambda v: str(v or "").strip().lower() if str(v or "").strip().lower() in STATUSES
        else None)] = None
    confidence: Annotated[float | None, BeforeValidator(
        lambda v: None if unit_interval(v, -1.0) < 0 else unit_interval(v, 0.0))] = None
    statement: Annotated[str | None, BeforeValidator(
        lambda v: " ".join(str(v or "").split())[:300] or None)] = None


class RevisionReply(_Lenient):
    """A REVISE reply: `{"updates": [...], "conclude": bool}`."""

    updates: list[HypothesisUpdate] = Field(default_factory=list)
    conclude: bool = False


class EvidenceItem(_Lenient):
    """One piece of evidence a conclusion cites."""

    experiment: Text = ""
    finding: Annotated[str, _text(2000)] = ""
    numbers: Annotated[dict[str, Any], BeforeValidator(
        lambda v: v if isinstance(v, dict) else {})] = Field(default_factory=dict)


class FinalReply(_Lenient):
    """A CONCLUDE reply: `{"final": {...}}` or the answer object itself."""

    description: RequiredText
    label: RequiredText
    confidence: NoConfidence = 0.0
    evidence: Annotated[list[EvidenceItem], BeforeValidator(
        lambda v: [i if isinstance(i, dict) else {"finding": str(i)}
                   for i in (v if isinstance(v, list) else ([v] if v else []))])] = Field(
        default_factory=list)


def _readable(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'reply'}: {e['msg']}"
                     for e in error.errors()[:3])


def read_hypotheses(text: str) -> list[ProposedHypothesis]:
    """The hypotheses of a HYPOTHESIZE reply; items that cannot be read are skipped."""
    value = extract_json(text)
    items = value.get("hypotheses", []) if isinstance(value, dict) else value
    out = []
    for item in items if isinstance(items, list) else []:
        try:
            out.append(ProposedHypothesis.model_validate(
                {"statement": item} if isinstance(item, str) else item))
        except ValidationError:
            continue
    return out


def read_revision(text: str) -> RevisionReply | None:
    """The updates of a REVISE reply (bad items skipped), or None when there is no JSON."""
    value = extract_json(text)
    if isinstance(value, list):
        value = {"updates": value}
    if not isinstance(value, dict):
        return None
    items = value.get("updates", value.get("hypotheses", []))
    updates = []
    for item in items if isinstance(items, list) else []:
        try:
            updates.append(HypothesisUpdate.model_validate(item))
        except ValidationError:
            continue
    return RevisionReply(updates=updates, conclude=bool(value.get("conclude")))


def read_final(text: str) -> FinalReply:
    """The answer of a CONCLUDE reply.

    Raises:
        ValueError: no JSON object, or one without a description and a label.
    """
    value = extract_json(text)
    if isinstance(value, dict) and isinstance(value.get("final"), dict):
        value = value["final"]
    if not isinstance(value, dict):
        raise ValueError("no JSON object in the reply")
    try:
        return FinalReply.model_validate(value)
    except ValidationError as error:
        raise ValueError(_readable(error)) from None


def validate_final(final: dict[str, Any]) -> FinalAnswer:
    """Coerce a policy's conclusion into the fixed shape (a clear ValueError if it cannot be)."""
    parsed = read_final(json.dumps(final, default=str))
    return FinalAnswer(
        description=parsed.description, label=parsed.label[:80],
        confidence=parsed.confidence,
        evidence=[e.model_dump() for e in parsed.evidence],
        hypotheses=list(final.get("hypotheses") or []),
        stop_reason=str(final.get("stop_reason") or ""),
        question=str(final.get("question") or ""), subject=str(final.get("subject") or ""))
