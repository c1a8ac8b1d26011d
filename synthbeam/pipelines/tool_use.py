"""Recipe ``tool_use``: planned tool calls -> requests that state them -> verification.

    python -m synthbeam.pipelines.tool_use --output out/tool_use --num_examples 32

Read tool library -> plan rows (``call_first``, the default: kind, tools round-robin over a
seeded shuffle of the library, argument values chosen in code; the model writes only the
user's request) or sample tool sets (``free_form``: the model writes request and calls as
schema-constrained JSON) -> generate (vLLM) -> verify format -> verify grounding (request,
kind, decline and argument-value gates) -> one candidate per plan and one row per request ->
``Curate`` (exact and near dedup, decontaminate, execute in the sandbox, LLM judge, split,
oversample by kind, Parquet, card), plus tool-selection rows, exports (xLAM of the train
split, BFCL categories of the eval split), rejects, dead letters and a manifest whose counts
reconcile (kept and dropped per stage, rows per tool planned and kept, label distribution of
the selection rows).
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from synthbeam.pipelines import flag_values
from synthbeam.pipelines.common import (
    judge_config_from_options,
    judge_enabled,
    llm_config_from_options,
    run_info,
    run_recipe,
)
from synthbeam.pipelines.curation import curation_settings
from synthbeam.pipelines.options import ToolUseOptions, oversample_target
from synthbeam.schemas import reasons
from synthbeam.schemas.record import Record
from synthbeam.tasks import tool_examples
from synthbeam.tasks.judge import ToolUseJudge
from synthbeam.tasks.tool_call_first import (
    CallFirstTask,
    candidate_score,
    candidates,
    plan_spec,
    skipped_tools,
)
from synthbeam.tasks.tool_selection import calls_several_tools, to_selection_record
from synthbeam.tasks.tool_use import (
    KINDS,
    NO_CALL_LABEL,
    ToolUseSpec,
    ToolUseTask,
    example_queries,
    sample_spec,
)
from synthbeam.templates import template_hash
from synthbeam.tools.library import load_tool_library
from synthbeam.tools.sandbox import SandboxLimits
from synthbeam.tools.schema import tool_name
from synthbeam.transforms.accounting import CountBy, WriteManifest
from synthbeam.transforms.checks import ApplyCheck
from synthbeam.transforms.curate.curate import Curate
from synthbeam.transforms.curate.dedup_request import DeduplicateRequests
from synthbeam.transforms.curate.oversample import Oversample
from synthbeam.transforms.curate.select import SelectOnePerKey
from synthbeam.transforms.generate_records import GenerateRecords
from synthbeam.transforms.verify import execution, grounding, semantic
from synthbeam.transforms.verify import format as format_check
from synthbeam.transforms.write.bfcl import WriteBfclCategories
from synthbeam.transforms.write.parquet import WriteParquetShards
from synthbeam.transforms.write.xlam import WriteXlam

RECIPE = "tool_use"
REQUESTS_KEY = "requests"

CARD_DESCRIPTION = (
    "Function-calling rows made by synthbeam's `tool_use` recipe: the pipeline planned each row's calls "
    "(kind, tools, argument values) and the model wrote only the user's request, which states every argument "
    "value. `messages` are chat turns with `tool_calls` (arguments as objects) and `tools` the definitions "
    "offered, ready for `tokenizer.apply_chat_template(messages, tools=tools)`."
)


OPTIONS = ToolUseOptions


def parse_mix(text: str) -> dict[str, float]:
    """``single=0.3,multiple=0.3`` -> weights; unknown kinds fail with the valid ones named."""
    return flag_values.parse_mix(text, KINDS)


def _count_kept(stage: str) -> Any:
    return CountBy(lambda _: f"kept/{stage}")


def kind_of(record: Record) -> str:
    """A row's kind (single, multiple, parallel, parallel_multiple, irrelevance): its class
    for ``--oversample``."""
    return str(record.meta_dict().get("kind", ""))


def planned_tool_keys(spec: ToolUseSpec) -> list[str]:
    """``planned_tool/<name>`` per tool a row is planned to call (``none`` for irrelevance)."""
    names = [NO_CALL_LABEL] if spec.kind == "irrelevance" else sorted(set(spec.targets))
    return [f"planned_tool/{name}" for name in names]


def kept_tool_keys(label: str) -> list[str]:
    """``kept_tool/<name>`` per tool in a written row's label (``a,b`` or ``none``)."""
    return [f"kept_tool/{name}" for name in label.split(",") if name]


