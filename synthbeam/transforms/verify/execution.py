"""Stage 2, execution: run each call that has an implementation in the sandbox; keep its result.

The result becomes a ``tool`` turn after the assistant turn that made the call. Calls of tools
without an implementation are skipped (counted in ``meta.execution``) unless ``require_all``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Record, ToolCall
from synthbeam.tools.calls import parse_arguments, tool_calls_of, with_tool_results
from synthbeam.tools.sandbox import Implementation, Sandbox, SandboxLimits, SandboxResult, isolation_mode
from synthbeam.transforms.checks import Drop

STAGE = "verify_execution"
BUILTIN_TARGET = "synthbeam.tools.builtin:IMPLEMENTATIONS"

Runner = Callable[[Implementation, dict], SandboxResult]


def builtin_implementations() -> dict[str, Implementation]:
    """The bundled implementations (``synthbeam.tools.builtin``), by tool name."""
    from synthbeam.tools.builtin import IMPLEMENTATIONS

    return {name: Implementation(BUILTIN_TARGET, name) for name in IMPLEMENTATIONS}


def execute_record(
    record: Record,
    implementations: Mapping[str, Implementation],
    run: Runner,
    require_all: bool = False,
    isolation: str = "",
) -> Record | Drop:
    """Runs the record's calls (format-verified already); the first failure drops the row."""
    results: list[tuple[ToolCall, str]] = []
    skipped = 0
    for call in tool_calls_of(record):
        name = call["function"]["name"]
        implementation = implementations.get(name)
        if implementation is None:
            if require_all:
                return Drop(reasons.NO_IMPLEMENTATION, name)
            skipped += 1
            continue
        outcome = run(implementation, parse_arguments(call))
        if not outcome.ok:
            return Drop(outcome.reason, f"{name}: {outcome.detail}"[:500])
        results.append((call, outcome.result))
    executed = record.with_meta(execution={"executed": len(results), "skipped": skipped, "isolation": isolation})
    return dataclasses.replace(executed, messages=with_tool_results(record, results)) if results else executed


class ToolExecutionCheck:
    """The execution check; the sandbox (and its isolation probe) is made in ``setup()``."""

    def __init__(
        self,
        implementations: Mapping[str, Implementation] | None = None,
        limits: SandboxLimits | None = None,
        require_all: bool = False,
        isolation: str = "auto",
    ) -> None:
        if isolation not in ("auto", "namespaces", "process"):
            raise ValueError(f"isolation={isolation!r}: use auto, namespaces or process")
        self._isolation = isolation
        self._implementations = dict(implementations if implementations is not None else builtin_implementations())
        self._limits = limits or SandboxLimits()
        self._require_all = require_all
        self._sandbox: Sandbox | None = None

    def setup(self) -> None:
        if self._isolation == "namespaces" and isolation_mode() != "namespaces":
            raise RuntimeError(
                "isolation='namespaces' needs root and util-linux unshare on the worker; use 'auto' or 'process'"
            )
        self._sandbox = Sandbox(self._limits, mode="" if self._isolation == "auto" else self._isolation)

    def __call__(self, record: Record) -> Record | Drop:
        if self._sandbox is None:
            self.setup()
        assert self._sandbox is not None
        return execute_record(record, self._implementations, self._sandbox.run, self._require_all, self._sandbox.mode)
