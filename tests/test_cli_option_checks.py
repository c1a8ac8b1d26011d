"""Wrong option values stop a run before any work, with one line and exit status 2."""

from __future__ import annotations

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from synthbeam import cli
from synthbeam.pipelines import option_checks
from synthbeam.schemas.record import Record, Source
from synthbeam.transforms.curate.split import SplitTrainEval

BAD = [
    # every recipe (here through instructions)
    ("instructions", "--limit=-5", "must be a positive integer (or 0 for all)"),
    ("instructions", "--limit=abc", "must be an integer"),
    ("instructions", "--seed=1.5", "must be an integer"),
    ("instructions", "--eval_fraction=1", "must be a number in [0, 1): the share of rows in eval"),
    ("instructions", "--eval_fraction=-0.1", "must be a number in [0, 1): the share of rows in eval"),
    ("instructions", "--eval_fraction=half", "must be a number"),
    ("instructions", "--near_dup_threshold=1.5", "must be a Jaccard similarity in (0, 1]"),
    ("instructions", "--near_dup_threshold=0", "must be a Jaccard similarity in (0, 1]"),
    ("instructions", "--max_in_flight=0", "must be a positive integer"),
    ("instructions", "--max_model_len=8", "must be an integer >= 16 (tokens)"),
    ("self_instruct", "--max_answer_tokens=0", "must be a positive integer"),
    ("instructions", "--min_response_chars=-1", "must be 0 or a positive integer"),
    ("instructions", "--max_response_chars=10", "must be >= --min_response_chars (20)"),
    ("instructions", "--oversample=lots", "must be off, max or a positive number of rows per class"),
    ("instructions", "--oversample=0", "must be off, max or a positive number of rows per class"),
    ("instructions", "--oversample_max_factor=0.5", "must be a number >= 1"),
    ("instructions", "--eval_sets=mmlu", "must be name=file_pattern pairs, comma separated"),
    ("instructions", "--llm_endpoint=localhost:8000", "must be a server URL like http://10.0.0.5:8000 (or empty)"),
    ("instructions", "--judge_endpoint=10.0.0.5", "must be a server URL like http://10.0.0.5:8000 (or empty)"),
    ("instructions", "--model=hf://org/model", "must be a local model directory or a gs:// path"),
    ("instructions", "--judge_model=s3://b/m", "must be a local model directory or a gs:// path"),
    ("instructions", "--judge=maybe", "choose from auto, on, off"),
    ("instructions", "--input=", "must name at least one file pattern (local or gs://), comma separated"),
    ("instructions", "--output=", "must name a directory (local or gs://)"),
    ("instructions", "--text_field=", "must name a column"),
    ("instructions", "--cache_root= ", "must be a directory (local or gs://), or none"),
    ("instructions", "--run_id=a/b", "must be printable text without '/'"),
    ("instructions", "--request_timeout_s=0", "must be a number of seconds > 0"),
    ("instructions", "--max_attempts=0", "must be a positive integer (1: no retries)"),
    ("instructions", "--max_requests_per_s=-1", "must be a number of requests per second >= 0 (0: no limit)"),
    ("instructions", "--max_requests_per_s=inf", "must be a number of requests per second >= 0 (0: no limit)"),
    ("instructions", "--gpu_hour_price=inf", "must be a price in US dollars >= 0 (0: not priced)"),
    ("instructions", "--gpu_hour_price=-2", "must be a price in US dollars >= 0 (0: not priced)"),
    ("instructions", "--tokens_per_s=nan", "must be a number of tokens per second >= 0 (0: measured)"),
    ("instructions", "--adaptive_throttle=maybe", "choose from on, off"),
    # instructions
    ("instructions", "--generation=both", "choose from answer_first, question_answer"),
    ("instructions", "--question_types=bogus", "choose from factual, explanation, how_to, summary (comma separated)"),
    ("instructions", "--per_passage=0", "must be a positive integer"),
    ("instructions", "--candidates_per_span=0", "must be a positive integer"),
    ("instructions", "--max_chars=0", "must be a positive integer"),
    # tool_use
    ("tool_use", "--num_examples=0", "must be a positive integer"),
    ("tool_use", "--candidates=0", "must be a positive integer"),
    ("tool_use", "--max_tools=1", "must be an integer >= 2"),
    ("tool_use", "--kind_mix=single=1,bogus=2", "must be kind=weight pairs with kinds from single, multiple"),
    (
        "tool_use",
        "--kind_mix=single=-1,multiple=1",
        "must be kind=weight pairs with kinds from single, multiple, parallel, parallel_multiple, irrelevance, "
        "weights >= 0 and one > 0",
    ),
    ("tool_use", "--tool_generation=guess", "choose from call_first, free_form"),
    ("tool_use", "--prefer_request=both", "choose from plain, model"),
    ("tool_use", "--sandbox_isolation=none", "choose from auto, namespaces, process"),
    ("tool_use", "--sandbox_timeout_s=0", "must be a number of seconds > 0"),
    ("tool_use", "--sandbox_memory_mib=0", "must be a positive integer"),
    # self_instruct
    ("self_instruct", "--seed_tasks=", "must name a seed-task file (local or gs://)"),
    ("self_instruct", "--num_prompts=0", "must be a positive integer"),
    ("self_instruct", "--examples_per_prompt=0", "must be a positive integer"),
    ("self_instruct", "--instructions_per_prompt=0", "must be a positive integer"),
    # evol_instruct
    ("evol_instruct", "--evol_modes=deeper", "choose from constraints, deepen, concretize, reasoning, breadth"),
    ("evol_instruct", "--evol_rounds=0", "must be a positive integer"),
    ("evol_instruct", "--keep_originals=yes", "takes no value"),
    # augment
    ("augment", "--methods=eda,rewrite", "choose from eda, paraphrase, multi_turn (comma separated)"),
    ("augment", "--eda_ops=sr,xx", "choose from synonym_replacement"),
    ("augment", "--eda_per_row=0", "must be a positive integer"),
    ("augment", "--eda_alpha=0", "must be a share of words in (0, 1]"),
    ("augment", "--eda_alpha=1.5", "must be a share of words in (0, 1]"),
    ("augment", "--eda_roles=robot", "choose from user, assistant, system (comma separated)"),
    ("augment", "--paraphrases_per_row=0", "must be a positive integer"),
]


