"""Whole recipe runs (augment, EDA only: no model) into an output that already holds a run,
is being written, or was left by a killed run: the output always matches its manifest."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from apache_beam.io.filesystems import FileSystems

from synthbeam import cli
from synthbeam.transforms.write import output_lock, staged_output
from synthbeam.transforms.write.output_lock import LOCK_NAME, LockInfo

GOOD = {
    "id": "a",
    "instruction": "Give three quick tips for staying healthy.",
    "output": "Eat well, sleep well, walk daily and drink water.",
}
SHORT = {"id": "b", "instruction": "Explain why the sky is blue to a child.", "output": "ok"}
SPLITS = ("train", "eval", "data")


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, str]:
    """A recipe file and three inputs: with rejects and a dead letter, clean, empty."""
    files = {
        "recipe": "recipe: augment\noptions:\n  methods: eda\n  eda_per_row: 1\n  eda_ops: ri\n",
        "mixed": "\n".join([json.dumps(GOOD), json.dumps(SHORT), "{broken"]) + "\n",
        "clean": json.dumps(GOOD) + "\n",
        "empty": "",
    }
    paths = {name: tmp_path / (f"{name}.yaml" if name == "recipe" else f"{name}.jsonl") for name in files}
    for name, text in files.items():
        paths[name].write_text(text)
    return {name: str(path) for name, path in paths.items()}


@pytest.fixture(params=["local", "gs"])
def output(request, tmp_path: Path) -> str:
    if request.param == "local":
        return str(tmp_path / "out")
    return f"{request.getfixturevalue('gcs_bucket')}/out"


def run(inputs: dict[str, str], output: str, data: str, *flags: str) -> int:
    return cli.main(["run", inputs["recipe"], f"--input={inputs[data]}", f"--output={output}", *flags])


def read(path: str) -> bytes:
    with FileSystems.open(path) as handle:
        return handle.read()


def files(output: str) -> dict[str, bytes]:
    return {staged_output.relative(path, output): read(path) for path in staged_output.files_under(output)}


def parquet_rows(contents: dict[str, bytes], directory: str) -> int:
    return sum(
        pq.read_table(io.BytesIO(data)).num_rows
        for rel, data in contents.items()
        if rel.startswith(directory + "/") and rel.endswith(".parquet")
    )


def assert_matches_manifest(output: str) -> dict:
    """Every split, rejected/ and dead_letter/ hold exactly the rows the manifest counts."""
    contents = files(output)
    manifest = json.loads(contents["manifest.json"])
    counts, rec = manifest["counts"], manifest["reconciliation"]
    assert manifest["output"] == output
    for split in SPLITS:
        assert parquet_rows(contents, split) == counts.get(f"written/{split}", 0), split
    assert parquet_rows(contents, "rejected") == rec["rows_filtered"]
    dead = [line for rel, data in contents.items() if rel.startswith("dead_letter/") for line in data.splitlines()]
    assert len(dead) == sum(n for key, n in counts.items() if key.startswith("dead_lettered/"))
    assert not [rel for rel in contents if staged_output.STAGING_PREFIX in rel or rel == LOCK_NAME]
    return manifest


def test_a_rerun_replaces_rejects_and_dead_letters_and_keeps_the_cache(inputs, output) -> None:
    assert run(inputs, output, "mixed") == 0
    first = assert_matches_manifest(output)
    assert first["reconciliation"]["rows_filtered"] > 0 and first["counts"]["dead_lettered/read/invalid_json"] == 1
    cached = FileSystems.join(output, "_llm_cache", "ab", "entry.json")
    with FileSystems.create(cached) as handle:
        handle.write(b"{}")

    assert run(inputs, output, "clean", "--overwrite") == 0
    second = assert_matches_manifest(output)
    assert second["reconciliation"]["rows_filtered"] == 0 and second["run_id"] != first["run_id"]
    assert read(cached) == b"{}"


def test_a_rerun_on_an_empty_input_leaves_no_rows_of_the_earlier_run(inputs, output) -> None:
    assert run(inputs, output, "mixed") == 0
    assert assert_matches_manifest(output)["reconciliation"]["rows_written"] > 0
    assert run(inputs, output, "empty", "--overwrite") == 0
    manifest = assert_matches_manifest(output)
    assert manifest["reconciliation"]["rows_written"] == 0
    assert not [rel for rel in files(output) if rel.split("/")[0] in SPLITS]


def test_dead_letter_files_of_an_earlier_run_do_not_pile_up(inputs, output) -> None:
    assert run(inputs, output, "mixed") == 0
    earlier = FileSystems.join(output, "dead_letter", "part-00001-of-00002.jsonl")  # a run with two shards
    with FileSystems.create(earlier) as handle:
        handle.write(b'{"stage": "read"}\n')
    assert run(inputs, output, "mixed", "--overwrite") == 0
    assert_matches_manifest(output)
    assert not FileSystems.exists(earlier)


def test_an_output_holding_a_run_is_refused_without_overwrite(inputs, output, capsys) -> None:
    assert run(inputs, output, "mixed") == 0
    before = files(output)
    capsys.readouterr()
    assert run(inputs, output, "clean") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"synthbeam: {output} already holds a run (") and "pass --overwrite" in err
    assert files(output) == before


def test_a_run_is_refused_while_another_writes_the_output(inputs, output, capsys) -> None:
    other = LockInfo("other-run", socket.gethostname(), os.getpid(), "2026-01-02T03:04:05+00:00")
    output_lock.acquire(output, other)
    assert run(inputs, output, "clean", "--overwrite") == 2
    err = capsys.readouterr().err
    assert err == (
        f"synthbeam: {output} is being written by run other-run (host {other.host}, pid {os.getpid()}, "
        f"started 2026-01-02T03:04:05+00:00); wait for it to finish, or delete {output}/{LOCK_NAME} "
        "if that run is gone\n"
    )
    assert list(files(output)) == [LOCK_NAME]


def test_the_next_run_cleans_up_after_a_killed_one(inputs, output, caplog) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    output_lock.acquire(output, LockInfo("killed", socket.gethostname(), dead.pid, "2026-01-02T03:04:05+00:00"))
    staging = FileSystems.join(output, f"{staged_output.STAGING_PREFIX}0123abcd")
    for rel in ("train/part-00000-of-00001.parquet", f"rejected/{staged_output.STAGING_PREFIX}99/x.parquet"):
        with FileSystems.create(FileSystems.join(staging, rel)) as handle:
            handle.write(b"a complete shard")
    assert run(inputs, output, "clean") == 0
    assert_matches_manifest(output)
    assert "of run killed" in caplog.text and f"Deleting {staging}" in caplog.text


def cli_process(inputs: dict[str, str], output: str, data: str) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "synthbeam.cli", "run", inputs["recipe"], f"--input={inputs[data]}"]
    argv += [f"--output={output}", "--overwrite"]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_run_killed_while_writing_leaves_nothing_the_next_run_keeps(inputs, tmp_path) -> None:
    output = str(tmp_path / "out")
    victim = cli_process(inputs, output, "mixed")
    deadline = time.monotonic() + 120
    while not [p for p in Path(output).glob(f"{staged_output.STAGING_PREFIX}*/**/*") if p.is_file()]:
        assert victim.poll() is None and time.monotonic() < deadline, victim.communicate()
        time.sleep(0.01)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert run(inputs, output, "clean", "--overwrite") == 0
    assert_matches_manifest(output)


def test_of_two_runs_started_together_one_writes_and_the_other_is_refused(inputs, tmp_path) -> None:
    output = str(tmp_path / "out")
    first, second = cli_process(inputs, output, "mixed"), cli_process(inputs, output, "clean")
    results = [(p.wait(timeout=300), p.communicate()[1]) for p in (first, second)]
    codes = sorted(code for code, _ in results)
    assert codes in ([0, 2], [0, 0]), results  # [0, 0]: one finished before the other began
    for code, err in results:
        if code == 2:
            assert f"synthbeam: {output} is being written by run " in err
    assert_matches_manifest(output)
