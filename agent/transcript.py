"""Run folders: an append-only JSONL event log (flushed per event) plus the PNG artifacts."""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agent.events import Event

EVENTS_FILE = "events.jsonl"
CONFIG_FILE = "config.json"
CHECKPOINT_FILE = "checkpoints.sqlite"

# Field names that hold secrets ("api_key", "access_token", "password", ...); counts such as
# "prompt_tokens" are not secrets and stay.
_SECRET_KEYS = re.compile(r"(api[_-]?key|secret|password|passwd|authorization|(^|_)token$|"
                          r"^bearer$|^cookie$)", re.I)


def scrub(value: Any) -> Any:
    """Remove secrets from anything written to a transcript (keys named like a secret)."""
    if isinstance(value, dict):
        return {k: ("[redacted]" if _SECRET_KEYS.search(str(k)) and v else scrub(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


class TranscriptWriter:
    """Appends events to `run_dir/events.jsonl`, one JSON line each, flushed and fsynced.

    A crash loses at most the event being written. Sequence numbers continue across resumes.
    """

    def __init__(self, run_dir: Path, secrets: tuple[str, ...] = ()) -> None:
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.run_dir / EVENTS_FILE
        self._secrets = tuple(s for s in secrets if s)
        self._lock = threading.Lock()
        if self.path.exists():
            _drop_torn_tail(self.path)
        self._seq = max((e.seq for e in read_events(self.run_dir)), default=0)
        self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (closed in close())

    def redact(self, event: Event) -> Event:
        """The event as every consumer sees it: secret-named fields and keys removed."""
        line = json.dumps(scrub(event.to_json()), default=str)
        for secret in self._secrets:  # a key echoed in an error message goes too
            line = line.replace(secret, "[redacted]")
        return Event.from_json(json.loads(line))

    def write(self, event: Event) -> Event:
        """Append the event (numbered, redacted) and return it as it was written."""
        with self._lock:
            self._seq += 1
            event.seq = self._seq
            written = self.redact(event)
            self._file.write(json.dumps(written.to_json(), default=str) + "\n")
            self._file.flush()
            os.fsync(self._file.fileno())
        return written

    def close(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.close()

    def __enter__(self) -> TranscriptWriter:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


def _drop_torn_tail(path: Path) -> None:
    """Cut a last line that a crash left unfinished, so the next event starts a fresh line."""
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with open(path, "r+b") as handle:
            handle.truncate(data.rfind(b"\n") + 1)


def interrupted_seqs(events: list[Event]) -> set[int]:
    """Sequence numbers of events that belong to steps a crash cut short."""
    return {seq for e in events if e.type == "step_interrupted" for seq in e.data.get("seqs", [])}


def committed_events(run_dir: Path | str) -> list[Event]:
    """The run's events without those of interrupted steps (what replays and scores read)."""
    events = list(read_events(run_dir))
    void = interrupted_seqs(events)
    return [e for e in events if e.seq not in void]


def read_events(run_dir: Path | str) -> Iterator[Event]:
    """Every complete event of a run; a torn last line (a crash mid-write) is skipped."""
    path = Path(run_dir) / EVENTS_FILE
    if not path.exists():
        return
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line:
                continue
            try:
                yield Event.from_json(json.loads(line))
            except (json.JSONDecodeError, KeyError):
                continue


def write_config(run_dir: Path, config: dict[str, Any], secrets: tuple[str, ...] = ()) -> None:
    """Write the run's config atomically, secrets scrubbed like the event log."""
    path = Path(run_dir) / CONFIG_FILE
    tmp = path.with_suffix(".tmp")
    text = json.dumps(scrub(config), indent=2, default=str)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    tmp.write_text(text)
    os.replace(tmp, path)


def read_config(run_dir: Path | str) -> dict[str, Any]:
    path = Path(run_dir) / CONFIG_FILE
    if not path.exists():
        raise FileNotFoundError(f"{run_dir} is not a run folder (no {CONFIG_FILE})")
    return json.loads(path.read_text())


def final_answer(run_dir: Path | str) -> dict[str, Any] | None:
    """The run's final answer, if it reached one."""
    found = None
    for event in committed_events(run_dir):
        if event.type == "final_answer":
            found = event.data
    return found
