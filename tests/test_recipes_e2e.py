"""End to end on the real vLLM server: self-instruct, evol-instruct and augmentation recipes.

Each runs its pipeline module's ``run()`` on two or three rows with short answers and
checks what a user gets: Parquet rows with lineage, rejects with reasons, and a manifest
whose counts reconcile.
"""

from __future__ import annotations

import glob
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from consumers import check_chat_templates, check_curation_tail, check_trl_preparation, load_rows

from synthbeam.augment.eda import eda_variants
from synthbeam.pipelines import augment, evol_instruct, self_instruct
from synthbeam.schemas.arrow import decoded_rows, row_to_record
from synthbeam.tasks.instruction_gates import instruction_gate
from synthbeam.tasks.seed_tasks import BUNDLED_SEED_TASKS, load_seed_tasks

pytestmark = pytest.mark.slow

LINEAGE_FIELDS = ("template", "template_hash", "model", "sampling", "request_hash")
ROWS = [
    {
        "id": "row-a",
        "instruction": "How do I reverse a list in Python?",
        "output": "Use slicing, my_list[::-1], or call my_list.reverse() to reverse it in place.",
    },
    {
        "id": "row-b",
        "instruction": "Give three tips for staying healthy.",
        "output": "Eat vegetables every day, sleep eight hours a night, and walk for half an hour.",
    },
]


def _run(module: Any, tmp_path: Path, llm_endpoint: str, model_dir: str, *flags: str) -> dict[str, Any]:
    argv = [
        f"--output={tmp_path / 'out'}",
        f"--llm_endpoint={llm_endpoint}",
        f"--model={model_dir}",
        f"--cache_root={tmp_path / 'cache'}",
        "--max_answer_tokens=160",
        "--min_response_chars=1",
        "--run_id=e2e",
        *flags,
    ]
    module.run(argv, test_pipeline=TestPipeline(argv=argv, blocking=True))
    with open(tmp_path / "out" / "manifest.json") as handle:
        manifest = json.load(handle)
    assert manifest["reconciliation"]["balanced"], manifest
    check_curation_tail(manifest, str(tmp_path / "out"))
    return manifest


def _rows(tmp_path: Path, kind: str = "data") -> list[dict[str, Any]]:
    files = sorted(glob.glob(str(tmp_path / "out" / "**" / "*.parquet"), recursive=True))
    files = [f for f in files if ("/rejected/" in f) == (kind == "rejected")]
    return [row for f in files for row in decoded_rows(pq.read_table(f))]


def _check_consumers(tmp_path: Path, model_dir: str) -> None:
    """Every kept row renders with real tool-aware chat templates and goes through TRL."""
    files = sorted(glob.glob(str(tmp_path / "out" / "**" / "*.parquet"), recursive=True))
    kept = [f for f in files if "/rejected/" not in f]
    if not kept:  # the bundled 135M model may leave a recipe nothing worth keeping
        return
    rows = load_rows(kept, str(tmp_path / "hf"))
    check_chat_templates(rows, model_dir)
    check_trl_preparation(rows, model_dir, str(tmp_path / "trl"))


def _check_rejects(rejected: list[dict[str, Any]], templates: set[str]) -> None:
    """Rows dropped after a model call keep its raw completion and its lineage."""
    for row in rejected:
        assert row["drop_reason"] and row["drop_stage"], row
        if row["drop_stage"] == "parse":
            assert row["completion"] and row["lineage"]["template"] in templates, row


def _input_file(tmp_path: Path, extra_lines: list[str]) -> str:
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join([json.dumps(r) for r in ROWS] + extra_lines) + "\n")
    return str(path)


def _alpaca_seed_file(tmp_path: Path) -> str:
    """The bundled seed tasks in the Self-Instruct form, plus one line in neither form."""
    lines = [
        json.dumps(
            {
                "id": s.id,
                "name": s.id,
                "instruction": s.instruction,
                "instances": [{"input": s.input, "output": s.output}],
            }
        )
        for s in load_seed_tasks(BUNDLED_SEED_TASKS)
    ]
    path = tmp_path / "alpaca_seeds.jsonl"
    path.write_text("\n".join([*lines, '{"prompt": "not a seed task"}']) + "\n")
    return str(path)


def test_self_instruct_recipe_end_to_end(tmp_path, llm_endpoint, bundled_model_dir):
    seeds = _alpaca_seed_file(tmp_path)
    manifest = _run(
        self_instruct,
        tmp_path,
        llm_endpoint,
        bundled_model_dir,
        f"--seed_tasks={seeds}",
        "--num_prompts=3",
        "--instructions_per_prompt=2",
    )
    counts = manifest["counts"]
    assert counts["requests"] == 3 and manifest["reconciliation"]["rows_in"] >= 3
    assert counts["seed_tasks"] == 32 and counts["dead_lettered/read/invalid_seed_task"] == 1
    written, rejected = _rows(tmp_path), _rows(tmp_path, "rejected")
    _check_consumers(tmp_path, bundled_model_dir)
    assert manifest["reconciliation"]["rows_written"] == len(written)
    assert written or rejected  # the model's output went somewhere, with a reason if dropped
    for row in written:
        assert row["task"] == "self_instruct" and row["split"] in ("train", "eval")
        assert [m["role"] for m in row["messages"]] == ["user", "assistant"]
        assert instruction_gate(row["messages"][0]["content"]) is None  # no "the sentence" without one
        assert (
            all(row["lineage"][f] for f in LINEAGE_FIELDS) and row["lineage"]["template"] == "answer_instruction.jinja2"
        )
        meta = json.loads(row["meta"])
        assert len(meta["examples"]) == 5 and meta["instruction_lineage"]["template"] == "self_instruct_generate.jinja2"
    _check_rejects(rejected, {"self_instruct_generate.jinja2", "answer_instruction.jinja2"})


