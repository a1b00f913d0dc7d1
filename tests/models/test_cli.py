"""`python -m models`: list, layers, probe, concepts, exemplars, as a user runs them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "models", *args], capture_output=True,
                          text=True, cwd=ROOT, env=environment, timeout=300)


def test_list_json_has_every_model_with_availability():
    out = run("list", "--json")
    assert out.returncode == 0, out.stderr
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    assert rows["efficientnet_lite0"] == {**rows["efficientnet_lite0"], "modality": "vision",
                                          "available": True}
    assert rows["smollm2-135m-instruct"]["modality"] == "text"
    assert all(set(r) >= {"name", "modality", "available"} for r in rows.values())


def test_layers_json_lists_layer_kind_and_units():
    out = run("layers", "efficientnet_lite0", "--json")
    rows = {r["layer"]: r for r in json.loads(out.stdout)}
    assert rows["blocks.4"]["kind"] == "conv_channel" and rows["blocks.4"]["units"] == 112


def test_layers_of_synthetic_model_are_listed_like_a_real_model():
    rows = json.loads(run("layers", "synthetic-vision", "--json").stdout)
    assert {r["layer"] for r in rows} == {"single", "or", "and", "and_not", "composed",
                                          "hidden", "unseen", "blind"}
    assert sum(r["units"] for r in rows) >= 40


def test_probe_images_prints_one_number_per_stimulus(tmp_path, skimage_photos):
    paths = []
    for name in ("chelsea", "coffee"):
        path = tmp_path / f"{name}.png"
        skimage_photos[name].save(path)
        paths.append(str(path))
    out = run("probe", "efficientnet_lite0:classifier:967", *paths, "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["unit"] == "efficientnet_lite0:classifier:967"  # 967 = espresso
    assert len(data["activations"]) == 2 and data["activations"][1] > data["activations"][0]


def test_probe_texts_with_text_flag():
    out = run("probe", "smollm2-135m-instruct:model.layers.3.mlp:42", "hello", "the cat",
              "--text", "--json")
    assert out.returncode == 0, out.stderr
    assert len(json.loads(out.stdout)["activations"]) == 2


@pytest.mark.parametrize("args,needle", [
    (("probe", "nope:x:0", "a.png"), "unknown model"),
    (("probe", "efficientnet_lite0:blocks.4:500", "a.png"), "valid indices 0..111"),
    (("probe", "smollm2-135m-instruct:model.layers.3.mlp:1", "hi"), "add --text"),
    (("probe", "efficientnet_lite0:blocks.4:1", "hi", "--text"), "vision model"),
    (("layers", "gpt2"), "offline models that load here"),
])
def test_bad_requests_exit_2_with_a_clear_message(args, needle):
    out = run(*args, env={"HF_HUB_OFFLINE": "1"})
    assert out.returncode == 2
    assert needle in out.stderr and "Traceback" not in out.stderr


def test_concepts_json_lists_both_vocabularies():
    data = json.loads(run("concepts", "--json").stdout)
    modalities = {c["modality"] for c in data["concepts"]}
    assert modalities == {"vision", "text"}
    assert set(data["compositions"]) == {"single", "or", "and", "and_not"}
    names = {c["name"] for c in data["concepts"] if c["modality"] == "vision"}
    assert {"red", "circle"} <= names
