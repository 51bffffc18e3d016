"""Tests for iterkd_lib.scoring.decontamination: n-gram contamination checks and ROUGE-L scoring."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from iterkd_lib.scoring import decontamination as dc

SEED_PATH = Path(__file__).resolve().parents[1] / "data" / "seed_problems.jsonl"
NEAR_DUPLICATE_ROUGE = 0.7  # the threshold question regeneration uses


@pytest.fixture(scope="module")
def seeds() -> list[dict]:
    with SEED_PATH.open() as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.fixture(scope="module")
def humaneval() -> dict[str, dict]:
    return {p["task_id"]: p for p in dc.humaneval_problems()}


def test_tokenize_normalises_comments_case_and_doctest_noise():
    text = 'def Foo(x):  # Comment\n    """Grid of \'#\' cells.\n    >>> Foo(2)\n    """\n    return X'
    assert dc.tokenize(text) == ["def", "fn", "(", "x", ")", ":", "grid", "of", "#", "cells", ".",
                                 "fn", "(", "2", ")", "return", "x"]
    assert dc.normalize("  A\n\tB  ") == "a b"


def test_ngrams():
    assert dc.ngrams(["a", "b", "c"], 2) == [("a", "b"), ("b", "c")]
    assert dc.ngrams(["a"], 2) == []
    with pytest.raises(ValueError):
        dc.ngrams(["a"], 0)


def test_overlap_basics():
    index = dc.build_index(["one two three four five"], n=3)
    assert dc.overlap("one two three four five", index) == 1.0
    assert dc.overlap("one two three x y", index) == pytest.approx(1 / 3)
    assert dc.overlap("one two", index) == 0.0  # fewer than n tokens: nothing to compare
    with pytest.raises(ValueError):
        dc.overlap("one two three", index, n=4)


def test_humaneval_index_is_cached():
    assert len(dc.humaneval_problems()) == 164
    assert dc.humaneval_index() is dc.humaneval_index()


def test_no_seed_problem_overlaps_humaneval(seeds, humaneval):
    assert dc.find_contaminated(seeds, humaneval) == []
    index = dc.humaneval_index()
    worst = max(dc.overlap(p[field], index) for p in seeds for field in ("prompt", "canonical_solution"))
    assert worst < dc.DEFAULT_THRESHOLD, worst


def test_seed_prompts_are_not_near_duplicates(seeds, humaneval):
    reference = [p["prompt"] for p in humaneval.values()]
    for p in seeds:
        score, best = dc.max_rouge_l(p["prompt"], reference)
        assert score <= NEAR_DUPLICATE_ROUGE, (p["task_id"], reference[best][:80], score)
    prompts = [p["prompt"] for p in seeds]
    for i, prompt in enumerate(prompts):
        score, j = dc.max_rouge_l(prompt, prompts[i + 1:])
        assert score <= NEAR_DUPLICATE_ROUGE, (seeds[i]["task_id"], seeds[i + 1 + j]["task_id"], score)


def test_verbatim_humaneval_copy_is_detected(humaneval):
    source = humaneval["HumanEval/0"]
    copy = dict(source, task_id="Copy/0")
    found = {item["field"]: item for item in dc.find_contaminated([copy], humaneval)}
    assert set(found) == {"prompt", "canonical_solution"}
    for item in found.values():
        assert item["task_id"] == "Copy/0"
        assert item["overlap"] == 1.0
        assert item["matched_reference"] == "HumanEval/0"


@pytest.mark.parametrize("task_id", ["HumanEval/0", "HumanEval/26", "HumanEval/51", "HumanEval/129"])
def test_renamed_humaneval_prompt_is_detected(humaneval, task_id):
    source = humaneval[task_id]
    renamed = re.sub(rf"\b{source['entry_point']}\b", "solve_task", source["prompt"])
    assert renamed != source["prompt"]
    found = dc.find_contaminated([{"task_id": "Renamed", "prompt": renamed}], humaneval)
    assert [(f["field"], f["matched_reference"]) for f in found] == [("prompt", task_id)]


def test_every_humaneval_prompt_detects_itself(humaneval):
    flagged = dc.find_contaminated(humaneval.values(), humaneval)
    assert {f["task_id"] for f in flagged if f["field"] == "prompt"} == set(humaneval)


def test_rouge_l_properties(seeds):
    assert dc.rouge_l("return a + b", "return a + b") == 1.0
    assert dc.rouge_l("alpha beta gamma", "delta epsilon") == 0.0
    assert dc.rouge_l("", "") == 0.0
    assert dc.rouge_l("a b c d", "a c d e") == pytest.approx(0.75)  # LCS 3 of 4 + 4 tokens
    sample = [p["prompt"] for p in seeds[:12]]
    for a in sample:
        assert dc.rouge_l(a, a) == 1.0
        for b in sample:
            assert dc.rouge_l(a, b) == dc.rouge_l(b, a)
            assert 0.0 <= dc.rouge_l(a, b) <= 1.0


def test_max_rouge_l():
    corpus = ["sort a list of numbers", "reverse the words of a sentence", "sum of a list"]
    score, index = dc.max_rouge_l("reverse words in a sentence", corpus)
    assert index == 1 and 0.5 < score < 1.0
    assert dc.max_rouge_l("anything", []) == (0.0, -1)
