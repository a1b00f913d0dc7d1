"""The ground-truth judge as a protocol: does the description name the unit's true concepts
and composition? (Only for suites with ground truth.)"""

from __future__ import annotations

from typing import Any

from bench.judge import judge
from bench.protocols.base import Metric, ScoringContext, ScoringProtocol, register_protocol


@register_protocol
class GroundTruth(ScoringProtocol):
    """The offline judge (and an LLM judge when one is configured or asked for)."""

    name = "judge"
    order = 0
    needs_ground_truth = True
    needs_model = False
    metrics = (Metric("accuracy", "correct", "GT accuracy"),)

    def score(self, description: str, context: ScoringContext) -> dict[str, Any]:
        assert context.truth is not None
        return judge(description, context.truth, use_llm=context.options.get("use_llm"))
