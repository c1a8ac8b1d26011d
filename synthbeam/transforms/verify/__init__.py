"""Verification stages for tool-use rows (APIGen's three): format, execution, semantic.

Each stage is a ``RecordCheck`` (``synthbeam.transforms.checks``: a callable ``Record ->
Record | Drop``) applied by ``ApplyCheck``, which sends dropped rows to ``.rejected`` with
the stage name and a reason code from ``synthbeam.schemas.reasons``. The semantic stage asks
an LLM judge.
"""
