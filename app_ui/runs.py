"""The app's transcript directory: list run folders, open one safely, zip one for download."""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

from agent.transcript import CONFIG_FILE, EVENTS_FILE
from app_ui.settings import app_settings


class RunPathError(ValueError):
    """A run name that does not name a run folder under the transcript directory."""


def runs_root() -> Path:
    """The transcript directory: env WORKBENCH_RUNS, default ./runs (created if missing)."""
    root = app_settings().runs.expanduser().resolve()
    root.mkdir(parents=True, exist_ok=True)
    return root


def list_runs(root: Path | None = None) -> list[str]:
    """Names of the run folders under `root` (those with an event log), newest first."""
    root = root or runs_root()
    runs = [p for p in root.iterdir() if p.is_dir() and (p / EVENTS_FILE).is_file()]
    runs.sort(key=lambda p: (p / EVENTS_FILE).stat().st_mtime, reverse=True)
    return [p.name for p in runs]


def resolve_run(name: str, root: Path | None = None) -> Path:
    """The run folder `name` under `root`; anything else is refused with a clear message.

    Only a plain folder name is accepted: no absolute path, no `..`, no separators, and the
    resolved folder (after symlinks) must lie directly under the transcript directory.

    Raises:
        RunPathError: the name is empty, unsafe, or names no recorded run.
    """
    root = (root or runs_root()).resolve()
    name = (name or "").strip()
    if not name:
        raise RunPathError("choose a recorded run first")
    if os.path.isabs(name) or "/" in name or "\\" in name or name in (".", ".."):
        raise RunPathError(
            f"refused {name!r}: give the name of a run folder under the transcript directory "
            f"({root}), not a path"
        )
    path = (root / name).resolve()
    if path.parent != root:
        raise RunPathError(f"refused {name!r}: it resolves outside the transcript directory")
    if not (path / EVENTS_FILE).is_file():
        raise RunPathError(f"no recorded run named {name!r} under {root}")
    return path


def resolve_artifact(run_dir: Path, path: str) -> Path | None:
    """The artifact file `path` inside `run_dir`, or None when it is missing or outside.

    Artifact paths are recorded as absolute paths; a run folder that was moved or copied
    still resolves through its `artifacts/...` suffix.
    """
    run_dir = Path(run_dir).resolve()
    candidate = Path(path)
    tries = [candidate if candidate.is_absolute() else run_dir / candidate]
    parts = candidate.parts
    if "artifacts" in parts:
        last = len(parts) - 1 - parts[::-1].index("artifacts")
        tries.append(run_dir.joinpath(*parts[last:]))
    for found in tries:
        found = found.resolve()
        if found.is_file() and found.is_relative_to(run_dir):
            return found
    return None


def zip_run(run_dir: Path) -> Path:
    """A zip of the run's event log, config and artifacts (not its checkpoint database)."""
    run_dir = Path(run_dir)
    out = Path(tempfile.mkdtemp(prefix="workbench-run-")) / f"{run_dir.name}.zip"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in (EVENTS_FILE, CONFIG_FILE):
            if (run_dir / name).is_file():
                archive.write(run_dir / name, f"{run_dir.name}/{name}")
        artifacts = run_dir / "artifacts"
        if artifacts.is_dir():
            for file in sorted(artifacts.rglob("*")):
                if file.is_file():
                    archive.write(file, f"{run_dir.name}/{file.relative_to(run_dir)}")
    return out
