"""`iterkd export RUN_DIR --cycle K --format llamafactory|trl|jsonl [--out DIR]`: a cycle's data for other trainers.

Writes the cycle's SFT set and preference pairs (cycle_K/03_training_set.jsonl) as LLaMA-Factory data files
+ dataset_info.json, TRL `datasets` saved to disk, or plain jsonl, with a dataset card; see
`iterkd_lib.export` for the layouts.
"""

from __future__ import annotations

import argparse


def _export(args: argparse.Namespace) -> int:
    from iterkd_lib.export import export_cycle

    res = export_cycle(args.run_dir, args.cycle, args.format, args.out)
    print(f"cycle {args.cycle} -> {args.format}: {res.n_sft} SFT examples, {res.n_pairs} preference pairs")
    for f in res.files:
        print(f"  {res.out_dir / f}")
    if args.format == "llamafactory":
        print(f"  datasets: {res.datasets['sft']} (sft), {res.datasets['preference']} (ranking); "
              f"dataset_dir: {res.out_dir}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    from iterkd_lib.export import FORMATS

    p = sub.add_parser("export", help="Export a cycle's SFT set and preference pairs for another trainer.",
                       description="Write cycle K's SFT set and preference pairs in the format LLaMA-Factory "
                                   "(sharegpt + dataset_info.json), TRL (datasets save_to_disk) or plain jsonl "
                                   "reads, with a dataset card (README.md).")
    p.add_argument("run_dir", help="a run directory (holds run.json)")
    p.add_argument("--cycle", type=int, required=True, help="the cycle whose training set to export (1, 2, ...)")
    p.add_argument("--format", choices=FORMATS, required=True)
    p.add_argument("--out", help="output folder (default: RUN_DIR/exports/cycle_K/FORMAT)")
    p.set_defaults(func=_export)
