"""Answer-first instructions (instruction backtranslation): the passage answers, the model asks.

A cleaned span of human-written text (``synthbeam.tasks.spans``) is the response; the model
writes only the one-line request that the span answers, shown a few worked examples drawn
per request from a bundled pool. Several candidates are asked per span; the quality gates
and ``SelectOnePerKey`` choose among them. A small model can carry this: the answer's
quality is the corpus's, and the request is short enough to check.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import random
import re
from dataclasses import dataclass, field

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Completion, Message, Passage, Record, SamplingParams, stable_id
from synthbeam.tasks.base import ParseError
from synthbeam.tasks.spans import AnswerSpan, extract_spans, opening_words
from synthbeam.templates import render_messages, template_fixed_text
from synthbeam.transforms.curate.wording import jaccard, words

EXAMPLES_FILE = "request_examples.jsonl"
EXAMPLES_SHOWN = 3
MODE = "answer_first"
_LABEL_PREFIX = re.compile(r"^\s*(?:question|request|user|q)\s*[:\-]\s*", re.IGNORECASE)


@functools.cache
def request_examples() -> tuple[dict[str, str], ...]:
    """The bundled pool of worked examples: ``{"topic", "answer", "request"}``, none about Python."""
    text = (importlib.resources.files("synthbeam.data") / EXAMPLES_FILE).read_text("utf-8")
    return tuple(json.loads(line) for line in text.splitlines() if line.strip())


@dataclass(frozen=True)
class RequestCandidate:
    """One request to ask for a span (one LLM call); ``index`` tells candidates apart."""

    span: AnswerSpan
    index: int = 0

    @property
    def span_key(self) -> str:
        return f"{self.span.passage.id}/span{self.span.index}"


def candidates_for_passage(
    passage: Passage, spans_per_passage: int, candidates_per_span: int
) -> list[RequestCandidate]:
    """``candidates_per_span`` requests for each of the passage's best ``spans_per_passage`` spans."""
    return [
        RequestCandidate(span, i)
        for span in extract_spans(passage, max_spans=spans_per_passage)
        for i in range(candidates_per_span)
    ]


def examples_for(item_id: str, pool: tuple[dict[str, str], ...], k: int = EXAMPLES_SHOWN) -> list[dict[str, str]]:
    """``k`` examples drawn from ``pool`` by the item's hash: every request sees its own few."""
    rng = random.Random(int(stable_id("examples", item_id)[:12], 16))
    return rng.sample(list(pool), min(k, len(pool)))


def request_label(request: str) -> str:
    """What kind of request it is, from its opening words: factual, explanation, how_to, summary."""
    tokens = words(request)[:2]
    first = tokens[0] if tokens else ""
    if first == "how":
        return "how_to" if tokens[1:] in (["do"], ["can"], ["to"], ["should"], ["would"]) else "explanation"
    if first in ("why", "explain", "describe"):
        return "explanation"
    if first in ("summarize", "summarise", "outline"):
        return "summary"
    return "factual"


def clean_request(text: str) -> str:
    """The first line, without a "Question:" label or wrapping quotes."""
    line = next((ln for ln in text.strip().splitlines() if ln.strip()), "")
    line = _LABEL_PREFIX.sub("", line).strip()
    if len(line) >= 2 and line[0] == line[-1] and line[0] in "\"'`":
        line = line[1:-1].strip()
    return line


def copies_example(request: str, pool: tuple[dict[str, str], ...]) -> bool:
    return any(jaccard(request, example["request"]) >= 0.7 for example in pool)


@dataclass(frozen=True)
class RequestForAnswer:
    """GenerationTask: ``RequestCandidate`` -> one row whose response is the span."""

    sampling: SamplingParams = field(
        default_factory=lambda: SamplingParams(temperature=0.8, top_p=0.95, max_tokens=48, stop=("\n",))
    )
    name: str = "instruction"
    template: str = "request_for_answer.jinja2"
    response_format: str = ""

    def item_id(self, item: RequestCandidate) -> str:
        return f"{item.span_key}/{item.index}"

    def format_input(self, item: RequestCandidate) -> list[Message]:
        examples = examples_for(self.item_id(item), request_examples())
        return render_messages(self.template, examples=examples, topic=item.span.topic, answer=item.span.text)

    def format_output(self, completion: Completion, item: RequestCandidate) -> list[Record]:
        request = clean_request(completion.text)
        if not request:
            raise ParseError(reasons.EMPTY, "no request in the completion")
        if copies_example(request, request_examples()):
            raise ParseError(reasons.COPIED_EXAMPLE, request[:200])
        meta = {
            "mode": MODE,
            "passage": item.span.passage.text,
            "topic": item.span.topic,
            "focus": opening_words(item.span.text),
            "span": item.span_key,
        }
        return [
            Record(
                id=stable_id(self.name, self.item_id(item)),
                task=self.name,
                messages=[{"role": "user", "content": request}, {"role": "assistant", "content": item.span.text}],
                label=request_label(request),
                source=item.span.passage.source,
                meta=json.dumps(meta, sort_keys=True, ensure_ascii=False),
            )
        ]

    def prompt_texts(self) -> list[str]:
        """The fixed wording the model is shown (for the prompt-echo gate)."""
        pool = [f"{e['topic']} {e['answer']} {e['request']}" for e in request_examples()]
        return [template_fixed_text(self.template), *pool]
