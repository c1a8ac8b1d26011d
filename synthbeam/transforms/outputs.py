"""Output tags shared by every multi-output transform.

Each stage returns a ``DoOutputsTuple`` with ``.main`` (elements that go on),
``.rejected`` (``Rejected`` rows, kept for inspection) and/or ``.dead_letter``
(``DeadLetter`` rows). Nothing leaves a stage any other way.
"""

from typing import NamedTuple

import apache_beam as beam

MAIN = "main"
REJECTED = "rejected"
DEAD_LETTER = "dead_letter"


class StageOutputs(NamedTuple):
    """What a composite stage returns: everything that came in leaves by one of these."""

    main: beam.PCollection
    rejected: beam.PCollection
    dead_letter: beam.PCollection
