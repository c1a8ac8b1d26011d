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
    for flag in (
        "--input",
        "--output",
        "--model",
        "--llm_endpoint",
        "--max_in_flight",
        "--cache_root",
        "--per_passage",
        "--limit",
    ):
        assert flag in out


def test_every_recipe_flag_is_known_to_beam_and_no_two_recipes_clash(caplog):
    from apache_beam.options.pipeline_options import PipelineOptions

    modules = [cli.recipe_module(name) for name in cli.RECIPES]
    for module in modules:
        assert PipelineOptions in module.OPTIONS.__bases__, module.__name__
    # Beam builds one parser from every direct PipelineOptions subclass: a clash would raise.
    options = PipelineOptions(["--per_passage=3", "--num_examples=5", "--limit=2"]).get_all_options()
    assert (options["per_passage"], options["num_examples"], options["limit"]) == (3, 5, 2)
    assert "Discarding unparseable args" not in caplog.text


@pytest.mark.parametrize("name", list(cli.RECIPES))
def test_each_recipe_help_lists_its_own_and_shared_flags(tmp_path, capsys, name):
    path = tmp_path / "r.yaml"
    path.write_text(f"recipe: {name}\n")
    assert cli.main(["run", str(path), "--help"]) == 0
    out = capsys.readouterr().out
    assert "--output" in out and "--llm_endpoint" in out and "--seed" in out
