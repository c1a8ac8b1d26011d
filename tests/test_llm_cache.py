from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest

from synthbeam.llm import cache as cache_module
from synthbeam.llm.cache import ResponseCache, decode_entry, encode_entry, entry_path
from synthbeam.llm.config import LLMConfig
from synthbeam.llm.model_store import model_identity, resolve_model_dir
from synthbeam.schemas.record import ChatRequest, Completion, SamplingParams

REQUEST = ChatRequest(
    id="r1",
    messages=[{"role": "user", "content": "Name a colour."}],
    sampling=SamplingParams(temperature=0.7, top_p=0.95, max_tokens=16),
    seed=5,
)


def _completion(key: str, text: str = "Blue.") -> Completion:
    return Completion(
        request_id="r1",
        text=text,
        finish_reason="stop",
        model="m@1",
        request_hash=key,
        prompt_tokens=9,
        completion_tokens=2,
    )


@pytest.mark.parametrize(
    "change",
    [
        {"sampling": SamplingParams(temperature=0.2, top_p=0.95, max_tokens=16)},
        {"sampling": SamplingParams(temperature=0.7, top_p=0.95, max_tokens=17)},
        {"seed": 6},
        {"messages": [{"role": "user", "content": "Name a colour!"}]},
        {"tools": '[{"type": "function", "function": {"name": "f"}}]'},
        {"response_format": '{"type": "object"}'},
    ],
)
def test_key_changes_with_what_changes_the_output(change: dict[str, object]) -> None:
    assert dataclasses.replace(REQUEST, **change).cache_key("m@1") != REQUEST.cache_key("m@1")


def test_key_ignores_request_id_and_depends_on_model() -> None:
    assert dataclasses.replace(REQUEST, id="other").cache_key("m@1") == REQUEST.cache_key("m@1")
    assert REQUEST.cache_key("m@2") != REQUEST.cache_key("m@1")


def test_serving_settings_do_not_change_the_model_identity(tmp_path: Path) -> None:
    model = tmp_path / "TinyModel"
    model.mkdir()
    (model / "config.json").write_text('{"max_position_embeddings": 64}')
    (model / "model.safetensors").write_bytes(os.urandom(3 << 20))
    configs = [
        LLMConfig(model=str(model)),
        LLMConfig(model=str(model), max_in_flight=3, request_timeout_s=5, max_attempts=1, served_model_name="x"),
        LLMConfig(model=str(model), endpoint="http://127.0.0.1:1", cache_root="gs://b/c"),
    ]
    # The runtime derives the key from the model directory only, whatever the config says.
    identities = {model_identity(config.model) for config in configs}
    assert len(identities) == 1
    before = identities.pop()
    assert before.startswith("TinyModel@")
    with open(model / "model.safetensors", "r+b") as weights:
        weights.seek((3 << 20) - 1)
        weights.write(b"\x00" if weights.read(1) != b"\x00" else b"\x01")
    assert model_identity(str(model)) != before


def test_round_trip_marks_cached(tmp_path: Path) -> None:
    store = ResponseCache(str(tmp_path))
    key = REQUEST.cache_key("m@1")
    assert store.get(key) is None
    store.put(key, _completion(key))
    hit = store.get(key)
    assert hit == dataclasses.replace(_completion(key), cached=True)
    path = Path(entry_path(str(tmp_path), key))
    assert path.parent.parent.name == key[:2] and path.parent.name == key[2:4]
    assert json.loads(path.read_text())["completion"]["cached"] is False


@pytest.mark.parametrize("cut", [0, 1, 10, -1])
def test_torn_entry_is_a_miss_not_a_hit(tmp_path: Path, cut: int) -> None:
    key = REQUEST.cache_key("m@1")
    data = encode_entry(key, _completion(key))
    path = Path(entry_path(str(tmp_path), key))
    path.parent.mkdir(parents=True)
    path.write_bytes(data[:cut])
    assert ResponseCache(str(tmp_path)).get(key) is None


def test_entry_for_another_key_is_a_miss(tmp_path: Path) -> None:
    key, other = REQUEST.cache_key("m@1"), REQUEST.cache_key("m@2")
    assert decode_entry(key, encode_entry(other, _completion(other))) is None
    assert decode_entry(key, b'{"format": 1, "key": "%s", "completion": {"oops": 1}}' % key.encode()) is None


