"""The app's configuration, read from the environment in this one place."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AppSettings(BaseSettings):
    """Settings of the Gradio app.

    Attributes:
        runs: where the app writes and lists transcripts (env WORKBENCH_RUNS).
        concurrency: agent runs executed at once (env WORKBENCH_CONCURRENCY).
    """

    model_config = SettingsConfigDict(env_prefix="WORKBENCH_", env_ignore_empty=True,
                                      extra="ignore")

    runs: Path = Path("runs")
    concurrency: int = Field(2, ge=1, le=64)


def app_settings() -> AppSettings:
    """The current settings (read afresh, so a changed environment takes effect)."""
    return AppSettings()
