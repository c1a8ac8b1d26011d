"""End to end: the instructions recipe on the real vLLM server, bundled corpus plus bad input."""

from __future__ import annotations

import glob
import json
import os
import re
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from consumers import check_chat_templates, check_curation_tail, check_trl_preparation, load_rows

from synthbeam.pipelines import instructions
from synthbeam.schemas.arrow import decoded_rows

pytestmark = pytest.mark.slow

LINEAGE_FIELDS = ("template", "template_hash", "model", "sampling", "request_hash")
# Passages per run: enough that a few of the bundled model's requests pass the gates on any CPU
# (its sampled words differ between machines: one run kept 2 rows of 12 passages, another 3 of 24).
PASSAGES = 48


def _bad_corpus(directory) -> str:
    directory.mkdir()
    (directory / "bad.jsonl").write_bytes(
        b'{"text": "Generators are functions that yield values lazily, one at a time, when iterated over."}\n'
        b'{"text": "broken json\n'
        b'{"text": "\xff\xfe invalid utf-8"}\n'
        b'{"title": "no text field"}\n'
    )
    (directory / "empty.jsonl").write_bytes(b"")
    return str(directory / "*.jsonl")


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory) -> str:
    """One response cache for the module: the judge test pays only for the judge's calls."""
    return str(tmp_path_factory.mktemp("llm-cache"))


def _run(
    llm_endpoint: str,
    bundled_model_dir: str,
    output: str,
    inputs: str,
    cache: str,
    limit: int,
    extra: tuple[str, ...] = (),
) -> dict:
    """The default generation (answer-first), four candidate requests per span."""
    argv = [
        f"--input={inputs}",
        f"--output={output}",
        f"--llm_endpoint={llm_endpoint}",
        f"--model={bundled_model_dir}",
        f"--cache_root={cache}",
        f"--limit={limit}",
        "--per_passage=2",
        "--eval_fraction=0.25",
        "--run_id=e2e",
        "--oversample=max",
        *extra,
    ]
    instructions.run(argv, test_pipeline=TestPipeline(argv=argv, blocking=True))
    with open(os.path.join(output, "manifest.json")) as handle:
        return json.load(handle)


def run_readme_loading_snippet(output: str) -> dict:
    """Runs the README's ``load_dataset`` block with its path pointed at ``output``."""
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    block = next(b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if "load_dataset(" in b)
    assert '"out/demo"' in block
    namespace: dict = {}
    exec(block.replace('"out/demo"', repr(output)), namespace)
    return namespace


def test_instructions_recipe_end_to_end_with_bad_input(tmp_path, llm_endpoint, bundled_model_dir, shared_cache):
    output = str(tmp_path / "out")
    inputs = "synthbeam://pydoc_topics," + _bad_corpus(tmp_path / "bad")
    manifest = _run(llm_endpoint, bundled_model_dir, output, inputs, shared_cache, limit=PASSAGES)

    rec = manifest["reconciliation"]
    assert rec["balanced"], manifest
    check_curation_tail(manifest, output)
    counts = manifest["counts"]
    # Four candidate requests per answer span; the gates and the selection keep at most one per span
    # (checked on the written rows below; which candidates pass the gates is the model's doing).
    assert rec["rows_in"] == counts["requests"] > 0 and counts["requests"] % 4 == 0
    # The bad file's one short document holds no answer span: counted, not silently dropped.
    assert 0 < counts["passages_without_answer_span"] < counts["passages_used"]
    for reason in ("invalid_json", "invalid_utf8", "missing_text_field", "empty_file"):
        assert counts[f"dead_lettered/read/{reason}"] == 1, counts

    files = sorted(glob.glob(f"{output}/*/*.parquet"))
    data_files = [f for f in files if "/rejected/" not in f]
    assert data_files
    table = pq.read_table(data_files)
    assert table.num_rows == rec["rows_written"] > 0
    spans = set()
    for row in decoded_rows(table):
        assert row["task"] == "instruction"
        assert [m["role"] for m in row["messages"]] == ["user", "assistant"]
        meta = json.loads(row["meta"])
        # The response is the passage's own text; the request is the model's and passed the gates.
        assert meta["mode"] == "answer_first"
        assert set(re.findall(r"\w+", row["messages"][1]["content"])) <= set(re.findall(r"\w+", meta["passage"]))
        assert row["messages"][0]["content"].rstrip().endswith("?") or row["messages"][0]["content"][0].isupper()
        if not row["lineage"]["oversampled_from"]:
            assert meta["span"] not in spans
            spans.add(meta["span"])
        assert all(row["lineage"][f] for f in LINEAGE_FIELDS), row["lineage"]
        assert row["source"]["uri"]
        assert row["split"] in ("train", "eval")
    loaded = datasets.load_dataset("parquet", data_files={"train": data_files}, split="train")
    assert loaded.num_rows == table.num_rows
    # The README's loading snippet, as written, on this output; then chat templates and TRL.
    namespace = run_readme_loading_snippet(output)
    assert sum(split.num_rows for split in namespace["ds"].values()) == table.num_rows
    assert namespace["turns"][0]["role"] == "user"
    rows = load_rows(data_files, str(tmp_path / "hf"))
    check_chat_templates(rows, bundled_model_dir)
    check_trl_preparation(rows, bundled_model_dir, str(tmp_path / "trl"))
    copies = [r for r in table.to_pylist() if r["lineage"]["oversampled_from"]]
    assert len(copies) == rec["rows_added"]
    assert all(r["split"] == "train" for r in copies)  # eval keeps each row once

    card = open(os.path.join(output, "README.md")).read()
    assert card.startswith("---\n") and "configs:" in card
    assert os.path.exists(os.path.join(output, "class_balance.png"))

    dead_rows = [json.loads(line) for path in glob.glob(f"{output}/dead_letter/*.jsonl") for line in open(path)]
    assert {d["reason"] for d in dead_rows} >= {"invalid_json", "invalid_utf8", "empty_file"}
    assert all(d["uri"] for d in dead_rows)

    # A rerun answers every request from the response cache and writes the same rows.
    again = _run(llm_endpoint, bundled_model_dir, str(tmp_path / "out2"), inputs, shared_cache, limit=PASSAGES)
    assert again["counts"] == manifest["counts"]
    rerun_rows = pq.read_table(sorted(glob.glob(f"{tmp_path}/out2/*/*.parquet"))).to_pylist()
    first_rows = pq.read_table(files).to_pylist()
    assert sorted(r["id"] for r in rerun_rows) == sorted(r["id"] for r in first_rows)


