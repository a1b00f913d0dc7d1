"""Each extension point takes a new piece through its public interface (CONTRIBUTING.md):
a model, a tool, a policy, a scoring protocol and a suite, plugged in and used end to end.

The model here is a tiny randomly initialised CNN and the policy a fixed script: they test the
seams, never any result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pytest
import torch
from pydantic import Field

from agent.policies import make_policy, policy_names
from agent.policies.base import (
    Policy,
    PolicyEnv,
    ToolCall,
    experiment_result,
    register_policy,
    unregister_policy,
)
from agent.runner import RunSpec, new_run_dir, run
from agent.state import AgentState, Hypothesis
from bench.protocols import Metric, ScoringContext, ScoringProtocol, evaluate, register_protocol
from bench.protocols.base import unregister_protocol
from bench.runner import metric_paths
from bench.suites import Suite, SuiteUnit, load_suite, register_suite, suite_names
from bench.suites.base import unregister_suite
from models.recording import activations, resolve_unit
from models.registry import ModelEntry, register, unregister
from models.vision import VisionModel
from tools import Observation, ToolContext, ToolResult, call_tool, list_tools, tool
from tools.registry import unregister as unregister_tool

MODEL = "test-tiny-cnn"


class Brightness(ToolResult):
    """The test tool's result: mean brightness of generated grey images, and the unit's values."""

    levels: list[float]
    values: list[float]


@pytest.fixture()
def plugged() -> Any:
    """A model, a tool, a policy, a protocol and a suite, registered for one test."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(),
                              torch.nn.Conv2d(4, 2, 3))
    register(ModelEntry(MODEL, "vision", "built in (test)", "a tiny random CNN",
                        lambda: VisionModel(MODEL, net, image_size=32), lambda: True))

    @tool("vision", result=Brightness, name="test_brightness")
    def test_brightness(ctx: ToolContext, unit: str,
                        steps: Annotated[int, Field(ge=2, le=8)] = 3) -> Observation:
        """Run the unit on plain grey images of rising brightness (a test-only tool).

        Args:
            unit: the unit address.
            steps: how many brightness levels.
        """
        from PIL import Image

        levels = [round(255 * i / (steps - 1)) for i in range(steps)]
        images = [Image.new("RGB", (32, 32), (v, v, v)) for v in levels]
        values = [float(v) for v in activations(unit, images).values]
        return Observation("test_brightness", f"values {values}",
                           result=Brightness(levels=levels, values=values))

    @register_policy("test-brightness", reported=False)
    class BrightnessPolicy(Policy):
        """Calls the test tool once and concludes from its typed result."""

        def hypothesize(self, state: AgentState, env: PolicyEnv) -> list[Hypothesis]:
            return [Hypothesis(id="H1", statement="fires on bright images")]

        def plan(self, state: AgentState, env: PolicyEnv) -> list[ToolCall]:
            return [ToolCall("test_brightness", {"unit": state["subject"], "steps": 4})]

        def revise(self, state: AgentState, env: PolicyEnv) -> list[Hypothesis]:
            return []

        def should_conclude(self, state: AgentState, env: PolicyEnv) -> bool:
            return True

        def conclude(self, state: AgentState, env: PolicyEnv, reason: str) -> dict[str, Any]:
            result = experiment_result(state["experiments"][-1], state["modality"])
            assert isinstance(result, Brightness)
            rising = result.values[-1] > result.values[0]
            return {"description": "fires on bright images" if rising else
                    "fires on dark images", "label": "brightness", "confidence": 0.5}

    @register_protocol
    class DescriptionLength(ScoringProtocol):
        """Counts the words of a description (a test-only protocol)."""

        name = "test_length"
        needs_model = False
        metrics = (Metric("test_words", "words", "words"),)

        def score(self, description: str, context: ScoringContext) -> dict[str, Any]:
            return {"words": len(description.split())}

    @register_suite("test-suite")
    def test_suite() -> Suite:
        return Suite("test-suite", "vision", [SuiteUnit(f"{MODEL}:2:0", "vision"),
                                              SuiteUnit(f"{MODEL}:2:1", "vision")])

    yield
    unregister(MODEL)
    unregister_tool("test_brightness", "vision")
    unregister_policy("test-brightness")
    unregister_protocol("test_length")
    unregister_suite("test-suite")


def test_each_extension_point_takes_a_new_piece(plugged: Any, tmp_path: Path) -> None:
    # the model: its layers are addressable like any other model's
    address, model, info = resolve_unit(f"{MODEL}:2:1")
    assert info.kind == "conv_channel" and model.modality == "vision"
    # the tool: listed with its schema and typed result, validated, callable
    spec = next(s for s in list_tools("vision") if s.name == "test_brightness")
    assert spec.parameters["properties"]["steps"]["maximum"] == 8
    bad = call_tool("test_brightness", "vision", {"unit": f"{MODEL}:2:0", "steps": 99},
                    ToolContext(tmp_path / "ctx"))
    assert "less than or equal to 8" in bad.error
    # the policy: built by name, run by the graph, reading the tool's typed result
    assert "test-brightness" in policy_names(reported_only=False)
    assert "test-brightness" not in policy_names()
    spec_run = RunSpec(question="what does it detect?", subject=f"{MODEL}:2:0",
                       policy="test-brightness")
    run_dir = new_run_dir(tmp_path, MODEL)
    events = list(run(spec_run, run_dir, policy=make_policy("test-brightness")))
    observation = next(e for e in events if e.type == "observation")
    assert observation.data["tool"] == "test_brightness" and len(observation.data["data"][
        "values"]) == 4
    final = next(e for e in events if e.type == "final_answer").data
    assert final["label"] == "brightness"
    # the protocol: part of every evaluation and of the summary's metrics
    scores = evaluate(final["description"], f"{MODEL}:2:0", "vision", with_model=False)
    assert scores["test_length"] == {"words": 4}
    assert metric_paths()["test_words"] == ("test_length", "words")
    # the suite: listed and loaded by name
    assert "test-suite" in suite_names()
    assert [u.address for u in load_suite("test-suite").units] == [f"{MODEL}:2:0",
                                                                   f"{MODEL}:2:1"]
