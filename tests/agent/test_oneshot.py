"""The one-shot baseline names what a unit's exemplars share, in open words, without experiments."""

import pytest

from agent.consistency import problems
from agent.policies.oneshot import MAX_CONFIDENCE, OneShotPolicy
from agent.requests import Budgets
from tests.agent.helpers import check_transcript, run_to_end


@pytest.mark.parametrize("unit,rank", [
    ("synthetic-text:single:0", True),
    ("efficientnet_lite0:blocks.4:3", False),
])
def test_oneshot_reads_exemplars_and_never_claims_a_cause(tmp_path, unit, rank):
    run_dir, events = run_to_end(tmp_path, unit, OneShotPolicy(rank=rank), "oneshot",
                                 budgets=Budgets(max_rounds=4, max_tool_calls=6))
    check_transcript(run_dir)
    assert problems(events) == []
    tools = [e.data["tool"] for e in events if e.type == "tool_called"]
    evidence = "token_evidence" if unit.startswith("synthetic-text") else "image_evidence"
    assert tools[0] == evidence
    assert set(tools) <= {evidence, "rank_descriptions"}
    proposed = [e for e in events if e.type == "hypothesis_proposed"]
    assert ("rank_descriptions" in tools) == (rank and len(proposed) >= 2)
    if rank:
        assert len(proposed) >= 2  # the text unit's evidence gives the ranker a real choice
    final = next(e for e in events if e.type == "final_answer").data
    assert final["label"] and final["confidence"] <= MAX_CONFIDENCE
