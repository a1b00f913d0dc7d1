"""Suite files (JSON or YAML) of synthetic units composed from the concept vocabulary.

A file is a list of units (or `{"units": [...]}`); each unit is validated by a pydantic model,
so anything malformed (a YAML syntax error, a tag that would build Python objects, a string
where a unit should be, a number where concepts should be, an unknown concept) is a
SuiteError that names the file, the unit and what would be valid, never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bench.suites.base import Suite, SuiteError, SuiteUnit, interleave
from models.concepts import COMPOSITIONS, vocabulary
from models.errors import ModelsError
from models.synthetic.base import SyntheticUnitSpec


class SuiteFileUnit(BaseModel):
    """One unit of a suite file."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=80)
    modality: str
    composition: str
    concepts: list[str] = Field(min_length=1, max_length=8)
    description: str = Field(min_length=1, max_length=2000)
    label: str | None = None

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
    def _composition(cls, value: str) -> str:
        if value not in COMPOSITIONS:
            raise ValueError(f"must be one of {', '.join(COMPOSITIONS)}")
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
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'unit'}: {e['msg']}"
                                 for e in error.errors()[:4])
            raise SuiteError(f"{path}: unit {name!r}: {problems}") from None
    return units


def file_suite(path: Path) -> Suite:
    """Read a suite file and check every unit against the vocabulary (clear errors)."""
    rows = read_units(path)
    modalities = {row.modality for row in rows}
    if len(modalities) != 1:
        raise SuiteError(f"{path}: every unit needs the same modality, 'vision' or 'text'; "
                         f"got {sorted(modalities)}")
    modality = modalities.pop()
    known = vocabulary(modality)
    specs = []
    for row in rows:
        where = f"{path}: unit {row.id!r}"
        unknown = [c for c in row.concepts if c not in known]
        if unknown:
            raise SuiteError(f"{where}: unknown {modality} concept(s) {unknown}; valid "
                             f"{modality} concepts: {', '.join(sorted(known))}")
        try:
            specs.append(SyntheticUnitSpec(modality, row.composition,  # type: ignore[arg-type]
                                           tuple(row.concepts), row.description,
                                           row.label or row.id, row.id))
        except ModelsError as error:
            raise SuiteError(f"{where}: {error}") from None
    layer = "".join(c if c.isalnum() or c in "-_" else "_" for c in path.stem) or "suite"
    model = f"synthetic-{modality}"
    units = [SuiteUnit(f"{model}:{layer}:{i}", modality, spec) for i, spec in enumerate(specs)]
    return Suite(str(path), modality, interleave(units), (model, layer, specs))
