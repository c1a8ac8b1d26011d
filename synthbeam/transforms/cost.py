"""What a kept row cost: tokens, server time and (priced) US dollars, from the run's usage counters.

Pure arithmetic over the ``generate`` counters of a finished run (``transforms.usage``); the
manifest's ``cost`` section is ``cost_section(...)``.

Figures come in two kinds. *This run*: what the server did for this run; answers taken from
the response cache cost nothing. *As if uncached*: what the same rows cost a run that finds no
cache, the cached answers' token counts (stored with each cache entry) added back.

Pricing: a GPU-hour costs ``gpu_hour_price`` US dollars and the server writes ``tokens_per_s``
output tokens per second while busy (``--tokens_per_s``, or measured: output tokens this run
over the seconds the server was busy with this run's requests; prompt tokens are inside that
rate, as they are inside the server's busy time). Then

    usd_per_1000_kept_rows = output_tokens / tokens_per_s / 3600 * gpu_hour_price * 1000 / kept_rows

With a measured rate, this run's figure is the server's busy time priced: busy_seconds / 3600 *
gpu_hour_price * 1000 / kept_rows. The busy time is measured per client process; processes
that share one server (several workers of a local multi-process run) each count the moments
they overlap, so the measured rate is then a lower bound, the cost an upper one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from synthbeam.transforms.usage import FIGURES

TOKENS = ("prompt_tokens", "completion_tokens")
CACHED = {"prompt_tokens": "cached_prompt_tokens", "completion_tokens": "cached_completion_tokens"}
UNMEASURED = {
    "measured": False,
    "why": "LLM usage is read from the run's Beam counters when a local run finishes; this run's "
    "were not read (a Dataflow job, or a run that did not wait for its end): see the job's "
    "counters in the namespace generate, <stage>/<figure>",
}


def stage_usage(counters: Mapping[str, int]) -> dict[str, dict[str, int]]:
    """``{stage: {figure: total}}`` from ``generate`` counters named ``<stage>/<figure>``."""
    stages: dict[str, dict[str, int]] = {}
    for name, value in counters.items():
        stage, sep, figure = name.rpartition("/")
        if sep and stage and figure in FIGURES:
            figures = stages.setdefault(stage, dict.fromkeys(FIGURES, 0))
            figures[figure] += int(value)
    return dict(sorted(stages.items()))


def stage_figures(usage: Mapping[str, int]) -> dict[str, Any]:
    """One stage's counters as the manifest shows them: server time in seconds."""
    figures: dict[str, Any] = {f: usage.get(f, 0) for f in FIGURES if not f.endswith("_us")}
    figures["server_seconds"] = round(usage.get("server_us", 0) / 1e6, 3)
    figures["busy_seconds"] = round(usage.get("busy_us", 0) / 1e6, 3)
    return figures


