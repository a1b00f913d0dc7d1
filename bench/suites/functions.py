"""FIND-style black-box text functions (Schwettmann et al., NeurIPS 2023) as a suite."""

from __future__ import annotations

from bench.suites.base import Suite, SuiteUnit, interleave, register_suite
from models.synthetic.base import SyntheticUnitSpec

FUNCTIONS_LAYER = "functions"


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


@register_suite("functions-text")
def functions_suite() -> Suite:
    units = [SuiteUnit(f"synthetic-text:{FUNCTIONS_LAYER}:{i}", "text", spec)
             for i, spec in enumerate(FUNCTION_SPECS)]
    return Suite("functions-text", "text", interleave(units),
                 ("synthetic-text", FUNCTIONS_LAYER, FUNCTION_SPECS))
