"""Interventions on real text models: hooks always removed, ablation bites, steering is exact."""

from __future__ import annotations

import pytest
import torch

from models.errors import UnitIndexError
from models.interventions import InterventionError, ablate, direct_logit_effect, steer

PROMPT = "The cat sat on the"
MLP, HEAD, RESIDUAL = "model.layers.20.mlp", "model.layers.10.self_attn", "model.layers.10"


def _logits(model, prompt: str = PROMPT) -> torch.Tensor:
    batch = model.tokenize([prompt])
    with torch.inference_mode():
        return model.net(**batch, use_cache=False).logits[0, -1].clone()


def _hook_count(model) -> int:
    return sum(len(m._forward_pre_hooks) + len(m._forward_hooks) for m in model.net.modules())


@pytest.fixture(scope="module")
def baseline(smollm2) -> torch.Tensor:
    return _logits(smollm2)


@pytest.mark.parametrize("layer,index", [(MLP, 100), (HEAD, 3), (RESIDUAL, 7)])
def test_ablation_changes_logits_and_removes_hook(smollm2, baseline, layer, index):
    before = _hook_count(smollm2)
    with ablate(smollm2, layer, index):
        assert _hook_count(smollm2) == before + 1
        ablated = _logits(smollm2)
    assert _hook_count(smollm2) == before
    assert (ablated - baseline).abs().max() > 1e-4
    assert torch.equal(_logits(smollm2), baseline)


def test_hooks_removed_after_error(smollm2, baseline):
    before = _hook_count(smollm2)
    with pytest.raises(RuntimeError, match="boom"), steer(smollm2, MLP, 5, 50.0):
        raise RuntimeError("boom")
    assert _hook_count(smollm2) == before
    assert torch.equal(_logits(smollm2), baseline)


@pytest.mark.parametrize("layer,index,identity", [(MLP, 100, 0.0), (RESIDUAL, 7, 0.0),
                                                  (HEAD, 3, 1.0)])
def test_identity_steer_changes_nothing(smollm2, baseline, layer, index, identity):
    with steer(smollm2, layer, index, identity):
        assert torch.equal(_logits(smollm2), baseline)


def test_head_steer_zero_equals_ablation(smollm2):
    with steer(smollm2, HEAD, 3, 0.0):
        steered = _logits(smollm2)
    with ablate(smollm2, HEAD, 3):
        ablated = _logits(smollm2)
    assert torch.allclose(steered, ablated)


def test_steering_last_neuron_follows_its_logit_effect(smollm2, baseline):
    layer = "model.layers.29.mlp"
    effect = direct_logit_effect(smollm2, layer, 5, k=5)
    weights = [t.weight for t in effect.promoted]
    assert weights == sorted(weights, reverse=True)
    assert all(t.weight < 0 for t in effect.suppressed)
    promoted = [t.token_id for t in effect.promoted]
    for scale, sign in ((8.0, 1), (-8.0, -1)):
        with steer(smollm2, layer, 5, scale):
            change = (_logits(smollm2) - baseline)[promoted].mean()
        assert sign * change > 0.5


def test_errors_are_clear(smollm2, minilm_model):
    with pytest.raises(InterventionError, match="cannot be ablated"), \
            ablate(smollm2, "lm_head", 10):
        pass
    with pytest.raises(UnitIndexError), ablate(smollm2, MLP, 10**6):
        pass
    with pytest.raises(InterventionError, match="prompt"):
        direct_logit_effect(smollm2, HEAD, 3)
    with pytest.raises(InterventionError, match="no unembedding"):
        direct_logit_effect(minilm_model, "encoder.layer.2.intermediate", 3)
    from models.registry import get_model

    with pytest.raises(InterventionError, match="real LM"), \
            ablate(get_model("synthetic-text"), "single", 0):
        pass


def test_head_logit_effect_on_prompt(smollm2):
    effect = direct_logit_effect(smollm2, HEAD, 3, k=4, prompt=PROMPT)
    assert len(effect.promoted) == 4 and effect.promoted[0].weight > effect.suppressed[0].weight


def test_minilm_neuron_ablation_changes_hidden_state(minilm_model):
    batch = minilm_model.tokenize(["a small dog runs in the park"])

    def hidden() -> torch.Tensor:
        with torch.inference_mode():
            return minilm_model.net(**batch).last_hidden_state.clone()

    base = hidden()
    peak = minilm_model.record("encoder.layer.2.intermediate",
                               ["a small dog runs in the park"]).values()[0].argmax()
    with ablate(minilm_model, "encoder.layer.2.intermediate", int(peak)):
        assert (hidden() - base).abs().max() > 1e-4
    assert torch.equal(hidden(), base)
