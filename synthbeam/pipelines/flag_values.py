"""Parsers of flag values that are more than one scalar (no Beam: option checks use them
before any pipeline is loaded)."""

from __future__ import annotations


def split_list(text: str) -> list[str]:
    """A comma-separated flag value as its non-empty, stripped items."""
    return [item.strip() for item in text.split(",") if item.strip()]


def parse_list(text: str, flag: str, allowed: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """``split_list`` for a flag that needs at least one item (from ``allowed``, when given)."""
    values = tuple(split_list(text))
    if not values or (allowed and any(v not in allowed for v in values)):
        choices = f"; choose from {', '.join(allowed)}" if allowed else ""
        raise ValueError(f"--{flag}={text!r} is not a comma-separated list{choices}.")
    return values


def parse_eval_sets(text: str) -> dict[str, str]:
    """``"bfcl=gs://b/bfcl/*.json,mmlu=/data/mmlu.jsonl"`` -> ``{name: pattern}``."""
    sets = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, pattern = item.partition("=")
        if not sep or not name or not pattern:
            raise ValueError(f"--eval_sets item {item!r} must look like name=file_pattern")
        sets[name.strip()] = pattern.strip()
    return sets


def oversample_target(text: str) -> str | int | None:
    """``--oversample``: None when off, ``"max"``, or a per-class row count."""
    if text == "off":
        return None
    if text == "max":
        return text
    if text.isdigit():
        return int(text)
    raise ValueError(f"--oversample={text!r}: use off, max or a number of rows per class")


def parse_mix(text: str, kinds: tuple[str, ...]) -> dict[str, float]:
    """``single=0.3,multiple=0.3`` -> weights; unknown kinds fail with the valid ones named."""
    mix: dict[str, float] = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        kind, _, weight = pair.partition("=")
        if kind not in kinds:
            raise ValueError(f"--kind_mix: unknown kind {kind!r}; use {', '.join(kinds)}")
        mix[kind] = float(weight)
    if not any(w > 0 for w in mix.values()):
        raise ValueError("--kind_mix needs at least one positive weight")
    return mix
