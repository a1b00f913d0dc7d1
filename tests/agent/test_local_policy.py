"""The local policy with the real SmolLM2: valid actions, recorded LM calls, resumable runs."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from agent.policies.local import LocalPolicy
from agent.requests import Budgets
from agent.runner import RunSpec, new_run_dir, run
from agent.transcript import CHECKPOINT_FILE
from tests.agent.helpers import check_transcript
from tools.registry import list_tools

REAL_UNIT = "smollm2-135m-instruct:model.layers.3.mlp:42"
SYNTHETIC_UNIT = "synthetic-text:single:0"
BUDGETS = Budgets(max_rounds=3, max_tool_calls=6, max_seconds=600)


@pytest.fixture(scope="module")
def policy() -> LocalPolicy:
    # small settings keep each decision around a second on a shared CPU
    return LocalPolicy(n=2, max_candidates=10, max_picks=2, max_prompt_tokens=350, threads=1)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """A small exemplar corpus, so the corpus tools' first pass over it is quick."""
    from models.stimuli.texts import sentences_with

    concepts = ["animals", "food", "weather", "sports", "music", "law", "colours", "places"]
    texts = [t for i, c in enumerate(concepts) for t in sentences_with([c], [], 5, i)]
    path = tmp_path_factory.mktemp("corpus") / "texts.txt"
    path.write_text("\n".join(texts) + "\n")
    return path


def _run(tmp_path: Path, subject: str, policy: LocalPolicy, corpus: Path,
         stop_at_round: int | None = None) -> tuple[Path, list]:
    spec = RunSpec(question="what does this unit detect?", subject=subject, policy="local",
                   policy_options=_options(policy), budgets=BUDGETS, corpus=str(corpus))
    run_dir = new_run_dir(tmp_path, subject)
    events = []
    for event in run(spec, run_dir, policy=policy):
        events.append(event)
        # leaving mid-run is what a crash looks like to the checkpoint
        if (stop_at_round and event.type == "round_started"
                and event.data["round"] == stop_at_round):
            break
    return run_dir, events


def _options(policy: LocalPolicy) -> dict:
    """The policy's constructor options, as a run's config stores them."""
    return {k: v for k, v in policy.config().items() if k != "policy"}


def _check_actions(events: list) -> None:
    """Every LM call is recorded with token counts; every tool call is valid and runs."""
    specs = {spec.name: spec for spec in list_tools("text")}
    calls = [e for e in events if e.type == "llm_call"]
    assert calls
    for call in calls:
        usage = call.data["usage"]
        assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] == 0
        assert usage["candidates"] >= 2 and usage["candidate_tokens"] > 0
        assert call.data["messages"][-1]["role"] == "user"
        # the reply is one (or a few) of the scored candidates, never free text
        assert all(line in call.data["scores"] for line in call.data["reply"].splitlines())
    tools = [e for e in events if e.type == "tool_called"]
    assert tools
    for event in tools:
        jsonschema.validate(event.data["arguments"], specs[event.data["tool"]].parameters)
    for event in events:
        if event.type == "observation":
            assert event.data["error"] is None, event.data["error"]
    assert not [e for e in events if e.type == "error"]


def test_scorer_picks_the_obvious_candidate(policy):
    messages = [{"role": "system", "content": "Reply with exactly one of the options."},
                {"role": "user", "content": "Answer with the word 'yes'.\nOptions:\n- yes\n"
                 "- banana"}]
    choices, prompt_tokens = policy.backbone.scorer.score(messages, ["banana", "yes"])
    assert prompt_tokens > 10 and policy.backbone.count_tokens(messages) == prompt_tokens
    assert max(choices, key=lambda c: c.score).text == "yes"
    assert all(c.tokens >= 2 for c in choices)  # the reply and its end-of-turn token
    scores = policy.backbone.score(messages, ["banana", "yes"])
    assert scores == [c.score for c in choices]


def test_local_backbone_writes_a_reply(policy):
    reply = policy.backbone.chat([{"role": "user", "content": "Say hello."}], max_tokens=8)
    assert reply.content.strip() and reply.usage["prompt_tokens"] > 0


