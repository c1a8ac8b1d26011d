"""Help at a terminal: every flag's default and the recipe file's value, plain text, fast;
``synthbeam --version`` and ``synthbeam recipes``."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from synthbeam import cli
from synthbeam.pipelines import catalog

ROOT = Path(__file__).resolve().parent.parent


def test_recipe_help_shows_defaults_and_the_files_values(capsys) -> None:
    assert cli.main(["run", str(ROOT / "recipes" / "demo.yaml"), "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # unwrapped
    assert "--limit N Use at most" in out
    assert re.search(r"\[default: 0; \S*recipes/demo.yaml: 80\]", out)
    assert re.search(r"\[default: out/instructions; \S*recipes/demo.yaml: out/demo\]", out)
    assert "[default: 0.1]" in out  # --eval_fraction, not in the file
    assert "--dry_run" in out and "--verbose" in out and "--runner" in out
    assert "--num_examples" not in out  # another recipe's flag


@pytest.mark.parametrize("name", list(catalog.RECIPES))
def test_help_by_recipe_name_has_no_markup(capsys, name) -> None:
    assert cli.main(["run", name, "--help"]) == 0
    out = capsys.readouterr().out
    assert "``" not in out and ":class:" not in out and "python -m" not in out
    for flag in catalog.RECIPES[name].flag_names():
        assert f"--{flag}" in out


def test_main_help_is_plain_text(capsys) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "``" not in out and "synthbeam run recipes/demo.yaml --dry_run" in out
    for command in ("run", "recipes", "prepare-model", "publish"):
        assert command in out


def test_version(capsys) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--version"])
    assert re.fullmatch(r"synthbeam \S+\n", capsys.readouterr().out)


def test_recipes_prints_one_line_per_recipe_with_its_file(capsys) -> None:
    assert cli.main(["recipes"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(catalog.RECIPES)
    for line, recipe in zip(lines, catalog.RECIPES.values(), strict=True):
        path = line.split()[1]
        assert path.endswith(f"recipes/{recipe.recipe_file}") and Path(path).exists()
        assert recipe.makes in line


def test_help_is_fast_and_loads_no_pipeline() -> None:
    script = (
        "import sys, time; started = time.monotonic(); from synthbeam import cli; "
        "cli.main(['run', 'recipes/demo.yaml', '--help']); "
        "print(round(time.monotonic() - started, 2), "
        "sorted(m for m in ('apache_beam', 'vllm', 'torch', 'transformers') if m in sys.modules), file=sys.stderr)"
    )
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    elapsed = time.monotonic() - started
    assert done.returncode == 0 and "--limit" in done.stdout
    assert done.stderr.strip().endswith("[]"), done.stderr
    assert elapsed < 10  # about 0.3 s: the catalog and the YAML file only
