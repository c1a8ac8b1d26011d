"""A local GCS emulator for ``gs://`` tests: start, fill, read back, stop.

``gcp-storage-emulator`` speaks enough of the GCS JSON API for Beam's ``gs://`` file system
(``MatchFiles``, ``FileSystems.open``, ``WriteToText``) once ``STORAGE_EMULATOR_HOST`` points
at it. Fixtures are uploaded with google-cloud-storage and ``AnonymousCredentials``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

EMULATOR_ENV = "STORAGE_EMULATOR_HOST"
PROJECT = "synthbeam-test"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def emulator_command(host: str, port: int) -> list[str]:
    """The emulator's console script from this interpreter's environment."""
    script = Path(sys.executable).parent / "gcp-storage-emulator"
    if not script.exists():
        raise RuntimeError(f"{script} is missing: pip install gcp-storage-emulator")
    return [str(script), "start", f"--host={host}", f"--port={port}", "--in-memory", "--quiet"]


def split_gs_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("gs://"):
        raise ValueError(f"not a gs:// URI: {uri!r}")
    bucket, _, name = uri[len("gs://") :].partition("/")
    return bucket, name


@dataclass
class GcsEmulator:
    """A running emulator: ``host`` is the value for ``STORAGE_EMULATOR_HOST``."""

    host: str
    process: subprocess.Popen[bytes]
    _client: storage.Client | None = field(default=None, repr=False)

    def client(self) -> storage.Client:
        if self._client is None:
            self._client = storage.Client(
                project=PROJECT,
                credentials=AnonymousCredentials(),
                client_options={"api_endpoint": self.host},
            )
        return self._client

    def create_bucket(self, name: str) -> str:
        """Creates the bucket (no-op if it exists) and returns ``gs://name``."""
        bucket = self.client().bucket(name)
        if not bucket.exists():
            self.client().create_bucket(name)
        return f"gs://{name}"

    def upload(self, uri: str, data: bytes | str) -> str:
        bucket, name = split_gs_uri(uri)
        payload = data.encode("utf-8") if isinstance(data, str) else data
        blob = self.client().bucket(bucket).blob(name)
        blob.upload_from_string(payload, content_type="application/octet-stream")
        return uri

    def upload_files(self, prefix: str, files: dict[str, bytes | str]) -> list[str]:
        """Uploads ``{relative name: content}`` under ``prefix`` (``gs://bucket/dir``)."""
        return [self.upload(f"{prefix.rstrip('/')}/{name}", data) for name, data in files.items()]

    def read(self, uri: str) -> bytes:
        bucket, name = split_gs_uri(uri)
        return self.client().bucket(bucket).blob(name).download_as_bytes()

    def list(self, prefix_uri: str) -> list[str]:
        bucket, prefix = split_gs_uri(prefix_uri)
        blobs = self.client().list_blobs(bucket, prefix=prefix)
        return sorted(f"gs://{bucket}/{blob.name}" for blob in blobs)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def wait_until_ready(host: str, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    url = f"{host}/storage/v1/b?project={PROJECT}"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"GCS emulator exited with {process.returncode}")
        with (
            contextlib.suppress(OSError),  # not listening yet (URLError is an OSError)
            urllib.request.urlopen(url, timeout=1) as response,
        ):
            if response.status == 200:
                return
        time.sleep(0.1)
    raise TimeoutError(f"GCS emulator at {host} not ready after {timeout_s} s")


def start_emulator(host: str = "127.0.0.1", timeout_s: float = 30.0) -> GcsEmulator:
    port = free_port(host)
    process = subprocess.Popen(emulator_command(host, port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    emulator = GcsEmulator(host=f"http://{host}:{port}", process=process)
    try:
        wait_until_ready(emulator.host, process, timeout_s)
    except BaseException:
        emulator.stop()
        raise
    return emulator


@contextlib.contextmanager
def running_emulator(timeout_s: float = 30.0) -> Iterator[GcsEmulator]:
    """An emulator with ``STORAGE_EMULATOR_HOST`` set for this process and its children."""
    emulator = start_emulator(timeout_s=timeout_s)
    previous = os.environ.get(EMULATOR_ENV)
    os.environ[EMULATOR_ENV] = emulator.host
    try:
        yield emulator
    finally:
        if previous is None:
            os.environ.pop(EMULATOR_ENV, None)
        else:
            os.environ[EMULATOR_ENV] = previous
        emulator.stop()


def use_anonymous_beam_credentials() -> Callable[[], None]:
    """Settles Beam's GCP credential lookup as "anonymous" in this process; returns undo.

    Beam resolves credentials once per process (``apache_beam.internal.gcp.auth._Credentials``,
    a class-level cache behind a lock). With no Google credentials on the machine it calls
    ``google.auth.default()`` under ``retry.with_exponential_backoff(num_retries=4,
    initial_delay_secs=2)`` -- about 25 s of sleeping -- and then caches ``None``, which makes
    ``gcsio.create_storage_client`` use an anonymous client. Storing that same final state
    up front skips only the futile retries; every ``gs://`` call still goes through Beam's
    real code path. Worker processes of the multi-process DirectRunner do not see it.
    """
    from apache_beam.internal.gcp import auth

    cache = auth._Credentials
    with cache._credentials_lock:
        saved = (cache._credentials_init, cache._credentials)
        cache._credentials_init, cache._credentials = True, None

    def undo() -> None:
        with cache._credentials_lock:
            cache._credentials_init, cache._credentials = saved

    return undo
