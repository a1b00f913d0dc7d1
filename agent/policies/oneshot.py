"""The one-shot policy: a description from the unit's exemplars alone, in open words, without
experiments — the baseline every experimenting policy must beat, and the fast describer the
atlas uses for whole layers.

One round: the open evidence tool (`token_evidence` or `image_evidence`) reads the top
exemplars against the corpus's base rates; the answer is the strongest candidate it yields
(share x log lift), or, with `rank=True`, the candidate that best predicts the unit on the
exemplar split (`rank_descriptions`, one more call). Its confidence is capped at 0.5: nothing
here is causal.
"""

from __future__ import annotations

from typing import Any

from agent.policies.base import Policy, PolicyEnv, ToolCall, experiment_result, register_policy
from agent.policies.candidates import Candidate, image_candidates, text_candidates
from agent.policies.selection import confidence
from agent.state import AgentState, Hypothesis
from tools.description_fit import DescriptionFit
from tools.text_evidence import TokenEvidence
from tools.vision_evidence import ImageEvidence

#: Without a causal experiment, no answer claims more than this.
MAX_CONFIDENCE = 0.5


@register_policy("oneshot")
class OneShotPolicy(Policy):
    """A description of the unit's exemplars in open words, without experiments.

    Args:
        rank: choose among the candidates by their fit on the exemplar split (one more call)
            instead of by evidence strength.
    """

    order = 5

    def __init__(self, rank: bool = False) -> None:
        self.rank = rank

    def config(self) -> dict[str, Any]:
        return {"policy": self.name, "rank": self.rank}

    def hypothesize(self, state: AgentState, env: PolicyEnv) -> list[Hypothesis]:
        ps = env.policy_state
        if state["round"] == 1:
            return []
        if "candidates" in ps and "proposed" not in ps:
            ps["proposed"] = True
            return [Hypothesis(id=c.id, statement=c.description, status="open",
                               confidence=0.3, note=c.why) for c in ps["candidates"]]
        return []

    def plan(self, state: AgentState, env: PolicyEnv) -> list[ToolCall]:
        ps = env.policy_state
        if state["subject_kind"] != "unit":
            return []
        if state["round"] == 1:
            tool = "token_evidence" if state["modality"] == "text" else "image_evidence"
            return [ToolCall(tool, {"unit": state["subject"]},
                             "what the top exemplars share against the corpus's base rates",
                             [])]
        if self.rank and len(ps.get("candidates", [])) >= 2 and "fits" not in ps:
            return [ToolCall("rank_descriptions",
                             {"unit": state["subject"],
                              "descriptions": [c.description for c in ps["candidates"]]},
                             "which candidate predicts the unit best on the exemplar split",
                             [c.id for c in ps["candidates"]])]
        return []

    def observe(self, state: AgentState, new_experiments: list[dict], env: PolicyEnv) -> None:
        ps = env.policy_state
        for exp in new_experiments:
            result = experiment_result(exp, state["modality"])
            if isinstance(result, TokenEvidence):
                ps["candidates"] = text_candidates(result.to_json())
            elif isinstance(result, ImageEvidence):
                ps["candidates"] = image_candidates(result.to_json())
            elif isinstance(result, DescriptionFit):
                fits = {f.description: f.score for f in result.fits}
                for c in ps.get("candidates", []):
                    c.fit = fits.get(c.description)
                ps["fits"] = exp["id"]
            if result is not None:
                ps.setdefault("experiments", []).append(exp["id"])
            if exp.get("error"):
                ps["error"] = exp["error"]

    def revise(self, state: AgentState, env: PolicyEnv) -> list[Hypothesis]:
        ps = env.policy_state
        if not ps.get("proposed"):
            return []
        chosen = self._chosen(ps)
        return [Hypothesis(id=c.id, status="supported" if c is chosen else "inconclusive",
                           confidence=self._confidence(c) if c is chosen else 0.1)
                for c in ps.get("candidates", [])]

    def should_conclude(self, state: AgentState, env: PolicyEnv) -> bool:
        ps = env.policy_state
        if state["subject_kind"] != "unit" or ps.get("error"):
            return True
        if state["round"] == 1:
            return not ps.get("candidates")
        return not self.rank or "fits" in ps or len(ps.get("candidates", [])) < 2

    def _chosen(self, ps: dict[str, Any]) -> Candidate | None:
        candidates = ps.get("candidates", [])
        if not candidates:
            return None
        if any(c.fit is not None for c in candidates):
            return max(candidates, key=lambda c: c.fit if c.fit is not None else -9)
        return max(candidates, key=lambda c: c.strength)

    def _confidence(self, c: Candidate) -> float:
        return min(MAX_CONFIDENCE, confidence(c, None))

    def conclude(self, state: AgentState, env: PolicyEnv, reason: str) -> dict[str, Any]:
        ps = env.policy_state
        if state["subject_kind"] != "unit":
            return {"description": "the one-shot policy describes single units; ask the "
                    "systematic policy about a whole model", "label": "unanswerable",
                    "confidence": 0.0, "evidence": []}
        chosen = self._chosen(ps)
        if chosen is None:
            why = ps.get("error") or "nothing is over-represented among its top exemplars"
            return {"description": f"no description from the exemplars: {why}",
                    "label": "undetermined", "confidence": 0.0, "evidence": []}
        evidence = [{"experiment": ",".join(ps.get("experiments", [])), "finding": chosen.why,
                     "numbers": {"strength (share x log lift)": chosen.strength,
                                 **({"fit on the exemplar split": round(chosen.fit, 3)}
                                    if chosen.fit is not None else {})}}]
        return {"description": f"fires on {chosen.description}", "label": chosen.label,
                "confidence": self._confidence(chosen), "concepts": [],
                "composition": "open", "evidence": evidence}


def oneshot_description(address: str, modality: str, corpus: str = "default") -> str:
    """The one-shot baseline's description of a unit without an agent run: the evidence tool's
    strongest open candidate (what `OneShotPolicy()` answers), for the benchmark's control.

    Raises:
        ToolError: the evidence tool failed (its message says why).
    """
    import tempfile

    from tools.context import ToolContext, ToolError
    from tools.registry import call_tool

    tool = "token_evidence" if modality == "text" else "image_evidence"
    with tempfile.TemporaryDirectory(prefix="oneshot-") as run_dir:
        observation = call_tool(tool, modality, {"unit": address},
                                ToolContext(run_dir, corpus=corpus))
    if observation.error:
        raise ToolError(observation.error)
    evidence = observation.result.to_json()
    found = text_candidates(evidence) if modality == "text" else image_candidates(evidence)
    if not found:
        return "no description from the exemplars: nothing is over-represented among them"
    return f"fires on {max(found, key=lambda c: c.strength).description}"