def test_instructions_recipe_reads_and_writes_gcs(tmp_path, gcs_emulator, gcs_bucket, llm_endpoint, bundled_model_dir):
    gcs_emulator.upload(
        f"{gcs_bucket}/corpus/a.jsonl",
        json.dumps({"text": "A tuple is an immutable sequence type in Python, written with commas."}) + "\n",
    )
    manifest_path_root = f"{gcs_bucket}/out"
    argv = [
        f"--input={gcs_bucket}/corpus/*.jsonl",
        f"--output={manifest_path_root}",
        f"--llm_endpoint={llm_endpoint}",
        f"--model={bundled_model_dir}",
        f"--cache_root={tmp_path / 'cache'}",
        "--generation=question_answer",  # the one short passage holds no answer span
        "--per_passage=1",
    ]
    instructions.run(argv, test_pipeline=TestPipeline(argv=argv, blocking=True))
    manifest = json.loads(gcs_emulator.read(f"{manifest_path_root}/manifest.json"))
    assert manifest["reconciliation"]["balanced"]
    assert manifest["counts"]["requests"] == 1
    rec = manifest["reconciliation"]
    shards = [uri for uri in gcs_emulator.list(manifest_path_root) if uri.endswith(".parquet")]
    rows = sum(pq.read_table(pa.BufferReader(gcs_emulator.read(uri))).num_rows for uri in shards)
    # The one generated row is either written or rejected, and it is in a gs:// shard either way.
    assert rows == rec["rows_written"] + rec["rows_filtered"] == 1


def test_instructions_recipe_judges_after_the_gates_when_asked(tmp_path, llm_endpoint, bundled_model_dir, shared_cache):
    # The same passages and requests as the end-to-end run (whose rows pass the gates), so
    # that rows reach the judge; its cache answers the generation calls.
    output = str(tmp_path / "out")
    inputs = "synthbeam://pydoc_topics," + _bad_corpus(tmp_path / "bad")
    manifest = _run(llm_endpoint, bundled_model_dir, output, inputs, shared_cache, PASSAGES, ("--judge=on",))
    counts = manifest["counts"]
    assert manifest["reconciliation"]["balanced"], manifest
    assert "judge_instruction.jinja2" in manifest["templates"]
    judged = sum(n for key, n in counts.items() if key.startswith("filtered/verify_semantic/"))
    rows = pq.read_table(sorted(glob.glob(f"{output}/train/*.parquet") + glob.glob(f"{output}/eval/*.parquet")))
    originals = [r for r in decoded_rows(rows) if not r["lineage"]["oversampled_from"]]
    # Only rows that passed every gate reach the judge; each kept row carries its passing verdict.
    assert judged + len(originals) > 0, counts
    for row in originals:
        verdict = json.loads(row["meta"])["judge"]
        assert verdict["passes"] is True and verdict["rubric"] and verdict["reason"]
