"""Pytest plugin: a GCS emulator shared by the test session, for ``gs://`` tests.

``tests/conftest.py`` loads it (every ``tests/fixtures_*.py`` is a plugin).

``gcs_emulator`` (session scope) starts ``gcp-storage-emulator --in-memory`` on a free port,
sets ``STORAGE_EMULATOR_HOST`` (inherited by subprocesses started later) and stops it at the
end. ``gcs_bucket`` gives each test a fresh ``gs://`` bucket.

Credentials: without Google credentials on the machine, Beam's first ``gs://`` access in a
process retries ``google.auth.default()`` with backoff for about 25 s before connecting
anonymously (``apache_beam/internal/gcp/auth.py``, ``_get_credentials_with_retrys``), then
caches that outcome for the process. ``--no_auth`` does not skip it; an environment that
makes the lookup fail fast is still retried, and fake credentials that make it succeed would
be refreshed against Google by the storage client. The fixture therefore stores Beam's own
final outcome, "anonymous", in Beam's per-process credential cache for the session
(``use_anonymous_beam_credentials``) and restores the previous state afterwards. Only this
process benefits: worker processes of the multi-process DirectRunner would each pay the
wait, so ``gs://`` tests run on the in-process DirectRunner.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from gcs_emulator import GcsEmulator, running_emulator, use_anonymous_beam_credentials


@pytest.fixture(scope="session")
def gcs_emulator() -> Iterator[GcsEmulator]:
    """A running emulator (``.host``, ``.create_bucket``, ``.upload``, ``.read``, ``.list``)."""
    undo_credentials = use_anonymous_beam_credentials()
    try:
        with running_emulator() as emulator:
            yield emulator
    finally:
        undo_credentials()


@pytest.fixture
def gcs_bucket(gcs_emulator: GcsEmulator) -> str:
    """A new empty bucket for one test, as ``gs://name``."""
    return gcs_emulator.create_bucket(f"test-{uuid.uuid4().hex[:12]}")
