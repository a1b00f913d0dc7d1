"""Shared fixtures: real offline models, loaded once per test session."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image


@pytest.fixture(scope="session")
def efficientnet():
    from models.registry import get_model

    return get_model("efficientnet_lite0")


@pytest.fixture(scope="session")
def smollm2():
    from models.registry import get_model

    return get_model("smollm2-135m-instruct")


@pytest.fixture(scope="session")
def minilm_model():
    from models.registry import get_model

    return get_model("minilm-l6")


@pytest.fixture(scope="session")
def skimage_photos() -> dict[str, Image.Image]:
    from skimage import data

    return {name: Image.fromarray(getattr(data, name)()).convert("RGB")
            for name in ("chelsea", "coffee", "astronaut", "rocket")}


@pytest.fixture()
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)
