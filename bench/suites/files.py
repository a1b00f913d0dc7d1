"""Suite files (JSON or YAML) of synthetic units composed from the concept vocabulary (and the
hidden concepts, for hidden-concept suites).

A file is a list of units (or `{"units": [...]}`). A unit gives either a flat `composition`
(single, or, and, and_not, bound_and, bound_and_not) over `concepts`, or a composition `tree`
in its JSON form, nested as deep as needed:

    {"id": "rb-no-circle", "modality": "vision",
     "tree": {"op": "and_not", "args": [{"op": "or", "args": ["red", "blue"]}, "circle"]}}

`description` and `label` default to the ones written from the tree. Each unit is validated by
a pydantic model, so anything malformed (a YAML syntax error, a tag that would build Python
objects, a string where a unit should be, a number where concepts should be, an unknown
operator or concept, a tree with the wrong number of arguments) is a SuiteError that names the
file, the unit and what would be valid, never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bench.suites.base import Suite, SuiteError, SuiteUnit, interleave
from models.concepts import OPERATORS, CompositionNode, Tree, parse_tree
from models.errors import ModelsError
from models.synthetic.detect import build_unit

#: Names a flat `composition` may take.
FLAT_COMPOSITIONS: tuple[str, ...] = ("single", *OPERATORS)


class SuiteFileUnit(BaseModel):
    """One unit of a suite file: a flat composition over concepts, or a composition tree."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    id: str = Field(min_length=1, max_length=80)
    modality: str
    composition: str | None = None
    concepts: list[str] | None = Field(default=None, min_length=1, max_length=8)
    tree: Any = None
    description: str | None = Field(default=None, min_length=1, max_length=2000)
    label: str | None = None

    @field_validator("tree")
    @classmethod
    def _tree(cls, value: Any) -> Any:
        if value is None:
            return None
        try:
            return parse_tree(value)
        except ModelsError as error:
            raise ValueError(str(error)) from None

    @model_validator(mode="after")
    def _one_form(self) -> SuiteFileUnit:
        flat = self.composition is not None or self.concepts is not None
        if self.tree is not None and flat:
            raise ValueError("give either a tree or composition and concepts, not both")
        if self.tree is None:
            if self.composition is None or self.concepts is None:
                raise ValueError("needs a tree, or both composition and concepts")
            try:
                self.unit_tree()
            except ModelsError as error:
                raise ValueError(str(error)) from None
        return self

    def unit_tree(self) -> Tree:
        """The unit's composition tree (the given one, or the flat composition's)."""
        if self.tree is not None:
            return self.tree
        assert self.composition is not None and self.concepts is not None
        if self.composition == "single":
            if len(self.concepts) != 1:
                raise ModelsError(f"composition 'single' takes exactly one concept, got "
                                  f"{len(self.concepts)}")
            return self.concepts[0]
        return CompositionNode(self.composition, tuple(self.concepts))

    @field_validator("concepts", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("modality")
    @classmethod
    def _modality(cls, value: str) -> str:
        if value not in ("vision", "text"):
            raise ValueError("must be 'vision' or 'text'")
        return value

    @field_validator("composition")
    @classmethod
    def _composition(cls, value: str | None) -> str | None:
        if value is not None and value not in FLAT_COMPOSITIONS:
            raise ValueError(f"must be one of {', '.join(FLAT_COMPOSITIONS)}")
        return value


def _load(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SuiteError(f"{path}: cannot read it as UTF-8 text ({error})") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as error:
            # safe_load refuses !!python tags: they are a YAML error here too
            where = getattr(error, "problem_mark", None)
            line = f" at line {where.line + 1}" if where is not None else ""
            raise SuiteError(f"{path}: not valid YAML{line} "
                             f"({getattr(error, 'problem', None) or error})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise SuiteError(f"{path}: not valid JSON ({error})") from None


def _problem(error: Any) -> str:
    """One pydantic error as "where: what", without pydantic's "Value error, " prefix."""
    where = ".".join(str(p) for p in error["loc"]) or "unit"
    message = str(error["msg"]).removeprefix("Value error, ")
    return message if message.startswith(where) else f"{where}: {message}"


def read_units(path: Path) -> list[SuiteFileUnit]:
    """The file's units, validated; a SuiteError for anything malformed."""
    data = _load(path)
    if isinstance(data, dict):
        data = data.get("units")
    if not isinstance(data, list) or not data:
        raise SuiteError(f"{path}: expected a non-empty list of units (or {{'units': [...]}})")
    units = []
    for number, row in enumerate(data):
        name = row.get("id", number) if isinstance(row, dict) else number
        if not isinstance(row, dict):
            raise SuiteError(f"{path}: unit {number} is a {type(row).__name__}, not an object "
                             f"with id, modality, composition, concepts and description")
        try:
            units.append(SuiteFileUnit.model_validate(row))
        except ValidationError as error:
            problems = "; ".join(_problem(e) for e in error.errors()[:4])
            raise SuiteError(f"{path}: unit {name!r}: {problems}") from None
    return units


def file_suite(path: Path) -> Suite:
    """Read a suite file and check every unit's concepts (vocabulary or hidden; clear errors)."""
    rows = read_units(path)
    modalities = {row.modality for row in rows}
    if len(modalities) != 1:
        raise SuiteError(f"{path}: every unit needs the same modality, 'vision' or 'text'; "
                         f"got {sorted(modalities)}")
    modality = modalities.pop()
    specs = []
    for row in rows:
        try:
            specs.append(build_unit(modality, row.unit_tree(), row.description,
                                    row.label or row.id, row.id))
        except ModelsError as error:
            raise SuiteError(f"{path}: unit {row.id!r}: {error}") from None
    layer = "".join(c if c.isalnum() or c in "-_" else "_" for c in path.stem) or "suite"
    model = f"synthetic-{modality}"
    units = [SuiteUnit(f"{model}:{layer}:{i}", modality, spec) for i, spec in enumerate(specs)]
    return Suite(str(path), modality, interleave(units), (model, layer, specs))
