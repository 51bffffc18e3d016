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


def report_table(run_dir: str | Path) -> str:
    from iterkd_lib.runstore import RunStore, read_json

    store = RunStore(run_dir)
    info = store.read_run_info()
    rows = sorted((m for m in store.metrics() if m.get("kind") == "cycle_summary"), key=lambda m: m["cycle"])
    best = store.root / "best.json"
    best_cycle = read_json(best)["cycle"] if best.exists() else None
    cfg = info["config"]
    ev = cfg["evaluation"]
    lines = [f"run {store.root}  student={cfg['student']['model']}  teacher={cfg['teacher']['model']}  "
             f"seed={cfg['run']['seed']}",
             f"benchmark={ev['benchmark']} subset={ev['subset'] or 'all'} protocol={ev['protocol']} "
             f"samples={ev['samples']} decoding={ev['decoding']}; held-out seed problems use protocol=chat"]
    head = (f"{'cycle':>5} {'bench p@1':>9} {'held p@1':>8} {'pool':>4} {'sft':>4} {'pairs':>5} "
            f"{'easy/med/hard':>13} {'loss':>7} {'accepted':>8} {'teacher tok':>11} {'time (s)':>8}  stage seconds")
    lines += [head, "-" * len(head)]
    for m in rows:
        lv = m.get("levels") or {}
        nq = m.get("new_questions") or {}
        acc = nq.get("accepted_total", nq.get("n_accepted"))
        secs = m.get("stage_seconds") or {}
        fmt = lambda v, spec: format(v, spec) if isinstance(v, (int, float)) else "-"   # noqa: E731
        mark = "*" if m["cycle"] == best_cycle else " "
        lines.append(
            f"{m['cycle']:>4}{mark} {fmt(m.get('benchmark_pass@1'), '9.3f')} {fmt(m.get('held_out_pass@1'), '8.3f')} "
            f"{fmt(m.get('pool_size'), '4d')} {fmt(m.get('n_sft'), '4d')} {fmt(m.get('n_pairs'), '5d')} "
            f"{(str(lv.get('easy', '-')) + '/' + str(lv.get('medium', '-')) + '/' + str(lv.get('hard', '-'))):>13} "
            f"{fmt(m.get('final_loss'), '7.3f')} {fmt(acc, '8d')} {fmt(m.get('teacher_tokens'), '11d')} "
            f"{fmt(sum(v for v in secs.values() if v), '8.0f')}  "
            + " ".join(f"{k.split('_', 1)[1]}={v:.0f}" for k, v in secs.items() if v))
        if "teacher_benchmark_pass@1" in m:
            lines.append(f"      teacher (ceiling): bench p@1 {m['teacher_benchmark_pass@1']:.3f}"
                         f"  held p@1 {m.get('teacher_held_out_pass@1', float('nan')):.3f}")
    if best_cycle is not None:
        lines.append(f"* best cycle by {read_json(best)['metric']}: {best_cycle}")
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
