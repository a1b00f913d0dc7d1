"""The vision tools on real models: exemplars, unit calls, generation, edits, descriptions."""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from PIL import Image

from models.concepts.vision import vision_concept_maps
from models.recording import activations
from models.registry import get_model
from models.stimuli.images import random_scene, render, save_png
from tools import Limits, ToolContext, call_tool, list_tools

if importlib.util.find_spec("tools.text") is None:
    # the registry imports the text tools too; until they exist, an empty module stands in
    sys.modules["tools.text"] = types.ModuleType("tools.text")

EFFNET_UNIT = "efficientnet_lite0:blocks.5:10"
VISION_TOOLS = {"dataset_exemplars", "call_unit", "text2image", "edit_images", "describe_images",
                "summarize_images", "classify", "class_score"}


def synthetic_unit(layer: str, *concepts: str) -> str:
    """The address of the synthetic vision unit of `layer` with exactly these concepts."""
    specs = get_model("synthetic-vision").specs(layer)
    index = next(i for i, spec in enumerate(specs) if tuple(spec.concepts) == concepts)
    return f"synthetic-vision:{layer}:{index}"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    for i in range(40):
        save_png(render(random_scene(np.random.default_rng([11, i]))), folder / f"g{i:02d}.png")
    return folder


@pytest.fixture()
def ctx(tmp_path, corpus) -> ToolContext:
    return ToolContext(run_dir=tmp_path / "run", corpus=str(corpus))


def run(ctx: ToolContext, name: str, **arguments):
    observation = call_tool(name, "vision", arguments, ctx)
    assert observation.ok, observation.error
    return observation


def generate(ctx: ToolContext, *prompts: str) -> list[str]:
    return [row["id"] for row in run(ctx, "text2image", prompts=list(prompts)).data["images"]]


def unit_value(ctx: ToolContext, unit: str, images: list[str]) -> list[float]:
    return run(ctx, "call_unit", unit=unit, images=images).data["activations"]


# --------------------------------------------------------------------------- exemplars


@pytest.mark.parametrize("unit", [EFFNET_UNIT, synthetic_unit("single", "circle")])
def test_exemplars_sorted_with_masks(ctx, unit):
    obs = run(ctx, "dataset_exemplars", unit=unit, k=6)
    rows = obs.data["exemplars"]
    assert len(rows) == 6
    values = [r["value"] for r in rows]
    assert values == sorted(values, reverse=True)
    for row in rows:
        image = ctx.images.get(row["id"])
        assert row["mask_shape"] == [image.height, image.width]
        assert 0 < row["mask_coverage"] <= 1
        assert row["stimulus_id"].endswith(".png")
        assert row["id"] in obs.summary
    plots = [a for a in obs.artifacts if a.kind == "plot"]
    assert len(plots) == 1 and Path(plots[0].path).is_file()
    assert sum(a.kind == "image" for a in obs.artifacts) == 6


def test_exemplar_values_match_recording(ctx):
    obs = run(ctx, "dataset_exemplars", unit=EFFNET_UNIT, k=3)
    ids = [r["id"] for r in obs.data["exemplars"]]
    recorded = activations(EFFNET_UNIT, [ctx.images.get(i) for i in ids]).values
    np.testing.assert_allclose(recorded, [r["value"] for r in obs.data["exemplars"]], rtol=1e-4,
                               atol=1e-4)


# --------------------------------------------------------------------------- call_unit


def test_call_unit_matches_recording(ctx):
    refs = [*generate(ctx, "a red circle", "blue stripes"), "photo:coffee"]
    obs = run(ctx, "call_unit", unit=EFFNET_UNIT, images=refs)
    expected = activations(EFFNET_UNIT, [ctx.images.get(r) for r in refs]).values
    np.testing.assert_allclose([obs.data["values"][r] for r in refs], expected, rtol=1e-5)
    assert [a.kind for a in obs.artifacts] == ["plot", "plot"]
    assert all(Path(a.path).is_file() for a in obs.artifacts)


# --------------------------------------------------------------------------- text2image


def test_text2image_renders_what_the_prompt_names(ctx):
    obs = run(ctx, "text2image", prompts=["a red circle", "a dog"])
    first, second = obs.data["images"]
    maps = vision_concept_maps(["red", "circle"], [ctx.images.get(first["id"])])
    assert maps[0, 0].max() > 0.5 and maps[0, 1].max() > 0.5
    assert first["unrendered"] == []
    assert second["unrendered"] == ["dog"]
    assert "dog" in obs.summary and obs.data["unrendered"] == ["dog"]
    assert obs.data["backend"] == "procedural"


# --------------------------------------------------------------------------- edits


