"""Where a path lives: on this machine, or behind one of Beam's file systems.

Every path the package takes (inputs, outputs, caches, models) is either local (no scheme)
or a URI read through Beam's ``FileSystems`` (``gs://``; ``synthbeam://`` names data shipped
with the package). These are the only tests of which it is.
"""

from __future__ import annotations

GCS_SCHEME = "gs://"


def is_local(path: str) -> bool:
    """True for a path on this machine's file system (no ``scheme://``)."""
    return "://" not in path


def is_gcs(path: str) -> bool:
    """True for a Cloud Storage path (``gs://BUCKET/...``)."""
    return path.startswith(GCS_SCHEME)
