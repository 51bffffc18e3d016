"""Held-out split of the seed problems: which problems are never trained on and are evaluated every cycle.

`held_out_indices(problems, n, seed, method)`:
- 'stratified' (default for new runs): problems are grouped by (domain, difficulty) (a missing field counts as
  ''); stratum s of size N_s gets floor(n * N_s / N) problems, and the remaining ones go to the strata with the
  largest fractional parts (largest-remainder / Hamilton apportionment; ties broken by a seeded order). Inside a
  stratum the problems are taken from a seeded shuffle. So the held-out set has, up to rounding, the pool's mix
  of domains and difficulty levels, and a held-out pass@1 is not driven by which strata happened to be drawn
  (proportional allocation: Cochran, *Sampling Techniques*, 3rd ed., 1977, sec. 5.5).
- 'random': the first n of one seeded shuffle of all problems (what runs used before the stratified split;
  kept so an old run's split can be reproduced from its config).

Not covered: keeping held-out problems out of the pool (the caller splits), decontaminating generated
questions against them (`stages/new_questions`).

Entry point: `held_out_indices`.
"""

from __future__ import annotations

import random
from collections import defaultdict


def held_out_indices(problems: list[dict], n: int, seed: int, method: str = "stratified") -> list[int]:
    """Indices (into `problems`) of the n held-out problems, in selection order.

    Raises ValueError for an unknown method or n larger than the number of problems."""
    if n > len(problems):
        raise ValueError(f"held_out={n} but the seed file has only {len(problems)} problems")
    rng = random.Random(seed)
    if method == "random":
        order = list(range(len(problems)))
        rng.shuffle(order)
        return order[:n]
    if method != "stratified":
        raise ValueError(f"unknown held-out split {method!r}; expected 'stratified' or 'random'")
    strata: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, p in enumerate(problems):
        strata[(str(p.get("domain") or ""), str(p.get("difficulty") or ""))].append(i)
    keys = sorted(strata)
    total = len(problems)
    quota = {k: n * len(strata[k]) // total for k in keys}
    tiebreak = {k: rng.random() for k in keys}
    by_remainder = sorted(keys, key=lambda k: (-(n * len(strata[k]) % total), tiebreak[k]))
    for k in by_remainder[: n - sum(quota.values())]:
        quota[k] += 1
    chosen = []
    for k in keys:
        members = list(strata[k])
        rng.shuffle(members)
        chosen += members[: quota[k]]
    return chosen
