"""Benchmark suites by name (one module per family, each registering its suites), or a suite
file; `load_suite` registers a suite's extra units in this process."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Any

from bench.suites.base import Suite, SuiteError, SuiteUnit, register_suite, registered_suites
from bench.suites.files import file_suite


def suite_names() -> tuple[str, ...]:
    """Every registered suite (importing this package's modules once, so they register)."""
    for module in pkgutil.iter_modules(__path__, f"{__name__}."):
        importlib.import_module(module.name)
    return tuple(registered_suites())


def load_suite(name: str) -> Suite:
    """A built-in suite by name, or a suite file (JSON or YAML), registered in this process.

    Raises:
        SuiteError: an unknown name, a missing file, or an invalid unit in the file.
    """
    names = suite_names()
    if name in names:
        suite = registered_suites()[name]()
    elif Path(name).suffix.lower() in (".json", ".yaml", ".yml"):
        if not Path(name).is_file():
            raise SuiteError(f"no suite file at {name!r}")
        suite = file_suite(Path(name))
    else:
        raise SuiteError(f"unknown suite {name!r}; valid: {', '.join(names)}, or a "
                         f".json/.yaml suite file")
    suite.register()
    return suite


def list_suites() -> list[dict[str, Any]]:
    """Every built-in suite with its size, modality and whether it has ground truth."""
    rows = []
    for name in suite_names():
        suite = load_suite(name)
        compositions: dict[str, int] = {}
        for unit in suite.units:
            if unit.composition:
                compositions[unit.composition] = compositions.get(unit.composition, 0) + 1
        rows.append({"name": name, "modality": suite.modality, "size": len(suite.units),
                     "ground_truth": suite.has_ground_truth, "compositions": compositions})
    return rows


__all__ = ["Suite", "SuiteError", "SuiteUnit", "list_suites", "load_suite", "register_suite",
           "suite_names"]
