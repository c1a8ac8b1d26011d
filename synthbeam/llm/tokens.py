"""Prompt token counts with the served model's own tokenizer and chat template."""

from __future__ import annotations

import json
from typing import Any

from synthbeam.schemas.record import ChatRequest, Message


def fits_context(prompt_tokens: int, max_tokens: int, max_model_len: int) -> bool:
    """True when the prompt plus the requested completion fit the context window."""
    return prompt_tokens + max_tokens <= max_model_len


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
