"""Stage 2: calls run in the sandbox; results become tool turns; failures drop with their reason."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Record
from synthbeam.tools.sandbox import Implementation, SandboxLimits, SandboxResult
from synthbeam.transforms.checks import ApplyCheck, Drop
from synthbeam.transforms.verify.execution import STAGE, ToolExecutionCheck, builtin_implementations, execute_record

TESTS = str(Path(__file__).parent)


def row(*calls: tuple[str, dict]) -> Record:
    tool_calls = [
        {"id": f"c{i}", "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
        for i, (n, a) in enumerate(calls)
    ]
    return Record(
        id="r",
        task="tool_use",
        messages=[{"role": "user", "content": "q"}, {"role": "assistant", "content": "", "tool_calls": tool_calls}],
        meta='{"kind": "parallel"}',
    )


def fake_run(implementation: Implementation, arguments: dict) -> SandboxResult:
    if arguments.get("fail"):
        return SandboxResult(False, reason=reasons.EXECUTION_ERROR, detail="ValueError: nope")
    return SandboxResult(True, result=json.dumps(sum(arguments.values())))


IMPLS = {"add": Implementation("m:f")}


def test_results_become_tool_turns_after_the_calling_turn() -> None:
    record = row(("add", {"a": 1, "b": 2}), ("add", {"a": 3, "b": 4}))
    result = execute_record(record, IMPLS, fake_run, isolation="test")
    assert result.messages[2:] == [
        {"role": "tool", "tool_call_id": "c0", "name": "add", "content": "3"},
        {"role": "tool", "tool_call_id": "c1", "name": "add", "content": "7"},
    ]
    assert result.messages[:2] == record.messages
    assert result.meta_dict() == {"kind": "parallel", "execution": {"executed": 2, "skipped": 0, "isolation": "test"}}


def test_a_failing_call_drops_the_row() -> None:
    record = row(("add", {"a": 1}), ("add", {"fail": True}))
    assert execute_record(record, IMPLS, fake_run) == Drop(reasons.EXECUTION_ERROR, "add: ValueError: nope")


def test_calls_without_implementation_are_skipped_or_required() -> None:
    record = row(("weather", {"city": "Paris"}))
    kept = execute_record(record, IMPLS, fake_run)
    assert kept.messages == record.messages and kept.meta_dict()["execution"] == {
        "executed": 0,
        "skipped": 1,
        "isolation": "",
    }
    assert execute_record(record, IMPLS, fake_run, require_all=True) == Drop(reasons.NO_IMPLEMENTATION, "weather")


def test_builtin_tools_run_in_the_real_sandbox() -> None:
    check = ToolExecutionCheck()
    result = check(row(("math.factorial", {"number": 5}), ("string.reverse", {"text": "abc"})))
    assert [m["content"] for m in result.messages[2:]] == ["120", '"cba"']


def test_builtin_tool_failure_in_the_real_sandbox() -> None:
    result = ToolExecutionCheck()(row(("math.factorial", {"number": -3})))
    assert result == Drop(
        reasons.EXECUTION_ERROR, "math.factorial: ValueError: factorial() not defined for negative values"
    )


def test_hostile_implementation_is_stopped_in_a_pipeline() -> None:
    implementations = {
        **builtin_implementations(),
        "sleepy": Implementation("test_sandbox_targets:sleep_forever", paths=(TESTS,)),
        "net": Implementation("test_sandbox_targets:open_socket", paths=(TESTS,)),
    }
    check = ToolExecutionCheck(implementations, SandboxLimits(timeout_s=2.0))
    rows = [
        dataclasses.replace(row(("math.gcd", {"num1": 12, "num2": 8})), id="ok"),
        dataclasses.replace(row(("sleepy", {})), id="sleepy"),
        dataclasses.replace(row(("net", {"host": "127.0.0.1", "port": 8011})), id="net"),
    ]
    with TestPipeline() as p:
        out = p | beam.Create(rows) | ApplyCheck(check, STAGE)
        assert_that(
            out.main | "Results" >> beam.Map(lambda r: (r.id, r.messages[-1]["content"])),
            equal_to([("ok", "4")]),
            label="kept",
        )
        assert_that(
            out.rejected | "Reasons" >> beam.Map(lambda r: (r.record.id, r.stage, r.reason)),
            equal_to([("sleepy", STAGE, reasons.EXECUTION_TIMEOUT), ("net", STAGE, reasons.SANDBOX_NETWORK_DENIED)]),
            label="rejected",
        )


def test_forced_process_isolation_is_used() -> None:
    check = ToolExecutionCheck(isolation="process")
    result = check(row(("string.reverse", {"text": "ab"})))
    assert result.meta_dict()["execution"] == {"executed": 1, "skipped": 0, "isolation": "process"}


def test_unknown_isolation_fails_in_the_constructor() -> None:
    with pytest.raises(ValueError, match="use auto, namespaces or process"):
        ToolExecutionCheck(isolation="chroot")
