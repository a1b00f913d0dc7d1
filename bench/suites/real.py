"""The real-model suites: units of EfficientNet-Lite0 and SmolLM2 (no ground truth)."""

from __future__ import annotations

from bench.suites.base import Suite, SuiteUnit, register_suite

#: Layers of the real models that the real suites sample, and the unit indices taken in each.
REAL_VISION_LAYERS = ("blocks.2", "blocks.3", "blocks.4", "blocks.5")


REAL_TEXT_LAYERS = ("model.layers.3.mlp", "model.layers.10.mlp", "model.layers.17.mlp",
                    "model.layers.24.mlp")


#: 12 units per layer, 48 per suite (the first three are the first version's; the rest fixed once,
#: below the narrowest layer's 40 channels).
REAL_INDICES = (3, 11, 29, 0, 7, 15, 19, 21, 25, 33, 36, 38)


def _real_suite(model: str, modality: str, layers: tuple[str, ...], name: str) -> Suite:
    # index-major: the first N units of a suite (`bench run --limit N`) span every layer
    units = [SuiteUnit(f"{model}:{layer}:{index}", modality)
             for index in REAL_INDICES for layer in layers]
    return Suite(name, modality, units)


@register_suite("real-vision")
def real_vision() -> Suite:
    return _real_suite("efficientnet_lite0", "vision", REAL_VISION_LAYERS, "real-vision")


@register_suite("real-text")
def real_text() -> Suite:
    return _real_suite("smollm2-135m-instruct", "text", REAL_TEXT_LAYERS, "real-text")
