"""The app's handlers as plain functions, on a real run of the systematic policy."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from agent.transcript import read_events
from app_ui import handlers
from app_ui.render import step_files

UNIT_KW = {"model": "synthetic-vision", "layer": "and", "whole_model": False,
           "question": "What does this unit detect?", "policy": "systematic"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("runs")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WORKBENCH_RUNS", str(root))
        yield root


@pytest.fixture(scope="module")
def finished(runs: Path) -> tuple[list, dict, list]:
    """A streamed run (two rounds) on synthetic-vision:and:0: its yields, session, and what
    the chat showed at each yield (message id, status, figures of E1)."""
    session: dict = {}
    outputs, shown = [], []
    for output in handlers.ask(unit_index=0, max_rounds=2, session=session, **UNIT_KW):
        outputs.append(output)  # messages are updated in place; `shown` keeps each frame
        shown.append(([(m.metadata.get("id"), m.metadata.get("status")) for m in output[0]],
                      step_files(output[0], "E1")))
    return outputs, session, shown


def test_run_streams_hypotheses_with_nested_tool_steps_and_figures(finished) -> None:
    outputs, session, _ = finished
    assert len(outputs) > 5, "the chat is streamed, not returned once"
    messages, status, download, final = outputs[-1]
    hypotheses = [m for m in messages if str(m.metadata.get("id", "")).startswith("hyp-")]
    steps = [m for m in messages if str(m.metadata.get("id", "")).startswith("exp-")]
    assert hypotheses and all(m.metadata["title"].startswith("Hypothesis") for m in hypotheses)
    assert len(steps) >= 3
    hypothesis_ids = {m.metadata["id"] for m in hypotheses}
    assert all(m.metadata.get("parent_id") in hypothesis_ids for m in steps)
    assert all(m.metadata["status"] == "done" and m.metadata["duration"] >= 0 for m in steps)
    exemplars = step_files(messages, "E1")
    assert len(exemplars) >= 8 and all(Path(p).is_file() and p.endswith(".png")
                                       for p in exemplars)
    assert Path(session["run_dir"]) in [Path(p).parents[2] for p in exemplars]
    assert final["label"] and 0.0 <= final["confidence"] <= 1.0
    assert messages[-1].content.startswith(f"### Answer: {final['label']}")
    assert "Evidence" in messages[-1].content
    assert Path(download).suffix == ".zip" and Path(download).stat().st_size > 1000


def test_tool_step_is_pending_until_its_observation(finished) -> None:
    _, _, shown = finished
    pending = [files for frame, files in shown if ("exp-E1", "pending") in frame]
    done = [files for frame, files in shown if ("exp-E1", "done") in frame]
    assert pending and all(files == [] for files in pending)
    assert done and all(len(files) >= 8 for files in done)


def test_unit_index_out_of_range_is_refused_without_a_run(runs: Path) -> None:
    before = set(runs.iterdir())
    outputs = list(handlers.ask(unit_index=8, session={}, **UNIT_KW))
    assert len(outputs) == 1
    messages, status, download, final = outputs[0]
    assert messages == [] and download is None and final is None
    assert "out of range" in status and "from 0 to 7" in status
    assert set(runs.iterdir()) == before


def test_replay_renders_the_recorded_run_like_the_live_one(finished) -> None:
    outputs, session, _ = finished
    live = outputs[-1][0]
    messages, status, download, final = handlers.replay(Path(session["run_dir"]).name,
                                                        session=session)
    assert final == outputs[-1][3]
    assert [m.metadata.get("id") for m in messages] == [m.metadata.get("id") for m in live]
    assert step_files(messages, "E1") == step_files(live, "E1")
    assert download.endswith(".zip")


@pytest.mark.parametrize("name", ["../etc", "/etc", "..", "a/../../b", "", "run\x00name",
                                  "x" * 300])
def test_replay_refuses_paths_outside_the_transcript_directory(runs: Path, name: str) -> None:
    messages, status, download, final = handlers.replay(name)
    assert messages == [] and download is None and final is None
    assert status.startswith("Error:")


def test_stop_mid_run_ends_cleanly_with_run_stopped(runs: Path) -> None:
    session: dict = {}
    stream = handlers.ask(unit_index=1, session=session, **UNIT_KW)
    for messages, *_ in stream:
        if any(m.metadata.get("id") == "exp-E1" for m in messages):
            assert handlers.stop_run(session).startswith("Stopping")
            break
    assert isinstance(session["stop"], threading.Event) and session["stop"].is_set()
    outputs = list(stream)
    assert outputs[-1][3] is not None, "the agent concludes with what it has"
    types = [event.type for event in read_events(session["run_dir"])]
    assert "run_stopped" in types and types[-1] == "run_finished"
    assert not any(m.metadata.get("id") == "exp-E4" for m in outputs[-1][0])


def test_a_typed_api_key_reaches_only_its_own_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_API_KEY", "sk-server")
    monkeypatch.setenv("WORKBENCH_BASE_URL", "http://server.example/v1")
    before = dict(os.environ)
    typed = handlers.build_policy(
        "openai", {"base_url": "http://127.0.0.1:9/v1", "model": "m"}, "sk-typed-in-the-ui")
    assert typed.backbone.client().api_key == "sk-typed-in-the-ui"
    # a typed URL without a typed key never gets the server's key
    keyless = handlers.build_policy("openai", {"base_url": "http://127.0.0.1:9/v1",
                                               "model": "m"})
    assert keyless.backbone.client().api_key != "sk-server"
    # the server's own endpoint does
    server = handlers.build_policy("openai", {"model": "m"})
    assert server.backbone.client().api_key == "sk-server"
    assert dict(os.environ) == before  # no environment was touched


def test_sessions_see_only_their_own_runs_and_shared_ones(finished, runs: Path) -> None:
    _, session, _ = finished
    name = Path(session["run_dir"]).name
    mine = handlers.recorded_runs(session=session)
    other: dict = {}
    assert name in mine and name not in handlers.recorded_runs(session=other)
    refused = handlers.replay(name, session=other)
    assert refused[0] == [] and "no recorded run" in refused[1]
    # another session cannot share it; its owner can, and then everyone sees it
    assert handlers.set_shared(name, True, session=other).startswith("Error:")
    assert "shared" in handlers.set_shared(name, True, session=session)
    assert name in handlers.recorded_runs(session=other)
    assert handlers.replay(name, session=other)[3] is not None
    handlers.set_shared(name, False, session=session)
    assert name not in handlers.recorded_runs(session=other)


def test_a_fractional_unit_index_and_a_huge_question_are_refused(runs: Path) -> None:
    before = set(runs.iterdir())
    fractional = list(handlers.ask(unit_index=1.5, session={}, **UNIT_KW))
    assert "whole number" in fractional[0][1]
    huge = list(handlers.ask(unit_index=0, session={}, **{**UNIT_KW, "question": "x" * 100_000}))
    assert "at most 2000 characters" in huge[0][1]
    assert set(runs.iterdir()) == before


def test_a_typed_url_without_a_key_never_gets_the_servers_key(
        runs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.agent.openai_fake_server import FakeOpenAIServer

    monkeypatch.setenv("WORKBENCH_API_KEY", "sk-server-secret")
    monkeypatch.setenv("WORKBENCH_BASE_URL", "http://127.0.0.1:9/v1")
    with FakeOpenAIServer() as server:
        outputs = list(handlers.ask(unit_index=0, session={}, max_rounds=1, base_url=
                                    server.base_url, llm_model="fake-model",
                                    **{**UNIT_KW, "policy": "openai"}))
    assert outputs[-1][3] is not None and server.auth
    assert all("sk-server-secret" not in a for a in server.auth)


def test_stop_shows_stopping_until_the_run_ends(runs: Path) -> None:
    session: dict = {}
    statuses = []
    for _messages, status, _download, final in handlers.ask(unit_index=2, session=session,
                                                             **UNIT_KW):
        statuses.append(status)
        if session.get("stop") is not None and not session["stop"].is_set():
            handlers.stop_run(session)
        if final is not None:
            break
    after_stop = statuses[1:-1]
    assert after_stop and all(s.startswith("Stopping") for s in after_stop), statuses


def test_a_closed_page_frees_its_slot_only_when_its_run_has_ended(
        runs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_SLOT_WAIT", "0.5")
    slots = handlers.run_slots()
    session: dict = {}
    stream = handlers.ask(unit_index=3, session=session, **UNIT_KW)
    next(stream)
    next(stream)
    stream.close()  # what gradio does when the browser goes away
    assert session["stop"].is_set()
    started = time.monotonic()
    taken = [slots.acquire(15) for _ in range(slots.size)]  # all slots come back ...
    assert all(taken) and time.monotonic() - started < 15  # ... within seconds
    try:
        busy = list(handlers.ask(unit_index=0, session={}, **UNIT_KW))  # every slot held
    finally:
        for _ in range(slots.size):
            slots.release()
    assert len(busy) == 1 and busy[0][1].startswith("Busy: all")
