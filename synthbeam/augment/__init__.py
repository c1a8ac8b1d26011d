"""Augmentation logic that needs no model: pure, deterministic functions over records."""
