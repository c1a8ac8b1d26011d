"""A recipe run's hold on its output: locked and checked before the pipeline is built,
written through a staging directory, published by the pipeline's last step.

``start`` takes the output's lock (``output_lock``: one run at a time), refuses an output that
already holds a run unless ``--overwrite`` is given, and deletes what killed runs left there
-- all before anything is read or built. ``build_staged`` builds the recipe with ``--output``
pointing at a staging directory inside the output (the response cache stays where it was),
then adds ``PublishWhenDone``: a last step that waits for every collection no other step reads
(so for every write of the recipe) and publishes the staging directory (``staged_output``) and
releases the lock. ``abandon`` deletes the staging directory and releases the lock of a run
that failed; the published output of the run before it is left as it was.

A Dataflow template (``--template_location``) only describes a job that runs later: making it
checks, locks and deletes nothing; the job stages and publishes as any run does. A job
submitted to Dataflow holds the lock without a pid, since it outlives the submitting process.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import apache_beam as beam
from apache_beam.options.pipeline_options import GoogleCloudOptions, PipelineOptions
from apache_beam.pipeline import PipelineVisitor

from synthbeam.errors import RunRefused
from synthbeam.pipelines.dataflow import is_dataflow
from synthbeam.pipelines.options import SynthbeamOptions, default_cache_root
from synthbeam.transforms.write import output_lock, staged_output


class OutputTaken(RunRefused):
    """The output holds an earlier run and ``--overwrite`` was not given."""


@dataclass(frozen=True)
class OutputRun:
    output: str
    staging: str
    run_id: str
    locked: bool
    keep: tuple[str, ...]  # paths inside the output that publishing never deletes


def cache_root(opts: SynthbeamOptions) -> str:
    """The response cache directory the run uses ('none' when it has none)."""
    return opts.cache_root or default_cache_root(opts.output)


def taken_message(output: str, names: list[str]) -> str:
    return (
        f"{output} already holds a run ({', '.join(names)}); pass --overwrite to replace it, or choose another --output"
    )


def start(options: PipelineOptions, opts: SynthbeamOptions) -> OutputRun:
    """Locks ``--output`` and checks it; returns the run's staging plan. Sets ``--run_id`` when
    empty, so that the lock and the manifest name the same run."""
    opts.run_id = opts.run_id or uuid.uuid4().hex[:12]
    output = opts.output
    keep = (cache_root(opts),)
    run = OutputRun(output, staged_output.new_staging_dir(output), opts.run_id, False, keep)
    if options.view_as(GoogleCloudOptions).template_location:
        return run
    output_lock.acquire(output, output_lock.new_lock(opts.run_id, detached=is_dataflow(options)))
    try:
        earlier = staged_output.earlier_run(output)
        if earlier and not opts.overwrite:
            raise OutputTaken(taken_message(output, earlier))
        staged_output.remove_leftovers(output)
    except BaseException:
        output_lock.release(output, opts.run_id)
        raise
    return OutputRun(output, run.staging, run.run_id, True, keep)


@contextlib.contextmanager
def building_into(opts: SynthbeamOptions, staging: str) -> Iterator[None]:
    """``--output`` is ``staging`` while the recipe is built (its transforms keep that path);
    the response cache is resolved first, so it stays outside the staging directory."""
    saved = (opts.output, opts.cache_root)
    opts.cache_root = cache_root(opts)
    opts.output = staging
    try:
        yield
    finally:
        opts.output, opts.cache_root = saved


class _Leaves(PipelineVisitor):
    """Collects the collections that no step reads, as main or side input."""

    def __init__(self) -> None:
        self.produced: list[beam.PCollection] = []
        self.read: set[int] = set()

    def visit_transform(self, node: Any) -> None:
        self.read.update(id(pc) for pc in node.inputs)
        self.read.update(id(side.pvalue) for side in node.side_inputs)
        self.produced.extend(pc for pc in node.outputs.values() if isinstance(pc, beam.PCollection))


def leaf_collections(pipeline: beam.Pipeline) -> list[beam.PCollection]:
    leaves = _Leaves()
    pipeline.visit(leaves)
    return [pc for pc in leaves.produced if id(pc) not in leaves.read]


def build_staged(
    run: OutputRun, pipeline: beam.Pipeline, build: Callable[[beam.Pipeline, Any], Any], opts: SynthbeamOptions
) -> None:
    """Builds the recipe into the staging directory and adds the step that publishes it."""
    with building_into(opts, run.staging):
        build(pipeline, opts)
    publish_fn = staged_output.PublishFn(run.output, run.staging, run.run_id, run.keep)
    _ = pipeline | "PublishOutput" >> staged_output.PublishWhenDone(leaf_collections(pipeline), publish_fn)


def abandon(run: OutputRun) -> None:
    """After a failed run: deletes its staging directory and releases its lock."""
    if not run.locked:
        return
    try:
        staged_output.delete_tree(run.staging)
    finally:
        output_lock.release(run.output, run.run_id)


def finish(run: OutputRun) -> None:
    """After a finished run: releases the lock if the publishing step has not."""
    if run.locked:
        output_lock.release(run.output, run.run_id)