@pytest.mark.parametrize(("recipe", "flag", "accepted"), BAD, ids=[f"{r}:{f}" for r, f, _ in BAD])
def test_a_wrong_value_is_refused_in_one_line(tmp_path, capsys, recipe, flag, accepted) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(f"recipe: {recipe}\n")
    output = tmp_path / "out"
    assert cli.main(["run", str(path), f"--output={output}", flag]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"synthbeam: {flag}: {accepted}")
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert captured.out == "" and not output.exists()


@pytest.mark.parametrize("name", list(cli.RECIPES))
def test_every_flag_of_every_recipe_is_checked_or_needs_no_check(name) -> None:
    flags = option_checks.recipe_flags(cli.recipe_module(name).OPTIONS)
    assert flags <= set(option_checks.CHECKS) | option_checks.NO_EXTRA_CHECK
    option_checks.check_options(cli.recipe_module(name).OPTIONS, [])  # the defaults are right


def test_the_last_value_of_a_repeated_flag_is_the_one_checked() -> None:
    options = cli.recipe_module("instructions").OPTIONS
    option_checks.check_options(options, ["--limit=-5", "--limit=3", "--runner=DirectRunner"])
    with pytest.raises(option_checks.OptionError, match=r"^--limit=-5: "):
        option_checks.check_options(options, ["--limit=3", "--limit", "-5"])


def test_eval_fraction_zero_puts_no_row_in_eval() -> None:
    records = [
        Record(id=f"r{i}", task="qa", messages=[], label="abcd"[i % 4], source=Source(uri="mem://x", position=i))
        for i in range(8)
    ]
    with TestPipeline() as p:
        splits = p | beam.Create(records) | SplitTrainEval(eval_fraction=0.0) | beam.Map(lambda r: r.split)
        assert_that(splits, equal_to(["train"] * 8))


def test_beam_parses_exactly_the_flags_the_catalog_declares() -> None:
    """A flag added straight to an options class, past the catalog, would be refused as unknown."""
    import argparse

    from synthbeam.pipelines import catalog, options

    parser = argparse.ArgumentParser(add_help=False)
    for klass in (options.SynthbeamOptions, *(cli.recipe_module(name).OPTIONS for name in cli.RECIPES)):
        klass._add_argparse_args(parser)
    declared = set().union(*(recipe.flag_names() for recipe in catalog.RECIPES.values()))
    assert {action.dest for action in parser._actions} == declared


def test_no_check_names_a_flag_that_does_not_exist() -> None:
    from synthbeam.pipelines import catalog

    declared = set().union(*(recipe.flag_names() for recipe in catalog.RECIPES.values()))
    assert set(option_checks.CHECKS) | option_checks.NO_EXTRA_CHECK <= declared
