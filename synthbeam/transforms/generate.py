"""Generate: ChatRequests in, Completions out, through a saturated vLLM server."""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Iterator
from typing import Any, ClassVar, Generic, TypeVar

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.pipeline import PipelineVisitor
from apache_beam.pvalue import TaggedOutput
from apache_beam.transforms.window import BoundedWindow
from apache_beam.utils.timestamp import Timestamp
from apache_beam.utils.windowed_value import WindowedValue

from synthbeam.llm.client import Outcome
from synthbeam.llm.config import LLMConfig
from synthbeam.schemas.record import ChatRequest, DeadLetter
from synthbeam.transforms.outputs import DEAD_LETTER, MAIN
from synthbeam.transforms.usage import UsageCounters

T = TypeVar("T")
logger = logging.getLogger(__name__)

STAGE = "generate"
_PAYLOAD_CHARS = 2000
# Beam's name for the time a step's requests were held back by the service they call (its
# remote model handlers and Google Cloud IOs report it); Dataflow's autoscaler reads it.
THROTTLED_SECONDS = "cumulativeThrottlingSeconds"
_REPORT_EVERY_S = 5.0  # throttled time reaches the runner also while a bundle only waits
_COUNTERS = (
    "llm_calls",
    "cache_hits",
    "retries",
    "timeouts",  # HTTP requests abandoned after request_timeout_s without an answer
    "llm_client_errors",
    "pushbacks",  # 429 / 503 answers: the server asked for less work
    THROTTLED_SECONDS,
    "prompt_tokens",
    "completion_tokens",
)


def _import_serving() -> Any:
    try:
        import aiohttp  # noqa: F401
        import transformers  # noqa: F401

        from synthbeam.llm import runtime
    except ImportError as error:
        raise ImportError(
            f"GenerateCompletions needs the LLM serving extras ({error.name} is missing): "
            "pip install 'synthbeam[cpu]' on CPU machines or 'synthbeam[gpu]' with CUDA."
        ) from error
    return runtime


def _connect(config: LLMConfig, model_dir: str) -> Any:
    """The server handle: a fixed endpoint, or ONE managed server per machine."""
    from synthbeam.llm.server import FixedEndpoint, ManagedServer

    if config.endpoint is not None:
        return FixedEndpoint(config.endpoint)
    from apache_beam.utils.multi_process_shared import MultiProcessShared

    served_name = config.served_model_name or model_dir.rstrip("/").rsplit("/", 1)[-1]
    shared = MultiProcessShared(
        lambda: ManagedServer(config, model_dir, served_name).start(),
        tag=f"synthbeam-vllm-{config.fingerprint()}",
    )
    return _ReleasingHandle(shared, shared.acquire())


class _ReleasingHandle:
    """A shared server handle that gives its reference back when the runtime closes."""

    def __init__(self, shared: Any, proxy: Any) -> None:
        self._shared, self._proxy = shared, proxy

    def endpoint(self) -> str:
        return str(self._proxy.endpoint())

    def ensure_running(self) -> str:
        return str(self._proxy.ensure_running())

    def release(self) -> None:
        self._shared.release(self._proxy)


class _Runtimes:
    """One GenerationRuntime per config per process, refcounted by the DoFns using it."""

    _lock = threading.Lock()
    _entries: ClassVar[dict[str, tuple[Any, int]]] = {}

    @classmethod
    def acquire(cls, config: LLMConfig) -> Any:
        runtime_module = _import_serving()
        from synthbeam.llm.model_store import resolve_model_dir

        with cls._lock:
            key = config.fingerprint()
            runtime, users = cls._entries.get(key, (None, 0))
            if runtime is None:
                model_dir = resolve_model_dir(config.model)
                runtime = runtime_module.GenerationRuntime(config, model_dir, lambda: _connect(config, model_dir))
            cls._entries[key] = (runtime, users + 1)
            return runtime

    @classmethod
    def release(cls, config: LLMConfig) -> None:
        with cls._lock:
            key = config.fingerprint()
            runtime, users = cls._entries[key]
            if users > 1:
                cls._entries[key] = (runtime, users - 1)
                return
            del cls._entries[key]
        runtime.close()
        if isinstance(runtime.server, _ReleasingHandle):
            runtime.server.release()


def dead_letter_for(request: ChatRequest, outcome: Outcome, stage: str = STAGE) -> DeadLetter:
    payload = json.dumps({"id": request.id, "messages": request.messages}, ensure_ascii=False)
    return DeadLetter(
        stage=stage,
        reason=outcome.reason,
        detail=outcome.detail,
        element_id=request.id,
        payload=payload[:_PAYLOAD_CHARS],
    )


