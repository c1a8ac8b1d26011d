"""Recipes: each module composes transforms into one pipeline and exposes ``run(argv)``."""