def test_evol_instruct_recipe_end_to_end(tmp_path, llm_endpoint, bundled_model_dir):
    no_user = json.dumps({"id": "row-c", "messages": [{"role": "assistant", "content": "Hello."}]})
    inputs = _input_file(tmp_path, [no_user, "{not json"])
    flags = (f"--input={inputs}", "--evol_modes=deepen,constraints", "--evol_rounds=2")
    manifest = _run(evol_instruct, tmp_path, llm_endpoint, bundled_model_dir, *flags)
    counts = manifest["counts"]
    assert counts["input_rows"] == 3 and counts["dead_lettered/read/invalid_json"] == 1
    assert counts["filtered/filters/no_instruction"] == 1
    # round 1: 2 rows x 2 modes, plus the row without instruction; round 2: one per rewrite
    assert manifest["reconciliation"]["rows_in"] >= 2 * 2 + 1
    written = _rows(tmp_path)
    _check_consumers(tmp_path, bundled_model_dir)
    evolved_ids = {row["id"] for row in written} | {"row-a", "row-b"}
    for row in written:
        assert row["task"] == "evol_instruct"
        assert row["lineage"]["augmentation"] in {"evol:deepen", "evol:constraints"} or (
            row["lineage"]["augmentation"].count(">") == 1
        )
        assert row["lineage"]["parent_id"] in evolved_ids or row["lineage"]["augmentation"].count(">") == 1
        assert [m["role"] for m in row["messages"]] == ["user", "assistant"]
        assert json.loads(row["meta"])["instruction_lineage"]["template"] == "evol_instruct.jinja2"
    rejected = _rows(tmp_path, "rejected")
    assert [r["id"] for r in rejected if r["drop_reason"] == "no_instruction"] == ["row-c"]
    _check_rejects([r for r in rejected if r["id"] != "row-c"], {"evol_instruct.jinja2", "answer_instruction.jinja2"})


def test_augment_recipe_end_to_end(tmp_path, llm_endpoint, bundled_model_dir):
    inputs = _input_file(tmp_path, [])
    manifest = _run(
        augment,
        tmp_path,
        llm_endpoint,
        bundled_model_dir,
        f"--input={inputs}",
        "--methods=eda,paraphrase,multi_turn",
        "--eda_per_row=2",
        "--eda_alpha=0.2",
        "--seed=3",
    )
    rows = {row["id"]: row for row in _rows(tmp_path)}
    _check_consumers(tmp_path, bundled_model_dir)
    assert {"row-a", "row-b"} <= set(rows)  # the originals are kept
    expected_eda = [
        variant
        for original in rows.values()
        if original["id"] in ("row-a", "row-b")
        for variant in eda_variants(row_to_record(original), ("sr", "ri", "rs", "rd"), 2, 0.2, seed=3)
    ]
    written_eda = {i: r for i, r in rows.items() if r["lineage"]["augmentation"].startswith("eda:")}
    # Every variant is written, or rejected by a gate with its reason (a swap can break a request).
    gated = {r["id"]: r["drop_reason"] for r in _rows(tmp_path, "rejected") if r["drop_stage"] == "quality"}
    assert sorted([*written_eda, *(i for i in gated if i in {v.id for v in expected_eda})]) == sorted(
        v.id for v in expected_eda
    )
    assert len(written_eda) >= len(expected_eda) // 2
    for variant in expected_eda:
        if variant.id in written_eda:
            assert written_eda[variant.id]["messages"][0]["content"] == variant.messages[0]["content"]
    llm_rows = [r for r in rows.values() if r["lineage"]["augmentation"] in ("paraphrase", "multi_turn:follow_up")]
    for row in llm_rows:
        parent = rows[row["lineage"]["parent_id"]]
        assert all(row["lineage"][f] for f in LINEAGE_FIELDS)
        if row["task"] == "multi_turn":
            assert [m["role"] for m in row["messages"]] == ["user", "assistant"] * 2
            assert row["messages"][:2] == parent["messages"]
        else:
            assert row["messages"][1] == parent["messages"][1] != row["messages"][0]
    requests = 2 + len(expected_eda) + 2 + 2  # originals, EDA variants, paraphrases, follow-ups
    assert manifest["reconciliation"]["rows_in"] == requests
    assert manifest["counts"]["input_rows"] == 2
    # rows read from JSONL keep their file and line
    assert {rows["row-a"]["source"]["position"], rows["row-b"]["source"]["position"]} == {0, 1}
