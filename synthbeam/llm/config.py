"""How a pipeline reaches its LLM: one frozen, validated configuration object."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass

from synthbeam.paths import is_gcs, is_local

# A server that accepts requests and never answers: a warning after DEFAULT_REQUEST_TIMEOUT_S
# and each request dead-lettered after about DEFAULT_MAX_ATTEMPTS x DEFAULT_REQUEST_TIMEOUT_S
# (12 minutes). The timeout counts silence, not a request's own time, and 3 minutes of it
# is far beyond a healthy server: a 2-core CPU running 128 requests of 256 tokens each
# still finishes its first in about 4 minutes only when all run in lockstep.
DEFAULT_REQUEST_TIMEOUT_S = 180.0
DEFAULT_MAX_ATTEMPTS = 4
_VALID_DTYPES = ("auto", "float32", "float16", "bfloat16", "half", "float")
# The managed server owns these flags; setting them twice would confuse vLLM or us.
_RESERVED_ARGS = ("--model", "--host", "--port", "--served-model-name")


@dataclass(frozen=True)
class LLMConfig:
    """Where the model lives, how it is served and how hard the client pushes it.

    Attributes:
        model: Local Hugging Face model directory, or a ``gs://`` directory that is copied
            to a local cache before serving.
        endpoint: Base URL of an already running OpenAI-compatible server
            (``http://host:port``), or None to start and manage a vLLM server.
        served_model_name: Model name the server answers to. None: the managed server
            uses the model directory's name; for ``endpoint`` it is read from ``/v1/models``.
        max_in_flight: Requests kept in flight at once; match the server's ``max_num_seqs``.
        max_model_len: Context window in tokens. None: the server's own value.
        dtype: Managed server dtype. None: float32 on CPU (4x faster than bfloat16 on
            AVX2), vLLM's choice on GPU.
        enforce_eager: Managed server eager mode. None: True on CPU, vLLM's choice on GPU.
        extra_server_args: More ``vllm.entrypoints.openai.api_server`` flags.
        cache_root: Response cache directory (local or ``gs://``), None for no cache.
        request_timeout_s: Seconds the server may answer nothing -- neither this request nor
            any other -- before a request in flight is abandoned (and retried while attempts
            are left). A slow server that keeps answering never times out.
        max_attempts: HTTP requests per ChatRequest, the first one included. A server that
            answers no request for ``(max_attempts + 1) x request_timeout_s`` fails every
            pending and later request of the worker at once (``server_unresponsive``).
        max_requests_per_s: HTTP requests a worker process starts per second at most
            (retries included), 0 for no limit: a share of a server many workers call.
        adaptive_throttle: Narrow the in-flight window while the server rejects work
            (429 / 503), as Beam's ``AdaptiveThrottler`` does for its remote model handlers.
        startup_timeout_s: Seconds a managed server may take to become ready.
    """

    model: str
    endpoint: str | None = None
    served_model_name: str | None = None
    max_in_flight: int = 256
    max_model_len: int | None = None
    dtype: str | None = None
    enforce_eager: bool | None = None
    extra_server_args: tuple[str, ...] = ()
    cache_root: str | None = None
    request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    max_requests_per_s: float = 0.0
    adaptive_throttle: bool = True
    startup_timeout_s: float = 900.0

    def __post_init__(self) -> None:
        # Lists are accepted for convenience but stored as a tuple to stay hashable.
        object.__setattr__(self, "extra_server_args", tuple(self.extra_server_args))
        for problem in config_problems(self):
            raise ValueError(f"Invalid LLMConfig: {problem}")

    def fingerprint(self) -> str:
        """Short stable hash of the whole configuration (names shared per-worker objects)."""
        payload = json.dumps(dataclasses.asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def server_base_url(url: str) -> str:
    """An OpenAI-compatible server's base URL as the client wants it: ``http://host:8000/v1/``
    (the form OpenAI clients take) and ``http://host:8000`` are the same server."""
    url = url.strip().rstrip("/")
    return url[: -len("/v1")] if url.endswith("/v1") else url


def config_problems(config: LLMConfig) -> list[str]:
    """Every problem with ``config``, each phrased as what to change."""
    problems: list[str] = []
    if not config.model or not config.model.strip():
        problems.append(
            "model is empty; pass a local Hugging Face model directory, a gs:// directory, "
            "or synthbeam.llm.default_model.prepare_default_model() for the bundled model."
        )
    elif not (is_local(config.model) or is_gcs(config.model)):
        problems.append(f"model={config.model!r}: only local directories and gs:// paths are supported.")
    if config.endpoint is not None and not config.endpoint.startswith(("http://", "https://")):
        problems.append(
            f"endpoint={config.endpoint!r} must be a URL like http://127.0.0.1:8000, "
            "or None to start a managed vLLM server."
        )
    if config.max_in_flight < 1:
        problems.append(f"max_in_flight={config.max_in_flight} must be >= 1 (use the server's max_num_seqs).")
    if config.max_model_len is not None and config.max_model_len < 16:
        problems.append(f"max_model_len={config.max_model_len} must be >= 16, or None for the server's value.")
    if config.dtype is not None and config.dtype not in _VALID_DTYPES:
        problems.append(f"dtype={config.dtype!r} must be one of {', '.join(_VALID_DTYPES)} or None.")
    if config.request_timeout_s <= 0 or config.startup_timeout_s <= 0:
        problems.append("request_timeout_s and startup_timeout_s must be > 0 seconds.")
    if config.max_attempts < 1:
        problems.append(f"max_attempts={config.max_attempts} must be >= 1 (1: no retries).")
    if not 0 <= config.max_requests_per_s < float("inf"):
        problems.append(f"max_requests_per_s={config.max_requests_per_s} must be >= 0 (0: no limit).")
    if config.cache_root is not None and not config.cache_root.strip():
        problems.append("cache_root is empty; pass a directory (local or gs://) or None for no cache.")
    reserved = [arg for arg in config.extra_server_args if arg.split("=")[0] in _RESERVED_ARGS]
    if reserved:
        problems.append(
            f"extra_server_args sets {reserved}; use LLMConfig.model / served_model_name instead "
            "(host and port are chosen by the managed server)."
        )
    if config.endpoint is not None and (config.dtype or config.enforce_eager is not None or config.extra_server_args):
        problems.append(
            "dtype / enforce_eager / extra_server_args only apply to a managed server; drop them or set endpoint=None."
        )
    return problems