def test_removing_the_concept_silences_its_unit(ctx):
    (scene,) = generate(ctx, "a red circle and a blue square")
    obs = run(ctx, "edit_images", images=[scene], edits=["remove the circle"])
    edited = obs.data["pairs"][0]["id"]
    circle = synthetic_unit("single", "circle")
    before, after = unit_value(ctx, circle, [scene, edited])
    assert before > 0.5 and after < before - 0.5
    square = synthetic_unit("single", "square")
    assert unit_value(ctx, square, [edited])[0] > 0.5  # the rest of the scene is kept


def test_recolour_moves_colour_units(ctx):
    (scene,) = generate(ctx, "a red circle")
    edited = run(ctx, "edit_images", images=[scene],
                 edits=["make the circle blue"]).data["pairs"][0]["id"]
    red, blue = synthetic_unit("single", "red"), synthetic_unit("single", "blue")
    assert unit_value(ctx, red, [scene, edited]) == pytest.approx([1.0, 0.0], abs=0.2)
    assert unit_value(ctx, blue, [scene, edited]) == pytest.approx([0.0, 1.0], abs=0.2)


def test_add_and_background_edits(ctx):
    (scene,) = generate(ctx, "a red circle")
    obs = run(ctx, "edit_images", images=[scene],
              edits=["add a green star", "checkerboard background"])
    star_id, checker_id = (row["id"] for row in obs.data["pairs"])
    assert unit_value(ctx, synthetic_unit("single", "star"), [scene, star_id])[1] > 0.5
    checker = synthetic_unit("single", "checkerboard")
    before, after = unit_value(ctx, checker, [scene, checker_id])
    assert after > before + 0.5


def test_pixel_edits_on_a_photo(ctx):
    edits = ["crop left half", "crop center", "blur 3", "rotate 90", "scale 0.5", "grayscale",
             "flip"]
    obs = run(ctx, "edit_images", images=["photo:chelsea"], edits=edits)
    assert obs.data["applied"] == len(edits)
    photo = ctx.images.get("photo:chelsea")
    out = {row["edit"]: ctx.images.get(row["id"]) for row in obs.data["pairs"]}
    assert out["crop left half"].size == (round(photo.width / 2), photo.height)
    assert out["rotate 90"].size == photo.size
    gray = np.asarray(out["grayscale"])
    assert (gray[..., 0] == gray[..., 1]).all()
    np.testing.assert_array_equal(np.asarray(out["flip"]), np.asarray(photo)[:, ::-1])
    assert len([a for a in obs.artifacts if a.kind == "plot"]) == 1


def test_unappliable_edits_are_reported_per_pair(ctx):
    (scene,) = generate(ctx, "a red circle")
    obs = run(ctx, "edit_images", images=["photo:coffee", scene],
              edits=["make the circle blue", "remove the hexagon"])
    assert obs.data["applied"] == 0
    first, second = obs.data["pairs"]
    assert first["id"] is None and "scene spec" in first["error"]
    assert second["id"] is None and "no hexagon" in second["error"]
    assert "NOT APPLIED" in obs.summary


def test_edits_that_do_not_pair_are_an_error(ctx):
    obs = call_tool("edit_images", "vision", {"images": ["photo:coffee", "photo:chelsea"],
                                              "edits": ["flip", "blur", "grayscale"]}, ctx)
    assert not obs.ok and "pair" in obs.error


# --------------------------------------------------------------------------- descriptions


def test_describe_offline_is_labelled_and_names_the_class(ctx):
    (scene,) = generate(ctx, "a red circle on blue stripes")
    obs = run(ctx, "describe_images", images=["photo:coffee", scene])
    assert obs.data["offline"] is True
    assert "offline fallback, no vision-language model" in obs.summary
    assert obs.data["label"] == "offline fallback, no vision-language model"
    assert "espresso" in obs.data["descriptions"]["photo:coffee"]
    assert "red circle" in obs.data["descriptions"][scene]


def test_summarize_offline_finds_shared_elements(ctx):
    ids = generate(ctx, "a red circle", "a red circle on the left", "a red circle on dots")
    obs = run(ctx, "summarize_images", images=ids)
    assert obs.data["offline"] is True and "offline fallback" in obs.summary
    shared = {row["tag"]: row["count"] for row in obs.data["shared"]}
    assert shared["scene: red circle"] == 3


# --------------------------------------------------------------------------- classifier


