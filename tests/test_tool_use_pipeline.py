"""End to end: the call-first tool_use recipe on the real vLLM server, with every verification stage."""

from __future__ import annotations

import glob
import json
import os

import pyarrow.parquet as pq
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from consumers import (
    check_bfcl_export,
    check_chat_templates,
    check_curation_tail,
    check_trl_preparation,
    load_rows,
)
from datasets import load_dataset

from synthbeam.pipelines import tool_use
from synthbeam.schemas.arrow import decoded_rows, row_to_record
from synthbeam.tasks.tool_examples import all_requests
from synthbeam.tools.builtin import call
from synthbeam.tools.calls import parse_arguments, query_of, tool_calls_of, tool_results_of
from synthbeam.tools.library import bundled_tools
from synthbeam.transforms.curate.text import normalised_text
from synthbeam.transforms.verify.format import ToolCallFormatCheck
from synthbeam.transforms.verify.grounding import GroundingCheck

pytestmark = pytest.mark.slow

STAGES = (
    "generate",
    "verify_format",
    "verify_grounding",
    "curate",
    "dedup_exact",
    "dedup_near",
    "decontaminate",
    "verify_execution",
    "verify_semantic",
)


def _run(llm_endpoint: str, model_dir: str, output: str, cache: str, extra: list[str]) -> dict:
    argv = [
        f"--output={output}",
        f"--llm_endpoint={llm_endpoint}",
        f"--model={model_dir}",
        f"--cache_root={cache}",
        "--num_examples=12",
        "--candidates=2",
        "--kind_mix=single=2,multiple=1,parallel=1,parallel_multiple=1,irrelevance=1",
        "--eval_fraction=0.25",
        "--run_id=e2e",
        "--oversample=max",
        "--judge=on",  # the bundled model is no judge, but the stage must run and reconcile
        *extra,
    ]
    tool_use.run(argv, test_pipeline=TestPipeline(argv=argv, blocking=True))
    with open(os.path.join(output, "manifest.json")) as handle:
        return json.load(handle)


def _rows(pattern: str) -> list[dict]:
    files = sorted(glob.glob(pattern))
    return decoded_rows(pq.read_table(files)) if files else []


