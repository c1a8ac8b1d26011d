"""What every recipe pipeline shares: the LLM config, outputs, the run and its summary (options are
in ``options``)."""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import uuid
from collections.abc import Callable
from typing import Any

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

from synthbeam.llm.config import LLMConfig, server_base_url
from synthbeam.llm.process_group import interrupt_on_sigterm
from synthbeam.pipelines import output_run
from synthbeam.pipelines.dataflow import check_dataflow_options, is_dataflow
from synthbeam.pipelines.known_flags import check_arguments
from synthbeam.pipelines.option_checks import check_options
from synthbeam.pipelines.options import SynthbeamOptions, default_cache_root, input_patterns, split_list
from synthbeam.pipelines.run_date import dated_args
from synthbeam.schemas.record import stable_id
from synthbeam.transforms.accounting import add_llm_request_counts
from synthbeam.transforms.cost import summary_lines
from synthbeam.transforms.generate import check_llm_endpoints
from synthbeam.transforms.read import check_patterns_match
from synthbeam.transforms.write.run_cost import add_run_cost
from synthbeam.transforms.write.staged_output import final_output

logger = logging.getLogger(__name__)


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
    args = sys.argv[1:] if argv is None else argv
    check_options(options_class, args)
    if options_class.recipe:  # a flag the recipe does not use is refused, never dropped
        check_arguments(options_class.recipe, args)
    args = dated_args(args)  # --run_date: OUTPUT/run_date=YYYY-MM-DD, the cache beside it
    interrupt_on_sigterm()  # a SIGTERM stops managed servers as Ctrl-C does
    options = PipelineOptions(args)
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
