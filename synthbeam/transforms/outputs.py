"""Output tags shared by every multi-output transform.

Each stage returns a ``DoOutputsTuple`` with ``.main`` (elements that go on),
``.rejected`` (``Rejected`` rows, kept for inspection) and/or ``.dead_letter``
(``DeadLetter`` rows). Nothing leaves a stage any other way.
"""

MAIN = "main"
REJECTED = "rejected"
DEAD_LETTER = "dead_letter"
