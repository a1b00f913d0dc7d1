"""The text tools on real offline models (SmolLM2, MiniLM, synthetic units), through call_tool."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest
import torch

from models.interventions import steer
from models.recording import activations
from tools import Limits, ToolContext, call_tool, list_tools
from tools.backends.text_gen import OpenAITextGenerator, from_settings
from tools.settings import ToolsSettings

LM = "smollm2-135m-instruct"
UNIT = f"{LM}:model.layers.3.mlp:17"
PROMPT = "The cat sat on the"
TEXT_TOOLS = {"dataset_exemplars", "call_unit", "generate_texts", "edit_texts", "ablate_unit",
              "steer_unit", "logit_effect"}
TOPICS = ["cats", "the stock market", "rain in spring", "a football match", "baking bread",
          "a train journey", "the ocean", "a birthday party", "learning French", "a computer bug"]
SHAPES = ["I love {}.", "Yesterday we talked about {}.", "Is this about {}?",
          "Nobody expected {} to matter.", "She wrote a poem on {}.", "{} again, of course!"]


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "texts.txt"
    lines = [shape.format(topic) for topic in TOPICS for shape in SHAPES]
    path.write_text("\n".join(lines) + "\n")
    assert len(lines) == 60
    return path


@pytest.fixture()
def ctx(tmp_path, corpus_file) -> ToolContext:
    # Few new tokens keep the generation-based tools fast on a CPU.
    return ToolContext(tmp_path / "run", limits=Limits(max_new_tokens=6),
                       corpus=str(corpus_file))


def call(ctx: ToolContext, name: str, **arguments):
    return call_tool(name, "text", arguments, ctx)


def test_every_text_tool_has_a_valid_schema():
    specs = {spec.name: spec for spec in list_tools("text")}
    assert TEXT_TOOLS <= set(specs)
    for name in TEXT_TOOLS:
        schema = specs[name].parameters
        jsonschema.Draft202012Validator.check_schema(schema)
        json.dumps(specs[name].openai_schema())
        assert specs[name].description and all(
            "description" in p for p in schema["properties"].values())


@pytest.mark.parametrize("name,arguments,expect", [
    ("call_unit", {"texts": ["hi"]}, "unit"),
    ("call_unit", {"unit": UNIT, "texts": "not a list"}, "valid list"),
    ("call_unit", {"unit": UNIT, "texts": [3]}, "valid string"),
    ("call_unit", {"unit": "nonsense", "texts": ["hi"]}, "bad unit address"),
    ("call_unit", {"unit": f"{LM}:model.layers.3.mlp:99999", "texts": ["hi"]}, "out of range"),
    ("call_unit", {"unit": UNIT, "texts": ["hi"] * 40}, "texts"),
    ("call_unit", {"unit": UNIT, "texts": ["  "]}, "empty"),
    ("call_unit", {"unit": "efficientnet_lite0:blocks.4:3", "texts": ["hi"]}, "vision"),
    ("steer_unit", {"unit": UNIT, "prompt": "x"}, "scale"),
    ("steer_unit", {"unit": UNIT, "prompt": "x", "scale": "big"}, "valid number"),
    ("dataset_exemplars", {"unit": UNIT, "k": 0}, "greater than or equal to 1"),
    ("generate_texts", {"prompt": "cats", "n": 100}, "less than or equal to 16"),
    ("edit_texts", {"texts": ["a b", "c d"], "edits": ["uppercase"] * 3}, "do not pair"),
    ("logit_effect", {"unit": UNIT, "bogus": 1}, "extra inputs are not permitted"),
])
def test_malformed_calls_are_error_observations(ctx, name, arguments, expect):
    observation = call(ctx, name, **arguments)
    assert not observation.ok
    assert expect.lower() in observation.error.lower()


def test_context_limits_are_enforced(tmp_path):
    small = ToolContext(tmp_path / "small", limits=Limits(max_texts=2, max_text_chars=20))
    too_many = call(small, "call_unit", unit=UNIT, texts=["a", "b", "c"])
    assert not too_many.ok and "limit of 2" in too_many.error
    too_long = call(small, "call_unit", unit=UNIT, texts=["x" * 21])
    assert not too_long.ok and "limit of 20" in too_long.error


def test_call_unit_equals_recording(ctx):
    texts = ["The cat sat on the mat.", "Stocks fell sharply on Monday.", "Hello!"]
    observation = call(ctx, "call_unit", unit=UNIT, texts=texts)
    assert observation.ok, observation.error
    expected = activations(UNIT, texts)
    rows = observation.data["texts"]
    np.testing.assert_allclose(observation.data["max"], expected.values, rtol=1e-6)
    for row, tokens, values in zip(rows, expected.tokens, expected.maps, strict=True):
        assert row["tokens"] == tokens
        np.testing.assert_allclose(row["values"], values, atol=1e-4)
    assert "⟦" in observation.summary
    assert Path(observation.artifacts[0].path).stat().st_size > 0


def test_dataset_exemplars_sorted_with_token_highlights(ctx):
    observation = call(ctx, "dataset_exemplars", unit=UNIT, k=5)
    assert observation.ok, observation.error
    rows = observation.data["exemplars"]
    assert len(rows) == 5 and [r["rank"] for r in rows] == list(range(5))
    cached = [r["cached_value"] for r in rows]
    assert cached == sorted(cached, reverse=True)
    for row in rows:
        assert len(row["values"]) == len(row["tokens"]) > 0
        assert row["max"] == pytest.approx(row["cached_value"], abs=1e-4)
    assert observation.summary.count("⟦") >= 5
    assert Path(observation.artifacts[0].path).is_file()


def test_synthetic_units_read_but_not_intervened(ctx):
    unit = "synthetic-text:single:0"
    read = call(ctx, "call_unit", unit=unit, texts=["The cat sat on the mat."])
    assert read.ok, read.error
    for name, extra in (("ablate_unit", {"prompt": PROMPT}),
                        ("steer_unit", {"prompt": PROMPT, "scale": 2.0}),
                        ("logit_effect", {})):
        observation = call(ctx, name, unit=unit, **extra)
        assert not observation.ok and "synthetic" in observation.error


def _strong_neuron(model, layer: str, prompt: str) -> int:
    """The neuron with the largest activation on the prompt's last token."""
    recording = model.record(layer, [prompt])
    return int(recording.maps[0, :, recording.lengths[0] - 1].abs().argmax())


