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
    ("new q", 5, lambda m: _fmt(m.get("n_new_questions"), "d")),
    ("teacher tok", 11, lambda m: _fmt(m.get("teacher_tokens"), "d")),
    ("time (s)", 8, lambda m: _fmt(sum(v for v in (m.get("stage_seconds") or {}).values() if v), ".0f")),
]


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
         f"second_protocol={ev.get('second_protocol') or '-'} samples={ev['samples']} decoding={ev['decoding']} "
         "+ per-protocol stops; held-out seed problems use protocol=chat"),
        ("pass@1 with a 95% bootstrap CI over problems; student vs cycle 0 and vs the previous cycle: delta "
         "[95% paired-bootstrap CI], exact McNemar (greedy) or paired permutation test, alpha 0.05"),
    ]
    head = f"{'cycle':>6} " + " ".join(f"{h:>{w}}" for h, w, _ in COLUMNS) + "  seconds per stage"
    lines += [head, "-" * len(head)]
    for m in rows:
        mark = "*" if best and m["cycle"] == best["cycle"] else " "
        stages = " ".join(f"{k.split('_', 1)[1]}={v:.0f}" for k, v in (m.get("stage_seconds") or {}).items() if v)
        lines.append(f"{m['cycle']:>5}{mark} " + " ".join(f"{cell(m):>{w}}" for _, w, cell in COLUMNS)
                     + "  " + stages)
        lines += _evaluation_lines(store, m)
        if "teacher_benchmark_pass@1" in m:
            lines.append(f"       teacher (ceiling): bench p@1 {_fmt(m.get('teacher_benchmark_pass@1'), '.3f')}"
                         f"  held p@1 {_fmt(m.get('teacher_held_out_pass@1'), '.3f')}")
    if best:
        lines.append(f"* best cycle by {best['metric']}: {best['cycle']} ({best['value']:.3f})")
    return "\n".join(lines)


def _evaluation_lines(store, m: dict) -> list[str]:
    """Per view: pass@1 [CI] and the paired tests; then the answers cut at max_new_tokens (older runs: computed
    from the stage records, since their summaries predate the statistics)."""
    from iterkd_lib.cycle_summary import cut_at_length, evaluation_statistics

    stats = m.get("evaluation_stats")
    if stats is None:
        stats = evaluation_statistics(store, m["cycle"])
    protocols = m.get("protocols") or {}
    lines = []
    for view, e in stats.items():
        lo, hi = e["ci"]
        ci = f"[{lo:.2f}, {hi:.2f}]" if lo is not None else "[n/a]"
        proto = e.get("protocol") or protocols.get(view) or "?"
        line = f"       {view} ({proto}, {e['n_problems']} problems"
        line += f", {e['samples']} samples)" if e.get("samples", 1) > 1 else ")"
        line += f": pass@1 {e['pass@1']:.3f} {ci}"
        for key in ("vs_cycle_0", "vs_previous"):
            c = e.get(key)
            if c and not (key == "vs_previous" and c["cycle"] == 0):
                line += f"; vs cycle {c['cycle']}: {c['verdict']}"
        lines.append(line)
    cut = m.get("cut_at_length")
    if cut is None:
        cut = cut_at_length(store, m["cycle"])
    if cut:
        lines.append("       cut at max_new_tokens: " + ", ".join(
            f"{k} {v['cut']}/{v['answers']} ({v['share']:.0%})" for k, v in cut.items()))
    return lines


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
