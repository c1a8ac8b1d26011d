"""Dead letters (input that could not be processed, with its reason) as JSON lines."""

from __future__ import annotations

import json

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from synthbeam.schemas.record import DeadLetter


def dead_letter_row(dead: DeadLetter) -> str:
    return json.dumps(
        {
            "stage": dead.stage,
            "reason": dead.reason,
            "detail": dead.detail,
            "uri": dead.source.uri,
            "position": dead.source.position,
            "element_id": dead.element_id,
            "payload": dead.payload,
        },
        ensure_ascii=False,
    )


class WriteDeadLetters(beam.PTransform):
    """PCollection[DeadLetter] -> JSONL files under ``{output}/dead_letter/``."""

    def __init__(self, output: str) -> None:
        super().__init__()
        self._prefix = FileSystems.join(output, "dead_letter", "part")

    def expand(self, dead: beam.PCollection) -> beam.PCollection:
        return (
            dead
            | "ToJson" >> beam.Map(dead_letter_row)
            | "Write" >> beam.io.WriteToText(self._prefix, file_name_suffix=".jsonl")
        )
