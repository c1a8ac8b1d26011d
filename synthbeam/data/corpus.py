"""The bundled default corpus: the topics of Python's own reference documentation.

Every CPython ships ``pydoc_data.topics.topics``, a dict from a help topic ("assert",
"class", "formatstrings", ...) to its text, the source of ``help("topic")``. That text is
part of the Python documentation, copyright the Python Software Foundation, distributed
under the PSF License Agreement (https://docs.python.org/3/license.html). Using it needs no
download, so a pipeline runs with no corpus of its own and no network.

``default_corpus_path()`` writes it once as JSONL (``{"id", "title", "text"}``, topics
sorted) under the cache directory; ``ReadCorpus(DEFAULT_CORPUS_URI)`` reads it on whichever
worker runs the read, so passage ids do not depend on where the cache lives.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from synthbeam.local_cache import cache_home

DEFAULT_CORPUS_URI = "synthbeam://pydoc_topics"
CORPUS_FILE = "pydoc_topics.jsonl"
# The field names of every line of the default corpus.
ID_FIELD = "id"
TITLE_FIELD = "title"
TEXT_FIELD = "text"


def corpus_cache_dir() -> Path:
    return cache_home() / "corpus"


def pydoc_topics() -> dict[str, str]:
    """Topic name -> text, from this interpreter's ``pydoc_data``."""
    from pydoc_data.topics import topics

    return dict(topics)


def corpus_lines(topics: dict[str, str]) -> list[str]:
    """One JSON line per topic, sorted by topic name (the file content, deterministic)."""
    return [
        json.dumps({ID_FIELD: name, TITLE_FIELD: name, TEXT_FIELD: topics[name]}, ensure_ascii=False) + "\n"
        for name in sorted(topics)
    ]


def default_corpus_path() -> str:
    """Path of the default corpus JSONL, written on first use and rewritten if stale.

    The content depends on the Python version (topics change between releases); a file
    left by another version is replaced. The write goes through a temporary file and an
    atomic rename, so concurrent workers never read a partial file.
    """
    path = corpus_cache_dir() / CORPUS_FILE
    content = "".join(corpus_lines(pydoc_topics())).encode("utf-8")
    if not (path.exists() and path.read_bytes() == content):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{CORPUS_FILE}.")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    return str(path)
