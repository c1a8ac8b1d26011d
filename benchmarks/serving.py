"""Serving benchmark: the generation stage against a plain client and Beam's own handler.

All three clients ask the same prompts (N chat prompts, ``max_tokens`` new tokens each,
temperature 0) of the same model with the same server flags:

- **direct**: a plain asyncio + aiohttp client keeping every request in flight at once
  against our server: the ceiling a client can reach.
- **pipeline**: ``GenerateCompletions`` in a DirectRunner pipeline against the same server
  (``--llm_endpoint`` mode), response cache on and cold. Wall time is the whole pipeline run.
- **beam_handler**: ``RunInference(VLLMChatModelHandler)`` (Beam's stock vLLM handler, default
  batching, unmodified), which starts its own vLLM server with the same flags; its clock starts
  when that server answers ``/v1/models``, so its figure excludes the server start.
- **rerun**: the pipeline again with the warm cache: LLM calls made and wall time.

Servers run one at a time (the machine's cores are shared by server and pipeline).
Figures are output tokens per second of wall time. The last line printed is one JSON object.

Usage: python benchmarks/serving.py [--quick] [--prompts N] [--max_tokens T] [--endpoint URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp
import apache_beam as beam
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from synthbeam.llm.config import LLMConfig
from synthbeam.llm.default_model import prepare_default_model
from synthbeam.llm.server import ManagedServer, cpu_scheduler_args, has_gpu, is_ready, server_env
from synthbeam.schemas.record import ChatRequest, SamplingParams
from synthbeam.transforms.generate import GenerateCompletions

MAX_MODEL_LEN = 2048
TOPICS = [
    "rivers", "bread", "comets", "glass", "owls", "copper", "tides", "maps", "salt", "violins",
    "moss", "bridges", "honey", "deserts", "clocks", "coral",
]  # fmt: skip


def prompts(n: int) -> list[list[dict[str, str]]]:
    return [
        [{"role": "user", "content": f"Write a short paragraph about {TOPICS[i % len(TOPICS)]} (#{i})."}]
        for i in range(n)
    ]


def requests(n: int, max_tokens: int) -> list[tuple[ChatRequest, int]]:
    sampling = SamplingParams(temperature=0.0, top_p=1.0, max_tokens=max_tokens)
    return [(ChatRequest(id=f"b{i}", messages=m, sampling=sampling, seed=i), i) for i, m in enumerate(prompts(n))]


async def _direct(endpoint: str, model: str, messages: list[list[dict[str, str]]], max_tokens: int) -> int:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

        async def one(i: int, m: list[dict[str, str]]) -> int:
            body = {"model": model, "messages": m, "max_tokens": max_tokens, "temperature": 0.0, "seed": i}
            async with session.post(f"{endpoint}/v1/chat/completions", json=body) as response:
                response.raise_for_status()
                return int((await response.json())["usage"]["completion_tokens"])

        return sum(await asyncio.gather(*(one(i, m) for i, m in enumerate(messages))))


def run_direct(endpoint: str, model: str, n: int, max_tokens: int) -> dict[str, float]:
    started = time.monotonic()
    tokens = asyncio.run(_direct(endpoint, model, prompts(n), max_tokens))
    wall = time.monotonic() - started
    return {"tokens": tokens, "wall_s": wall, "tok_s": tokens / wall}


def _counters(result: Any) -> dict[str, int]:
    totals: dict[str, int] = {}
    for counter in result.metrics().query(MetricsFilter())["counters"]:
        totals[counter.key.metric.name] = totals.get(counter.key.metric.name, 0) + int(counter.committed)
    return totals


def run_pipeline(config: LLMConfig, n: int, max_tokens: int) -> dict[str, float]:
    pipeline = beam.Pipeline(options=PipelineOptions(["--runner=DirectRunner"]))
    _ = pipeline | beam.Create(requests(n, max_tokens)) | GenerateCompletions(config)
    started = time.monotonic()
    result = pipeline.run()
    result.wait_until_finish()
    wall = time.monotonic() - started
    counters = _counters(result)
    tokens = counters.get("completion_tokens", 0)
    return {"tokens": tokens, "wall_s": wall, "tok_s": tokens / wall, "llm_calls": counters.get("llm_calls", 0)}


class ServerReadyWatch(threading.Thread):
    """Records when a vLLM server started by someone else (Beam's handler) becomes ready."""

    def __init__(self, model_dir: str) -> None:
        super().__init__(daemon=True)
        self.model_dir, self.ready_at, self.stop = model_dir, 0.0, threading.Event()
        self._earlier = set(self._servers())  # e.g. our own server, still shutting down

    def run(self) -> None:
        while not self.stop.wait(0.2):
            port = self._port()
            if port and is_ready(f"http://127.0.0.1:{port}", timeout_s=1.0):
                self.ready_at = time.monotonic()
                return

    def _port(self) -> str | None:
        ports = [port for pid, port in self._servers().items() if pid not in self._earlier]
        return ports[0] if ports else None

    def stop_new_servers(self) -> None:
        """Beam's handler leaves its server running after the pipeline: stop it here."""
        for pid in set(self._servers()) - self._earlier:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGTERM)

    def _servers(self) -> dict[str, str]:
        """pid -> port of the vLLM API servers of this model running now."""
        servers = {}
        for entry in filter(str.isdigit, os.listdir("/proc")):
            try:
                argv = Path(f"/proc/{entry}/cmdline").read_bytes().decode(errors="replace").split("\0")
            except OSError:
                continue
            if "vllm.entrypoints.openai.api_server" in argv and self.model_dir in argv and "--port" in argv:
                servers[entry] = argv[argv.index("--port") + 1]
        return servers


