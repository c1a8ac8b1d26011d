"""Pausing Python's cyclic garbage collector around bulk conversions.

Decoding a batch of records or building an Arrow batch from them allocates tens of
thousands of container objects in one go. Each few hundred allocations trigger a
collection, and the older generations' collections walk every live object of the worker,
yet none of them can free anything the batch is still building. Pausing the collector for
the duration of one such call removes that cost; collection resumes right after.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disables the cyclic GC inside the block (and restores its previous state after)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
