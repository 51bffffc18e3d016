"""Stage III, part 1: put every question of the cycle's pool in a level (easy / medium / hard).

The paper levels questions from the Stage II feedback but publishes no thresholds; these rules are ours.
Per question the feedback gives: pass_rate (attempts passing their tests, over attempts with a test result;
a `harness_error` verdict is our fault, not the student's, and is left out), judge_mean (mean rubric score
0-6 over parseable judgements) and pylint_mean (reported, not used by any rule).

Rules (`DifficultyConfig.rule`):
- 'tests': pass_rate >= easy_min_pass_rate -> easy; pass_rate <= hard_max_pass_rate -> hard; else medium.
- 'judge': judge_mean >= easy_min_judge -> easy; judge_mean <= hard_max_judge -> hard; else medium.
- 'tests_then_judge' (default): the tests decide; the judge only (a) decides where a question has no
  test result at all, with the 'judge' thresholds, and (b) breaks a strong disagreement by ONE step toward
  medium: all-passing (easy by tests) but judge_mean <= hard_max_judge -> medium (passes, yet the code is
  poor); all-failing (hard by tests) but judge_mean >= easy_min_judge -> medium (a near miss). Tests are
  never overruled by more than one step, because a small judge is noisier than a test.
A question with no usable view at all is medium (we know nothing, so neither drop nor drill it).
Defaults: easy_min_pass_rate 1.0, hard_max_pass_rate 0.0, easy_min_judge 5.0, hard_max_judge 2.0 -- with
n samples, "easy" = every sample passed, "hard" = none did.

Not covered: the teacher-student judge gap (Lion's rule): the teacher's own attempts are not judged here.

Entry points: `assign_levels(problems, feedback, diff_cfg)` -> `07_levels` records, `level_distribution`.
"""

from __future__ import annotations

from collections import defaultdict
from statistics import mean
from typing import Any

from iterkd_lib.config import config_to_dict
from iterkd_lib.records import LEVELS, Level


def question_stats(feedback: list[dict]) -> dict[str, dict]:
    """{task_id: {pass_rate, judge_mean, pylint_mean, n_samples, n_tested, n_judged}} from 06_feedback."""
    by_task: dict[str, list[dict]] = defaultdict(list)
    for r in feedback:
        by_task[r["task_id"]].append(r)
    out = {}
    for tid, recs in by_task.items():
        tested = [bool(r["execution"]["passed"]) for r in recs
                  if r.get("execution") and r["execution"].get("status") != "harness_error"]
        judged = [r["judge"]["score"] for r in recs if r.get("judge") and r["judge"].get("parse_ok")]
        linted = [r["pylint"]["score"] for r in recs if r.get("pylint") and r["pylint"].get("score") is not None]
        out[tid] = {
            "pass_rate": mean(tested) if tested else None,
            "judge_mean": mean(judged) if judged else None,
            "pylint_mean": mean(linted) if linted else None,
            "n_samples": len(recs), "n_tested": len(tested), "n_judged": len(judged),
        }
    return out


def _by_threshold(value: float, what: str, easy_key: str, easy_min: float, hard_key: str,
                  hard_max: float) -> tuple[str, str]:
    if value >= easy_min:
        return "easy", f"{what} {value:.2f} >= {easy_key} {easy_min:g}"
    if value <= hard_max:
        return "hard", f"{what} {value:.2f} <= {hard_key} {hard_max:g}"
    return "medium", f"{what} {value:.2f} between the thresholds"


def _by_tests(pr: float, c: Any) -> tuple[str, str]:
    return _by_threshold(pr, "pass rate", "easy_min_pass_rate", c.easy_min_pass_rate,
                         "hard_max_pass_rate", c.hard_max_pass_rate)


def _by_judge(jm: float, c: Any) -> tuple[str, str]:
    return _by_threshold(jm, "judge mean", "easy_min_judge", c.easy_min_judge, "hard_max_judge", c.hard_max_judge)


def level_for(stats: dict, c: Any) -> tuple[str, str]:
    """(level, human-readable reason) for one question's stats under rule `c.rule`."""
    pr, jm = stats.get("pass_rate"), stats.get("judge_mean")
    if c.rule == "tests":
        return _by_tests(pr, c) if pr is not None else ("medium", "no test result: medium by default")
    if c.rule == "judge":
        return _by_judge(jm, c) if jm is not None else ("medium", "no parseable judgement: medium by default")
    if c.rule != "tests_then_judge":
        raise ValueError(f"difficulty.rule {c.rule!r}: expected 'tests_then_judge', 'tests' or 'judge'")
    if pr is None:
        if jm is None:
            return "medium", "neither a test result nor a parseable judgement: medium by default"
        level, why = _by_judge(jm, c)
        return level, f"no test result; {why}"
    level, why = _by_tests(pr, c)
    if level == "easy" and jm is not None and jm <= c.hard_max_judge:
        return "medium", f"{why}, but judge mean {jm:.2f} <= hard_max_judge {c.hard_max_judge:g}: one step to medium"
    if level == "hard" and jm is not None and jm >= c.easy_min_judge:
        return "medium", f"{why}, but judge mean {jm:.2f} >= easy_min_judge {c.easy_min_judge:g}: one step to medium"
    return level, why


def assign_levels(problems: list[dict], feedback: list[dict], diff_cfg: Any) -> list[dict]:
    """One `07_levels` record per problem (pool order), with the rule settings that produced it.

    Each is a `records.Level` in its stored form; `problems` are pool problems (task_id), `feedback` the
    cycle's 06_feedback records, `diff_cfg` a `config.DifficultyConfig` (an unknown rule raises ValueError)."""
    stats = question_stats(feedback)
    settings = config_to_dict(diff_cfg)
    out = []
    for p in problems:
        s = stats.get(p["task_id"], {"pass_rate": None, "judge_mean": None, "pylint_mean": None,
                                     "n_samples": 0, "n_tested": 0, "n_judged": 0})
        level, reason = level_for(s, diff_cfg)
        out.append(Level(task_id=p["task_id"], level=level, **s, reason=reason, settings=settings).to_dict())
    return out


def level_distribution(levels: list[dict]) -> dict:
    """{"easy": n, "medium": n, "hard": n, "total": n, "fractions": {...}} for the cycle summary."""
    counts = {lv: sum(1 for r in levels if r["level"] == lv) for lv in LEVELS}
    total = sum(counts.values())
    return {**counts, "total": total,
            "fractions": {lv: (counts[lv] / total if total else None) for lv in LEVELS}}
