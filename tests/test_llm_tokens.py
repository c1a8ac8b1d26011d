from __future__ import annotations

import json

import pytest

from synthbeam.llm.tokens import PromptTokenCounter, context_detail, fits_context
from synthbeam.schemas.record import ChatRequest, SamplingParams


@pytest.mark.parametrize(
    ("prompt", "max_tokens", "limit", "fits"),
    [(100, 100, 200, True), (100, 101, 200, False), (0, 2048, 2048, True), (2049, 0, 2048, False)],
)
def test_fits_context(prompt: int, max_tokens: int, limit: int, fits: bool) -> None:
    assert fits_context(prompt, max_tokens, limit) is fits


def test_context_detail_names_all_three_numbers() -> None:
    assert context_detail(3000, 16, 2048) == "prompt 3000 + max_tokens 16 > max_model_len 2048"


@pytest.fixture(scope="module")
def counter(bundled_model_dir: str) -> PromptTokenCounter:
    return PromptTokenCounter(bundled_model_dir)


def test_count_includes_chat_template_and_grows_with_text(counter: PromptTokenCounter) -> None:
    short = counter.count(ChatRequest(id="a", messages=[{"role": "user", "content": "hi"}]))
    longer = counter.count(ChatRequest(id="b", messages=[{"role": "user", "content": "hi " * 100}]))
    assert short > 5  # the template's system prompt and role markers count too
    assert longer >= short + 99


def test_tools_go_through_the_model_template(counter: PromptTokenCounter) -> None:
    # SmolLM2's chat template renders no tool list, so the server sees (and we count) the
    # same prompt with or without tools; a tool-aware template would make it longer.
    messages = [{"role": "user", "content": "add 2 and 3"}]
    tools = [
        {
            "type": "function",
            "function": {
                "name": "add_numbers",
                "description": "Adds two numbers.",
                "parameters": {"type": "object", "properties": {"a": {"type": "number"}}},
            },
        }
    ]
    plain = counter.count(ChatRequest(id="a", messages=messages))  # type: ignore[arg-type]
    with_tools = counter.count(ChatRequest(id="a", messages=messages, tools=json.dumps(tools)))  # type: ignore[arg-type]
    assert with_tools == plain


def test_short_prompts_surely_fit_without_the_tokenizer() -> None:
    from synthbeam.llm.tokens import TEMPLATE_ALLOWANCE, surely_fits

    short = ChatRequest(id="s", messages=[{"role": "user", "content": "hi"}], sampling=SamplingParams(max_tokens=100))
    assert surely_fits(short, 2048)
    assert not surely_fits(short, TEMPLATE_ALLOWANCE + 100)  # the allowance alone fills the window
    near = ChatRequest(
        id="n", messages=[{"role": "user", "content": "é" * 1000}], sampling=SamplingParams(max_tokens=8)
    )
    assert not surely_fits(near, 2048)  # 2,000 bytes: only the tokenizer can tell
    with_tools = ChatRequest(id="t", messages=short.messages, tools="x" * 2000, sampling=SamplingParams(max_tokens=8))
    assert not surely_fits(with_tools, 2048)


def test_the_byte_bound_holds_for_the_bundled_tokenizer(bundled_model_dir: str) -> None:
    from synthbeam.llm.tokens import TEMPLATE_ALLOWANCE

    counter = PromptTokenCounter(bundled_model_dir)
    for text in ["hello", "ünïcödé " * 50, "def f(x):\n    return x ** 2\n" * 20, "日本語のテキスト" * 30]:
        request = ChatRequest(id="b", messages=[{"role": "user", "content": text}])
        size = sum(len(json.dumps(m, ensure_ascii=False).encode("utf-8")) for m in request.messages)
        assert counter.count(request) <= size + TEMPLATE_ALLOWANCE
