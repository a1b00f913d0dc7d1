"""Progress of long model work (model loading, exemplar passes), reported to whoever listens.

A caller opens `progress_scope(report)` around work; long loops call `report_progress(what,
done, total)`, which reaches `report` at most once a second (and always at the end). Outside
any scope nothing is reported.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Callable, Iterator

#: report(what, done, total, eta_seconds or None)
Reporter = Callable[[str, int, int, "float | None"], None]

_SCOPE: contextvars.ContextVar[tuple[Reporter, dict] | None] = contextvars.ContextVar(
    "progress_scope", default=None)
MIN_INTERVAL_S = 1.0


@contextlib.contextmanager
def progress_scope(report: Reporter) -> Iterator[None]:
    """Send the progress of the model work inside the block to `report`."""
    token = _SCOPE.set((report, {}))
    try:
        yield
    finally:
        _SCOPE.reset(token)


def report_progress(what: str, done: int, total: int) -> None:
    """Report `done` of `total` for the work `what` (rate-limited; the end always reported)."""
    scope = _SCOPE.get()
    if scope is None:
        return
    report, seen = scope
    now = time.monotonic()
    first, last = seen.setdefault(what, [now, 0.0])
    if done < total and now - last < MIN_INTERVAL_S and done > 0:
        return
    seen[what][1] = now
    rate = done / (now - first) if done and now > first else 0.0
    eta = (total - done) / rate if rate > 0 else None
    report(what, done, total, eta)
