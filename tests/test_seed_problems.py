"""Checks on data/seed_problems.jsonl: record format, coverage of domains and difficulties, and
that every reference solution passes its tests while trivial answers fail them."""

from __future__ import annotations

import ast
import doctest
import importlib.util
import json
from collections import Counter
from pathlib import Path

import pytest

from iterkd_lib.sandbox.execution import check_completions

REPO = Path(__file__).resolve().parents[1]
SEED_PATH = REPO / "data" / "seed_problems.jsonl"
BUILDER_PATH = REPO / "data" / "build_seed_problems.py"

REQUIRED_KEYS = ("task_id", "prompt", "entry_point", "canonical_solution", "test", "domain", "difficulty")
DOMAINS = {
    "strings", "lists", "math", "dicts", "sorting", "recursion", "parsing", "simulation",
    "matrices", "sets", "bit_manipulation", "dates_times", "geometry", "dynamic_programming",
    "search",
}
DIFFICULTIES = {"easy", "medium", "hard"}
# Completions that must never pass: a test suite accepting them checks nothing.
TRIVIAL_COMPLETIONS = ("    return None\n", "    pass\n")
TIMEOUT_S = 5.0


@pytest.fixture(scope="module")
def problems() -> list[dict]:
    with SEED_PATH.open() as f:
        return [json.loads(line) for line in f if line.strip()]


def test_count_and_unique_ids(problems):
    assert len(problems) >= 120
    assert len({p["task_id"] for p in problems}) == len(problems)
    assert len({p["entry_point"] for p in problems}) == len(problems)
    assert [p["task_id"] for p in problems] == [f"Seed/{i}" for i in range(len(problems))]


def test_records_are_well_typed(problems):
    for p in problems:
        assert set(p) == set(REQUIRED_KEYS), p["task_id"]
        assert all(isinstance(p[k], str) and p[k] for k in REQUIRED_KEYS), p["task_id"]
        assert p["domain"] in DOMAINS, p["task_id"]
        assert p["difficulty"] in DIFFICULTIES, p["task_id"]


def test_prompt_and_solution_shape(problems):
    for p in problems:
        tid, prompt, solution = p["task_id"], p["prompt"], p["canonical_solution"]
        assert f"def {p['entry_point']}(" in prompt, tid
        assert prompt.endswith('"""\n'), tid  # HumanEval style: the prompt stops after the docstring
        assert ">>> " in prompt, tid  # at least one doctest-style example
        assert all(line.startswith("    ") for line in solution.splitlines() if line.strip()), tid
        ast.parse(prompt + solution)  # prompt + body is valid Python
        tree = ast.parse(p["test"])
        checks = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "check"]
        assert len(checks) == 1, tid
        assert sum(isinstance(n, ast.Assert) for n in ast.walk(checks[0])) >= 5, tid


def test_domain_and_difficulty_coverage(problems):
    domains = Counter(p["domain"] for p in problems)
    difficulties = Counter(p["difficulty"] for p in problems)
    assert len(domains) >= 10, domains
    assert sum(1 for count in domains.values() if count >= 6) >= 10, domains
    assert set(difficulties) == DIFFICULTIES, difficulties
    # Roughly 40/40/20: no level may shrink to a token presence.
    assert all(count >= 0.15 * len(problems) for count in difficulties.values()), difficulties


def test_docstring_examples_hold(problems):
    # Runs the project's own reference code in-process; only doctest examples, no tests.
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for p in problems:
        namespace: dict = {}
        exec(compile(p["prompt"] + p["canonical_solution"], p["task_id"], "exec"), namespace)  # noqa: S102
        for test in doctest.DocTestFinder().find(namespace[p["entry_point"]], globs=namespace):
            assert runner.run(test, out=lambda _: None).failed == 0, p["task_id"]


def test_reference_passes_and_trivial_answers_fail(problems):
    jobs = [(p, p["canonical_solution"], True) for p in problems]
    jobs += [(p, completion, False) for p in problems for completion in TRIVIAL_COMPLETIONS]
    verdicts = check_completions([(p, c) for p, c, _ in jobs], timeout_s=TIMEOUT_S, workers=2)
    results = [{"passed": v["passed"], "result": f"{v['status']} {v['error_type'] or ''} {v['message'][:120]}"}
               for v in verdicts]
    wrong = [
        f"{p['task_id']} ({p['entry_point']}) completion={completion!r}: {result['result']}"
        for (p, completion, should_pass), result in zip(jobs, results)
        if result["passed"] != should_pass
    ]
    assert not wrong, "\n".join(wrong)


def test_jsonl_is_what_the_builder_produces():
    spec = importlib.util.spec_from_file_location("build_seed_problems", BUILDER_PATH)
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    assert builder.render(builder.build_records()) == SEED_PATH.read_text(), (
        "data/seed_problems.jsonl is stale: run python data/build_seed_problems.py"
    )
