"""The tool registry: each tool a typed function whose signature and docstring are its spec.

The JSON schema an LLM backbone sees is generated from the signature (types, defaults,
`Annotated[..., Range(lo, hi)]` bounds) and the Google-style docstring (summary and Args), so
the two never drift apart. `call_tool` validates arguments against that schema and turns every
failure into an error Observation.
"""

from __future__ import annotations

import inspect
import re
import time
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args, get_origin

import jsonschema

from models.errors import ModelsError
from tools.context import ToolContext, ToolError
from tools.observation import Observation

MODALITIES = ("vision", "text")


@dataclass(frozen=True)
class Range:
    """Bounds for a numeric parameter (or for a list's length), shown in the schema."""

    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class ToolSpec:
    """A registered tool."""

    name: str
    modality: str
    fn: Callable[..., Observation]
    description: str
    parameters: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "modality": self.modality, "description": self.description,
                "parameters": self.parameters}

    def openai_schema(self) -> dict[str, Any]:
        """The tool in the OpenAI chat-completions `tools` format."""
        return {"type": "function", "function": {"name": self.name,
                                                 "description": self.description,
                                                 "parameters": self.parameters}}


_TOOLS: dict[tuple[str, str], ToolSpec] = {}


def _parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """Summary (text before Args/Returns) and per-argument descriptions of a Google docstring."""
    doc = inspect.cleandoc(doc or "")
    sections = re.split(r"\n(?=(?:Args|Returns|Raises|Examples?):\s*\n)", doc)
    summary = " ".join(sections[0].split())
    arguments: dict[str, str] = {}
    for section in sections[1:]:
        if not section.startswith("Args:"):
            continue
        current = None
        for line in section.splitlines()[1:]:
            match = re.match(r"^\s{2,4}(\w+)(?:\s*\([^)]*\))?:\s*(.*)$", line)
            if match:
                current = match.group(1)
                arguments[current] = match.group(2).strip()
            elif current and line.strip():
                arguments[current] += " " + line.strip()
    return summary, arguments


def _schema_for(annotation: Any) -> dict[str, Any]:
    """JSON schema of a Python annotation (the subset tools use)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *extras = get_args(annotation)
        schema = _schema_for(base)
        for extra in extras:
            if isinstance(extra, Range):
                if schema.get("type") == "array":
                    if extra.low is not None:
                        schema["minItems"] = int(extra.low)
                    if extra.high is not None:
                        schema["maxItems"] = int(extra.high)
                else:
                    if extra.low is not None:
                        schema["minimum"] = extra.low
                    if extra.high is not None:
                        schema["maximum"] = extra.high
        return schema
    if origin is Literal:
        values = list(get_args(annotation))
        return {"type": "string" if isinstance(values[0], str) else "integer", "enum": values}
    if origin in (typing.Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        if len(options) == 1:
            return _schema_for(options[0])
        return {"anyOf": [_schema_for(a) for a in options]}
    if origin in (list, tuple):
        args = get_args(annotation)
        return {"type": "array", "items": _schema_for(args[0]) if args else {}}
    if origin is dict or annotation is dict:
        return {"type": "object"}
    return {str: {"type": "string"}, int: {"type": "integer"}, float: {"type": "number"},
            bool: {"type": "boolean"}}.get(annotation, {})


def _parameters(fn: Callable, descriptions: dict[str, str]) -> dict[str, Any]:
    hints = typing.get_type_hints(fn, include_extras=True)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, parameter in inspect.signature(fn).parameters.items():
        if name == "ctx":
            continue
        schema = _schema_for(hints.get(name, str))
        if name in descriptions:
            schema["description"] = descriptions[name]
        if parameter.default is inspect.Parameter.empty:
            required.append(name)
        elif parameter.default is not None:
            schema["default"] = parameter.default
        properties[name] = schema
    return {"type": "object", "properties": properties, "required": required,
            "additionalProperties": False}


def tool(modality: str, name: str | None = None) -> Callable[[Callable], Callable]:
    """Register a function `fn(ctx, ...) -> Observation` as a tool of one modality."""
    if modality not in MODALITIES:
        raise ValueError(f"modality must be one of {MODALITIES}")

    def register(fn: Callable) -> Callable:
        summary, arguments = _parse_docstring(fn.__doc__ or "")
        if not summary:
            raise ValueError(f"tool {fn.__name__} needs a docstring: it is the tool's spec")
        spec = ToolSpec(name or fn.__name__, modality, fn, summary, _parameters(fn, arguments))
        _TOOLS[(spec.modality, spec.name)] = spec
        return fn

    return register


def _load_all() -> None:
    import tools.causal  # noqa: F401  (registers the causal text tools)
    import tools.contrast  # noqa: F401  (registers the concept-contrast tools)
    import tools.text  # noqa: F401  (registers the text tools)
    import tools.text_stimuli  # noqa: F401  (registers text generation and editing)
    import tools.vision  # noqa: F401  (registers the vision tools)


def list_tools(modality: str | None = None) -> list[ToolSpec]:
    """Every registered tool, optionally of one modality."""
    _load_all()
    return [spec for spec in _TOOLS.values() if modality in (None, spec.modality)]


def get_tool(name: str, modality: str) -> ToolSpec:
    _load_all()
    try:
        return _TOOLS[(modality, name)]
    except KeyError:
        valid = sorted(n for m, n in _TOOLS if m == modality)
        raise ToolError(f"no {modality} tool {name!r}; valid: {', '.join(valid)}") from None


def _describe_schema_error(spec: ToolSpec, error: jsonschema.ValidationError) -> str:
    where = ".".join(str(p) for p in error.absolute_path) or "arguments"
    expected = ", ".join(
        f"{k}" + ("" if k in spec.parameters["required"] else "?")
        for k in spec.parameters["properties"])
    return f"bad arguments for {spec.name} ({where}: {error.message}); expected ({expected})"


def call_tool(name: str, modality: str, arguments: Any, ctx: ToolContext) -> Observation:
    """Validate and run a tool; every failure comes back as an error Observation."""
    start = time.perf_counter()
    try:
        spec = get_tool(name, modality)
        if not isinstance(arguments, dict):
            raise ToolError(f"arguments for {name} must be a JSON object, "
                            f"got {type(arguments).__name__}")
        try:
            jsonschema.validate(arguments, spec.parameters)
        except jsonschema.ValidationError as error:
            raise ToolError(_describe_schema_error(spec, error)) from None
        observation = spec.fn(ctx, **arguments)
    except (ToolError, ModelsError) as error:
        return Observation.failure(name, str(error), time.perf_counter() - start)
    except Exception as error:  # a tool bug must not crash the agent loop  # noqa: BLE001
        return Observation.failure(
            name, f"{type(error).__name__}: {error}", time.perf_counter() - start)
    observation.duration_s = time.perf_counter() - start
    return observation
