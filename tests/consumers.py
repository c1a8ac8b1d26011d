"""What trainers and leaderboards do with our outputs, done with their own code.

- Hugging Face ``datasets`` loads the Parquet shards; ``transformers`` renders each row with
  real tool-aware chat templates (``tests/data/chat_templates``); TRL's ``SFTTrainer``
  prepares the rows to token ids with the bundled tokenizer.
- BFCL's own package (``bfcl-eval``) loads an exported category through its loader and scores
  each entry's ground-truth calls with its AST checker.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

TEMPLATES = Path(__file__).parent / "data" / "chat_templates"
CHAT_TEMPLATES = sorted(TEMPLATES.glob("*.jinja"))


def load_rows(data_files: list[str], cache_dir: str) -> Any:
    """The rows as a ``datasets.Dataset``, loaded as a user loads them (JSON columns decoded)."""
    import datasets

    return datasets.load_dataset("parquet", data_files=data_files, split="train", cache_dir=cache_dir)


def _calls(row: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (call["function"]["name"], json.dumps(call["function"]["arguments"], ensure_ascii=False))
        for message in row["messages"]
        for call in message.get("tool_calls") or []
    ]


def check_chat_templates(rows: Any, model_dir: str) -> int:
    """Renders every row with every template; each call once, arguments as an object.

    Returns the number of tool calls seen (so that callers can assert some were checked).
    """
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    seen = 0
    for path in CHAT_TEMPLATES:
        template = path.read_text()
        for row in rows:
            assert all(None not in m.values() for m in row["messages"]), row["messages"]
            text = tokenizer.apply_chat_template(
                row["messages"], tools=row["tools"] or None, chat_template=template, tokenize=False
            )
            assert '"arguments": "' not in text, (path.name, text)
            for (name, arguments), n in Counter(_calls(row)).items():
                assert isinstance(json.loads(arguments), dict), arguments
                assert text.count(arguments) == n, (path.name, name, arguments, text)
                seen += n
    return seen


def check_trl_preparation(rows: Any, model_dir: str, work_dir: str) -> None:
    """TRL's SFT dataset preparation takes the loaded rows as they are, with each template."""
    from transformers import AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    if not len(rows):
        return
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    dataset = rows.select_columns(["messages", "tools"])
    for path in CHAT_TEMPLATES:
        config = SFTConfig(
            output_dir=os.path.join(work_dir, path.stem), report_to=[], chat_template_path=str(path), use_cpu=True
        )
        trainer = SFTTrainer(model=model_dir, args=config, train_dataset=dataset, processing_class=tokenizer)
        prepared = trainer.train_dataset
        assert prepared.num_rows == len(rows), (path.name, prepared.num_rows, len(rows))
        for row, ids in zip(rows, prepared["input_ids"], strict=True):
            text = tokenizer.decode(ids)
            assert row["messages"][0]["content"][:40] in text, (path.name, text)
            assert '"arguments": "' not in text


def bfcl_modules() -> Any:
    """``bfcl_eval``'s loader and checker modules (its work files kept out of site-packages)."""
    os.environ.setdefault("BFCL_PROJECT_ROOT", tempfile.mkdtemp(prefix="bfcl-"))
    from bfcl_eval import utils
    from bfcl_eval.constants import category_mapping
    from bfcl_eval.constants.enums import Language
    from bfcl_eval.eval_checker.ast_eval import ast_checker

    return utils, category_mapping, Language, ast_checker


BFCL_MODEL = "gorilla-openfunctions-v2"  # a model the checker knows that keeps "." in function names


def bfcl_categories(export_dir: str, monkeypatch: Any) -> dict[str, tuple[list[dict], list[dict]]]:
    """Every exported category loaded with BFCL's own loader: ``{category: (questions, answers)}``."""
    utils, _, _, _ = bfcl_modules()
    monkeypatch.setattr(utils, "PROMPT_PATH", Path(export_dir))
    monkeypatch.setattr(utils, "POSSIBLE_ANSWER_PATH", Path(export_dir) / "possible_answer")
    loaded = {}
    for path in sorted(Path(export_dir).glob("*.json")):
        category = utils.extract_test_category(path)
        questions = utils.load_dataset_entry(category, include_language_specific_hint=False)
        assert [q["id"] for q in questions] == [q["id"] for q in utils.load_file(path, sort_by_id=True)]
        answers = [] if utils.is_relevance_or_irrelevance(category) else utils.load_ground_truth_entry(category)
        loaded[category] = (questions, answers)
    return loaded


def bfcl_check(question: dict, answer: dict, calls: list[dict[str, dict]], category: str) -> dict:
    """BFCL's AST checker on ``calls`` (``[{name: {arg: value}}]``) against the ground truth."""
    _, _, language, ast_checker = bfcl_modules()
    return ast_checker.ast_checker(
        question["function"], calls, answer["ground_truth"], language.PYTHON, category, BFCL_MODEL
    )


def ground_truth_calls(answer: dict) -> list[dict[str, dict]]:
    """The calls the ground truth describes, each argument at its first acceptable value."""
    return [
        {name: {arg: _first(values) for arg, values in args.items() if _first(values) != ""}}
        for call in answer["ground_truth"]
        for name, args in call.items()
    ]


def _first(values: list[Any]) -> Any:
    value = values[0]
    if isinstance(value, dict):
        return {k: _first(v) for k, v in value.items()}
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return [{k: _first(v) for k, v in item.items()} for item in value]
    return value


def check_bfcl_export(export_dir: str, monkeypatch: Any) -> int:
    """Loads every exported category with BFCL and scores each row's own calls: all valid.

    Returns the number of entries checked.
    """
    checked = 0
    for category, (questions, answers) in bfcl_categories(export_dir, monkeypatch).items():
        assert questions and all(q["id"].rsplit("_", 1)[0] == category for q in questions)
        if "irrelevance" in category:  # scored by BFCL as "no call made": no ground truth
            assert answers == []
        else:
            for question, answer in zip(questions, answers, strict=True):
                assert answer["id"] == question["id"]
                result = bfcl_check(question, answer, ground_truth_calls(answer), category)
                assert result["valid"], (question, answer, result)
        checked += len(questions)
    return checked


CURATION_STAGES = ("dedup_exact", "dedup_near", "decontaminate", "oversample")


def check_curation_tail(manifest: dict, output: str) -> None:
    """Every recipe ends with the same curation tail: its stages show in the manifest (zero
    counts allowed) and the output has a dataset card."""
    counts = manifest["counts"]
    assert all(f"kept/{stage}" in counts for stage in CURATION_STAGES), counts
    card = (Path(output) / "README.md").read_text()
    assert card.startswith("---\n") and "configs:" in card
