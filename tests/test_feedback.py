"""Stage II: attempts, feedback records with every view (real sandbox, real pylint), judge-vs-tests agreement."""

from __future__ import annotations

import pytest

from iterkd_lib.config import IterKDConfig
from iterkd_lib.stages.feedback import collect_feedback, feedback_summary, judge_test_agreement
from iterkd_lib.stages.student_attempts import student_attempts

PROBLEM = {
    "task_id": "T/median", "entry_point": "median",
    "prompt": 'def median(xs: list) -> float:\n    """Return the median of the numbers in xs (mean of the two middle '
              'ones when len(xs) is even)."""\n',
    "test": "def check(candidate):\n    assert candidate([3, 1, 2]) == 2\n    assert candidate([4, 1, 2, 3]) == 2.5\n"
            "    assert candidate([7]) == 7\n",
}

# What a small student really writes: a fence with chatter, a subtle bug, and a loop that never ends.
REPLIES = [
    ("Here is the implementation:\n```python\ndef median(xs: list) -> float:\n    s = sorted(xs)\n    n = len(s)\n"
    "    mid = n // 2\n    if n % 2:\n        return s[mid]\n    return (s[mid - 1] + s[mid]) / 2\n```\n"),
    "```python\ndef median(xs):\n    xs = sorted(xs)\n    return xs[len(xs) // 2]\n```",
    "```python\ndef median(xs):\n    while True:\n        pass\n```",
]
JUDGE_REPLIES = [  # the judge likes the correct one, dislikes the others
    ("Code Analysis: Correct for odd and even lengths.\nFunctionality: 2\nBoundary checks: 0.5\n"
    "Requirement coverage: 1\nReadability: 1\nPractices: 1\nTotal: 5.5"),
    ("Code Analysis: Wrong for even lengths.\nFunctionality: 1\nBoundary checks: 0\nRequirement coverage: 0.5\n"
    "Readability: 0.5\nPractices: 0.5\nTotal: 2.5"),
    "I am not sure what to say about this code.",  # unparseable twice -> recorded as such
    "Still no idea.",
]


class Scripted:
    """Replays canned replies (unit-test stand-in for a backend; the real ones live in generation.py)."""

    def __init__(self, replies, per_request=1):
        self.replies, self.per_request, self.calls = list(replies), per_request, []

    def chat(self, messages_list, decoding, seed, n=1):
        self.calls.append({"messages": messages_list, "seed": seed, "n": n})
        return [[self.replies.pop(0) for _ in range(n)] for _ in messages_list]

    def describe(self):
        return {"model": "scripted", "backend": "test"}


@pytest.fixture(scope="module")
def cfg():
    c = IterKDConfig()
    c.feedback.samples_per_question = 3
    c.student.decoding.temperature = 0.8
    c.execution.timeout_s = 2.0
    return c


@pytest.fixture(scope="module")
def attempts(cfg):
    student = Scripted(REPLIES)
    recs = student_attempts([PROBLEM], student, cfg, seed=5)
    assert student.calls[0]["n"] == 3 and "median" in student.calls[0]["messages"][0][-1]["content"]
    return recs


@pytest.fixture(scope="module")
def feedback(cfg, attempts):
    return collect_feedback([PROBLEM], attempts, cfg, Scripted(JUDGE_REPLIES), seed=9)


def test_attempt_records_carry_code_and_settings(attempts):
    assert [a["sample_index"] for a in attempts] == [0, 1, 2]
    assert attempts[0]["code"].startswith("def median") and "Here is" not in attempts[0]["code"]
    assert attempts[0]["student"]["model"] == "scripted" and attempts[0]["decoding"]["temperature"] == 0.8
    assert attempts[0]["seed"] == 5 and not attempts[1]["greedy_duplicate"]


