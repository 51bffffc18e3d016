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

from typing import Any

from iterkd_lib.config import ConfigError
from iterkd_lib.problems import load_problems
from iterkd_lib.seeding import derive_seed
from iterkd_lib.splits import held_out_indices


def seed_pool(cfg: Any) -> tuple[list[dict], list[dict]]:
    """(cycle 1's pool, held-out problems) from data.seed_problems: data.held_out problems chosen by the run
    seed are held out (source "seed"; data.held_out_split: stratified by domain and difficulty, or the old
    random split, see `splits.held_out_indices`); the rest, in file order, form the pool (capped at
    data.pool_size when > 0; origin_cycle 0). Raises problems.ProblemError for an unreadable problem file,
    ConfigError when data.held_out exceeds the problems."""
    seeds = load_problems(cfg.data.seed_problems)
    try:
        chosen = held_out_indices(seeds, cfg.data.held_out, derive_seed(cfg.run.seed, "held-out split"),
                                  cfg.data.held_out_split)
    except ValueError as e:
        raise ConfigError(f"data.held_out / data.held_out_split ({cfg.data.seed_problems}): {e}") from None
    held = [dict(seeds[i], source="seed") for i in chosen]
    taken = set(chosen)
    pool = [dict(seeds[i], source="seed", origin_cycle=0) for i in range(len(seeds)) if i not in taken]
    return (pool[: cfg.data.pool_size] if cfg.data.pool_size else pool), held


def next_pool(pool: list[dict], levels: list[dict], accepted: list[dict], cfg: Any, cycle: int) -> list[dict]:
    """The next cycle's questions (policy in the module docstring); each carries why it is there."""
    level_of = {r["task_id"]: r["level"] for r in levels}
    new = [{k: v for k, v in q.items() if k not in ("raw", "teacher", "decoding", "seed")} | {"pool_reason": "new"}
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
