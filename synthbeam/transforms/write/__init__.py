"""Write stages: Parquet shards per split, rejected rows, and the dataset card."""

from synthbeam.transforms.write.parquet import WriteParquetShards, WriteRejects, WrittenShard

__all__ = ["WriteParquetShards", "WriteRejects", "WrittenShard"]
