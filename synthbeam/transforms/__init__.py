"""Beam transforms, one module per stage: read, prompt/generate, verify, curate, write."""
