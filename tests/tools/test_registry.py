"""Tool specs come from signatures and docstrings; call_tool never raises."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Literal

import jsonschema
import pytest
from pydantic import Field

from tools.context import ToolContext
from tools.observation import Observation
from tools.registry import call_tool, get_tool, list_tools, tool, unregister
from tools.results import GeneratedTexts, ToolResult


class Echo(ToolResult):
    """The test-only tool's result."""

    text: str

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def demo_tool():
    @tool("text", result=Echo, name="demo_echo")
    def demo_echo(ctx: ToolContext, word: str, times: Annotated[int, Field(ge=1, le=3)] = 1,
                  mode: Literal["upper", "lower"] = "lower", extra: list[str] | None = None
                  ) -> Observation:
        """Repeat a word (a test-only tool).

        Args:
            word: the word to repeat.
            times: how often,
                at most three.
            mode: letter case.
            extra: more words.
        """
        if word == "boom":
            raise RuntimeError("tool bug")
        text = " ".join([word] * times)
        if word == "wrong-type":
            return Observation("demo_echo", text, result=GeneratedTexts(texts=[], source="",
                                                                        prompt=""))
        text = text.upper() if mode == "upper" else text
        return Observation("demo_echo", text, result=Echo(text=text))

    yield get_tool("demo_echo", "text")
    unregister("demo_echo", "text")


def test_schema_is_generated_from_signature_and_docstring(demo_tool):
    schema = demo_tool.parameters
    assert demo_tool.description == "Repeat a word (a test-only tool)."
    assert schema["required"] == ["word"]
    assert schema["properties"]["times"] == {"type": "integer", "minimum": 1, "maximum": 3,
                                             "description": "how often, at most three.",
                                             "default": 1}
    assert demo_tool.result_type is Echo
    assert schema["properties"]["mode"]["enum"] == ["upper", "lower"]
    assert {"type": "array", "items": {"type": "string"}} in schema["properties"]["extra"][
        "anyOf"]
    assert "ctx" not in schema["properties"]
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("arguments,needle", [
    ({}, "word: Field required"),
    ({"word": "a", "times": 9}, "times: Input should be less than or equal to 3"),
    ({"word": 3}, "word: Input should be a valid string"),
    ({"word": "a", "colour": "red"}, "colour: Extra inputs are not permitted"),
    ("not an object", "must be a JSON object"),
])
def test_malformed_calls_become_error_observations(tmp_path, demo_tool, arguments, needle):
    observation = call_tool("demo_echo", "text", arguments, ToolContext(tmp_path))
    assert not observation.ok and needle in observation.error
    assert observation.summary.startswith("error:")


def test_a_tool_bug_becomes_an_error_observation(tmp_path, demo_tool):
    observation = call_tool("demo_echo", "text", {"word": "boom"}, ToolContext(tmp_path))
    assert observation.error == "RuntimeError: tool bug"


def test_unknown_tool_lists_the_valid_ones(tmp_path):
    observation = call_tool("teleport", "vision", {}, ToolContext(tmp_path))
    assert "no vision tool 'teleport'" in observation.error and "call_unit" in observation.error


def test_good_call_runs_and_is_timed(tmp_path, demo_tool):
    observation = call_tool("demo_echo", "text", {"word": "hi", "times": 2, "mode": "upper"},
                            ToolContext(tmp_path))
    assert observation.ok and observation.summary == "HI HI" and observation.duration_s >= 0
    assert isinstance(observation.result, Echo) and observation.data == {"text": "HI HI"}
    assert demo_tool.parse_result(observation.data) == observation.result


def test_a_tool_returning_another_result_type_is_an_error(tmp_path, demo_tool):
    observation = call_tool("demo_echo", "text", {"word": "wrong-type"}, ToolContext(tmp_path))
    assert "not its declared Echo" in observation.error


def test_every_registered_tool_has_a_valid_schema_and_description():
    specs = list_tools()
    assert {s.modality for s in specs} == {"vision", "text"}
    for spec in specs:
        jsonschema.Draft202012Validator.check_schema(spec.parameters)
        assert spec.description and spec.parameters["type"] == "object"
        assert spec.openai_schema()["function"]["name"] == spec.name
        assert issubclass(spec.result_type, ToolResult)


def test_tools_list_cli_prints_name_modality_description_parameters():
    out = subprocess.run([sys.executable, "-m", "tools", "list", "--json"], capture_output=True,
                         text=True, cwd=ROOT, timeout=120,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    names = {(r["modality"], r["name"]) for r in rows}
    for expected in [("vision", "dataset_exemplars"), ("vision", "call_unit"),
                     ("vision", "text2image"), ("vision", "edit_images"), ("vision", "classify"),
                     ("text", "dataset_exemplars"), ("text", "call_unit"),
                     ("text", "ablate_unit"), ("text", "steer_unit"), ("text", "logit_effect")]:
        assert expected in names
    assert all(set(r) >= {"name", "modality", "description", "parameters"} for r in rows)


def test_image_store_refuses_files_outside_the_run(tmp_path):
    from tools.context import ToolError

    ctx = ToolContext(tmp_path / "run")
    outside = tmp_path / "secret.png"
    outside.write_bytes(b"x")
    with pytest.raises(ToolError, match="outside the run"):
        ctx.images.get(str(outside))
