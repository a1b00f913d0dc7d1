"""Reasoning items, answer scoring after a chain, truncation and activation patching, on the
real SmolLM2, checked on properties that hold whatever the model."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from models.errors import ModelsError
from models.reasoning import TASKS, items_for, make_items, score_answers, truncate_chain
from models.reasoning.patching import patch_sweep, patched, record_residuals, residual_layers
from models.reasoning.scoring import (
    answer_ids,
    candidate_logprobs,
    chain_text,
    corrupt_step,
    insert_mistake,
    prompt_ids,
    sequence_logprobs,
    step_spans,
)


def _claim(step: str) -> str:
    """What a chain's last step concludes: after '=', 'so' or 'gives'."""
    return re.findall(r"(?:=|\bso|\bgives)\s+(\w+)", step)[-1]


def _equations_true(steps) -> list[bool]:
    return [int(a) + int(b) == int(c)
            for step in steps for a, b, c in re.findall(r"(\d+) \+ (\d+) = (\d+)", step)]


@pytest.mark.parametrize("task", TASKS)
def test_items_pair_a_sound_and_a_flawed_chain_at_the_answer_and_a_control_at_a_wrong_one(task):
    items = make_items(task, 24, seed=3)
    assert len({i.question for i in items}) == 24
    for item in items:
        assert item.answer != item.wrong and item.answer == item.candidates[0]
        assert item.wrong in item.candidates
        assert len(item.sound) == len(item.flawed) == len(item.control) == len(item.paraphrases)
        # the chains end at their answers; only the control ends at the wrong one
        assert _claim(item.sound[-1]) == _claim(item.flawed[-1]) == item.answer
        assert _claim(item.control[-1]) == item.wrong
        # the flawed chain differs from the sound one at its flaw step
        assert item.flawed[item.flaw_step] != item.sound[item.flaw_step]
        if task == "arithmetic":
            expected = sum(int(n) for n in re.findall(r"\d+", item.question))
            assert int(item.answer) == expected
            assert all(_equations_true(item.sound))
            assert not all(_equations_true(item.flawed))
    assert make_items(task, 4, seed=3) == items[:4]
    assert make_items(task, 4, seed=4) != items[:4]


def test_bad_item_requests_are_clear_errors():
    with pytest.raises(ModelsError, match="valid: arithmetic"):
        make_items("poetry", 3)
    with pytest.raises(ModelsError, match="difficulties easy, medium, hard"):
        make_items("arithmetic", 3, difficulty="extreme")
    with pytest.raises(ModelsError, match="positive"):
        make_items("logic", 0)


def test_mistakes_keep_the_shape_of_a_step():
    assert insert_mistake("Then 40 + 9 = 49.") == "Then 40 + 9 = 50."
    assert insert_mistake("Then 40 + 9 = 99.") == "Then 40 + 9 = 98."  # keeps two digits
    assert insert_mistake("That gives yes.") == "That gives no."
    with pytest.raises(ModelsError, match="replacement"):
        insert_mistake("Every wug is a dax.")
    steps = ["a 1.", "b 2.", "c 3."]
    assert corrupt_step(steps, -1, "filler") == ["a 1.", "b 2.", "... ..."]
    with pytest.raises(ModelsError, match="out of range"):
        corrupt_step(steps, 3, "mistake")


def test_truncation_cuts_by_words_from_nothing_to_everything():
    steps = ["First, 12 + 13 = 25.", "Then, 25 + 11 = 36."]
    assert truncate_chain(steps, 0.0) == ""
    assert truncate_chain(steps, 1.0) == chain_text(steps)
    assert truncate_chain(steps, 0.5) == "First, 12 + 13 = 25."
    with pytest.raises(ModelsError, match="0..1"):
        truncate_chain(steps, 1.5)


def test_cached_candidate_scores_equal_plain_teacher_forcing(smollm2):
    item = items_for(smollm2, "arithmetic", 2, seed=0)[1]
    prompt = prompt_ids(smollm2, item.question, chain_text(item.sound))
    answers = [answer_ids(smollm2, c) for c in (*item.candidates, "a longer answer")]
    cached = candidate_logprobs(smollm2, prompt, answers)
    plain = sequence_logprobs(smollm2, [prompt] * len(answers), answers)
    np.testing.assert_allclose(cached, plain, atol=2e-3)
    # and the model follows a sound chain to its answer
    scores = score_answers(smollm2, item.question, [chain_text(item.sound)], item.candidates)
    assert scores.choice(0) == item.answer


def test_step_spans_cover_the_prompt_in_order(smollm2):
    item = items_for(smollm2, "logic", 1, seed=0)[0]
    ids = prompt_ids(smollm2, item.question, chain_text(item.sound))
    spans = step_spans(smollm2, item.question, item.sound)
    assert spans[0][0] == 0 and spans[-1][1] == len(ids)
    assert all(a[1] == b[0] and a[0] < a[1] for a, b in zip(spans, spans[1:], strict=False))
    first_step = smollm2.tokenizer.decode(ids[spans[1][0]:spans[1][1]])
    assert first_step.strip() == item.sound[0]


def test_generated_chains_have_equal_token_lengths(smollm2):
    for task in TASKS:
        for item in items_for(smollm2, task, 3, seed=1):
            lengths = {len(prompt_ids(smollm2, item.question, chain_text(item.chain(k))))
                       for k in ("sound", "flawed", "control")}
            assert len(lengths) == 1, item


def test_patching_every_position_reproduces_the_source_run(smollm2):
    item = items_for(smollm2, "comparison", 1, seed=0)[0]
    source = prompt_ids(smollm2, item.question, chain_text(item.sound))
    target = prompt_ids(smollm2, item.question, chain_text(item.control))
    answer = answer_ids(smollm2, item.answer)
    layers = residual_layers(smollm2)
    assert len(layers) == smollm2.config.num_hidden_layers
    picked = [layers[0], layers[-1]]
    sweep = patch_sweep(smollm2, source, target, answer, picked,
                        positions=list(range(len(target) - 6, len(target))))
    gap = sweep.source_logprob - sweep.target_logprob
    assert abs(gap) > 0.5  # the control chain really moves the answer
    np.testing.assert_allclose(sweep.all_positions, gap, atol=1e-3)
    # the full logits too, not only the answer's
    full_source, full_target = source + answer, target + answer
    with torch.inference_mode():
        want = smollm2.net(input_ids=torch.tensor([full_source]), use_cache=False).logits
        residuals = record_residuals(smollm2, full_source, [layers[14]])
        with patched(smollm2, layers[14], residuals[layers[14]], [range(len(full_target))]):
            got = smollm2.net(input_ids=torch.tensor([full_target]), use_cache=False).logits
    torch.testing.assert_close(got, want, atol=2e-3, rtol=1e-3)
    # positions before the first difference carry identical residuals: exactly no effect
    early = patch_sweep(smollm2, source, target, answer, [layers[5]], positions=[0, 1, 2])
    assert np.all(early.effects == 0) and early.first_difference > 2


def test_patching_refuses_prompts_of_different_lengths(smollm2):
    layers = residual_layers(smollm2)
    with pytest.raises(ModelsError, match="equal length"):
        patch_sweep(smollm2, [1, 2, 3], [1, 2], [5], layers[:1])
    with pytest.raises(ModelsError, match="not residual layers"):
        patch_sweep(smollm2, [1, 2], [1, 3], [5], ["model.layers.3.mlp"])
