"""A local run's progress on the terminal: read and plan, generate (a bar over every planned
request, with rate and ETA), curate and write.

The plan (``plan_recipes``: the input counted, the requests planned, no LLM call) runs in a
thread beside the pipeline and gives the bar its total. The generation counts come from the
``Progress`` of every generation runtime of this process, which is where the DirectRunner
runs the pipeline; a poller reads them twice a second. Shown only when stdout is a terminal.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Iterable
from typing import Any

from synthbeam.llm import progress as llm_progress

POLL_S = 0.5


Totals = llm_progress.Snapshot  # the counts of every generation runtime together


def totals(snapshots: Iterable[llm_progress.Snapshot]) -> Totals:
    """The counts of every generation runtime together (their clocks overlap: the longest)."""
    items = list(snapshots)
    return Totals(
        sum(s.submitted for s in items),
        sum(s.finished for s in items),
        sum(s.cached for s in items),
        sum(s.failed for s in items),
        sum(s.completion_tokens for s in items),
        max((s.generating_s for s in items), default=0.0),
    )


def eta_s(done: Totals, planned: int) -> float | None:
    """Seconds left for the planned requests at the rate measured so far (cached answers,
    which come at once, left out of the rate); None before the first answer from the model."""
    remaining = max(planned, done.submitted) - done.finished
    fresh = done.finished - done.cached
    if remaining <= 0:
        return 0.0
    if fresh <= 0 or done.generating_s <= 0:
        return None
    return remaining * done.generating_s / fresh


def clock(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    hours, rest = divmod(round(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def generate_detail(done: Totals, planned: int | None, more: int) -> str:
    rate = done.completion_tokens / done.generating_s if done.generating_s > 0 else 0.0
    parts = [f"{done.cached:,} cached", f"{done.failed:,} failed", f"{rate:,.0f} tok/s"]
    if planned is not None:
        parts.append(f"ETA {clock(eta_s(done, planned))}")
    if more:
        parts.append(f"then up to {more:,} more")
    return " | ".join(parts)


class RunDisplay:
    """Context manager: the display lives while the run does."""

    def __init__(self, recipe: str, argv: list[str], console: Any = None) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.console = console or Console()
        self._bar = Progress(
            SpinnerColumn(finished_text="[green]done"),
            TextColumn("{task.description:<15}"),
            BarColumn(bar_width=28),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[detail]}"),
            console=self.console,
            refresh_per_second=4,
        )
        self._read = self._bar.add_task("read + plan", total=None, detail="counting the input")
        self._generate = self._bar.add_task("generate", total=None, detail="waiting for requests", start=False)
        self._curate = self._bar.add_task("curate + write", total=None, detail="", start=False)
        self._recipe, self._argv = recipe, argv
        self._earlier = weakref.WeakSet(llm_progress.live())  # of an earlier run in this process
        self._seen: list[llm_progress.Progress] = []
        self._planned: int | None = None
        self._more = 0
        self._stop = threading.Event()
        self._poller = threading.Thread(target=self._poll, name="synthbeam-display", daemon=True)
        self._planner = threading.Thread(target=self._plan, name="synthbeam-plan", daemon=True)

    def log_handler(self) -> logging.Handler:
        """A log handler that prints above the display instead of through it."""
        from rich.logging import RichHandler

        return RichHandler(console=self.console, show_path=False, markup=False, rich_tracebacks=False)

    def __enter__(self) -> RunDisplay:
        self._bar.start()
        self._planner.start()
        self._poller.start()
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        self._stop.set()
        self._poller.join(timeout=2)
        self._update()
        finished = exc_type is None
        self._start_curation()
        self._bar.update(self._curate, total=1, completed=int(finished), detail="" if finished else "stopped")
        if finished:
            generated = self._bar.tasks[self._generate]
            self._bar.update(self._generate, total=generated.completed or 1, completed=generated.completed or 1)
        self._bar.stop()

    def _plan(self) -> None:
        from synthbeam.pipelines.plan_recipes import plan_run

        try:
            plan = plan_run(self._recipe, self._argv)
        except Exception as error:  # the run itself reports what is wrong with its input
            self._bar.update(self._read, total=1, completed=1, detail=f"not planned: {error}")
            return
        self._planned, self._more = plan.exact_calls, plan.most_calls - plan.exact_calls
        counts = ", ".join(f"{label} {n:,}" for label, n in plan.counts.items())
        self._bar.update(self._read, total=1, completed=1, detail=f"{counts}; {plan.exact_calls:,} requests planned")

    def _poll(self) -> None:
        while not self._stop.wait(POLL_S):
            self._update()

    def _update(self) -> None:
        for item in llm_progress.live():
            if item not in self._earlier and all(item is not seen for seen in self._seen):
                self._seen.append(item)
        done = totals(item.snapshot() for item in self._seen)
        if done.submitted and not self._bar.tasks[self._generate].started:
            self._bar.start_task(self._generate)
        planned = self._planned
        total = None if planned is None else max(planned, done.submitted)
        if planned == 0 and not done.submitted:
            self._bar.update(self._generate, total=0, completed=0, detail="no LLM requests in this run")
            self._start_curation()
            return
        more = 0 if planned is None else max(0, planned + self._more - max(planned, done.submitted))
        detail = generate_detail(done, planned, more) if done.submitted else "waiting for requests"
        self._bar.update(self._generate, total=total, completed=done.finished, detail=detail)
        if total is not None and more == 0 and done.finished >= total and done.submitted == done.finished:
            self._start_curation()

    def _start_curation(self) -> None:
        """Once every planned request is answered, what is left is curating and writing."""
        if not self._bar.tasks[self._curate].started:
            self._bar.start_task(self._curate)
            self._bar.update(self._curate, detail="dedup, decontaminate, split, Parquet, card")
