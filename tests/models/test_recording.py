"""activations(): batched equals single, hooks never leak, bad stimuli get clear errors."""

import io

import numpy as np
import pytest
import torch
from PIL import Image

from models.errors import StimulusError
from models.recording import activations

TEXTS = ["The cat sat on the mat.", "Prices rose 4% in 2023", "def f(x): return x",
         "Hello", "Paris is the capital of France, and Rome is the capital of Italy."]


def _hook_count(net: torch.nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in net.modules())


def test_vision_batched_equals_single(efficientnet, skimage_photos):
    images = list(skimage_photos.values())
    unit = "efficientnet_lite0:blocks.4:17"
    batched = activations(unit, images)
    singles = [activations(unit, [image]) for image in images]
    for i, single in enumerate(singles):
        np.testing.assert_allclose(single.values[0], batched.values[i], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(single.maps[0], batched.maps[i], rtol=1e-5, atol=1e-5)
    assert batched.maps[0].shape == (14, 14)
    assert batched.values[0] == pytest.approx(batched.maps[0].max())


def test_text_batched_equals_single_despite_padding(smollm2):
    unit = "smollm2-135m-instruct:model.layers.5.mlp:100"
    batched = activations(unit, TEXTS)
    for i, text in enumerate(TEXTS):
        single = activations(unit, [text])
        assert single.tokens[0] == batched.tokens[i]
        np.testing.assert_allclose(single.maps[0], batched.maps[i], rtol=1e-4, atol=1e-5)
        assert len(batched.maps[i]) == len(batched.tokens[i])


@pytest.mark.parametrize("layer,index", [("model.layers.2.self_attn", 4), ("model.layers.7", 33),
                                         ("lm_head", 1000)])
def test_every_text_unit_kind_records_per_token(smollm2, layer, index):
    result = activations(f"smollm2-135m-instruct:{layer}:{index}", TEXTS[:2])
    assert [len(m) for m in result.maps] == [len(t) for t in result.tokens]
    assert np.isfinite(result.values).all()
    assert result.values[0] == pytest.approx(result.maps[0].max())


def test_head_norm_is_nonnegative_and_varies_by_head(smollm2):
    a = activations("smollm2-135m-instruct:model.layers.2.self_attn:0", TEXTS)
    b = activations("smollm2-135m-instruct:model.layers.2.self_attn:5", TEXTS)
    assert (a.values >= 0).all() and not np.allclose(a.values, b.values)


def test_logit_unit_matches_the_models_own_logits(smollm2):
    text = "The capital of France is"
    token = smollm2.tokenizer(" Paris").input_ids[0]
    result = activations(f"smollm2-135m-instruct:lm_head:{token}", [text])
    with torch.inference_mode():
        logits = smollm2.net(**smollm2.tokenizer(text, return_tensors="pt")).logits
    assert result.maps[0][-1] == pytest.approx(float(logits[0, -1, token]), rel=1e-4)


def test_class_logit_unit_matches_classifier_output(efficientnet, skimage_photos):
    espresso = efficientnet.class_names.index("espresso")
    result = activations(f"efficientnet_lite0:classifier:{espresso}", [skimage_photos["coffee"]])
    with torch.inference_mode():
        logits = efficientnet.net(efficientnet.preprocess([skimage_photos["coffee"]]))
    assert result.values[0] == pytest.approx(float(logits[0, espresso]), rel=1e-4)


def test_hooks_removed_after_an_error_mid_forward(efficientnet, skimage_photos):
    before = _hook_count(efficientnet.net)

    def explode(*_):
        raise RuntimeError("fault injected into the forward pass")

    # a fault in a module that runs before the recorded layer, so the capture hook is live
    handle = efficientnet.net.get_submodule("blocks.2").register_forward_hook(explode)
    try:
        with pytest.raises(RuntimeError, match="fault injected"):
            activations("efficientnet_lite0:blocks.4:0", [skimage_photos["chelsea"]])
    finally:
        handle.remove()
    assert _hook_count(efficientnet.net) == before
    after = activations("efficientnet_lite0:blocks.4:0", [skimage_photos["chelsea"]])
    assert np.isfinite(after.values).all()


def test_hooks_removed_after_success(smollm2):
    before = _hook_count(smollm2.net)
    activations("smollm2-135m-instruct:model.layers.3.mlp:1", ["hi there"])
    assert _hook_count(smollm2.net) == before


def test_early_stop_gives_same_values_as_full_forward(efficientnet, skimage_photos):
    from models.hooks import HookPoint, capture

    pixels = efficientnet.preprocess([skimage_photos["rocket"]])
    with torch.inference_mode(), capture(efficientnet.net, HookPoint("blocks.3"), stop=False) as s:
        efficientnet.net(pixels)
    full = s["value"][0, 5].max().item()
    assert activations("efficientnet_lite0:blocks.3:5", [skimage_photos["rocket"]]).values[0] == (
        pytest.approx(full, rel=1e-5))


def test_corrupt_image_gets_a_clear_error(efficientnet, tmp_path, skimage_photos):
    buffer = io.BytesIO()
    skimage_photos["chelsea"].save(buffer, format="PNG")
    broken = tmp_path / "broken.png"
    broken.write_bytes(buffer.getvalue()[:300])
    with pytest.raises(StimulusError, match="not a readable image"):
        activations("efficientnet_lite0:blocks.4:0", [str(broken)])


def test_huge_image_is_refused_before_decoding(efficientnet, tmp_path):
    path = tmp_path / "huge.png"
    Image.new("RGB", (5000, 5000)).save(path)
    with pytest.raises(StimulusError, match="larger than the limit"):
        activations("efficientnet_lite0:blocks.4:0", [str(path)])


def test_text_given_to_a_vision_model_is_refused(efficientnet):
    with pytest.raises(StimulusError, match="vision model"):
        activations("efficientnet_lite0:blocks.4:0", ["a photo of a cat"])


def test_image_given_to_a_text_model_is_refused(smollm2, skimage_photos):
    with pytest.raises(StimulusError, match="takes strings"):
        activations("smollm2-135m-instruct:model.layers.3.mlp:0", [skimage_photos["coffee"]])


@pytest.mark.parametrize("texts,match", [([], "at least one"), (["  "], "empty text"),
                                         (["x" * 5000], "over the limit")])
def test_bad_texts_are_refused(smollm2, texts, match):
    with pytest.raises(StimulusError, match=match):
        activations("smollm2-135m-instruct:model.layers.3.mlp:0", texts)


def test_missing_image_file_is_named(efficientnet, tmp_path):
    with pytest.raises(StimulusError, match="no image file"):
        activations("efficientnet_lite0:blocks.4:0", [str(tmp_path / "nope.png")])


def test_wrong_array_shape_is_refused(efficientnet):
    with pytest.raises(StimulusError, match="HxWx3 uint8"):
        activations("efficientnet_lite0:blocks.4:0", [np.zeros((10, 10), dtype=np.float32)])


def test_shared_layer_recordings_equal_one_unit_recordings(smollm2, efficientnet, skimage_photos):
    """A whole-layer recording reused across units reads each unit exactly as its own pass."""
    from models import recording

    images = list(skimage_photos.values())[:6]
    for units, stimuli in ((["smollm2-135m-instruct:model.layers.12.mlp:300",
                            "smollm2-135m-instruct:model.layers.12.mlp:7"], TEXTS),
                           (["efficientnet_lite0:blocks.4:17", "efficientnet_lite0:blocks.4:3"],
                            images)):
        for unit in units:
            own = activations(unit, stimuli)
            shared = recording.shared_activations(unit, stimuli, key="test-set")
            np.testing.assert_allclose(shared.values, own.values, rtol=1e-5, atol=1e-5)
            for a, b in zip(shared.maps, own.maps, strict=True):
                np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
            np.testing.assert_allclose(recording.shared_values(unit, stimuli, key="test-set"),
                                       own.values, rtol=1e-5, atol=1e-5)
    # the second unit of a layer reused the first unit's recording rather than recording again
    assert sum(1 for slot in recording._SHARED if slot[2] == "test-set") <= recording.SHARED_KEEP
