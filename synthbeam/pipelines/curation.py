"""The curation flags every recipe honours, read into ``CurationSettings``."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any

from synthbeam.pipelines.options import SynthbeamOptions, oversample_target, parse_eval_sets
from synthbeam.transforms.curate.curate import CurationSettings

CARD_FACTS = ("recipe", "inputs", "model", "seed", "templates")


def card_facts(info: Mapping[str, Any]) -> dict[str, Any]:
    """The run facts the dataset card names; a model given as a path is named by its directory."""
    facts = {key: info[key] for key in CARD_FACTS if key in info}
    if facts.get("model"):
        facts["model"] = posixpath.basename(str(facts["model"]).rstrip("/")) or facts["model"]
    return facts


def curation_settings(
    opts: SynthbeamOptions, pretty_name: str, description: str, info: Mapping[str, Any] | None = None
) -> CurationSettings:
    """The curation flags of ``opts``; ``info`` (``run_info``) names the run on the card."""
    return CurationSettings(
        output=opts.output,
        eval_fraction=opts.eval_fraction,
        near_dup_threshold=opts.near_dup_threshold,
        eval_sets=parse_eval_sets(opts.eval_sets),
        oversample=oversample_target(opts.oversample),
        oversample_max_factor=opts.oversample_max_factor,
        seed=opts.seed,
        pretty_name=pretty_name,
        description=description,
        facts=card_facts(info or {}),
    )
