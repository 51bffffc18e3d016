"""Stage II, `06_feedback`: every student answer gets every view of feedback.

Views per attempt (one `06_feedback` record per question x sample):
- execution: the attempt run against the question's tests in the sandbox (`execution.check_completions`);
  when no rule could find the attempt's code, the verdict says so (`error_type` "extraction_failed",
  `code_extraction.verdict_with_extraction`) instead of reading as an ordinary wrong answer;
- compile_run: the paper's tool view -- does the code compile and run without error or timeout, no tests
  (`static_analysis.compile_run_view`);
- pylint: score and message categories (`static_analysis.pylint_views`), when `feedback.use_pylint`;
- judge: the 0-6 rubric from a judge model (`scoring.judging.judge_attempts`), when `feedback.use_judge` and a
  judge backend is given; an unparseable judgement is recorded as such (score None), never as 0.

`judge_test_agreement` measures how far the judge agrees with the tests (the paper trusts the judge where
no tests exist, so this is the number that says whether that trust is earned here).

Not covered: levelling (stages/levels.py), new questions (stages/new_questions.py). Generated code never runs in this
process: every run goes through the sandbox.

Not covered either: the student's answers themselves (stages/student_attempts.py).

Entry points: `collect_feedback(problems, attempts, cfg, judge_backend, seed)`, `judge_test_agreement(feedback)`,
`feedback_summary(feedback)`.
"""

from __future__ import annotations

import math
from collections import Counter
from statistics import mean, median
from typing import Any

from iterkd_lib.config import config_to_dict
from iterkd_lib.sandbox import executor
from iterkd_lib.scoring.agreement import agreement_with_ci
from iterkd_lib.scoring.code_extraction import verdict_with_extraction
from iterkd_lib.scoring.judging import judge_attempts
from iterkd_lib.scoring.static_analysis import compile_run_view, pylint_views


def collect_feedback(problems: list[dict], attempts: list[dict], cfg: Any, judge_backend: Any | None,
                     seed: int, teacher_attempts: list[dict] | None = None) -> list[dict]:
    """`06_feedback`: one record per attempt combining all views, with the settings that produced them.

    teacher_attempts: this cycle's `02_teacher_attempts` (labelled by execution); the anchor pool when
    feedback.judge.calibration is 'anchors' (see `anchor_pool`).
    """
    by_id = {p["task_id"]: p for p in problems}
    attempts = [a for a in attempts if a["task_id"] in by_id]
    ex = cfg.execution
    verdicts = executor(ex)([(by_id[a["task_id"]], a["completion"]) for a in attempts])
    # an attempt whose code could not be found is an extraction failure, not an ordinary wrong answer
    verdicts = [verdict_with_extraction(v, a.get("extraction")) for v, a in zip(verdicts, attempts)]
    codes = [a.get("code") or "" for a in attempts]
    compile_runs = [compile_run_view(c, ex.timeout_s) for c in codes]
    lint = pylint_views(codes) if cfg.feedback.use_pylint else [None] * len(attempts)
    use_judge = cfg.feedback.use_judge and judge_backend is not None
    judged = (judge_attempts(by_id, attempts, judge_backend, cfg.feedback.judge.decoding, seed,
                             judge_cfg=cfg.feedback.judge, anchor_pool=anchor_pool(by_id, teacher_attempts))
              if use_judge and attempts else [None] * len(attempts))
    settings = {"execution": config_to_dict(ex), "use_pylint": cfg.feedback.use_pylint, "use_judge": use_judge,
                "judge_seed": seed if use_judge else None}
    return [{"task_id": a["task_id"], "sample_index": a["sample_index"], "execution": v,
             "compile_run": c, "pylint": pl, "judge": j, "settings": settings}
            for a, v, c, pl, j in zip(attempts, verdicts, compile_runs, lint, judged)]


def anchor_pool(problems_by_id: dict, teacher_attempts: list[dict] | None) -> list[dict]:
    """Stage I teacher attempts as anchor candidates: {task_id, prompt, code, passed} (passed = the verdict).

    Only attempts with a real verdict (not a sandbox failure) on a problem of the pool are used.
    """
    out = []
    for r in teacher_attempts or []:
        v, p = r.get("verdict") or {}, problems_by_id.get(r.get("task_id"))
        if p is not None and v and v.get("status") != "harness_error" and r.get("code"):
            out.append({"task_id": r["task_id"], "prompt": p.get("prompt", ""), "code": r["code"],
                        "passed": bool(v.get("passed"))})
    return out


def _pairs(feedback: list[dict], key: str = "score") -> list[tuple[float, int]]:
    """(judge value under `key`, passed) for attempts with both such a value and a real test result; `key`
    "score" (parseable judgements), "rubric_score" or "p_correct" (the two views when the verdict is on)."""
    out = []
    for r in feedback:
        j, v = r.get("judge"), r.get("execution")
        if j and (key != "score" or j.get("parse_ok")) and j.get(key) is not None and v \
                and v.get("status") != "harness_error":
            out.append((float(j[key]), int(bool(v["passed"]))))
    return out


