"""The experiment tools the agent calls: typed functions that return Observations."""

from tools.context import Limits, ToolContext, ToolError
from tools.observation import Artifact, Observation
from tools.registry import Range, ToolSpec, call_tool, get_tool, list_tools, tool

__all__ = ["Artifact", "Limits", "Observation", "Range", "ToolContext", "ToolError", "ToolSpec",
           "call_tool", "get_tool", "list_tools", "tool"]
