"""Whole pipelines against servers that misbehave: every answer has an outcome, none a crash."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from aiohttp import web
from apache_beam.testing import test_pipeline
from llm_pipeline import make_requests, run_generate
from scripted_server import INVALID_ANSWERS, ScriptedServer, never_answer

from synthbeam.llm.config import LLMConfig
from synthbeam.pipelines import instructions
from synthbeam.schemas import reasons

SHAPES = sorted(INVALID_ANSWERS)


async def one_invalid_shape_per_request(body: dict[str, Any]) -> web.Response:
    """make_requests seeds request i with 1000 + i: request i always gets shape i."""
    return INVALID_ANSWERS[SHAPES[(int(body["seed"]) - 1000) % len(SHAPES)]]()


def test_invalid_answers_are_dead_lettered_not_a_failed_job(bundled_model_dir: str, tmp_path: Path) -> None:
    n = len(SHAPES)
    with ScriptedServer(one_invalid_shape_per_request) as server:
        config = LLMConfig(model=bundled_model_dir, endpoint=server.url, max_attempts=2, request_timeout_s=10)
        run = run_generate(config, make_requests(n, prefix="bad"), tmp_path / "out")
    assert run.main == []
    assert sorted(d["element_id"] for d in run.dead) == sorted(f"bad{i}" for i in range(n))
    assert {d["reason"] for d in run.dead} == {reasons.INVALID_RESPONSE}
    assert server.chat_requests == 2 * n and run.counter("retries") == n
    assert run.counter(f"dead_letter_{reasons.INVALID_RESPONSE}") == n


def test_a_server_that_never_answers_costs_seconds_and_its_timeouts_are_in_the_manifest(
    bundled_model_dir: str, tmp_path: Path, capsys: Any
) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(json.dumps({"text": "A tuple is an immutable sequence type in Python, written with commas."}))
    output = tmp_path / "out"
    with ScriptedServer(never_answer) as server:
        argv = [
            f"--input={corpus}",
            f"--output={output}",
            f"--llm_endpoint={server.url}",
            f"--model={bundled_model_dir}",
            "--cache_root=none",
            "--generation=question_answer",
            "--per_passage=2",
            "--request_timeout_s=1",
            "--max_attempts=2",
        ]
        started = time.monotonic()
        instructions.run(argv, test_pipeline=test_pipeline.TestPipeline(argv=argv, blocking=True))
        elapsed = time.monotonic() - started
    manifest = json.loads((output / "manifest.json").read_text())
    requests = manifest["counts"]["requests"]
    assert requests == 2 and server.chat_requests == 2 * requests
    assert manifest["counts"][f"dead_lettered/generate/{reasons.LLM_GAVE_UP}"] == requests
    assert manifest["llm_requests"]["timeouts"] == 2 * requests and manifest["llm_requests"]["llm_calls"] == 0
    assert f"llm_requests/timeouts {2 * requests:>8}".split() == next(
        line.split() for line in capsys.readouterr().out.splitlines() if "llm_requests/timeouts" in line
    )
    assert elapsed < 120
