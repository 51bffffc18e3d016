"""Stage I's teacher yield, measured: one sample (before issue 15), sample-and-verify, and sample-and-verify + repair.

On a problem set (the demo's cycle-1 pool, and the 32-problem stratified sample of the seed file from
`data/measure_teacher_passk.py`), the real teacher answers through the library's own Stage I function
(`stages.teacher_attempts.teacher_attempts` with no faulty attempts and no student failures) at the config's
sample-and-verify settings, every answer run in the sandbox. From the one set of records, three rows:

- "n=1": sample 0 of each problem only (what one correct request per problem gave before issue 15);
- "sample-and-verify (n=N)": all N samples;
- "+ repair (R rounds)": plus the teacher's repairs of problems where all N samples failed.

Per row: problems with >= 1 verified teacher solution (share, 95% bootstrap interval over problems), distinct
verified solutions, teacher completion tokens spent and tokens per verified solution, and the share of SFT
positives the teacher wrote when the training set is built with the config's canonical policy
(`build_training_set`, canonical solutions verified in the sandbox). The samples use the same stage seed as
`data/measure_teacher_passk.py`, so they are read back from the response cache where that script ran first;
token counts then come from re-tokenising the cached text (`token_counts`, "retokenised").

Writes `figures/teacher_yield_table.md` and `.csv` (one row per set x setting) and prints the table.
Usage: python benchmarks/teacher_yield.py --config configs/demo.yaml --n 4 --repair-rounds 1 [--sets demo,strat32,passk]
       [--set KEY=VALUE ...]
("passk": the problems already in data/teacher_passk.jsonl, whose samples the response cache holds)
Not covered: repairs of the student's failures (they need a trained student: a demo run's cycle 2 records them).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "data"))


def _ci(flags: list[bool], reps: int = 2000, seed: int = 0) -> tuple[float, float]:
    rng = random.Random(seed)
    means = sorted(sum(rng.choice(flags) for _ in flags) / len(flags) for _ in range(reps))
    return means[int(0.025 * reps)], means[int(0.975 * reps) - 1]


def rows_for(name: str, problems: list[dict], attempts: list[dict], cfg, execute) -> list[dict]:
    """The three settings' rows for one problem set, all from one set of attempt records."""
    from iterkd_lib.scoring.code_extraction import code_key
    from iterkd_lib.stages.training_set import build_training_set, positive_origins

    settings = [("n=1 (one sample, before issue 15)", lambda r: r["origin"] == "teacher_sample" and r["sample_index"] == 0),
                (f"sample-and-verify (n={cfg.distill.correct_per_problem})", lambda r: r["origin"] == "teacher_sample"),
                (f"+ repair ({cfg.distill.repair_rounds} round(s))", lambda r: True)]
    out = []
    for label, keep in settings:
        recs = [r for r in attempts if keep(r)]
        ok = [r for r in recs if r["label"] == "correct"]
        solved = {r["task_id"] for r in ok}
        flags = [p["task_id"] in solved for p in problems]
        lo, hi = _ci(flags)
        tokens = [r.get("completion_tokens") for r in recs]
        spent = None if any(t is None for t in tokens) else sum(tokens)
        verified = len({(r["task_id"], code_key(r["code"])) for r in ok})
        pos = positive_origins(build_training_set(problems, recs, [], cfg, execute=execute))
        out.append({"set": name, "setting": label, "problems": len(problems), "solved": len(solved),
                    "share": round(len(solved) / len(problems), 3), "ci95": f"{lo:.2f}-{hi:.2f}",
                    "verified_distinct": verified, "teacher_tokens": spent,
                    "tokens_per_verified": round(spent / verified) if spent is not None and verified else None,
                    "sft_positives": pos["sft"], "teacher_written_share": pos["teacher_share"],
                    "by_origin": json.dumps(pos["by_origin"], sort_keys=True)})
    return out


