"""Graph mechanics, driven by the scripted policy (never reported as agent performance)."""

import threading

from agent.graph import build_graph
from agent.policies.scripted import ScriptedPolicy
from agent.requests import Budgets
from tests.agent.helpers import check_transcript, run_to_end

UNIT = "synthetic-vision:single:0"
PROBE = {"tool": "probe_concepts", "arguments": {"unit": UNIT, "include": ["red"], "n": 2},
         "hypotheses": ["H1"]}


def types(events):
    return [e.type for e in events]


def test_graph_reads_as_the_promised_diagram():
    graph = build_graph().compile()
    nodes = set(graph.get_graph().nodes)
    assert {"hypothesize", "experiment", "observe", "revise", "conclude"} <= nodes
    mermaid = graph.get_graph().draw_mermaid()
    assert "revise -.-> hypothesize" in mermaid and "revise -.-> conclude" in mermaid


def test_a_round_streams_hypothesis_tool_observation_revision_and_answer(tmp_path):
    policy = ScriptedPolicy(rounds=[{
        "hypotheses": [{"id": "H1", "statement": "fires on red", "concepts": ["red"]}],
        "calls": [PROBE],
        "revise": [{"id": "H1", "status": "supported", "confidence": 0.9}]}])
    run_dir, events = run_to_end(tmp_path, UNIT, policy)
    seen = types(events)
    order = ["run_started", "round_started", "hypothesis_proposed", "tool_called",
             "observation", "hypothesis_revised", "final_answer", "run_finished"]
    assert [t for t in seen if t in order] == order
    observation = next(e for e in events if e.type == "observation")
    assert observation.data["error"] is None and observation.data["experiment"] == "E1"
    assert "mean" in observation.data["summary"]
    final = next(e for e in events if e.type == "final_answer").data
    assert final["description"] == "fires on red"
    assert final["hypotheses"][0]["experiments"] == ["E1"]
    check_transcript(run_dir)


def test_round_budget_concludes_and_says_so(tmp_path):
    policy = ScriptedPolicy(rounds=[{"hypotheses": [{"id": "H1", "statement": "x"}]}] * 5,
                            conclude_after=99)
    run_dir, events = run_to_end(tmp_path, UNIT, policy, budgets=Budgets(max_rounds=2))
    assert sum(t == "round_started" for t in types(events)) == 2
    final = next(e for e in events if e.type == "final_answer").data
    assert "budget exhausted: rounds" in final["stop_reason"]
    assert "concluded early" in final["description"]
    check_transcript(run_dir)


def test_tool_call_budget_skips_the_rest_and_concludes(tmp_path):
    policy = ScriptedPolicy(rounds=[{"hypotheses": [{"id": "H1", "statement": "x"}],
                                     "calls": [PROBE, PROBE, PROBE]}] * 3, conclude_after=99)
    run_dir, events = run_to_end(tmp_path, UNIT, policy,
                                 budgets=Budgets(max_rounds=5, max_tool_calls=2))
    assert types(events).count("tool_called") == 2
    assert "budget_exhausted" in types(events)
    final = next(e for e in events if e.type == "final_answer").data
    assert "tool_calls" in final["stop_reason"]


def test_wall_time_budget_concludes(tmp_path):
    policy = ScriptedPolicy(rounds=[{"hypotheses": [{"id": "H1", "statement": "x"}],
                                     "sleep": 0.6}] * 5, conclude_after=99)
    _, events = run_to_end(tmp_path, UNIT, policy,
                           budgets=Budgets(max_rounds=10, max_seconds=1.0))
    final = next(e for e in events if e.type == "final_answer").data
    assert "seconds" in final["stop_reason"]
    assert types(events).count("round_started") < 5


