"""The Studies tab: the reports of research studies (`python -m studies.<name> report`) kept
under the studies folder, each shown as its table and plots."""

from __future__ import annotations

import re
from pathlib import Path

from app_ui.settings import app_settings

REPORT = "report.md"


def studies(root: Path | None = None) -> list[str]:
    """Study result folders (holding report.md) under the studies root, relative to it."""
    root = (root or app_settings().studies).resolve()
    if not root.is_dir():
        return []
    found = sorted({p.parent for p in root.glob("**/" + REPORT) if p.is_file()
                    and len(p.relative_to(root).parts) <= 4})
    return [str(p.relative_to(root)) for p in found]


def show(name: str | None) -> tuple[str, list[tuple[str, str]]]:
    """A study's report as Markdown (image links taken out) and its plots for the gallery."""
    root = app_settings().studies.resolve()
    folder = (root / (name or "")).resolve()
    if not name or not folder.is_relative_to(root) or not (folder / REPORT).is_file():
        return (f"No study named {name!r}; choose one of the list." if name else
                "Choose a study."), []
    import shutil
    import tempfile

    text = (folder / REPORT).read_text()
    images = []
    copies = Path(tempfile.mkdtemp(prefix="study-"))  # the app serves no results folder by path
    for caption, target in re.findall(r"!\[([^\]]*)\]\(([^)]+)\)", text):
        path = (folder / target).resolve()
        if path.is_relative_to(folder) and path.is_file():
            copy = copies / path.name
            shutil.copyfile(path, copy)
            images.append((str(copy), caption))
    text = re.sub(r"!\[[^\]]*\]\([^)]+\)\n?", "", text)
    return text, images
