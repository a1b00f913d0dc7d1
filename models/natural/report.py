"""The sources report of `python -m models.natural`: what is installed, how much it gives, and
what to install for what is missing."""

from __future__ import annotations

import collections

from models.errors import ModelsError
from models.natural.sources import PHOTO_SOURCES, TEXT_SOURCES, install_commands


def sources_report(build: bool = True) -> str:
    """A plain-text report on every natural data source.

    Args:
        build: count passages and tokens (builds the text corpus on first use, about a minute)
            and photos and labels; False lists only what is installed.
    """
    lines = ["Natural text sources (passages of 32-96 SmolLM2 tokens):"]
    passages_by_source: dict[str, list[int]] = collections.defaultdict(list)
    text_error = ""
    if build:
        from models.natural.text import natural_passages

        try:
            for passage in natural_passages():
                passages_by_source[passage.source].append(passage.tokens)
        except ModelsError as error:
            text_error = str(error).splitlines()[0]
    missing = []
    for source in TEXT_SOURCES:
        location = source.location()
        if location is None:
            missing.append(source)
            lines.append(f"  [missing]   {source.name:12s} {source.kind}")
            continue
        counts = passages_by_source.get(source.name, [])
        figures = f"{len(counts):6d} passages {sum(counts):9,d} tokens  " if build else ""
        lines.append(f"  [installed] {source.name:12s} {figures}{source.licence}; {location}")
    if passages_by_source:
        total = [t for counts in passages_by_source.values() for t in counts]
        lines.append(f"  total: {len(total):,d} passages, {sum(total):,d} tokens")
    if text_error:
        lines.append(f"  the corpus could not be built: {text_error}")

    lines.append("Natural photo sources (labelled):")
    photos_by_source: dict[str, list[str]] = collections.defaultdict(list)
    if build:
        from models.natural.images import natural_photos

        try:
            for photo in natural_photos():
                photos_by_source[photo.source].append(photo.label)
        except ModelsError:
            pass
    for source in PHOTO_SOURCES:
        location = source.location()
        if location is None:
            missing.append(source)
            lines.append(f"  [missing]   {source.name:12s} {source.kind}")
            continue
        labels = photos_by_source.get(source.name, [])
        figures = f"{len(labels):4d} photos {len(set(labels)):4d} labels  " if build else ""
        lines.append(f"  [installed] {source.name:12s} {figures}{source.licence}; {location}")
    if photos_by_source:
        every = [label for labels in photos_by_source.values() for label in labels]
        lines.append(f"  total: {len(every)} photos, {len(set(every))} distinct labels")

    if missing:
        lines.append("To install what is missing:")
        lines += [f"  {s.name}: {s.install}" for s in missing]
    lines.append("Everything at once:")
    lines += [f"  {command}" for command in install_commands()]
    return "\n".join(lines)
