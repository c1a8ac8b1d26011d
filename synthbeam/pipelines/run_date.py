"""Scheduled runs partitioned by run date: each night writes its own directory, once.

``nightly_args`` turns a launch's flags into the recipe's flags (Flex Template launches always
go through it; any other run does when it is given ``--run_date``, see ``dated_args``):

- ``--run_date=YYYY-MM-DD`` or ``today`` (default: today in UTC) picks the partition
  ``OUTPUT/run_date=YYYY-MM-DD/``, which becomes the recipe's ``--output``; an earlier night's
  partition is never written to, and each night's rows stay apart;
- the response cache defaults to ``OUTPUT/_llm_cache``, beside the partitions and outside
  every dataset directory, so a retried night answers from it and writes the same rows;
- ``--run_id`` defaults to the Dataflow job name (``--job_name``) when there is one;
- the partition belongs to its night: a rerun of the same night replaces it (``--overwrite``),
  which is what retrying a failed or partial night needs. The output lock still keeps two
  runs of the same night from writing at once.
"""

from __future__ import annotations

import datetime
import re

from synthbeam.errors import RunRefused

RUN_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
PARTITION_KEY = "run_date"
CACHE_DIR = "_llm_cache"


def today_utc() -> str:
    return datetime.datetime.now(datetime.timezone.utc).date().isoformat()


def check_run_date(value: str) -> str:
    """``value`` if it is a calendar date written YYYY-MM-DD (``today``: today in UTC);
    ``RunRefused`` (a ValueError) otherwise."""
    if value == "today":
        return today_utc()
    try:
        if RUN_DATE.match(value) and datetime.date.fromisoformat(value).isoformat() == value:
            return value
    except ValueError:
        pass
    raise RunRefused(f"--run_date={value!r} must be a date written YYYY-MM-DD (e.g. 2026-11-22) or today")


def partition(output: str, run_date: str) -> str:
    """``OUTPUT/run_date=YYYY-MM-DD``."""
    return f"{output.rstrip('/')}/{PARTITION_KEY}={run_date}"


def flag_value(argv: list[str], name: str) -> str | None:
    """The value of the last ``--name=value`` in ``argv``, or None."""
    values = [arg.split("=", 1)[1] for arg in argv if arg.startswith(f"--{name}=")]
    return values[-1] if values else None


def joined_flag(argv: list[str], name: str) -> list[str]:
    """``argv`` with ``--name value`` written ``--name=value``."""
    out: list[str] = []
    for arg in argv:
        if out and out[-1] == f"--{name}" and not arg.startswith("--"):
            out[-1] = f"--{name}={arg}"
        else:
            out.append(arg)
    return out


def without_flags(argv: list[str], *names: str) -> list[str]:
    return [arg for arg in argv if arg.split("=", 1)[0].lstrip("-") not in names]


def nightly_args(argv: list[str], today: str | None = None) -> list[str]:
    """The recipe's flags for a run-date partitioned run (see the module docstring)."""
    output = flag_value(argv, "output")
    if not output:
        raise RunRefused("--run_date needs --output (the directory above the partitions)")
    run_date = check_run_date(flag_value(argv, PARTITION_KEY) or today or today_utc())
    args = without_flags(argv, PARTITION_KEY, "output")
    args.append(f"--output={partition(output, run_date)}")
    if not flag_value(args, "cache_root"):
        args.append(f"--cache_root={output.rstrip('/')}/{CACHE_DIR}")
    job_name = flag_value(args, "job_name")
    if job_name and not flag_value(args, "run_id"):
        args.append(f"--run_id={job_name}")
    if "--overwrite" not in args:
        args.append("--overwrite")
    return args


def dated_args(argv: list[str]) -> list[str]:
    """``nightly_args(argv)`` when ``argv`` gives ``--run_date``, else ``argv`` unchanged: a
    run by hand or from a scheduler of its own partitions its output only when asked."""
    argv = joined_flag(list(argv), PARTITION_KEY)
    if flag_value(argv, PARTITION_KEY) is None:
        return argv
    return nightly_args(argv)
