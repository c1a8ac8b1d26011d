import json

import pytest

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Completion, Record, Source, stable_id
from synthbeam.tasks.base import ParseError, build_request
from synthbeam.tasks.self_instruct import (
    BUNDLED_SEED_TASKS,
    SeedTask,
    SelfInstructGenerate,
    SelfInstructPrompt,
    instruction_problem,
    load_seed_tasks,
    parse_seed_task,
    plan_prompts,
    seed_record,
    seed_texts,
    split_numbered,
)

SEEDS = [
    SeedTask("s1", "Write a haiku about the sea."),
    SeedTask("s2", "Translate the sentence into French.", "Good morning.", "Bonjour."),
    SeedTask("s3", "List the planets of the solar system."),
    SeedTask("s4", "Explain what a prime number is."),
    SeedTask("s5", "Suggest a name for a bakery."),
]
PROMPT = SelfInstructPrompt(id="q1", examples=(SEEDS[0], SEEDS[1]), source=Source("seeds.jsonl", 4))


def _completion(text: str) -> Completion:
    return Completion(request_id="r", text=text, finish_reason="stop", model="m", request_hash="h")


def test_bundled_seed_tasks_load():
    seeds = load_seed_tasks(BUNDLED_SEED_TASKS)
    assert len(seeds) == 32 and len({s.id for s in seeds}) == 32
    assert seeds[0] == SeedTask(
        "seed_000",
        "Give three tips for staying healthy.",
        "",
        "1. Eat plenty of vegetables and fruit.\n2. Sleep seven to nine hours a night.\n"
        "3. Walk or exercise for at least 30 minutes a day.",
    )


def test_seed_lines_without_id_get_a_content_id_and_bad_lines_say_where(tmp_path):
    assert parse_seed_task('{"instruction": " Add 2 and 3. ", "output": "5"}', "f:1") == SeedTask(
        stable_id("Add 2 and 3.", ""), "Add 2 and 3.", "", "5"
    )
    with pytest.raises(ValueError, match=r"f:2: not JSON"):
        parse_seed_task("{", "f:2")
    with pytest.raises(ValueError, match=r'f:3: needs a non-empty string "instruction"'):
        parse_seed_task('{"prompt": "x"}', "f:3")
    path = tmp_path / "seeds.jsonl"
    path.write_text('{"instruction": "A."}\n\n{"input": "b"}\n')
    with pytest.raises(ValueError, match=r"seeds.jsonl:3: needs"):
        load_seed_tasks(str(path))
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(ValueError, match="no seed tasks"):
        load_seed_tasks(str(tmp_path / "empty.jsonl"))


def test_prompts_sample_seeds_by_hash_deterministically():
    prompts = plan_prompts(SEEDS, 4, 3, run_seed=0, uri="seeds.jsonl")
    assert prompts == plan_prompts(list(reversed(SEEDS)), 4, 3, run_seed=0, uri="seeds.jsonl")
    assert [p.source for p in prompts] == [Source("seeds.jsonl")] * 4
    assert all(len(p.examples) == 3 and len(set(p.examples)) == 3 for p in prompts)
    assert len({p.examples for p in prompts}) > 1  # different prompts see different examples
    assert [p.id for p in prompts] != [p.id for p in plan_prompts(SEEDS, 4, 3, run_seed=1)]
    assert {p.examples for p in prompts} != {p.examples for p in plan_prompts(SEEDS, 4, 3, run_seed=1)}
    expected = sorted(SEEDS, key=lambda s: stable_id(0, 2, s.id))[:3]
    assert prompts[2].examples == tuple(expected)
    assert len(plan_prompts(SEEDS, 1, 10)[0].examples) == 5
    with pytest.raises(ValueError):
        plan_prompts(SEEDS, 1, 0)


def test_format_input_is_exact():
    assert SelfInstructGenerate(instructions_per_prompt=2).format_input(PROMPT) == [
        {
            "role": "system",
            "content": "You invent new, diverse tasks that users ask an AI assistant to do. You never answer them.",
        },
        {
            "role": "user",
            "content": "Example instructions:\n"
            "{\n"
            ' "instructions": [\n'
            '  "Write a haiku about the sea.",\n'
            '  "Translate the sentence into French.\\n\\nGood morning."\n'
            " ]\n"
            "}\n\n"
            "Write 2 new instructions on other topics, in the same JSON format.",
        },
    ]


def test_response_format_bounds_the_list():
    schema = json.loads(SelfInstructGenerate(instructions_per_prompt=2).response_format)
    assert schema["properties"]["instructions"]["maxItems"] == 2
    assert schema["required"] == ["instructions"] and schema["additionalProperties"] is False
    assert build_request(SelfInstructGenerate(), PROMPT, 0).id == stable_id("self_instruct", "q1")


def test_format_output_is_exact():
    text = json.dumps({"instructions": [" Name a river in Asia. ", "", "1. Sort 3, 1, 2. 2. Define entropy."]})
    meta = '{"examples": ["s1", "s2"]}'
    assert SelfInstructGenerate().format_output(_completion(text), PROMPT) == [
        Record(
            id=stable_id("self_instruct", "q1", i),
            task="self_instruct",
            messages=[{"role": "user", "content": content}],
            source=Source("seeds.jsonl", 4),
            meta=meta,
        )
        for i, content in enumerate(["Name a river in Asia.", "Sort 3, 1, 2.", "Define entropy."])
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"instructions": []}', reasons.EMPTY),
        ('{"instructions": ["  "]}', reasons.EMPTY),
        ('{"instructions": "Write a poem."}', reasons.PARSE_FAILED),
        ('{"instructions": [1]}', reasons.PARSE_FAILED),
        ('{"instructions": ["a"', reasons.PARSE_FAILED),
    ],
)
def test_unparseable_completions_name_their_reason(text, reason):
    with pytest.raises(ParseError) as caught:
        SelfInstructGenerate().format_output(_completion(text), PROMPT)
    assert caught.value.reason == reason


def test_split_numbered():
    assert split_numbered("1. Add 2 and 3. 2) Sort a list.") == ["Add 2 and 3.", "Sort a list."]
    assert split_numbered("3. Write a poem.") == ["Write a poem."]
    assert split_numbered("Convert 5 km to miles. 2. Later") == ["Convert 5 km to miles. 2. Later"]


def test_instruction_problems():
    seeds = seed_texts(SEEDS)

    def row(text: str) -> Record:
        return Record(id="r", task="self_instruct", messages=[{"role": "user", "content": text}])

    assert instruction_problem(row("write a haiku about the sea!"), seeds) == reasons.COPIED_EXAMPLE
    assert (
        instruction_problem(row("Translate the sentence into French.\n\nGood morning."), seeds)
        == reasons.COPIED_EXAMPLE
    )
    assert instruction_problem(row("The moon is bright tonight."), seeds) == reasons.NOT_AN_INSTRUCTION
    assert instruction_problem(row("The moon is bright tonight."), seeds, check_form=False) is None
    assert instruction_problem(row("Use a"), seeds) == reasons.TOO_SHORT
    assert instruction_problem(row("Write a limerick about a fox."), seeds) is None


def test_seed_record():
    assert seed_record(SEEDS[1], "seeds.jsonl", 1) == Record(
        id=stable_id("seed", "s2"),
        task="seed",
        messages=[
            {"role": "user", "content": "Translate the sentence into French.\n\nGood morning."},
            {"role": "assistant", "content": "Bonjour."},
        ],
        source=Source("seeds.jsonl", 1),
    )
