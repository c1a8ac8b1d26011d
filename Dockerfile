# syntax=docker/dockerfile:1
# synthbeam's container image (docs/deploy.md): one image for the Dataflow workers
# (--sdk_container_image) and for the Flex Template launcher, so both resolve the same packages.
# Build from the repository root (BuildKit):
#
#   DOCKER_BUILDKIT=1 docker build -t "$IMAGE" .
#
#   workers   run Beam's boot program (through synthbeam.worker_boot) and the synthbeam package
#             installed here; nothing is installed when a worker starts.
#   launcher  Dataflow runs /opt/google/dataflow/python_template_launcher, which runs
#             FLEX_TEMPLATE_PYTHON_PY_FILE with the launch parameters as flags.
#
# Pins (tests/test_deploy_pins.py checks that they agree): every Python package comes from
# deploy/constraints-gpu.txt, the lock of the GPU environment; BEAM_VERSION and the Beam SDK
# image agree with setup.py, so jobs are submitted with the Beam the workers run; the base
# images are pinned by digest (bash deploy/pin_base_images.sh resolves new tags).
#
# CUDA: PyPI's vLLM 0.32.0 and PyTorch 2.13.0 wheels are CUDA 13.0 builds that bring their own
# CUDA libraries; the base image adds the CUDA 13.0 forward-compatibility libraries, which
# synthbeam.worker_boot uses when the host driver is older than R580 (synthbeam/gpu_runtime.py).

ARG PYTHON_VERSION=3.11
ARG BEAM_VERSION=2.77.0
ARG VLLM_VERSION=0.32.0
ARG CUDA_VERSION=13.0
ARG CUDA_BASE_IMAGE=nvidia/cuda:13.0.2-base-ubuntu22.04
ARG BEAM_SDK_IMAGE=apache/beam_python3.11_sdk:2.77.0
ARG LAUNCHER_BASE_IMAGE=gcr.io/dataflow-templates-base/python311-template-launcher-base:flex_templates_base_image_release_20260112_RC00
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.8

# Beam's own SDK image: the source of the worker boot program (/opt/apache/beam).
FROM ${BEAM_SDK_IMAGE} AS beam_sdk
# Google's Flex Template base image: the source of the launcher binary.
FROM ${LAUNCHER_BASE_IMAGE} AS template_launcher
FROM ${UV_IMAGE} AS uv

FROM ${CUDA_BASE_IMAGE} AS synthbeam
ARG PYTHON_VERSION
ARG BEAM_VERSION
ARG VLLM_VERSION
ARG CUDA_VERSION
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

# Every dependency, exactly as locked, in a layer of its own: a code change reuses it.
COPY deploy/constraints-gpu.txt /opt/synthbeam/constraints-gpu.txt
RUN --mount=type=cache,target=/root/.cache/uv \
    uv pip install --python /opt/venv/bin/python --no-deps -r /opt/synthbeam/constraints-gpu.txt \
 && python -c "import apache_beam, vllm, torch; \
assert apache_beam.__version__ == '${BEAM_VERSION}', apache_beam.__version__; \
assert vllm.__version__ == '${VLLM_VERSION}', vllm.__version__; \
assert torch.version.cuda.startswith('${CUDA_VERSION}'), torch.version.cuda"

# FlashInfer's precompiled kernels (flashinfer-cubin, flashinfer-jit-cache) for the installed
# FlashInfer and CUDA, as vLLM's installation guide says: workers then neither download nor
# compile FlashInfer kernels when their server starts.
RUN vllm download-kernels \
 && python -c "from importlib.metadata import version as v; \
assert v('flashinfer-cubin') == v('flashinfer-python'), (v('flashinfer-cubin'), v('flashinfer-python'))"

COPY --from=beam_sdk /opt/apache/beam /opt/apache/beam
COPY --from=template_launcher /opt/google/dataflow/python_template_launcher /opt/google/dataflow/python_template_launcher

# The package itself, last: its dependencies are all in place, so nothing else moves.
WORKDIR /opt/synthbeam/src
COPY setup.py pyproject.toml README.md ./
COPY synthbeam ./synthbeam
RUN uv pip install --python /opt/venv/bin/python --no-deps . \
 && uv pip check --python /opt/venv/bin/python \
 && printf '%s\n' \
    '"""Flex Template entry point: the recipe named by the recipe parameter."""' \
    'from synthbeam.flex_template import main' \
    '' \
    'main()' \
    > /opt/synthbeam/flex_main.py \
 && mkdir -p /opt/synthbeam/models

# The launcher runs this file with the launch parameters as flags. No setup file and no
# requirements file: the job runs the package installed above, on the workers as well.
ENV FLEX_TEMPLATE_PYTHON_PY_FILE=/opt/synthbeam/flex_main.py
# Beam's boot otherwise runs the SDK in a fresh virtualenv made from the base interpreter,
# which would not see the packages installed in /opt/venv above.
ENV RUN_PYTHON_SDK_IN_DEFAULT_ENVIRONMENT=1
# Models are local directories (baked in under /opt/synthbeam/models, or copied from gs://);
# never reach for a model hub or send usage reports from a worker.
ENV HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    VLLM_NO_USAGE_STATS=1 \
    DO_NOT_TRACK=1

WORKDIR /opt/synthbeam
# The image's own reference (deploy/cloudbuild.yaml passes it): the Flex Template's workers run
# the image its launcher ran, unless the launch names another.
ARG SYNTHBEAM_IMAGE_REFERENCE=""
ENV SYNTHBEAM_IMAGE=${SYNTHBEAM_IMAGE_REFERENCE}
# Beam's boot program, with the CUDA forward-compatibility libraries on the library path when
# the host driver needs them; it passes Dataflow's flags on unchanged.
ENTRYPOINT ["/opt/venv/bin/python", "-m", "synthbeam.worker_boot"]
