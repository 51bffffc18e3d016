"""Typed records: each round-trips today's JSON exactly and refuses contradictory fields."""

from __future__ import annotations

import pytest

from iterkd_lib.records import ExecutionResult, Judgement
from iterkd_lib.sandbox import check_completion, execute, run_code

PROBLEM = {"task_id": "T/0", "prompt": "def f(x):\n", "entry_point": "f",
           "test": "def check(c):\n    assert c(1) == 2\n    assert c(2) == 4\n"}


def test_sandbox_verdicts_are_typed_and_their_dicts_round_trip():
    ok, bad = execute([(PROBLEM, "    return 2 * x\n"), (PROBLEM, "    return x + 1\n")])
    assert isinstance(ok, ExecutionResult) and ok.passed and ok.status == "passed"
    assert not bad.passed and bad.error_type == "AssertionError" and bad.failed_assertions == ["assert c(2) == 4"]
    stored = check_completion(PROBLEM, "    return x + 1\n")
    assert list(stored) == ["passed", "status", "error_type", "message", "failed_assertions", "duration_s",
                            "failure_details"]
    assert ExecutionResult.from_dict(stored).to_dict() == stored
    before = {k: v for k, v in stored.items() if k != "failure_details"}  # stored before the field existed
    assert ExecutionResult.from_dict(before).to_dict() == before
    plain = run_code("raise KeyError('k')")   # a plain run: no failed_assertions, and where it failed
    assert "failed_assertions" not in plain and plain["stage"] == "program" and plain["error_type"] == "KeyError"
    assert ExecutionResult.from_dict(plain).to_dict() == plain


def test_contradictory_verdicts_are_refused():
    with pytest.raises(ValueError, match="contradicts"):
        ExecutionResult(passed=True, status="failed")
    with pytest.raises(ValueError, match="expected one of"):
        ExecutionResult(passed=False, status="broken")
    with pytest.raises(ValueError, match="contradicts"):
        Judgement(score=None, rules={}, parse_ok=True)


def test_judgements_round_trip_with_and_without_a_retry():
    first = {"score": 4.5, "rules": {"functionality": 2.0, "boundary": 0.5, "coverage": 1.0, "readability": 0.5,
                                     "practices": 0.5}, "analysis": "ok", "parse_ok": True, "problem": None,
             "raw": "...", "tries": 1, "seed": 3, "judge": {"backend": "x"}, "decoding": {"temperature": 0.0}}
    retried = {**{k: v for k, v in first.items() if k not in ("tries", "seed", "judge", "decoding")},
               "first_raw": "???", "tries": 2, "seed": 4, "judge": {}, "decoding": {}}
    for d in (first, retried):
        assert Judgement.from_dict(d).to_dict() == d
        assert list(Judgement.from_dict(d).to_dict()) == list(d)
    assert Judgement.from_dict({"score": None, "rules": {"functionality": None}}).rule_scores() == {}