def test_tool_use_recipe_end_to_end(tmp_path, monkeypatch, llm_endpoint, bundled_model_dir):
    output = str(tmp_path / "out")
    manifest = _run(llm_endpoint, bundled_model_dir, output, str(tmp_path / "cache"), [])
    counts, rec = manifest["counts"], manifest["reconciliation"]
    check_curation_tail(manifest, output)
    # 2 model candidates per row and the pipeline's own plain request as the third.
    assert rec["balanced"] and rec["rows_in"] == counts["requests"] == 36, manifest
    sources = {k: n for k, n in counts.items() if k.startswith("request_source/")}
    assert sum(sources.values()) == sum(n for k, n in counts.items() if k.startswith("written/")), counts
    kept = [counts.get(f"kept/{stage}", 0) for stage in STAGES]
    # Calls planned in code always pass the format check; some requests state every value.
    assert kept == sorted(kept, reverse=True) and kept[1] == kept[0] and kept[2] > 0, counts
    planned = {k: n for k, n in counts.items() if k.startswith("planned_tool/")}
    per_tool = [n for key, n in planned.items() if key != "planned_tool/none"]  # none: irrelevance rows
    assert sum(planned.values()) >= 12 and max(per_tool) <= 2, planned  # 12 rows spread over the library
    written = sum(n for k, n in counts.items() if k.startswith("written/"))
    assert len(manifest["sample_rows"]) == min(3, written) and manifest["quality"]["rows_in"] == counts["requests"]

    def dropped(stage: str) -> int:
        return sum(n for key, n in counts.items() if key.startswith(f"filtered/{stage}/"))

    def dead(stage: str) -> int:
        return sum(n for key, n in counts.items() if key.startswith(f"dead_lettered/{stage}/"))

    assert counts["requests"] == kept[0] + dropped("parse") + dead("generate"), counts
    assert kept[0] == kept[1] + dropped("verify_format"), counts
    assert kept[1] == kept[2] + dropped("verify_grounding"), counts
    assert kept[2] == kept[3] + dropped("select") + dropped("dedup_request"), counts
    for before, (after, stage) in zip(kept[3:], zip(kept[4:], STAGES[4:], strict=True), strict=False):
        assert before == after + dropped(stage) + dead(stage), (stage, counts)
    added = sum(n for k, n in counts.items() if k.startswith("added/oversample/"))
    assert counts["kept/oversample"] == kept[-1] + added == written, counts

    written_rows = [row_to_record(r) for r in _rows(f"{output}/train/*.parquet") + _rows(f"{output}/eval/*.parquet")]
    rows = [r for r in written_rows if not r.lineage.oversampled_from]
    copies = [r for r in written_rows if r.lineage.oversampled_from]
    assert len({r.meta_dict()["plan_id"] for r in rows}) == len(rows)  # one candidate per planned row
    assert len(written_rows) == rec["rows_written"] and len(rows) == kept[-1]
    assert all(c.split == "train" for c in copies) and len(copies) == added  # oversampled by kind, train only
    check = ToolCallFormatCheck(t["function"]["name"] for t in bundled_tools())
    grounded = GroundingCheck(all_requests(), bundled_tools())
    requests = [normalised_text(query_of(r), strip_punctuation=True) for r in rows]
    assert len(set(requests)) == len(requests), requests
    kept_tools = {k.split("/", 1)[1]: n for k, n in counts.items() if k.startswith("kept_tool/")}
    assert sum(kept_tools.values()) == sum(len(r.label.split(",")) for r in rows), counts
    for record in rows:
        assert check(record) is record
        assert grounded(record) is record
        planned = record.meta_dict()["planned_calls"]
        calls = [{"name": c["function"]["name"], "arguments": parse_arguments(c)} for c in tool_calls_of(record)]
        assert calls == ([] if record.meta_dict()["kind"] == "irrelevance" else planned)
        assert record.meta_dict()["judge"]["passes"] is True
        results = tool_results_of(record)
        for tool_call in tool_calls_of(record):
            if tool_call["id"] in results:  # executed: the kept result is the real one
                assert json.loads(results[tool_call["id"]]) == json.loads(
                    json.dumps(call(tool_call["function"]["name"], parse_arguments(tool_call)), default=str)
                )

    selection = _rows(f"{output}/tool_selection/*/*.parquet")
    labels = {key.split("/", 1)[1]: n for key, n in counts.items() if key.startswith("selection_label/")}
    assert sum(labels.values()) == len(selection) and all(r["task"] == "tool_selection" for r in selection)
    train = sorted((r for r in written_rows if r.split == "train"), key=lambda r: r.id)
    xlam = [json.loads(line) for line in open(f"{output}/export/xlam.jsonl")]
    assert [(r["id"], r["query"]) for r in xlam] == [(n, query_of(r)) for n, r in enumerate(train)]
    assert [json.loads(r["answers"]) == [] for r in xlam] == [not tool_calls_of(r) for r in train]

    # What trainers and BFCL do with the output, with their own code.
    loaded = load_dataset(output, cache_dir=str(tmp_path / "hf"))
    assert {name: split.num_rows for name, split in loaded.items()} == {
        split: sum(r.split == split for r in written_rows) for split in {r.split for r in written_rows}
    }
    chat_rows = load_rows(
        glob.glob(f"{output}/train/*.parquet") + glob.glob(f"{output}/eval/*.parquet"), str(tmp_path / "hf")
    )
    assert check_chat_templates(chat_rows, bundled_model_dir) == 2 * sum(len(tool_calls_of(r)) for r in written_rows)
    check_trl_preparation(chat_rows, bundled_model_dir, str(tmp_path / "trl"))
    assert check_bfcl_export(f"{output}/export/bfcl", monkeypatch) == sum(r.split == "eval" for r in rows)
    rejected = _rows(f"{output}/rejected/*.parquet")
    assert len(rejected) == rec["rows_filtered"]
    assert {r["drop_stage"] for r in rejected} <= {
        "parse",
        "dedup_exact",
        "dedup_near",
        "decontaminate",
        "dedup_request",
        "select",
        "verify_format",
        "verify_grounding",
        "verify_execution",
        "verify_semantic",
    }
