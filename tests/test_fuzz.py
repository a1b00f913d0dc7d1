"""Property-based fuzzing of every input the workbench takes from outside: unit addresses,
images, texts, suite files, run requests and budgets, tool arguments and backbone replies.
Each either works or fails with the layer's own clear error; nothing else escapes."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.replies import read_final, read_hypotheses, read_revision
from agent.requests import RequestError, RunSpec, run_spec
from bench.suites import Suite, SuiteError
from bench.suites.files import file_suite
from models.errors import StimulusError, UnitAddressError
from models.stimuli_io import check_texts, load_image
from models.units import format_unit, parse_unit
from tools.context import ToolContext
from tools.registry import call_tool

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)
NAMES = st.text(st.characters(whitelist_categories=("Ll", "Nd"), whitelist_characters="-_./"),
                min_size=1, max_size=20).filter(lambda s: ":" not in s)


@FUZZ
@given(st.text(max_size=80))
def test_any_text_is_a_unit_address_or_a_clear_error(text: str) -> None:
    try:
        parsed = parse_unit(text)
    except UnitAddressError as error:
        assert "<model>:<layer>:<index>" in str(error) or "non-negative integer" in str(error)
    else:
        assert parse_unit(str(parsed)) == parsed


@FUZZ
@given(NAMES, NAMES, st.integers(min_value=0, max_value=10**9))
def test_unit_addresses_round_trip(model: str, layer: str, index: int) -> None:
    address = format_unit(model.strip() or "m", layer.strip() or "l", index)
    assert str(parse_unit(address)) == address


@FUZZ
@given(st.binary(max_size=3000))
def test_any_bytes_are_an_image_or_a_clear_error(data: bytes) -> None:
    try:
        image = load_image(data)
    except StimulusError as error:
        assert "stimulus 0" in str(error)
    else:
        assert image.mode == "RGB"


@FUZZ
@given(st.one_of(st.text(max_size=50), st.lists(st.one_of(st.text(max_size=30), st.integers(),
                                                          st.none()), max_size=4)))
def test_any_texts_are_valid_or_a_clear_error(items: object) -> None:
    try:
        texts = check_texts(items)  # type: ignore[arg-type]
    except StimulusError as error:
        assert "stimul" in str(error) or "text" in str(error)
    else:
        assert all(isinstance(t, str) and t.strip() for t in texts)


@FUZZ
@given(JSON, st.sampled_from(["json", "yaml", "raw"]), st.text(max_size=60))
def test_any_suite_file_is_a_suite_or_a_clear_error(tmp_path: Path, value: object, form: str,
                                                     raw: str) -> None:
    path = tmp_path / ("suite.json" if form == "json" else "suite.yaml")
    text = {"json": lambda: json.dumps(value), "yaml": lambda: yaml.safe_dump(value),
            "raw": lambda: raw}[form]()
    path.write_text(text)
    try:
        suite = file_suite(path)
    except SuiteError as error:
        assert str(path) in str(error)
    else:
        assert isinstance(suite, Suite) and suite.units


def test_hostile_yaml_is_refused_clearly(tmp_path: Path) -> None:
    for text in ("units: [ {id: a", "!!python/object/apply:os.system ['true']",
                 "units: ['just a string']", "units: [{id: a, modality: vision, composition: "
                 "single, concepts: 5, description: d}]"):
        path = tmp_path / "suite.yaml"
        path.write_text(text)
        try:
            file_suite(path)
        except SuiteError as error:
            assert str(path) in str(error)
        else:
            raise AssertionError(f"accepted {text!r}")


@FUZZ
@given(st.one_of(st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.text(),
                 st.none()),
       st.one_of(st.integers(), st.floats(allow_nan=True, allow_infinity=True)),
       st.text(max_size=30))
def test_any_budget_or_question_is_a_run_spec_or_a_clear_error(rounds: object, seconds: object,
                                                                question: str) -> None:
    try:
        spec = run_spec(question=question, subject="synthetic-vision:single:0",
                        max_rounds=rounds, max_seconds=seconds)
    except RequestError as error:
        assert str(error)
    else:
        assert isinstance(spec, RunSpec) and 1 <= spec.budgets.max_rounds <= 50
        assert 0 < spec.budgets.max_seconds <= 86400 and spec.question.strip()


@FUZZ
@given(JSON)
def test_any_tool_arguments_are_an_observation(tmp_path: Path, arguments: object) -> None:
    observation = call_tool("call_unit", "text", arguments, ToolContext(tmp_path / "ctx"))
    assert observation.ok or observation.error  # never an exception
    if isinstance(arguments, dict) and "unit" not in arguments:
        assert not observation.ok


@FUZZ
@given(st.one_of(st.text(max_size=300), JSON.map(json.dumps)))
def test_any_backbone_reply_is_read_or_refused_clearly(reply: str) -> None:
    for item in read_hypotheses(reply):
        assert item.statement and 0.0 <= item.confidence <= 1.0
    revision = read_revision(reply)
    if revision is not None:
        for update in revision.updates:
            assert update.status in (None, "open", "supported", "refused", "refuted")
    try:
        final = read_final(reply)
    except ValueError as error:
        assert str(error)
    else:
        assert final.description and final.label and 0.0 <= final.confidence <= 1.0
