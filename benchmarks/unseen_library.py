"""A tool library the tool_use recipe has never seen, from a BFCL data file.

Keeps the function definitions of every entry (``{"id", "function": [...]}``, the layout the
tool library loader reads), each name once, leaving out the names of the bundled library.
No question or answer is copied. Usage:

    python benchmarks/unseen_library.py BFCL_v4_simple_python.json /tmp/unseen_tools.jsonl
    synthbeam run recipes/tool_use.yaml --tool_library=/tmp/unseen_tools.jsonl --num_examples=60 \\
        --output=out/tool_use_unseen
    python benchmarks/tool_grounding.py out/tool_use_unseen --show 20
"""

from __future__ import annotations

import argparse
import importlib.resources
import json
import sys


def bundled_names() -> set[str]:
    text = (importlib.resources.files("synthbeam.data") / "bfcl" / "functions.jsonl").read_text("utf-8")
    return {f["name"] for line in text.splitlines() if line.strip() for f in json.loads(line)["function"]}


def unseen_entries(lines: list[str], known: set[str]) -> list[dict]:
    """One ``{"id", "function": [definition]}`` per function name not in ``known``, in file order."""
    entries, seen = [], set(known)
    for line in lines:
        if not line.strip():
            continue
        entry = json.loads(line)
        for function in entry.get("function", []):
            if function["name"] not in seen:
                seen.add(function["name"])
                entries.append({"id": entry["id"], "function": [function]})
    return entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bfcl_file", help="A BFCL data file (JSON lines with 'function').")
    parser.add_argument("output", help="Where to write the tool library (JSON lines).")
    args = parser.parse_args(argv)
    with open(args.bfcl_file, encoding="utf-8") as handle:
        entries = unseen_entries(handle.read().splitlines(), bundled_names())
    with open(args.output, "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(e, ensure_ascii=False) + "\n" for e in entries)
    print(json.dumps({"tools": len(entries), "output": args.output}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
