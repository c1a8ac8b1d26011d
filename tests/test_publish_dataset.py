"""``synthbeam publish``: a real run's output becomes a folder ``datasets.load_dataset`` loads,
locally and on ``gs://`` (the GCS emulator), with nothing but splits, card and charts."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import pytest
import yaml
from apache_beam.testing.test_pipeline import TestPipeline

from synthbeam import cli
from synthbeam.pipelines import augment
from synthbeam.publish_dataset import PublishRefused, publish_dataset

ROWS = [
    {
        "id": "a",
        "instruction": "Give three quick tips for staying healthy.",
        "output": "Eat vegetables every day, sleep eight hours a night, and walk for half an hour.",
    },
    {
        "id": "b",
        "instruction": "How do I reverse a list in Python?",
        "output": "Use slicing, my_list[::-1], or call my_list.reverse() to reverse it in place.",
    },
    {
        "id": "c",
        "instruction": "Explain why the sky is blue.",
        "output": "Air molecules scatter short blue wavelengths of sunlight far more than red ones, so the sky looks blue.",
    },
    {
        "id": "d",
        "instruction": "What does a Python dictionary store?",
        "output": "A dictionary maps unique, hashable keys to values and looks a value up by its key in constant time.",
    },
]
INTERNALS = ("rejected", "dead_letter", "_llm_cache", "manifest.json", ".synthbeam-lock", ".synthbeam-tmp-x")


@pytest.fixture(scope="module")
def run_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished EDA-only augment run (no model needed), plus what a run directory may also hold."""
    root = tmp_path_factory.mktemp("publish")
    source = root / "rows.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in ROWS) + "\n{broken\n")
    out = root / "out"
    argv = [f"--input={source}", f"--output={out}", "--methods=eda", "--eda_per_row=2", "--eval_fraction=0.3"]
    augment.run(argv, test_pipeline=TestPipeline(argv=argv, blocking=True))
    (out / "_llm_cache" / "ab").mkdir(parents=True)
    (out / "_llm_cache" / "ab" / "entry.json").write_text("{}")
    (out / ".synthbeam-tmp-x").mkdir()
    (out / ".synthbeam-tmp-x" / "part.parquet").write_text("torn")
    (out / ".synthbeam-lock").write_text("{}")
    return out


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def _header(card: str) -> dict:
    return yaml.safe_load(card.split("---")[1])


def _rows_by_split(output: Path) -> dict[str, int]:
    splits = _header((output / "README.md").read_text())["dataset_info"]["splits"]
    return {s["name"]: s["num_examples"] for s in splits}


def _check_loads(folder: Path, output: Path) -> None:
    loaded = datasets.load_dataset(str(folder))
    assert {name: len(split) for name, split in loaded.items()} == _rows_by_split(output)
    assert loaded[next(iter(loaded))][0]["messages"][0]["role"] == "user"


def test_local_publish_is_a_folder_load_dataset_reads(run_output, tmp_path):
    dest = tmp_path / "hub"
    assert cli.main(["publish", str(run_output), str(dest)]) == 0
    files = _files(dest)
    assert "README.md" in files and any(f.endswith(".parquet") for f in files)
    assert not [f for f in files if f.split("/")[0] in INTERNALS], files
    assert {f.split("/")[0] for f in files} <= {"train", "eval", "README.md", "class_balance.png", "lengths.png"}
    for name in ("lengths.png", "class_balance.png"):
        assert (name in files) == (f"]({name})" in (run_output / "README.md").read_text())
    _check_loads(dest, run_output)


def test_the_cards_configs_name_only_the_splits_copied(run_output, tmp_path):
    output = tmp_path / "out"
    output.mkdir()
    for name in ("manifest.json", "README.md"):
        (output / name).write_bytes((run_output / name).read_bytes())
    (output / "train").mkdir()
    for part in (run_output / "train").glob("*.parquet"):
        (output / "train" / part.name).write_bytes(part.read_bytes())
    publish_dataset(str(output), str(tmp_path / "hub"))  # the card names eval, which has no files
    header = _header((tmp_path / "hub" / "README.md").read_text())
    assert [f["split"] for c in header["configs"] for f in c["data_files"]] == ["train"]
    assert [s["name"] for s in header["dataset_info"]["splits"]] == ["train"]
    assert list(datasets.load_dataset(str(tmp_path / "hub"))) == ["train"]


def test_refusals(run_output, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(PublishRefused, match="no finished run"):
        publish_dataset(str(tmp_path / "empty"), str(tmp_path / "hub"))
    with pytest.raises(PublishRefused, match="overlap"):
        publish_dataset(str(run_output), str(run_output / "hub"))
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine")
    with pytest.raises(PublishRefused, match="not empty"):
        publish_dataset(str(run_output), str(taken))
    with pytest.raises(PublishRefused, match="not a published folder"):
        publish_dataset(str(run_output), str(taken), overwrite=True)
    assert (taken / "notes.txt").read_text() == "mine"
    assert cli.main(["publish", str(tmp_path / "empty"), str(tmp_path / "x")]) == 2


def test_overwrite_replaces_a_folder_published_before(run_output, tmp_path):
    dest = tmp_path / "hub"
    publish_dataset(str(run_output), str(dest))
    (dest / "train" / "stale.parquet").write_text("old")
    publish_dataset(str(run_output), str(dest), overwrite=True)
    assert "train/stale.parquet" not in _files(dest)
    _check_loads(dest, run_output)


@pytest.mark.slow
def test_publish_to_and_from_gcs(run_output, tmp_path, gcs_bucket, gcs_emulator):
    dest = f"{gcs_bucket}/hub"
    publish_dataset(str(run_output), dest)
    objects = gcs_emulator.list(dest + "/")
    local_copy = tmp_path / "downloaded"
    for uri in objects:  # as `gcloud storage cp -r` would before `hf upload`
        target = local_copy / uri[len(dest) + 1 :]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(gcs_emulator.read(uri))
    assert _files(local_copy) == _files(_published_locally(run_output, tmp_path))
    _check_loads(local_copy, run_output)
    back = tmp_path / "from_gcs"  # a Dataflow run's gs:// output, published to local disk
    gcs_emulator.upload_files(f"{gcs_bucket}/run", {f: (run_output / f).read_bytes() for f in _files(run_output)})
    publish_dataset(f"{gcs_bucket}/run", str(back))
    assert _files(back) == _files(local_copy)
    _check_loads(back, run_output)


def _published_locally(run_output: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "local_hub"
    publish_dataset(str(run_output), str(dest))
    return dest
