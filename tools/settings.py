"""The tools layer's configuration (optional model backends), read from the environment here.

Every key is a SecretStr: it is never printed, logged or written to a transcript, and it is
only sent to the endpoint configured beside it.
"""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ToolsSettings(BaseSettings):
    """Optional backends of the tools; unset means the offline implementation is used.

    Attributes:
        vlm_base_url, vlm_model, vlm_api_key: an OpenAI-compatible vision-language model for
            describe_images / summarize_images (key falls back to OPENAI_API_KEY).
        vlm_local: a transformers VLM hub id instead.
        t2i_model, edit_model: diffusers text-to-image and instruction-edit models.
        text_base_url, text_model, text_api_key: a text backbone for generate_texts and
            edit_texts (key falls back to OPENAI_API_KEY).
    """

    model_config = SettingsConfigDict(env_prefix="WORKBENCH_", env_ignore_empty=True,
                                      extra="ignore", populate_by_name=True)

    vlm_base_url: str | None = None
    vlm_model: str | None = None
    vlm_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("WORKBENCH_VLM_API_KEY", "OPENAI_API_KEY"))
    vlm_local: str | None = None
    t2i_model: str | None = None
    edit_model: str | None = None
    text_base_url: str | None = None
    text_model: str | None = None
    text_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("WORKBENCH_TEXT_API_KEY", "OPENAI_API_KEY"))


def tools_settings() -> ToolsSettings:
    """The current settings (read afresh, so a changed environment takes effect)."""
    return ToolsSettings()
