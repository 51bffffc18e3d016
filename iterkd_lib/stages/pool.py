"""Stage III -> next cycle, `01_pool`: the questions a cycle works on.

- Cycle 1: the seed problems less the held-out ones (`seed_pool`), split by the run seed before anything else
  touches the pool; written when a run is created (`runs.create_run`). Which of them, when data.pool_size
  caps the pool, follows data.pool_policy (the teachable pool, issue 15):
  * "file_order": the first pool_size problems in file order (the behaviour before the rule existed);
  * "teachable": problems the teacher solved at least once in data.teacher_passk first, by the teacher's
    pass@1 (highest first), then the unsolved ones -- distillation passes on only what the teacher knows;
  * "gap": the teacher-student gap: problems the teacher solved at least once first, by teacher pass@1 minus
    student pass@1 (data.student_passk; a problem missing there counts as unsolved by the student), largest
    first; then the problems the teacher never solved.
  Problems missing from the teacher file come last, in file order. The chosen problems keep file order. The
  held-out set does not depend on the policy. The pass@k files come from `data/measure_teacher_passk.py`.
- Cycle k > 1 (`next_pool`): accepted new questions first, then the parents that were hard (if
  regeneration.keep_hard), then the medium ones; easy ones leave (the student has them, and their breadth
  children take their place). Capped at data.max_pool in that priority order. If that would leave nothing,
  the previous pool is kept whole, so a cycle never starts empty. Each question carries why it is there
  (`pool_reason`).
- Refill (`refill_pool`, data.pool_refill "seeds"; default "none"): a later pool smaller than data.pool_size
  is topped up to it (within max_pool) with seed problems that no earlier pool of the run held, in
  data.pool_policy order, never held-out ones (pool_reason "refill"). Without it a Stage III that accepts
  little leaves the next cycles only the questions the student still fails.

Not covered: writing new questions (stages/new_questions.py), levelling (stages/levels.py).

Entry points: `seed_pool(cfg) -> (pool, held_out)`, `next_pool(pool, levels, accepted, cfg, cycle)`, `refill_pool`,
`select_pool` / `order_pool` (the pool policy), `read_passk`, `passk_model`.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from iterkd_lib.config import ConfigError
from iterkd_lib.problems import load_problems
from iterkd_lib.seeding import derive_seed
from iterkd_lib.splits import held_out_indices

log = logging.getLogger("iterkd")

# How a new question was made (08_new_questions keeps it); the next pool carries only the problem and its origin.
_STAGE_III_ONLY = ("raw", "teacher", "decoding", "seed", "solution_decoding", "solutions_seed", "candidates",
                   "solution_replies", "solution_prompt", "outcomes", "teacher_expectations", "inputs", "left_out",
                   "reference", "student_check")


def _split_seeds(cfg: Any) -> tuple[list[dict], list[dict]]:
    """(every seed problem that is not held out, in file order; the held-out ones)."""
    seeds = load_problems(cfg.data.seed_problems)
    try:
        chosen = held_out_indices(seeds, cfg.data.held_out, derive_seed(cfg.run.seed, "held-out split"),
                                  cfg.data.held_out_split)
    except ValueError as e:
        raise ConfigError(f"data.held_out / data.held_out_split ({cfg.data.seed_problems}): {e}") from None
    held = [dict(seeds[i], source="seed") for i in chosen]
    taken = set(chosen)
    return [dict(seeds[i], source="seed", origin_cycle=0) for i in range(len(seeds)) if i not in taken], held


def seed_pool(cfg: Any) -> tuple[list[dict], list[dict]]:
    """(cycle 1's pool, held-out problems) from data.seed_problems: data.held_out problems chosen by the run
    seed are held out (source "seed"; data.held_out_split: stratified by domain and difficulty, or the old
    random split, see `splits.held_out_indices`); the rest, in file order, form the pool (capped at
    data.pool_size when > 0, chosen by data.pool_policy; origin_cycle 0). Raises problems.ProblemError for an
    unreadable problem file, ConfigError when data.held_out exceeds the problems, FileNotFoundError /
    ValueError for a missing or bad pass@k file."""
    pool, held = _split_seeds(cfg)
    d = cfg.data
    if d.pool_policy != "file_order" and d.pool_size:
        measured = passk_model(d.teacher_passk)
        if measured and measured != cfg.teacher.model:
            log.warning("data.pool_policy=%s orders the pool by %s, measured with teacher %s, but this run's "
                        "teacher is %s", d.pool_policy, d.teacher_passk, measured, cfg.teacher.model)
    return select_pool(pool, d.pool_size, d.pool_policy, d.teacher_passk, d.student_passk), held


def passk_model(path: str | Path) -> str | None:
    """The teacher model a pass@k file was measured with, from its `<stem>_summary.json` (settings.teacher.model,
    written by data/measure_teacher_passk.py); None when there is no summary or it names no model. For several
    files joined by commas (`read_passk`): their models joined by " + " where they differ."""
    models = []
    for part in _passk_files(path):
        summary = Path(part).with_name(Path(part).stem + "_summary.json")
        try:
            models.append(json.loads(summary.read_text())["settings"]["teacher"]["model"])
        except (OSError, ValueError, KeyError, TypeError):
            models.append(None)
    named = list(dict.fromkeys(m for m in models if m))
    return " + ".join(named) if named else None


def next_pool(pool: list[dict], levels: list[dict], accepted: list[dict], cfg: Any, cycle: int) -> list[dict]:
    """The next cycle's questions (policy in the module docstring); each carries why it is there."""
    level_of = {r["task_id"]: r["level"] for r in levels}
    new = [{k: v for k, v in q.items() if k not in _STAGE_III_ONLY} | {"pool_reason": "new"}
           for q in accepted]
    keep_levels = (["hard"] if cfg.regeneration.keep_hard else []) + ["medium"]
    # a question without a level record (should not happen) counts as medium: we know nothing about it
    kept = [dict(p, level=lv, pool_reason=f"retained {lv}")
            for lv in keep_levels for p in pool if level_of.get(p["task_id"], "medium") == lv]
    out, seen = [], set()
    for p in new + kept:
        if p["task_id"] not in seen:
            seen.add(p["task_id"])
            out.append(p)
    if not out:  # all easy and nothing accepted: an empty pool would end the run
        out = [dict(p, pool_reason="previous pool kept: nothing else qualified") for p in pool]
    if cfg.data.max_pool:
        out = out[: cfg.data.max_pool]
    return [dict(p, pool_cycle=cycle) for p in out]


def refill_pool(nxt: list[dict], used: set[str], cfg: Any, cycle: int) -> list[dict]:
    """`nxt` (a `next_pool` result) topped up under data.pool_refill "seeds" (see the module docstring).

    used: task ids never to take: every earlier pool of the run and the run's held-out problems (its
    held_out.jsonl; the held-out split derived from the config now is left out as well). Returns `nxt` unchanged when
    the refill is off, data.pool_size is 0 or the pool is already that large; else `nxt` plus unused seed
    problems in data.pool_policy order up to min(pool_size, max_pool or pool_size), each with pool_reason
    "refill" and pool_cycle `cycle`. Raises what `seed_pool` raises for the seed or pass@k files.
    """
    d = cfg.data
    target = min(d.pool_size, d.max_pool or d.pool_size)
    if d.pool_refill != "seeds" or not d.pool_size or len(nxt) >= target:
        return nxt
    seeds, held = _split_seeds(cfg)
    have = used | {p["task_id"] for p in nxt} | {p["task_id"] for p in held}
    fresh = [p for p in order_pool(seeds, d.pool_policy, d.teacher_passk, d.student_passk)
             if p["task_id"] not in have][: target - len(nxt)]
    return nxt + [dict(p, pool_reason="refill", pool_cycle=cycle) for p in fresh]


def count_retained(pool: list[dict]) -> int:
    """How many questions of a `next_pool` result came from the previous pool (the reasons written above)."""
    return sum(str(q.get("pool_reason", "")).startswith(("retained", "previous pool kept")) for q in pool)


def _passk_files(path: str | Path) -> list[str]:
    """The files named by a data.teacher_passk / student_passk value (one path, or several joined by commas)."""
    return [s.strip() for s in str(path).split(",") if s.strip()]


def read_passk(path: str | Path) -> dict[str, dict]:
    """{task_id: record} from a pass@k JSONL file, or from several named in one string joined by commas
    ("a.jsonl,b.jsonl": their union; a measurement continued with `--skip` writes a second file). ValueError
    naming file and line for a bad line, or both files for a problem measured in two of them;
    FileNotFoundError for a missing file."""
    parts = _passk_files(path)
    if len(parts) > 1:
        out, source = {}, {}
        for part in parts:
            for task_id, rec in read_passk(part).items():
                if task_id in out:
                    raise ValueError(f"{task_id} is measured in both {source[task_id]} and {part}")
                out[task_id], source[task_id] = rec, part
        return out
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
