from __future__ import annotations

import pytest

from synthbeam.llm.breaker import silence_limit_s
from synthbeam.llm.config import LLMConfig


def test_defaults_are_valid_and_hashable() -> None:
    config = LLMConfig(model="/models/m", extra_server_args=["--max-num-seqs", "64"])  # type: ignore[arg-type]
    assert config.extra_server_args == ("--max-num-seqs", "64")
    assert config.max_in_flight == 256
    assert hash(config) == hash(LLMConfig(model="/models/m", extra_server_args=("--max-num-seqs", "64")))


@pytest.mark.parametrize(
    ("changes", "hint"),
    [
        ({"model": ""}, "prepare_default_model"),
        ({"model": "s3://bucket/m"}, "gs:// paths"),
        ({"endpoint": "127.0.0.1:8000"}, "http://127.0.0.1:8000"),
        ({"max_in_flight": 0}, "max_num_seqs"),
        ({"max_model_len": 8}, ">= 16"),
        ({"dtype": "fp8x"}, "float32"),
        ({"request_timeout_s": 0}, "> 0 seconds"),
        ({"max_attempts": 0}, ">= 1"),
        ({"max_requests_per_s": -1.0}, "0: no limit"),
        ({"max_requests_per_s": float("nan")}, "0: no limit"),
        ({"cache_root": " "}, "None for no cache"),
        ({"extra_server_args": ("--port", "9")}, "host and port are chosen"),
        ({"endpoint": "http://h:1", "dtype": "float32"}, "set endpoint=None"),
    ],
)
def test_bad_config_fails_in_constructor_with_a_fix(changes: dict[str, object], hint: str) -> None:
    arguments: dict[str, object] = {"model": "/models/m", **changes}
    with pytest.raises(ValueError, match="Invalid LLMConfig") as error:
        LLMConfig(**arguments)  # type: ignore[arg-type]
    assert hint in str(error.value)


def test_fingerprint_changes_with_settings() -> None:
    base = LLMConfig(model="/models/m")
    assert base.fingerprint() == LLMConfig(model="/models/m").fingerprint()
    assert base.fingerprint() != LLMConfig(model="/models/m", max_in_flight=8).fingerprint()


def test_server_base_url_accepts_the_openai_client_form() -> None:
    from synthbeam.llm.config import server_base_url

    for url in (
        "http://127.0.0.1:8000",
        "http://127.0.0.1:8000/",
        "http://127.0.0.1:8000/v1",
        " http://127.0.0.1:8000/v1/ ",
    ):
        assert server_base_url(url) == "http://127.0.0.1:8000"
    assert server_base_url("https://gw.example/llm/v1") == "https://gw.example/llm"


def test_defaults_let_a_hung_server_surface_in_minutes() -> None:
    config = LLMConfig(model="/models/m")
    assert 60 <= config.request_timeout_s <= 300  # CPU servers with full batches need minutes
    assert 2 <= config.max_attempts <= 5
    assert config.request_timeout_s * config.max_attempts <= 15 * 60
    assert silence_limit_s(config.max_attempts, config.request_timeout_s) <= 15 * 60  # the whole worker gives up
    assert config.max_requests_per_s == 0 and config.adaptive_throttle


def test_throttle_options_reach_the_generator_and_the_judge() -> None:
    from apache_beam.options.pipeline_options import PipelineOptions

    from synthbeam.pipelines.common import SynthbeamOptions, judge_config_from_options, llm_config_from_options

    argv = [
        "--model=/models/m",
        "--judge_endpoint=http://judge:8000",
        "--max_requests_per_s=2.5",
        "--adaptive_throttle=off",
    ]
    opts = PipelineOptions(argv).view_as(SynthbeamOptions)
    for config in (llm_config_from_options(opts), judge_config_from_options(opts)):
        assert (config.max_requests_per_s, config.adaptive_throttle) == (2.5, False)


def test_timeout_and_attempts_options_reach_the_generator_and_the_judge() -> None:
    from apache_beam.options.pipeline_options import PipelineOptions

    from synthbeam.pipelines.common import SynthbeamOptions, judge_config_from_options, llm_config_from_options

    argv = ["--model=/models/m", "--judge_endpoint=http://judge:8000", "--request_timeout_s=30", "--max_attempts=2"]
    opts = PipelineOptions(argv).view_as(SynthbeamOptions)
    for config in (llm_config_from_options(opts), judge_config_from_options(opts)):
        assert (config.request_timeout_s, config.max_attempts) == (30.0, 2)
    defaults = llm_config_from_options(PipelineOptions(["--model=/models/m"]).view_as(SynthbeamOptions))
    assert (defaults.request_timeout_s, defaults.max_attempts) == (180.0, 4)
    assert (defaults.max_requests_per_s, defaults.adaptive_throttle) == (0.0, True)
    with pytest.raises(ValueError, match="max_attempts=0 must be >= 1"):
        llm_config_from_options(PipelineOptions(["--model=/models/m", "--max_attempts=0"]).view_as(SynthbeamOptions))
