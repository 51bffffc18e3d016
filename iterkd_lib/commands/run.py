"""`iterkd run`: run (or resume) IterKD cycles; `iterkd report RUN_DIR`: the per-cycle table (report.py)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path

from iterkd_lib.config import ConfigError, load_config
from iterkd_lib.models.registry import check_model_names
from iterkd_lib.report import report_table


def _run(args: argparse.Namespace) -> int:
    from iterkd_lib import cycle, runs  # heavy imports (torch, transformers) only when a run starts
    from iterkd_lib.console import console_logging

    console_logging()
    overrides = list(args.overrides)
    if args.cycles is not None:
        overrides.append(f"run.cycles={args.cycles}")
    if args.resume:
        run = runs.reopen_run(args.resume, load_config(args.config, overrides) if args.config else None,
                               overrides=None if args.config else overrides,
                               allow_config_change=args.allow_config_change)
    else:
        if not args.config:
            raise ConfigError("iterkd run: give --config CONFIG for a new run, or --resume RUN_DIR")
        if args.run_dir and (Path(args.run_dir) / "run.json").exists():
            raise FileExistsError(f"{args.run_dir}: already holds a run; use --resume {args.run_dir}")
        cfg = load_config(args.config, overrides)
        check_model_names(cfg, args.config)   # names the file; create_run checks again for library callers
        run = runs.create_run(cfg, args.run_dir)
    from iterkd_lib import console, tracking

    for h in logging.getLogger().handlers:
        h.setLevel(logging.INFO)          # the console gets one line per stage; iterkd.log gets the details
    log_path = console.attach_run_log(run.store.root)
    print(f"run directory: {run.store.root}  (details: {log_path})", file=sys.stderr)
    if args.resume:
        at = cycle.next_stage(run)
        print(f"resuming: next is cycle {at[0]}, stage {at[1]} (finished stages are read back)" if at else
              "resuming: every stage of cycles 0..{} is done; only the report is printed".format(run.cfg.run.cycles),
              file=sys.stderr)
    if tracking.tensorboard_available():
        print(f"training curves: {run.store.root}/cycle_<k>/04_adapter/tensorboard/  "
              f"(watch: tensorboard --logdir {run.store.root})", file=sys.stderr)
    signal.signal(signal.SIGTERM, interrupt)   # like Ctrl-C: cleanup runs and the log says where it stopped
    try:
        for k in range(run.cfg.run.cycles + 1):
            print(console.cycle_table(cycle.run_cycle(run, k)), file=sys.stderr)
    except KeyboardInterrupt as e:
        at = cycle.next_stage(run)
        where = f"in cycle {at[0]}, stage {at[1]}" if at else "after the last stage"
        logging.getLogger("iterkd").warning("interrupted (%s) %s; finished stages are kept. Resume: iterkd run "
                                            "--resume %s", e or "SIGINT", where, run.store.root)
        return 130
    print(report_table(run.store.root))
    return 0


def interrupt(signum: int, frame) -> None:
    """SIGTERM handler of the long commands: raise KeyboardInterrupt, so cleanup runs as after Ctrl-C."""
    raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")


def _report(args: argparse.Namespace) -> int:
    print(report_table(args.run_dir))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add `iterkd run` and `iterkd report` to the sub-command parser `sub`."""
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
