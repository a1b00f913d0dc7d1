"""The agent layer's configuration (the LLM backbone), read from the environment here.

The key is a SecretStr bound to the base URL configured beside it: `backbone_key_for`
releases it only for that endpoint, never for a URL typed by a user.
"""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class AgentSettings(BaseSettings):
    """Settings of the agent's LLM backbone.

    Attributes:
        base_url: the OpenAI-compatible endpoint (env WORKBENCH_BASE_URL; None: OpenAI's).
        model: the backbone model (env WORKBENCH_MODEL; None: the endpoint's first model).
        api_key: its key (env WORKBENCH_API_KEY, else OPENAI_API_KEY).
        retry_base_delay: first backoff delay in seconds (env WORKBENCH_RETRY_BASE_DELAY).
    """

    model_config = SettingsConfigDict(env_prefix="WORKBENCH_", env_ignore_empty=True,
                                      extra="ignore", populate_by_name=True)

    base_url: str | None = None
    model: str | None = None
    api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("WORKBENCH_API_KEY", "OPENAI_API_KEY"))
    retry_base_delay: float = 1.0


def agent_settings() -> AgentSettings:
    """The current settings (read afresh, so a changed environment takes effect)."""
    return AgentSettings()


def _same_endpoint(a: str | None, b: str | None) -> bool:
    def norm(url: str | None) -> str:
        return (url or "https://api.openai.com/v1").rstrip("/").lower()

    return norm(a) == norm(b)


def backbone_key_for(base_url: str | None, settings: AgentSettings | None = None) -> str | None:
    """The environment's key, only when `base_url` is the endpoint the environment configures.

    A user who points the agent at another URL must bring their own key: the server's key
    never travels to an endpoint it was not configured for.
    """
    settings = settings or agent_settings()
    if settings.api_key is None:
        return None
    if base_url is not None and not _same_endpoint(base_url, settings.base_url):
        return None
    return settings.api_key.get_secret_value()
