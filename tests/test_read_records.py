"""Rows read back as Records share the corpus readers: same reasons, payloads, JSON columns."""

from __future__ import annotations

import io
import json

import pyarrow as pa
import pyarrow.parquet as pq

from synthbeam.schemas import reasons
from synthbeam.schemas.record import DeadLetter, Record
from synthbeam.transforms.read.formats import read_json_lines, read_parquet_rows
from synthbeam.transforms.read.records import record_from_object

CHAT = {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}


def test_jsonl_rows_keep_json_columns_and_bad_lines_get_precise_reasons() -> None:
    row = {**CHAT, "tools": [{"type": "function", "function": {"name": "f"}}], "meta": {"k": 1}}
    lines = [json.dumps(row).encode() + b"\n", b"\xff\xfe not utf-8\n", b"{not json\n", b"[1, 2]\n"]
    items = list(read_json_lines(lines, "rows.jsonl", record_from_object))
    record = items[0]
    assert isinstance(record, Record)
    assert json.loads(record.tools) == row["tools"] and record.meta_dict() == {"k": 1}
    assert [(d.reason, d.source.position) for d in items[1:]] == [
        (reasons.INVALID_UTF8, 1),
        (reasons.INVALID_JSON, 2),
        (reasons.INVALID_JSON, 3),  # valid JSON, but not an object
    ]
    assert items[3].payload.startswith("[1, 2]")


def test_parquet_rows_that_are_no_record_are_dead_lettered_with_the_row() -> None:
    sink = io.BytesIO()
    pq.write_table(pa.table({"instruction": ["Explain x.", ""], "output": ["x is y.", "z"]}), sink)
    sink.seek(0)
    items = list(read_parquet_rows(sink, "rows.parquet", record_from_object))
    assert isinstance(items[0], Record) and items[0].messages[0]["content"].startswith("Explain x.")
    assert isinstance(items[1], DeadLetter) and items[1].source.position == 1
    assert json.loads(items[1].payload) == {"instruction": "", "output": "z"}


def test_instruction_rows_in_both_seed_forms_keep_their_input() -> None:
    from synthbeam.schemas.record import Source

    flat = {"instruction": "Translate the sentence into French.", "input": "Good morning.", "output": "Bonjour."}
    alpaca = {
        "id": "seed_task_1",
        "instruction": "Translate the sentence into French.",
        "instances": [{"input": "Good morning.", "output": "Bonjour."}],
        "is_classification": False,
    }
    flat_row, alpaca_row = (record_from_object(obj, Source("seeds.jsonl", 0)) for obj in (flat, alpaca))
    assert isinstance(flat_row, Record) and isinstance(alpaca_row, Record)
    assert alpaca_row.messages == flat_row.messages
    assert "Good morning." in alpaca_row.messages[0]["content"]
    assert alpaca_row.messages[-1] == {"role": "assistant", "content": "Bonjour."}
