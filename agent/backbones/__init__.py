"""Backbones: the chat models LLM policies talk to (one interface, several transports)."""

from agent.backbones.base import (
    Backbone,
    BackboneError,
    BackboneUnavailable,
    ChatReply,
    ToolCallRequest,
    ToolsUnsupported,
)

__all__ = ["Backbone", "BackboneError", "BackboneUnavailable", "ChatReply", "ToolCallRequest",
           "ToolsUnsupported"]
