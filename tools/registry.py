"""The tool registry: each tool a typed function whose signature and docstring are its spec.

The arguments are a pydantic model built from the function's signature (types, defaults and
`Annotated[..., Field(ge=..., le=...)]` bounds), with each argument described by its line in
the Google-style docstring (read with `docstring_parser`); its JSON schema is what an LLM
backbone sees, and the same model validates every call, so the two never drift apart.
Each tool also declares its typed result (`tools.results`). `call_tool` turns every failure
into an error Observation.

Tool modules register themselves with `@tool(...)`; `list_tools` imports every module of the
`tools` package once (by walking the package, so the registry imports none of them by name).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import threading
import time
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docstring_parser
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from models.errors import ModelsError
from tools.context import ToolContext, ToolError, sha256_of
from tools.observation import Observation
from tools.results import ToolResult

MODALITIES = ("vision", "text")


@dataclass(frozen=True)
class ToolSpec:
    """A registered tool.

    Attributes:
        name: the name a backbone calls it by.
        modality: "vision" or "text" (the subject models it works on).
        fn: `fn(ctx, **arguments) -> Observation`.
        description: the docstring's text before its Args section.
        arguments: the pydantic model of the arguments.
        result_type: the ToolResult subclass its observations carry.
    """

    name: str
    modality: str
    fn: Callable[..., Observation]
    description: str
    arguments: type[BaseModel]
    result_type: type[ToolResult]

    @property
    def parameters(self) -> dict[str, Any]:
        """The arguments' JSON schema (an object schema, no titles)."""
        return _schema(self.arguments)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "modality": self.modality, "description": self.description,
                "parameters": self.parameters, "result": self.result_type.__name__}

    def openai_schema(self) -> dict[str, Any]:
        """The tool in the OpenAI chat-completions `tools` format."""
        return {"type": "function", "function": {"name": self.name,
                                                 "description": self.description,
                                                 "parameters": self.parameters}}

    def validate(self, arguments: Any) -> dict[str, Any]:
        """The arguments checked and coerced; a ToolError that says what would be valid."""
        if not isinstance(arguments, dict):
            raise ToolError(f"arguments for {self.name} must be a JSON object, "
                            f"got {type(arguments).__name__}")
        try:
            parsed = self.arguments.model_validate(arguments)
        except ValidationError as error:
            raise ToolError(self._explain(error)) from None
        return {name: getattr(parsed, name) for name in arguments}

    def parse_result(self, data: dict[str, Any]) -> ToolResult:
        """The typed result from its recorded JSON (an experiment's `data`)."""
        return self.result_type.model_validate(data)

    def _explain(self, error: ValidationError) -> str:
        problems = []
        for item in error.errors()[:3]:
            where = ".".join(str(p) for p in item["loc"]) or "arguments"
            problems.append(f"{where}: {item['msg']}")
        schema = self.parameters
        expected = ", ".join(name + ("" if name in schema.get("required", []) else "?")
                             for name in schema["properties"])
        return f"bad arguments for {self.name} ({'; '.join(problems)}); expected ({expected})"


def _strip_titles(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_titles(v) for k, v in node.items() if k != "title"}
    if isinstance(node, list):
        return [_strip_titles(v) for v in node]
    return node


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    schema = _strip_titles(model.model_json_schema())
    schema.setdefault("required", [])
    return schema


_TOOLS: dict[tuple[str, str], ToolSpec] = {}
_LOADED = threading.Event()
_LOAD_LOCK = threading.Lock()


def _arguments_model(fn: Callable, name: str, described: dict[str, str]) -> type[BaseModel]:
    hints = typing.get_type_hints(fn, include_extras=True)
    fields: dict[str, Any] = {}
    for parameter in inspect.signature(fn).parameters.values():
        if parameter.name == "ctx":
            continue
        annotation = hints.get(parameter.name, str)
        default = ... if parameter.default is inspect.Parameter.empty else parameter.default
        fields[parameter.name] = (annotation, Field(default,
                                                    description=described.get(parameter.name)))
    return create_model(f"{name}_arguments", __config__=ConfigDict(extra="forbid"), **fields)


