"""The synthetic ground-truth suites: every built-in synthetic unit of a modality."""

from __future__ import annotations

from bench.suites.base import Suite, SuiteUnit, interleave, register_suite


def _synthetic_suite(modality: str) -> Suite:
    from models.registry import get_model

    model = get_model(f"synthetic-{modality}")
    units = []
    for layer in ("single", "or", "and", "and_not"):
        for index, spec in enumerate(model.specs(layer)):  # type: ignore[attr-defined]
            units.append(SuiteUnit(f"{model.name}:{layer}:{index}", modality, spec))
    return Suite(f"synthetic-{modality}", modality, interleave(units))


@register_suite("synthetic-vision")
def synthetic_vision() -> Suite:
    return _synthetic_suite("vision")


@register_suite("synthetic-text")
def synthetic_text() -> Suite:
    return _synthetic_suite("text")
