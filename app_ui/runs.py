"""The app's transcript directory: list run folders, open one safely, zip one for download.

Runs are private to the browser session that made them: a run folder made by the app holds
`access.json` with its owner (a random id the browser keeps) and whether the owner shared it
in the gallery. A session lists, replays and downloads only its own runs and shared ones; a
run without an owner (made by the CLI) is not served by the app at all.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import uuid
import zipfile
from pathlib import Path
from typing import Any

from agent.transcript import CONFIG_FILE, EVENTS_FILE
from app_ui.settings import app_settings


class RunPathError(ValueError):
    """A run name that does not name a run folder under the transcript directory."""


def runs_root() -> Path:
    """The transcript directory: env WORKBENCH_RUNS, default ./runs (created if missing)."""
    root = app_settings().runs.expanduser().resolve()
    root.mkdir(parents=True, exist_ok=True)
    return root


ACCESS_FILE = "access.json"
_OWNER = re.compile(r"^[0-9a-f]{32}$")


def new_owner() -> str:
    """A fresh, unguessable owner id for a browser session."""
    return uuid.uuid4().hex


def check_owner(owner: str | None) -> str | None:
    """A well-formed owner id, or None (ids are 32 hex digits; anything else owns nothing)."""
    return owner if isinstance(owner, str) and _OWNER.match(owner) else None


def read_access(run_dir: Path) -> dict[str, Any]:
    """{"owner": id or None, "shared": bool} of a run folder."""
    try:
        data = json.loads((Path(run_dir) / ACCESS_FILE).read_text())
    except (OSError, ValueError):
        return {"owner": None, "shared": False}
    return {"owner": check_owner(data.get("owner")), "shared": bool(data.get("shared"))}


def write_access(run_dir: Path, owner: str, shared: bool) -> None:
    """Record the run's owner and whether it is in the shared gallery (atomically)."""
    path = Path(run_dir) / ACCESS_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"owner": owner, "shared": bool(shared)}))
    os.replace(tmp, path)


def visible_to(run_dir: Path, owner: str | None) -> bool:
    """Whether a session may see a run: its own, or one its owner shared."""
    access = read_access(run_dir)
    owner = check_owner(owner)
    return access["shared"] or (owner is not None and access["owner"] == owner)


def list_runs(root: Path | None = None, owner: str | None = None) -> list[str]:
    """Names of the runs a session may see (its own and shared ones), newest first."""
    root = root or runs_root()
    runs = [p for p in root.iterdir() if p.is_dir() and (p / EVENTS_FILE).is_file()
            and visible_to(p, owner)]
    runs.sort(key=lambda p: (p / EVENTS_FILE).stat().st_mtime, reverse=True)
    return [p.name for p in runs]


def resolve_run(name: str, root: Path | None = None, owner: str | None = None,
                require_owner: bool = False) -> Path:
    """The run folder `name` under `root`, if this session may see it; else a clear refusal.

    Only a plain folder name is accepted: no absolute path, no `..`, no separators, no control
    characters, and the resolved folder (after symlinks) must lie directly under the
    transcript directory.

    Args:
        owner: the session's owner id (runs of other sessions are refused unless shared).
        require_owner: refuse shared runs of others too (for changing a run).

    Raises:
        RunPathError: the name is empty, unsafe, names no run, or a run of another session.
    """
    root = (root or runs_root()).resolve()
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name:
        raise RunPathError("choose a recorded run first")
    if any(ord(c) < 32 for c in name) or len(name) > 200:
        raise RunPathError("refused: a run name is a folder name without control characters")
    if os.path.isabs(name) or "/" in name or "\\" in name or name in (".", ".."):
        raise RunPathError(
            f"refused {name!r}: give the name of a run folder under the transcript directory "
            f"({root}), not a path"
        )
    path = (root / name).resolve()
    if path.parent != root:
        raise RunPathError(f"refused {name!r}: it resolves outside the transcript directory")
    if not (path / EVENTS_FILE).is_file() or not visible_to(path, owner) or (
            require_owner and read_access(path)["owner"] != check_owner(owner)):
        # the same answer for a missing run and another session's: names reveal nothing
        raise RunPathError(f"no recorded run named {name!r} for this session")
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
