"""Tests of the pixel-based vision concept detectors and the synthetic vision units."""

from __future__ import annotations

import time
from collections import Counter

import numpy as np
import pytest
from PIL import Image

from models.concepts.vision import VISION_CONCEPTS, vision_concept_maps
from models.errors import ModelsError
from models.stimuli import images as gen
from models.stimuli.photos import natural_photos
from models.synthetic.vision_units import VISION_UNITS, probe_images, unit_values

#: Seeds never used while the detectors were tuned.
FRESH_SEED = 880_000


def _auc(positives: np.ndarray, negatives: np.ndarray) -> float:
    pos, neg = positives[:, None], negatives[None, :]
    return float((pos > neg).mean() + 0.5 * (pos == neg).mean())


def _values(spec, images):
    return unit_values(spec, images)


def test_unit_inventory_covers_every_composition():
    counts = Counter(u.composition for u in VISION_UNITS)
    assert len(VISION_UNITS) >= 44
    assert counts["single"] >= 20 and counts["or"] >= 8
    assert counts["and"] >= 8 and counts["and_not"] >= 8
    assert len({u.id for u in VISION_UNITS}) == len(VISION_UNITS)
    for unit in VISION_UNITS:
        assert unit.modality == "vision" and unit.label and unit.description.startswith("fires")
        assert all(c in VISION_CONCEPTS for c in unit.concepts)


@pytest.mark.parametrize("index", range(len(VISION_UNITS)), ids=[u.id for u in VISION_UNITS])
def test_unit_separates_fresh_positives_from_controls(index):
    spec = VISION_UNITS[index]
    positives = probe_images(spec, 16, FRESH_SEED + 2 * index, positive=True)
    negatives = probe_images(spec, 16, FRESH_SEED + 2 * index + 1, positive=False)
    assert _auc(_values(spec, positives), _values(spec, negatives)) >= 0.95


def test_maps_have_the_contract_shape_and_range_on_photos_and_scenes():
    photos = list(natural_photos().values())
    scenes = [gen.render(gen.random_scene(np.random.default_rng(FRESH_SEED + k))) for k in range(3)]
    gray = Image.new("L", (64, 48), 90)
    maps = vision_concept_maps(list(VISION_CONCEPTS), [*photos, *scenes, gray])
    assert maps.shape == (len(photos) + 4, len(VISION_CONCEPTS), 28, 28)
    assert maps.dtype == np.float32
    assert np.isfinite(maps).all() and maps.min() >= 0.0 and maps.max() <= 1.0


def test_detectors_read_pixels_not_the_attached_spec():
    rng = np.random.default_rng(FRESH_SEED + 999)
    image = gen.render(gen.scene_with(["red", "circle", "text"], [], rng))
    stripped = Image.fromarray(np.asarray(image))
    assert "scene_spec" not in stripped.info
    for spec in VISION_UNITS:
        assert unit_values(spec, [image])[0] == unit_values(spec, [stripped])[0]
    # a lying spec changes nothing either
    liar = image.copy()
    liar.info["scene_spec"] = gen.SceneSpec().to_json()
    assert np.array_equal(
        vision_concept_maps(list(VISION_CONCEPTS), [liar]),
        vision_concept_maps(list(VISION_CONCEPTS), [image]),
    )


def test_shape_detector_fires_on_each_drawn_shape():
    for shape in gen.SHAPES:
        spec = gen.SceneSpec(objects=[gen.ObjectSpec(shape=shape, colour="blue", x=0.5, y=0.5)])
        maps = vision_concept_maps(list(gen.SHAPES), [gen.render(spec)])[0]
        best = gen.SHAPES[int(maps.max(axis=(1, 2)).argmax())]
        assert best == shape


def test_units_of_one_concept_stay_under_fifteen_ms_per_image():
    images = [
        gen.render(gen.random_scene(np.random.default_rng(FRESH_SEED + 50 + k))) for k in range(20)
    ]
    spec = next(u for u in VISION_UNITS if u.id == "and_triangle_horizontal_stripes")
    start = time.perf_counter()
    unit_values(spec, images)
    assert (time.perf_counter() - start) / len(images) <= 0.015


def test_unknown_concept_is_an_error_listing_valid_ones():
    with pytest.raises(ModelsError, match="valid"):
        vision_concept_maps(["dog_classes"], [Image.new("RGB", (32, 32))])
