"""Adapter training speed and memory side by side (issue 14): activation checkpointing on/off, torch threads,
batch 2 x 2 vs 1 x 4.

Each setting trains the same fresh LoRA adapter (same seed, same data) for --steps optimizer steps through
`stages.adapter.train_adapter`, the code a cycle runs, in a child process of its own (so its peak RSS is its
own); settings alternate within every round and the table gives the median seconds per step over --rounds
rounds, the ratio to the first setting, the largest peak RSS (MB, from the child's ru_maxrss, model load
included), and the SFT and contrastive losses of the last step. Batch 1 x 4 is the same effective batch as
2 x 2; its losses differ because padding and the order of sums differ. Activation checkpointing recomputes activations in the backward pass; it
changes time and memory, not the math, so its losses should equal the other setting's up to float noise (the
table gives the largest step-by-step difference; SmolLM2, 1 step each: 0 for SFT, 3e-4 for the contrastive
step after it). Threads change the order of floating-point sums, so their losses may differ in late digits.

Data: the first --problems seed problems (data/seed_problems.jsonl): their canonical solutions are the SFT
rows, and each canonical solution with its last non-empty line removed is the rejected side of a pair (a real
"faulty" answer: it usually fails the tests), in the chat format Stage I trains on.

Run (from the repository root, nothing else running for comparable numbers):
    PYTHONPATH=$PWD python benchmarks/bench_training.py --model qwen2.5-coder-0.5b-instruct --steps 4 --rounds 2

Not covered: GPU or 4-bit (QLoRA) training; padding-free / packed batches (TRL's padding_free needs an
attention implementation that reads position_ids, FlashAttention on GPU; not measured on CPU here).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from iterkd_lib.config import load_config
from iterkd_lib.models.student import load_student
from iterkd_lib.problems import load_problems
from iterkd_lib.prompts import student_messages
from iterkd_lib.seeding import set_torch_threads
from iterkd_lib.stages.adapter import train_adapter

# Every setting names its batch (rows per forward pass x accumulation), so that a change of the config's
# training batch does not change what a setting measures; the effective batch is 4 in all of them.
SETTINGS = {
    "ckpt_off_t1": {"gradient_checkpointing": False, "threads": 1, "batch_size": 2, "grad_accum": 2},
    "ckpt_on_t1": {"gradient_checkpointing": True, "threads": 1, "batch_size": 2, "grad_accum": 2},
    "ckpt_off_t2": {"gradient_checkpointing": False, "threads": 2, "batch_size": 2, "grad_accum": 2},
    # one pair or example per forward pass: half the activations and half the (rows x length x vocabulary)
    # logits held at once; no padding across examples (a pair's two answers are still padded to the longer)
    "bs1_ga4_t1": {"gradient_checkpointing": False, "threads": 1, "batch_size": 1, "grad_accum": 4},
    "bs1_ga4_ckpt_t1": {"gradient_checkpointing": True, "threads": 1, "batch_size": 1, "grad_accum": 4},
}


def training_records(problems: list[dict]) -> list[dict]:
    """SFT rows (canonical solutions) and pairs (canonical vs canonical without its last line), chat format."""
    recs = []
    for p in problems:
        body = p["canonical_solution"]
        lines = body.rstrip("\n").split("\n")
        cut = "\n".join(lines[:-1]) + "\n" if len(lines) > 1 else "    pass\n"
        msgs = student_messages(p)
        good = f"```python\n{p['prompt']}{body}```"
        bad = f"```python\n{p['prompt']}{cut}```"
        recs.append({"kind": "sft", "task_id": p["task_id"], "prompt": msgs, "completion": good})
        recs.append({"kind": "pair", "task_id": p["task_id"], "prompt": msgs, "chosen": good, "rejected": bad,
                     "rejected_source": "teacher"})
    return recs


def run_setting(name: str, args, records: list[dict]) -> dict:
    """Train one setting in this process; its row, with this process's peak RSS (MB)."""
    s = SETTINGS[name]
    set_torch_threads(s["threads"])
    overrides = [f"student.model={args.model}", f"training.max_steps={args.steps}",
                 f"student.gradient_checkpointing={str(s['gradient_checkpointing']).lower()}",
                 f"run.cache_dir={args.cache_dir}"]
    overrides += [f"training.{k}={s[k]}" for k in ("batch_size", "grad_accum")]
    cfg = load_config(args.config, overrides)
    model, tok = load_student(cfg.student, args.cache_dir, trainable=True, init_seed=args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-train-") as out:
        t0 = time.perf_counter()
        meta = train_adapter(model, tok, records, cfg, out, seed=args.seed, resume=False)
        wall = time.perf_counter() - t0
        log = [json.loads(line) for line in (Path(out) / "train_log.jsonl").read_text().splitlines()]
    del model
    gc.collect()
    steps = meta["global_steps"]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # Linux: KiB
    phase_s = {p: v["seconds"] / max(v["steps"], 1) for p, v in meta["phases"].items()}
    return {"setting": name, "wall_s": wall, "steps": steps, "s_per_step": wall / max(steps, 1),
            "sft_s_per_step": phase_s.get("sft"), "ctr_s_per_step": phase_s.get("contrastive"),
            "peak_rss_mb": round(peak_mb),
            "final_sft_loss": meta["final_sft_loss"], "final_contrastive_loss": meta["final_contrastive_loss"],
            "losses": [(r.get("sft_loss"), r.get("contrastive_loss")) for r in log]}


def run_in_child(name: str, argv: list[str]) -> dict:
    """`run_setting` in a fresh Python process, so that each setting's peak RSS is its own (ru_maxrss only
    grows within a process) and no setting inherits another's allocator state; raises RuntimeError naming the
    setting if the child fails."""
    proc = subprocess.run([sys.executable, __file__, *argv, "--one", name], stdout=subprocess.PIPE, text=True)
    rows = [line[4:] for line in proc.stdout.splitlines() if line.startswith("ROW ")]
    if proc.returncode != 0 or not rows:
        raise RuntimeError(f"setting {name}: the child process exited {proc.returncode} without a row")
    return json.loads(rows[-1])


def _median(runs: list[dict], key: str) -> float | None:
    vals = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def _fmt(x: float | None, spec: str) -> str:
    return format(x, spec) if x is not None else format("-", spec.split(".")[0].rstrip("f") + "s")


def main() -> None:
    ap = argparse.ArgumentParser(
        description="Adapter training speed and peak memory side by side, one child process per setting and "
                    "round (settings: " + ", ".join(f"{k} = {v}" for k, v in SETTINGS.items()) + ").",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--config", default="configs/demo.yaml",
                    help="training settings other than the batch, checkpointing and threads (max_length, loss, "
                         "learning rate); each setting sets those three itself")
    ap.add_argument("--model", default="qwen2.5-coder-0.5b-instruct", help="student (registry name or path)")
    ap.add_argument("--problems", type=int, default=8, help="first N seed problems: N SFT rows and N pairs")
    ap.add_argument("--steps", type=int, default=4, help="optimizer steps per phase (training.max_steps)")
    ap.add_argument("--rounds", type=int, default=2, help="rounds; the order of the settings rotates each round")
    ap.add_argument("--settings", nargs="+", default=list(SETTINGS), choices=list(SETTINGS),
                    help="the first is the baseline of the ratio and the loss difference")
    ap.add_argument("--seed", type=int, default=0, help="LoRA init and training seed (the same for every setting)")
    ap.add_argument("--cache-dir", default=os.path.expanduser("~/.cache/iterkd"), help="model cache")
    ap.add_argument("--json", default="", help="also write the rows to this file")
    ap.add_argument("--one", default="", help=argparse.SUPPRESS)  # internal: run one setting, print its row
    args = ap.parse_args()

    cfg = load_config(args.config)
    records = training_records(load_problems(cfg.data.seed_problems)[: args.problems])
    if args.one:
        print("ROW " + json.dumps(run_setting(args.one, args, records)), flush=True)
        return
    runs: dict[str, list[dict]] = {n: [] for n in args.settings}
    for rnd in range(args.rounds):
        order = args.settings[rnd % len(args.settings):] + args.settings[: rnd % len(args.settings)]
        for name in order:
            r = run_in_child(name, sys.argv[1:])
            runs[name].append(r)
            print(f"round {rnd + 1} {name:15s} {r['steps']} steps {r['wall_s']:7.1f} s; s/step SFT "
                  f"{_fmt(r['sft_s_per_step'], '.1f')}, contrastive {_fmt(r['ctr_s_per_step'], '.1f')}; "
                  f"peak RSS {r['peak_rss_mb']} MB; load {os.getloadavg()[0]:.1f}", flush=True)
    first = args.settings[0]
    base = statistics.median(r["s_per_step"] for r in runs[first])
    print(f"\nmodel={args.model} problems={args.problems} steps={args.steps} per phase rounds={args.rounds} "
          f"config={args.config} (max_length, loss, learning rate from it)")
    print("s/step: medians over the rounds; 'all' = wall time of both phases / steps (the ratio's basis)")
    print(f"{'setting':15s} {'batch':>5s} {'all':>6s} {'ratio':>6s} {'SFT':>6s} {'contr.':>6s} {'peak MB':>8s} "
          f"{'sft loss':>9s} {'ctr loss':>9s} max |loss - {first}'s|")
    rows = []
    for name in args.settings:
        med = statistics.median(r["s_per_step"] for r in runs[name])
        sft, ctr = _median(runs[name], "sft_s_per_step"), _median(runs[name], "ctr_s_per_step")
        r0 = runs[name][0]
        # the largest step-by-step loss difference to the first setting (its first round)
        diff = max((abs(a - b) for x, y in zip(r0["losses"], runs[first][0]["losses"]) for a, b in zip(x, y)
                    if a is not None and b is not None), default=None)
        peak = max(r["peak_rss_mb"] for r in runs[name])
        s = SETTINGS[name]
        rows.append({"setting": name, **s, "median_s_per_step": round(med, 2),
                     "median_sft_s_per_step": sft, "median_contrastive_s_per_step": ctr,
                     "per_round_s_per_step": [round(r["s_per_step"], 2) for r in runs[name]],
                     "ratio_to_first": round(med / base, 3), "peak_rss_mb": peak,
                     "per_round_peak_rss_mb": [r["peak_rss_mb"] for r in runs[name]],
                     "final_sft_loss": r0["final_sft_loss"],
                     "final_contrastive_loss": r0["final_contrastive_loss"], "max_loss_diff_to_first": diff})
        print(f"{name:15s} {s['batch_size']}x{s['grad_accum']:<3d} {med:6.1f} {med / base:6.2f} {_fmt(sft, '6.1f')} "
              f"{_fmt(ctr, '6.1f')} {peak:8d} {_fmt(r0['final_sft_loss'], '9.4f')} "
              f"{_fmt(r0['final_contrastive_loss'], '9.4f')} {_fmt(diff, '.2e')}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
