"""A model-level chain-of-thought question: the systematic policy answers it on SmolLM2 with
the chain-of-thought tools and concludes with their evidence."""

from __future__ import annotations

import pytest

from agent.model_questions import cot_question
from agent.policies import systematic
from agent.requests import Budgets
from tests.agent.helpers import check_transcript, run_to_end


@pytest.mark.parametrize("question,task", [
    ("Does this model rely on its chain of thought for arithmetic?", "arithmetic"),
    ("Is its step-by-step reasoning faithful when comparing numbers, or does it not matter?",
     "comparison"),
    ("Does the CoT cause the answer on syllogisms?", "logic"),
    ("Does it use its reasoning to recall capitals?", "facts"),
    ("Does it depend on its chain of thought?", "arithmetic"),
])
def test_cot_questions_are_recognised_with_their_task(question, task):
    assert cot_question("smollm2-135m-instruct", question) == task


def test_other_questions_are_not_cot_questions():
    assert cot_question("smollm2-135m-instruct", "what does this model say after 'Paris'?") is None
    assert cot_question("efficientnet_lite0",
                        "does it rely on its chain of thought for arithmetic?") is None


def test_systematic_policy_answers_whether_smollm2_relies_on_its_chain(tmp_path, monkeypatch):
    monkeypatch.setattr(systematic, "COT_ITEMS", 2)
    run_dir, _ = run_to_end(
        tmp_path, "smollm2-135m-instruct", policy_name="systematic",
        question="Does this model rely on its chain of thought for arithmetic?",
        budgets=Budgets(max_rounds=3, max_tool_calls=6, max_seconds=600))
    events = check_transcript(run_dir)
    calls = [e.data["tool"] for e in events if e.type == "tool_called"]
    assert calls == ["cot_truncate", "cot_corrupt", "cot_corrupt"]
    observations = [e.data for e in events if e.type == "observation"]
    assert all(not o.get("error") for o in observations)
    final = [e for e in events if e.type == "final_answer"][-1].data
    assert final["label"].endswith("(arithmetic)")
    assert final["label"].split(" (")[0] in ("relies", "does not rely", "inconclusive")
    # the answer cites the experiments it rests on, and their numbers
    assert len(final["evidence"]) == 3
    assert "a mistake in the last step changed the answer in" in final["description"]