def test_tool_error_becomes_an_observation_and_the_run_goes_on(tmp_path):
    bad = {"tool": "probe_concepts", "arguments": {"unit": UNIT, "include": ["no_such_thing"]}}
    missing = {"tool": "call_unit", "arguments": {"unit": UNIT}}
    policy = ScriptedPolicy(rounds=[
        {"hypotheses": [{"id": "H1", "statement": "fires on red"}], "calls": [bad, missing]},
        {"calls": [PROBE], "revise": [{"id": "H1", "status": "supported"}]}])
    run_dir, events = run_to_end(tmp_path, UNIT, policy)
    observations = [e.data for e in events if e.type == "observation"]
    assert "unknown vision concept" in observations[0]["error"]
    assert "images" in observations[1]["error"]  # the missing required argument is named
    assert observations[2]["error"] is None
    check_transcript(run_dir)


def test_policy_exception_becomes_an_error_event_and_the_run_carries_on(tmp_path):
    policy = ScriptedPolicy(rounds=[
        {"hypotheses": [{"id": "H1", "statement": "fires on red"}], "raise": "plan"},
        {"calls": [PROBE]}])
    run_dir, events = run_to_end(tmp_path, UNIT, policy)
    errors = [e.data for e in events if e.type == "error"]
    assert errors and errors[0]["step"] == "plan" and "scripted failure" in errors[0]["message"]
    assert "observation" in types(events)  # round 2 still ran its experiment
    check_transcript(run_dir)


def test_three_policy_errors_in_a_row_conclude_with_a_fallback(tmp_path):
    policy = ScriptedPolicy(rounds=[{"raise": "revise"}] * 5, conclude_after=99,
                            final={"label": "never used"})
    _, events = run_to_end(tmp_path, UNIT, policy, budgets=Budgets(max_rounds=10))
    final = next(e for e in events if e.type == "final_answer").data
    assert "policy errors in a row" in final["stop_reason"]
    assert types(events).count("round_started") == 3


def test_malformed_final_answer_falls_back_to_the_best_hypothesis(tmp_path):
    policy = ScriptedPolicy(rounds=[{"hypotheses": [{"id": "H1", "statement": "fires on red",
                                                     "status": "supported"}]}],
                            final={"confidence": "very"})
    _, events = run_to_end(tmp_path, UNIT, policy)
    assert any(e.type == "error" and e.data["step"] == "conclude" for e in events)
    final = next(e for e in events if e.type == "final_answer").data
    assert final["description"] == "fires on red"


def test_stop_flag_ends_the_run_cleanly(tmp_path):
    stop = threading.Event()
    policy = ScriptedPolicy(rounds=[{"hypotheses": [{"id": "H1", "statement": "x"}],
                                     "calls": [PROBE]}] * 20, conclude_after=99)

    def press_stop(event):
        if event.type == "observation":
            stop.set()

    run_dir, events = run_to_end(tmp_path, UNIT, policy, budgets=Budgets(max_rounds=20),
                                 stop=stop, on_event=press_stop)
    assert types(events)[-2:] == ["run_stopped", "run_finished"]
    final = next(e for e in events if e.type == "final_answer").data
    assert final["stop_reason"] == "stopped by the user"
    assert types(events).count("round_started") == 1
    check_transcript(run_dir)


def test_bad_subject_is_reported_in_the_transcript_not_raised(tmp_path):
    run_dir, events = run_to_end(tmp_path, "synthetic-vision:single:999",
                                 ScriptedPolicy(rounds=[]))
    assert events[0].type == "error" and "valid indices" in events[0].data["message"]
    check_transcript(run_dir)


def test_api_keys_never_reach_the_transcript(tmp_path):
    from agent.runner import RunSpec, new_run_dir, run

    secret = "sk-test-DO-NOT-LEAK-42"
    policy = ScriptedPolicy(rounds=[{"hypotheses": [{"id": "H1", "statement": secret}]}])
    spec = RunSpec(question=f"key {secret}?", subject=UNIT, policy="scripted",
                   policy_options={"api_key": "also-secret"})
    run_dir = new_run_dir(tmp_path, UNIT)
    list(run(spec, run_dir, policy=policy, secrets=(secret,)))
    for path in run_dir.rglob("*"):
        if path.is_file() and path.suffix in (".jsonl", ".json"):
            text = path.read_text()
            assert secret not in text and "also-secret" not in text