class GenerateCompletionsFn(beam.DoFn, Generic[T]):
    """Submits each request without waiting; emits results as they finish.

    Requests of a bundle stay in flight together (up to ``LLMConfig.max_in_flight`` on the
    wire, more queued); ``process`` emits whatever has finished and only blocks when the
    queue passes a high-water mark, ``finish_bundle`` drains the rest.
    """

    def __init__(self, config: LLMConfig, stage: str = STAGE, usage_stage: str = "") -> None:
        self._config = config
        self._stage = stage
        self._usage_stage = usage_stage or stage
        self._high_water = 4 * config.max_in_flight

    @property
    def config(self) -> LLMConfig:
        return self._config

    def setup(self) -> None:
        self._counters = {name: Metrics.counter(STAGE, name) for name in _COUNTERS}
        self._usage = UsageCounters(self._usage_stage)
        self._runtime = _Runtimes.acquire(self._config)

    def start_bundle(self) -> None:
        self._pending: dict[int, tuple[ChatRequest, Any, BoundedWindow, Timestamp, Any]] = {}
        self._done: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._next = 0

    def process(
        self,
        element: tuple[ChatRequest, T],
        window: BoundedWindow = beam.DoFn.WindowParam,
        timestamp: Timestamp = beam.DoFn.TimestampParam,
    ) -> Iterator[Any]:
        request, context = element
        ticket, self._next = self._next, self._next + 1
        future = self._runtime.submit(request)
        self._pending[ticket] = (request, context, window, timestamp, future)
        future.add_done_callback(lambda _, t=ticket: self._done.put(t))
        yield from self._emit_finished(block=len(self._pending) > self._high_water)

    def finish_bundle(self) -> Iterator[Any]:
        while self._pending:
            yield from self._emit_finished(block=True)

    def teardown(self) -> None:
        if getattr(self, "_runtime", None) is not None:
            _Runtimes.release(self._config)
            self._runtime = None

    def _emit_finished(self, block: bool) -> Iterator[Any]:
        while self._pending:
            ticket = self._next_finished(block)
            if ticket is None:
                return
            block = False
            request, context, window, timestamp, future = self._pending.pop(ticket)
            yield self._output(request, context, future.result(), window, timestamp)

    def _next_finished(self, block: bool) -> int | None:
        """The next finished request's ticket (None: none yet, and not blocking)."""
        while True:
            self._report_throttling()
            try:
                return self._done.get(block=block, timeout=_REPORT_EVERY_S if block else None)
            except queue.Empty:
                if not block:
                    return None

    def _report_throttling(self) -> None:
        seconds = self._runtime.take_throttled_seconds()
        if seconds:
            self._counters[THROTTLED_SECONDS].inc(seconds)

    def _output(self, request: ChatRequest, context: Any, outcome: Outcome, window: Any, timestamp: Any) -> Any:
        self._count(outcome)
        if outcome.completion is not None:
            return WindowedValue((outcome.completion, context), timestamp, (window,))
        name = f"dead_letter_{outcome.reason}"
        if name not in self._counters:
            self._counters[name] = Metrics.counter(STAGE, name)
        self._counters[name].inc()
        return TaggedOutput(
            DEAD_LETTER, WindowedValue(dead_letter_for(request, outcome, self._stage), timestamp, (window,))
        )

    def _count(self, outcome: Outcome) -> None:
        self._counters["llm_calls"].inc(outcome.llm_calls)
        self._counters["cache_hits"].inc(int(outcome.cache_hit))
        self._counters["retries"].inc(outcome.retries)
        self._counters["timeouts"].inc(outcome.timeouts)
        self._counters["llm_client_errors"].inc(outcome.client_errors)
        self._counters["pushbacks"].inc(outcome.pushbacks)
        self._usage.count(outcome)
        if outcome.completion is not None and not outcome.cache_hit:
            self._counters["prompt_tokens"].inc(outcome.completion.prompt_tokens)
            self._counters["completion_tokens"].inc(outcome.completion.completion_tokens)


class EndpointUnreachable(SystemExit):
    """An LLM server the run needs refuses connections: the run stops before it starts, with
    one line on stderr and exit status 1 (a SystemExit, so no traceback)."""


class _GenerateSteps(PipelineVisitor):
    def __init__(self) -> None:
        self.configs: list[LLMConfig] = []

    def visit_transform(self, node: Any) -> None:
        fn = getattr(node.transform, "fn", None)
        if isinstance(fn, GenerateCompletionsFn):
            self.configs.append(fn.config)


def check_llm_endpoints(pipeline: beam.Pipeline) -> None:
    """Raises EndpointUnreachable when a server someone else runs (``LLMConfig.endpoint``) that
    a generate step of ``pipeline`` asks refuses a connection; managed servers are started
    later, by the steps themselves."""
    from synthbeam.llm.server import connection_problem

    steps = _GenerateSteps()
    pipeline.visit(steps)
    for endpoint in sorted({c.endpoint for c in steps.configs if c.endpoint}):
        problem = connection_problem(endpoint)
        if problem:
            raise EndpointUnreachable(
                f"synthbeam: the LLM server at {endpoint} cannot be reached ({problem}); "
                "start it, or correct --llm_endpoint / --judge_endpoint."
            )


class GenerateCompletions(beam.PTransform):
    """Asks the LLM for one chat completion per request.

    Input: ``PCollection[tuple[ChatRequest, T]]``; ``T`` is any upstream context, passed
    through untouched. Output: a ``DoOutputsTuple`` with ``.main``
    (``PCollection[tuple[Completion, T]]``) and ``.dead_letter`` (``PCollection[DeadLetter]``
    with reason ``context_length``, ``llm_gave_up``, ``invalid_response``, ``llm_client_error``,
    ``server_unresponsive`` or ``structured_output_invalid``). Time requests were held back
    by the server is the counter ``generate/cumulativeThrottlingSeconds`` (``llm.throttle``).

    Args:
        config: Model, server and client settings; a managed vLLM server is started once
            per machine when ``config.endpoint`` is None.
        stage: The ``stage`` its dead letters carry (the manifest tells callers apart by it).
        usage_stage: The stage its usage counters are kept under (``transforms.usage``;
            default: ``stage``).
    """

    def __init__(self, config: LLMConfig, stage: str = STAGE, usage_stage: str = "") -> None:
        super().__init__()
        self._config = config
        self._stage = stage
        self._usage_stage = usage_stage

    def expand(self, requests: beam.PCollection) -> beam.pvalue.DoOutputsTuple:
        return requests | "Generate" >> beam.ParDo(
            GenerateCompletionsFn(self._config, self._stage, self._usage_stage)
        ).with_outputs(DEAD_LETTER, main=MAIN)
