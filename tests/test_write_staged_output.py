"""Publishing a staged run: the output holds exactly the new run's files (local and gs://)."""

from __future__ import annotations

import os

import pytest
from apache_beam.io.filesystems import FileSystems

from synthbeam.paths import is_local
from synthbeam.transforms.write import staged_output


@pytest.fixture(params=["local", "gs"])
def output(request, tmp_path) -> str:
    if request.param == "local":
        return str(tmp_path / "out")
    return f"{request.getfixturevalue('gcs_bucket')}/out"


def write(path: str, text: str = "x") -> None:
    with FileSystems.create(path) as handle:
        handle.write(text.encode())


def tree(output: str) -> dict[str, str]:
    """``{path relative to output: content}`` of every file under ``output``."""
    files = staged_output.files_under(output)
    contents = {}
    for path in files:
        with FileSystems.open(path) as handle:
            contents[staged_output.relative(path, output)] = handle.read().decode()
    return contents


def put(output: str, files: dict[str, str]) -> None:
    for rel, text in files.items():
        write(FileSystems.join(output, rel), text)


EARLIER = {
    "manifest.json": "old",
    "README.md": "old",
    "lengths.png": "old",
    "train/part-00000-of-00002.parquet": "old",
    "train/part-00001-of-00002.parquet": "old",
    "eval/part-00000-of-00001.parquet": "old",
    "rejected/part-00000-of-00001.parquet": "old rejects",
    "dead_letter/part-00000-of-00002.jsonl": "old",
    "dead_letter/part-00001-of-00002.jsonl": "old",
    "tool_selection/train/part-00000-of-00001.parquet": "old",
    "_llm_cache/ab/cd.json": "cached",
    "notes.txt": "not ours",
}


def test_publish_replaces_every_file_of_the_earlier_run_and_keeps_the_rest(output) -> None:
    put(output, EARLIER)
    staging = staged_output.new_staging_dir(output)
    new = {
        "manifest.json": "new",
        "train/part-00000-of-00001.parquet": "new",
        "rejected/part-00000-of-00001.parquet": "new rejects",
        "dead_letter/part-00000-of-00001.jsonl": "",
    }
    put(staging, new)
    published = staged_output.publish(output, staging, keep=[FileSystems.join(output, "_llm_cache")])
    assert sorted(published) == sorted(FileSystems.join(output, rel) for rel in new)
    assert tree(output) == {**new, "_llm_cache/ab/cd.json": "cached", "notes.txt": "not ours"}
    if is_local(output):  # no empty directories of the earlier run either
        assert sorted(os.listdir(output)) == [
            "_llm_cache",
            "dead_letter",
            "manifest.json",
            "notes.txt",
            "rejected",
            "train",
        ]


def test_publishing_an_empty_run_leaves_no_split_of_the_earlier_one(output) -> None:
    put(output, EARLIER)
    staging = staged_output.new_staging_dir(output)
    put(staging, {"manifest.json": "written 0"})
    staged_output.publish(output, staging)
    assert tree(output) == {"manifest.json": "written 0", "_llm_cache/ab/cd.json": "cached", "notes.txt": "not ours"}


def test_a_directory_the_run_stages_is_owned_by_it(output) -> None:
    put(output, {"extra/old.jsonl": "old", "manifest.json": "old"})
    staging = staged_output.new_staging_dir(output)
    put(staging, {"extra/new.jsonl": "new", "manifest.json": "new"})
    staged_output.publish(output, staging)
    assert tree(output) == {"extra/new.jsonl": "new", "manifest.json": "new"}


def test_an_earlier_run_is_found_by_its_manifest_or_our_directories(output) -> None:
    assert staged_output.earlier_run(output) == []
    put(output, {"_llm_cache/a.json": "cached", "notes.txt": "x"})
    assert staged_output.earlier_run(output) == []
    put(output, {"rejected/part-00000-of-00001.parquet": "x"})
    assert staged_output.earlier_run(output) == ["rejected"]
    put(output, {"manifest.json": "{}"})
    assert staged_output.earlier_run(output) == ["rejected", "manifest.json"]


def test_leftovers_of_killed_runs_are_removed(output) -> None:
    killed = FileSystems.join(output, f"{staged_output.STAGING_PREFIX}0123")
    sink_temp = FileSystems.join(output, "rejected", f"{staged_output.STAGING_PREFIX}4567")
    put(killed, {"train/part-00000-of-00001.parquet": "complete shard", "manifest.json": "{}"})
    put(sink_temp, {"a.parquet": "x"})
    put(output, {"train/part-00000-of-00001.parquet": "published"})
    assert staged_output.remove_leftovers(output) == sorted([killed, sink_temp])
    assert tree(output) == {"train/part-00000-of-00001.parquet": "published"}


def test_final_output_of_a_staging_directory_is_its_parent() -> None:
    assert staged_output.final_output("gs://b/out/.synthbeam-tmp-12ab") == "gs://b/out"
    assert staged_output.final_output("/data/out/.synthbeam-tmp-12ab") == "/data/out"
    assert staged_output.final_output("/data/out") == "/data/out"
