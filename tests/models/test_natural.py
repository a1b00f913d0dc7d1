"""The natural corpora: real text and photos from installed packages, split once and for all.

The Debian packages (wordnet-base, dict-gcide, dict-devil, fortunes, fortunes-min, fortunes-de,
fortunes-es, tuxpaint-stamps-default, gcompris-qt-data) are installed by .ci/run; the corpus is
built once (about a minute) into the workbench cache and read back from it afterwards.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from models.errors import StimulusError
from models.natural import images, rcc, sources, splits, text
from models.natural.report import sources_report
from models.natural.text_readers import READERS, Document

REPO = Path(__file__).resolve().parents[2]
DEBIAN_TEXT = ("wordnet", "gcide", "devil", "fortunes", "fortunes-de", "fortunes-es", "python")


@pytest.fixture(scope="module")
def passages() -> tuple[text.Passage, ...]:
    return text.natural_passages()


@pytest.fixture(scope="module")
def photos() -> tuple[images.Photo, ...]:
    return images.natural_photos()


def test_debian_sources_alone_give_over_a_million_tokens(passages):
    tokens = {name: 0 for name in DEBIAN_TEXT}
    for passage in passages:
        if passage.source in tokens:
            tokens[passage.source] += passage.tokens
    assert all(count > 50_000 for count in tokens.values()), tokens
    assert sum(tokens.values()) >= 1_000_000, tokens


def test_passages_are_short_sentence_aligned_and_uniquely_named(passages):
    lengths = sorted(p.tokens for p in passages)
    assert text.KEEP_TOKENS[0] <= lengths[0] and lengths[-1] <= text.KEEP_TOKENS[1]
    assert 32 <= lengths[len(lengths) // 2] <= 96
    assert len({p.id for p in passages}) == len(passages)
    prose = [p.text.rstrip("\"'”’)") for p in passages if p.source in ("sotu", "moby-dick")]
    sentences = sum(t.endswith((".", "!", "?")) for t in prose)
    clauses = sum(t.endswith((".", "!", "?", ":", ";", ",", "—")) for t in prose)
    assert sentences > 0.9 * len(prose) and clauses > 0.99 * len(prose)


def test_passages_are_real_text_from_the_installed_packages(passages):
    texts = "\n".join(p.text for p in passages)
    assert ("entity (noun): that which is perceived or known or inferred to have its own "
            "distinct existence (living or nonliving)") in texts  # WordNet's first gloss
    assert "A celebrity is a person who is known for his well-knownness." in texts  # fortunes
    assert ("AUCTIONEER, n. The man who proclaims with a hammer that he has picked a pocket "
            "with his tongue.") in texts  # The Devil's Dictionary
    raw = Path("/usr/share/games/fortunes/cookie").read_text(encoding="utf-8", errors="replace")
    flat = " ".join(raw.split())
    cookies = [p for p in passages if p.id.startswith("fortunes:cookie.")][:50]
    assert cookies and all(" ".join(p.text.split("\n")[0].split())[:60] in flat
                           for p in cookies)


def test_a_missing_source_is_a_clear_error_with_the_install_line(monkeypatch):
    monkeypatch.setattr(text, "installed_text_sources", lambda: {})
    with pytest.raises(StimulusError, match="apt-get install -y --no-install-recommends"):
        text.natural_passages()
    monkeypatch.setattr(images, "PHOTO_SOURCES", ())
    with pytest.raises(StimulusError, match="no natural photo source is installed"):
        images.natural_photos.__wrapped__()


def test_packing_is_deterministic_and_keeps_short_documents_whole():
    docs = list(READERS["devil"](sources.source("devil").location()))[:60]

    def words(texts: list[str]) -> list[int]:
        return [len(t.split()) for t in texts]

    first, second = text.pack(docs, words, 20, 60), text.pack(docs, words, 20, 60)
    assert [(p.id, p.text) for p in first] == [(p.id, p.text) for p in second]
    position = {f"devil:{d.key}": i for i, d in enumerate(docs)}
    shared = [p for p in first if "~+" in p.id]
    assert shared, "short entries should share passages"
    for passage in shared:  # documents packed together are whole, and fit the limit
        more = int(passage.id.rsplit("~+", 1)[1])
        start = position[passage.document]
        members = docs[start + (1 if "~p" in passage.id else 0):start + 1 + more]
        flat = " ".join(passage.text.split())
        assert all(" ".join(d.text.split()) in flat for d in members)
        assert passage.tokens <= 60


def test_sentence_splitter_keeps_abbreviations_and_sense_numbers():
    assert text.split_sentences("Mr. Smith went to Washington. He stayed.") == [
        "Mr. Smith went to Washington.", "He stayed."]
    assert text.split_sentences("1. A low voice. 2. A rumour.") == [
        "1. A low voice.", "2. A rumour."]
    code = Document("python", "k", "g", "def f():\n    return 1. ", code=True)
    assert text.segments(code) == [("\n", "def f():"), ("\n", "    return 1.")]


def test_split_is_disjoint_complete_and_stable(passages):
    exemplar = splits.natural_corpus("text", size="all")
    heldout = splits.heldout_corpus("text")
    assert not set(exemplar.ids) & set(heldout.ids)
    assert len(exemplar) + len(heldout) == len(passages)
    assert 0.4 < len(heldout) / len(passages) < 0.6
    # pinned: changing the rule would silently move items between the splits
    assert [splits.split_of(k) for k in ("wordnet:n00001740", "x", "fortunes:art.2")] == [
        "heldout", "exemplar", "heldout"]
    pieces: dict[str, list[str]] = {}
    for passage in passages:
        pieces.setdefault(passage.document, []).append(passage.id)
    long_documents = [ids for ids in pieces.values() if len(ids) > 2]
    assert len(long_documents) > 100
    exemplar_ids = set(exemplar.ids)
    assert all(len({i in exemplar_ids for i in ids}) == 1 for ids in long_documents)
    again = splits.natural_corpus("text", size="all")
    assert again.ids == exemplar.ids and again.key == exemplar.key


def test_default_exemplar_text_corpus_is_a_nested_subsample(passages):
    corpus = splits.natural_corpus("text")
    assert len(corpus) == splits.EXEMPLAR_TEXT_SIZE
    assert corpus.name == f"natural-text-exemplar-{splits.EXEMPLAR_TEXT_SIZE}"
    small = splits.natural_corpus("text", size=100)
    assert set(small.ids) < set(corpus.ids)
    records = [splits.passage_record(i) for i in corpus.ids]
    assert all(splits.split_of(r.document) == "exemplar" for r in records)
    assert [r.tokens for r in records] == sorted(r.tokens for r in records)  # less padding
    assert corpus.items([0])[0] == records[0].text
    assert len({r.source for r in records}) >= 7


def test_photos_have_plain_labels_and_decode_as_rgb(photos):
    assert len(photos) >= 700
    assert len({p.id for p in photos}) == len(photos)
    assert all(re.fullmatch(r"[a-z']+( [a-z']+)*", p.label) for p in photos)
    by_id = {p.id: p for p in photos}
    assert by_id["tuxpaint:animals/birds/blackbird"].label == "blackbird"
    assert by_id["gcompris:explore_monuments/usa/statueofLiberty"].label == "statue of liberty"
    assert by_id["skimage:chelsea"].label == "cat"
    for ident in ("tuxpaint:animals/birds/blackbird", "gcompris:erase/giraffe"):
        image = images.load_photo(by_id[ident])
        assert image.mode == "RGB" and min(image.size) >= 64
        assert image.info["label"] == by_id[ident].label


def test_photo_split_is_disjoint_and_exposed_as_corpora(photos):
    exemplar, heldout = splits.natural_corpus("vision"), splits.heldout_corpus("vision")
    assert exemplar.modality == heldout.modality == "vision"
    assert not set(exemplar.ids) & set(heldout.ids)
    assert len(exemplar) + len(heldout) == len(photos)
    first = exemplar.items([0])[0]
    assert first.info["id"] == exemplar.ids[0]
    assert splits.photo_record(exemplar.ids[0]).label == first.info["label"]


def test_heldout_split_only_through_its_own_function():
    with pytest.raises(StimulusError, match="heldout_corpus"):
        splits.natural_corpus("text", "heldout")
    with pytest.raises(StimulusError, match="valid: text, vision"):
        splits.natural_corpus("audio")
    with pytest.raises(StimulusError, match="positive integer"):
        splits.natural_corpus("text", size=0)
    offenders = [
        str(path.relative_to(REPO))
        for package in ("tools", "agent")
        for path in (REPO / package).rglob("*.py")
        if re.search(r"heldout_corpus|models\.natural\.splits import .*heldout",
                     path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_hub_dataset_offline_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    import datasets.config

    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True, raising=False)
    with pytest.raises(StimulusError, match="needs a network connection"):
        splits.natural_corpus("text", hub="wikitext")
    with pytest.raises(StimulusError, match="unknown hub dataset"):
        splits.natural_corpus("text", hub="wikitext-typo")


def test_rcc_reader_lists_and_decodes_gcompris_photos(tmp_path):
    resource = Path("/usr/share/gcompris-qt/rcc/explore_world_animals.rcc")
    entries = rcc.list_entries(resource)
    giraffe = next(e for e in entries if e.path.endswith("/animals/giraffe.webp"))
    assert rcc.read_entry(resource, giraffe)[:4] == b"RIFF"  # a WebP file
    board = next(e for e in entries if e.path.endswith("board1.qml"))
    assert b"giraffe" in rcc.read_entry(resource, board).lower()  # zlib-compressed entry
    bogus = tmp_path / "not.rcc"
    bogus.write_bytes(b"hello world, not a resource file")
    with pytest.raises(rcc.RccError, match="not a Qt resource file"):
        rcc.list_entries(bogus)


def test_cache_round_trip_is_atomic(tmp_path):
    rows = [text.Passage("s:a", "s", "s:a", "Hello there.", 3),
            text.Passage("s:b~p1", "s", "s:b", "Zweite Zeile.\nÜber", 5)]
    path = tmp_path / "c.jsonl.gz"
    text.write_passages(rows, path)
    assert text.read_passages(path) == rows
    assert [p.name for p in tmp_path.iterdir()] == ["c.jsonl.gz"]  # no temporary file left
    path.write_bytes(gzip.compress(b"{broken"))
    assert text.read_passages(path) is None


def test_sources_report_names_what_is_installed_and_how_to_install(monkeypatch):
    report = sources_report()
    assert re.search(r"\[installed\] wordnet\s+\d+ passages", report)
    assert re.search(r"\[installed\] tuxpaint\s+\d+ photos", report)
    assert "total:" in report and "npm install -g" in report
    monkeypatch.setattr(sources.Source, "location", lambda self: None)
    missing = sources_report(build=False)
    assert "[missing]   wordnet" in missing and "dict-gcide" in missing
