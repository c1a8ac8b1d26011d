"""What every recipe pipeline shares: options, the LLM config, outputs and the run summary."""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

from synthbeam.data.corpus import DEFAULT_CORPUS_URI
from synthbeam.llm.config import DEFAULT_MAX_ATTEMPTS, DEFAULT_REQUEST_TIMEOUT_S, LLMConfig, server_base_url
from synthbeam.llm.process_group import interrupt_on_sigterm
from synthbeam.local_cache import cache_home
from synthbeam.schemas.record import DeadLetter, stable_id
from synthbeam.transforms.accounting import add_llm_request_counts
from synthbeam.transforms.cost import summary_lines
from synthbeam.transforms.generate import check_llm_endpoints
from synthbeam.transforms.read import check_patterns_match
from synthbeam.transforms.write.parquet import WriteRejects
from synthbeam.transforms.write.run_cost import add_run_cost
from synthbeam.transforms.write.staged_output import final_output

logger = logging.getLogger(__name__)


class SynthbeamOptions(PipelineOptions):
    """Options shared by every recipe (Beam's own options, e.g. --runner, come on top)."""

    @classmethod
    def _add_argparse_args(cls, parser: argparse.ArgumentParser) -> None:
        group = parser.add_argument_group("synthbeam")
        group.add_argument(
            "--input",
            default=DEFAULT_CORPUS_URI,
            help="Corpus file pattern(s), comma separated: local or gs://, .jsonl/.txt/.parquet. Default: the bundled Python reference-documentation corpus.",
        )
        group.add_argument("--text_field", default="text", help="JSONL/Parquet column holding the text.")
        group.add_argument(
            "--output",
            default="out/instructions",
            help="Output directory (local or gs://): Parquet shards per split, rejects, dead letters, manifest.json, README.md.",
        )
        group.add_argument(
            "--model",
            default="",
            help="Model to serve: a local HF directory or a gs:// path to one (with --llm_endpoint: the same model's directory, used for its tokenizer). Default: the bundled SmolLM2-135M-Instruct, prepared offline.",
        )
        group.add_argument(
            "--llm_endpoint",
            default="",
            help="URL of an already-running OpenAI-compatible vLLM server (e.g. http://10.0.0.5:8000). When set, no server is started.",
        )
        group.add_argument(
            "--served_model_name",
            default="",
            help="Model name the endpoint serves (default: asked from its /v1/models).",
        )
        group.add_argument(
            "--judge",
            default="auto",
            choices=("auto", "on", "off"),
            help="Run the LLM judge, an extra filter after the deterministic gates. auto: only when --judge_model or --judge_endpoint names a judge (a model as small as the bundled one cannot judge).",
        )
        group.add_argument(
            "--judge_model",
            default="",
            help="Model the LLM judge uses: a local HF directory or gs:// copy, served by its own managed server (with --judge_endpoint: that model's directory, used for its tokenizer). Default: the generator's model.",
        )
        group.add_argument(
            "--judge_endpoint",
            default="",
            help="URL of an already-running OpenAI-compatible server for the LLM judge (e.g. a stronger model than the generator's). Default: the generator's server.",
        )
        group.add_argument(
            "--max_in_flight",
            type=int,
            default=256,
            help="Concurrent requests per worker; match the server's max_num_seqs (vLLM's default is 256) to keep its scheduler full.",
        )
        group.add_argument(
            "--max_model_len",
            type=int,
            default=2048,
            help="Context length the managed server is started with; longer prompts are dead-lettered as context_length.",
        )
        group.add_argument(
            "--request_timeout_s",
            type=float,
            default=DEFAULT_REQUEST_TIMEOUT_S,
            help="Seconds the LLM server may answer no request at all before those in flight are abandoned and retried (a slow server that keeps answering never times out). Counted as llm_requests.timeouts in the manifest.",
        )
        group.add_argument(
            "--max_attempts",
            type=int,
            default=DEFAULT_MAX_ATTEMPTS,
            help="HTTP attempts per LLM request, the first included, before it is dead-lettered (llm_gave_up, invalid_response).",
        )
        group.add_argument(
            "--max_requests_per_s",
            type=float,
            default=0.0,
            help="HTTP requests each worker process starts per second at most, retries included (0 = no limit): its share of a server many workers call.",
        )
        group.add_argument(
            "--adaptive_throttle",
            default="on",
            choices=("on", "off"),
            help="on: narrow the in-flight window while the LLM server rejects work (429/503), as Beam's AdaptiveThrottler does.",
        )
        group.add_argument(
            "--gpu_hour_price",
            type=float,
            default=0.0,
            help="US dollars per GPU-hour of the LLM server: prices the manifest's and the card's cost per 1,000 kept rows (0: not priced).",
        )
        group.add_argument(
            "--tokens_per_s",
            type=float,
            default=0.0,
            help="Output tokens per second the server writes, for --gpu_hour_price (0: measured in this run, output tokens over the seconds the server was busy).",
        )
        group.add_argument(
            "--cache_root",
            default="",
            help="Response cache directory (local or gs://). Reruns answer from it. Default: ~/.cache/synthbeam/responses, or OUTPUT/_llm_cache for gs:// outputs. 'none' disables it.",
        )
        group.add_argument(
            "--seed", type=int, default=0, help="Run seed: every request's seed derives from it and the record id."
        )
        group.add_argument(
            "--limit",
            type=int,
            default=0,
            help="Use at most this many passages (0 = all): a deterministic sample spread over the input.",
        )
        group.add_argument(
            "--eval_fraction",
            type=float,
            default=0.1,
            help="Share of rows in the eval split (stratified by label, by id hash).",
        )
        group.add_argument(
            "--max_answer_tokens",
            type=int,
            default=256,
            help="max_tokens of each answer the model writes (recipes that answer instructions).",
        )
        group.add_argument(
            "--min_response_chars", type=int, default=20, help="Shorter responses are filtered as too_short."
        )
        group.add_argument(
            "--max_response_chars", type=int, default=4000, help="Longer responses are filtered as too_long."
        )
        group.add_argument(
            "--near_dup_threshold",
            type=float,
            default=0.8,
            help="MinHash LSH Jaccard threshold for near-duplicate removal (5-word shingles, 128 hash values).",
        )
        group.add_argument(
            "--eval_sets",
            default="",
            help="Evaluation sets to decontaminate against: name=file_pattern pairs, comma separated (13-gram overlap drops a row as contaminated:<name>).",
        )
        group.add_argument(
            "--oversample",
            default="off",
            help="Balance classes of the label column before the split: 'off', 'max' (up to the largest class) or a number of rows per class.",
        )
        group.add_argument(
            "--oversample_max_factor",
            type=float,
            default=3.0,
            help="No row is repeated more than this many times when oversampling (augmented variants are used first).",
        )
        group.add_argument("--run_id", default="", help="Identifier recorded in the manifest (default: random).")
        group.add_argument(
            "--overwrite",
            action="store_true",
            help="Replace the run already in --output (its files go when this run publishes; the response cache stays). Without it such an output is refused.",
        )


