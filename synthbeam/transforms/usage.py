"""What each step that asks the model used, as Beam counters: the figures a row's cost comes from.

Every ``GenerateCompletions`` step counts its requests under its usage stage (a generation
task's name, ``verify_semantic`` for the judge) in the namespace ``generate``, with names
``<stage>/<figure>``:

- ``requests``: requests the step made, however they ended;
- ``llm_calls``, ``prompt_tokens``, ``completion_tokens``: answers the server gave this run
  and the token counts it reported for them (its ``usage``), answers the client then refused
  (a broken JSON schema) included;
- ``cache_hits``, ``cached_prompt_tokens``, ``cached_completion_tokens``: answers the response
  cache gave (with the counts the server reported when it first answered): free this run;
- ``server_us``: microseconds the requests spent at the server, summed over requests;
- ``busy_us``: the requests' shares of the time the server was busy with them
  (``synthbeam.llm.server_time``), what a GPU-hour pays for.

Counters are totals of a finished run, read by ``synthbeam.transforms.cost``.
"""

from __future__ import annotations

from apache_beam.metrics import Metrics

from synthbeam.llm.client import Outcome

NAMESPACE = "generate"
FIGURES = (
    "requests",
    "llm_calls",
    "prompt_tokens",
    "completion_tokens",
    "cache_hits",
    "cached_prompt_tokens",
    "cached_completion_tokens",
    "server_us",
    "busy_us",
)


def counter_name(stage: str, figure: str) -> str:
    return f"{stage}/{figure}"


def outcome_usage(outcome: Outcome) -> dict[str, int]:
    """The figures one request adds to its stage's counters."""
    prompt, completion = outcome.usage
    if outcome.cache_hit:
        return {"requests": 1, "cache_hits": 1, "cached_prompt_tokens": prompt, "cached_completion_tokens": completion}
    return {
        "requests": 1,
        "llm_calls": outcome.llm_calls,
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "server_us": round(outcome.server_seconds * 1e6),
        "busy_us": round(outcome.busy_seconds * 1e6),
    }


class UsageCounters:
    """The counters of one usage stage; create in ``DoFn.setup``."""

    def __init__(self, stage: str) -> None:
        self._counters = {figure: Metrics.counter(NAMESPACE, counter_name(stage, figure)) for figure in FIGURES}

    def count(self, outcome: Outcome) -> None:
        for figure, amount in outcome_usage(outcome).items():
            if amount:
                self._counters[figure].inc(amount)