def test_run_on_a_real_unit_makes_only_valid_moves(tmp_path, policy, corpus):
    run_dir, events = _run(tmp_path, REAL_UNIT, policy, corpus)
    check_transcript(run_dir)
    _check_actions(events)
    purposes = {e.data["purpose"] for e in events if e.type == "llm_call"}
    assert "plan" in purposes
    final = next(e for e in events if e.type == "final_answer").data
    # the LM chooses the answer, unless the budget ran out first: then it bails out to the
    # best-supported single concept without asking
    assert "conclude" in purposes or "budget" in final["stop_reason"]
    assert set(final) >= {"description", "label", "confidence", "evidence"}
    assert 0.0 <= final["confidence"] <= 1.0 and isinstance(final["evidence"], list)
    assert sum(e.type == "tool_called" for e in events) <= BUDGETS.max_tool_calls


def test_interrupted_run_on_a_synthetic_unit_resumes(tmp_path, policy, corpus):
    from langgraph.checkpoint.sqlite import SqliteSaver

    from agent.graph import build_graph

    run_dir, first = _run(tmp_path, SYNTHETIC_UNIT, policy, corpus, stop_at_round=2)
    assert not [e for e in first if e.type == "final_answer"]
    with SqliteSaver.from_conn_string(str(run_dir / CHECKPOINT_FILE)) as saver:
        graph = build_graph().compile(checkpointer=saver)
        saved = graph.get_state({"configurable": {"thread_id": run_dir.name}}).values
    scratch = saved["policy_state"]
    assert json.loads(json.dumps(scratch)) == scratch
    assert scratch["done"] and scratch["unit"] == SYNTHETIC_UNIT

    # a fresh policy object continues from the saved scratchpad
    fresh = LocalPolicy(**_options(policy))
    second = list(run(None, run_dir, policy=fresh, resume=True))
    assert second[0].type == "run_resumed"
    events = first + second
    check_transcript(run_dir)
    _check_actions(events)
    called = [json.dumps([e.data["tool"], e.data["arguments"]], sort_keys=True)
              for e in events if e.type == "tool_called"]
    assert len(called) == len(set(called))  # nothing re-run: the policy remembered its work
    ids = [e.data["experiment"] for e in events if e.type == "tool_called"]
    assert ids == [f"E{i}" for i in range(1, len(ids) + 1)]
    final = next(e for e in second if e.type == "final_answer").data
    assert final["description"] and final["label"]
    assert 0.0 <= final["confidence"] <= 1.0


def test_an_unreachable_hub_model_is_a_clear_error(monkeypatch):
    import models.registry
    from models.errors import ModelUnavailableError

    def offline(name):
        # what the registry raises offline, without waiting ~20 s for the hub to time out
        raise ModelUnavailableError(f"model {name!r} cannot be loaded on this machine")

    monkeypatch.setattr(models.registry, "get_model", offline)
    with pytest.raises(RuntimeError, match="Offline, use the default 'smollm2-135m-instruct'"):
        LocalPolicy(model="no-such-org/no-such-chat-model")


def test_a_model_that_is_not_a_causal_lm_is_refused():
    with pytest.raises(RuntimeError, match="not a causal language model"):
        LocalPolicy(model="minilm-l6")


def test_a_partner_is_offered_only_when_its_2x2_design_shows_the_composition():
    from agent.policies.local import supported_partner
    from agent.policies.local_evidence import cell_key

    def probes(ab, a_only, b_only, neither):
        cells = {cell_key(["red", "circle"], []): ab, cell_key(["red"], ["circle"]): a_only,
                 cell_key(["circle"], ["red"]): b_only, cell_key([], ["red", "circle"]): neither}
        return {"probes": {k: {"mean": m, "std": 0.05} for k, m in cells.items()}}

    assert supported_partner({}, "red", "circle", 8) is None  # never tested: best single
    assert supported_partner(probes(1.0, 0.0, 0.0, 0.0), "red", "circle", 8) == (
        "and", "red", "circle")
    assert supported_partner(probes(1.0, 1.0, 1.0, 0.0), "red", "circle", 8) == (
        "or", "red", "circle")
    assert supported_partner(probes(0.0, 1.0, 0.0, 0.0), "red", "circle", 8) == (
        "and_not", "red", "circle")
    # a single concept with no effect of the partner is not a composition
    assert supported_partner(probes(1.0, 1.0, 0.0, 0.0), "red", "circle", 8) is None
