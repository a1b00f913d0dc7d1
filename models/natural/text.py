"""The natural text corpus: installed sources cut into short sentence-aligned passages (32-96
SmolLM2 tokens), each with its source and a stable id, built once and cached on disk.

Each source contributes at most its token budget: its documents are taken in the order of a hash
of their key until the budget is reached, so the choice is deterministic and spread over the
whole source, then packed in their original order.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from models.errors import StimulusError
from models.natural.sources import TEXT_SOURCES, install_commands
from models.natural.text_readers import READERS, Document

MIN_TOKENS = 32
MAX_TOKENS = 96
#: Passages outside these lengths are dropped: stray fragments ("See Rhea.") and strings that no
#: sentence boundary could cut (long runs without spaces).
KEEP_TOKENS = (8, 128)
CACHE_VERSION = 2
TOKENIZER_MODEL = "smollm2-135m-instruct"
#: Most tokens each source may contribute (None: all of it). See the module docstring.
TOKEN_BUDGETS: dict[str, int | None] = {
    "wordnet": 300_000,
    "gcide": 300_000,
    "devil": None,
    "fortunes": None,
    "fortunes-de": 100_000,
    "fortunes-es": 100_000,
    "python": 100_000,
    "sotu": 400_000,
    "moby-dick": None,
}
#: Words after which a full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr st jr sr vs etc e.g i.e gen col lt no prof rev hon gov sen rep capt sgt "
    "u.s fig cf ca approx dept inc ltd co corp vol ch p pp".split()
)
_SENTENCE_END = re.compile(r"[.!?][\"')\]»”’]*\s+")
_OPENERS = "\"'(“‘¿¡«["


@dataclass(frozen=True)
class Passage:
    """One passage of the natural text corpus.

    Attributes:
        id: stable id, `<source>:<document key>` plus `~p<k>` for the k-th piece of a long
            document and `~+<n>` when n more whole documents follow in the passage.
        source: the source name.
        document: `<source>:<key>` of the first document: the unit the splits hash, so all
            pieces of one document fall in the same split.
        text: the passage.
        tokens: its length in SmolLM2 tokens (no special tokens).
    """

    id: str
    source: str
    document: str
    text: str
    tokens: int


def split_sentences(line: str) -> list[str]:
    """Sentences of one line of prose (a full stop after an abbreviation or initial is kept)."""
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(line):
        after = line[match.end():match.end() + 2]
        if not after or not (after[0].isupper() or after[0].isdigit()
                             or (after[0] in _OPENERS and after[1:2].isupper())):
            continue
        sentence = line[start:match.start() + 1]
        if re.fullmatch(r"\s*\(?[0-9ivxIVX]{1,4}\.?\)?\.?", sentence):
            continue  # a sense or list number ("1."), not a sentence
        word = sentence.rsplit(None, 1)[-1]
        bare = word.rstrip(".").lstrip(_OPENERS).lower()
        if word.endswith(".") and (bare in _ABBREVIATIONS or re.fullmatch(r"[a-z]", bare)):
            continue
        sentences.append(line[start:match.end()].strip())
        start = match.end()
    sentences.append(line[start:].strip())
    return [s for s in sentences if s]


def segments(document: Document) -> list[tuple[str, str]]:
    """(separator before it, text) for each sentence or code line of a document."""
    parts: list[tuple[str, str]] = []
    for line in document.text.split("\n"):
        if not line.strip():
            continue
        pieces = [line.rstrip()] if document.code else split_sentences(line)
        for index, piece in enumerate(pieces):
            parts.append(("\n" if index == 0 else " ", piece))
    return parts


def _split_long(text: str, tokens: int, limit: int) -> list[tuple[str, int]]:
    """Cut a sentence longer than `limit` tokens into pieces of about `limit` tokens, at clause
    boundaries (after ; : ,) where it has them, else between words. Token counts of the pieces
    are estimated from their share of the characters."""
    if tokens <= limit:
        return [(text, tokens)]
    per_char = tokens / max(len(text), 1)
    budget = limit / per_char  # characters per piece
    pieces: list[str] = []
    for clause in re.split(r"(?<=[;:,])\s+", text):
        if len(clause) > budget:  # no usable clause boundary: cut between words
            words, clause_pieces, current = clause.split(" "), [], ""
            for word in words:
                if current and len(current) + 1 + len(word) > budget:
                    clause_pieces.append(current)
                    current = word
                else:
                    current = f"{current} {word}" if current else word
            clause_pieces.append(current)
        else:
            clause_pieces = [clause]
        for piece in clause_pieces:
            if pieces and len(pieces[-1]) + 1 + len(piece) <= budget:
                pieces[-1] = f"{pieces[-1]} {piece}"
            else:
                pieces.append(piece)
    return [(piece, max(1, round(len(piece) * per_char))) for piece in pieces]


def pack(documents: Sequence[Document], count_tokens: Callable[[list[str]], list[int]],
         min_tokens: int = MIN_TOKENS, max_tokens: int = MAX_TOKENS) -> list[Passage]:
    """Pack documents into passages: sentence-aligned, at most `max_tokens` where sentences
    allow, ending at a document boundary once `min_tokens` is reached; a short document is
    packed whole with its neighbours of the same group, never split across passages."""
    per_document = [segments(d) for d in documents]
    flat = [text for parts in per_document for _, text in parts]
    counts = iter(count_tokens(flat))
    passages: list[Passage] = []
    buffer: list[tuple[int, str, str, int]] = []  # (document index, separator, text, tokens)
    pieces: dict[int, int] = {}

    def flush() -> None:
        if not buffer:
            return
        first = buffer[0][0]
        doc = documents[first]
        piece = pieces.get(first, 0)
        pieces[first] = piece + 1
        more = len({b[0] for b in buffer}) - 1
        ident = f"{doc.source}:{doc.key}" + (f"~p{piece}" if piece else "") + (
            f"~+{more}" if more else "")
        text = "".join((sep if i else "") + part for i, (_, sep, part, _) in enumerate(buffer))
        passages.append(Passage(ident, doc.source, f"{doc.source}:{doc.key}", text.strip(),
                                sum(b[3] for b in buffer)))
        buffer.clear()

    for index, (document, parts) in enumerate(zip(documents, per_document, strict=True)):
        sizes = [next(counts) for _ in parts]
        if buffer and (documents[buffer[-1][0]].group != document.group
                       or sum(b[3] for b in buffer) + sum(sizes) > max_tokens):
            flush()
        cut = [p for (sep, part), size in zip(parts, sizes, strict=True)
                     for p in [(sep, *x) for x in _split_long(part, size, max_tokens)]]
        total = sum(p[2] for p in cut)
        # a long document is cut into pieces of about equal size, so no tail is left tiny
        target = total / -(-total // max_tokens) if total > max_tokens else max_tokens
        for sep, text, tokens in cut:
            held = sum(b[3] for b in buffer)
            if buffer and (held + tokens > max_tokens or held >= target):
                flush()
            buffer.append((index, sep if buffer else "", text, tokens))
        if sum(b[3] for b in buffer) >= min_tokens:
            flush()
    flush()
    return passages


def _rank(source: str, key: str) -> str:
    return hashlib.sha256(f"budget:{source}:{key}".encode()).hexdigest()


def choose(documents: list[Document], budget: int | None,
           count_tokens: Callable[[list[str]], list[int]]) -> list[Document]:
    """The documents a budget admits: hash order until the budget, returned in source order.

    Token counts are estimated from characters, with the ratio measured on a hash-ordered sample.
    """
    if budget is None or not documents:
        return documents
    ranked = sorted(range(len(documents)), key=lambda i: _rank(documents[i].source,
                                                                documents[i].key))
    sample = [documents[i].text for i in ranked[:300]]
    chars_per_token = sum(map(len, sample)) / max(1, sum(count_tokens(sample)))
    limit, used, keep = budget * chars_per_token, 0.0, []
    for i in ranked:
        if used >= limit:
            break
        keep.append(i)
        used += len(documents[i].text)
    return [documents[i] for i in sorted(keep)]


def smollm2_token_counter() -> Callable[[list[str]], list[int]]:
    """Counts SmolLM2 tokens of many texts at once (the offline model's own tokenizer)."""
    from models.registry import get_model

    tokenizer = get_model(TOKENIZER_MODEL).tokenizer

    def count(texts: list[str]) -> list[int]:
        counts: list[int] = []
        for start in range(0, len(texts), 4096):
            batch = tokenizer(texts[start:start + 4096], add_special_tokens=False)["input_ids"]
            counts.extend(len(ids) for ids in batch)
        return counts

    return count


def installed_text_sources() -> dict[str, Path]:
    """Installed text sources by name, with their locations."""
    found = {s.name: s.location() for s in TEXT_SOURCES}
    return {name: path for name, path in found.items() if path is not None}


def build_passages(sources: dict[str, Path] | None = None,
                   count_tokens: Callable[[list[str]], list[int]] | None = None,
                   progress: Callable[[str], None] | None = None) -> list[Passage]:
    """Read, choose and pack every installed source; duplicate passages are dropped."""
    sources = installed_text_sources() if sources is None else sources
    count_tokens = count_tokens or smollm2_token_counter()
    passages: list[Passage] = []
    seen: set[str] = set()
    for name in (s.name for s in TEXT_SOURCES):
        if name not in sources:
            continue
        documents = choose(list(READERS[name](sources[name])), TOKEN_BUDGETS.get(name),
                           count_tokens)
        packed = pack(documents, count_tokens)
        exact = count_tokens([p.text for p in packed])
        for passage, tokens in zip(packed, exact, strict=True):
            if KEEP_TOKENS[0] <= tokens <= KEEP_TOKENS[1] and passage.text not in seen:
                seen.add(passage.text)
                passages.append(Passage(passage.id, passage.source, passage.document,
                                        passage.text, tokens))
        if progress is not None:
            progress(f"{name}: {len(packed)} passages")
    return passages


def fingerprint(sources: dict[str, Path]) -> str:
    """Changes when a source is installed, removed or updated, or the packing rules change."""
    state: dict[str, object] = {"version": CACHE_VERSION, "min": MIN_TOKENS, "max": MAX_TOKENS,
                                "budgets": TOKEN_BUDGETS, "tokenizer": TOKENIZER_MODEL}
    for name, path in sorted(sources.items()):
        stat = path.stat()
        state[name] = [str(path), stat.st_size, stat.st_mtime_ns]
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()[:16]


def cache_path(sources: dict[str, Path]) -> Path:
    """Where the corpus built from these sources is cached."""
    from models.loaders import cache_dir

    return cache_dir() / "natural" / f"text-{fingerprint(sources)}.jsonl.gz"


def write_passages(passages: Iterable[Passage], path: Path) -> None:
    """Write passages as gzipped JSON lines, atomically (a temporary file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".jsonl.gz", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as raw, gzip.open(raw, "wt", encoding="utf-8") as out:
            for passage in passages:
                out.write(json.dumps(asdict(passage), ensure_ascii=False) + "\n")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def read_passages(path: Path) -> list[Passage] | None:
    """Passages written by `write_passages`; None when the file is missing or unreadable."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            return [Passage(**json.loads(line)) for line in handle]
    except (OSError, ValueError, TypeError, EOFError):
        return None


def missing_text_message(present: Iterable[str]) -> str:
    """What is not installed and the commands that install it."""
    absent = [s for s in TEXT_SOURCES if s.name not in set(present)]
    lines = [f"  {s.name}: {s.kind}; install: {s.install}" for s in absent]
    return "\n".join(["missing natural text sources:", *lines, "install everything with:",
                      *[f"  {c}" for c in install_commands()]])


@lru_cache(maxsize=1)
def _cached_passages(key: str) -> tuple[Passage, ...]:
    sources = installed_text_sources()
    path = cache_path(sources)
    passages = read_passages(path) if path.is_file() else None
    if passages is None:
        def report(message: str) -> None:
            print(f"natural text corpus: {message}", file=sys.stderr, flush=True)

        passages = build_passages(sources, progress=report)
        write_passages(passages, path)
    return tuple(passages)


def natural_passages() -> tuple[Passage, ...]:
    """Every passage of the natural text corpus (built on first use, then read from the cache).

    Raises:
        StimulusError: no natural text source is installed (the message says what to install).
    """
    sources = installed_text_sources()
    if not set(sources) - {"python"}:
        raise StimulusError("no natural text source is installed.\n"
                            + missing_text_message(sources))
    return _cached_passages(fingerprint(sources))
