"""Runs GenerateCompletions in a real DirectRunner pipeline and reads back what came out."""

from __future__ import annotations

import dataclasses
import glob
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import apache_beam as beam
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.test_pipeline import TestPipeline

from synthbeam.llm.config import LLMConfig
from synthbeam.schemas.record import ChatRequest, SamplingParams
from synthbeam.transforms.generate import GenerateCompletions


@dataclass
class GenerateRun:
    main: list[dict[str, Any]]  # {"completion": {...}, "context": ...}
    dead: list[dict[str, Any]]
    counters: dict[str, int]
    wall_s: float

    def counter(self, name: str) -> int:
        return self.counters.get(name, 0)


def make_requests(n: int, max_tokens: int = 8, prefix: str = "q") -> list[tuple[ChatRequest, dict[str, Any]]]:
    topics = ["apples", "rivers", "stars", "bread", "cats", "rain", "music", "trees", "salt", "wind"]
    return [
        (
            ChatRequest(
                id=f"{prefix}{i}",
                messages=[{"role": "user", "content": f"Say one short sentence about {topics[i % len(topics)]}."}],
                sampling=SamplingParams(temperature=0.7, top_p=0.95, max_tokens=max_tokens),
                seed=1000 + i,
            ),
            {"row": i, "note": f"context-{i}"},
        )
        for i in range(n)
    ]


def _read_jsonl(pattern: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for path in sorted(glob.glob(pattern)):
        rows += [json.loads(line) for line in Path(path).read_text().splitlines() if line]
    return rows


def run_generate(
    config: LLMConfig, items: list[tuple[ChatRequest, Any]], out_dir: Path, options: list[str] | None = None
) -> GenerateRun:
    """Runs ``Create -> GenerateCompletions -> WriteToText`` and returns outputs and counters."""
    out_dir.mkdir(parents=True, exist_ok=True)
    pipeline = TestPipeline(runner="DirectRunner", options=PipelineOptions(options or []))
    outputs = pipeline | beam.Create(items, reshuffle=False) | GenerateCompletions(config)
    _ = (
        outputs.main
        | "MainJson"
        >> beam.Map(lambda pair: json.dumps({"completion": dataclasses.asdict(pair[0]), "context": pair[1]}))
        | "WriteMain" >> beam.io.WriteToText(str(out_dir / "main"))
    )
    _ = (
        outputs.dead_letter
        | "DeadJson" >> beam.Map(lambda row: json.dumps(dataclasses.asdict(row)))
        | "WriteDead" >> beam.io.WriteToText(str(out_dir / "dead"))
    )
    started = time.monotonic()
    result = pipeline.run()
    result.wait_until_finish()
    wall = time.monotonic() - started
    counters: dict[str, int] = {}
    for counter in result.metrics().query(MetricsFilter())["counters"]:
        name = counter.key.metric.name
        counters[name] = counters.get(name, 0) + int(counter.committed)
    return GenerateRun(_read_jsonl(str(out_dir / "main*")), _read_jsonl(str(out_dir / "dead*")), counters, wall)
