"""The experiment tools the agent calls: typed functions that return Observations."""

from tools.context import Limits, ToolContext, ToolError
from tools.observation import Artifact, Observation
from tools.registry import ToolSpec, call_tool, get_tool, list_tools, parse_result, tool
from tools.results import ToolResult

__all__ = ["Artifact", "Limits", "Observation", "ToolContext", "ToolError", "ToolSpec",
           "ToolResult",
           "call_tool", "get_tool", "list_tools", "parse_result", "tool"]
