import pytest

from synthbeam import cli


def test_options_to_argv_maps_yaml_values_to_flags():
    assert cli.options_to_argv({"limit": 20, "save_main_session": True, "skip": False, "types": ["a", "b"]}) == [
        "--limit=20",
        "--save_main_session",
        "--types=a,b",
    ]


def test_load_recipe_reads_name_and_options(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("recipe: instructions\noptions:\n  limit: 3\n")
    assert cli.load_recipe(str(path)) == ("instructions", {"limit": 3})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("options: {}\n", "expected a mapping with a 'recipe' key"),
        ("recipe: nope\n", "unknown recipe 'nope'"),
        ("recipe: instructions\noptions: [1]\n", "'options' must be a mapping"),
    ],
)
def test_bad_recipe_files_fail_with_what_to_fix(tmp_path, text, message):
    path = tmp_path / "r.yaml"
    path.write_text(text)
    with pytest.raises(cli.RecipeError, match=message):
        cli.load_recipe(str(path))


def test_run_with_missing_file_exits_2_with_a_message(capsys):
    assert cli.main(["run", "/nonexistent.yaml"]) == 2
    assert "No such file" in capsys.readouterr().err


def test_recipe_help_explains_every_flag(tmp_path, capsys):
    path = tmp_path / "r.yaml"
    path.write_text("recipe: instructions\n")
    assert cli.main(["run", str(path), "--help"]) == 0
    out = capsys.readouterr().out
    for flag in ("--input", "--output", "--model", "--llm_endpoint", "--max_in_flight", "--cache_root", "--per_passage", "--limit"):
        assert flag in out