def test_ablation_changes_next_token(ctx, smollm2):
    layer = "model.layers.20.mlp"
    index = _strong_neuron(smollm2, layer, PROMPT)
    observation = call(ctx, "ablate_unit", unit=f"{LM}:{layer}:{index}", prompt=PROMPT)
    assert observation.ok, observation.error
    assert observation.data["kl_divergence"] > 1e-3
    assert len(observation.data["top_before"]) == len(observation.data["top_after"]) == 5
    assert "KL" in observation.summary and observation.artifacts


def test_head_and_residual_ablation(ctx):
    for unit in (f"{LM}:model.layers.5.self_attn:2", f"{LM}:model.layers.5:100"):
        observation = call(ctx, "ablate_unit", unit=unit, prompt=PROMPT)
        assert observation.ok, observation.error
        assert observation.data["kl_divergence"] > 0


def test_zero_steer_changes_nothing(ctx):
    observation = call(ctx, "steer_unit", unit=f"{LM}:model.layers.20.mlp:100", prompt=PROMPT,
                       scale=0.0)
    assert observation.ok, observation.error
    assert observation.data["kl_divergence"] == 0.0
    assert not observation.data["continuation_changed"]


def test_steering_goes_the_promised_direction(ctx, smollm2):
    unit = f"{LM}:model.layers.28.mlp:7"
    effect = call(ctx, "logit_effect", unit=unit, k=5)
    assert effect.ok, effect.error
    promoted = [row["token_id"] for row in effect.data["promoted"]]
    batch = smollm2.tokenize([PROMPT])

    def logits() -> torch.Tensor:
        with torch.inference_mode():
            return smollm2.net(**batch, use_cache=False).logits[0, -1]

    base = logits()[promoted].mean()
    for scale in (6.0, -6.0):
        with steer(smollm2, "model.layers.28.mlp", 7, scale):
            moved = logits()[promoted].mean()
        assert (moved - base) * np.sign(scale) > 0
    steered = call(ctx, "steer_unit", unit=unit, prompt=PROMPT, scale=20.0)
    assert steered.ok and steered.data["kl_divergence"] > 0