def test_failed_write_leaves_old_entry_and_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ResponseCache(str(tmp_path))
    key = REQUEST.cache_key("m@1")
    store.put(key, _completion(key, "First."))

    def crash(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(cache_module.os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        store.put(key, _completion(key, "Second."))
    assert store.get(key).text == "First."  # type: ignore[union-attr]
    assert [p.name for p in Path(entry_path(str(tmp_path), key)).parent.iterdir()] == [f"{key}.json"]


def test_gcs_cache_round_trip(gcs_bucket: str) -> None:
    store = ResponseCache(f"{gcs_bucket}/llm-cache")
    key = REQUEST.cache_key("m@1")
    assert store.get(key) is None
    store.put(key, _completion(key))
    assert store.get(key) == dataclasses.replace(_completion(key), cached=True)


def test_a_gcs_model_directory_is_copied_to_local_disk_once(gcs_bucket: str, tmp_path: Path) -> None:
    from synthbeam.remote_files import write_remote

    files = {"config.json": b"{}", "tokenizer/vocab.txt": b"a\nb\n", "model.safetensors": b"\0" * 1000}
    for name, data in files.items():
        write_remote(f"{gcs_bucket}/models/tiny/{name}", data)
    local = resolve_model_dir(f"{gcs_bucket}/models/tiny/", cache_dir=tmp_path)
    assert Path(local).name == "tiny"
    assert {name: (Path(local) / name).read_bytes() for name in files} == files
    write_remote(f"{gcs_bucket}/models/tiny/config.json", b'{"changed": true}')
    assert resolve_model_dir(f"{gcs_bucket}/models/tiny", cache_dir=tmp_path) == local  # copied once
    assert (Path(local) / "config.json").read_bytes() == b"{}"


REMOVED = object()


def _entry_with(key: str, **changes: object) -> bytes:
    """A complete entry for ``key`` whose completion fields are changed (or REMOVED)."""
    body = json.loads(encode_entry(key, _completion(key)))
    for name, value in changes.items():
        if value is REMOVED:
            body["completion"].pop(name)
        else:
            body["completion"][name] = value
    return json.dumps(body).encode("utf-8")


ILL_TYPED: dict[str, dict[str, object]] = {
    "text_null": {"text": None},
    "text_number": {"text": 7},
    "finish_reason_list": {"finish_reason": ["stop"]},
    "model_missing": {"model": REMOVED},
    "tokens_as_text": {"prompt_tokens": "9"},
    "tokens_as_bool": {"completion_tokens": True},
    "tokens_negative": {"completion_tokens": -1},
    "tool_calls_text": {"tool_calls": "f()"},
    "tool_call_text": {"tool_calls": ["f()"]},
    "tool_call_function_text": {"tool_calls": [{"id": "1", "type": "function", "function": "f"}]},
    "tool_call_arguments_object": {
        "tool_calls": [{"id": "1", "type": "function", "function": {"name": "f", "arguments": {}}}]
    },
    "cached_text": {"cached": "no"},
}


@pytest.mark.parametrize("case", sorted(ILL_TYPED))
def test_ill_typed_entry_is_a_miss_and_is_rewritten(tmp_path: Path, case: str) -> None:
    key = REQUEST.cache_key("m@1")
    path = Path(entry_path(str(tmp_path), key))
    path.parent.mkdir(parents=True)
    path.write_bytes(_entry_with(key, **ILL_TYPED[case]))
    store = ResponseCache(str(tmp_path))
    assert store.get(key) is None
    store.put(key, _completion(key))
    assert store.get(key) == dataclasses.replace(_completion(key), cached=True)


def test_tool_calls_round_trip(tmp_path: Path) -> None:
    store = ResponseCache(str(tmp_path))
    key = REQUEST.cache_key("m@1")
    calls = [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"x": 1}'}}]
    completion = dataclasses.replace(_completion(key), tool_calls=calls)  # type: ignore[arg-type]
    store.put(key, completion)
    assert store.get(key) == dataclasses.replace(completion, cached=True)


def test_entry_that_is_a_directory_is_a_miss_and_is_rewritten(tmp_path: Path) -> None:
    key = REQUEST.cache_key("m@1")
    path = Path(entry_path(str(tmp_path), key))
    (path / "junk").mkdir(parents=True)
    store = ResponseCache(str(tmp_path))
    assert store.get(key) is None
    store.put(key, _completion(key))
    assert path.is_file() and store.get(key) == dataclasses.replace(_completion(key), cached=True)


def test_unreadable_entry_is_a_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = REQUEST.cache_key("m@1")
    store = ResponseCache(str(tmp_path))
    store.put(key, _completion(key))
    real_open = open

    def refuse(path: object, *args: object, **kwargs: object) -> object:
        if str(path).endswith(f"{key}.json"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", refuse)
    assert store.get(key) is None


def test_a_run_over_broken_entries_asks_again_and_repairs_them(bundled_model_dir: str, tmp_path: Path) -> None:
    from aiohttp import web
    from llm_pipeline import make_requests, run_generate
    from scripted_server import ScriptedServer

    async def answer(body: dict[str, object]) -> web.Response:
        return web.json_response({"choices": [{"message": {"content": "Fine."}, "finish_reason": "stop"}]})

    cache = tmp_path / "cache"
    items = make_requests(2, prefix="broken")
    model_id = model_identity(bundled_model_dir)
    directory_entry = Path(entry_path(str(cache), items[0][0].cache_key(model_id)))
    (directory_entry / "junk").mkdir(parents=True)
    null_key = items[1][0].cache_key(model_id)
    null_entry = Path(entry_path(str(cache), null_key))
    null_entry.parent.mkdir(parents=True, exist_ok=True)
    null_entry.write_bytes(_entry_with(null_key, text=None))
    with ScriptedServer(answer) as server:
        config = LLMConfig(model=bundled_model_dir, endpoint=server.url, cache_root=str(cache))
        first = run_generate(config, items, tmp_path / "first")
        again = run_generate(config, items, tmp_path / "again")
    assert first.dead == [] and first.counter("llm_calls") == 2 and server.chat_requests == 2
    assert directory_entry.is_file() and {r["completion"]["text"] for r in first.main} == {"Fine."}
    assert again.counter("cache_hits") == 2 and again.counter("llm_calls") == 0
