#!/usr/bin/env bash
# Pins the Dockerfile's base images (its `ARG *_IMAGE=name:tag` lines) to the digests their
# tags point at now, so that a rebuild gets the same bytes until the pins are updated.
#
#   bash deploy/pin_base_images.sh           # resolve every tag, write name:tag@sha256:... back
#   bash deploy/pin_base_images.sh --check   # exit 1 if an image lacks a digest (Cloud Build's first step)
#
# Resolving needs Docker with buildx (`docker buildx imagetools inspect`) and read access to the
# registries (Docker Hub, ghcr.io, gcr.io). To move to a newer tag, edit the tag, drop its
# `@sha256:...` and run this again.
set -euo pipefail

DOCKERFILE="${DOCKERFILE:-$(dirname "$0")/../Dockerfile}"
IMAGE_ARG='^ARG [A-Z_]*_IMAGE='

unpinned() {
  grep -E "${IMAGE_ARG}" "${DOCKERFILE}" | grep -v '@sha256:[0-9a-f]\{64\}$' || true
}

if [[ "${1:-}" == "--check" ]]; then
  missing="$(unpinned)"
  if [[ -n "${missing}" ]]; then
    echo "Base images without a digest in ${DOCKERFILE}:" >&2
    echo "${missing}" >&2
    echo "Run: bash deploy/pin_base_images.sh  (then commit the Dockerfile)" >&2
    exit 1
  fi
  echo "Every base image is pinned by digest."
  exit 0
fi

unpinned | while IFS= read -r line; do
  reference="${line#*=}"
  reference="${reference%%@*}"
  digest="$(docker buildx imagetools inspect "${reference}" --format '{{json .Manifest}}' \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["digest"])')"
  echo "${reference} -> ${digest}"
  sed -i "s|=${reference}\$|=${reference}@${digest}|" "${DOCKERFILE}"
done
