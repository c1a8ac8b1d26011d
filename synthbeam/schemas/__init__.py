"""Element types and reason codes shared by every stage."""

from synthbeam.schemas.record import (
    ChatRequest,
    Completion,
    DeadLetter,
    Lineage,
    Message,
    Passage,
    Record,
    Rejected,
    SamplingParams,
    Source,
    ToolCall,
)

__all__ = [
    "ChatRequest",
    "Completion",
    "DeadLetter",
    "Lineage",
    "Message",
    "Passage",
    "Record",
    "Rejected",
    "SamplingParams",
    "Source",
    "ToolCall",
]