def add_up(stages: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The figures of every stage, summed."""
    names = [*stage_figures({}), *(name for figures in stages.values() for name in figures)]
    totals = {name: sum(figures.get(name, 0) for figures in stages.values()) for name in dict.fromkeys(names)}
    return {name: round(v, 3) if isinstance(v, float) else v for name, v in totals.items()}


def as_if_uncached(total: Mapping[str, Any]) -> dict[str, int]:
    """Requests and tokens of a run that finds no cache (every request the run made is sent)."""
    figures = {"requests": int(total.get("requests", 0))}
    figures.update({name: int(total.get(name, 0)) + int(total.get(CACHED[name], 0)) for name in TOKENS})
    return figures


def this_run(total: Mapping[str, Any]) -> dict[str, Any]:
    """Requests the server answered this run, their tokens and server time."""
    names = ("prompt_tokens", "completion_tokens", "server_seconds", "busy_seconds")
    return {"requests": int(total.get("llm_calls", 0)), **{name: total.get(name, 0) for name in names}}


def per_row(figures: Mapping[str, Any], kept_rows: int) -> dict[str, float] | None:
    """Each figure divided by the kept rows; None when no row was kept."""
    if kept_rows <= 0:
        return None
    return {name: round(value / kept_rows, 4) for name, value in figures.items()}


def measured_tokens_per_s(total: Mapping[str, Any]) -> float | None:
    """Output tokens this run over the server's busy seconds; None when nothing was sent."""
    tokens, busy = total.get("completion_tokens", 0), total.get("busy_seconds", 0.0)
    return tokens / busy if tokens > 0 and busy > 0 else None


def usd_per_1000_rows(
    output_tokens: int, kept_rows: int, tokens_per_s: float | None, gpu_hour_price: float
) -> float | None:
    """The pricing formula (module docstring); None when a figure it needs is missing."""
    if kept_rows <= 0 or gpu_hour_price <= 0:
        return None
    if output_tokens == 0:
        return 0.0
    if not tokens_per_s or tokens_per_s <= 0:
        return None
    return output_tokens / tokens_per_s / 3600 * gpu_hour_price * 1000 / kept_rows


def pricing(
    run: Mapping[str, Any], uncached: Mapping[str, Any], kept_rows: int, rate: float | None, gpu_hour_price: float
) -> dict[str, Any]:
    """US dollars per 1,000 kept rows, this run and as if uncached, or why not."""
    prices = {
        "this_run": usd_per_1000_rows(run["completion_tokens"], kept_rows, rate, gpu_hour_price),
        "as_if_uncached": usd_per_1000_rows(uncached["completion_tokens"], kept_rows, rate, gpu_hour_price),
    }
    prices = {name: None if usd is None else round(usd, 6) for name, usd in prices.items()}
    if gpu_hour_price <= 0:
        prices["why_missing"] = "not priced: give --gpu_hour_price (US dollars per GPU-hour)"
    elif kept_rows <= 0:
        prices["why_missing"] = "no row was kept"
    elif None in prices.values():
        prices["why_missing"] = "no output tokens/s: no request reached the server this run; give --tokens_per_s"
    return prices


def cost_section(
    counters: Mapping[str, int], kept_rows: int, gpu_hour_price: float = 0.0, tokens_per_s: float = 0.0
) -> dict[str, Any]:
    """The manifest's ``cost`` section from a finished run's ``generate`` counters."""
    stages = {stage: stage_figures(usage) for stage, usage in stage_usage(counters).items()}
    total = add_up(stages)
    run, uncached = this_run(total), as_if_uncached(total)
    measured = measured_tokens_per_s(total)
    rate = tokens_per_s if tokens_per_s > 0 else measured
    return {
        "measured": True,
        "stages": stages,
        "total": total,
        "kept_rows": kept_rows,
        "this_run": run,
        "as_if_uncached": uncached,
        "per_kept_row": {"this_run": per_row(run, kept_rows), "as_if_uncached": per_row(uncached, kept_rows)},
        "tokens_per_s": {
            "used": None if rate is None else round(rate, 2),
            "source": "--tokens_per_s" if tokens_per_s > 0 else "measured",
            "measured": None if measured is None else round(measured, 2),
        },
        "gpu_hour_price_usd": gpu_hour_price,
        "usd_per_1000_kept_rows": pricing(run, uncached, kept_rows, rate, gpu_hour_price),
    }


def summary_lines(cost: Mapping[str, Any]) -> list[str]:
    """The cost in the run summary: per kept row, and priced when it is."""
    if not cost.get("measured"):
        return []
    rows = cost["per_kept_row"]["as_if_uncached"]
    if rows is None:
        return ["  cost: no row was kept"]
    line = (
        f"  cost per kept row (as if uncached): {rows['requests']:g} requests, "
        f"{rows['prompt_tokens']:g} prompt + {rows['completion_tokens']:g} output tokens"
    )
    prices = cost["usd_per_1000_kept_rows"]
    if prices.get("as_if_uncached") is not None:
        line += f"; USD per 1,000 kept rows: {prices['this_run']:.4g} this run, {prices['as_if_uncached']:.4g} uncached"
    return [line]
