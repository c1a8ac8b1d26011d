"""The terminal of a command-line run: Beam's startup retries stay in run.log, off the console."""

from __future__ import annotations

import io
import logging

from synthbeam.command import logs


def test_manager_startup_retries_reach_the_log_file_not_the_console() -> None:
    console = io.StringIO()
    handler = logging.StreamHandler(console)
    run_log = logs.start(logs.NORMAL, console=handler)
    try:
        retry = logging.getLogger("apache_beam.utils.retry")
        retry.warning(
            "Retry with exponential backoff: waiting for 0.08 seconds before retrying connect_manager because "
            "we caught exception: ConnectionRefusedError: [Errno 111] Connection refused"
        )
        retry.warning("Retry with exponential backoff: waiting before retrying _gcs_object because of a 503")
    finally:
        logs.stop(run_log)
    with open(run_log.path, encoding="utf-8") as handle:
        written = handle.read()
    assert "connect_manager" in written and "_gcs_object" in written
    assert "connect_manager" not in console.getvalue()
    assert "_gcs_object" in console.getvalue()  # other retries still show
