"""Launching a checked recipe run: logging, the progress display, ``run.log`` in the output at the end."""

from __future__ import annotations

import contextlib
import importlib
import logging
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from synthbeam.command import logs
from synthbeam.command.help import version
from synthbeam.errors import RunRefused
from synthbeam.pipelines.catalog import RECIPES
from synthbeam.pipelines.option_checks import recipe_parser

logger = logging.getLogger("synthbeam.run")
IN_PROCESS_RUNNERS = ("direct", "switchingdirect", "bundlebaseddirect")


def flag_value(argv: Sequence[str], name: str) -> str | None:
    """The last value of ``--name=value`` or ``--name value`` in ``argv``."""
    value = None
    for i, arg in enumerate(argv):
        if arg.startswith(f"--{name}="):
            value = arg.split("=", 1)[1]
        elif arg == f"--{name}" and i + 1 < len(argv):
            value = argv[i + 1]
    return value


def runs_here(argv: Sequence[str]) -> bool:
    """Whether the pipeline runs in this process (the DirectRunner, not multi-processing):
    only then does its generation report progress here."""
    runner = (flag_value(argv, "runner") or "DirectRunner").rsplit(".", 1)[-1].lower().removesuffix("runner")
    return runner in IN_PROCESS_RUNNERS and flag_value(argv, "direct_running_mode") != "multi_processing"


def output_of(name: str, argv: Sequence[str]) -> str:
    return recipe_parser(name).parse_known_args(list(argv))[0].output


def shows_progress(argv: Sequence[str], verbosity: int) -> bool:
    """A progress display when stdout is a terminal, the run is local and not ``-q``."""
    return verbosity != logs.QUIET and sys.stdout.isatty() and runs_here(argv)


@contextlib.contextmanager
def progress_display(name: str, argv: list[str], verbosity: int) -> Iterator[Any]:
    """The run's ``display.RunDisplay``, or None (no terminal, a remote runner, ``-q``, no rich)."""
    try:
        from synthbeam.command.display import RunDisplay

        display = RunDisplay(name, argv) if shows_progress(argv, verbosity) else None
    except ImportError:  # rich is missing: log lines only
        display = None
    if display is None:
        yield None
        return
    with display:
        yield display


def launch(name: str, argv: list[str], verbosity: int) -> int:
    """Runs recipe ``name`` with ``argv``; 0 when it finished, 2 when it was refused."""
    with progress_display(name, argv, verbosity) as display:
        log = logs.start(verbosity, display.log_handler() if display is not None else None)
        logger.info("synthbeam %s: recipe %s with %s", version(), name, " ".join(argv))
        try:
            importlib.import_module(RECIPES[name].module).run(argv)
        except RunRefused as refused:  # wrong option values, an output that is taken
            logs.discard(log)
            print(f"synthbeam: {refused}", file=sys.stderr)
            return 2
        except SystemExit:  # refused with its own line (e.g. an --input that matches no file)
            logs.discard(log)
            raise
        except BaseException:
            print(f"synthbeam: this run's log: {logs.keep(log)}", file=sys.stderr)
            raise
    if flag_value(argv, "template_location"):  # a template describes a run; nothing was written
        logs.discard(log)
        return 0
    print(f"log: {logs.publish(log, output_of(name, argv))}")
    return 0
