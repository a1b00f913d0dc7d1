"""Reading texts from a file: one per paragraph or one per line."""

from __future__ import annotations

import re
from pathlib import Path

from models.errors import StimulusError
from models.stimuli_io import check_texts


def texts_from_file(path: str | Path, limit: int | None = None) -> list[str]:
    """Read texts from a UTF-8 file: one per paragraph if blank lines separate paragraphs,
    else one per non-empty line.

    Args:
        path: the file to read.
        limit: keep at most this many texts (the first ones).

    Returns:
        The validated texts (see `models.stimuli_io.check_texts`).

    Raises:
        StimulusError: the file is missing, unreadable, not UTF-8 or holds no text.
    """
    file = Path(path)
    if not file.is_file():
        raise StimulusError(f"no text file at {str(file)!r}")
    if limit is not None and limit < 1:
        raise StimulusError(f"limit must be at least 1, got {limit}")
    try:
        content = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise StimulusError(f"cannot read {str(file)!r} as UTF-8 text ({error})") from error
    content = content.replace("\r\n", "\n")
    if re.search(r"\n[ \t]*\n", content.strip()):
        blocks = re.split(r"\n[ \t]*\n", content)
        texts = [" ".join(line.strip() for line in b.splitlines() if line.strip()) for b in blocks]
    else:
        texts = [line.strip() for line in content.splitlines()]
    texts = [t for t in texts if t]
    if not texts:
        raise StimulusError(f"{str(file)!r} holds no text: write one text per line")
    if limit is not None:
        texts = texts[:limit]
    return check_texts(texts)