def skipped_tool_keys(library: list[dict[str, Any]]) -> list[str]:
    """``skipped_tool/<name>/no_fitting_value`` per library tool the planner never plans."""
    return [f"skipped_tool/{name}/{reasons.NO_FITTING_VALUE}" for name in skipped_tools(library)]


def build(pipeline: beam.Pipeline, opts: ToolUseOptions) -> beam.PCollection:
    """Wires the recipe onto ``pipeline``; returns the manifest collection."""
    if opts.num_examples < 1 or opts.max_tools < 2 or opts.candidates < 1:
        raise ValueError("--num_examples and --candidates must be >= 1 and --max_tools >= 2")
    library = load_tool_library(opts.tool_library)  # small; read once, bad files fail here
    mix, seed = parse_mix(opts.kind_mix), opts.seed
    call_first = opts.tool_generation == "call_first"
    config = llm_config_from_options(opts)  # may prepare the bundled model: after cheap checks
    task, judge = (CallFirstTask() if call_first else ToolUseTask()), ToolUseJudge()
    limits = SandboxLimits(timeout_s=opts.sandbox_timeout_s, memory_mib=opts.sandbox_memory_mib)

    plans = (
        pipeline
        | "Indexes" >> beam.Create(range(opts.num_examples))
        | ("PlanToolCalls" if call_first else "SampleToolSets")
        >> beam.Map(plan_spec if call_first else sample_spec, library, seed, opts.max_tools, mix)
    )
    count = opts.candidates if call_first else 1
    specs = plans | "Candidates" >> beam.FlatMap(candidates, count) if count > 1 else plans
    generated = specs | "GenerateToolUse" >> GenerateRecords(task, config, seed)
    candidates_in, plain = generated.main, None
    if call_first:
        # The pipeline's own request is each plan's last-resort candidate: same gates, lowest score.
        plain = plans | "WritePlainRequests" >> beam.Map(task.plain_record)
        candidates_in = (generated.main, plain) | "WithPlainRequests" >> beam.Flatten()
    formatted = candidates_in | "VerifyFormat" >> ApplyCheck(
        format_check.ToolCallFormatCheck(map(tool_name, library)), format_check.STAGE
    )
    examples = (*tool_examples.all_requests(), *example_queries())
    grounded = formatted.main | "VerifyGrounding" >> ApplyCheck(
        grounding.GroundingCheck(examples, library), grounding.STAGE
    )
    passed, stage_rejects = grounded.main, [generated.rejected, formatted.rejected, grounded.rejected]
    if count > 1:
        chosen = passed | "ChooseCandidate" >> SelectOnePerKey(
            lambda r: r.meta_dict().get("plan_id", r.id),
            functools.partial(candidate_score, prefer=opts.prefer_request),
            reasons.REDUNDANT_CANDIDATE,
        )
        passed, stage_rejects = chosen.main, [*stage_rejects, chosen.rejected]
    one_per_request = passed | "OneRowPerRequest" >> DeduplicateRequests()
    stage_rejects, curated = [*stage_rejects, one_per_request.rejected], one_per_request.main
    # Execution and the judge run inside Curate, after dedup and decontamination: duplicates
    # and contaminated rows are never executed or judged.
    execute = ApplyCheck(
        execution.ToolExecutionCheck(
            limits=limits, require_all=opts.require_execution, isolation=opts.sandbox_isolation
        ),
        execution.STAGE,
    )
    verify = [(execution.STAGE, execute)]
    if judge_enabled(opts):
        verify.append((semantic.STAGE, semantic.JudgeRecords(judge_config_from_options(opts, config), seed, judge)))
    templates = {t: template_hash(t) for t in (task.template, judge.template)}
    info = run_info(RECIPE, opts, config, templates, inputs=[opts.tool_library or "bundled:tools"])
    done = curated | "Curate" >> Curate(
        curation_settings(opts, "synthbeam tool use", CARD_DESCRIPTION, info),
        verify=verify,
        rejected=stage_rejects,
        dead_letter=[generated.dead_letter],
        label_fn=kind_of,
    )
    rows, stages = done.rows, [(format_check.STAGE, formatted), (grounding.STAGE, grounded)]
    originals = rows | "Originals" >> beam.Filter(lambda r: not r.lineage.oversampled_from)
    selection = originals | "ToSelectionRows" >> beam.FlatMap(lambda r: [s] if (s := to_selection_record(r)) else [])
    target = oversample_target(opts.oversample)
    if target is not None:
        # A router learns rare tools only if it sees them: balance the training labels.
        balanced = selection | "OversampleSelection" >> Oversample(
            target=target, max_factor=opts.oversample_max_factor, seed=seed, only_split="train"
        )
        selection = balanced["main"]
    selection_shards = selection | "WriteSelection" >> WriteParquetShards(
        FileSystems.join(opts.output, "tool_selection")
    )
    # Trainers get the training split as xLAM; BFCL gets the held-out split only, so a model
    # trained on train/ is never scored on its own training rows.
    export = FileSystems.join(opts.output, "export")
    rows | "TrainRows" >> beam.Filter(lambda r: r.split == "train") | "ExportXlam" >> WriteXlam(export)
    (
        rows
        | "EvalRows" >> beam.Filter(lambda r: r.split == "eval")
        | "ExportBfcl" >> WriteBfclCategories(FileSystems.join(export, "bfcl"))
    )

    counts = (
        specs | "CountRequests" >> CountBy(lambda _: REQUESTS_KEY),
        *([plain | "CountPlainRequests" >> CountBy(lambda _: REQUESTS_KEY)] if plain is not None else []),
        originals
        | "CountRequestSource" >> CountBy(lambda r: f"request_source/{r.meta_dict().get('request_source', 'model')}"),
        plans | "PlannedTools" >> beam.FlatMap(planned_tool_keys) | "CountPlannedTools" >> CountBy(lambda k: k),
        *(
            [
                pipeline
                | "SkippedTools" >> beam.Create(skipped_tool_keys(library))
                | "CountSkipped" >> CountBy(lambda k: k)
            ]
            if call_first
            else []
        ),
        originals
        | "KeptTools" >> beam.FlatMap(lambda r: kept_tool_keys(r.label))
        | "CountKeptTools" >> CountBy(lambda k: k),
        done.counts,
        selection | "CountSelectionLabels" >> CountBy(lambda r: f"selection_label/{r.label}"),
        originals
        | "MultiToolRows" >> beam.Filter(calls_several_tools)
        | "CountSelectionSkipped" >> CountBy(lambda _: "selection_skipped/multi_tool"),
        selection_shards
        | "CountSelectionRows" >> CountBy(lambda s: ("selection_rows_written", s["num_rows"]), weighted=True),
        candidates_in | "CountGenerated" >> CountBy(lambda _: "kept/generate"),
        curated | "CountCurated" >> CountBy(lambda _: "kept/curate"),
        *(out.main | f"CountKept_{stage}" >> _count_kept(stage) for stage, out in stages),
    )
    manifest_path = FileSystems.join(opts.output, "manifest.json")
    return counts | "WriteManifest" >> WriteManifest(
        manifest_path, info, REQUESTS_KEY, ("generate", semantic.STAGE), kept_rows=rows
    )


def run(argv: list[str] | None = None, test_pipeline: beam.Pipeline | None = None) -> None:
    """Runs the recipe; tests pass a ``TestPipeline``."""
    run_recipe(build, OPTIONS, argv, test_pipeline)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run()
