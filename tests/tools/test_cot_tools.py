"""The chain-of-thought tools on the real SmolLM2, through the tool registry."""

from __future__ import annotations

import numpy as np
import pytest

from models.reasoning import score_answers
from models.reasoning.scoring import chain_text
from tools import ToolContext, call_tool, get_tool
from tools.cot import reliance_verdict, wilson

STEPS = ["First, 12 + 13 = 25.", "Then, 25 + 11 = 36."]
QUESTION = "What is 12 + 13 + 11?"


@pytest.fixture()
def ctx(tmp_path):
    return ToolContext(run_dir=tmp_path)


def test_the_tools_are_registered_for_text_models():
    for name in ("cot_truncate", "cot_corrupt", "patch_positions"):
        spec = get_tool(name, "text")
        assert "model" in spec.parameters["properties"]


def test_truncation_at_the_ends_reproduces_no_chain_and_the_full_chain(ctx, smollm2):
    obs = call_tool("cot_truncate", "text", {"question": QUESTION, "steps": STEPS,
                                             "answer": "36", "candidates": ["35", "46"],
                                             "points": 5}, ctx)
    assert obs.error is None, obs.error
    curve = obs.result.items[0]
    reference = score_answers(smollm2, QUESTION, ["", chain_text(STEPS)], ["36", "35", "46"])
    index = ["36", "35", "46"].index(curve.final_choice)
    assert curve.probabilities[-1] == pytest.approx(np.exp(reference.logprobs[1, index]),
                                                    rel=1e-3)
    assert curve.probabilities[0] == pytest.approx(np.exp(reference.logprobs[0, index]),
                                                   rel=1e-3)
    assert curve.final_choice == reference.choice(1)
    assert obs.result.fractions == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert obs.artifacts and obs.artifacts[0].path.endswith(".png")


def test_a_corrupted_step_is_in_the_prompt_the_model_saw(ctx, smollm2):
    wrong = "Then, 25 + 11 = 46."
    obs = call_tool("cot_corrupt", "text", {"question": QUESTION, "steps": STEPS, "answer": "36",
                                            "candidates": ["46"], "mode": "replace",
                                            "replacement": wrong}, ctx)
    assert obs.error is None, obs.error
    row = obs.result.items[0]
    assert wrong in row.prompt_seen and STEPS[1] not in row.prompt_seen
    assert row.prompt_seen.rstrip().endswith("So the answer is")
    assert row.changed == (row.after_choice != row.before_choice)
    # generated items: the designed mistake of each item is what the model read
    obs = call_tool("cot_corrupt", "text", {"task": "arithmetic", "items": 2}, ctx)
    for row in obs.result.items:
        assert row.corrupted_step in row.prompt_seen
        assert row.original_step not in row.prompt_seen
    filler = call_tool("cot_corrupt", "text", {"task": "facts", "items": 1, "mode": "filler",
                                               "step": 0}, ctx)
    assert "... ..." in filler.result.items[0].prompt_seen


def test_patch_positions_gives_a_heatmap_whose_full_rows_restore_the_source(ctx):
    obs = call_tool("patch_positions", "text", {
        "question": "What is 20 + 7?", "source_steps": ["20 + 7 = 27."],
        "target_steps": ["20 + 7 = 28."], "answer": "27", "layers": [3, 20]}, ctx)
    assert obs.error is None, obs.error
    result = obs.result
    gap = result.source_logprob - result.target_logprob
    assert gap > 0.5  # the model reads the answer from the chain
    assert result.layers == ["model.layers.3", "model.layers.20"]
    np.testing.assert_allclose(result.all_positions, gap, atol=1e-3)
    effects = np.array(result.effects)
    assert effects.shape == (2, len(result.tokens))
    assert np.all(effects[:, : result.first_difference] == 0)
    assert result.tokens[result.first_difference].strip() == "8"  # the target's changed digit
    assert obs.artifacts[0].path.endswith(".png")


@pytest.mark.parametrize("name,arguments,message", [
    ("cot_truncate", {"model": "minilm-l6"}, "not a causal language model"),
    ("cot_truncate", {"task": "poetry"}, "valid: arithmetic"),
    ("cot_truncate", {"question": "What is 1 + 1?"}, "question, steps"),
    ("cot_corrupt", {"mode": "shout"}, "valid: mistake"),
    ("cot_corrupt", {"task": "logic", "items": 1, "step": 5}, "out of range"),
    ("patch_positions", {"pair": "sound->sound"}, "valid: sound->control"),
    ("patch_positions", {"layers": [99]}, "block indices"),
    ("patch_positions", {"question": "Q?", "source_steps": ["a b c d e."],
                         "target_steps": ["a."], "answer": "x"}, "equal lengths"),
])
def test_bad_arguments_are_clear_errors(ctx, name, arguments, message):
    obs = call_tool(name, "text", arguments, ctx)
    assert obs.error is not None and message in obs.error


def test_reliance_verdict_follows_the_intervals():
    assert reliance_verdict((6, 8), (8, 8))[0] == "relies"
    assert reliance_verdict((0, 20), (0, 20))[0] == "does not rely"
    assert reliance_verdict((1, 2), (1, 2))[0] == "inconclusive"
    low, high = wilson(0, 10)
    assert low == 0 and 0.2 < high < 0.35
