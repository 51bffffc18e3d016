"""Stage II, `05_student_attempts`: the student answers every question of the pool.

The student is asked with `prompts.student_messages`, the prompt it is trained on; the function is pulled
out of each answer (`scoring.code_extraction.extract`) and turned into the completion that follows the
question's prompt in the test program; `extraction: {rule, failure, detail}` records which rule found the
code, or why none could (stages/feedback.py turns a failure into the verdict).

Not covered: judging or running the answers (stages/feedback.py).

Entry point: `student_attempts(problems, student_backend, cfg, seed)`.
"""

from __future__ import annotations

from typing import Any

from iterkd_lib.config import config_to_dict
from iterkd_lib.models.backends import describe
from iterkd_lib.prompts import student_messages
from iterkd_lib.records import StudentAttempt
from iterkd_lib.scoring.code_extraction import completion_from_code, extract


def student_attempts(problems: list[dict], student_backend: Any, cfg: Any, seed: int,
                     n: int | None = None) -> list[dict]:
    """`05_student_attempts`: cfg.feedback.samples_per_question answers per problem (or `n`), in one batched call.

    The backend draws sample j of a request with derive_seed(seed, hash(request), j) (see `models/backends.py`),
    so an attempt's sample does not depend on the other questions in the batch. With greedy decoding all
    samples are one generation repeated; such records say so (`greedy_duplicate`). Each record is a
    `records.StudentAttempt` in its stored form, len(problems) * n of them, problem by problem.
    """
    n = cfg.feedback.samples_per_question if n is None else n
    decoding = cfg.student.decoding
    replies = student_backend.chat([student_messages(p) for p in problems], decoding, seed, n=n) if problems else []
    who = describe(student_backend)
    greedy = float(decoding.temperature) == 0.0
    out = []
    for p, samples in zip(problems, replies):
        for k, raw in enumerate(samples):
            ex = extract(raw, p.get("entry_point"))
            found = {"rule": ex.rule, "failure": ex.failure, "detail": ex.detail}
            out.append(StudentAttempt(
                task_id=p["task_id"], sample_index=k, raw=raw, code=ex.code,
                completion=completion_from_code(p, ex.code), extraction=found, student=who,
                decoding=config_to_dict(decoding), seed=seed, greedy_duplicate=greedy and k > 0,
                sample_seed=(student_backend.sample_seed(seed, student_messages(p), k)
                             if hasattr(student_backend, "sample_seed") else None)).to_dict())
    return out
