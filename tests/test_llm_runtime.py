"""GenerationRuntime and GenerateCompletions pieces that need no server: token check, dead letters."""

from __future__ import annotations

import asyncio

from synthbeam.llm.config import LLMConfig
from synthbeam.llm.runtime import GenerationRuntime
from synthbeam.schemas.record import ChatRequest


class RejectingCounter:
    def count(self, request: ChatRequest) -> int:
        raise ValueError("Conversation roles must alternate user/assistant/user/assistant")


class CountingCounter:
    def count(self, request: ChatRequest) -> int:
        return 42


def count_with(counter: object, tmp_path) -> int | None:
    runtime = GenerationRuntime(LLMConfig(model=str(tmp_path), endpoint="http://127.0.0.1:9"), str(tmp_path), None)
    try:
        ready: asyncio.Future = runtime._loop.create_future()  # type: ignore[attr-defined]
        runtime._loop.call_soon_threadsafe(ready.set_result, counter)
        runtime._counter = ready
        request = ChatRequest(id="r", messages=[{"role": "assistant", "content": "hi"}], seed=1)
        return asyncio.run_coroutine_threadsafe(runtime._count_tokens(request), runtime._loop).result(timeout=10)
    finally:
        runtime.close()


def test_template_errors_leave_the_count_open(tmp_path) -> None:
    assert count_with(RejectingCounter(), tmp_path) is None


def test_counts_pass_through(tmp_path) -> None:
    assert count_with(CountingCounter(), tmp_path) == 42


def test_dead_letters_carry_the_stage_that_asked() -> None:
    from synthbeam.llm.client import Outcome
    from synthbeam.transforms.generate import dead_letter_for
    from synthbeam.transforms.verify.semantic import STAGE as JUDGE_STAGE

    request = ChatRequest(id="r", messages=[{"role": "user", "content": "hi"}], seed=1)
    outcome = Outcome("r", reason="llm_gave_up", detail="503 x5")
    assert dead_letter_for(request, outcome).stage == "generate"
    judged = dead_letter_for(request, outcome, JUDGE_STAGE)
    assert (judged.stage, judged.reason, judged.element_id) == ("verify_semantic", "llm_gave_up", "r")
