"""Output tags shared by every multi-output transform.

Each stage returns a ``DoOutputsTuple`` with ``.main`` (elements that go on),
``.rejected`` (``Rejected`` rows, kept for inspection) and/or ``.dead_letter``
(``DeadLetter`` rows). Nothing leaves a stage any other way.
"""

from typing import Any, NamedTuple

import apache_beam as beam
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.windowed_value import WindowedValue

MAIN = "main"
REJECTED = "rejected"
DEAD_LETTER = "dead_letter"


class StageOutputs(NamedTuple):
    """What a composite stage returns: everything that came in leaves by one of these."""

    main: beam.PCollection
    rejected: beam.PCollection
    dead_letter: beam.PCollection


def in_global_window(value: object) -> WindowedValue:
    """``value`` as ``finish_bundle`` must emit it: windowed (these stages run in the global window)."""
    window = GlobalWindow()
    return WindowedValue(value, window.max_timestamp(), [window])


def route_outcome(outcome: Any, kept: Any, dropped: Any) -> Any:
    """A row kept or rejected, as a DoFn yields it: a ``Rejected`` (anything with a ``stage``
    and a ``reason``) to the ``rejected`` output, any other value to main; the counters count."""
    if hasattr(outcome, "reason") and hasattr(outcome, "stage"):
        dropped.inc()
        return beam.pvalue.TaggedOutput(REJECTED, outcome)
    kept.inc()
    return outcome
