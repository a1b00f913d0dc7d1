"""The synthetic ground-truth suites: the built-in synthetic units of a modality, by layer.

`synthetic-<m>`: the flat units (single, or, and, and_not); `singles-<m>`: only its
single-concept units (the quick check of the LLM-backed policies); `compositions-<m>`: three-concept
and nested compositions, image-/text-level AND and AND-NOT beside their bound counterparts;
`hidden-<m>`: units on hidden concepts (`models.synthetic.hidden`), which no tool can screen
for, so only what the unit does can explain it; `unseen-<m>`: units on further hidden concepts
that were added after the evidence tools were written, so no tool was designed or tuned against
them: how a policy does here against `hidden-<m>` says whether its tools generalise;
`blind-<m>`: units on hidden concepts chosen by someone who read neither the evidence tools
nor the agent: the generalisation check that the unseen suites can no longer be, since their
concepts were known when the tools were last revised.
"""

from __future__ import annotations

from bench.suites.base import Suite, SuiteUnit, interleave, register_suite


def _synthetic_suite(modality: str, layers: tuple[str, ...], name: str) -> Suite:
    from models.registry import get_model

    model = get_model(f"synthetic-{modality}")
    units = []
    for layer in layers:
        for index, spec in enumerate(model.specs(layer)):  # type: ignore[attr-defined]
            units.append(SuiteUnit(f"{model.name}:{layer}:{index}", modality, spec))
    return Suite(name, modality, interleave(units))


_FLAT = ("single", "or", "and", "and_not")


@register_suite("synthetic-vision")
def synthetic_vision() -> Suite:
    return _synthetic_suite("vision", _FLAT, "synthetic-vision")


@register_suite("synthetic-text")
def synthetic_text() -> Suite:
    return _synthetic_suite("text", _FLAT, "synthetic-text")


@register_suite("singles-vision")
def singles_vision() -> Suite:
    return _synthetic_suite("vision", ("single",), "singles-vision")


@register_suite("singles-text")
def singles_text() -> Suite:
    return _synthetic_suite("text", ("single",), "singles-text")


@register_suite("compositions-vision")
def compositions_vision() -> Suite:
    return _synthetic_suite("vision", ("composed",), "compositions-vision")


@register_suite("compositions-text")
def compositions_text() -> Suite:
    return _synthetic_suite("text", ("composed",), "compositions-text")


@register_suite("hidden-vision")
def hidden_vision() -> Suite:
    return _synthetic_suite("vision", ("hidden",), "hidden-vision")


@register_suite("hidden-text")
def hidden_text() -> Suite:
    return _synthetic_suite("text", ("hidden",), "hidden-text")


@register_suite("unseen-vision")
def unseen_vision() -> Suite:
    return _synthetic_suite("vision", ("unseen",), "unseen-vision")


@register_suite("unseen-text")
def unseen_text() -> Suite:
    return _synthetic_suite("text", ("unseen",), "unseen-text")


@register_suite("blind-vision")
def blind_vision() -> Suite:
    return _synthetic_suite("vision", ("blind",), "blind-vision")


@register_suite("blind-text")
def blind_text() -> Suite:
    return _synthetic_suite("text", ("blind",), "blind-text")
