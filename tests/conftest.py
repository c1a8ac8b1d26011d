"""Shared test fixtures. Fixture modules named ``tests/fixtures_*.py`` load as plugins."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from synthbeam.llm.config import LLMConfig

pytest_plugins = sorted(path.stem for path in Path(__file__).parent.glob("fixtures_*.py"))

ENDPOINT_ENV = "SYNTHBEAM_TEST_LLM_ENDPOINT"
TEST_MAX_MODEL_LEN = 2048


@pytest.fixture(scope="session")
def bundled_model_dir() -> str:
    """Local HF directory of the bundled SmolLM2-135M-Instruct (converted once, cached)."""
    from synthbeam.llm.default_model import prepare_default_model

    return prepare_default_model()


@pytest.fixture(scope="session")
def llm_endpoint(bundled_model_dir: str) -> Iterator[str]:
    """URL of a real vLLM server with the bundled model, shared by the whole session.

    ``SYNTHBEAM_TEST_LLM_ENDPOINT`` points at a server that is already running; otherwise
    one managed server is started here (about a minute on CPU) and stopped at the end.
    """
    endpoint = os.environ.get(ENDPOINT_ENV)
    if endpoint:
        yield endpoint.rstrip("/")
        return
    from synthbeam.llm.server import ManagedServer

    config = LLMConfig(model=bundled_model_dir, max_model_len=TEST_MAX_MODEL_LEN)
    server = ManagedServer(config, bundled_model_dir, Path(bundled_model_dir).name).start()
    try:
        yield server.endpoint()
    finally:
        server.stop()


@pytest.fixture
def llm_config(llm_endpoint: str, bundled_model_dir: str, tmp_path: Path) -> LLMConfig:
    """An LLMConfig for the session's server with a fresh response cache per test."""
    return LLMConfig(
        model=bundled_model_dir,
        endpoint=llm_endpoint,
        cache_root=str(tmp_path / "llm-cache"),
        max_in_flight=64,
        request_timeout_s=300.0,
    )
