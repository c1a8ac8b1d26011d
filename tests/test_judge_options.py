"""--judge_model / --judge_endpoint: which model and server the LLM judge uses.

The option logic is pure (``judge_config_from_options``); the end-to-end test puts a
counting proxy in front of the real server as the judge endpoint and checks that every
judge request, and no generation request, goes through it.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os

import pyarrow.parquet as pq
import pytest
from apache_beam.testing.test_pipeline import TestPipeline

from synthbeam.llm.config import LLMConfig
from synthbeam.pipelines import self_instruct
from synthbeam.pipelines.common import SynthbeamOptions, judge_config_from_options
from synthbeam.schemas.arrow import decoded_rows
from synthbeam.templates import render_messages

INSTRUCTION_RUBRIC = render_messages("judge_instruction.jinja2", request="", response="")[0]["content"]
GENERATOR = LLMConfig(
    model="/models/small", endpoint="http://gen:8000", max_in_flight=32, max_model_len=1024, cache_root="/cache"
)


def _opts(*flags: str) -> SynthbeamOptions:
    return SynthbeamOptions(["--model=/models/small", *flags])


def test_without_judge_flags_the_judge_is_the_generator() -> None:
    assert judge_config_from_options(_opts(), GENERATOR) is GENERATOR


def test_a_judge_endpoint_is_a_server_of_its_own_with_its_own_cache() -> None:
    config = judge_config_from_options(_opts("--judge_endpoint=http://big:9000"), GENERATOR)
    digest = hashlib.sha256(b"http://big:9000").hexdigest()[:12]
    assert config == LLMConfig(
        model="/models/small",  # the tokenizer it counts with; the cache is kept apart instead
        endpoint="http://big:9000",
        max_in_flight=32,
        max_model_len=1024,
        cache_root=f"/cache/judge-{digest}",
    )
    assert config.fingerprint() != GENERATOR.fingerprint()


def test_a_judge_endpoint_with_its_model_directory_shares_the_cache() -> None:
    config = judge_config_from_options(
        _opts("--judge_endpoint=http://big:9000", "--judge_model=/models/big"), GENERATOR
    )
    assert (config.model, config.endpoint, config.cache_root) == ("/models/big", "http://big:9000", "/cache")


def test_a_judge_model_alone_gets_a_managed_server_even_when_the_generator_has_an_endpoint() -> None:
    config = judge_config_from_options(_opts("--judge_model=gs://bucket/models/big"), GENERATOR)
    assert (config.model, config.endpoint, config.served_model_name) == ("gs://bucket/models/big", None, None)
    # Runtimes and managed servers are keyed by the config's fingerprint: a second server.
    assert config.fingerprint() != GENERATOR.fingerprint()


def test_a_bad_judge_endpoint_fails_with_the_config_message() -> None:
    with pytest.raises(ValueError, match="must be a URL"):
        judge_config_from_options(_opts("--judge_endpoint=big:9000"), GENERATOR)


@pytest.mark.slow
def test_judge_requests_go_to_the_judge_endpoint(tmp_path, llm_endpoint, bundled_model_dir) -> None:
    from fault_proxy import FaultProxy

    class RecordingProxy(FaultProxy):
        """Forwards everything and keeps each chat request's body."""

        def __init__(self, upstream: str) -> None:
            super().__init__(upstream, fault_rate=0.0, hangs=0)
            self.bodies: list[dict] = []

        async def _handle(self, request):  # type: ignore[no-untyped-def]
            if request.path.endswith("/chat/completions"):
                self.bodies.append(json.loads(await request.read()))
            return await super()._handle(request)

    seeds = tmp_path / "seeds.jsonl"
    seeds.write_text(
        "\n".join(
            json.dumps({"instruction": text, "instances": [{"input": "", "output": "A short answer."}]})
            for text in ("Name three birds that cannot fly.", "Give two tips for a job interview.")
        )
        + "\n"
    )
    upstream = llm_endpoint.removesuffix("/v1")
    with RecordingProxy(upstream) as proxy:
        output = tmp_path / "out"
        argv = [
            f"--output={output}",
            f"--seed_tasks={seeds}",
            f"--llm_endpoint={upstream}",
            f"--model={bundled_model_dir}",
            f"--cache_root={tmp_path / 'cache'}",
            f"--judge_endpoint={proxy.url}",
            "--judge=on",
            "--num_prompts=2",
            "--examples_per_prompt=2",
            "--instructions_per_prompt=3",
            "--max_answer_tokens=64",
            "--min_response_chars=1",
            "--run_id=e2e",
        ]
        self_instruct.run(argv, test_pipeline=TestPipeline(argv=argv, blocking=True))
        bodies, stats = proxy.bodies, dict(proxy.stats)
    manifest = json.loads((output / "manifest.json").read_text())
    counts, rec = manifest["counts"], manifest["reconciliation"]
    assert rec["balanced"] and manifest["judge"] == proxy.url, manifest

    def total(prefix: str) -> int:
        return sum(n for key, n in counts.items() if key.startswith(prefix))

    # Every row in that no stage before the judge dropped went to the judge once.
    before = ("filtered/parse/", "filtered/self_instruct_gates/", "filtered/novelty/", "dead_lettered/generate/")
    judged = rec["rows_in"] - sum(total(prefix) for prefix in before)
    # Only the judge's requests went to the proxy, one per judged row (a retry repeats a body).
    assert bodies and all(b["messages"][0]["content"] == INSTRUCTION_RUBRIC for b in bodies), stats
    assert len({json.dumps(b, sort_keys=True) for b in bodies}) == judged > 0, (stats, counts)
    written = [r for f in glob.glob(os.path.join(output, "*", "*.parquet")) for r in decoded_rows(pq.read_table(f))]
    written = [r for r in written if r["split"] in ("train", "eval")]
    assert len(written) == rec["rows_written"]
    for row in written:
        assert json.loads(row["meta"])["judge"]["endpoint"] == proxy.url
