"""Quality audit of finished outputs: the quality gates run again over the rows a run kept.

For each output directory (one per recipe run) it reads ``manifest.json`` and the Parquet
rows of every split, runs ``quality_gates`` (with the fixed wording of the templates the
manifest names, so prompt echoes are recognised), and prints per recipe: kept rows (copies
aside), the run's yield (kept / requests), the share of kept rows that pass every gate, and
the reasons of those that do not. A run whose gates held has a passing share of 1.0; a lower
share means rows were kept by a recipe that does not gate, or the gates changed since.

Usage: python benchmarks/quality.py OUTPUT_DIR [OUTPUT_DIR ...] [--show N]

The last line printed is one JSON object: {recipe: {kept, yield, passing_share, failing}}.
"""

from __future__ import annotations

import argparse
import collections
import glob
import json
import os
import random
import sys
from typing import Any

import pyarrow.parquet as pq

from synthbeam.schemas.arrow import row_to_record
from synthbeam.schemas.record import Record
from synthbeam.templates import template_fixed_text
from synthbeam.transforms.checks import first_drop
from synthbeam.transforms.curate.quality import USER, quality_gates


def kept_records(output: str) -> list[Record]:
    """Every row of the output's splits (rejected/ and exports left out), copies aside."""
    paths = [
        p
        for p in sorted(glob.glob(os.path.join(output, "*", "*.parquet")))
        if os.path.basename(os.path.dirname(p)) in ("train", "eval", "data", "test", "validation")
    ]
    records = [row_to_record(row) for path in paths for row in pq.read_table(path).to_pylist()]
    return [r for r in records if not r.lineage.oversampled_from]


def prompt_texts(manifest: dict[str, Any]) -> list[str]:
    texts = []
    for name in manifest.get("templates", {}):
        try:
            texts.append(template_fixed_text(name))
        except (FileNotFoundError, OSError):
            continue
    return texts


def audit(output: str) -> dict[str, Any]:
    with open(os.path.join(output, "manifest.json"), encoding="utf-8") as handle:
        manifest = json.load(handle)
    records = kept_records(output)
    # Only the request is the model's own in answer-first and call-first rows; echo is
    # checked there, and on both turns when the run wrote its answers too.
    answer_first = all(r.meta_dict().get("mode") in ("answer_first", "call_first") for r in records)
    gates = quality_gates(prompt_texts(manifest), (USER,) if answer_first else ("user", "assistant"))
    failing: collections.Counter[str] = collections.Counter()
    failures = {}
    for record in records:
        failure = first_drop(record, gates)
        if failure:
            failing[failure.reason] += 1
            failures[record.id] = failure.reason
    requests = manifest.get("reconciliation", {}).get("rows_in", 0)
    return {
        "output": output,
        "recipe": manifest.get("recipe", "?"),
        "kept": len(records),
        "yield": round(len(records) / requests, 4) if requests else 0.0,
        "passing_share": round(1 - sum(failing.values()) / len(records), 4) if records else 0.0,
        "failing": dict(failing),
        "records": records,
        "failures": failures,
    }


def show(result: dict[str, Any], n: int) -> None:
    rng = random.Random(0)
    sample = rng.sample(result["records"], min(n, len(result["records"])))
    for record in sample:
        user = next((m.get("content") or "" for m in record.messages if m.get("role") == "user"), "")
        last = record.messages[-1]
        calls = [c["function"] for c in last.get("tool_calls") or ()]
        answer = json.dumps(calls) if calls else (last.get("content") or "")
        mark = result["failures"].get(record.id, "ok")
        print(f"  [{mark}] {user[:200]!r}\n      -> {answer[:200]!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outputs", nargs="+", help="Output directories of finished runs.")
    parser.add_argument("--show", type=int, default=0, help="Print this many random kept rows per output.")
    args = parser.parse_args(argv)
    summary: dict[str, Any] = {}
    for output in args.outputs:
        result = audit(output)
        print(
            f"{result['recipe']:<16} {output}: kept {result['kept']}, yield {result['yield']:.1%}, "
            f"passing the gates {result['passing_share']:.1%}; failing: {result['failing'] or 'none'}"
        )
        if args.show:
            show(result, args.show)
        summary[result["recipe"]] = {k: result[k] for k in ("kept", "yield", "passing_share", "failing")}
    print(json.dumps(summary, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