def _view_auc(feedback: list[dict], key: str) -> dict:
    """{n, auc, auc_ci} of one judge view against the tests (None where fewer than 3 pairs or one class)."""
    pairs = _pairs(feedback, key)
    if len(pairs) < 3 or len({y for _, y in pairs}) < 2:
        return {"n": len(pairs), "auc": None, "auc_ci": None}
    agr = agreement_with_ci([s for s, _ in pairs], [y for _, y in pairs], seed=0)
    return {"n": len(pairs), "auc": agr["auc"], "auc_ci": agr["auc_ci"]}


def judge_test_agreement(feedback: list[dict]) -> dict:
    """How far the judge's score (the rubric's, or 6 x P(yes) under feedback.judge.verdict 'score') agrees with
    passing the tests.

    `correlation`: Pearson between score and pass (0/1), i.e. the point-biserial correlation.
    `auc`: chance that a random passing attempt scores higher than a random failing one (ties count half);
    0.5 = the judge cannot tell them apart; `auc_ci`: its 95% percentile-bootstrap CI over all attempts of the
    cycle (`scoring.agreement`, with `ci_level`, `n_boot`, `ci_method`); `score_methods`: how many scores were
    G-Eval expectations / sampled numbers / verdicts (`verdict`: score_from "verdict"). Values that cannot be computed (too few attempts, all passing,
    constant scores) are None, with `note` saying why. With feedback.judge.verdict on, `views` holds
    {"rubric": {n, auc, auc_ci}, "verdict": {...}}: each view's agreement on its own, whichever gave `score`,
    and `n_rubric_unparseable` the rubric replies that could not be read (a verdict score hides them from
    `n_unparseable`), and `verdict_mass_median` the median probability the judge put on yes + no (low: the
    verdict means little; `scoring.judging.VERDICT_MASS_LOW`).
    """
    pairs = _pairs(feedback)
    n_judged = sum(1 for r in feedback if r.get("judge"))
    out = {"n": len(pairs), "n_judged": n_judged,
           "n_unparseable": sum(1 for r in feedback if r.get("judge") and not r["judge"].get("parse_ok")),
           "correlation": None, "auc": None, "auc_ci": None, "mean_score_passed": None, "mean_score_failed": None,
           "note": None, "score_methods": dict(Counter(
               "verdict" if r["judge"].get("score_from") == "verdict" else r["judge"].get("score_method") or "sampled"
               for r in feedback if r.get("judge") and r["judge"].get("parse_ok")))}
    judged = [r["judge"] for r in feedback if r.get("judge")]
    if any(j.get("score_from") for j in judged):
        out["views"] = {"rubric": _view_auc(feedback, "rubric_score"), "verdict": _view_auc(feedback, "p_correct")}
        out["n_rubric_unparseable"] = sum(1 for j in judged if j.get("rubric_score") is None)
        masses = [j["verdict_mass"] for j in judged if j.get("verdict_mass") is not None]
        out["verdict_mass_median"] = median(masses) if masses else None
    passed = [s for s, y in pairs if y]
    failed = [s for s, y in pairs if not y]
    out["mean_score_passed"] = mean(passed) if passed else None
    out["mean_score_failed"] = mean(failed) if failed else None
    if len(pairs) < 3:
        out["note"] = "fewer than 3 judged attempts with a test result"
        return out
    if not passed or not failed:
        out["note"] = "every attempt passed" if passed else "no attempt passed"
        return out
    agr = agreement_with_ci([s for s, _ in pairs], [y for _, y in pairs], seed=0)
    out.update(auc=agr["auc"], auc_ci=agr["auc_ci"], ci_level=agr["ci_level"], n_boot=agr["n_boot"],
               ci_method=agr["ci_method"])
    xs, ys = [s for s, _ in pairs], [y for _, y in pairs]
    mx, my = mean(xs), mean(ys)
    sxy = sum((x - mx) * (y - my) for x, y in pairs)
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0:
        out["note"] = "the judge gave every attempt the same score"
    else:
        out["correlation"] = sxy / math.sqrt(sxx * syy)
    return out


def feedback_summary(feedback: list[dict]) -> dict:
    """Pass rate, verdict statuses, error types, compile-run failures, pylint categories, judge mean."""
    ex = [r["execution"] for r in feedback if r.get("execution")]
    tested = [v for v in ex if v.get("status") != "harness_error"]
    cr = [r["compile_run"] for r in feedback if r.get("compile_run")]
    lint = [r["pylint"] for r in feedback if r.get("pylint")]
    judged = [r["judge"] for r in feedback if r.get("judge")]
    scores = [j["score"] for j in judged if j.get("parse_ok")]
    lint_scores = [pl["score"] for pl in lint if pl.get("score") is not None]
    return {
        "n_attempts": len(feedback),
        "pass_rate": (sum(bool(v["passed"]) for v in tested) / len(tested)) if tested else None,
        "status_counts": dict(Counter(v.get("status") for v in ex)),
        "error_type_counts": dict(Counter(v.get("error_type") for v in ex if v.get("error_type"))),
        "compile_run_ok_rate": (sum(bool(c.get("ok")) for c in cr) / len(cr)) if cr else None,
        "compile_run_error_counts": dict(Counter(c.get("error_type") for c in cr if c.get("error_type"))),
        "pylint_mean": mean(lint_scores) if lint_scores else None,
        "pylint_category_counts": dict(Counter(m.get("category") for pl in lint for m in pl.get("messages", []))),
        "judge_mean": mean(scores) if scores else None,
        "judge_parse_rate": (len(scores) / len(judged)) if judged else None,
    }
