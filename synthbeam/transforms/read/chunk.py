"""Splitting long documents into passages at paragraph and sentence boundaries.

Pure functions, no Beam: ``chunk_text`` decides where a document is cut and
``split_document`` turns one document into ``Passage`` elements with stable ids.
"""

from __future__ import annotations

import dataclasses
import re

from synthbeam.schemas.record import Passage, Source, stable_id

_PARAGRAPH_BREAK = re.compile(r"\n(?:[ \t\r]*\n)+")
_SENTENCE_END = re.compile(r"(?<=[.!?])(\s+)")
_WHITESPACE = re.compile(r"(\s+)")
_PARAGRAPH_JOINER = "\n\n"


def chunk_text(text: str, max_chars: int, overlap_chars: int = 0) -> list[str]:
    """Cuts ``text`` into chunks of at most ``max_chars`` characters.

    Whole paragraphs (blank-line separated) are packed greedily into a chunk; a paragraph
    longer than ``max_chars`` is cut between sentences, a sentence longer than that between
    words, and a word longer than that anywhere. Whitespace at the ends of the text is
    dropped; paragraphs inside one chunk are joined by one blank line.

    Args:
        text: The document text.
        max_chars: The largest chunk, in characters (> 0).
        overlap_chars: Each chunk after the first starts with up to this many characters
            from the end of the previous one, beginning at a word, when they fit.

    Returns:
        The chunks in order; ``[]`` for blank text, ``[text.strip()]`` when it fits.
    """
    if max_chars <= 0 or not 0 <= overlap_chars < max_chars:
        raise ValueError(f"need max_chars > overlap_chars >= 0, got {max_chars}, {overlap_chars}")
    text = text.strip()
    if len(text) <= max_chars:
        return [text] if text else []
    chunks: list[str] = []
    current = ""
    for joiner, piece in _pieces(text, max_chars):
        if not current:
            current = piece
        elif len(current) + len(joiner) + len(piece) <= max_chars:
            current = current + joiner + piece
        else:
            chunks.append(current)
            tail = _overlap_tail(current, overlap_chars)
            # A piece cut out of a word (joiner "") must not be glued to an overlap.
            fits = tail and joiner and len(tail) + len(joiner) + len(piece) <= max_chars
            current = tail + joiner + piece if fits else piece
    chunks.append(current)
    return chunks


def _pieces(text: str, max_chars: int) -> list[tuple[str, str]]:
    """(joiner, piece) pairs, each piece at most ``max_chars`` long."""
    pieces: list[tuple[str, str]] = []
    for paragraph in _PARAGRAPH_BREAK.split(text):
        paragraph = paragraph.strip("\n").rstrip()
        if not paragraph.strip():
            continue
        parts = _split_keeping_whitespace(paragraph, _SENTENCE_END, max_chars)
        pieces.append((_PARAGRAPH_JOINER, parts[0][1]))
        pieces.extend(parts[1:])
    return pieces


def _split_keeping_whitespace(text: str, pattern: re.Pattern[str], max_chars: int) -> list[tuple[str, str]]:
    """Splits on ``pattern`` (sentences, then words), keeping the original whitespace."""
    if len(text) <= max_chars:
        return [("", text)]
    tokens = pattern.split(text)
    out: list[tuple[str, str]] = []
    joiner = ""
    for i, token in enumerate(tokens):
        if i % 2:
            joiner = token
            continue
        if not token:
            continue
        if len(token) <= max_chars:
            out.append((joiner, token))
        elif pattern is _SENTENCE_END:
            sub = _split_keeping_whitespace(token, _WHITESPACE, max_chars)
            out.append((joiner, sub[0][1]))
            out.extend(sub[1:])
        else:
            out.extend((joiner if k == 0 else "", token[k : k + max_chars]) for k in range(0, len(token), max_chars))
    return out


def _overlap_tail(chunk: str, overlap_chars: int) -> str:
    """The end of ``chunk``, at most ``overlap_chars`` long, starting at a word."""
    if overlap_chars <= 0:
        return ""
    tail = chunk[-overlap_chars:]
    if len(tail) < len(chunk) and not chunk[-len(tail) - 1].isspace():
        match = _WHITESPACE.search(tail)
        tail = tail[match.end() :] if match else ""
    return tail.strip()


def split_document(document: Passage, max_chars: int, overlap_chars: int = 0) -> list[Passage]:
    """The passages of one document (a ``Passage`` holding the whole text, chunk 0).

    Ids are deterministic: a document with its own id keeps it when it makes one passage
    and gets ``"<id>#<chunk>"`` otherwise; a document without one gets
    ``stable_id(uri, position, chunk)`` for each passage.
    """
    chunks = chunk_text(document.text, max_chars, overlap_chars)
    source = document.source
    passages = []
    for number, chunk in enumerate(chunks):
        if not document.id:
            passage_id = stable_id(source.uri, source.position, number)
        elif len(chunks) == 1:
            passage_id = document.id
        else:
            passage_id = f"{document.id}#{number}"
        passages.append(
            dataclasses.replace(
                document,
                id=passage_id,
                text=chunk,
                source=Source(uri=source.uri, position=source.position, chunk=number),
            )
        )
    return passages
