"""Logging of a command-line run: quiet terminal, complete ``run.log``.

The terminal shows warnings and errors (``-v``: INFO too, ``-q``: errors only); Beam's INFO
chatter stays off it, and so do Beam's retries while its shared-model manager process starts
(``connect_manager``: "Connection refused" with a traceback, a normal wait). Every line at INFO goes to a log file that a finished run leaves in its
output directory as ``run.log`` (uploaded for ``gs://`` outputs). A run that fails keeps its
log under ``~/.cache/synthbeam/logs/`` and names it; a run refused before it starts keeps none.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass

from synthbeam.local_cache import cache_home

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
RUN_LOG = "run.log"
QUIET, NORMAL, VERBOSE = -1, 0, 1
CONSOLE_LEVELS = {QUIET: logging.ERROR, NORMAL: logging.WARNING, VERBOSE: logging.INFO}


@dataclass
class RunLog:
    path: str
    handlers: tuple[logging.Handler, ...]


class StartupRetries(logging.Filter):
    """Drops Beam's retry warnings while a ``MultiProcessShared`` manager starts up."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name == "apache_beam.utils.retry" and "connect_manager" in record.getMessage())


def console_handler(verbosity: int) -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.setLevel(CONSOLE_LEVELS[verbosity])
    return handler


def start(verbosity: int, console: logging.Handler | None = None) -> RunLog:
    """Routes every log line at INFO to a new log file, and those at the console level to
    ``console`` (default: stderr)."""
    fd, path = tempfile.mkstemp(prefix="synthbeam-run-", suffix=".log")
    os.close(fd)
    to_file = logging.FileHandler(path, encoding="utf-8")
    to_file.setFormatter(logging.Formatter(LOG_FORMAT))
    to_file.setLevel(logging.INFO)
    to_console = console or console_handler(verbosity)
    to_console.setLevel(CONSOLE_LEVELS[verbosity])
    to_console.addFilter(StartupRetries())
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for handler in (to_file, to_console):
        root.addHandler(handler)
    return RunLog(path, (to_file, to_console))


def stop(log: RunLog) -> None:
    root = logging.getLogger()
    for handler in log.handlers:
        root.removeHandler(handler)
        handler.close()


def publish(log: RunLog, output: str) -> str:
    """Stops ``log`` and copies it to ``OUTPUT/run.log`` (local or any Beam file system)."""
    from apache_beam.io.filesystems import FileSystems

    stop(log)
    destination = FileSystems.join(output, RUN_LOG)
    with open(log.path, "rb") as source, FileSystems.create(destination) as target:
        shutil.copyfileobj(source, target)
    os.unlink(log.path)
    return destination


def keep(log: RunLog) -> str:
    """Stops ``log`` and moves it under the cache's ``logs/``; returns where."""
    stop(log)
    folder = cache_home() / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    destination = folder / time.strftime("run-%Y%m%d-%H%M%S.log")
    shutil.move(log.path, destination)
    return str(destination)


def discard(log: RunLog) -> None:
    stop(log)
    if os.path.exists(log.path):
        os.unlink(log.path)
