import json
from pathlib import Path

import pytest

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Completion, DeadLetter, Record, Source, stable_id
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
    read_seed_tasks,
    seed_record,
    seed_texts,
    split_numbered,
)

DATA = Path(__file__).parent / "data"

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


def test_alpaca_seed_tasks_load_with_the_first_instance():
    seeds, dead = read_seed_tasks(str(DATA / "seed_tasks_alpaca.jsonl"))
    assert dead == []
    assert seeds == [
        SeedTask(
            "seed_task_0",
            "Is there anything I can eat for a breakfast that doesn't include eggs, yet includes protein, "
            "and has roughly 700-1000 calories?",
            "",
            "Yes, you can have 1 oatmeal banana protein shake and 4 strips of bacon.",
        ),
        SeedTask(
            "seed_task_1",
            "What is the relation between the given pairs?",
            "Night : Day :: Right : Left",
            "The relation between the given pairs is that they are opposites.",
        ),
        SeedTask(
            "seed_task_2",
            "Classify the sentiment of the review.",
            "The pasta was cold and the waiter was rude.",
            "Negative",
        ),
    ]
    assert seeds[1].prompt_text() == "What is the relation between the given pairs?\n\nNight : Day :: Right : Left"


def test_flat_seed_tasks_load_exactly():
    seeds, dead = read_seed_tasks(str(DATA / "seed_tasks_flat.jsonl"))
    assert dead == []
    assert seeds == [
        SeedTask(
            stable_id("Give three tips for staying healthy.", ""),
            "Give three tips for staying healthy.",
            "",
            "Eat vegetables, sleep well and walk every day.",
        ),
        SeedTask(
            stable_id("Translate the sentence into French.", "Good morning, how are you?"),
            "Translate the sentence into French.",
            "Good morning, how are you?",
            "Bonjour, comment allez-vous ?",
        ),
        SeedTask("flat-3", "Name a river in Asia.", "", "The Mekong."),
    ]


def test_seed_lines_in_neither_form_are_dead_letters_naming_the_line():
    path = str(DATA / "seed_tasks_mixed_bad.jsonl")
    seeds, dead = read_seed_tasks(path)
    assert [s.id for s in seeds] == ["ok-1", "ok-2"] and seeds[0].input == "pear, apple, mango"
    assert [(d.stage, d.reason, d.source) for d in dead] == [
        ("read", reasons.INVALID_SEED_TASK, Source(path, 1)),
        ("read", reasons.INVALID_SEED_TASK, Source(path, 2)),
        ("read", reasons.INVALID_SEED_TASK, Source(path, 3)),
        ("read", reasons.INVALID_JSON, Source(path, 4)),
    ]
    assert all(isinstance(d, DeadLetter) and d.payload for d in dead)
    assert "seed_tasks_mixed_bad.jsonl:2: needs a non-empty string" in dead[0].detail
    assert '"instances" must be a non-empty list' in dead[1].detail
    assert '"input" must be a string, not list' in dead[2].detail
    assert load_seed_tasks(path) == seeds


def test_seed_lines_without_id_get_a_content_id_and_a_file_without_seeds_fails(tmp_path):
    assert parse_seed_task('{"instruction": " Add 2 and 3. ", "output": "5"}', "f:1") == SeedTask(
        stable_id("Add 2 and 3.", ""), "Add 2 and 3.", "", "5"
    )
    with pytest.raises(ParseError, match=r"f:2: not JSON") as caught:
        parse_seed_task("{", "f:2")
    assert caught.value.reason == reasons.INVALID_JSON
    with pytest.raises(ParseError, match=r"f:2: a string holds a lone surrogate") as caught:
        parse_seed_task('{"instruction": "Add \\ud800."}', "f:2")
    assert caught.value.reason == reasons.INVALID_TEXT
    with pytest.raises(ParseError, match=r'f:3: needs a non-empty string "instruction"'):
        parse_seed_task('{"prompt": "x"}', "f:3")
    (tmp_path / "bad.jsonl").write_text('{"input": "b"}\n\n')
    with pytest.raises(ValueError, match=r"no seed tasks.*1 unreadable"):
        load_seed_tasks(str(tmp_path / "bad.jsonl"))


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
            "content": "You invent new, diverse tasks that users ask an AI assistant to do. You never answer them. "
            'A task that works on a text, a list or a sentence carries that material in its "input"; '
            'a task that needs none has an empty "input".',
        },
        {
            "role": "user",
            "content": "Example tasks:\n"
            "{\n"
            ' "tasks": [\n'
            '  {"instruction": "Write a haiku about the sea.", "input": ""},\n'
            '  {"instruction": "Translate the sentence into French.", "input": "Good morning."}\n'
            " ]\n"
            "}\n\n"
            "Write 2 new tasks on other topics, in the same JSON format.",
        },
    ]


def test_response_format_asks_for_the_instruction_before_its_input():
    schema = json.loads(SelfInstructGenerate(instructions_per_prompt=2).response_format)
    tasks = schema["properties"]["tasks"]
    assert tasks["maxItems"] == 2 and list(tasks["items"]["properties"]) == ["instruction", "input"]
    assert schema["required"] == ["tasks"] and schema["additionalProperties"] is False
    assert build_request(SelfInstructGenerate(), PROMPT, 0).id == stable_id("self_instruct", "q1")


def test_format_output_is_exact_and_keeps_an_input_only_where_the_instruction_refers_to_one():
    text = json.dumps(
        {
            "tasks": [
                {"instruction": " Name a river in Asia. ", "input": "Create a new app that has"},
                {"instruction": "", "input": ""},
                {"instruction": "1. Sort 3, 1, 2. 2. Define entropy.", "input": "x y"},
                {"instruction": "Summarize the paragraph in one line.", "input": " Bees carry pollen. "},
            ]
        }
    )
    meta = '{"examples": ["s1", "s2"]}'
    contents = [
        "Name a river in Asia.",
        "Sort 3, 1, 2.",
        "Define entropy.",
        "Summarize the paragraph in one line.\n\nBees carry pollen.",
    ]
    assert SelfInstructGenerate().format_output(_completion(text), PROMPT) == [
        Record(
            id=stable_id("self_instruct", "q1", i),
            task="self_instruct",
            messages=[{"role": "user", "content": content}],
            source=Source("seeds.jsonl", 4),
            meta=meta,
        )
        for i, content in enumerate(contents)
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"tasks": []}', reasons.EMPTY),
        ('{"tasks": [{"instruction": "  ", "input": ""}]}', reasons.EMPTY),
        ('{"tasks": ["Write a poem."]}', reasons.PARSE_FAILED),
        ('{"tasks": [{"input": "x"}]}', reasons.PARSE_FAILED),
        ('{"instructions": ["Write a poem."]}', reasons.PARSE_FAILED),
        ('{"tasks": [{"instruction": "a"', reasons.INVALID_JSON),
        ('{"tasks": [{"instruction": "Write \\ud800 a poem."}]}', reasons.INVALID_TEXT),
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
