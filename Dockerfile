# synthbeam container images (see docs/deploy.md). Build from the repository root:
#
#   docker build --target worker   -t "$WORKER_IMAGE" .
#   docker build --target launcher -t "$LAUNCHER_IMAGE" .
#
#   worker    Dataflow GPU worker (--sdk_container_image): CUDA userspace, Python 3.11,
#             apache-beam[gcp], vLLM (the "gpu" extra) and synthbeam; entrypoint: Beam's boot.
#   launcher  Dataflow Flex Template launcher: Google's Python 3.11 launcher base with
#             apache-beam[gcp] and synthbeam (no vLLM: it only builds and submits the job).
#
# The pins below must agree with setup.py and with the Beam that submits jobs: the submitting
# SDK, the worker SDK and the boot program all speak one Beam version, and pickled code needs
# one Python minor version. tests/test_dataflow_job.py checks them.

ARG PYTHON_VERSION=3.11
ARG BEAM_VERSION=2.77.0
ARG VLLM_VERSION=0.32.0
ARG UV_VERSION=0.13.8
# Only the OS userspace and CUDA runtime come from here: PyTorch's CUDA wheels bring their own
# CUDA libraries, and Dataflow mounts the host driver (install-nvidia-driver) at run time.
ARG CUDA_BASE_IMAGE=nvidia/cuda:12.8.1-base-ubuntu22.04
ARG LAUNCHER_BASE_IMAGE=gcr.io/dataflow-templates-base/python311-template-launcher-base:latest

# Beam's own SDK image: the source of the worker boot program (/opt/apache/beam).
FROM apache/beam_python${PYTHON_VERSION}_sdk:${BEAM_VERSION} AS beam_sdk

FROM ghcr.io/astral-sh/uv:${UV_VERSION} AS uv

# ---------------------------------------------------------------------------------------------
# Flex Template launcher. Runs on a small CPU VM at launch time: imports the recipe, builds
# the pipeline, stages setup.py's sdist and writes the job for Dataflow to start on workers
# that run the worker image (passed as the sdk_container_image parameter).
FROM ${LAUNCHER_BASE_IMAGE} AS launcher
ARG BEAM_VERSION
WORKDIR /template
COPY setup.py pyproject.toml README.md ./
COPY synthbeam ./synthbeam
RUN pip install --no-cache-dir "apache-beam[gcp]==${BEAM_VERSION}" . \
 && printf '%s\n' \
    '"""Flex Template entry point: the instructions recipe (run() checks Dataflow options first)."""' \
    'import logging' \
    'import sys' \
    '' \
    'from synthbeam.pipelines import instructions' \
    '' \
    'logging.basicConfig(level=logging.INFO)' \
    'instructions.run(sys.argv[1:])' \
    > /template/main.py \
 && python -c "import apache_beam, synthbeam.pipelines.instructions; assert apache_beam.__version__ == '${BEAM_VERSION}', apache_beam.__version__"
# The launcher runs FLEX_TEMPLATE_PYTHON_PY_FILE with the job's parameters as flags and passes
# FLEX_TEMPLATE_PYTHON_SETUP_FILE as --setup_file, so workers get this exact source tree.
ENV FLEX_TEMPLATE_PYTHON_PY_FILE=/template/main.py \
    FLEX_TEMPLATE_PYTHON_SETUP_FILE=/template/setup.py
# ENTRYPOINT comes from the base image (/opt/google/dataflow/python_template_launcher).

# ---------------------------------------------------------------------------------------------
# GPU worker.
FROM ${CUDA_BASE_IMAGE} AS worker
ARG PYTHON_VERSION
ARG BEAM_VERSION
ARG VLLM_VERSION
ENV DEBIAN_FRONTEND=noninteractive
# gcc and libc headers: Triton (under vLLM) compiles small launcher stubs at run time.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*

# A standalone CPython of the pinned minor version (Ubuntu's own python3 is another one).
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_PYTHON_INSTALL_DIR=/opt/python \
    UV_PYTHON_PREFERENCE=only-managed \
    UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1
RUN uv python install "${PYTHON_VERSION}" \
 && uv venv --seed --python "${PYTHON_VERSION}" /opt/venv
ENV VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:${PATH}

# The heavy dependencies first, in their own layer: code changes do not reinstall vLLM.
RUN uv pip install --no-cache --python /opt/venv/bin/python \
    "apache-beam[gcp]==${BEAM_VERSION}" "vllm==${VLLM_VERSION}" setuptools wheel

WORKDIR /opt/synthbeam/src
COPY setup.py pyproject.toml README.md ./
COPY synthbeam ./synthbeam
# The same pins again keep the resolver from moving Beam or vLLM while adding the package.
RUN uv pip install --no-cache --python /opt/venv/bin/python \
    "apache-beam[gcp]==${BEAM_VERSION}" "vllm==${VLLM_VERSION}" ".[gpu]" \
 && python -c "import apache_beam, synthbeam.pipelines.instructions; assert apache_beam.__version__ == '${BEAM_VERSION}', apache_beam.__version__" \
 && mkdir -p /opt/synthbeam/models

# Beam's boot otherwise runs the SDK in a fresh virtualenv made from the base interpreter,
# which would not see the packages installed in /opt/venv above.
ENV RUN_PYTHON_SDK_IN_DEFAULT_ENVIRONMENT=1
# --setup_file ships the submitted source as an sdist that boot pip-installs on every worker;
# this inverted-looking pip setting (0 = off) builds it with the setuptools installed above
# instead of downloading build dependencies, so workers without public IPs can install it.
ENV PIP_NO_BUILD_ISOLATION=0
# Models are local directories (baked in under /opt/synthbeam/models, or copied from gs://);
# never reach for a model hub or send usage reports from a worker.
ENV HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    VLLM_NO_USAGE_STATS=1 \
    DO_NOT_TRACK=1

COPY --from=beam_sdk /opt/apache/beam /opt/apache/beam
ENTRYPOINT ["/opt/apache/beam/boot"]
