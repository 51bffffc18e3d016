"""Stage III -> next cycle, `01_pool`: the questions a cycle works on.

- Cycle 1: the seed problems less the held-out ones (`seed_pool`), split by the run seed before anything else
  touches the pool; written when a run is created (`cycle.create_run`).
- Cycle k > 1 (`next_pool`): accepted new questions first, then the parents that were hard (if
  regeneration.keep_hard), then the medium ones; easy ones leave (the student has them, and their breadth
  children take their place). Capped at data.max_pool in that priority order. If that would leave nothing,
  the previous pool is kept whole, so a cycle never starts empty. Each question carries why it is there
  (`pool_reason`).

Not covered: writing new questions (stages/new_questions.py), levelling (stages/levels.py).

Entry points: `seed_pool(cfg) -> (pool, held_out)`, `next_pool(pool, levels, accepted, cfg, cycle)`.
"""

from __future__ import annotations

import random
from typing import Any

from iterkd_lib.problems import load_problems
from iterkd_lib.seeding import derive_seed


# How a new question was made (08_new_questions keeps it); the next pool carries only the problem and its origin.
_STAGE_III_ONLY = ("raw", "teacher", "decoding", "seed", "solution_decoding", "solutions_seed", "candidates",
                   "solution_replies", "outcomes", "teacher_expectations", "inputs", "left_out", "reference")


def seed_pool(cfg: Any) -> tuple[list[dict], list[dict]]:
    """(cycle 1's pool, held-out problems) from data.seed_problems: data.held_out problems chosen by the run
    seed are held out (source "seed"); the rest, in file order, form the pool (capped at data.pool_size when
    > 0; origin_cycle 0). Raises problems.ProblemError for an unreadable problem file."""
    seeds = load_problems(cfg.data.seed_problems)
    order = list(range(len(seeds)))
    random.Random(derive_seed(cfg.run.seed, "held-out split")).shuffle(order)
    held = [dict(seeds[i], source="seed") for i in order[: cfg.data.held_out]]
    pool = [dict(seeds[i], source="seed", origin_cycle=0) for i in sorted(order[cfg.data.held_out:])]
    return (pool[: cfg.data.pool_size] if cfg.data.pool_size else pool), held


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
