"""Measure the teacher's pass@k on the seed problems, by difficulty label -> data/teacher_passk.jsonl + summary.

Per problem: n samples of the student's instruction (`student_messages`, the very request Stage I's
sample-and-verify sends) at the config's sampling temperature, each run against the problem's tests in the
sandbox; the record holds n, c (samples that pass), pass@1 and pass@k (unbiased estimator, `passk.pass_at_k`),
the difficulty label of the seed file, the completion tokens of each sample and the settings. The summary
(`data/teacher_passk_summary.json`) gives, per label and overall, the mean pass@1 / pass@k with a 95%
bootstrap interval over problems, the share of problems with >= 1 verified sample, and the label mismatches:
problems labelled "easy" that the teacher never solves, "hard" ones it always solves (reported, the labels
are not changed).

The requests use the same call seed as `stages.teacher_attempts.sample_and_verify` with `--seed` as the
stage seed, so a pipeline run with that seed (and the measurement of `benchmarks/teacher_yield.py`) reads
these samples back from the response cache instead of generating them again.

Order: problems are processed in chunks and written after each chunk (a killed run keeps what it measured;
rerunning continues from the response cache). `--order stratified` first does the 32-problem stratified
sample of `stratified_sample` (and the demo pool), then the rest in file order; `--order random` takes all
problems in a seeded random order, so any prefix is a random sample. `--skip FILE` (repeatable) leaves out
the problems already measured in an earlier output file (the response cache does not survive a new machine)
and adds a "combined" summary over those rows and the new ones: how the measurement is extended to more
problems without rewriting the file the teachable pool policy reads (data.teacher_passk). With --skip, --out
is required; naming the --out file in --skip too extends it. Rows measured with another n or decoding, or
a problem in two files, stop the run before the teacher loads.

Usage (from the repository root, the teacher model prepared under ~/.cache/iterkd):
    python data/measure_teacher_passk.py --config configs/demo.yaml --n 4 [--limit 40] [--batch-size 16]
Not covered: the repair rounds (see benchmarks/teacher_yield.py) and anything about the student.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from iterkd_lib.config import ConfigError, load_config
from iterkd_lib.problems import load_problems
from iterkd_lib.scoring.passk import pass_at_k
from iterkd_lib.seeding import derive_seed


def stratified_sample(problems: list[dict], size: int = 32, seed: int = 0) -> list[dict]:
    """`size` problems, each difficulty label represented in proportion to its share (largest remainder),
    drawn by a seeded shuffle within each label; returned in file order."""
    by_label: dict[str, list[dict]] = defaultdict(list)
    for p in problems:
        by_label[p.get("difficulty", "unlabelled")].append(p)
    quotas = {lab: size * len(ps) / len(problems) for lab, ps in by_label.items()}
    take = {lab: int(q) for lab, q in quotas.items()}
    for lab in sorted(quotas, key=lambda lab: -(quotas[lab] - take[lab]))[: size - sum(take.values())]:
        take[lab] += 1
    chosen = set()
    for lab, ps in sorted(by_label.items()):
        order = list(ps)
        random.Random(derive_seed(seed, "stratified", lab)).shuffle(order)
        chosen |= {p["task_id"] for p in order[: take[lab]]}
    return [p for p in problems if p["task_id"] in chosen]


def bootstrap_ci(values: list[float], reps: int = 2000, seed: int = 0) -> list[float]:
    """95% percentile bootstrap interval of the mean over problems."""
    if not values:
        return [float("nan"), float("nan")]
    rng = random.Random(seed)
    means = sorted(sum(rng.choice(values) for _ in values) / len(values) for _ in range(reps))
    return [round(means[int(0.025 * reps)], 4), round(means[int(0.975 * reps) - 1], 4)]


def summarise(rows: list[dict], k: int) -> dict:
    """Per label and overall: problems, mean pass@1 / pass@k with CIs, share solved, label mismatches."""
    out: dict = {"by_label": {}, "k": k}
    groups = defaultdict(list)
    for r in rows:
        groups[r["label"]].append(r)
    groups["all"] = list(rows)
    for lab, rs in groups.items():
        p1, pk = [r["pass@1"] for r in rs], [r[f"pass@{k}"] for r in rs]
        out["by_label"][lab] = {"problems": len(rs), "pass@1": round(sum(p1) / len(rs), 4),
                                "pass@1_ci95": bootstrap_ci(p1), f"pass@{k}": round(sum(pk) / len(rs), 4),
                                f"pass@{k}_ci95": bootstrap_ci(pk),
                                "solved_share": round(sum(r["c"] > 0 for r in rs) / len(rs), 4)}
    out["mismatches"] = {
        "easy_never_solved": [r["task_id"] for r in rows if r["label"] == "easy" and r["c"] == 0],
        "hard_always_solved": [r["task_id"] for r in rows if r["label"] == "hard" and r["c"] == r["n"]],
    }
    return out


def read_rows(path: str | Path, n: int, decoding: dict | None = None) -> list[dict]:
    """The rows of an earlier output file (a relative path is taken from the repository root, like --out),
    checked by `stages.pool.read_passk` and for the fields the summary needs. SystemExit naming the file (and
    line) if it is missing or not a file, a line is not a pass@k row or lacks label / pass@n, a row was
    measured with another n, or the file's <stem>_summary.json names another temperature, top_p or
    max_new_tokens than `decoding` (their pass@k would not be comparable)."""
    from iterkd_lib.stages.pool import read_passk

    path = ROOT / path
    try:
        checked = read_passk(path)
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    except (OSError, ValueError) as e:
        raise SystemExit(f"measure_teacher_passk: --skip {path}: {e}") from None
    other = [t for t, r in checked.items() if r["n"] != n]
    if other:
        raise SystemExit(f"measure_teacher_passk: --skip {path}: {len(other)} row(s) measured with "
                         f"n={checked[other[0]]['n']} (first: {other[0]}), this run uses --n {n}")
    for i, row in enumerate(rows, 1):
        if "label" not in row or f"pass@{n}" not in row:
            raise SystemExit(f"measure_teacher_passk: --skip {path}, row {i}: needs label and pass@{n}")
    summary = path.with_name(path.stem + "_summary.json")
    if decoding is not None and summary.is_file():
        theirs = json.loads(summary.read_text()).get("settings", {}).get("decoding", {})
        off = {k: (theirs.get(k), decoding[k]) for k in ("temperature", "top_p", "max_new_tokens")
               if k in theirs and theirs[k] != decoding[k]}
        if off:
            raise SystemExit(f"measure_teacher_passk: --skip {path}: measured with another decoding than this run "
                             f"({', '.join(f'{k} {a} vs {b}' for k, (a, b) in off.items())}; see --set)")
    return rows


def add_set_option(ap: argparse.ArgumentParser) -> None:
    """The repeatable `--set KEY=VALUE` config override (this script and benchmarks/teacher_yield.py)."""
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="config override (repeatable), e.g. teacher.decoding.max_new_tokens=256 to measure more "
                         "problems at the limit earlier rows used (their samples come back from the cache)")


def config_with_sets(path: str, overrides: list[str], prog: str):
    """load_config(path, overrides); a ConfigError exits with one line naming `prog`, the key and the file."""
    try:
        return load_config(path, overrides or None)
    except ConfigError as e:
        raise SystemExit(f"{prog}: config error: {e}") from None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default="configs/demo.yaml", help="the teacher, its decoding and the sandbox limits")
    ap.add_argument("--problems", default="data/seed_problems.jsonl", help="the problem file (seed format)")
    ap.add_argument("--n", type=int, default=4, help="samples per problem")
    ap.add_argument("--seed", type=int, default=15, help="stage seed (the call seed derives from it)")
    ap.add_argument("--order", choices=("stratified", "file", "random"), default="stratified")
    ap.add_argument("--skip", action="append", default=[], metavar="FILE",
                    help="an earlier output file (repeatable): its problems are not measured again, and the "
                         "summary adds a 'combined' block over its rows and the new ones")
    ap.add_argument("--limit", type=int, default=0, help="stop after this many problems (0 = all)")
    ap.add_argument("--chunk", type=int, default=8, help="problems per generation call")
    ap.add_argument("--batch-size", type=int, default=0, help="override teacher.batch_size")
    ap.add_argument("--out", default=None,
                    help="rows (rewritten in full, from the response cache where it holds the samples) + "
                         "<stem>_summary.json; default data/teacher_passk.jsonl (the file data.teacher_passk "
                         "reads), which --skip never overwrites by default: give --out with --skip")
    add_set_option(ap)
    args = ap.parse_args(argv)

    from iterkd_lib.models.backends import make_backend
    from iterkd_lib.prompts import student_messages
    from iterkd_lib.sandbox import check_completions
    from iterkd_lib.scoring.code_extraction import completion_from_code, extract_code
    from iterkd_lib.stages.pool import seed_pool
    from iterkd_lib.stages.teacher_attempts import sample_decoding, sample_seed, token_counts

    if args.out is None and args.skip:
        raise SystemExit("measure_teacher_passk: --skip needs --out (the default, data/teacher_passk.jsonl, is the "
                         "file the teachable pool policy reads)")
    args.out = args.out or "data/teacher_passk.jsonl"
    cfg = config_with_sets(args.config, list(args.set) + (
        [f"teacher.batch_size={args.batch_size}"] if args.batch_size else []), "measure_teacher_passk")
    decoding = sample_decoding(cfg)
    out_path = ROOT / args.out
    kept, earlier = [], []   # rows of --out itself (when skipped too, the run extends the file); of other files
    for f in args.skip:
        rows = read_rows(f, args.n, vars(decoding))
        seen = {r["task_id"]: g for g, rs in (("--out", kept), ("an earlier --skip", earlier)) for r in rs}
        twice = next((r["task_id"] for r in rows if r["task_id"] in seen), None)
        if twice:
            raise SystemExit(f"measure_teacher_passk: --skip {f}: {twice} is also in {seen[twice]} file")
        (kept if (ROOT / f).resolve() == out_path.resolve() else earlier).extend(rows)
    problems = load_problems(args.problems)
    if args.order == "stratified":
        demo_pool, _ = seed_pool(cfg)
        first = {p["task_id"] for p in stratified_sample(problems)} | {p["task_id"] for p in demo_pool}
        problems = [p for p in problems if p["task_id"] in first] + [p for p in problems if p["task_id"] not in first]
    elif args.order == "random":
        random.Random(derive_seed(args.seed, "passk-order")).shuffle(problems)
    done = {row["task_id"] for row in kept + earlier}
    problems = [p for p in problems if p["task_id"] not in done]
    if args.limit:
        problems = problems[: args.limit]
    backend = make_backend(cfg.teacher, str(Path(cfg.run.cache_dir).expanduser()))
    call_seed = sample_seed(args.seed)
    rows = list(kept)
    t0 = time.time()
    print(f"{len(done)} problems measured before (--skip), {len(problems)} to measure", flush=True)
    for start in range(0, len(problems), args.chunk):
        chunk = problems[start: start + args.chunk]
        msgs = [student_messages(p) for p in chunk]
        texts, tokens, source = token_counts(backend, msgs, decoding, call_seed, args.n)
        jobs = []
        for p, samples in zip(chunk, texts, strict=True):
            for raw in samples:
                jobs.append((p, completion_from_code(p, extract_code(raw, p.get("entry_point")))))
        verdicts = check_completions(jobs, timeout_s=cfg.execution.timeout_s, memory_mb=cfg.execution.memory_mb,
                                     workers=cfg.execution.workers)
        for i, (p, toks) in enumerate(zip(chunk, tokens, strict=True)):
            vs = verdicts[i * args.n: (i + 1) * args.n]
            c = sum(bool(v.get("passed")) for v in vs)
            rows.append({"task_id": p["task_id"], "label": p.get("difficulty"), "n": args.n, "c": c,
                         "pass@1": round(pass_at_k(args.n, c, 1), 4), f"pass@{args.n}": round(pass_at_k(args.n, c, args.n), 4),
                         "passed": [bool(v.get("passed")) for v in vs],
                         "errors": [v.get("error_type") for v in vs], "completion_tokens": toks,
                         "tokens_source": source})
        settings = {"teacher": backend.describe(), "decoding": vars(decoding) | {"stop": list(decoding.stop)},
                    "stage_seed": args.seed, "call_seed": call_seed, "n": args.n, "order": args.order,
                    "problems_total": len(problems), "measured": len(rows), "seconds": round(time.time() - t0),
                    "protocol": "chat, student_messages (Stage I's correct request), code extracted, sandbox"}
        out_path.write_text("".join(json.dumps(r) + "\n" for r in rows))
        summary = {"settings": settings, **summarise(rows, args.n)}
        if earlier:
            summary["combined"] = {"files": sorted(set(args.skip) | {args.out}), **summarise(earlier + rows, args.n)}
        out_path.with_name(out_path.stem + "_summary.json").write_text(json.dumps(summary, indent=1) + "\n")
        print(f"[{time.time() - t0:.0f}s] {len(rows) - len(kept)}/{len(problems)} problems; "
              f"pass@1 {summary['by_label']['all']['pass@1']:.3f} solved {summary['by_label']['all']['solved_share']:.3f}",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
