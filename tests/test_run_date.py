"""Nightly runs partitioned by run date: their own directory, the cache beside it, safe reruns."""

from __future__ import annotations

import glob
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from synthbeam.pipelines import instructions
from synthbeam.pipelines.run_date import check_run_date, nightly_args, partition


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
    launch = [
        f"--output={base}",
        "--run_date=2026-11-22",
        "--job_name=synthbeam-instructions-nightly",
        f"--model={bundled_model_dir}",
        f"--llm_endpoint={llm_endpoint}",
        "--limit=10",
        "--per_passage=1",
        "--candidates_per_span=4",
    ]
    args = nightly_args(launch)
    night = base / "run_date=2026-11-22"
    instructions.run(args)
    first = shard_rows(str(night))
    cached = cache_entries(base / "_llm_cache")
    assert first and cached
    assert not (night / "_llm_cache").exists()  # the cache is no part of the dataset

    instructions.run(nightly_args(launch))  # the retried night
    assert shard_rows(str(night)) == first
    assert cache_entries(base / "_llm_cache") == cached  # every answer came from the cache
    assert sorted(p.name for p in base.iterdir()) == ["_llm_cache", "run_date=2026-11-22"]
