"""`iterkd study CONFIG [--out DIR] [--variants iterkd,oneshot,untrained,selftrain] [--cycles N]
[--figures-dir DIR] [--no-png] [--table-only] [overrides ...]`.

Runs (or resumes: the same command again) the study of `study.py` in DIR (default
<run.runs_root>/study-<run.name>), then writes its table (study_table.md / .csv, study_comparisons.csv) and
figure (study_pass_at_1.html / .png) to --figures-dir (default study.figures_dir) and prints the Markdown.
--table-only skips running and only (re)writes the table and figure from what the study directory holds.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from iterkd_lib.config import load_config


def _study(args: argparse.Namespace) -> int:
    from iterkd_lib.console import console_logging
    from iterkd_lib.figures import PngExportUnavailable, save_figure
    from iterkd_lib.figures.study import study_figure
    from iterkd_lib.study import Study
    from iterkd_lib.study_report import study_results, write_study_tables

    console_logging()
    overrides = list(args.overrides)
    if args.variants:
        overrides.append(f"study.variants=[{args.variants}]")
    if args.cycles is not None:
        overrides.append(f"study.cycles={args.cycles}")
    if args.figures_dir:
        overrides.append(f"study.figures_dir={args.figures_dir}")
    cfg = load_config(args.config, overrides)
    out = Path(args.out) if args.out else Path(cfg.run.runs_root) / f"study-{cfg.run.name}"
    print(f"study directory: {out}", file=sys.stderr)
    if not args.table_only:
        import signal

        from iterkd_lib.commands.run import interrupt

        signal.signal(signal.SIGTERM, interrupt)
        try:
            Study(cfg, out, config_path=args.config).run()
        except KeyboardInterrupt as e:
            print(f"iterkd study: interrupted ({e or 'SIGINT'}); finished variants and stages are kept. Resume: "
                  f"the same command again (--out {out})", file=sys.stderr)
            return 130
    res = study_results(out, n_resamples=cfg.evaluation.ci_resamples)
    paths = write_study_tables(res, cfg.study.figures_dir)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PngExportUnavailable)
        paths += save_figure(study_figure(res), "study_pass_at_1", cfg.study.figures_dir, png=not args.no_png)
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    print((Path(cfg.study.figures_dir) / "study_table.md").read_text())
    for p in paths:
        print(p, file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add `iterkd study` to the sub-command parser `sub`."""
    p = sub.add_parser("study", help="IterKD vs one-shot vs untrained student at equal teacher tokens.",
                       description="Run (or resume) the study: each variant is a run directory under --out; "
                                   "then write the table and figure with CIs, paired tests and the claim test.")
    p.add_argument("config", help="YAML config, e.g. configs/study.yaml")
    p.add_argument("--out", help="study directory (default: <run.runs_root>/study-<run.name>); rerun to resume")
    p.add_argument("--variants", help="comma-separated, from untrained,iterkd,oneshot,selftrain (study.variants)")
    p.add_argument("--cycles", type=int, help="IterKD cycles (study.cycles)")
    p.add_argument("--figures-dir", help="where study_* tables and figure go (study.figures_dir)")
    p.add_argument("--no-png", action="store_true", help="write the figure as HTML only")
    p.add_argument("--table-only", action="store_true", help="do not run; rewrite the table/figure from --out")
    p.add_argument("overrides", nargs="*", help="dotted overrides such as evaluation.subset=20")
    p.set_defaults(func=_study)
