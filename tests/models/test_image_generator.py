"""Tests of the procedural image generator and the natural-photo loaders."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from models.errors import ModelsError, StimulusError
from models.stimuli import images as gen
from models.stimuli.photos import images_from_folder, natural_photos


def _colour_names(image: Image.Image) -> set[str]:
    index = gen.colour_index(np.asarray(image))
    return {gen.COLOUR_NAMES[i] for i in np.unique(index) if i >= 0}


def test_render_is_deterministic_for_a_seed():
    first = gen.render(gen.random_scene(np.random.default_rng(11)))
    second = gen.render(gen.random_scene(np.random.default_rng(11)))
    assert first.info["scene_spec"] == second.info["scene_spec"]
    assert np.array_equal(np.asarray(first), np.asarray(second))


def test_render_returns_rgb_of_requested_size_carrying_its_spec():
    spec = gen.scene_with(["noise", "star"], [], np.random.default_rng(3))
    image = gen.render(spec, size=160)
    assert image.mode == "RGB" and image.size == (160, 160)
    assert gen.SceneSpec.from_json(image.info["scene_spec"]) == spec


def test_spec_survives_a_png_on_disk(tmp_path):
    spec = gen.scene_with(["text", "checkerboard", "ring"], [], np.random.default_rng(4))
    image = gen.render(spec)
    path = gen.save_png(image, tmp_path / "scene.png")
    assert gen.read_spec(path) == spec
    assert np.array_equal(np.asarray(Image.open(path).convert("RGB")), np.asarray(image))
    assert gen.read_spec(image) == spec


def test_read_spec_of_an_image_without_spec_is_none(tmp_path):
    path = tmp_path / "plain.png"
    Image.new("RGB", (20, 20), "red").save(path)
    assert gen.read_spec(path) is None


def test_from_json_rejects_non_specs():
    with pytest.raises(ModelsError):
        gen.SceneSpec.from_json('{"objects": [{"colour": "red"}]}')


def test_render_rejects_unknown_names():
    spec = gen.SceneSpec(objects=[gen.ObjectSpec(shape="dog", colour="red", x=0.5, y=0.5)])
    with pytest.raises(ModelsError, match="unknown shape"):
        gen.render(spec)


def test_spec_from_words_renders_named_things_and_reports_the_rest():
    spec, unrenderable = gen.spec_from_words(["a red circle on stripes with a dog"])
    assert unrenderable == ["dog"]
    assert spec.background.kind == "horizontal_stripes"
    assert [(o.shape, o.colour) for o in spec.objects] == [("circle", "red")]
    assert "red" in _colour_names(gen.render(spec))


def test_spec_from_words_handles_directions_text_and_counts():
    spec, unrenderable = gen.spec_from_words(
        ["many", "blue", "squares", "on", "vertical", "stripes", "with", "text", "unicorn"]
    )
    assert unrenderable == ["unicorn"]
    assert spec.background.kind == "vertical_stripes"
    assert len(spec.objects) >= 5 and all(o.shape == "square" for o in spec.objects)
    assert spec.texts


@pytest.mark.parametrize("seed", range(6))
def test_scene_with_honours_include_and_exclude(seed):
    rng = np.random.default_rng(500 + seed)
    vocab = gen.GENERATOR_VOCABULARY
    colour, shape = (
        rng.choice(vocab["colour"], 2, replace=False),
        rng.choice(vocab["shape"], 2, replace=False),
    )
    pattern = rng.choice(vocab["pattern"], 2, replace=False)
    include = [str(colour[0]), str(shape[0]), str(pattern[0]), "left", "text"]
    exclude = [str(colour[1]), str(shape[1]), str(pattern[1]), "right", "many_objects"]
    spec = gen.scene_with(include, exclude, rng)
    target = spec.objects[0]
    assert (target.colour, target.shape) == (colour[0], shape[0])
    assert target.x + target.size <= 0.4
    assert spec.background.kind == pattern[0]
    assert spec.texts and len(spec.objects) <= 3
    assert all(o.shape != shape[1] and o.x + o.size <= 0.5 for o in spec.objects)
    assert colour[1] not in _colour_names(gen.render(spec))
    assert colour[0] in _colour_names(gen.render(spec))


def test_scene_with_others_exclude_keeps_the_concept_to_the_bound_object():
    for seed in range(5):
        spec = gen.scene_with(
            ["red", "circle"], [], np.random.default_rng(seed), others_exclude=["red"]
        )
        reds = [o for o in spec.objects if o.colour == "red"]
        assert len(reds) == 1 and reds[0].shape == "circle"
        assert "red" not in gen.background_colours(spec.background)


def test_scene_with_rejects_contradictions():
    rng = np.random.default_rng(0)
    with pytest.raises(ModelsError, match="both included and excluded"):
        gen.scene_with(["red"], ["red"], rng)
    with pytest.raises(ModelsError, match="unknown concept"):
        gen.scene_with(["dog"], [], rng)
    with pytest.raises(ModelsError, match="one background pattern"):
        gen.scene_with(["dots", "grid"], [], rng)


def test_natural_photos_load_offline_as_rgb():
    photos = natural_photos()
    assert {"astronaut", "chelsea", "coffee", "camera"} <= set(photos)
    assert all(p.mode == "RGB" for p in photos.values())


def test_images_from_folder_reads_sorted_images_and_skips_others(tmp_path):
    for name, colour in (("b.png", "blue"), ("a.png", "red")):
        Image.new("RGB", (16, 16), colour).save(tmp_path / name)
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "broken.png").write_bytes(b"not a png")
    images = images_from_folder(tmp_path)
    assert [im.getpixel((0, 0)) for im in images] == [(255, 0, 0), (0, 0, 255)]
    assert len(images_from_folder(tmp_path, limit=1)) == 1


def test_images_from_folder_without_images_says_so(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(StimulusError, match="no readable image"):
        images_from_folder(tmp_path)
