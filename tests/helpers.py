"""Test helpers shared across the tree: free ports and real servers started for a test."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from typing import IO, Any


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serving(command: list[str], url: str, timeout: float, log: IO[Any] | int | None = None,
            **popen: Any) -> Iterator[subprocess.Popen]:
    """Start a server process, wait until `url` answers 200, yield it, and stop it after.

    Raises:
        RuntimeError: the process exited before answering.
        TimeoutError: it did not answer within `timeout` seconds.
    """
    out = subprocess.DEVNULL if log is None else log
    process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, **popen)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command[:3]} exited with {process.returncode}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer in {timeout:.0f} s")
            time.sleep(0.5)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
