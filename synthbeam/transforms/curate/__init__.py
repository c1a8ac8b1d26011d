"""Curation stages: filters, exact and near deduplication, decontamination, balance, split."""

from synthbeam.transforms.curate.decontaminate import Decontaminate
from synthbeam.transforms.curate.dedup_exact import DeduplicateExact
from synthbeam.transforms.curate.dedup_near import CLUSTER_META_KEY, DeduplicateNear
from synthbeam.transforms.curate.filters import (
    ApplyFilters,
    CharsetFilter,
    FinishReasonFilter,
    JsonFieldFilter,
    JudgeScoreFilter,
    LengthFilter,
    RecordFilter,
    RefusalFilter,
    RepetitionFilter,
    basic_filters,
)
from synthbeam.transforms.curate.oversample import Oversample
from synthbeam.transforms.curate.split import SplitTrainEval

__all__ = [
    "CLUSTER_META_KEY",
    "ApplyFilters",
    "CharsetFilter",
    "Decontaminate",
    "DeduplicateExact",
    "DeduplicateNear",
    "FinishReasonFilter",
    "JsonFieldFilter",
    "JudgeScoreFilter",
    "LengthFilter",
    "Oversample",
    "RecordFilter",
    "RefusalFilter",
    "RepetitionFilter",
    "SplitTrainEval",
    "basic_filters",
]
