import json

import datasets
import pyarrow as pa
import pyarrow.parquet as pq

from synthbeam.schemas.arrow import RECORD_SCHEMA, record_to_row, records_to_table, row_to_record
from synthbeam.schemas.record import ChatRequest, Lineage, Record, SamplingParams, Source, stable_id


def _record() -> Record:
    return Record(
        id="r1",
        task="tool_use",
        messages=[
            {"role": "user", "content": "2+2?"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {"id": "c0", "type": "function", "function": {"name": "add", "arguments": '{"a": 2, "b": 2}'}}
                ],
            },
            {"role": "tool", "content": "4", "tool_call_id": "c0", "name": "add"},
        ],
        tools='[{"type": "function"}]',
        label="add",
        source=Source(uri="gs://b/x.jsonl", position=3, chunk=1),
        lineage=Lineage(template="t.jinja2", model="m", seed=7),
    )


def test_record_schema_is_derived_from_the_dataclass():
    assert RECORD_SCHEMA.names == [
        "id",
        "task",
        "messages",
        "tools",
        "label",
        "completion",
        "finish_reason",
        "source",
        "lineage",
        "split",
        "meta",
    ]
    assert RECORD_SCHEMA.field("messages").type == pa.list_(pa.json_())
    assert RECORD_SCHEMA.field("tools").type == RECORD_SCHEMA.field("meta").type == pa.json_()
    assert RECORD_SCHEMA.field("source").type == pa.struct(
        [("uri", pa.string()), ("position", pa.int64()), ("chunk", pa.int64())]
    )


def test_record_round_trips_through_parquet(tmp_path):
    record = _record()
    pq.write_table(records_to_table([record]), tmp_path / "x.parquet")
    back = pq.read_table(tmp_path / "x.parquet")
    assert back.schema.equals(RECORD_SCHEMA)
    assert row_to_record(back.to_pylist()[0]) == record
    assert row_to_record(record_to_row(record)) == record


def test_turns_are_json_objects_without_null_keys_and_with_object_arguments():
    turns = [json.loads(t) for t in record_to_row(_record())["messages"]]
    assert turns[0] == {"role": "user", "content": "2+2?"}
    assert turns[1]["tool_calls"][0]["function"]["arguments"] == {"a": 2, "b": 2}
    assert set(turns[2]) == {"role", "content", "tool_call_id", "name"}


def test_datasets_loads_turns_tools_and_meta_as_objects(tmp_path):
    pq.write_table(records_to_table([_record()]), tmp_path / "x.parquet")
    row = datasets.load_dataset("parquet", data_files=str(tmp_path / "x.parquet"), split="train")[0]
    assert row["messages"][1]["tool_calls"][0]["function"]["arguments"] == {"a": 2, "b": 2}
    assert "tool_calls" not in row["messages"][0]
    assert row["tools"] == [{"type": "function"}] and row["meta"] == {}
    assert row_to_record(row) == _record()


def test_cache_key_changes_with_output_affecting_fields_only():
    base = ChatRequest(id="a", messages=[{"role": "user", "content": "hi"}], seed=1)
    same_content_other_id = ChatRequest(id="b", messages=[{"role": "user", "content": "hi"}], seed=1)
    assert base.cache_key("m") == same_content_other_id.cache_key("m")
    assert base.cache_key("m") != base.cache_key("m2")
    assert base.cache_key("m") != ChatRequest(id="a", messages=base.messages, seed=2).cache_key("m")
    hotter = ChatRequest(id="a", messages=base.messages, seed=1, sampling=SamplingParams(temperature=1.0))
    assert base.cache_key("m") != hotter.cache_key("m")


def test_stable_id_is_deterministic_and_separates_parts():
    assert stable_id("a", "b") == "f04cdced9736a69da610"  # the same on every worker and in every release
    assert stable_id("a", "b") != stable_id("ab")
    assert len(stable_id("x")) == 20