def run_beam_handler(model_dir: str, n: int, max_tokens: int, server_flags: dict[str, str | None]) -> dict[str, float]:
    """Beam's handler as it is: it starts its own server; the clock starts when that server is ready."""
    from apache_beam.ml.inference.base import RunInference
    from apache_beam.ml.inference.vllm_inference import OpenAIChatMessage, VLLMChatModelHandler

    # Beam's server inherits this process's environment: give it our CPU settings too.
    os.environ.update(server_env(dict(os.environ), gpu=has_gpu()))
    handler = VLLMChatModelHandler(model_name=model_dir, vllm_server_kwargs=server_flags)
    chats = [[OpenAIChatMessage(role=m["role"], content=m["content"]) for m in chat] for chat in prompts(n)]
    out = Path(tempfile.mkdtemp(prefix="beam-handler-"))
    pipeline = beam.Pipeline(options=PipelineOptions(["--runner=DirectRunner"]))
    _ = (
        pipeline
        | beam.Create(chats)
        | RunInference(handler, inference_args={"max_tokens": max_tokens, "temperature": 0.0})
        | beam.Map(lambda result: str(result.inference.usage.completion_tokens))
        | beam.io.WriteToText(str(out / "tokens"))
    )
    watch = ServerReadyWatch(model_dir)
    watch.start()
    started = time.monotonic()
    pipeline.run().wait_until_finish()
    finished = time.monotonic()
    watch.stop.set()
    watch.stop_new_servers()
    if not watch.ready_at:
        raise RuntimeError("never saw Beam's vLLM server become ready")
    wall = finished - watch.ready_at
    tokens = sum(int(line) for path in out.glob("tokens*") for line in path.read_text().split())
    return {"tokens": tokens, "wall_s": wall, "tok_s": tokens / wall, "server_start_s": watch.ready_at - started}


def beam_server_flags() -> dict[str, str | None]:
    """The flags our managed server gets on CPU, in Beam's ``vllm_server_kwargs`` form."""
    flags: dict[str, str | None] = {"max-model-len": str(MAX_MODEL_LEN)}
    if not has_gpu():
        flags.update({"dtype": "float32", "enforce-eager": None})
        args = cpu_scheduler_args(MAX_MODEL_LEN, ())
        flags.update({"no-enable-chunked-prefill": None, "max-num-batched-tokens": args[-1]})
    return flags


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="48 prompts x 48 tokens (a few minutes on 2 CPU cores).")
    parser.add_argument("--prompts", type=int, default=0)
    parser.add_argument("--max_tokens", type=int, default=0)
    parser.add_argument("--endpoint", default="", help="Measure direct/pipeline against this running server.")
    parser.add_argument("--skip_beam_handler", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    n = args.prompts or (48 if args.quick else 128)
    max_tokens = args.max_tokens or (48 if args.quick else 64)
    model_dir = prepare_default_model()
    base = LLMConfig(model=model_dir, max_model_len=MAX_MODEL_LEN)
    server = None
    if args.endpoint:
        endpoint = args.endpoint.rstrip("/")
    else:
        server = ManagedServer(base, model_dir, Path(model_dir).name).start()
        endpoint = server.endpoint()
    served = get_json(f"{endpoint}/v1/models")["data"][0]["id"]
    print(f"{n} prompts x {max_tokens} new tokens, model {served} at {endpoint}", flush=True)

    run_direct(endpoint, served, 4, 4)  # warm-up, not measured
    direct = run_direct(endpoint, served, n, max_tokens)
    print(
        f"direct asyncio client: {direct['tokens']} tokens in {direct['wall_s']:.1f} s = {direct['tok_s']:.1f} tok/s",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as cache:
        config = LLMConfig(model=model_dir, endpoint=endpoint, max_in_flight=256, cache_root=cache)
        cold = run_pipeline(config, n, max_tokens)
        print(
            f"pipeline (cold cache): {cold['tokens']} tokens in {cold['wall_s']:.1f} s = {cold['tok_s']:.1f} tok/s, {cold['llm_calls']} LLM calls",
            flush=True,
        )
        warm = run_pipeline(config, n, max_tokens)
        print(f"pipeline rerun (warm cache): {warm['llm_calls']} LLM calls in {warm['wall_s']:.1f} s", flush=True)
    if server is not None:
        server.stop()

    figures: dict[str, Any] = {
        "p1_pipeline_over_direct": round(cold["tok_s"] / direct["tok_s"], 3),
        "p4_rerun_llm_calls": warm["llm_calls"],
        "p4_rerun_wall_ratio": round(warm["wall_s"] / cold["wall_s"], 3),
        "direct_tok_s": round(direct["tok_s"], 1),
        "pipeline_tok_s": round(cold["tok_s"], 1),
        "prompts": n,
        "max_tokens": max_tokens,
    }
    if not args.skip_beam_handler:
        handler = run_beam_handler(model_dir, n, max_tokens, beam_server_flags())
        print(
            f"Beam VLLMChatModelHandler: {handler['tokens']} tokens in {handler['wall_s']:.1f} s "
            f"(its server start, {handler['server_start_s']:.0f} s, not counted) = {handler['tok_s']:.1f} tok/s",
            flush=True,
        )
        figures["p2_pipeline_over_beam_handler"] = round(cold["tok_s"] / handler["tok_s"], 3)
        figures["beam_handler_tok_s"] = round(handler["tok_s"], 1)
    print(json.dumps(figures))


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


if __name__ == "__main__":
    main()