def main(argv: list[str] | None = None) -> int:
    from measure_teacher_passk import add_set_option, config_with_sets, stratified_sample

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default="configs/demo.yaml")
    ap.add_argument("--n", type=int, default=4)
    ap.add_argument("--repair-rounds", type=int, default=1)
    ap.add_argument("--seed", type=int, default=15, help="stage seed (as in data/measure_teacher_passk.py)")
    ap.add_argument("--sets", default="demo,strat32")
    ap.add_argument("--batch-size", type=int, default=0)
    ap.add_argument("--out", default="figures/teacher_yield_table")
    ap.add_argument("--records", default="", help="also write the attempt records (JSONL) here")
    add_set_option(ap)
    args = ap.parse_args(argv)

    from iterkd_lib.models.backends import make_backend
    from iterkd_lib.problems import load_problems
    from iterkd_lib.sandbox import check_completions
    from iterkd_lib.stages.pool import read_passk, seed_pool
    from iterkd_lib.stages.teacher_attempts import teacher_attempts

    over = list(args.set) + [f"distill.correct_per_problem={args.n}", f"distill.repair_rounds={args.repair_rounds}",
            "distill.faulty_per_problem=0", "distill.repair_student_failures=false"]
    if args.batch_size:
        over.append(f"teacher.batch_size={args.batch_size}")
    cfg = config_with_sets(args.config, over, "teacher_yield")
    ex = cfg.execution

    def execute(pairs):
        return check_completions(pairs, timeout_s=ex.timeout_s, memory_mb=ex.memory_mb, workers=ex.workers)

    seeds = load_problems(cfg.data.seed_problems)
    sets = {"demo": seed_pool(cfg)[0], "strat32": stratified_sample(seeds)}
    measured = ROOT / "data" / "teacher_passk.jsonl"
    if measured.exists():  # "passk": the problems data/measure_teacher_passk.py measured (samples all cached)
        done = read_passk(measured)
        sets["passk"] = [p for p in seeds if p["task_id"] in done]
    wanted = [s for s in args.sets.split(",") if s]
    unknown = [s for s in wanted if s not in sets]
    if unknown:
        raise SystemExit(f"--sets: unknown set(s) {unknown}; known: {sorted(sets)}")
    union = {p["task_id"]: p for name in wanted for p in sets[name]}
    backend = make_backend(cfg.teacher, str(Path(cfg.run.cache_dir).expanduser()))
    t0 = time.time()
    attempts = teacher_attempts(list(union.values()), backend, cfg, seed=args.seed, execute=execute)
    seconds = time.time() - t0
    if args.records:
        Path(args.records).write_text("".join(json.dumps(r) + "\n" for r in attempts))
    rows = []
    for name in wanted:
        ids = {p["task_id"] for p in sets[name]}
        rows += rows_for(name, sets[name], [r for r in attempts if r["task_id"] in ids], cfg, execute)
    src = sorted({r.get("tokens_source") for r in attempts})
    dec = attempts[0]["decoding"] if attempts else {}
    head = (f"teacher {cfg.teacher.model} ({backend.describe().get('dtype', '?')}), chat, student instruction; "
            f"T={dec.get('temperature')} top_p={dec.get('top_p')} max_new_tokens={dec.get('max_new_tokens')}; "
            f"stage seed {args.seed}; canonical={cfg.distill.canonical}, max_correct_per_problem="
            f"{cfg.distill.max_correct_per_problem}; tokens: {', '.join(src)}; {seconds:.0f} s wall "
            f"(cache hits {backend.usage.get('cache_hits')}, generated {backend.usage.get('calls')})")
    cols = ["set", "setting", "problems", "solved", "share", "ci95", "verified_distinct", "teacher_tokens",
            "tokens_per_verified", "sft_positives", "teacher_written_share", "by_origin"]
    out = ROOT / args.out
    with open(out.with_suffix(".csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)
    md = [f"# Teacher yield (issue 15)\n\n{head}\n", "| " + " | ".join(cols) + " |",
          "|" + "---|" * len(cols)]
    md += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in rows]
    out.with_suffix(".md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
