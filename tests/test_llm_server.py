from __future__ import annotations

import sys
from pathlib import Path

import pytest

from synthbeam.llm.config import LLMConfig
from synthbeam.llm.server import ManagedServer, server_command, server_env


def test_cpu_command_uses_python_module_fp32_and_eager() -> None:
    config = LLMConfig(model="/m", max_model_len=2048, extra_server_args=("--max-num-seqs", "64"))
    cmd = server_command(config, "/m", 8123, "tiny", gpu=False)
    assert cmd[:3] == [sys.executable, "-m", "vllm.entrypoints.openai.api_server"]
    assert cmd[3:] == [
        "--model",
        "/m",
        "--host",
        "127.0.0.1",
        "--port",
        "8123",
        "--served-model-name",
        "tiny",
        "--max-model-len",
        "2048",
        "--dtype",
        "float32",
        "--enforce-eager",
        "--no-enable-chunked-prefill",
        "--max-num-batched-tokens",
        "4096",
        "--max-num-seqs",
        "64",
    ]


def test_cpu_command_prefills_whole_prompts_unless_told_otherwise() -> None:
    big = server_command(LLMConfig(model="/m", max_model_len=8192), "/m", 1, "tiny", gpu=False)
    assert big[big.index("--max-num-batched-tokens") + 1] == "8192"
    chosen = LLMConfig(model="/m", extra_server_args=("--enable-chunked-prefill",))
    assert "--no-enable-chunked-prefill" not in server_command(chosen, "/m", 1, "tiny", gpu=False)
    gpu = server_command(LLMConfig(model="/m"), "/m", 1, "tiny", gpu=True)
    assert "--no-enable-chunked-prefill" not in gpu


def test_gpu_command_lets_vllm_choose_unless_told() -> None:
    cmd = server_command(LLMConfig(model="/m"), "/m", 1, "tiny", gpu=True)
    assert "--dtype" not in cmd and "--enforce-eager" not in cmd
    cmd = server_command(LLMConfig(model="/m", dtype="bfloat16", enforce_eager=True), "/m", 1, "tiny", gpu=True)
    assert cmd[-3:] == ["--dtype", "bfloat16", "--enforce-eager"]


def test_cpu_env_defaults_do_not_override_the_caller() -> None:
    env = server_env({"PATH": "/bin"}, gpu=False)
    assert env["VLLM_CPU_KVCACHE_SPACE"] == "2" and int(env["OMP_NUM_THREADS"]) >= 1
    assert server_env({"OMP_NUM_THREADS": "1"}, gpu=False)["OMP_NUM_THREADS"] == "1"
    assert "VLLM_CPU_KVCACHE_SPACE" not in server_env({}, gpu=True)


@pytest.mark.slow
def test_server_that_cannot_start_reports_its_log(tmp_path: Path) -> None:
    model = tmp_path / "broken-model"
    model.mkdir()
    (model / "config.json").write_text('{"model_type": "no_such_architecture"}')
    server = ManagedServer(LLMConfig(model=str(model), startup_timeout_s=300), str(model), "broken")
    with pytest.raises(RuntimeError, match="exited with code") as error:
        server.start()
    assert "Last lines of" in str(error.value) and "no_such_architecture" in str(error.value)
