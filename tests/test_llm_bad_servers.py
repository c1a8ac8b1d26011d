"""Whole pipelines against servers that misbehave: every answer has an outcome, none a crash."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import apache_beam as beam
import pytest
from aiohttp import web
from apache_beam.testing import test_pipeline
from llm_pipeline import make_requests, run_generate
from scripted_server import INVALID_ANSWERS, ScriptedServer, never_answer

from synthbeam.llm.config import LLMConfig
from synthbeam.pipelines import instructions
from synthbeam.schemas import reasons
from synthbeam.transforms.generate import EndpointUnreachable, GenerateCompletions, check_llm_endpoints

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


def _refusing_endpoint() -> str:
    """A local port nothing listens on (it was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_nothing_listening_stops_the_run_before_it_starts_in_one_line(bundled_model_dir: str, tmp_path: Path) -> None:
    endpoint = _refusing_endpoint()
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(f"recipe: instructions\noptions:\n  output: {tmp_path / 'out'}\n  limit: 2\n")
    started = time.monotonic()
    flags = [f"--llm_endpoint={endpoint}", f"--model={bundled_model_dir}", "--cache_root=none"]
    done = subprocess.run(
        [sys.executable, "-m", "synthbeam.cli", "run", str(recipe), *flags],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0 and "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("synthbeam: ") and endpoint in last and "refused" in last.lower(), done.stderr[-2000:]
    assert time.monotonic() - started < 120
    assert "--llm_endpoint" in last


def test_a_refused_judge_endpoint_is_named(bundled_model_dir: str, tmp_path: Path) -> None:
    judge = _refusing_endpoint()
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(json.dumps({"text": "A tuple is an immutable sequence type in Python."}))
    with ScriptedServer(never_answer) as server:
        argv = [
            f"--input={corpus}",
            f"--output={tmp_path / 'out'}",
            f"--llm_endpoint={server.url}",
            f"--judge_endpoint={judge}",
            f"--model={bundled_model_dir}",
            "--cache_root=none",
        ]
        with pytest.raises(EndpointUnreachable, match="refused") as refused:
            instructions.run(argv, test_pipeline=test_pipeline.TestPipeline(argv=argv, blocking=True))
    assert judge in str(refused.value) and server.url not in str(refused.value)
    assert server.chat_requests == 0


def test_only_servers_someone_else_runs_are_checked(tmp_path: Path) -> None:
    def pipeline_asking(config: LLMConfig) -> beam.Pipeline:
        pipeline = beam.Pipeline()
        _ = pipeline | beam.Create(make_requests(1)) | GenerateCompletions(config)
        return pipeline

    check_llm_endpoints(pipeline_asking(LLMConfig(model=str(tmp_path))))  # managed: started later
    with ScriptedServer(never_answer) as server:
        check_llm_endpoints(pipeline_asking(LLMConfig(model=str(tmp_path), endpoint=server.url)))
    endpoint = _refusing_endpoint()
    with pytest.raises(EndpointUnreachable, match=re.escape(endpoint)):
        check_llm_endpoints(pipeline_asking(LLMConfig(model=str(tmp_path), endpoint=endpoint)))
