"""Cloud Storage bucket names as GCS (and Beam's option validator) accept them.

GCS: 3-63 characters (up to 222 when the name has dots, each dot-separated part at most 63);
lowercase letters, digits, dashes, underscores and dots; starting and ending with a letter or
digit; not an IP address; no ``goog`` prefix and no ``google`` inside. Beam refuses
``--temp_location`` and ``--staging_location`` whose bucket fails its own pattern
(``^[a-z0-9][-_a-z0-9.]+[a-z0-9]$``), minutes before the job would otherwise run.
"""

from __future__ import annotations

import re

from synthbeam.paths import GCS_SCHEME, is_gcs

_CHARS = re.compile(r"^[a-z0-9][-_.a-z0-9]*[a-z0-9]$")
_IP_ADDRESS = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")


def gcs_bucket(path: str) -> str | None:
    """The bucket of a ``gs://`` path, or None for other paths."""
    if not is_gcs(path):
        return None
    return path[len(GCS_SCHEME) :].split("/", 1)[0]


def bucket_problem(name: str) -> str | None:
    """What is wrong with a bucket name, or None when GCS accepts it."""
    longest = 222 if "." in name else 63
    if not 3 <= len(name) <= longest:
        return f"bucket name {name!r} must be 3-{longest} characters long"
    if not _CHARS.match(name):
        return (
            f"bucket name {name!r} may hold only lowercase letters, digits, '-', '_' and '.', "
            "and must start and end with a letter or digit"
        )
    if any(len(part) > 63 or not part for part in name.split(".")):
        return f"bucket name {name!r} has a dot-separated part that is empty or longer than 63 characters"
    if _IP_ADDRESS.match(name):
        return f"bucket name {name!r} must not look like an IP address"
    if name.startswith("goog") or "google" in name:
        return f"bucket name {name!r} must not start with 'goog' or contain 'google'"
    return None


def gcs_path_problem(flag: str, path: str) -> str | None:
    """Why ``--flag=path`` is no usable ``gs://BUCKET/OBJECT`` path, or None."""
    bucket = gcs_bucket(path)
    if bucket is None:
        return f"{flag}={path!r} must be a gs:// path"
    problem = bucket_problem(bucket)
    if problem:
        return f"{flag}={path}: {problem}"
    if not path[len(GCS_SCHEME) + len(bucket) :].strip("/"):
        return f"{flag}={path} names a bucket but no directory in it (e.g. gs://{bucket}/tmp)"
    return None
