import hashlib
from pathlib import Path

import jinja2
import pytest

import synthbeam.templates
from synthbeam.templates import _environment, render_messages, template_hash


def test_render_splits_system_and_user_sections():
    messages = render_messages(
        "instructions_from_passage.jinja2", passage="P.", title="", question_type="factual", type_hint="a fact"
    )
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[1]["content"] == (
        'Passage:\n"""\nP.\n"""\n\nQuestion type: factual (a fact).\n'
        'Reply in JSON with "instruction" (the question) and "response" (the answer).'
    )


@pytest.mark.parametrize(
    "hostile",
    ["{{ ''.__class__.__mro__ }}", "{% raw %}", "{% for x in range(10**9) %}{% endfor %}", "{{ 7*7 }}"],
)
def test_corpus_text_is_rendered_as_text_never_evaluated(hostile):
    messages = render_messages(
        "instructions_from_passage.jinja2", passage=hostile, title=hostile, question_type="factual", type_hint="x"
    )
    assert hostile in messages[1]["content"]
    assert "<class" not in messages[1]["content"] and "49" not in messages[1]["content"]


def test_missing_variable_is_an_error():
    with pytest.raises(jinja2.UndefinedError):
        render_messages("instructions_from_passage.jinja2", passage="p", title="")


def test_sandbox_blocks_unsafe_attribute_access_in_template_source():
    with pytest.raises(jinja2.exceptions.SecurityError):
        _environment().from_string("{{ ''.__class__.__mro__[1].__subclasses__() }}").render()


def test_template_hash_is_stable_and_short():
    source = Path(synthbeam.templates.__file__).with_name("instructions_from_passage.jinja2").read_bytes()
    assert template_hash("instructions_from_passage.jinja2") == hashlib.sha256(source).hexdigest()[:16]
    assert len(template_hash("instructions_from_passage.jinja2")) == 16