def tool(modality: str, result: type[ToolResult], name: str | None = None
         ) -> Callable[[Callable], Callable]:
    """Register `fn(ctx, ...) -> Observation` as a tool of one modality.

    Args:
        modality: "vision" or "text".
        result: the ToolResult subclass the tool's observations carry.
        name: the tool's name (default: the function's name).
    """
    if modality not in MODALITIES:
        raise ValueError(f"modality must be one of {MODALITIES}")
    if not (isinstance(result, type) and issubclass(result, ToolResult)):
        raise TypeError("result must be a ToolResult subclass (see tools.results)")

    def register(fn: Callable) -> Callable:
        doc = docstring_parser.parse(inspect.getdoc(fn) or "")
        summary = " ".join(" ".join(filter(None, [doc.short_description,
                                                  doc.long_description])).split())
        if not summary:
            raise ValueError(f"tool {fn.__name__} needs a docstring: it is the tool's spec")
        described = {p.arg_name: " ".join((p.description or "").split()) for p in doc.params}
        tool_name = name or fn.__name__
        spec = ToolSpec(tool_name, modality, fn, summary,
                        _arguments_model(fn, tool_name, described), result)
        _TOOLS[(spec.modality, spec.name)] = spec
        return fn

    return register


def _load_all() -> None:
    """Import every module of the tools package once, so their tools register."""
    if _LOADED.is_set():
        return
    with _LOAD_LOCK:
        if _LOADED.is_set():
            return
        package = importlib.import_module("tools")
        for module in pkgutil.iter_modules(package.__path__, "tools."):
            if not module.name.rsplit(".", 1)[-1].startswith("_"):
                importlib.import_module(module.name)
        _LOADED.set()


def list_tools(modality: str | None = None) -> list[ToolSpec]:
    """Every registered tool, optionally of one modality."""
    _load_all()
    return [spec for spec in _TOOLS.values() if modality in (None, spec.modality)]


def get_tool(name: str, modality: str) -> ToolSpec:
    """A tool by name and modality; a ToolError that lists the valid names."""
    _load_all()
    try:
        return _TOOLS[(modality, name)]
    except KeyError:
        valid = sorted(n for m, n in _TOOLS if m == modality)
        raise ToolError(f"no {modality} tool {name!r}; valid: {', '.join(valid)}") from None


def unregister(name: str, modality: str) -> None:
    """Remove a tool (for tests that plug a tool in and out)."""
    _TOOLS.pop((modality, name), None)


def parse_result(tool_name: str, modality: str, data: dict[str, Any]) -> ToolResult | None:
    """The typed result of a recorded observation, or None when it cannot be read as one."""
    try:
        return get_tool(tool_name, modality).parse_result(data)
    except (ToolError, ValidationError):
        return None


def call_tool(name: str, modality: str, arguments: Any, ctx: ToolContext) -> Observation:
    """Validate and run a tool; every failure comes back as an error Observation."""
    start = time.perf_counter()
    try:
        spec = get_tool(name, modality)
        observation = spec.fn(ctx, **spec.validate(arguments))
        if not isinstance(observation.result, spec.result_type):
            raise TypeError(f"tool {name} returned {type(observation.result).__name__}, "
                            f"not its declared {spec.result_type.__name__}")
    except (ToolError, ModelsError) as error:
        return Observation.failure(name, str(error), time.perf_counter() - start)
    except Exception as error:  # a tool bug must not crash the agent loop  # noqa: BLE001
        return Observation.failure(
            name, f"{type(error).__name__}: {error}", time.perf_counter() - start)
    for artifact in observation.artifacts:
        if artifact.sha256 is None and Path(artifact.path).is_file():
            artifact.sha256 = sha256_of(Path(artifact.path))
    observation.duration_s = time.perf_counter() - start
    return observation
