"""`iterkd run`: run (or resume) IterKD cycles; `iterkd report RUN_DIR`: the per-cycle table."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from iterkd_lib.config import ConfigError, load_config


def _run(args: argparse.Namespace) -> int:
    from iterkd_lib import cycle  # heavy imports (torch, transformers) only when a run starts

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S", stream=sys.stderr)
    overrides = list(args.overrides)
    if args.cycles is not None:
        overrides.append(f"run.cycles={args.cycles}")
    if args.resume:
        run = cycle.open_run(load_config(args.config, overrides) if args.config else None, args.resume,
                             overrides=None if args.config else overrides,
                             allow_config_change=args.allow_config_change)
    else:
        if not args.config:
            raise ConfigError("iterkd run: give --config CONFIG for a new run, or --resume RUN_DIR")
        if args.run_dir and (Path(args.run_dir) / "run.json").exists():
            raise ConfigError(f"{args.run_dir}: already holds a run; use --resume {args.run_dir}")
        run = cycle.open_run(load_config(args.config, overrides), args.run_dir)
    print(f"run directory: {run.store.root}", file=sys.stderr)
    cycle.run_all(run)
    print(report_table(run.store.root))
    return 0


def _fmt(value, spec: str) -> str:
    return format(value, spec) if isinstance(value, (int, float)) and not isinstance(value, bool) else "-"


def _levels(m: dict) -> str:
    lv = m.get("levels") or {}
    return "/".join(str(lv.get(k, "-")) for k in ("easy", "medium", "hard"))


# (header, width, cell) -- one row per cycle_summary record in metrics.jsonl
COLUMNS = [
    ("bench p@1", 9, lambda m: _fmt(m.get("benchmark_pass@1"), ".3f")),
    ("held p@1", 8, lambda m: _fmt(m.get("held_out_pass@1"), ".3f")),
    ("pool", 4, lambda m: _fmt(m.get("pool_size"), "d")),
    ("sft", 4, lambda m: _fmt(m.get("n_sft"), "d")),
    ("pairs", 5, lambda m: _fmt(m.get("n_pairs"), "d")),
    ("easy/med/hard", 13, _levels),
    ("sft/ctr loss", 13, lambda m: _fmt(m.get("final_sft_loss"), ".3f") + "/"
     + _fmt(m.get("final_contrastive_loss"), ".3f")),
    ("T yield", 7, lambda m: _fmt((m.get("teacher_yield") or {}).get("share_any"), ".2f")),
    ("new q", 5, lambda m: _fmt(m.get("n_new_questions"), "d")),
    ("teacher tok", 11, lambda m: _fmt(m.get("teacher_tokens"), "d")),
    ("time (s)", 8, lambda m: _fmt(sum(v for v in (m.get("stage_seconds") or {}).values() if v), ".0f")),
]


def yield_line(y: dict) -> str:
    """One line of Stage I's yield (`teacher_attempts.teacher_yield` plus the training set's positives)."""
    pos, errors = y.get("positives") or {}, (y.get("repair") or {}).get("all") or {}
    rep = errors.get("all") or {}
    by_err = ", ".join(f"{k} {v['fixed']}/{v['attempted']}" for k, v in sorted(errors.items()) if k != "all")
    tpv = (y.get("tokens_per_verified") or {}).get("all")
    return (f"teacher yield: {y['solved_any']}/{y['problems']} problems with a verified teacher solution "
            f"(samples {y['solved_by_sample']}, repair +{y['solved_by_repair_only']}); "
            f"{_fmt(tpv, '.0f')} teacher tokens per verified solution; SFT positives teacher-written "
            f"{_fmt(pos.get('teacher_share'), '.2f')} of {_fmt(pos.get('sft'), 'd')}"
            + (f"; repairs fixed {rep['fixed']}/{rep['attempted']} ({by_err})" if rep.get("attempted") else ""))


def report_table(run_dir: str | Path) -> str:
    from iterkd_lib.runstore import RunStore, read_json

    store = RunStore(run_dir)
    cfg = store.read_run_info()["config"]
    rows = sorted((m for m in store.metrics() if m.get("kind") == "cycle_summary"), key=lambda m: m["cycle"])
    best = read_json(store.root / "best.json") if (store.root / "best.json").exists() else None
    ev = cfg["evaluation"]
    lines = [
        (f"run {store.root}  student={cfg['student']['model']}  teacher={cfg['teacher']['model']}  "
        f"seed={cfg['run']['seed']}"),
        (f"benchmark={ev['benchmark']} subset={ev['subset'] or 'all'} protocol={ev['protocol']} "
        f"samples={ev['samples']} decoding={ev['decoding']} + per-protocol stops; held-out seed problems use protocol=chat"),
    ]
    head = f"{'cycle':>6} " + " ".join(f"{h:>{w}}" for h, w, _ in COLUMNS) + "  seconds per stage"
    lines += [head, "-" * len(head)]
    for m in rows:
        mark = "*" if best and m["cycle"] == best["cycle"] else " "
        stages = " ".join(f"{k.split('_', 1)[1]}={v:.0f}" for k, v in (m.get("stage_seconds") or {}).items() if v)
        lines.append(f"{m['cycle']:>5}{mark} " + " ".join(f"{cell(m):>{w}}" for _, w, cell in COLUMNS)
                     + "  " + stages)
        if m.get("teacher_yield"):
            lines.append("       " + yield_line(m["teacher_yield"]))
        if "teacher_benchmark_pass@1" in m:
            lines.append(f"       teacher (ceiling): bench p@1 {_fmt(m.get('teacher_benchmark_pass@1'), '.3f')}"
                         f"  held p@1 {_fmt(m.get('teacher_held_out_pass@1'), '.3f')}")
    if best:
        lines.append(f"* best cycle by {best['metric']}: {best['cycle']} ({best['value']:.3f})")
    return "\n".join(lines)


def _report(args: argparse.Namespace) -> int:
    print(report_table(args.run_dir))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="Run IterKD cycles (or resume a run).",
                       description="Run cycle 0 (baselines) and N IterKD cycles: Stage I -> II -> III, then evaluate.")
    p.add_argument("--config", help="YAML config, e.g. configs/demo.yaml (optional with --resume)")
    p.add_argument("--cycles", type=int, help="number of cycles after the cycle-0 baseline (run.cycles)")
    p.add_argument("--run-dir", help="run directory (default: <run.runs_root>/<run.name>-<timestamp>)")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR where it stopped")
    p.add_argument("--allow-config-change", action="store_true",
                   help="on --resume, accept a config that differs from the saved one (the keys are recorded)")
    p.add_argument("overrides", nargs="*", help="dotted overrides such as student.lora.r=16")
    p.set_defaults(func=_run)
    r = sub.add_parser("report", help="Print the per-cycle table of a run.",
                       description="Print the per-cycle table of a run (pass@1, levels, data sizes, losses, time).")
    r.add_argument("run_dir")
    r.set_defaults(func=_report)
