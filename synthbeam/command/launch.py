"""Launching a checked recipe run: logging, and ``run.log`` in the output at the end."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from synthbeam.command import logs
from synthbeam.errors import RunRefused
from synthbeam.pipelines.catalog import RECIPES
from synthbeam.pipelines.option_checks import recipe_parser

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


def launch(name: str, argv: list[str], verbosity: int) -> int:
    """Runs recipe ``name`` with ``argv``; 0 when it finished, 2 when it was refused."""
    log = logs.start(verbosity)
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