def split_list(text: str) -> list[str]:
    """A comma-separated flag value as its non-empty, stripped items."""
    return [item.strip() for item in text.split(",") if item.strip()]


def parse_list(text: str, flag: str, allowed: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """``split_list`` for a flag that needs at least one item (from ``allowed``, when given)."""
    values = tuple(split_list(text))
    if not values or (allowed and any(v not in allowed for v in values)):
        choices = f"; choose from {', '.join(allowed)}" if allowed else ""
        raise ValueError(f"--{flag}={text!r} is not a comma-separated list{choices}.")
    return values


def input_patterns(opts: SynthbeamOptions) -> list[str]:
    return split_list(opts.input)


def parse_eval_sets(text: str) -> dict[str, str]:
    """``"bfcl=gs://b/bfcl/*.json,mmlu=/data/mmlu.jsonl"`` -> ``{name: pattern}``."""
    sets = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, pattern = item.partition("=")
        if not sep or not name or not pattern:
            raise ValueError(f"--eval_sets item {item!r} must look like name=file_pattern")
        sets[name.strip()] = pattern.strip()
    return sets


def oversample_target(text: str) -> str | int | None:
    """``--oversample``: None when off, ``"max"``, or a per-class row count."""
    if text == "off":
        return None
    if text == "max":
        return text
    if text.isdigit():
        return int(text)
    raise ValueError(f"--oversample={text!r}: use off, max or a number of rows per class")


def default_cache_root(output: str) -> str:
    if output.startswith("gs://"):
        return FileSystems.join(output, "_llm_cache")
    return str(cache_home() / "responses")


def llm_config_from_options(opts: SynthbeamOptions) -> LLMConfig:
    """The LLM config a recipe uses; a missing --model means the bundled one."""
    model = opts.model
    if not model:
        from synthbeam.llm.default_model import prepare_default_model

        model = prepare_default_model()
    cache_root = opts.cache_root or default_cache_root(opts.output)
    return LLMConfig(
        model=model,
        endpoint=server_base_url(opts.llm_endpoint) if opts.llm_endpoint else None,
        served_model_name=opts.served_model_name or None,
        max_in_flight=opts.max_in_flight,
        max_model_len=opts.max_model_len,
        request_timeout_s=opts.request_timeout_s,
        max_attempts=opts.max_attempts,
        max_requests_per_s=opts.max_requests_per_s,
        adaptive_throttle=opts.adaptive_throttle == "on",
        cache_root=None if cache_root == "none" else cache_root,
    )


def judge_enabled(opts: SynthbeamOptions) -> bool:
    """Whether the recipe runs its LLM judge: ``--judge=on``, or ``auto`` with a judge named."""
    if opts.judge == "auto":
        return bool(opts.judge_model or opts.judge_endpoint)
    return opts.judge == "on"


def judge_config_from_options(opts: SynthbeamOptions, generator: LLMConfig | None = None) -> LLMConfig:
    """The LLM config the judge uses: ``generator`` (default: ``llm_config_from_options``)
    unless ``--judge_model`` or ``--judge_endpoint`` name another model or server.

    A judge endpoint without ``--judge_model`` counts tokens with the generator's tokenizer,
    and caches its answers apart (under ``judge-<hash of the URL>``), since the cache key
    names the model directory, not the server.
    """
    generator = generator or llm_config_from_options(opts)
    if not opts.judge_model and not opts.judge_endpoint:
        return generator
    cache_root = generator.cache_root
    if cache_root and opts.judge_endpoint and not opts.judge_model:
        digest = hashlib.sha256(opts.judge_endpoint.encode("utf-8")).hexdigest()[:12]
        cache_root = FileSystems.join(cache_root, f"judge-{digest}")
    return LLMConfig(
        model=opts.judge_model or generator.model,
        endpoint=server_base_url(opts.judge_endpoint) if opts.judge_endpoint else None,
        max_in_flight=generator.max_in_flight,
        max_model_len=generator.max_model_len,
        request_timeout_s=generator.request_timeout_s,
        max_attempts=generator.max_attempts,
        max_requests_per_s=generator.max_requests_per_s,
        adaptive_throttle=generator.adaptive_throttle,
        cache_root=cache_root,
    )


def run_info(
    recipe: str,
    opts: SynthbeamOptions,
    config: LLMConfig | None,
    templates: dict[str, str],
    inputs: list[str] | None = None,
) -> dict[str, Any]:
    """The manifest's run facts; ``inputs`` defaults to ``--input``, ``config`` None means no model."""
    return {
        "recipe": recipe,
        "run_id": opts.run_id or uuid.uuid4().hex[:12],
        "inputs": input_patterns(opts) if inputs is None else inputs,
        "model": "" if config is None else config.endpoint or config.model,
        "seed": opts.seed,
        "templates": templates,
        "output": final_output(opts.output),
    }


class TakeFirst(beam.PTransform):
    """Keeps ``limit`` elements, those whose ids hash smallest (0 keeps all): deterministic, and
    spread over the whole input instead of its first documents."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self._limit = limit

    def expand(self, pcoll: beam.PCollection) -> beam.PCollection:
        if self._limit <= 0:
            return pcoll
        return (
            pcoll
            | "Smallest" >> beam.combiners.Top.Of(self._limit, key=lambda element: stable_id(element.id), reverse=True)
            | "Explode" >> beam.FlatMap(lambda top: top)
        )


def dead_letter_row(dead: DeadLetter) -> str:
    return json.dumps(
        {
            "stage": dead.stage,
            "reason": dead.reason,
            "detail": dead.detail,
            "uri": dead.source.uri,
            "position": dead.source.position,
            "element_id": dead.element_id,
            "payload": dead.payload,
        },
        ensure_ascii=False,
    )


class WriteDeadLetters(beam.PTransform):
    """PCollection[DeadLetter] -> JSONL files under ``{output}/dead_letter/``."""

    def __init__(self, output: str) -> None:
        super().__init__()
        self._prefix = FileSystems.join(output, "dead_letter", "part")

    def expand(self, dead: beam.PCollection) -> beam.PCollection:
        return (
            dead
            | "ToJson" >> beam.Map(dead_letter_row)
            | "Write" >> beam.io.WriteToText(self._prefix, file_name_suffix=".jsonl")
        )


def write_rejects_and_dead_letters(
    rejects: Iterable[beam.PCollection], dead: Iterable[beam.PCollection], output: str
) -> tuple[beam.PCollection, beam.PCollection]:
    """Every stage's rejects to ``{output}/rejected/`` (Parquet) and dead letters to
    ``{output}/dead_letter/`` (JSONL); returns both flattened collections, for counting."""
    rejected = tuple(rejects) | "AllRejected" >> beam.Flatten()
    rejected | "WriteRejects" >> WriteRejects(FileSystems.join(output, "rejected"))
    dead_letters = tuple(dead) | "AllDeadLetters" >> beam.Flatten()
    dead_letters | "WriteDeadLetters" >> WriteDeadLetters(output)
    return rejected, dead_letters


def run_recipe(
    build: Callable[[beam.Pipeline, Any], Any],
    options_class: type[SynthbeamOptions],
    argv: list[str] | None,
    test_pipeline: beam.Pipeline | None = None,
) -> None:
    """Checks options and Dataflow settings, locks and checks the output, then runs ``build``
    into a staging directory that the pipeline publishes at its end (``output_run``).

    Local runs wait and print the manifest's counts; Dataflow runs return once submitted
    when ``--no_wait_until_finish`` is given.
    """
    from synthbeam.pipelines import output_run
    from synthbeam.pipelines.dataflow import check_dataflow_options, is_dataflow
    from synthbeam.pipelines.option_checks import check_options

    check_options(options_class, sys.argv[1:] if argv is None else argv)
    interrupt_on_sigterm()  # a SIGTERM stops managed servers as Ctrl-C does
    options = PipelineOptions(argv)
    opts = options.view_as(options_class)
    if is_dataflow(options):
        check_dataflow_options(options)
    check_patterns_match(split_list(opts.input), "--input")  # local or gs://, before any work
    run = output_run.start(options, opts)
    pipeline = test_pipeline or beam.Pipeline(options=options)
    try:
        output_run.build_staged(run, pipeline, build, opts)
        if not is_dataflow(options):  # Dataflow workers may reach servers this machine cannot
            check_llm_endpoints(pipeline)
        result = pipeline.run()
        if options.view_as(StandardOptions).no_wait_until_finish and is_dataflow(options):
            logger.info("Submitted; not waiting for the job to finish.")
            return
        result.wait_until_finish()
    except BaseException:
        output_run.abandon(run)
        raise
    output_run.finish(run)
    if not is_dataflow(options):
        add_llm_request_counts(FileSystems.join(opts.output, "manifest.json"), result)
        add_run_cost(opts.output, result, opts.gpu_hour_price, opts.tokens_per_s)
        print_summary(FileSystems.join(opts.output, "manifest.json"))


def print_summary(manifest_path: str) -> dict[str, Any]:
    """Reads the manifest a finished run wrote and prints its counts."""
    with FileSystems.open(manifest_path) as handle:
        manifest = json.loads(handle.read().decode("utf-8"))
    lines = [f"synthbeam {manifest['recipe']} run {manifest['run_id']} finished: {manifest['output']}"]
    lines += [f"  {key:<48} {value:>8}" for key, value in manifest["counts"].items()]
    lines += [f"  {'llm_requests/' + key:<48} {value:>8}" for key, value in manifest.get("llm_requests", {}).items()]
    rec = manifest["reconciliation"]
    added = f" + added {rec['rows_added']}" if rec.get("rows_added") else ""
    verdict, lost = "balanced" if rec["balanced"] else "NOT BALANCED", rec.get("input_files_lost", 0)
    if lost:  # the rows those files held after the damage are in no count
        verdict += f" over what was read; INPUT LOST: {lost} file(s) read only in part, see dead_letter/"
    lines.append(
        f"  rows in {rec['rows_in']}{added} = written {rec['rows_written']} + filtered {rec['rows_filtered']}"
        f" + dead-lettered {rec['rows_dead_lettered']}: {verdict}"
    )
    lines += summary_lines(manifest.get("cost", {}))
    print("\n".join(lines))
    return manifest
