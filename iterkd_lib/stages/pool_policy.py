"""The teachable pool: which seed problems cycle 1 trains on, by what the teacher and the student can solve.

Distillation passes on only what the teacher knows: a problem the teacher never solves gives the student no
teacher-written positive (only the seed file's canonical solution, or nothing), and a problem the student
already solves teaches it little. `data.pool_policy` picks cycle 1's pool from the seed problems left after
the held-out split (the held-out set does not depend on the policy):

- "file_order": the first `data.pool_size` problems in file order (the behaviour before this rule existed).
- "teachable": problems the teacher solved at least once in `data.teacher_passk` first, by the teacher's
  pass@1 (highest first), then the unsolved ones; ties keep file order.
- "gap": the teacher-student gap: problems the teacher solved at least once first, ordered by teacher pass@1
  minus student pass@1 (`data.student_passk`; a problem missing there counts as unsolved by the student),
  largest gap first; then the problems the teacher never solved.

Problems missing from the teacher file (not measured) come after the measured ones, in file order, for both
rules. The pass@k files are written by `data/measure_teacher_passk.py` (one JSON object per problem with at
least task_id, n, c, pass@1).

Not covered: later cycles' pools (Stage III, `stages.new_questions.next_pool`), measuring pass@k.

Entry points: `select_pool(pool, size, policy, teacher_passk, student_passk)` (the chosen problems, in file
order), `order_pool(...)` (the ranking), `read_passk(path)`.
"""

from __future__ import annotations

import json
from pathlib import Path


def read_passk(path: str | Path) -> dict[str, dict]:
    """{task_id: record} from a pass@k JSONL file; ValueError naming file and line for a bad line."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: pass@k file not found (write it with data/measure_teacher_passk.py)")
    out = {}
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
            out[r["task_id"]] = {"n": int(r["n"]), "c": int(r["c"]), "pass@1": float(r["pass@1"])}
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(f"{path}, line {i}: not a pass@k record with task_id, n, c, pass@1 ({e})") from e
    return out


def order_pool(pool: list[dict], policy: str, teacher_passk: str | Path = "",
               student_passk: str | Path = "") -> list[dict]:
    """`pool` reordered by `policy` (see the module docstring); the caller takes the first pool_size."""
    if policy == "file_order":
        return list(pool)
    if policy not in ("teachable", "gap"):
        raise ValueError(f"unknown pool policy {policy!r}; expected file_order, teachable or gap")
    teacher = read_passk(teacher_passk)
    student = read_passk(student_passk) if policy == "gap" and student_passk else {}

    def key(ip: tuple[int, dict]):
        i, p = ip
        t = teacher.get(p["task_id"])
        if t is None:
            return (2, 0.0, i)
        score = t["pass@1"] - (student.get(p["task_id"], {}).get("pass@1", 0.0) if policy == "gap" else 0.0)
        return (0 if t["c"] > 0 else 1, -score, i)

    return [p for _, p in sorted(enumerate(pool), key=key)]


def select_pool(pool: list[dict], size: int, policy: str, teacher_passk: str | Path = "",
                student_passk: str | Path = "") -> list[dict]:
    """The first `size` problems by `policy` (0 = all), returned in their original order."""
    if not size or size >= len(pool):
        return list(pool)
    chosen = {id(p) for p in order_pool(pool, policy, teacher_passk, student_passk)[:size]}
    return [p for p in pool if id(p) in chosen]
