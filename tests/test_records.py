"""Typed records: each round-trips today's JSON exactly and refuses contradictory fields."""

from __future__ import annotations

import pytest

from iterkd_lib.records import (
    CycleSummary,
    Level,
    Question,
    StudentAttempt,
    SummarySettings,
    TeacherAttempt,
    TeacherYield,
)
from iterkd_lib.sandbox import check_completion, execute, run_code
from iterkd_lib.verdicts import ExecutionResult, Judgement

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


def test_run_file_rows_keep_unknown_keys_and_leave_out_absent_ones():
    row = {"task_id": "T/0", "sample_index": 1, "raw": "x", "code": "", "future_key": [1, 2]}
    a = StudentAttempt.from_dict(row)
    assert a.extra == {"future_key": [1, 2]} and "student" in a.absent and a.to_dict() == row
    built = Level(task_id="T/0", level="hard", pass_rate=0.0, n_samples=2, n_tested=2, reason="r").to_dict()
    assert list(built) == ["task_id", "level", "pass_rate", "judge_mean", "pylint_mean", "n_samples", "n_tested",
                           "n_judged", "reason", "settings"]
    assert Level.from_dict(built).to_dict() == built


def test_bad_rows_are_refused_with_the_record_and_key_named():
    with pytest.raises(KeyError, match="TeacherAttempt.*requested"):
        TeacherAttempt.from_dict({"task_id": "T/0"})
    with pytest.raises(ValueError, match="T/0.*'extreme'"):
        Level.from_dict({"task_id": "T/0", "level": "extreme"})
    with pytest.raises(TypeError, match="Question: expected a JSON object"):
        Question.from_dict(["not", "a", "record"])


def test_teacher_attempts_read_their_verdict_typed_and_repairs_keep_their_fields():
    verdict = {"passed": False, "status": "failed", "error_type": "NameError", "message": "", "failed_assertions": [],
               "duration_s": 0.1}
    repair = {"task_id": "T/0", "requested": "repair", "origin": "teacher_repair", "fault_type": None, "raw": "",
              "repair_round": 1, "repair_root": {"origin": "student", "sample_index": 0}, "verdict": verdict,
              "label": "faulty", "consistent": False}
    a = TeacherAttempt.from_dict(repair)
    assert isinstance(a.verdict, ExecutionResult) and a.outcome == "NameError" and a.repair_round == 1
    assert a.to_dict() == repair
    fresh = TeacherAttempt(task_id="T/1", requested="correct").to_dict()   # built in code: no repair keys
    assert "repair_round" not in fresh and fresh["verdict"] is None and fresh["fault_type"] is None


def test_questions_and_cycle_summaries_round_trip():
    accepted = {"task_id": "Gen/c1/0", "prompt": "def g():\n", "parent_level": "easy", "test": "",
                "agreement": {"candidates": 5, "voters": 4, "groups": [3, 1], "largest": 3, "min_agree": 3},
                "teacher_expectations": [{"call": "g()", "expected": "1", "agrees": False}, {"call": "g(2)",
                                                                                            "agrees": None}],
                "candidates": ["def g(): return 1"]}
    q = Question.from_dict(accepted)
    assert q.accepted and q.agreement.largest == 3 and len(q.checked_expectations()) == 1
    assert q.extra == {"candidates": ["def g(): return 1"]} and q.to_dict() == accepted
    rejected = Question.from_dict({"parent_level": "hard", "reason": "no_agreement", "detail": "", "raw": ""})
    assert not rejected.accepted and rejected.agreement is None
    stored = {"time": 1.0, "cycle": 2, "kind": "cycle_summary", "benchmark_pass@1": 0.5,
              "teacher_benchmark_pass@3": 0.9, "benchmark_pass@1_ci": [0.1, 0.9], "levels": {"easy": 2},
              "settings": {"student": "s", "decoding": {"temperature": 0.0}}}
    s = CycleSummary.from_dict(stored)
    assert s.pass_at("benchmark") == 0.5 and s.pass_at("teacher_benchmark", 3) == 0.9 and s.pass_at("held_out") is None
    assert s.extra == {"benchmark_pass@1_ci": [0.1, 0.9]} and s.levels == {"easy": 2}
    assert isinstance(s.settings, SummarySettings) and s.settings.decoding == {"temperature": 0.0}
    assert s.to_dict() == stored


def test_a_stored_none_stays_while_a_built_record_leaves_additive_nones_out():
    y = {"problems": 4, "solved_by_sample": 1, "repair": {"student": {"all": {"attempted": 1, "fixed": 1}},
                                                          "all": {"all": {"attempted": 1, "fixed": 1}}},
         "tokens_per_verified": {"all": 12.5}, "positives": None}
    read = TeacherYield.from_dict(y)
    assert read.to_dict() == y and read.teacher_share is None and read.tokens_per_verified_solution == 12.5
    assert list(read.repair_by_target()) == ["student"]
    assert "positives" not in TeacherYield(problems=4).to_dict()
    summary = CycleSummary.from_dict({"cycle": 1, "kind": "cycle_summary", "teacher_yield": {**y, "positives":
                                                                                            {"teacher_share": 0.5}}})
    assert summary.teacher_yield.teacher_share == 0.5
