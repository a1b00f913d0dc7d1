"""Benchmark suites: which units to describe, and their ground truth where there is one."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.errors import ModelsError
from models.synthetic.base import SyntheticUnitSpec

#: Layers of the real models that the real suites sample, and the unit indices taken in each.
REAL_VISION_LAYERS = ("blocks.2", "blocks.3", "blocks.4", "blocks.5")
REAL_TEXT_LAYERS = ("model.layers.3.mlp", "model.layers.10.mlp", "model.layers.17.mlp",
                    "model.layers.24.mlp")
REAL_INDICES = (3, 11, 29)
FUNCTIONS_LAYER = "functions"


class SuiteError(ValueError):
    """A suite that does not exist or a suite file that is not valid."""


@dataclass(frozen=True)
class SuiteUnit:
    """One unit of a suite.

    Attributes:
        address: the unit address `<model>:<layer>:<index>`.
        modality: "vision" or "text".
        spec: the ground truth (None for real units, which have none).
    """

    address: str
    modality: str
    spec: SyntheticUnitSpec | None = None

    @property
    def composition(self) -> str | None:
        return self.spec.composition if self.spec else None

    def to_json(self) -> dict[str, Any]:
        return {"address": self.address, "modality": self.modality,
                "ground_truth": self.spec.to_json() if self.spec else None}


@dataclass
class Suite:
    """A named list of units; file suites also carry the specs to register in every process.

    Attributes:
        name: the suite name (or the file path it was read from).
        modality: "vision" or "text".
        units: the units, in a fixed order (`--limit N` takes the first N).
        extra_layer: (model, layer, specs) to register with `SyntheticModel.add_layer`
            before any unit can be addressed (function and file suites).
    """

    name: str
    modality: str
    units: list[SuiteUnit]
    extra_layer: tuple[str, str, list[SyntheticUnitSpec]] | None = field(default=None)

    @property
    def has_ground_truth(self) -> bool:
        return all(u.spec is not None for u in self.units)

    def register(self) -> None:
        """Make the suite's units addressable in this process (idempotent)."""
        if self.extra_layer is None:
            return
        from models.registry import get_model

        model_name, layer, specs = self.extra_layer
        get_model(model_name).add_layer(layer, specs)  # type: ignore[attr-defined]

    def unit(self, address: str) -> SuiteUnit:
        for unit in self.units:
            if unit.address == address:
                return unit
        raise SuiteError(f"{address} is not a unit of suite {self.name}")


# --------------------------------------------------------------------------- built-in suites


def _synthetic_suite(modality: str) -> Suite:
    from models.registry import get_model

    model = get_model(f"synthetic-{modality}")
    units = []
    for layer in ("single", "or", "and", "and_not"):
        for index, spec in enumerate(model.specs(layer)):  # type: ignore[attr-defined]
            units.append(SuiteUnit(f"{model.name}:{layer}:{index}", modality, spec))
    return Suite(f"synthetic-{modality}", modality, _interleave(units))


def _interleave(units: list[SuiteUnit]) -> list[SuiteUnit]:
    """Round-robin over compositions, so that `--limit N` takes a mix of all of them."""
    groups: dict[str, list[SuiteUnit]] = {}
    for unit in units:
        groups.setdefault(unit.composition or "", []).append(unit)
    out: list[SuiteUnit] = []
    for k in range(max(len(g) for g in groups.values())):
        out += [g[k] for g in groups.values() if k < len(g)]
    return out


def _fn(composition: str, concepts: tuple[str, ...], description: str,
        label: str) -> SyntheticUnitSpec:
    return SyntheticUnitSpec("text", composition, concepts, description, label)  # type: ignore


#: FIND-style black-box text functions (Schwettmann et al., NeurIPS 2023): each is a rule over
#: the vocabulary's detectors, with the function's behaviour written as its ground truth. None
#: duplicates a built-in synthetic-text unit.
FUNCTION_SPECS: list[SyntheticUnitSpec] = [
    _fn("and_not", ("numbers", "years"),
        "returns high values on numbers written in digits, except on years", "numbers but not years"),
    _fn("and_not", ("animals", "questions"),
        "returns high values on words for animals, unless the text is a question",
        "animals outside questions"),
    _fn("or", ("urls", "emails", "code"),
        "returns high values on technical strings: web addresses, email addresses or "
        "programming code", "urls | emails | code"),
    _fn("and", ("prices", "negation"),
        "returns high values on prices, but only in texts that also contain a negation word",
        "prices & negation"),
    _fn("or", ("days_months", "years", "times"),
        "returns high values on calendar expressions: weekday and month names, years, or "
        "times of day", "days months | years | times"),
    _fn("and_not", ("vehicles", "places"),
        "returns high values on words for vehicles, unless the text also names a country or "
        "city", "vehicles & not places"),
    _fn("and", ("family", "emotions_positive"),
        "returns high values on family members, but only when the text also expresses "
        "positive emotions", "family & positive emotions"),
    _fn("or", ("law", "civic"),
        "returns high values on legal words or on words about government and elections",
        "law | civic"),
    _fn("and_not", ("science", "questions"),
        "returns high values on science words, except in questions", "science & not questions"),
    _fn("single", ("number_words",),
        "returns high values on numbers written as words (two, ten, hundred)", "number words"),
    _fn("and", ("weather", "days_months"),
        "returns high values on sentences about the weather, but only in texts that also "
        "name a weekday or a month", "weather & days months"),
    _fn("single", ("technology",),
        "returns high values on technology words (computers, software, gadgets)", "technology"),
]


