"""`iterkd figures RUN_DIR [--out DIR] [--cycle K] [--no-png] [--ablation DIR ...] [--ablation-cycle K]`.

Writes every figure of a run to disk: HTML always; PNG as well when kaleido finds a Chrome (a warning says so
when it does not). Figures whose stage has no records yet are skipped and listed. With --ablation, RUN_DIR is
the full method and each DIR an ablation run: the ablation table is written too (HTML, PNG, Markdown) and
printed; each variant is named from its config difference. The figures live in `iterkd_lib.figures`.
The default folder is RUN_DIR/figures, so exporting a run never replaces the repository's committed figures
(`--out figures` refreshes those on purpose).
"""

from __future__ import annotations

import argparse
import warnings

from iterkd_lib.runstore import RunStore


def _figures(args: argparse.Namespace) -> int:
    from iterkd_lib.figures import PngExportUnavailable, export_figures

    store = RunStore(args.run_dir)
    store.read_run_info()  # fails with a clear message when RUN_DIR is not a run directory
    if args.out is None:
        args.out = str(store.root / "figures")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PngExportUnavailable)
        skipped: list[str] = []
        paths = export_figures(store, args.out, cycle=args.cycle, png=not args.no_png, skipped=skipped)
        if args.ablation:
            paths += _ablation(store, args)
    for w in caught:
        print(f"warning: {w.message}")
    for p in paths:
        print(p)
    print(f"# {len(paths)} file(s) written to {args.out}"
          + (f"; skipped, no data yet: {', '.join(skipped)}" if skipped else ""))
    return 0


def _ablation(store: RunStore, args: argparse.Namespace) -> list:
    from pathlib import Path

    from iterkd_lib import figures as F

    stores = {"full method": store}
    for d in args.ablation:
        other = RunStore(d)
        other.read_run_info()
        name = F.ablation_name(store, other)
        stores[name if name not in stores else f"{name} ({other.root.name})"] = other
    rows = F.ablation_rows(stores, "full method", args.ablation_cycle)
    paths = F.save_figure(F.ablation_figure(rows), "ablation_table", args.out, png=not args.no_png)
    md = F.ablation_markdown(rows)
    out = Path(args.out) / "ablation_table.md"
    out.write_text(md)
    print(md)
    return [*paths, out]


def register(sub: argparse._SubParsersAction) -> None:
    """Add `iterkd figures` to the sub-command parser `sub`."""
    p = sub.add_parser("figures", help="Export a run's figures as HTML (and PNG when chromium works).",
                       description="Export every figure of a run directory as HTML, and as PNG when kaleido "
                                   "finds chromium. Figures without data are skipped.")
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run directory, e.g. runs/demo-20261125-1200")
    p.add_argument("--out", default=None, help="output folder (default: RUN_DIR/figures)")
    p.add_argument("--cycle", type=int, default=None, help="per-cycle figures for this cycle only (default: all)")
    p.add_argument("--no-png", action="store_true", help="write HTML only")
    p.add_argument("--ablation", action="append", default=[], metavar="DIR",
                   help="an ablation run of RUN_DIR's method (repeatable); writes the ablation table")
    p.add_argument("--ablation-cycle", type=int, default=None, metavar="K",
                   help="compare the ablation runs at cycle K (default: each run's best cycle)")
    p.set_defaults(func=_figures)
