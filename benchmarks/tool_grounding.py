"""Grounding, uniqueness and structure of a finished tool_use output directory.

    python benchmarks/tool_grounding.py out/tool_use [--show 20]

Reads the written rows (train/ and eval/ Parquet) and the manifest, and prints:
- grounded_literal: share of rows whose every non-enum, non-boolean argument value appears
  literally in the request (strings as case-insensitive substrings, numbers as a number token
  of equal value). Irrelevance rows are checked against their planned hidden call.
- grounded_rule: the same share under the grounding stage's own rule (dates and times in
  other forms, number words, currency names ...).
- duplicate_requests: rows whose normalised request another row already has.
- structure_ok: share of rows whose calls have their kind's shape (single/multiple: one call;
  parallel: 2+ calls of one function with different arguments; parallel_multiple: 2+ distinct
  functions; irrelevance: no call, a decline, the hidden tool not offered).
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import collections
import glob
import json
import os
import random
import re
import sys
from typing import Any

import pyarrow.parquet as pq

from synthbeam.schemas.arrow import row_to_record
from synthbeam.schemas.record import Record
from synthbeam.tools.calls import offered_tools, parse_arguments, query_of, tool_calls_of
from synthbeam.transforms.curate.text import normalised_text
from synthbeam.transforms.verify.grounding import decline_problem, kind_problem
from synthbeam.transforms.verify.value_grounding import scalar_leaves, ungrounded_values


def read_rows(output: str) -> list[Record]:
    files = sorted(
        glob.glob(os.path.join(output, "train", "*.parquet")) + glob.glob(os.path.join(output, "eval", "*.parquet"))
    )
    return [row_to_record(r) for f in files for r in pq.read_table(f).to_pylist()]


def calls_of(record: Record) -> list[dict[str, Any]]:
    if record.meta_dict().get("kind") == "irrelevance":
        return record.meta_dict().get("planned_calls") or []
    return [{"name": c["function"]["name"], "arguments": parse_arguments(c)} for c in tool_calls_of(record)]


LIBRARY: dict[str, dict[str, Any]] = {}  # --tool_library: schemas of hidden tools (irrelevance rows)


def parameters_of(record: Record) -> dict[str, dict[str, Any]]:
    offered = {t["function"]["name"]: t["function"].get("parameters") or {} for t in offered_tools(record)}
    return {**LIBRARY, **offered}


def literally_grounded(record: Record) -> bool:
    request, params = query_of(record).lower(), parameters_of(record)
    numbers = [float(n.replace(",", "")) for n in re.findall(r"-?\d[\d,]*(?:\.\d+)?", request)]
    for call in calls_of(record):
        for _, value, is_enum in scalar_leaves(call["arguments"], params.get(call["name"], {}), call["name"]):
            if is_enum or isinstance(value, bool) or value is None:
                continue
            if isinstance(value, (int, float)):
                if not any(abs(float(value) - n) < 1e-9 for n in numbers):
                    return False
            elif str(value).lower() not in request:
                return False
    return True


def structure_ok(record: Record) -> bool:
    meta = record.meta_dict()
    kind, calls = (
        meta.get("kind", ""),
        [{"name": c["function"]["name"], "arguments": parse_arguments(c)} for c in tool_calls_of(record)],
    )
    if kind_problem(kind, calls, meta.get("expected_calls")):
        return False
    offered = {t["function"]["name"] for t in offered_tools(record)}
    if kind == "irrelevance":
        reply = record.messages[-1].get("content") or ""
        hidden = {c["name"] for c in meta.get("planned_calls") or []}
        return not decline_problem(reply) and not (hidden & offered)
    if kind in ("single", "parallel") and len(offered) != 1:
        return False
    if kind in ("multiple", "parallel_multiple") and len(offered) < 2:
        return False
    return {c["name"] for c in calls} <= offered


def show(record: Record) -> str:
    kind = record.meta_dict().get("kind")
    if kind == "irrelevance":
        hidden = [c["name"] for c in calls_of(record)]
        return f"[{kind}] {query_of(record)!r} -> (hidden {hidden}) {record.messages[-1].get('content')!r}"
    calls = "; ".join(f"{c['name']}({json.dumps(c['arguments'], ensure_ascii=False)})" for c in calls_of(record))
    return f"[{kind}] {query_of(record)!r} -> {calls}"


def measure(output: str, show_rows: int = 0, seed: int = 0) -> dict[str, Any]:
    rows = read_rows(output)
    if not rows:
        raise SystemExit(f"no rows under {output}/train or {output}/eval")
    for record in random.Random(seed).sample(rows, min(show_rows, len(rows))):
        print(show(record))
    requests = collections.Counter(normalised_text(query_of(r), strip_punctuation=True) for r in rows)
    kinds = collections.Counter(r.meta_dict().get("kind", "") for r in rows)
    structure = collections.Counter(r.meta_dict().get("kind", "") for r in rows if structure_ok(r))
    with open(os.path.join(output, "manifest.json")) as handle:
        counts = json.load(handle)["counts"]
    planned = {k.split("/", 1)[1]: n for k, n in counts.items() if k.startswith("planned_tool/")}
    kept = {k.split("/", 1)[1]: n for k, n in counts.items() if k.startswith("kept_tool/")}
    n = len(rows)
    return {
        "rows": n,
        "requests": counts.get("requests", 0),
        "kinds": dict(sorted(kinds.items())),
        "grounded_literal": round(sum(map(literally_grounded, rows)) / n, 4),
        "grounded_rule": round(
            sum(not ungrounded_values(query_of(r), calls_of(r), parameters_of(r)) for r in rows) / n, 4
        ),
        "duplicate_requests": sum(c - 1 for c in requests.values()),
        "structure_ok": round(sum(structure.values()) / n, 4),
        "structure_ok_by_kind": {k: f"{structure[k]}/{kinds[k]}" for k in sorted(kinds)},
        "tools_planned": len(planned),
        "tools_kept": len(kept),
        "max_rows_per_planned_tool": max((v for k, v in planned.items() if k != "none"), default=0),
        "max_rows_per_kept_tool": max((v for k, v in kept.items() if k != "none"), default=0),
        "filtered": {k.split("/", 1)[1]: v for k, v in counts.items() if k.startswith("filtered/")},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", help="a finished tool_use output directory")
    parser.add_argument("--show", type=int, default=0, help="print this many random rows first")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--tool_library", default="", help="the run's tool library: enum values of hidden tools are then known"
    )
    args = parser.parse_args(argv)
    if args.tool_library:
        from synthbeam.tools.library import load_tool_library

        LIBRARY.update(
            {t["function"]["name"]: t["function"]["parameters"] for t in load_tool_library(args.tool_library)}
        )
    result = measure(args.output, args.show, args.seed)
    sys.stdout.write(json.dumps(result, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
