"""The models layer's configuration, read from the environment in this one place."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ModelsSettings(BaseSettings):
    """Settings of the models layer.

    Attributes:
        cache: converted weights, exemplar caches, corpora, SAEs and variants
            (env WORKBENCH_CACHE).
    """

    model_config = SettingsConfigDict(env_prefix="WORKBENCH_", env_ignore_empty=True,
                                      extra="ignore")

    cache: Path = Field(default_factory=lambda: Path.home() / ".cache" / "interp-workbench")


def models_settings() -> ModelsSettings:
    """The current settings (read afresh, so a changed environment takes effect)."""
    return ModelsSettings()
