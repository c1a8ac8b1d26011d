"""Server faults against the real vLLM server: a killed server, and a flaky network in front of one."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from pathlib import Path

import pytest
from fault_proxy import FaultProxy
from llm_pipeline import make_requests, run_generate

from synthbeam.llm.config import LLMConfig

pytestmark = pytest.mark.slow


def _server_pids(served_name: str) -> list[int]:
    """PIDs of vLLM API servers started with ``--served-model-name served_name``."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                argv = handle.read().split(b"\0")
        except OSError:
            continue
        if b"vllm.entrypoints.openai.api_server" in argv and served_name.encode() in argv:
            pids.append(int(entry))
    return pids


def _cached_entries(root: Path) -> int:
    return sum(1 for _ in root.rglob("*.json")) if root.exists() else 0


class ServerKiller(threading.Thread):
    """SIGKILLs the managed server's process group once ``at`` completions are cached."""

    def __init__(self, served_name: str, cache: Path, at: int) -> None:
        super().__init__(daemon=True)
        self.served_name, self.cache, self.at = served_name, cache, at
        self.completed_before_kill: int | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.05):
            done = _cached_entries(self.cache)
            pids = _server_pids(self.served_name)
            if done >= self.at and pids:
                for pid in pids:
                    os.killpg(pid, signal.SIGKILL)  # the server leads its own process group
                self.completed_before_kill = done
                return


def test_killed_server_is_restarted_and_no_row_is_lost_or_paid_twice(bundled_model_dir: str, tmp_path: Path) -> None:
    n = 20
    served_name = f"killed-{uuid.uuid4().hex[:8]}"
    cache = tmp_path / "cache"
    config = LLMConfig(
        model=bundled_model_dir,
        served_model_name=served_name,
        max_model_len=1024,
        max_in_flight=4,  # completions arrive a few at a time, so the kill lands mid-run
        cache_root=str(cache),
        request_timeout_s=120.0,
    )
    killer = ServerKiller(served_name, cache, at=int(0.4 * n))
    killer.start()
    try:
        run = run_generate(config, make_requests(n, max_tokens=24, prefix="kill"), tmp_path / "out")
    finally:
        killer.stop.set()
    assert killer.completed_before_kill is not None, "the server was never killed"
    ids = [row["completion"]["request_id"] for row in run.main]
    assert run.dead == []
    assert sorted(ids) == sorted(f"kill{i}" for i in range(n)) and len(set(ids)) == n  # 0 lost, 0 duplicates
    calls_after_kill = run.counter("llm_calls") - killer.completed_before_kill
    assert calls_after_kill <= 0.6 * n, (calls_after_kill, killer.completed_before_kill)
    assert _server_pids(served_name) == []  # the restarted server was stopped at teardown

    # Whatever happened, a rerun pays for nothing.
    again = run_generate(config, make_requests(n, max_tokens=24, prefix="kill"), tmp_path / "again")
    assert again.counter("llm_calls") == 0 and again.counter("cache_hits") == n


def test_flaky_server_every_row_completes_and_client_errors_are_not_retried(
    llm_endpoint: str, bundled_model_dir: str, tmp_path: Path
) -> None:
    n = 24
    with FaultProxy(llm_endpoint, fault_rate=0.2, hangs=2, seed=11) as proxy:
        config = LLMConfig(
            model=bundled_model_dir,
            endpoint=proxy.url,
            cache_root=str(tmp_path / "cache"),
            request_timeout_s=20.0,  # hung requests are abandoned once the server answers no one for this long
            max_attempts=13,
        )
        started = time.monotonic()
        run = run_generate(config, make_requests(n, max_tokens=8, prefix="flaky"), tmp_path / "out")
        elapsed = time.monotonic() - started
    injected = sum(v for k, v in proxy.stats.items() if k.startswith("injected_"))
    assert injected >= 3 and proxy.stats["hangs"] == 2
    assert run.dead == []
    assert sorted(r["completion"]["request_id"] for r in run.main) == sorted(f"flaky{i}" for i in range(n))
    assert run.counter("retries") >= injected + proxy.stats["hangs"]
    assert run.counter("llm_client_errors") == 0
    assert not any(k.startswith("upstream_4") for k in proxy.stats)
    assert elapsed < 600
