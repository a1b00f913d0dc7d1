"""An LLM judge over the agent's configured backbone (agent.settings), when there is one."""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

from agent.settings import agent_settings
from models.synthetic.base import SyntheticUnitSpec


def llm_configured() -> bool:
    """Whether an OpenAI-compatible backbone is configured (WORKBENCH_MODEL and a key or URL)."""
    settings = agent_settings()
    return bool(settings.model and (settings.base_url or settings.api_key))


_LLM_PROMPT = """You grade descriptions of neurons against ground truth.
Ground truth: {truth}
Ground-truth concepts: {concepts}; composition: {composition}
Candidate description: {candidate}
The candidate is right when it names the same concepts (synonyms are fine) and the same way of
combining them (single concept; OR: either; AND: only together; AND-NOT: the first unless the
second). Answer with JSON only: {{"right": true or false, "reason": "..."}}"""


def llm_judge(description: str, truth: SyntheticUnitSpec) -> dict[str, Any]:
    """Ask the configured backbone for a second verdict, kept beside the reader's (which stays
    the benchmark's `correct`), so the report can show how often the two agree."""
    from agent.backbones.openai_compat import OpenAIBackbone

    try:
        backbone = OpenAIBackbone.from_settings(max_retries=2)
        reply = backbone.chat([{"role": "user", "content": _LLM_PROMPT.format(
            truth=truth.description, concepts=", ".join(truth.concepts),
            composition=truth.composition, candidate=description)}], temperature=0.0,
            max_tokens=300)
        found = re.search(r"\{.*\}", reply.content, re.S)
        answer = json.loads(found.group()) if found else {}
        if not isinstance(answer.get("right"), bool):
            return {"llm_error": "the reply had no JSON object with a true/false \"right\": "
                                 + (reply.content or "")[:200]}
        return {"llm_correct": answer["right"], "llm_judge": f"llm:{backbone.model}",
                "llm_reason": str(answer.get("reason", ""))[:500]}
    except Exception as error:  # noqa: BLE001 (an unreachable backbone must not stop scoring)
        return {"llm_error": f"{type(error).__name__}: {str(error)[:300]}"}


_YES_NO = """A neuron's true behaviour: {truth}
A candidate description of it: {candidate}
Does the candidate describe the same behaviour: the same things (synonyms and plain-English
paraphrases are fine) combined the same way (either; only together; the first unless the
second)? Answer yes or no."""


def local_judge(model: str, threads: int | None = None, backbone: Any = None) -> Any:
    """A judge from an in-process chat model (`agent.backbones.local`): right when "yes" (or
    "Yes") is likelier than "no" (or "No") as its reply. Any instruct model from the hub can be measured this
    way; SmolLM2-135M is the one that installs offline."""
    if backbone is None:
        from agent.backbones.local import LocalBackbone

        backbone = LocalBackbone(model, threads=threads)

    def verdict(description: str, truth: SyntheticUnitSpec) -> bool:
        # both spellings of each answer count: which one a model prefers is not the verdict
        yes, big_yes, no, big_no = backbone.score([{"role": "user", "content": _YES_NO.format(
            truth=truth.description, candidate=description)}], ["yes", "Yes", "no", "No"])
        return bool(np.logaddexp(yes, big_yes) > np.logaddexp(no, big_no))

    verdict.name = f"local:{model}"  # type: ignore[attr-defined]
    return verdict


def endpoint_judge(description: str, truth: SyntheticUnitSpec) -> bool | None:
    """`llm_judge`'s verdict alone (None when the reply was unusable)."""
    return llm_judge(description, truth).get("llm_correct")
