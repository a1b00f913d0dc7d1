"""The app's configuration, read from the environment in this one place."""

from __future__ import annotations

import secrets
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AppSettings(BaseSettings):
    """Settings of the Gradio app.

    Attributes:
        runs: where the app writes and lists transcripts (env WORKBENCH_RUNS).
        concurrency: agent runs executed at once (env WORKBENCH_CONCURRENCY).
        queue_size: requests waiting at most; more get "queue is full, try again" at once
            (env WORKBENCH_QUEUE_SIZE).
        slot_wait: seconds a new run waits for a slot a stopping run is about to free
            (env WORKBENCH_SLOT_WAIT).
        corpus: the exemplar corpus runs use (env WORKBENCH_CORPUS): "default", or a folder
            of images / a text file.
        atlases: where the Atlas tab looks for atlases (folders with atlas.parquet; env
            WORKBENCH_ATLASES).
        studies: where the Studies tab looks for study reports (folders with report.md; env
            WORKBENCH_STUDIES).
        warm: load the offline models and build the exemplar caches of their example units
            in the background when the app starts, so a newcomer's first run is fast (env
            WORKBENCH_WARM=0 turns it off).
        session_secret: encrypts the owner id each browser keeps (env
            WORKBENCH_SESSION_SECRET; by default a new one per server start, which makes
            earlier runs private to nobody after a restart: set it on a persistent Space).
    """

    model_config = SettingsConfigDict(env_prefix="WORKBENCH_", env_ignore_empty=True,
                                      extra="ignore")

    runs: Path = Path("runs")
    concurrency: int = Field(2, ge=1, le=64)
    queue_size: int = Field(8, ge=1, le=1000)
    slot_wait: float = Field(10.0, ge=0, le=600)
    corpus: str = "default"
    warm: bool = True
    atlases: Path = Path("bench/results")
    studies: Path = Path("bench/results/studies")
    session_secret: str = Field(default_factory=lambda: secrets.token_hex(16))


def app_settings() -> AppSettings:
    """The current settings (read afresh, so a changed environment takes effect)."""
    return AppSettings()
