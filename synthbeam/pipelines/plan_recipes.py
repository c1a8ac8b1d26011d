"""Each recipe's plan (``plan.RunPlan``): its own planning functions on its input, no LLM call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from synthbeam.pipelines import plan
from synthbeam.pipelines.catalog import AUGMENT_METHODS
from synthbeam.pipelines.common import judge_enabled
from synthbeam.pipelines.flag_values import parse_list, parse_mix
from synthbeam.pipelines.options import input_patterns
from synthbeam.pipelines.plan import Counted, RunPlan, bound, expand, stage, take_first


def judge_stage(opts: Any, at_most: int, judge: Any) -> list[plan.Stage]:
    return [bound("judge", at_most, judge.sampling.max_tokens)] if judge_enabled(opts) else []


def plan_instructions(opts: Any) -> RunPlan:
    from synthbeam.tasks.backtranslate import RequestForAnswer, candidates_for_passage
    from synthbeam.tasks.instructions import InstructionsFromPassage, seeds_for_passage
    from synthbeam.tasks.judge import InstructionJudge

    patterns = input_patterns(opts)
    read = Counted(plan.read_passages(patterns, opts.text_field, opts.max_chars))
    passages = take_first(read, opts.limit)
    if opts.generation == "answer_first":
        task: Any = RequestForAnswer()
        per_passage = lambda p: candidates_for_passage(p, opts.per_passage, opts.candidates_per_span)  # noqa: E731
    else:
        task, types = InstructionsFromPassage(), parse_list(opts.question_types, "question_types")
        per_passage = lambda p: seeds_for_passage(p, types, opts.per_passage)  # noqa: E731
    generate = stage("generate", task, expand(passages, per_passage), opts.seed)
    rows_at_most = min(len(passages) * opts.per_passage, generate.calls)  # one row per span or pair
    judge = judge_stage(opts, rows_at_most, InstructionJudge())
    counts = {"passages read": read.n, "passages used": len(passages)}
    return RunPlan("instructions", patterns, counts, generate.calls, [generate, *judge])


def plan_tool_use(opts: Any) -> RunPlan:
    from synthbeam.tasks.judge import ToolUseJudge
    from synthbeam.tasks.tool_call_first import CallFirstTask, candidates, plan_spec
    from synthbeam.tasks.tool_use import KINDS, ToolUseTask, sample_spec
    from synthbeam.tools.library import load_tool_library

    library = load_tool_library(opts.tool_library)
    mix, call_first = parse_mix(opts.kind_mix, KINDS), opts.tool_generation == "call_first"
    plan_fn = plan_spec if call_first else sample_spec
    plans = [plan_fn(i, library, opts.seed, opts.max_tools, mix) for i in range(opts.num_examples)]
    count = opts.candidates if call_first else 1
    specs = list(expand(plans, lambda p: candidates(p, count))) if count > 1 else plans
    task = CallFirstTask() if call_first else ToolUseTask()
    generate = stage("generate", task, specs, opts.seed)
    requests = len(specs) + (len(plans) if call_first else 0)  # the pipeline's own requests count too
    counts = {"tools in the library": len(library), "rows planned": len(plans)}
    stages = [generate, *judge_stage(opts, len(plans), ToolUseJudge())]
    return RunPlan("tool_use", [opts.tool_library or "bundled:tools"], counts, requests, stages)


def plan_self_instruct(opts: Any) -> RunPlan:
    from synthbeam.tasks.judge import InstructionJudge
    from synthbeam.tasks.self_instruct import SelfInstructGenerate, plan_prompts, read_seed_tasks

    seeds, unreadable = read_seed_tasks(opts.seed_tasks)
    prompts = plan_prompts(seeds, opts.num_prompts, opts.examples_per_prompt, opts.seed, opts.seed_tasks)
    task = SelfInstructGenerate(instructions_per_prompt=opts.instructions_per_prompt)
    generate = stage("generate", task, prompts, opts.seed)
    instructions = len(prompts) * opts.instructions_per_prompt
    stages = [generate, bound("answer", instructions, opts.max_answer_tokens)]
    stages += judge_stage(opts, instructions, InstructionJudge())
    counts = {"seed tasks": len(seeds), "unreadable seed lines": len(unreadable), "prompts": len(prompts)}
    return RunPlan("self_instruct", [opts.seed_tasks], counts, len(prompts), stages)


def used_rows(opts: Any) -> tuple[list[str], Counted, list[Any]]:
    from synthbeam.pipelines.derived_rows import record_inputs

    patterns = record_inputs(opts)
    read = Counted(plan.read_records(patterns))
    return patterns, read, take_first(read, opts.limit)


def plan_evol_instruct(opts: Any) -> RunPlan:
    from synthbeam.tasks.answer import has_instruction
    from synthbeam.tasks.evol import MODES, EvolInstruction

    patterns, read, rows = used_rows(opts)
    usable = [row for row in rows if has_instruction(row)]
    modes = parse_list(opts.evol_modes, "evol_modes", MODES)
    stages = [stage(f"evolve:{mode}", EvolInstruction(mode), usable, opts.seed) for mode in modes]
    rewrites = len(usable) * len(modes)  # per round: each rewrite of the round before once more
    stages += [bound(f"evolve round {r}", rewrites, stages[0].max_tokens) for r in range(2, opts.evol_rounds + 1)]
    stages.append(bound("answer", rewrites * opts.evol_rounds, opts.max_answer_tokens))
    counts = {"rows read": read.n, "rows used": len(rows), "rows with an instruction": len(usable)}
    return RunPlan("evol_instruct", patterns, counts, None, stages)


def plan_augment(opts: Any) -> RunPlan:
    from synthbeam.tasks.answer import has_instruction
    from synthbeam.tasks.multi_turn import FollowUpQuestion, is_single_turn
    from synthbeam.tasks.paraphrase import ParaphraseInstruction, paraphrase_items

    patterns, read, rows = used_rows(opts)
    methods = parse_list(opts.methods, "methods", AUGMENT_METHODS)
    counts = {"rows read": read.n, "rows used": len(rows)}
    stages = []
    if "eda" in methods:
        counts["EDA variants, at most"] = len(rows) * opts.eda_per_row
    if "paraphrase" in methods:
        items = expand((r for r in rows if has_instruction(r)), lambda r: paraphrase_items(r, opts.paraphrases_per_row))
        stages.append(stage("paraphrase", ParaphraseInstruction(), items, opts.seed))
    if "multi_turn" in methods:
        single = [row for row in rows if is_single_turn(row)]
        stages += [
            stage("follow_up", FollowUpQuestion(), single, opts.seed),
            bound("answer", len(single), opts.max_answer_tokens),
        ]
    return RunPlan("augment", patterns, counts, None, stages)


PLANNERS: dict[str, Callable[[Any], RunPlan]] = {
    "instructions": plan_instructions,
    "tool_use": plan_tool_use,
    "self_instruct": plan_self_instruct,
    "evol_instruct": plan_evol_instruct,
    "augment": plan_augment,
}


def plan_run(recipe: str, argv: list[str]) -> RunPlan:
    """The plan of recipe ``recipe`` run with ``argv`` (checked flags)."""
    from apache_beam.options.pipeline_options import PipelineOptions

    from synthbeam.pipelines import options

    options_class = {cls.recipe: cls for cls in options.SynthbeamOptions.__subclasses__()}[recipe]
    return PLANNERS[recipe](PipelineOptions(argv).view_as(options_class))
