"""The LLM reader (Bills-style simulation, delphi-style detection) and the LLM judge's
agreement with the reader's judge, over a real loopback HTTP server that speaks the OpenAI chat
API. Its replies are scripted by a keyword rule (a fake reader: it tests the mechanics around
the endpoint, and is never reported as a result)."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.judge.llm import llm_judge
from bench.llm_reader import LLMReader, parse_list
from bench.protocols import evaluate
from bench.runner import judge_agreement
from models.synthetic.base import SyntheticUnitSpec


def keyword_reply(prompt: str) -> str:
    """Scripted reader: an input scores 10 (or 1 when detecting) if it contains a word of the
    explanation's first quoted phrase longer than 3 letters; the judge says right iff the
    candidate shares a word with the ground truth."""
    if prompt.startswith("You grade"):
        truth = re.search(r"Ground truth: (.*)", prompt).group(1).lower().split()
        candidate = re.search(r"Candidate description: (.*)", prompt).group(1).lower().split()
        right = any(w in truth for w in candidate if len(w) > 3)
        return json.dumps({"right": right, "reason": "shares a word" if right else "no"})
    words = [w.lower() for w in re.findall(r"[A-Za-z]{4,}", prompt.split('"')[1])]
    lines = re.findall(r"^\d+\. (.*)$", prompt, re.M)
    high = 1 if "(1) or not (0)" in prompt else 10
    values = [high if any(w in line.lower() for w in words) else 0 for line in lines]
    return "Here you go: " + json.dumps(values)


class LoopbackEndpoint:
    """A threaded HTTP server on 127.0.0.1 answering /v1/chat/completions with `reply`."""

    def __init__(self, reply):
        self.calls = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.calls += 1
                content = reply(body["messages"][-1]["content"])
                data = json.dumps({"id": "x", "object": "chat.completion", "created": 0,
                                   "model": body.get("model", "m"), "choices": [{
                                       "index": 0, "finish_reason": "stop",
                                       "message": {"role": "assistant", "content": content}}],
                                   "usage": {"prompt_tokens": 1, "completion_tokens": 1,
                                             "total_tokens": 2}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __exit__(self, *_):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def endpoint(monkeypatch):
    def configure(reply):
        server = LoopbackEndpoint(reply)
        url = server.__enter__()
        monkeypatch.setenv("WORKBENCH_BASE_URL", url)
        monkeypatch.setenv("WORKBENCH_MODEL", "scripted-reader")
        monkeypatch.setenv("WORKBENCH_RETRY_BASE_DELAY", "0.01")
        servers.append(server)
        return server

    servers: list[LoopbackEndpoint] = []
    yield configure
    for server in servers:
        server.__exit__()


def test_replies_are_read_leniently_and_malformed_ones_are_refused():
    assert parse_list("sure: [1, 12, -3]", 3, 0, 10) == [1.0, 10.0, 0.0]
    assert parse_list("[1, 2] then [3, 4, 5]", 3, 0, 10) == [3.0, 4.0, 5.0]
    assert parse_list("[1, 2]", 3, 0, 10) is None
    assert parse_list('["a", 1, 2]', 3, 0, 10) is None
    assert parse_list("[true, 1, 0]", 3, 0, 1) is None
    assert parse_list("no list", 1, 0, 10) is None


def test_llm_reader_scores_a_unit_over_the_endpoint(endpoint):
    server = endpoint(keyword_reply)
    address = "synthetic-text:single:0"
    from bench.suites import load_suite

    unit = next(u for u in load_suite("synthetic-text").units if u.address == address)
    result = evaluate(unit.spec.description, address, "text", truth=unit.spec,
                      options={"llm_reader": True})
    llm = result["llm_simulation"]
    assert "error" not in llm, llm
    assert llm["reader"] == "llm:scripted-reader" and llm["malformed_replies"] == 0
    assert llm["n"] == result["simulation"]["n"]
    assert -1 <= llm["correlation"] <= 1 and llm["balanced_accuracy"] is not None
    assert llm["token_correlation"] is not None
    # with an endpoint configured the LLM judge also runs, once, beside the reader's judge
    assert result["judge"]["llm_judge"] == "llm:scripted-reader"
    assert isinstance(result["judge"]["correct"], bool)
    assert server.calls == llm["requests"] + 1
    # without the option the protocol does not run at all
    assert "llm_simulation" not in evaluate(unit.spec.description, address, "text",
                                            truth=unit.spec)


def test_an_endpoint_with_useless_replies_is_a_recorded_error_not_a_crash(endpoint):
    endpoint(lambda prompt: "I cannot answer that.")
    address = "synthetic-text:single:0"
    result = evaluate("animals", address, "text", options={"llm_reader": True})
    assert "no usable reply" in result["llm_simulation"]["error"]
    assert "malformed" in result["llm_simulation"]["error"]
    assert isinstance(result["simulation"]["correlation"], float)  # the others still count


def test_without_an_endpoint_the_llm_reader_says_what_to_set(monkeypatch):
    monkeypatch.delenv("WORKBENCH_BASE_URL", raising=False)
    monkeypatch.delenv("WORKBENCH_MODEL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(Exception, match="WORKBENCH_MODEL"):
        LLMReader.from_settings()


def test_llm_judge_verdicts_sit_beside_the_readers_and_agreement_is_reported(endpoint):
    endpoint(keyword_reply)
    truth = SyntheticUnitSpec("vision", "single", ("circle",), "fires on circles", "t")
    verdict = llm_judge("circles of any colour", truth)
    assert verdict == {"llm_correct": True, "llm_judge": "llm:scripted-reader",
                       "llm_reason": "shares a word"}
    assert llm_judge("red squares", truth)["llm_correct"] is False
    records = [{"scores": {"policy": {"judge": {"correct": True, "llm_correct": True}},
                           "random_description": {"judge": {"correct": False,
                                                            "llm_correct": True}}}},
               {"scores": {"policy": {"judge": {"correct": False, "llm_correct": False}},
                           "exemplar_oneshot": {"judge": {"correct": True}}}}]
    agreement = judge_agreement(records)
    assert agreement["n"] == 3 and agreement["agree"] == 2
    assert agreement["kappa"] == pytest.approx(0.4, abs=1e-3)
    assert judge_agreement([{"scores": {"policy": {"judge": {"correct": True}}}}]) is None


def test_a_second_judge_is_measured_per_kind_on_the_fresh_set(endpoint, tmp_path):
    from bench.judge.llm import endpoint_judge
    from bench.judge.offline import second_judge_accuracy

    base = {"modality": "vision", "composition": "single", "concepts": ["circle"],
            "truth": "fires on circles"}
    rows = [{**base, "candidate": "fires on circles of any colour", "label": "right", "kind": "a"},
            {**base, "candidate": "responds to round discs", "label": "right", "kind": "a"},
            {**base, "candidate": "never fires on circles", "label": "wrong", "kind": "b"}]
    path = tmp_path / "fresh.json"
    path.write_text(json.dumps({"pairs": rows}))
    # the scripted judge says right iff a word is shared: right, wrong (no shared word), and
    # wrongly right on the negation
    server = endpoint(keyword_reply)
    result = second_judge_accuracy(endpoint_judge, path)
    assert server.calls == 3
    assert result["by_kind"] == {"a": 0.5, "b": 0.0} and result["unusable"] == 0
    # the offline judge reads all three correctly: it agrees with the scripted one once
    assert result["agreement_with_offline_judge"] == pytest.approx(1 / 3, abs=1e-3)
    # an endpoint that answers nonsense: every verdict unusable, none counted right
    endpoint(lambda _prompt: "I cannot say")
    broken = second_judge_accuracy(endpoint_judge, path)
    assert broken["unusable"] == 3 and broken["accuracy"] == 0.0
