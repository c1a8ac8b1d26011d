"""The flags recipes share, in groups, and the parsers of their values (no Beam: the command
line reads them for ``--help`` and option errors without loading a pipeline).

Each recipe honours some groups (``catalog``): a flag of a group it does not honour is an
error, never silently ignored. ``options.SynthbeamOptions`` gives Beam every shared flag.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from synthbeam.data.corpus import DEFAULT_CORPUS_URI
from synthbeam.llm.config import DEFAULT_MAX_ATTEMPTS, DEFAULT_REQUEST_TIMEOUT_S


@dataclass(frozen=True)
class Flag:
    """One ``--name`` flag: a switch, or a value with a type, default and choices."""

    name: str
    help: str
    default: Any = ""
    type: type | None = None
    choices: tuple[str, ...] | None = None
    switch: bool = False

    def add_to(self, parser: Any, help_text: str | None = None, metavar: str | None = None) -> argparse.Action:
        """Adds the flag to an argparse parser or argument group (``help_text`` and
        ``metavar`` replace the help and the value's name shown)."""
        text = self.help if help_text is None else help_text
        if self.switch:
            return parser.add_argument(f"--{self.name}", action="store_true", help=text)
        kwargs: dict[str, Any] = {"default": self.default, "help": text}
        if metavar is not None:
            kwargs["metavar"] = metavar
        if self.type is not None:
            kwargs["type"] = self.type
        if self.choices:
            kwargs["choices"] = self.choices
        return parser.add_argument(f"--{self.name}", **kwargs)


@dataclass(frozen=True)
class FlagGroup:
    name: str
    title: str
    flags: tuple[Flag, ...]


LIMIT = Flag(
    "limit",
    "Use at most this many input items (0 = all): a deterministic sample spread over the input.",
    0,
    int,
)

CORPUS = FlagGroup(
    "corpus",
    "corpus (the passages read)",
    (
        Flag(
            "input",
            "Corpus file pattern(s), comma separated: local or gs://, .jsonl/.txt/.parquet. "
            "Default: the bundled Python reference-documentation corpus.",
            DEFAULT_CORPUS_URI,
        ),
        Flag("text_field", "JSONL/Parquet column holding the text.", "text"),
        LIMIT,
        Flag("max_chars", "Passages longer than this are chunked.", 1500, int),
    ),
)

ROWS = FlagGroup(
    "rows",
    "input rows",
    (
        Flag(
            "input",
            "Row file pattern(s), comma separated, local or gs://: rows written by a recipe, chat-format or "
            "instruction-format JSONL/Parquet. Default: the bundled seed tasks.",
            DEFAULT_CORPUS_URI,
        ),
        LIMIT,
    ),
)

RUN = FlagGroup(
    "run",
    "output and run",
    (
        Flag(
            "output",
            "Output directory (local or gs://): Parquet shards per split, rejects, dead letters, manifest.json, "
            "README.md, run.log.",
            "out/instructions",
        ),
        Flag(
            "overwrite",
            "Replace the run already in --output (its files go when this run publishes; the response cache stays). "
            "Without it such an output is refused.",
            switch=True,
        ),
        Flag(
            "run_date",
            "Write into OUTPUT/run_date=YYYY-MM-DD/ (a date or 'today' in UTC) for scheduled runs: the response "
            "cache defaults to OUTPUT/_llm_cache, --run_id to --job_name, and a rerun of that date replaces its "
            "partition from the cache. Default: no partition (Flex Template launches: today).",
            "",
        ),
        Flag("seed", "Run seed: every request's seed derives from it and the record id.", 0, int),
        Flag("run_id", "Identifier recorded in the manifest (default: random).", ""),
    ),
)

LLM = FlagGroup(
    "llm",
    "LLM server and client",
    (
        Flag(
            "model",
            "Model to serve: a local HF directory or a gs:// path to one (with --llm_endpoint: the same model's "
            "directory, used for its tokenizer). Default: the bundled SmolLM2-135M-Instruct, prepared offline.",
            "",
        ),
        Flag(
            "llm_endpoint",
            "URL of an already-running OpenAI-compatible vLLM server (e.g. http://10.0.0.5:8000). "
            "When set, no server is started.",
            "",
        ),
        Flag("served_model_name", "Model name the endpoint serves (default: asked from its /v1/models).", ""),
        Flag(
            "max_in_flight",
            "Concurrent requests per worker; match the server's max_num_seqs (vLLM's default is 256) "
            "to keep its scheduler full.",
            256,
            int,
        ),
        Flag(
            "max_model_len",
            "Context length the managed server is started with; longer prompts are dead-lettered as context_length.",
            2048,
            int,
        ),
        Flag(
            "request_timeout_s",
            "Seconds the LLM server may answer no request at all before those in flight are abandoned and retried "
            "(a slow server that keeps answering never times out). Counted as llm_requests.timeouts in the manifest.",
            DEFAULT_REQUEST_TIMEOUT_S,
            float,
        ),
        Flag(
            "max_attempts",
            "HTTP attempts per LLM request, the first included, before it is dead-lettered "
            "(llm_gave_up, invalid_response).",
            DEFAULT_MAX_ATTEMPTS,
            int,
        ),
        Flag(
            "max_requests_per_s",
            "HTTP requests each worker process starts per second at most, retries included (0 = no limit): "
            "its share of a server many workers call.",
            0.0,
            float,
        ),
        Flag(
            "adaptive_throttle",
            "on: narrow the in-flight window while the LLM server rejects work (429/503), "
            "as Beam's AdaptiveThrottler does.",
            "on",
            choices=("on", "off"),
        ),
        Flag(
            "cache_root",
            "Response cache directory (local or gs://). Reruns answer from it. Default: "
            "~/.cache/synthbeam/responses, or OUTPUT/_llm_cache for gs:// outputs. 'none' disables it.",
            "",
        ),
        Flag(
            "gpu_hour_price",
            "US dollars per GPU-hour of the LLM server: prices the manifest's and the card's cost per 1,000 kept "
            "rows (0: not priced).",
            0.0,
            float,
        ),
        Flag(
            "tokens_per_s",
            "Output tokens per second the server writes, for --gpu_hour_price (0: measured in this run, output "
            "tokens over the seconds the server was busy).",
            0.0,
            float,
        ),
    ),
)

JUDGE = FlagGroup(
    "judge",
    "LLM judge",
    (
        Flag(
            "judge",
            "Run the LLM judge, an extra filter after the deterministic gates. auto: only when --judge_model or "
            "--judge_endpoint names a judge (a model as small as the bundled one cannot judge).",
            "auto",
            choices=("auto", "on", "off"),
        ),
        Flag(
            "judge_model",
            "Model the LLM judge uses: a local HF directory or gs:// copy, served by its own managed server (with "
            "--judge_endpoint: that model's directory, used for its tokenizer). Default: the generator's model.",
            "",
        ),
        Flag(
            "judge_endpoint",
            "URL of an already-running OpenAI-compatible server for the LLM judge (e.g. a stronger model than the "
            "generator's). Default: the generator's server.",
            "",
        ),
    ),
)

ANSWERS = FlagGroup(
    "answers",
    "answers",
    (Flag("max_answer_tokens", "max_tokens of each answer the model writes.", 256, int),),
)

FILTERS = FlagGroup(
    "filters",
    "response filters",
    (
        Flag("min_response_chars", "Shorter responses are filtered as too_short.", 20, int),
        Flag("max_response_chars", "Longer responses are filtered as too_long.", 4000, int),
    ),
)

CURATION = FlagGroup(
    "curation",
    "curation (dedup, decontamination, split, oversampling)",
    (
        Flag("eval_fraction", "Share of rows in the eval split (stratified by label, by id hash).", 0.1, float),
        Flag(
            "near_dup_threshold",
            "MinHash LSH Jaccard threshold for near-duplicate removal (5-word shingles, 128 hash values).",
            0.8,
            float,
        ),
        Flag(
            "eval_sets",
            "Evaluation sets to decontaminate against: name=file_pattern pairs, comma separated (13-gram overlap "
            "drops a row as contaminated:<name>).",
            "",
        ),
        Flag(
            "oversample",
            "Balance classes of the label column before the split: 'off', 'max' (up to the largest class) or a "
            "number of rows per class.",
            "off",
        ),
        Flag(
            "oversample_max_factor",
            "No row is repeated more than this many times when oversampling (augmented variants are used first).",
            3.0,
            float,
        ),
    ),
)

GROUPS: dict[str, FlagGroup] = {g.name: g for g in (CORPUS, ROWS, RUN, LLM, JUDGE, ANSWERS, FILTERS, CURATION)}


def shared_flags() -> list[Flag]:
    """Every shared flag once (the first group that defines it wins)."""
    seen: dict[str, Flag] = {}
    for group in GROUPS.values():
        for flag in group.flags:
            seen.setdefault(flag.name, flag)
    return list(seen.values())
