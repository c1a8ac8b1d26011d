"""Options never lie: a flag or recipe-file key the recipe does not use stops the run before
any work, in one line naming the nearest valid flag; Beam's own options pass."""

from __future__ import annotations

import ast
import subprocess
import sys
import time
from pathlib import Path

import pytest

from synthbeam import cli
from synthbeam.pipelines import catalog, known_flags

ROOT = Path(__file__).resolve().parent.parent


def _recipe_file(tmp_path: Path, name: str, options: str = "") -> Path:
    path = tmp_path / "r.yaml"
    path.write_text(f"recipe: {name}\noptions:\n  output: {tmp_path / 'out'}\n{options}")
    return path


def _refused(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("synthbeam: ") and err.count("\n") == 1 and "Traceback" not in err
    return err.strip()


@pytest.mark.parametrize("flag", ["--input=corpus.jsonl", "--limit=5", "--text_field=body", "--max_chars=100"])
def test_tool_use_refuses_the_corpus_flags_it_would_ignore(tmp_path, capsys, flag) -> None:
    err = _refused(capsys, ["run", str(_recipe_file(tmp_path, "tool_use")), flag])
    assert f"{flag}: recipe tool_use does not use it (only instructions" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("recipe", "flag"),
    [
        ("self_instruct", "--limit=3"),
        ("evol_instruct", "--judge=on"),
        ("augment", "--judge_endpoint=http://judge:8000"),
        ("instructions", "--max_answer_tokens=64"),
        ("tool_use", "--min_response_chars=5"),
        ("instructions", "--num_examples=5"),
    ],
)
def test_a_flag_of_a_group_or_recipe_the_recipe_does_not_honour_is_refused(tmp_path, capsys, recipe, flag) -> None:
    err = _refused(capsys, ["run", str(_recipe_file(tmp_path, recipe)), flag])
    assert f"recipe {recipe} does not use it" in err


def test_a_misspelled_flag_names_the_nearest(tmp_path, capsys) -> None:
    err = _refused(capsys, ["run", str(_recipe_file(tmp_path, "instructions")), "--limt=5"])
    assert err == "synthbeam: --limt=5: no such flag for instructions; did you mean --limit?"
    err = _refused(capsys, ["run", str(_recipe_file(tmp_path, "instructions")), "--runer", "DirectRunner"])
    assert err.endswith("did you mean --runner?")


def test_a_stray_argument_is_refused(tmp_path, capsys) -> None:
    err = _refused(capsys, ["run", str(_recipe_file(tmp_path, "augment")), "extra"])
    assert "extra: unexpected argument" in err


def test_a_recipe_file_key_the_recipe_does_not_use_names_the_file(tmp_path, capsys) -> None:
    path = _recipe_file(tmp_path, "instructions", "  limt: 5\n")
    err = _refused(capsys, ["run", str(path)])
    assert err == f"synthbeam: {path}: options: limt: no such flag for instructions; did you mean limit?"


def test_beam_pipeline_options_pass_on_the_command_line_and_in_files() -> None:
    beam_flags = ["--runner=DirectRunner", "--direct_num_workers", "2", "--save_main_session", "--project=p"]
    known_flags.check_arguments("instructions", ["--limit=3", *beam_flags])
    known_flags.check_file_keys("tool_use", ["num_examples", "save_main_session", "direct_running_mode"], "r.yaml")


def test_a_wrong_value_of_a_beam_flag_is_one_line() -> None:
    with pytest.raises(known_flags.OptionError, match=r"^--direct_num_workers=many: must be an integer$"):
        known_flags.check_arguments("instructions", ["--direct_num_workers=many"])


def test_the_pipeline_entry_point_refuses_too(tmp_path) -> None:
    from synthbeam.pipelines import tool_use

    with pytest.raises(known_flags.UnknownFlag, match="--input=x: recipe tool_use does not use it"):
        tool_use.run([f"--output={tmp_path / 'out'}", "--input=x"])
    assert not (tmp_path / "out").exists()


def test_unknown_flag_is_fast_and_loads_no_model_libraries() -> None:
    script = (
        "import sys, time; from synthbeam import cli; started = time.monotonic(); "
        "rc = cli.main(['run', 'recipes/demo.yaml', '--limt=5']); "
        "print(rc, round(time.monotonic() - started, 2), "
        "sorted(m for m in ('vllm', 'torch', 'transformers') if m in sys.modules))"
    )
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    elapsed = time.monotonic() - started
    assert done.stderr == "synthbeam: --limt=5: no such flag for instructions; did you mean --limit?\n"
    assert done.stdout.split()[0] == "2" and done.stdout.strip().endswith("[]"), done.stdout
    assert elapsed < 20  # 0.3 s with Beam's option names cached, 3 s the first time: no pipeline, no model


@pytest.mark.parametrize("name", list(catalog.RECIPES))
def test_each_recipe_reads_every_flag_of_its_own(name) -> None:
    source = (ROOT / "synthbeam" / "pipelines" / f"{name}.py").read_text()
    for flag in catalog.RECIPES[name].flags:
        assert f"opts.{flag.name}" in source, f"{name} declares --{flag.name} but never reads it"


def test_no_options_module_imports_common() -> None:
    """options, dataflow, output_run and the flag modules come before common: no import circle."""
    for module in ("options", "dataflow", "output_run", "option_checks", "known_flags", "catalog", "flags"):
        tree = ast.parse((ROOT / "synthbeam" / "pipelines" / f"{module}.py").read_text())
        imported = {
            node.module if isinstance(node, ast.ImportFrom) else alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        }
        assert "synthbeam.pipelines.common" not in imported, module
        names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names}
        assert not (module != "options" and "common" in names), module


def test_options_of_a_pipeline_options_class_registered_later_pass() -> None:
    from apache_beam.options.pipeline_options import PipelineOptions

    class PluginOptions(PipelineOptions):  # e.g. an IO's own options, imported with a pipeline
        @classmethod
        def _add_argparse_args(cls, parser) -> None:
            parser.add_argument("--plugin_setting", default="")

    known_flags.check_arguments("augment", ["--plugin_setting=x", "--limit=2"])
    with pytest.raises(known_flags.UnknownFlag, match="did you mean --plugin_setting"):
        known_flags.check_arguments("augment", ["--plugin_settings=x"])
