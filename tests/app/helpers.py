"""Test helpers for the app: launch the real server on a free port and wait for it."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from tests.helpers import free_port, serving

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"


@contextlib.contextmanager
def running_app(runs: Path, timeout: float = 120.0, **env_extra: str) -> Iterator[str]:
    """Start `python app.py` with transcripts under `runs`; yield its URL; stop it after."""
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1",
           "WORKBENCH_RUNS": str(runs), "GRADIO_ANALYTICS_ENABLED": "False",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO),
                                                       os.environ.get("PYTHONPATH")])),
           **env_extra}
    url = f"http://127.0.0.1:{port}/"
    with (runs / "app.log").open("w") as log:
        try:
            with serving([sys.executable, "app.py"], url, timeout, log, cwd=REPO, env=env):
                yield url
        except RuntimeError as error:
            raise RuntimeError(f"{error}: {(runs / 'app.log').read_text()[-3000:]}") from None
