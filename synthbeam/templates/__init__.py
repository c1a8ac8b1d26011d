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
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from synthbeam.schemas.record import Message

SYSTEM_MARKER = "=== system ==="
USER_MARKER = "=== user ==="


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


def render(name: str, **variables: Any) -> str:
    return _environment().get_template(name).render(**variables).strip()


def render_messages(name: str, **variables: Any) -> list[Message]:
    """Renders a template into chat messages.

    A template may open with a ``=== system ===`` section followed by ``=== user ===``;
    without markers the whole text is one user message.
    """
    text = render(name, **variables)
    if not text.startswith(SYSTEM_MARKER):
        return [{"role": "user", "content": text}]
    system, _, user = text[len(SYSTEM_MARKER) :].partition(USER_MARKER)
    return [
        {"role": "system", "content": system.strip()},
        {"role": "user", "content": user.strip()},
    ]
