"""Prompt templates: ``.jinja2`` files shipped in this package, rendered in a sandbox.

Corpus text only ever enters a template as a variable, never as template source, and
the environment is a ``SandboxedEnvironment`` with ``StrictUndefined``: a missing variable
is an error, and text like ``{{ ''.__class__ }}`` inside a passage stays text.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
import json
import re
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from synthbeam.schemas.record import Message

_SECTION = re.compile(r"^=== (system|user|assistant) ===[ \t]*$", re.MULTILINE)


@functools.cache
def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=jinja2.PackageLoader("synthbeam", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["tojson"] = lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True)
    return env


def template_source(name: str) -> str:
    return (importlib.resources.files("synthbeam.templates") / name).read_text("utf-8")


@functools.cache
def template_hash(name: str) -> str:
    """sha256 of the template file's bytes: part of every record's lineage."""
    return hashlib.sha256(template_source(name).encode("utf-8")).hexdigest()[:16]


def template_fixed_text(name: str) -> str:
    """A template's own wording: its source with every Jinja2 expression, tag and turn
    marker removed (what a model copies when it echoes its prompt)."""
    return re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|===[^=\n]+===", " ", template_source(name), flags=re.DOTALL)


def render(name: str, **variables: Any) -> str:
    return _environment().get_template(name).render(**variables).strip()


def render_messages(name: str, **variables: Any) -> list[Message]:
    """Renders a template into chat messages.

    A template may be cut into turns by lines ``=== system ===``, ``=== user ===`` and
    ``=== assistant ===`` (worked examples as earlier turns); without markers the whole
    text is one user message.
    """
    text = render(name, **variables)
    if not _SECTION.match(text):
        return [{"role": "user", "content": text}]
    parts = _SECTION.split(text)[1:]
    return [{"role": role, "content": content.strip()} for role, content in zip(parts[::2], parts[1::2], strict=True)]
