"""Nightly runs partitioned by run date: their own directory, the cache beside it, safe reruns."""

from __future__ import annotations

import glob
import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from apache_beam.io.filesystems import FileSystems

from synthbeam import cli
from synthbeam.pipelines import augment, tool_use
from synthbeam.pipelines.run_date import check_run_date, dated_args, nightly_args, partition, today_utc

ROW = {
    "id": "a",
    "instruction": "Give three quick tips for staying healthy.",
    "output": "Eat well, sleep well, walk daily and drink water.",
}


def test_output_is_the_nights_partition_and_the_cache_sits_beside_it() -> None:
    args = nightly_args(["--output=gs://bkt/out", "--job_name=synthbeam-nightly", "--limit=5"], today="2026-11-22")
    assert args == [
        "--job_name=synthbeam-nightly",
        "--limit=5",
        "--output=gs://bkt/out/run_date=2026-11-22",
        "--cache_root=gs://bkt/out/_llm_cache",
        "--run_id=synthbeam-nightly",
        "--overwrite",
    ]
    # A given date wins over today; a given cache and run id are kept.
    args = nightly_args(
        ["--output=gs://bkt/out/", "--run_date=2026-11-20", "--cache_root=none", "--run_id=r1", "--overwrite"],
        today="2026-11-22",
    )
    assert args == ["--cache_root=none", "--run_id=r1", "--overwrite", "--output=gs://bkt/out/run_date=2026-11-20"]
    assert partition("out", "2026-01-02") == "out/run_date=2026-01-02"


def test_a_run_by_hand_is_partitioned_only_when_given_a_run_date() -> None:
    plain = ["--output=out/x", "--limit=5"]
    assert dated_args(plain) == plain
    assert dated_args(["--output=out/x", "--run_date", "2026-11-21"]) == [
        "--output=out/x/run_date=2026-11-21",
        "--cache_root=out/x/_llm_cache",
        "--overwrite",
    ]
    assert dated_args(["--output=gs://b/o", "--run_date=today"])[0] == f"--output=gs://b/o/run_date={today_utc()}"
    # Already partitioned (a Flex Template launch hands the recipe its night): left as it is.
    night = nightly_args(["--output=gs://b/o", "--run_date=2026-11-21"])
    assert dated_args(night) == night


@pytest.mark.parametrize("value", ["2026-02-30", "20261122", "2026-11-22T03:00", ""])
def test_run_dates_are_calendar_dates(value: str) -> None:
    with pytest.raises(ValueError, match="must be a date written YYYY-MM-DD"):
        check_run_date(value)
    with pytest.raises(ValueError, match="needs --output"):
        nightly_args(["--run_date=2026-11-22"])


def shard_rows(directory: str) -> dict[str, list[dict]]:
    """Rows of every Parquet file of a night (splits and rejects), in id order: Beam does not
    promise the order of rows inside a shard."""
    files = sorted(glob.glob(os.path.join(directory, "*", "*.parquet")))
    return {os.path.relpath(f, directory): sorted(pq.read_table(f).to_pylist(), key=lambda r: r["id"]) for f in files}


