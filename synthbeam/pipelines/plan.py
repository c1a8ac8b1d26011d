"""What a run will ask the model, worked out without running it.

``plan_run(recipe, opts)`` reads the input as the recipe does (same readers, same ``--limit``
sample), applies the recipe's own planning functions and counts the LLM requests of each
stage -- exactly where the plan decides them (``exact``), as an upper bound where earlier
answers decide (answers to generated instructions, the judge). A few requests of each exact
stage are rendered as the pipeline would send them, for token estimates. No model, server or
output is touched.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from synthbeam.data.corpus import DEFAULT_CORPUS_URI
from synthbeam.schemas.record import ChatRequest, Passage, Record, stable_id
from synthbeam.tasks.base import GenerationTask, build_request

SAMPLES = 16  # requests rendered per stage for the token estimate


@dataclass(frozen=True)
class Stage:
    name: str
    calls: int
    exact: bool  # False: an upper bound
    max_tokens: int  # output tokens per call, at most
    samples: tuple[ChatRequest, ...] = ()  # rendered requests; empty: prompt not estimated


@dataclass
class RunPlan:
    recipe: str
    inputs: list[str]
    counts: dict[str, int] = field(default_factory=dict)  # what was read and planned, labelled
    requests: int | None = None  # the manifest's ``requests`` count, for recipes that report one
    stages: list[Stage] = field(default_factory=list)

    @property
    def exact_calls(self) -> int:
        return sum(stage.calls for stage in self.stages if stage.exact)

    @property
    def most_calls(self) -> int:
        return sum(stage.calls for stage in self.stages)


class Counted:
    """An iterable that counts what passes through it."""

    def __init__(self, items: Iterable[Any]) -> None:
        self._items, self.n = items, 0

    def __iter__(self) -> Iterator[Any]:
        for item in self._items:
            self.n += 1
            yield item


def take_first(items: Iterable[Any], limit: int) -> list[Any]:
    """``common.TakeFirst`` without Beam: the ``limit`` items whose ids hash smallest (0: all)."""
    if limit <= 0:
        return list(items)
    return heapq.nsmallest(limit, items, key=lambda item: stable_id(item.id))


def matched_files(patterns: list[str], bundled: tuple[str, ...]) -> list[str]:
    """The files the patterns match, each once, bundled URIs as they are (as ``ListFiles``)."""
    from apache_beam.io.filesystems import FileSystems

    files: list[str] = []
    for pattern in patterns:
        files += [pattern] if pattern in bundled else [m.path for m in FileSystems.match([pattern])[0].metadata_list]
    return list(dict.fromkeys(files))


def read_passages(patterns: list[str], text_field: str, max_chars: int) -> Iterator[Passage]:
    """The passages ``ReadCorpus`` gives for these options (dead letters left out)."""
    from synthbeam.transforms.read.corpus import ReadFileFn
    from synthbeam.transforms.read.formats import Fields

    fn = ReadFileFn("auto", Fields(text_field, None, None), max_chars, 1, 0)
    for uri in matched_files(patterns, (DEFAULT_CORPUS_URI,)):
        yield from (item for item in fn.process(uri) if isinstance(item, Passage))


def read_records(patterns: list[str]) -> Iterator[Record]:
    """The rows ``ReadRecords`` gives (dead letters left out)."""
    from synthbeam.tasks.seed_tasks import BUNDLED_SEED_TASKS
    from synthbeam.transforms.read.records import ReadRecordsFn

    fn = ReadRecordsFn()
    for uri in matched_files(patterns, (BUNDLED_SEED_TASKS,)):
        yield from (item for item in fn.process(uri) if isinstance(item, Record))


def sample(items: Iterable[Any], k: int = SAMPLES, seed: int = 0) -> tuple[int, list[Any]]:
    """``(how many items, k of them chosen evenly at random)`` in one pass (reservoir)."""
    rng, chosen, n = random.Random(seed), [], 0
    for n, item in enumerate(items, 1):
        if len(chosen) < k:
            chosen.append(item)
        elif (j := rng.randrange(n)) < k:
            chosen[j] = item
    return n, chosen


def stage(
    name: str, task: GenerationTask[Any], items: Iterable[Any], run_seed: int, exact: bool = True, **kwargs: Any
) -> Stage:
    """A stage of one request per item, ``SAMPLES`` of them rendered as the pipeline would."""
    count, chosen = sample(items, seed=run_seed)
    requests = tuple(build_request(task, item, run_seed) for item in chosen)
    return Stage(name, count, exact, kwargs.get("max_tokens", task.sampling.max_tokens), requests)


def bound(name: str, calls: int, max_tokens: int) -> Stage:
    """A stage whose requests depend on earlier answers: at most ``calls``."""
    return Stage(name, calls, False, max_tokens)


def expand(items: Iterable[Any], per_item: Callable[[Any], list[Any]]) -> Iterator[Any]:
    for item in items:
        yield from per_item(item)