def test_classify_and_class_score(ctx):
    obs = run(ctx, "classify", images=["photo:coffee", "photo:chelsea"], top=3)
    assert obs.data["classes"]["photo:coffee"][0]["class"] == "espresso"
    assert len(obs.data["classes"]["photo:chelsea"]) == 3
    score = run(ctx, "class_score", images=["photo:coffee", "photo:chelsea"],
                class_name="Espresso")
    assert score.data["probability"]["photo:coffee"] > 0.5 > score.data["probability"][
        "photo:chelsea"]
    assert score.data["rank"]["photo:coffee"] == 1
    bad = call_tool("class_score", "vision", {"images": ["photo:coffee"], "class_name": "cat"},
                    ctx)
    assert not bad.ok and "tiger cat" in bad.error


# --------------------------------------------------------------------------- schemas, errors


def test_every_vision_tool_schema_is_valid():
    specs = {spec.name: spec for spec in list_tools("vision")}
    assert VISION_TOOLS <= set(specs)
    for name in VISION_TOOLS:
        jsonschema.Draft202012Validator.check_schema(specs[name].parameters)
        assert specs[name].description
        for prop in specs[name].parameters["properties"].values():
            assert prop.get("description"), name


@pytest.mark.parametrize(("name", "arguments", "expected"), [
    ("call_unit", {"images": ["photo:coffee"]}, "unit"),
    ("call_unit", {"unit": EFFNET_UNIT, "images": "photo:coffee"}, "images"),
    ("call_unit", {"unit": EFFNET_UNIT, "images": ["img-9999"]}, "unknown image"),
    ("call_unit", {"unit": "efficientnet_lite0:nope:1", "images": ["photo:coffee"]}, "nope"),
    ("call_unit", {"unit": "synthetic-text:single:0", "images": ["photo:coffee"]}, "vision"),
    ("dataset_exemplars", {"unit": EFFNET_UNIT, "k": "many"}, "k"),
    ("text2image", {"prompts": []}, "prompts"),
    ("classify", {"images": ["photo:coffee"], "model": "synthetic-vision"}, "classifier"),
    ("describe_images", {"images": ["photo:nosuch"]}, "no photo"),
])
def test_malformed_calls_are_error_observations(ctx, name, arguments, expected):
    obs = call_tool(name, "vision", arguments, ctx)
    assert not obs.ok
    assert expected in obs.error


def test_limits_are_enforced(tmp_path, corpus):
    small = ToolContext(run_dir=tmp_path, corpus=str(corpus),
                        limits=Limits(max_images=2, max_generated=2, max_image_side=300,
                                      max_exemplars=4))
    too_many = call_tool("call_unit", "vision", {"unit": EFFNET_UNIT, "images": [
        "photo:coffee", "photo:chelsea", "photo:rocket"]}, small)
    assert not too_many.ok and "limit is 2" in too_many.error
    prompts = call_tool("text2image", "vision", {"prompts": ["a", "b", "c"]}, small)
    assert not prompts.ok and "at most 2" in prompts.error
    big = call_tool("classify", "vision", {"images": ["photo:coffee"]}, small)
    assert not big.ok and "300" in big.error
    exemplars = call_tool("dataset_exemplars", "vision", {"unit": EFFNET_UNIT, "k": 8}, small)
    assert not exemplars.ok and "limit of 4" in exemplars.error


def test_generated_images_keep_their_scene_through_the_store(ctx):
    (scene,) = generate(ctx, "a yellow star")
    image = ctx.images.get(scene)
    assert isinstance(image, Image.Image) and "scene_spec" in image.info


# --------------------------------------------------------------------------- backends


def test_configured_diffusers_model_without_gpu_falls_back_with_a_note(ctx, monkeypatch):
    monkeypatch.setenv("WORKBENCH_T2I_MODEL", "stabilityai/sdxl-turbo")
    obs = run(ctx, "text2image", prompts=["a red circle"])
    assert obs.data["backend"] == "procedural"
    assert "WORKBENCH_T2I_MODEL" in obs.data["note"] and "not used" in obs.summary


def test_explicitly_requested_unavailable_backend_is_an_error(tmp_path):
    strict = ToolContext(run_dir=tmp_path, backends={"editor": "diffusers:timbrooks/nope"})
    obs = call_tool("edit_images", "vision", {"images": ["photo:coffee"], "edits": ["flip"]},
                    strict)
    assert not obs.ok and "unavailable" in obs.error


def test_unreachable_vlm_is_an_error_that_hides_the_key(ctx, monkeypatch):
    monkeypatch.setenv("WORKBENCH_VLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("WORKBENCH_VLM_MODEL", "some-vlm")
    monkeypatch.setenv("WORKBENCH_VLM_API_KEY", "sk-very-secret")
    obs = call_tool("describe_images", "vision", {"images": ["photo:coffee"]}, ctx)
    assert not obs.ok and "some-vlm" in obs.error
    assert "sk-very-secret" not in str(obs.to_json())
