"""chunk_text / split_document: where documents are cut and how passages are named."""

from __future__ import annotations

import pytest

from synthbeam.data.corpus import pydoc_topics
from synthbeam.schemas.record import Passage, Source, stable_id
from synthbeam.transforms.read.chunk import chunk_text, split_document


def test_text_that_fits_is_one_stripped_chunk() -> None:
    assert chunk_text("  Hello.\n\nWorld.  \n", 100) == ["Hello.\n\nWorld."]


def test_blank_text_has_no_chunks() -> None:
    assert chunk_text(" \n\n\t", 10) == []


def test_paragraphs_are_packed_and_blank_runs_collapse() -> None:
    text = "Alpha beta.\n\nGamma delta.\n\n\n  \nEpsilon."
    assert chunk_text(text, 30) == ["Alpha beta.\n\nGamma delta.", "Epsilon."]


def test_windows_line_endings_separate_paragraphs_too() -> None:
    assert chunk_text("Alpha beta.\r\n\r\nGamma delta.", 15) == ["Alpha beta.", "Gamma delta."]


def test_long_paragraph_is_cut_between_sentences() -> None:
    assert chunk_text("One two. Three four! Five six?", 12) == [
        "One two.",
        "Three four!",
        "Five six?",
    ]


def test_sentences_keep_their_original_whitespace() -> None:
    assert chunk_text("One two.\nThree four. Five.", 20) == ["One two.\nThree four.", "Five."]


def test_long_sentence_is_cut_between_words_and_long_words_anywhere() -> None:
    assert chunk_text("abcdefghij klm", 4) == ["abcd", "efgh", "ij", "klm"]


def test_overlap_repeats_the_previous_tail_from_a_word_start() -> None:
    assert chunk_text("One two. Three four. Five six.", 20, 9) == [
        "One two. Three four.",
        "four. Five six.",
    ]


def test_overlap_is_kept_only_when_it_fits() -> None:
    assert chunk_text("aaaa bbbb cccc", 9, 4) == ["aaaa bbbb", "bbbb cccc"]
    assert chunk_text("aaaa bbbb cccccc", 9, 4) == ["aaaa bbbb", "cccccc"]


@pytest.mark.parametrize(("max_chars", "overlap"), [(0, 0), (10, 10), (10, -1)])
def test_bad_sizes_are_refused(max_chars: int, overlap: int) -> None:
    with pytest.raises(ValueError, match="max_chars > overlap_chars"):
        chunk_text("text", max_chars, overlap)


def test_real_documents_lose_no_words_and_respect_the_limit() -> None:
    text = pydoc_topics()["formatstrings"]
    chunks = chunk_text(text, 500)
    assert len(chunks) > 10
    assert max(len(c) for c in chunks) <= 500
    assert " ".join(" ".join(chunks).split()) == " ".join(text.split())


def test_document_with_own_id_keeps_it_when_it_is_one_passage() -> None:
    doc = Passage(id="doc", text="Short.", source=Source("f.jsonl", 3), title="T")
    assert split_document(doc, 100) == [Passage(id="doc", text="Short.", source=Source("f.jsonl", 3, 0), title="T")]


def test_document_with_own_id_numbers_its_passages() -> None:
    doc = Passage(id="doc", text="One two. Three four.", source=Source("f.jsonl", 3), title="T")
    assert split_document(doc, 11) == [
        Passage(id="doc#0", text="One two.", source=Source("f.jsonl", 3, 0), title="T"),
        Passage(id="doc#1", text="Three four.", source=Source("f.jsonl", 3, 1), title="T"),
    ]


def test_document_without_id_gets_stable_ids_from_its_source() -> None:
    doc = Passage(id="", text="One two. Three four.", source=Source("f.txt", 7))
    passages = split_document(doc, 11)
    assert [p.id for p in passages] == [stable_id("f.txt", 7, 0), stable_id("f.txt", 7, 1)]
    assert [p.source for p in passages] == [Source("f.txt", 7, 0), Source("f.txt", 7, 1)]
