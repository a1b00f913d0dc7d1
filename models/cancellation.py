"""Stopping long work between batches: a run's Stop reaches the forward passes it started.

A caller opens `cancel_scope(event)` around work; the recording loops call `check_cancelled()`
between batches, which raises `Cancelled` once the event is set. Outside any scope nothing is
ever cancelled.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Iterator

from models.errors import ModelsError

_SCOPE: contextvars.ContextVar[threading.Event | None] = contextvars.ContextVar(
    "cancel_scope", default=None)


class Cancelled(ModelsError):
    """The work was stopped by the user between two batches."""


@contextlib.contextmanager
def cancel_scope(event: threading.Event | None) -> Iterator[None]:
    """Let `event` stop the model work done inside the block (between batches)."""
    token = _SCOPE.set(event)
    try:
        yield
    finally:
        _SCOPE.reset(token)


def check_cancelled() -> None:
    """Raise Cancelled when the current scope's event is set."""
    event = _SCOPE.get()
    if event is not None and event.is_set():
        raise Cancelled("stopped by the user; the experiment was cut short between batches")
