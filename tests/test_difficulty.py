"""Difficulty rules: tests decide, the judge decides only without tests and moves strong disagreements one step."""

from __future__ import annotations

import dataclasses

import pytest

from iterkd_lib.config import DifficultyConfig
from iterkd_lib.stages.levels import assign_levels, level_distribution, question_stats


def fb(task_id, passed, score=None, status=None, lint=None):
    status = status or ("passed" if passed else "failed")
    judge = None if score is None else {"score": score if score != "bad" else None, "parse_ok": score != "bad"}
    return {"task_id": task_id, "sample_index": 0,
            "execution": {"passed": passed, "status": status, "error_type": None},
            "pylint": None if lint is None else {"score": lint, "messages": []}, "judge": judge}


def levels_of(feedback, **kw):
    cfg = dataclasses.replace(DifficultyConfig(), **kw)
    ids = sorted({r["task_id"] for r in feedback})
    return {r["task_id"]: r for r in assign_levels([{"task_id": t} for t in ids], feedback, cfg)}


def test_default_rule_levels_by_pass_rate():
    feedback = [fb("all", True, 4), fb("all", True, 4), fb("half", True, 4), fb("half", False, 3),
                fb("none", False, 3), fb("none", False, 3)]
    lv = levels_of(feedback)
    assert (lv["all"]["level"], lv["half"]["level"], lv["none"]["level"]) == ("easy", "medium", "hard")
    assert lv["half"]["pass_rate"] == pytest.approx(0.5) and lv["half"]["judge_mean"] == pytest.approx(3.5)
    assert "pass rate 1.00 >= easy_min_pass_rate 1" in lv["all"]["reason"]
    assert lv["all"]["settings"]["rule"] == "tests_then_judge"


def test_judge_moves_strong_disagreement_one_step_to_medium():
    lv = levels_of([fb("poor_pass", True, 1.0), fb("near_miss", False, 5.5), fb("plain_fail", False, 3.0)])
    assert lv["poor_pass"]["level"] == "medium" and "one step to medium" in lv["poor_pass"]["reason"]
    assert lv["near_miss"]["level"] == "medium"
    assert lv["plain_fail"]["level"] == "hard"


def test_judge_decides_without_test_results_and_harness_errors_do_not_count():
    lv = levels_of([fb("no_tests", False, 5.5, status="harness_error"), fb("low", False, 1.0, status="harness_error"),
                    fb("nothing", False, None, status="harness_error"), fb("bad_judge", False, "bad",
                                                                           status="harness_error")])
    assert lv["no_tests"]["pass_rate"] is None
    assert lv["no_tests"]["level"] == "easy" and "no test result" in lv["no_tests"]["reason"]
    assert lv["low"]["level"] == "hard"
    assert lv["nothing"]["level"] == "medium" and lv["bad_judge"]["level"] == "medium"
    assert lv["bad_judge"]["judge_mean"] is None


def test_tests_rule_ignores_the_judge_and_judge_rule_ignores_tests():
    feedback = [fb("q", True, 1.0), fb("q", True, 1.0)]
    assert levels_of(feedback, rule="tests")["q"]["level"] == "easy"
    assert levels_of(feedback, rule="judge")["q"]["level"] == "hard"
    assert levels_of(feedback, rule="judge", hard_max_judge=0.5)["q"]["level"] == "medium"


def test_thresholds_are_configurable():
    feedback = [fb("q", True), fb("q", True), fb("q", True), fb("q", False)]
    assert levels_of(feedback)["q"]["level"] == "medium"
    assert levels_of(feedback, easy_min_pass_rate=0.75)["q"]["level"] == "easy"
    assert levels_of(feedback, hard_max_pass_rate=0.8, easy_min_pass_rate=0.9)["q"]["level"] == "hard"


def test_question_without_feedback_is_medium_and_distribution_counts():
    cfg = DifficultyConfig()
    recs = assign_levels([{"task_id": "a"}, {"task_id": "b"}, {"task_id": "c"}],
                         [fb("a", True, lint=8.0), fb("b", False)], cfg)
    assert [r["level"] for r in recs] == ["easy", "hard", "medium"]
    assert recs[0]["pylint_mean"] == 8.0 and recs[2]["n_samples"] == 0
    dist = level_distribution(recs)
    assert dist["easy"] == dist["hard"] == dist["medium"] == 1 and dist["total"] == 3
    assert dist["fractions"]["easy"] == pytest.approx(1 / 3)
    assert level_distribution([])["fractions"]["easy"] is None


def test_stats_count_samples():
    s = question_stats([fb("a", True, 6), fb("a", False, "bad")])["a"]
    assert s["n_samples"] == 2 and s["n_tested"] == 2 and s["n_judged"] == 1 and s["judge_mean"] == 6
