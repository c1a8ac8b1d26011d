"""Prompt token counts with the served model's own tokenizer and chat template."""

from __future__ import annotations

import json
from typing import Any

from synthbeam.schemas.record import ChatRequest, Message


def fits_context(prompt_tokens: int, max_tokens: int, max_model_len: int) -> bool:
    """True when the prompt plus the requested completion fit the context window."""
    return prompt_tokens + max_tokens <= max_model_len


# Tokens a chat template may add around the messages (role markers, a default system
# prompt, tool descriptions' framing) on top of the messages' own text.
TEMPLATE_ALLOWANCE = 256


def surely_fits(request: ChatRequest, max_model_len: int) -> bool:
    """True when the prompt fits without tokenizing it.

    A token covers at least one byte of text, so the UTF-8 size of everything the template
    renders (plus an allowance for the template's own text) bounds the prompt's token count.
    Only prompts near the limit need the tokenizer, which takes seconds to load.
    """
    size = sum(len(json.dumps(message, ensure_ascii=False).encode("utf-8")) for message in request.messages)
    size += len(request.tools.encode("utf-8"))
    return size + TEMPLATE_ALLOWANCE + request.sampling.max_tokens <= max_model_len


def context_detail(prompt_tokens: int, max_tokens: int, max_model_len: int) -> str:
    return f"prompt {prompt_tokens} + max_tokens {max_tokens} > max_model_len {max_model_len}"


def _clean(messages: list[Message]) -> list[dict[str, Any]]:
    return [{k: v for k, v in message.items() if v is not None} for message in messages]


class PromptTokenCounter:
    """Counts the tokens the server will see for a request (chat template applied)."""

    def __init__(self, model_dir: str) -> None:
        try:
            from transformers import AutoTokenizer
        except ImportError as error:
            raise ImportError(
                "Counting prompt tokens needs transformers: pip install 'synthbeam[cpu]' or 'synthbeam[gpu]'."
            ) from error
        self._tokenizer = AutoTokenizer.from_pretrained(model_dir)

    def count(self, request: ChatRequest) -> int:
        tools = json.loads(request.tools) if request.tools else None
        encoded = self._tokenizer.apply_chat_template(
            _clean(request.messages), tools=tools, add_generation_prompt=True, tokenize=True
        )
        ids = encoded["input_ids"] if hasattr(encoded, "keys") else encoded
        return len(ids)
