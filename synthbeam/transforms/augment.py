"""Derived rows: EDA variants, paraphrases, evolved instructions, follow-up turns.

Every derived row points at the row it came from (``lineage.parent_id``) and says how it
was made (``lineage.augmentation``). ``AugmentEDA`` needs no model; the other transforms
chain ``GenerateRecords`` calls (write the new user turn, then answer it where needed) and
return ``StageOutputs`` whose ``rejected`` and ``dead_letter`` gather every step's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import apache_beam as beam
from apache_beam.metrics import Metrics

from synthbeam.augment.eda import OPS, bundled_synonyms, eda_variants, resolve_op
from synthbeam.llm.config import LLMConfig
from synthbeam.schemas import reasons
from synthbeam.schemas.record import Record, SamplingParams
from synthbeam.tasks.answer import AnswerInstruction, has_instruction
from synthbeam.tasks.evol import MODES, EvolInstruction, round_mode
from synthbeam.tasks.multi_turn import TASK as MULTI_TURN
from synthbeam.tasks.multi_turn import FollowUpQuestion, is_single_turn
from synthbeam.tasks.paraphrase import ParaphraseInstruction, paraphrase_items
from synthbeam.tasks.self_instruct import instruction_problem
from synthbeam.transforms.checks import Drop, RecordFilter
from synthbeam.transforms.curate.filters import ApplyFilters
from synthbeam.transforms.generate_records import GenerateRecords
from synthbeam.transforms.outputs import StageOutputs

SELECT = "select"  # the counters' namespace of rows skipped, not rejected
NOT_SINGLE_TURN = "not_single_turn"


class HasInstruction(RecordFilter):
    """Rows with a non-empty user turn, what every rewrite starts from."""

    name = "has_instruction"

    def __call__(self, record: Record) -> Record | Drop:
        return record if has_instruction(record) else Drop(reasons.NO_INSTRUCTION)


class NovelInstruction(RecordFilter):
    """Generated instructions that copy no seed task and read as an instruction.

    ``seeds`` are ``seed_texts(...)`` of the seed tasks the prompts showed.
    """

    name = "novel_instruction"

    def __init__(self, seeds: frozenset[str], check_form: bool = True) -> None:
        self.seeds, self.check_form = seeds, check_form

    def __call__(self, record: Record) -> Record | Drop:
        problem = instruction_problem(record, self.seeds, self.check_form)
        return record if problem is None else Drop(problem)


class SingleTurn(RecordFilter):
    """Rows of one user turn and one answer, what a follow-up question extends."""

    name = "single_turn"

    def __call__(self, record: Record) -> Record | Drop:
        return record if is_single_turn(record) else Drop(NOT_SINGLE_TURN)


def selected(records: beam.PCollection, label: str, check: RecordFilter) -> beam.PCollection:
    """The rows ``check`` keeps; the others are not consumed (callers keep them), only
    counted (``select/<reason>``)."""
    return (records | label >> ApplyFilters([check], stage=SELECT)).main


class AugmentEDAFn(beam.DoFn):
    """Record -> the record itself, then its EDA variants."""

    def __init__(self, ops: tuple[str, ...], n_per_row: int, alpha: float, seed: int, roles: tuple[str, ...]) -> None:
        self._args = (ops, n_per_row, alpha, seed, roles)
        self._variants = Metrics.counter("augment", "eda_variants")
        self._unchanged = Metrics.counter("augment", "eda_unchanged")

    def setup(self) -> None:
        self._synonyms = bundled_synonyms()

    def process(self, record: Record) -> Iterator[Record]:
        ops, n_per_row, alpha, seed, roles = self._args
        yield record
        variants = eda_variants(record, ops, n_per_row, alpha, seed, roles, self._synonyms)
        self._variants.inc(len(variants))
        self._unchanged.inc(n_per_row - len(variants))
        yield from variants


class AugmentEDA(beam.PTransform):
    """Adds EDA variants (synonym replacement, random insertion, swap, deletion) of each row.

    Input: PCollection[Record]. Output: PCollection[Record]: every input row, then up to
    ``n_per_row`` variants each (variant ``i`` by ``ops[i % len(ops)]``, ids and edits
    seeded from the parent id and ``seed``). A variant identical to its parent is not
    emitted (counter ``augment/eda_unchanged``). No network or model is used.

    Args:
        ops: EDA ops (``synonym_replacement``, ``random_insertion``, ``random_swap``,
            ``random_deletion``, or ``sr``/``ri``/``rs``/``rd``), used in turn.
        n_per_row: Variants asked for per row.
        alpha: Share of words an op changes (at least one); the deletion probability
            for ``random_deletion``.
        seed: Run seed; with the row id it decides every edit and variant id.
        roles: Roles of the turns that are changed (default: the user turns).
    """

    def __init__(
        self,
        ops: tuple[str, ...] = OPS,
        n_per_row: int = 4,
        alpha: float = 0.1,
        seed: int = 0,
        roles: tuple[str, ...] = ("user",),
    ) -> None:
        super().__init__()
        if not ops:
            raise ValueError(f"AugmentEDA needs at least one op from {', '.join(OPS)}.")
        if n_per_row < 0 or not 0.0 < alpha <= 1.0:
            raise ValueError(f"AugmentEDA: n_per_row={n_per_row} must be >= 0 and alpha={alpha} in (0, 1].")
        self._fn = AugmentEDAFn(tuple(resolve_op(op) for op in ops), n_per_row, alpha, seed, tuple(roles))

    def expand(self, records: beam.PCollection) -> beam.PCollection:
        return records | "Variants" >> beam.ParDo(self._fn)


def merge(label: str, outputs: list[StageOutputs], main: beam.PCollection | None = None) -> StageOutputs:
    """One ``StageOutputs`` from several steps: ``main`` (default: the last step's) plus all rejects."""
    rejected = tuple(o.rejected for o in outputs) | f"{label}Rejected" >> beam.Flatten()
    dead = tuple(o.dead_letter for o in outputs) | f"{label}DeadLetters" >> beam.Flatten()
    return StageOutputs(outputs[-1].main if main is None else main, rejected, dead)


class RequestOutputs(NamedTuple):
    """``StageOutputs`` plus one element per request the stage made (for the run's accounting)."""

    main: beam.PCollection
    rejected: beam.PCollection
    dead_letter: beam.PCollection
    requests: beam.PCollection


class ParaphraseInstructions(beam.PTransform):
    """LLM paraphrases of each row's first instruction, answers kept.

    Input: PCollection[Record]. Output: ``RequestOutputs``: ``main`` the variants only
    (``augmentation="paraphrase"``, parent pointer), ``rejected`` (unusable paraphrases,
    raw completion kept), ``dead_letter`` (requests the model could not answer),
    ``requests`` (one element per paraphrase asked for). Rows
    without a user turn are skipped (counter ``select/no_instruction``); callers keep them.

    Args:
        llm_config: Where the model is served.
        per_row: Paraphrases per row, each its own request.
        run_seed: Run seed; request seeds derive from it and the row id.
    """

    def __init__(self, llm_config: LLMConfig, per_row: int = 1, run_seed: int = 0) -> None:
        super().__init__()
        self._config, self._per_row, self._seed = llm_config, per_row, run_seed

    def expand(self, records: beam.PCollection) -> RequestOutputs:
        usable = selected(records, "HasInstruction", HasInstruction())
        items = usable | "Variants" >> beam.FlatMap(paraphrase_items, self._per_row)
        paraphrased = items | "Paraphrase" >> GenerateRecords(ParaphraseInstruction(), self._config, self._seed)
        return RequestOutputs(*paraphrased, items)


class ExtendConversations(beam.PTransform):
    """Single-turn rows -> four-turn rows: a follow-up question and its answer.

    Input: PCollection[Record]. Output: ``RequestOutputs``: ``main`` new ``multi_turn`` rows
    pointing at their parents, ``rejected``, ``dead_letter``, ``requests`` (the rows
    extended, one per conversation asked for). Rows that are not one
    user turn and one answer are skipped (counter ``select/not_single_turn``): they are
    not consumed, callers keep them.

    Args:
        llm_config: Where the model is served.
        run_seed: Run seed; request seeds derive from it and the row id.
        answer_max_tokens: ``max_tokens`` of the answer to the follow-up.
    """

    def __init__(self, llm_config: LLMConfig, run_seed: int = 0, answer_max_tokens: int = 256) -> None:
        super().__init__()
        self._config, self._seed = llm_config, run_seed
        self._answer = AnswerInstruction(MULTI_TURN, sampling=SamplingParams(max_tokens=answer_max_tokens))

    def expand(self, records: beam.PCollection) -> RequestOutputs:
        single = selected(records, "SingleTurn", SingleTurn())
        asked = single | "FollowUp" >> GenerateRecords(FollowUpQuestion(), self._config, self._seed)
        answered = asked.main | "Answer" >> GenerateRecords(self._answer, self._config, self._seed)
        return RequestOutputs(*merge("All", [asked, answered]), single)


class EvolveInstructions(beam.PTransform):
    """Evol-instruct: instructions rewritten into harder ones, round after round, then answered.

    Round 1 rewrites each row once per mode; each later round rewrites every rewrite of the
    round before once more, in one mode picked by hashing its id (as WizardLM evolves an
    instruction several times). Every round's rewrites are kept.

    Input: PCollection[Record]. Output: ``RequestOutputs``: ``main`` ``evol_instruct`` rows
    (``augmentation="evol:<mode>[><mode>...]"``, ``parent_id`` the row it was rewritten
    from; answered unless ``answer=False``), ``rejected`` (rows without an instruction,
    rewrites eliminated with a reason code, unparseable answers), ``dead_letter``, and
    ``requests`` (one element per rewrite asked for, plus one per row without instruction).

    Args:
        llm_config: Where the model is served.
        modes: Evolution modes (``synthbeam.tasks.evol.MODES``).
        run_seed: Run seed; request seeds derive from it and the row id.
        answer: Whether to answer the evolved instructions (False: one-turn rows).
        answer_max_tokens: ``max_tokens`` of each answer.
        rounds: Evolution rounds (1: one rewrite per row and mode).
    """

    def __init__(
        self,
        llm_config: LLMConfig,
        modes: tuple[str, ...] = MODES[:3],
        run_seed: int = 0,
        answer: bool = True,
        answer_max_tokens: int = 256,
        rounds: int = 1,
    ) -> None:
        super().__init__()
        if rounds < 1:
            raise ValueError(f"rounds={rounds} must be >= 1.")
        self._tasks = [EvolInstruction(mode) for mode in modes]  # bad modes fail here
        self._config, self._seed, self._rounds = llm_config, run_seed, rounds
        sampling = SamplingParams(max_tokens=answer_max_tokens)
        self._answer = AnswerInstruction("evol_instruct", sampling=sampling) if answer else None

    def expand(self, records: beam.PCollection) -> RequestOutputs:
        usable = records | "SelectInstructions" >> ApplyFilters([HasInstruction()])
        empty = records.pipeline | "NoDeadLetters" >> beam.Create([])
        steps, evolved = [StageOutputs(usable.main, usable.rejected, empty)], []
        n = len(self._tasks)
        requests = [usable.rejected, usable.main | "Round1Requests" >> beam.FlatMap(lambda r: [r.id] * n)]
        for task in self._tasks:
            steps.append(usable.main | f"Evolve_{task.mode}" >> GenerateRecords(task, self._config, self._seed))
        evolved.append(tuple(s.main for s in steps[1:]) | "Round1" >> beam.Flatten())
        modes = [task.mode for task in self._tasks]
        for r in range(2, self._rounds + 1):
            parts = evolved[-1] | f"Round{r}Modes" >> beam.Partition(
                lambda row, _, r=r: modes.index(round_mode(row.id, r, modes)), n
            )
            outs = [
                parts[i] | f"Round{r}_{t.mode}" >> GenerateRecords(t, self._config, self._seed)
                for i, t in enumerate(self._tasks)
            ]
            steps += outs
            requests.append(evolved[-1])
            evolved.append(tuple(o.main for o in outs) | f"Round{r}" >> beam.Flatten())
        all_evolved = tuple(evolved) | "AllRounds" >> beam.Flatten()
        all_requests = tuple(requests) | "AllRequests" >> beam.Flatten()
        if self._answer is not None:
            steps.append(all_evolved | "Answer" >> GenerateRecords(self._answer, self._config, self._seed))
            return RequestOutputs(*merge("All", steps), all_requests)
        return RequestOutputs(*merge("All", steps, main=all_evolved), all_requests)
