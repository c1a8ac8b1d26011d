"""Write stages: Parquet shards per split, rejected rows, and the dataset card."""

from synthbeam.transforms.write.card_writer import WriteDatasetCard
from synthbeam.transforms.write.dataset_card import render_card
from synthbeam.transforms.write.finalize import WrittenShard
from synthbeam.transforms.write.parquet import WriteParquetShards, WriteRejects

__all__ = ["WriteDatasetCard", "WriteParquetShards", "WriteRejects", "WrittenShard", "render_card"]