def cache_entries(cache: Path) -> set[str]:
    return {str(p.relative_to(cache)) for p in cache.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_a_rerun_of_the_same_night_reuses_the_cache_and_writes_identical_shards(
    tmp_path: Path, llm_endpoint: str, bundled_model_dir: str
) -> None:
    base = tmp_path / "nightly"
    launch = [  # tool_use: the bundled model keeps rows there, so the comparison covers kept rows
        f"--output={base}",
        "--run_date=2026-11-22",
        "--job_name=synthbeam-tool-use-nightly",
        f"--model={bundled_model_dir}",
        f"--llm_endpoint={llm_endpoint}",
        "--num_examples=12",
        "--candidates=2",
        "--kind_mix=single=2,multiple=1,parallel=1,parallel_multiple=1,irrelevance=1",
        "--eval_fraction=0.25",
    ]
    args = nightly_args(launch)
    night = base / "run_date=2026-11-22"
    tool_use.run(args)
    first = shard_rows(str(night))
    cached = cache_entries(base / "_llm_cache")
    kept = [name for name in first if not name.startswith("rejected/") and first[name]]
    assert kept and cached, sorted(first)
    assert not (night / "_llm_cache").exists()  # the cache is no part of the dataset

    tool_use.run(nightly_args(launch))  # the retried night
    assert shard_rows(str(night)) == first
    assert cache_entries(base / "_llm_cache") == cached  # every answer came from the cache
    assert sorted(p.name for p in base.iterdir()) == ["_llm_cache", "run_date=2026-11-22"]


@pytest.fixture(params=["local", "gs"])
def base(request, tmp_path: Path) -> str:
    """The directory above the partitions, on local disk and on the GCS emulator."""
    if request.param == "local":
        return str(tmp_path / "nightly")
    return f"{request.getfixturevalue('gcs_bucket')}/nightly"


def read_all(directory: str) -> dict[str, bytes]:
    """Every file under ``directory`` (local or gs://) by relative path, the run's log aside."""
    found = FileSystems.match([FileSystems.join(directory, "**")])[0].metadata_list
    out = {}
    for meta in found:
        rel = meta.path[len(directory) :].lstrip("/")
        if not rel.endswith("run.log"):
            with FileSystems.open(meta.path) as handle:
                out[rel] = handle.read()
    return out


def test_a_run_by_hand_with_a_run_date_writes_its_partition_and_leaves_other_nights(base: str, tmp_path: Path) -> None:
    """``synthbeam run`` and ``python -m synthbeam.pipelines.augment`` (EDA only: no model)."""
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps(ROW) + "\n")
    flags = [f"--input={rows}", f"--output={base}", "--methods=eda", "--eda_ops=ri", "--eda_per_row=1"]
    assert cli.main(["run", "augment", *flags, "--run_date=2026-11-21"]) == 0
    first_night = read_all(f"{base}/run_date=2026-11-21")
    manifest = json.loads(first_night["manifest.json"])
    assert manifest["output"] == f"{base}/run_date=2026-11-21" and manifest["reconciliation"]["balanced"]
    assert manifest["counts"]["written/train"] + manifest["counts"].get("written/eval", 0) >= 1

    augment.run([*flags, "--run_date", "2026-11-22"])  # the module's own entry point
    assert read_all(f"{base}/run_date=2026-11-21") == first_night  # an earlier night is never touched
    second_night = read_all(f"{base}/run_date=2026-11-22")
    assert json.loads(second_night["manifest.json"])["output"] == f"{base}/run_date=2026-11-22"

    augment.run([*flags, "--run_date=2026-11-22"])  # a retried night replaces its own partition
    again = read_all(f"{base}/run_date=2026-11-22")
    assert sorted(again) == sorted(second_night)
    top = {path.split("/", 1)[0] for path in read_all(base)}
    assert top == {"run_date=2026-11-21", "run_date=2026-11-22"}  # nothing written above the partitions


def test_a_bad_run_date_is_refused_before_any_work(tmp_path: Path, capsys) -> None:
    assert cli.main(["run", "augment", f"--output={tmp_path / 'o'}", "--run_date=yesterday"]) == 2
    assert "--run_date=yesterday: must be a date written YYYY-MM-DD" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_a_dry_run_names_the_partition_the_run_would_write(tmp_path: Path, capsys) -> None:
    out = tmp_path / "o"
    assert cli.main(["run", "augment", f"--output={out}", "--run_date=2026-11-20", "--dry_run"]) == 0
    printed = capsys.readouterr().out
    assert f"output: {out}/run_date=2026-11-20 (response cache: {out}/_llm_cache)" in printed
    assert not out.exists()


def test_a_run_date_without_an_output_is_refused_in_one_line(capsys) -> None:
    assert cli.main(["run", "augment", "--run_date=2026-11-20"]) == 2
    assert capsys.readouterr().err == "synthbeam: --run_date needs --output (the directory above the partitions)\n"
