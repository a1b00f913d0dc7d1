"""A loopback OpenAI-compatible server for tests: scripted replies or a proxy, with faults."""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# A fault is applied to one chat request, in order: "ok", an HTTP status (429, 500, 503, 400),
# ("sleep", seconds) to outlast the client's timeout, "bad_tools" (a tool call with an unknown
# name and one with arguments that are not JSON), "reject_tools" (400 when `tools` is sent),
# and hostile endpoints: "hang" (never answers), "drip" (sends a valid reply one byte a
# second), "reset" (drops the connection), "garbage" (200 with a body that is not JSON),
# "echo_key" (a 401 whose message repeats the Authorization header it received).
Fault = str | int | tuple[str, float]


def _step(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages", [])):
        if message.get("role") == "user" and isinstance(message.get("content"), str):
            found = re.search(r"STEP: (\w+)", message["content"])
            if found:
                return found.group(1)
    return ""


def _subject(body: dict[str, Any]) -> str:
    system = body["messages"][0]["content"]
    found = re.search(r"(?:Subject|Unit): (\S+)", system)
    return found.group(1) if found else "unknown"


def scripted_reply(body: dict[str, Any], fault: Fault) -> dict[str, Any]:
    """A plausible reply of a competent backbone to one step of the openai policy."""
    step, unit = _step(body), _subject(body)
    content: str | None = None
    calls: list[dict[str, Any]] = []
    if step == "PLAN" and body.get("tools") and fault == "bad_tools":
        calls = [{"id": "call_bad1", "type": "function",
                  "function": {"name": "no_such_tool", "arguments": "{}"}},
                 {"id": "call_bad2", "type": "function",
                  "function": {"name": "call_unit", "arguments": "{not json"}}]
    elif step == "PLAN" and body.get("tools"):
        arguments = {"unit": unit, "texts": ["The dog barked at the cat.",
                                             "The table stood in the kitchen."]}
        calls = [{"id": f"call_{int(time.time() * 1e6)}", "type": "function",
                  "function": {"name": "call_unit", "arguments": json.dumps(arguments)}}]
    elif step == "PLAN":  # text mode: a JSON action in a code block
        action = {"tool": "call_unit", "arguments": {"unit": unit, "texts": ["A horse ran."]}}
        content = "I will test animals.\n```json\n" + json.dumps(action) + "\n```"
    elif step == "HYPOTHESIZE":
        content = json.dumps({"hypotheses": [{"id": "H1", "statement": "fires on animal words",
                                              "confidence": 0.6}]})
    elif step == "REVISE":
        content = json.dumps({"updates": [{"id": "H1", "status": "supported",
                                           "confidence": 0.8}], "conclude": False})
    elif step == "CONCLUDE":
        content = "Here it is:\n```json\n" + json.dumps({"final": {
            "description": "fires on words for animals", "label": "animals",
            "confidence": 0.8, "evidence": [{"experiment": "E1", "finding": "dog > table",
                                             "numbers": {"dog": 1.0, "table": 0.0}}]}}) + "\n```"
    else:
        content = "ok"
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = calls
    return {"id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", "fake-model"),
            "choices": [{"index": 0, "message": message,
                         "finish_reason": "tool_calls" if calls else "stop"}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}}


class FakeOpenAIServer:
    """A threaded HTTP server on 127.0.0.1 that answers chat completions with faults.

    Args:
        faults: applied to the chat requests in order; later requests get `default`.
        default: the fault after the script ran out ("ok", or e.g. 503 for an outage).
        upstream: a real server's base URL (ending in /v1) to proxy to instead of scripting.
    """

    def __init__(self, faults: list[Fault] | None = None, default: Fault = "ok",
                 upstream: str | None = None) -> None:
        self.faults = list(faults or [])
        self.default = default
        self.upstream = upstream.rstrip("/") if upstream else None
        self.requests: list[dict[str, Any]] = []  # chat bodies, in order
        self.statuses: list[int] = []
        self.auth: list[str] = []
        self._lock = threading.Lock()
        self.release = threading.Event()  # set at exit: hanging and dripping handlers end
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _next_fault(self) -> Fault:
        with self._lock:
            return self.faults.pop(0) if self.faults else self.default

    def _forward(self, path: str, body: bytes | None) -> tuple[int, bytes]:
        request = urllib.request.Request(self.upstream + path.removeprefix("/v1"), data=body,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:  # keep test output quiet
                pass

            def _send(self, status: int, payload: dict[str, Any] | bytes,
                      headers: dict[str, str] | None = None) -> None:
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                with server._lock:
                    server.statuses.append(status)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in (headers or {}).items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def _hostile(self, fault: Fault, body: dict[str, Any]) -> bool:
                """Act out a hostile endpoint; True when the request was handled."""
                if fault == "hang":
                    server.release.wait(600)
                    return True
                if fault == "reset":
                    self.connection.shutdown(2)
                    return True
                if fault == "garbage":
                    self._send(200, b"<html>oops, not json</html>")
                    return True
                if fault == "echo_key":
                    self._send(401, {"error": {"message": "invalid key "
                                               + self.headers.get("Authorization", ""),
                                               "type": "invalid_request_error"}})
                    return True
                if fault == "drip":
                    data = json.dumps(scripted_reply(body, "ok")).encode()
                    try:
                        self.send_response(200)
                        self.send_header("Content-Type", "application/json")
                        self.send_header("Content-Length", str(len(data)))
                        self.end_headers()
                        for byte in data:
                            if server.release.wait(1.0):
                                break
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                    except (BrokenPipeError, ConnectionResetError, OSError):
                        pass
                    return True
                return False

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                if server.upstream:
                    self._send(*server._forward(self.path, None))
                else:
                    self._send(200, {"object": "list", "data": [{"id": "fake-model",
                                                                 "object": "model"}]})

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                body = json.loads(raw or b"{}")
                with server._lock:
                    server.requests.append(body)
                    server.auth.append(self.headers.get("Authorization", ""))
                fault = server._next_fault()
                if self._hostile(fault, body):
                    return
                if isinstance(fault, tuple) and fault[0] == "sleep":
                    time.sleep(fault[1])
                    fault = "ok"
                if isinstance(fault, int):
                    headers = {"Retry-After": "0"} if fault == 429 else {}
                    self._send(fault, {"error": {"message": f"injected {fault}",
                                                 "type": "server_error"}}, headers)
                    return
                if fault == "reject_tools" and body.get("tools"):
                    self._send(400, {"error": {"message": "tools are not supported",
                                               "type": "invalid_request_error"}})
                    return
                if server.upstream:
                    self._send(*server._forward(self.path, raw))
                else:
                    self._send(200, scripted_reply(body, fault))

        return Handler
