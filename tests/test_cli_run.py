"""Runs people can watch and plan: --dry_run (no LLM call, nothing written), the progress
display's figures, quiet logging and run.log in the output."""

from __future__ import annotations

import io
import json
import logging
import re
import socket
import threading
from pathlib import Path

import pytest

from synthbeam import cli
from synthbeam.command import display, launch, logs
from synthbeam.llm.progress import Progress

ROOT = Path(__file__).resolve().parent.parent
NO_MODEL = "--model=gs://bucket/models/m"  # no local tokenizer: tokens as characters / 4, quickly


class CountingListener:
    """A TCP port that counts every connection made to it (and answers none)."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self._socket.close()


def _requests_planned(out: str) -> int:
    return int(re.search(r"the manifest's requests count will be ([\d,]+)", out)[1].replace(",", ""))


def test_dry_run_asks_no_server_writes_nothing_and_says_where_each_option_came_from(tmp_path, capsys) -> None:
    listener = CountingListener()
    output = tmp_path / "out"
    argv = ["run", str(ROOT / "recipes" / "demo.yaml"), "--dry_run", "--limit=3", f"--output={output}", NO_MODEL]
    try:
        assert cli.main([*argv, f"--llm_endpoint=http://127.0.0.1:{listener.port}", "--runner=DirectRunner"]) == 0
    finally:
        listener.close()
    out = capsys.readouterr().out
    assert listener.connections == 0 and not output.exists()
    assert re.search(r"--limit +3 +command line", out) and re.search(r"--per_passage +2 +recipe file", out)
    assert re.search(r"--eval_fraction +0.1 +default", out) and "Beam options: --runner=DirectRunner" in out
    assert re.search(r"passages used +3\n", out)
    assert _requests_planned(out) > 0
    assert "characters / 4" in out


@pytest.mark.parametrize(
    ("recipe", "flags", "expected"),
    [
        ("tool_use", ["--num_examples=5", "--candidates=3"], r"generate +15 [\s\S]*requests count will be 20"),
        ("self_instruct", ["--num_prompts=4"], r"generate +4 .*\n +answer +<= 12 "),
        (
            "evol_instruct",
            ["--limit=2", "--evol_modes=deepen", "--evol_rounds=2"],
            r"evolve:deepen +2 .*\n +evolve round 2 +<= 2",
        ),
        ("augment", ["--limit=3", "--methods=eda,multi_turn"], r"follow_up +3 .*\n +answer +<= 3 "),
    ],
)
def test_dry_run_plans_each_recipe(tmp_path, capsys, recipe, flags, expected) -> None:
    assert cli.main(["run", recipe, "--dry_run", f"--output={tmp_path / 'out'}", NO_MODEL, *flags]) == 0
    assert re.search(expected, capsys.readouterr().out)


def test_dry_run_of_a_missing_input_stops_as_the_run_would(tmp_path) -> None:
    from synthbeam.transforms.read import MissingInputError

    with pytest.raises(MissingInputError, match="matches no file"):
        cli.main(["run", "instructions", "--dry_run", f"--input={tmp_path}/none/*.jsonl"])


@pytest.mark.slow
def test_dry_run_plans_the_requests_the_run_makes(tmp_path, capsys, llm_endpoint, bundled_model_dir) -> None:
    flags = [
        "--limit=3",
        f"--llm_endpoint={llm_endpoint}",
        f"--model={bundled_model_dir}",
        f"--cache_root={tmp_path / 'cache'}",
        f"--output={tmp_path / 'out'}",
    ]
    demo = str(ROOT / "recipes" / "demo.yaml")
    assert cli.main(["run", demo, "--dry_run", *flags]) == 0
    out = capsys.readouterr().out
    planned = _requests_planned(out)
    assert "tokenizer and chat template" in out and not (tmp_path / "out").exists()
    assert cli.main(["run", demo, *flags]) == 0
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["counts"]["requests"] == planned
    assert manifest["llm_requests"]["llm_calls"] == planned  # a fresh cache: every request is a call


def test_a_run_logs_everything_to_run_log_and_only_warnings_to_the_terminal(tmp_path, capsys) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"instruction": "Name two primary colours.", "output": "Red and blue."}) + "\n")
    output = tmp_path / "out"
    assert cli.main(["run", "augment", f"--input={rows}", f"--output={output}", "--eda_per_row=1"]) == 0
    captured = capsys.readouterr()
    assert " INFO " not in captured.err and f"log: {output}/run.log" in captured.out
    text = (output / "run.log").read_text()
    assert "INFO synthbeam.run: synthbeam " in text and "recipe augment" in text and " INFO apache_beam" in text


def test_verbosity_sets_the_terminal_level_and_the_file_takes_info() -> None:
    for verbosity, level in ((logs.QUIET, logging.ERROR), (logs.NORMAL, logging.WARNING), (logs.VERBOSE, logging.INFO)):
        log = logs.start(verbosity, logging.StreamHandler(io.StringIO()))
        try:
            assert [h.level for h in log.handlers] == [logging.INFO, level]
        finally:
            logs.discard(log)


@pytest.mark.parametrize(
    ("argv", "here"),
    [
        ([], True),
        (["--runner=DirectRunner"], True),
        (["--runner", "DirectRunner", "--direct_running_mode=multi_processing"], False),
        (["--runner=DataflowRunner"], False),
        (["--runner=PrismRunner"], False),
    ],
)
def test_progress_is_shown_only_for_runs_in_this_process(argv, here) -> None:
    assert launch.runs_here(argv) is here


def test_eta_counts_the_whole_plan_at_the_measured_rate() -> None:
    done = display.Totals(submitted=40, finished=30, cached=10, completion_tokens=600, generating_s=20.0)
    assert display.eta_s(done, planned=100) == pytest.approx(70 * 20.0 / 20)  # 20 fresh answers in 20 s
    assert display.eta_s(display.Totals(submitted=5), planned=100) is None  # no answer yet
    assert display.eta_s(display.Totals(submitted=10, finished=10), planned=10) == 0.0
    assert [display.clock(s) for s in (None, 5, 125, 7300)] == ["?", "5s", "2m05s", "2h01m"]


def test_display_sums_this_runs_generation_and_finds_the_end(monkeypatch) -> None:
    from rich.console import Console

    earlier = Progress()  # a runtime of an earlier run in this process: not counted
    earlier.submit()
    shown = display.RunDisplay("instructions", [], console=Console(file=io.StringIO()))
    shown._planned = 3
    generator, judge = Progress(), Progress()
    for item in (generator, generator, judge):
        item.ready()
        item.submit()
    generator.finish(completion_tokens=10, cached=True, failed=False)
    shown._update()
    task = shown._bar.tasks[1]
    assert (task.completed, task.total) == (1, 3) and "1 cached" in task.fields["detail"]
    assert not shown._bar.tasks[2].started  # curation waits for the last request
    generator.finish(completion_tokens=10, cached=False, failed=False)
    judge.finish(completion_tokens=0, cached=False, failed=True)
    shown._update()
    assert shown._bar.tasks[1].completed == 3 and "1 failed" in shown._bar.tasks[1].fields["detail"]
    assert shown._bar.tasks[2].started


def test_run_log_is_uploaded_to_a_gcs_output(gcs_bucket) -> None:
    from apache_beam.io.filesystems import FileSystems

    log = logs.start(logs.NORMAL, logging.StreamHandler(io.StringIO()))
    logging.getLogger("synthbeam.run").info("a line of the run")
    destination = logs.publish(log, f"{gcs_bucket}/out")
    assert destination == f"{gcs_bucket}/out/run.log" and not Path(log.path).exists()
    with FileSystems.open(destination) as handle:
        assert b"INFO synthbeam.run: a line of the run" in handle.read()
