"""The plotting helpers: grids, overlays, masks and bar charts as fast PIL images."""

from __future__ import annotations

import numpy as np
from PIL import Image

from tools import plots


def test_colormap_lut_is_256_rgb_rows():
    lut = plots.colormap_lut()
    assert lut.shape == (256, 3) and lut.dtype == np.uint8
    assert lut[0].sum() < lut[-1].sum()  # inferno runs dark to bright


def test_heat_overlay_fits_the_image_and_brightens_the_hot_spot():
    image = Image.new("RGB", (300, 200), (0, 0, 0))
    unit_map = np.zeros((7, 7), np.float32)
    unit_map[3, 3] = 1.0
    overlay = plots.heat_overlay(image, unit_map, 0.0, 1.0, side=150)
    assert overlay.size == (150, 100)
    pixels = np.asarray(overlay).sum(-1)
    assert pixels[50, 75] > pixels[5, 5]


def test_mask_dims_outside_only():
    image = Image.new("RGB", (10, 10), (200, 200, 200))
    mask = np.zeros((10, 10), bool)
    mask[:5] = True
    out = np.asarray(plots.masked(image, mask))
    assert out[0, 0, 0] == 200 and out[9, 0, 0] == int(200 * plots.DIM)


def test_grid_and_pairs_layout():
    images = [Image.new("RGB", (64, 32), (i * 20, 0, 0)) for i in range(5)]
    canvas = plots.grid(images, [f"t{i}" for i in range(5)], columns=3, cell=40)
    step_y = 40 + plots.TITLE_HEIGHT + plots.PAD
    assert canvas.size == (3 * (40 + plots.PAD) + plots.PAD, 2 * step_y + plots.PAD)
    pairs = plots.pairs_grid([(images[0], None, "a", "failed"), (images[1], images[2], "b", "c")],
                             cell=40)
    assert pairs.width == 2 * (40 + plots.PAD) + plots.PAD


def test_bar_chart_handles_negative_values(tmp_path):
    chart = plots.bar_chart(["a", "b", "c"], [1.5, -0.5, 0.0], title="values")
    assert chart.height > 3 * 18
    path = plots.save_png(chart, tmp_path / "sub" / "bar.png")
    assert Image.open(path).size == chart.size


def test_histogram_renders():
    image = plots.histogram(np.random.default_rng(0).normal(size=200), "h", marks={"q99": 2.3})
    assert image.mode == "RGB" and image.width > 100
