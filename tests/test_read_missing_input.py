"""An input pattern that names no file stops the run before any work, in one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from gcs_emulator import GcsEmulator

from synthbeam import cli
from synthbeam.data.corpus import DEFAULT_CORPUS_URI
from synthbeam.tasks.self_instruct import BUNDLED_SEED_TASKS
from synthbeam.transforms.read.corpus import MissingInputError, check_patterns_match


def test_patterns_that_match_files_and_bundled_data_pass(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text('{"text": "x"}\n')
    check_patterns_match([str(tmp_path / "*.jsonl"), str(tmp_path / "a.jsonl"), DEFAULT_CORPUS_URI], "--input")
    check_patterns_match([BUNDLED_SEED_TASKS], "--input")


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("missing.jsonl", "matches no file"),
        ("*.parquet", "matches no file"),
        ("no/such/dir/*.jsonl", "matches no file"),
        ("sub", "is a directory; name its files: "),
    ],
)
def test_a_pattern_that_names_no_file_stops_the_run_naming_flag_and_pattern(
    tmp_path: Path, pattern: str, message: str
) -> None:
    (tmp_path / "a.jsonl").write_text('{"text": "x"}\n')
    (tmp_path / "sub").mkdir()
    missing = str(tmp_path / pattern)
    with pytest.raises(MissingInputError) as stopped:
        check_patterns_match([str(tmp_path / "a.jsonl"), missing], "--input")
    assert str(stopped.value).startswith(f"synthbeam: --input={missing!r} {message}")


@pytest.mark.parametrize("recipe", ["instructions", "augment"])
def test_a_run_with_missing_input_stops_before_any_work(tmp_path: Path, recipe: str) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(f"recipe: {recipe}\noptions:\n  input: {tmp_path}/corpus/*.jsonl\n  output: {tmp_path}/out\n")
    with pytest.raises(MissingInputError, match="matches no file"):
        cli.main(["run", str(path)])
    assert not (tmp_path / "out").exists()


def test_synthbeam_run_prints_one_line_and_exits_non_zero(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(f"recipe: augment\noptions:\n  input: {tmp_path}/none/*.jsonl,{tmp_path}/r.yaml\n")
    done = subprocess.run(
        [sys.executable, "-m", "synthbeam.cli", "run", str(path), f"--output={tmp_path}/out"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr == f"synthbeam: --input='{tmp_path}/none/*.jsonl' matches no file\n"
    assert not (tmp_path / "out").exists()


def test_gs_patterns_are_checked_the_same_way(gcs_emulator: GcsEmulator, gcs_bucket: str) -> None:
    (uri,) = gcs_emulator.upload_files(f"{gcs_bucket}/corpus", {"a.jsonl": b'{"text": "x"}\n'})
    check_patterns_match([uri, f"{gcs_bucket}/corpus/*.jsonl"], "--input")
    for missing in (f"{gcs_bucket}/corpus/*.parquet", f"{gcs_bucket}/nothing/a.jsonl", "gs://no-such-bucket-0/*.jsonl"):
        with pytest.raises(MissingInputError) as stopped:
            check_patterns_match([missing], "--input")
        assert str(stopped.value).startswith(f"synthbeam: --input={missing!r} ")
        assert "\n" not in str(stopped.value)