def test_logit_and_encoder_units(ctx):
    logit = call(ctx, "ablate_unit", unit=f"{LM}:lm_head:5", prompt=PROMPT)
    assert not logit.ok and "cannot be ablated" in logit.error
    minilm = "minilm-l6:encoder.layer.2.intermediate:3"
    encoder = call(ctx, "ablate_unit", unit=minilm, prompt="a dog in the park")
    assert encoder.ok, encoder.error
    assert encoder.data["top_before"] == [] and 0 < encoder.data["embedding_cosine"] <= 1 + 1e-9
    no_head = call(ctx, "logit_effect", unit=minilm)
    assert not no_head.ok and "unembedding" in no_head.error
    head = call(ctx, "logit_effect", unit=f"{LM}:model.layers.5.self_attn:2")
    assert not head.ok and "prompt" in head.error


def test_generate_texts_offline_is_deterministic(ctx):
    first = call(ctx, "generate_texts", prompt="sentences about dogs", n=2)
    assert first.ok, first.error
    texts = first.data["texts"]
    assert len(texts) == 2 and all(t.strip() for t in texts)
    assert call(ctx, "generate_texts", prompt="sentences about dogs", n=2).data["texts"] == texts


def test_edit_texts_rules_exact_and_failures_reported(ctx):
    observation = call(ctx, "edit_texts", texts=["The cat is on the mat."], edits=[
        "replace cat with dog", "remove 'on the '", "negate", "uppercase", "append today",
        "prepend Look:", "replace zebra with horse"], unit=UNIT)
    assert observation.ok, observation.error
    pairs = observation.data["pairs"]
    assert [p["edited"] for p in pairs] == [
        "The dog is on the mat.", "The cat is mat.", "The cat is not on the mat.",
        "THE CAT IS ON THE MAT.", "The cat is on the mat. today", "Look: The cat is on the mat.",
        None]
    assert all(p["path"] == "rule" for p in pairs)
    assert "does not occur" in pairs[-1]["reason"] and "NOT APPLIED" in observation.summary
    assert all("edited_max" in p for p in pairs[:-1])
    undo = call(ctx, "edit_texts", texts=["It is not raining.", "We are here."],
                edits=["negate"])
    assert [p["edited"] for p in undo.data["pairs"]] == ["It is raining.", "We are not here."]


class _EchoBackbone:
    """A stand-in text backbone (not a subject model): records prompts, returns fixed text."""

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def generate(self, prompt: str, n: int) -> list[str]:
        self.prompts.append(prompt)
        return [f"backbone text {i}" for i in range(n)]


def test_backbone_is_used_when_configured(ctx):
    backbone = _EchoBackbone()
    ctx.backends["text_lm"] = backbone
    made = call(ctx, "generate_texts", prompt="about owls", n=2)
    assert made.data["texts"] == ["backbone text 0", "backbone text 1"]
    edited = call(ctx, "edit_texts", texts=["An owl at night."], edits=["make it poetic"])
    assert edited.data["pairs"][0]["path"] == "backbone"
    assert "make it poetic" in backbone.prompts[-1]


def test_backend_from_settings_hides_key(monkeypatch):
    for name in ("WORKBENCH_TEXT_MODEL", "WORKBENCH_TEXT_API_KEY", "OPENAI_API_KEY",
                 "WORKBENCH_TEXT_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert from_settings() is None
    monkeypatch.setenv("WORKBENCH_TEXT_MODEL", "m")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    monkeypatch.setenv("WORKBENCH_TEXT_BASE_URL", "http://localhost:1/v1")
    generator = from_settings()
    assert isinstance(generator, OpenAITextGenerator)
    assert generator.api_key == "sk-secret" and "sk-secret" not in repr(generator)
    assert "sk-secret" not in repr(ToolsSettings())
    assert generator.base_url == "http://localhost:1/v1"
    monkeypatch.setenv("WORKBENCH_TEXT_API_KEY", "k2")
    assert from_settings().api_key == "k2"
