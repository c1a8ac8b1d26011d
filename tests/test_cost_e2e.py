"""What a row cost, end to end on the real vLLM server: a small tool-use run with the judge.

The manifest's token totals must equal the ``usage`` the server reported for every answer,
read back from the response-cache entries the run wrote (a fresh cache, so every entry is
one answer of this run), and its cost per 1,000 kept rows must follow from those totals.
A rerun from the warm cache costs nothing this run and the same as if uncached.
"""

from __future__ import annotations

import glob
import json
from pathlib import Path
from typing import Any

import pytest
from apache_beam.testing.test_pipeline import TestPipeline

from synthbeam.pipelines import tool_use

pytestmark = pytest.mark.slow

PRICE = 2.5  # US dollars per GPU-hour


def _run(out: Path, cache: Path, endpoint: str, model_dir: str, *flags: str) -> dict[str, Any]:
    argv = [
        f"--output={out}",
        f"--llm_endpoint={endpoint}",
        f"--model={model_dir}",
        f"--cache_root={cache}",
        "--num_examples=3",
        "--candidates=1",
        "--judge=on",
        f"--gpu_hour_price={PRICE}",
        "--run_id=cost",
        *flags,
    ]
    tool_use.run(argv, test_pipeline=TestPipeline(argv=argv, blocking=True))
    return json.loads((out / "manifest.json").read_text())


def _cached_usage(cache: Path) -> tuple[int, int, int]:
    """(entries, prompt tokens, completion tokens) of every response-cache entry."""
    entries = [json.loads(Path(p).read_text())["completion"] for p in glob.glob(f"{cache}/**/*.json", recursive=True)]
    return len(entries), sum(e["prompt_tokens"] for e in entries), sum(e["completion_tokens"] for e in entries)


def test_manifest_tokens_are_the_servers_usage_and_the_price_follows(tmp_path, llm_endpoint, bundled_model_dir):
    cache = tmp_path / "cache"
    manifest = _run(tmp_path / "out", cache, llm_endpoint, bundled_model_dir)
    cost, (entries, prompt, output) = manifest["cost"], _cached_usage(cache)
    assert cost["measured"] and set(cost["stages"]) == {"tool_use", "verify_semantic"}, cost
    assert cost["total"]["cache_hits"] == 0 and entries == cost["total"]["llm_calls"] > 0
    assert (cost["this_run"]["prompt_tokens"], cost["this_run"]["completion_tokens"]) == (prompt, output)
    assert cost["as_if_uncached"]["completion_tokens"] == output
    assert cost["stages"]["verify_semantic"]["requests"] > 0 and cost["total"]["busy_seconds"] > 0

    kept = manifest["quality"]["kept"]
    assert cost["kept_rows"] == kept
    if kept:  # the 135M judge may reject every row
        rate = output / cost["total"]["busy_seconds"]
        expected = output / rate / 3600 * PRICE * 1000 / kept
        assert cost["usd_per_1000_kept_rows"]["this_run"] == pytest.approx(expected, rel=1e-3)
        assert cost["per_kept_row"]["as_if_uncached"]["prompt_tokens"] == pytest.approx(prompt / kept, abs=1e-4)
        card = (tmp_path / "out" / "README.md").read_text()
        assert card.index("## Cost") < card.index("## Columns") and f"${PRICE:g} per GPU-hour" in card

    warm = _run(tmp_path / "rerun", cache, llm_endpoint, bundled_model_dir, "--tokens_per_s=100")["cost"]
    assert warm["this_run"]["requests"] == 0 and warm["this_run"]["completion_tokens"] == 0
    assert (warm["as_if_uncached"]["prompt_tokens"], warm["as_if_uncached"]["completion_tokens"]) == (prompt, output)
    if kept:
        assert warm["usd_per_1000_kept_rows"]["this_run"] == 0.0
        expected = output / 100 / 3600 * PRICE * 1000 / kept
        assert warm["usd_per_1000_kept_rows"]["as_if_uncached"] == pytest.approx(expected, rel=1e-3)