def test_feedback_has_every_view(feedback):
    assert len(feedback) == 3
    ok, wrong, hang = feedback
    assert ok["execution"]["passed"] and not wrong["execution"]["passed"]
    assert wrong["execution"]["error_type"] == "AssertionError"
    assert hang["execution"]["status"] == "timeout"
    # compile-and-run only defines the function: it cannot see the hang that the tests catch
    assert ok["compile_run"]["ok"] and hang["compile_run"]["ok"]
    assert ok["pylint"]["score"] is not None and isinstance(ok["pylint"]["messages"], list)
    assert any(m["category"] for m in wrong["pylint"]["messages"])  # no docstring, at least
    assert ok["judge"]["score"] == 5.5 and wrong["judge"]["score"] == 2.5
    assert hang["judge"]["parse_ok"] is False and hang["judge"]["score"] is None and hang["judge"]["tries"] == 2
    assert ok["settings"]["use_judge"] and ok["settings"]["execution"]["timeout_s"] == 2.0


def test_summary_and_agreement(feedback):
    s = feedback_summary(feedback)
    assert s["n_attempts"] == 3 and s["pass_rate"] == pytest.approx(1 / 3)
    assert s["status_counts"]["timeout"] == 1 and s["error_type_counts"]["AssertionError"] == 1
    assert s["judge_mean"] == pytest.approx(4.0) and s["judge_parse_rate"] == pytest.approx(2 / 3)
    assert sum(s["pylint_category_counts"].values()) >= 1
    a = judge_test_agreement(feedback)
    assert a["n"] == 2 and a["n_unparseable"] == 1
    assert a["correlation"] is None and "fewer than 3" in a["note"]  # two points say nothing
    assert a["mean_score_passed"] == 5.5 and a["mean_score_failed"] == 2.5


def _rec(score, passed, status=None):
    return {"execution": {"passed": passed, "status": status or ("passed" if passed else "failed")},
            "judge": {"score": score, "parse_ok": score is not None}}


def test_agreement_numbers():
    agree = [_rec(6, True), _rec(5, True), _rec(1, False), _rec(2, False)]
    a = judge_test_agreement(agree)
    assert a["auc"] == 1.0 and a["correlation"] > 0.9
    inverse = [_rec(1, True), _rec(2, True), _rec(6, False), _rec(5, False)]
    assert judge_test_agreement(inverse)["auc"] == 0.0 and judge_test_agreement(inverse)["correlation"] < -0.9
    ties = [_rec(3, True), _rec(3, False), _rec(3, True)]
    t = judge_test_agreement(ties)
    assert t["auc"] == 0.5 and t["correlation"] is None and "same score" in t["note"]
    allpass = judge_test_agreement([_rec(3, True), _rec(4, True), _rec(5, True)])
    assert allpass["auc"] is None and allpass["note"] == "every attempt passed"
    harness = judge_test_agreement(agree + [_rec(6, False, "harness_error")])
    assert harness["n"] == 4
    assert judge_test_agreement([])["n"] == 0


def test_without_judge_and_pylint(cfg, attempts):
    import dataclasses

    off = dataclasses.replace(cfg, feedback=dataclasses.replace(cfg.feedback, use_pylint=False))
    recs = collect_feedback([PROBLEM], attempts[:1], off, None, seed=1)
    assert recs[0]["judge"] is None and recs[0]["pylint"] is None and recs[0]["execution"]["passed"]
    assert judge_test_agreement(recs)["n"] == 0 and feedback_summary(recs)["judge_mean"] is None


def test_extraction_failure_is_the_verdict_not_a_wrong_answer(cfg):
    # issue 12: a reply that never leaves its reasoning block has no answer; the verdict must say so
    replies = ["<think>\nI would sort and take the middle...", REPLIES[0], "Sorry, I cannot do that."]
    recs = student_attempts([PROBLEM], Scripted(replies), cfg, seed=5)
    assert [a["extraction"]["failure"] for a in recs] == ["unclosed_reasoning", None, "no_code"]
    fb = collect_feedback([PROBLEM], recs, cfg, None, seed=9)
    ex = [f["execution"] for f in fb]
    assert [v["error_type"] for v in ex] == ["extraction_failed", None, "extraction_failed"]
    assert ex[1]["passed"] is True and ex[0]["passed"] is False
    assert ex[2]["message"].startswith("no_code:")