def _functions_suite() -> Suite:
    units = [SuiteUnit(f"synthetic-text:{FUNCTIONS_LAYER}:{i}", "text", spec)
             for i, spec in enumerate(FUNCTION_SPECS)]
    return Suite("functions-text", "text", _interleave(units),
                 ("synthetic-text", FUNCTIONS_LAYER, FUNCTION_SPECS))


def _real_suite(model: str, modality: str, layers: tuple[str, ...], name: str) -> Suite:
    units = [SuiteUnit(f"{model}:{layer}:{index}", modality)
             for layer in layers for index in REAL_INDICES]
    return Suite(name, modality, units)


BUILTIN_SUITES = ("synthetic-vision", "synthetic-text", "functions-text", "real-vision",
                  "real-text")


# --------------------------------------------------------------------------- file suites


def _read_units(path: Path) -> list[dict[str, Any]]:
    text = path.read_text()
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        data = yaml.safe_load(text)
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise SuiteError(f"{path}: not valid JSON ({error})") from None
    if isinstance(data, dict):
        data = data.get("units")
    if not isinstance(data, list) or not data:
        raise SuiteError(f"{path}: expected a non-empty list of units (or {{'units': [...]}})")
    return data


def _file_suite(path: Path) -> Suite:
    """Read a suite file and check every unit against the vocabulary (clear errors)."""
    from models.synthetic.base import COMPOSITIONS
    from tools.contrast import vocabulary

    rows = _read_units(path)
    modalities = {str(row.get("modality", "")) for row in rows if isinstance(row, dict)}
    if len(modalities) != 1 or not modalities <= {"vision", "text"}:
        raise SuiteError(f"{path}: every unit needs the same modality, 'vision' or 'text'; "
                         f"got {sorted(modalities)}")
    modality = modalities.pop()
    known = vocabulary(modality)
    specs = []
    for number, row in enumerate(rows):
        where = f"{path}: unit {row.get('id', number)!r}"
        missing = [k for k in ("id", "concepts", "composition", "description") if k not in row]
        if missing:
            raise SuiteError(f"{where}: missing field(s) {missing}")
        concepts = row["concepts"]
        if isinstance(concepts, str):
            concepts = [concepts]
        unknown = [c for c in concepts if c not in known]
        if unknown:
            raise SuiteError(f"{where}: unknown {modality} concept(s) {unknown}; valid "
                             f"{modality} concepts: {', '.join(sorted(known))}")
        if row["composition"] not in COMPOSITIONS:
            raise SuiteError(f"{where}: unknown composition {row['composition']!r}; valid: "
                             f"{', '.join(COMPOSITIONS)}")
        try:
            specs.append(SyntheticUnitSpec(modality, row["composition"], tuple(concepts),
                                           str(row["description"]),
                                           str(row.get("label", row["id"])), str(row["id"])))
        except ModelsError as error:
            raise SuiteError(f"{where}: {error}") from None
    layer = "".join(c if c.isalnum() or c in "-_" else "_" for c in path.stem) or "suite"
    model = f"synthetic-{modality}"
    units = [SuiteUnit(f"{model}:{layer}:{i}", modality, spec) for i, spec in enumerate(specs)]
    return Suite(str(path), modality, _interleave(units), (model, layer, specs))


def load_suite(name: str) -> Suite:
    """A built-in suite by name, or a suite file (JSON or YAML), registered in this process.

    Raises:
        SuiteError: an unknown name, a missing file, or an invalid unit in the file.
    """
    if name in ("synthetic-vision", "synthetic-text"):
        suite = _synthetic_suite(name.split("-")[1])
    elif name == "functions-text":
        suite = _functions_suite()
    elif name == "real-vision":
        suite = _real_suite("efficientnet_lite0", "vision", REAL_VISION_LAYERS, name)
    elif name == "real-text":
        suite = _real_suite("smollm2-135m-instruct", "text", REAL_TEXT_LAYERS, name)
    elif Path(name).suffix.lower() in (".json", ".yaml", ".yml"):
        if not Path(name).is_file():
            raise SuiteError(f"no suite file at {name!r}")
        suite = _file_suite(Path(name))
    else:
        raise SuiteError(f"unknown suite {name!r}; valid: {', '.join(BUILTIN_SUITES)}, or a "
                         f".json/.yaml suite file")
    suite.register()
    return suite


def list_suites() -> list[dict[str, Any]]:
    """Every built-in suite with its size, modality and whether it has ground truth."""
    rows = []
    for name in BUILTIN_SUITES:
        suite = load_suite(name)
        compositions: dict[str, int] = {}
        for unit in suite.units:
            if unit.composition:
                compositions[unit.composition] = compositions.get(unit.composition, 0) + 1
        rows.append({"name": name, "modality": suite.modality, "size": len(suite.units),
                     "ground_truth": suite.has_ground_truth, "compositions": compositions})
    return rows
