"""Stage III, the student check: does the cycle's student already solve a new question?

A new question is meant to teach the student something: a "depth" question (from a medium or hard parent)
should be harder than what the student solves. Validation by agreement (stages/new_questions.py) keeps only
questions the teacher solves reliably, and with a 1.5B teacher and a 0.5B student those are mostly ones the
student solves too: replayed, the untrained student passed 0.96 of its answers on the 7 accepted depth
questions and 0 on their parents (LOG.md, 2026-11-30 session 10, `benchmarks/stage3_agreement.py
difficulty`). Such a question would be levelled easy in the next cycle and leave the pool without having
taught anything.

The check: the student answers each question n = regeneration.student_check_samples times, with Stage II's
request and decoding (the `answer` callable: `stages.student_attempts.student_attempts` bound to the
cycle's student by cycle.py, so the sample seeds follow the request, not the batch), and the answers run against the question's agreed tests in the sandbox (`execute`, the run's
limits). A question is `solved` when the share of passing answers is >= regeneration.student_check_max_pass
(default 1.0: every answer passes, the "easy" rule of stages/levels.py with its default thresholds).

Cost: n student answers per checked question, on Stage II's student (transformers; loaded again when a run
resumes at Stage III); the cycle records the calls, answers and seconds in the stage summary
(`student_check`).

Not covered: the judge's view (Stage II levels use it too); whether an unsolved question is solvable at all
(the agreement vote decides that).

Entry point: `check_questions(problems, answer, cfg, seed, execute)`.
"""

from __future__ import annotations

from typing import Any, Callable


def check_questions(problems: list[dict], answer: Callable[..., list[dict]], cfg: Any, seed: int,
                    execute: Callable[[list], list[dict]]) -> list[dict]:
    """One result per problem, in order: {"student" (the attempts' `student` field), "n", "passed" (answers
    passing the tests), "pass_rate" (passed / n), "max_pass" (the threshold), "solved" (pass_rate >=
    max_pass), "seed", "errors" ([error type or None] per answer), "answers" ([the code of each answer], for
    inspecting a `student_solves` rejection)}.

    problems: questions with prompt, entry_point and test (a Stage III record before acceptance).
    `answer(problems, seed=, n=)` returns n attempt records per problem, problem by problem, each with
    "completion" (`records.StudentAttempt`). `execute` runs (problem, completion) pairs and returns verdict
    dicts with "passed" and "error_type" (the run's `check_completions`). ValueError when
    regeneration.student_check_samples is 0 or `answer` returns another number of attempts.
    """
    rg = cfg.regeneration
    n = int(rg.student_check_samples)
    if n <= 0:
        raise ValueError("check_questions needs regeneration.student_check_samples > 0")
    if not problems:
        return []
    attempts = answer(problems, seed=seed, n=n)
    if len(attempts) != n * len(problems):
        raise ValueError(f"the student gave {len(attempts)} answers for {len(problems)} questions x {n}")
    verdicts = execute([(p, a["completion"]) for p, a in zip((p for p in problems for _ in range(n)), attempts)])
    who = attempts[0].get("student")
    out = []
    for i in range(len(problems)):
        vs = verdicts[i * n: (i + 1) * n]
        passed = sum(bool(v.get("passed")) for v in vs)
        out.append({"student": who, "n": n, "passed": passed, "pass_rate": passed / n,
                    "max_pass": rg.student_check_max_pass, "solved": passed / n >= rg.student_check_max_pass,
                    "seed": seed, "errors": [v.get("error_type") for v in vs],
                    "answers": [a.get("code") or "" for a in attempts[i * n: (i + 1) * n]]})
    return out
