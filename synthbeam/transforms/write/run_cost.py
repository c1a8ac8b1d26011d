"""Puts what a row cost into a finished run's manifest and dataset card.

Design: the cost comes from Beam counters (``transforms.usage``), not from pipeline elements.
Counters see every answer the server gave, whatever became of it afterwards (rows the parser
rejected, candidates not chosen, judge verdicts, answers refused for a broken schema), where
usage carried by rows would need threading through each of those paths. The price is that
counters are final only once the run is over: the manifest the pipeline writes says
``cost: {measured: false, why}``, and when a local run has finished, ``add_run_cost`` replaces
that with the figures (``transforms.cost.cost_section``) and writes the card's ``## Cost``
section, before ``## Columns`` (a section already there is replaced). Each file is written
aside and renamed into place, so a reader sees the old file or the new one. A Dataflow run
keeps ``measured: false`` and a card without the section.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from apache_beam.io.filesystems import FileSystems

from synthbeam.transforms.accounting import generate_counters
from synthbeam.transforms.cost import cost_section

MANIFEST_NAME = "manifest.json"
CARD_NAME = "README.md"
SECTION = "## Cost"
BEFORE = "## Columns"


def number(value: float) -> str:
    """A figure for people: thousands separated, at most 4 significant digits below 1,000."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def usd(value: float | None) -> str:
    return "-" if value is None else f"${value:.4g}"


def stage_rows(cost: Mapping[str, Any]) -> list[str]:
    rows = ["| stage | requests | sent this run | from cache | prompt tokens | output tokens | server-seconds |"]
    rows.append("|---|---|---|---|---|---|---|")
    for stage, f in [*cost["stages"].items(), ("total", cost["total"])]:
        prompt = f["prompt_tokens"] + f["cached_prompt_tokens"]
        output = f["completion_tokens"] + f["cached_completion_tokens"]
        rows.append(
            f"| {stage} | {f['requests']} | {f['llm_calls']} | {f['cache_hits']} | {prompt} | {output} "
            f"| {f['server_seconds']:g} |"
        )
    return rows


def cost_lines(cost: Mapping[str, Any]) -> list[str]:
    """The card's ``## Cost`` section for a manifest's ``cost``."""
    lines = [SECTION, ""]
    if not cost.get("measured"):
        return [*lines, "Not measured for this run: " + str(cost.get("why", "")), ""]
    if not cost["stages"]:
        return [*lines, "No model was asked: these rows took no LLM server time.", ""]
    lines += ["What asking the model took (token counts as the server reported them; answers from the"]
    lines += ["response cache counted as if sent):", "", *stage_rows(cost), ""]
    rows, run = cost["per_kept_row"]["as_if_uncached"], cost["per_kept_row"]["this_run"]
    if rows is None:
        return [*lines, "No row was kept.", ""]
    lines.append(
        f"Per kept row ({cost['kept_rows']} kept): {number(rows['requests'])} requests, "
        f"{number(rows['prompt_tokens'])} prompt and {number(rows['completion_tokens'])} output tokens; "
        f"this run sent {number(run['requests'])} requests per kept row, and the server spent "
        f"{number(run['busy_seconds'])} busy seconds per kept row on them."
    )
    rate, prices = cost["tokens_per_s"], cost["usd_per_1000_kept_rows"]
    if rate["used"] is not None:
        lines += ["", f"Output tokens per second of server time: {number(rate['used'])} ({rate['source']})."]
    if prices.get("why_missing"):
        lines += ["", f"Cost per 1,000 kept rows: {prices['why_missing']}."]
    else:
        lines += [
            "",
            f"Cost per 1,000 kept rows at ${cost['gpu_hour_price_usd']:g} per GPU-hour: "
            f"{usd(prices['as_if_uncached'])} ({usd(prices['this_run'])} this run, cached answers being free).",
        ]
    return [*lines, ""]


def with_section(card: str, lines: list[str]) -> str:
    """``card`` with its ``## Cost`` section replaced by ``lines`` (or added before ``## Columns``)."""
    section = "\n".join(lines).strip("\n") + "\n"
    start = card.find(f"\n{SECTION}\n")
    if start >= 0:
        end = card.find("\n## ", start + 1)
        rest = card[end + 1 :] if end >= 0 else ""
        return card[: start + 1] + section + ("\n" + rest if rest else "")
    before = card.find(f"\n{BEFORE}\n")
    if before >= 0:
        return card[: before + 1] + section + "\n" + card[before + 1 :]
    return card.rstrip("\n") + "\n\n" + section


def read_text(path: str) -> str:
    with FileSystems.open(path) as handle:
        return handle.read().decode("utf-8")


def replace_file(path: str, data: bytes, mime_type: str) -> None:
    """Writes ``path`` aside and renames it into place."""
    temp = f"{path}.tmp"
    with FileSystems.create(temp, mime_type=mime_type) as handle:
        handle.write(data)
    FileSystems.rename([temp], [path])


def add_run_cost(output: str, result: Any, gpu_hour_price: float = 0.0, tokens_per_s: float = 0.0) -> dict[str, Any]:
    """Adds ``cost`` to the manifest of the run finished in ``output`` and the section to its
    card (when it has one); returns the section."""
    manifest_path = FileSystems.join(output, MANIFEST_NAME)
    manifest = json.loads(read_text(manifest_path))
    kept = int(manifest.get("quality", {}).get("kept", 0))
    cost = cost_section(generate_counters(result), kept, gpu_hour_price, tokens_per_s)
    manifest["cost"] = cost
    replace_file(manifest_path, json.dumps(manifest, indent=2).encode("utf-8"), "application/json")
    card_path = FileSystems.join(output, CARD_NAME)
    if FileSystems.exists(card_path):
        card = with_section(read_text(card_path), cost_lines(cost))
        replace_file(card_path, card.encode("utf-8"), "text/markdown")
    return cost
