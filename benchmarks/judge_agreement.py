"""Judge/test agreement measured side by side on the same recorded student attempts (issue 16, Stage II).

Two steps, each writing files under --out (default runs/judge_agreement/):

1. `record`: the student (Qwen2.5-Coder-0.5B-Instruct by default, llama.cpp engine) answers the first --n seed
   problems once at T=0.7 in the chat protocol (`prompts.student_messages`, the Stage II prompt); each answer is
   extracted and executed in the sandbox; `attempts.jsonl` holds one record per attempt (task_id, raw, code,
   completion, extraction, verdict, passed, the student's settings). Recorded once, replayed by every variant.
2. `judge`: the judge (Qwen2.5-Coder-1.5B-Instruct by default, llama.cpp) scores every recorded attempt with each
   --variants entry (a `constrained/score_method/calibration` triple of `feedback.judge`, see
   `scoring.judge_parser.judge_attempts`); per variant: AUC of the judge score against the test verdict with
   its 95% bootstrap CI (`scoring.agreement`), unparseable rate, judge tokens, wall time. Variants run in
   alternating order per round when --rounds > 1 (the wall time is a median over rounds; the agreement is
   taken from round 1: later rounds are response-cache hits unless --no-cache). Writes `judged_<variant>.jsonl`
   and `agreement.json`, prints a Markdown table.

Run (from the repository root):
    PYTHONPATH=$PWD python benchmarks/judge_agreement.py record --n 48
    PYTHONPATH=$PWD python benchmarks/judge_agreement.py judge --variants free/sampled/none,constrained/geval/none

Not covered: which variant a run uses (that is `feedback.judge` in the config); the numbers go to LOG.md by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from iterkd_lib.config import BackendConfig, DecodingConfig
from iterkd_lib.models.backends import make_backend
from iterkd_lib.problems import load_problems
from iterkd_lib.prompts import student_messages
from iterkd_lib.runstore import atomic_write_text
from iterkd_lib.sandbox.execution import check_completions
from iterkd_lib.scoring.code_extraction import completion_from_code, extract


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    atomic_write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def _read_jsonl(path: Path) -> list[dict]:
    with open(path) as fh:
        return [json.loads(line) for line in fh if line.strip()]


def record(args) -> None:
    """Student answers --n seed problems once; each answer executed; attempts.jsonl written."""
    problems = load_problems(args.problems)[args.start: args.start + args.n]
    cfg = BackendConfig(backend=args.engine, model=args.student, threads=args.threads, parallel=args.parallel,
                        request_timeout_s=args.request_timeout_s,
                        decoding=DecodingConfig(temperature=args.temperature, top_p=0.95, max_new_tokens=512))
    student = make_backend(cfg, os.path.expanduser(args.cache_dir))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    t0 = time.time()
    try:  # in chunks, attempts.jsonl rewritten after each: the judge step can start on the first ones
        for c in range(0, len(problems), args.chunk):
            chunk = problems[c: c + args.chunk]
            replies = student.chat([student_messages(p) for p in chunk], cfg.decoding, args.seed, n=1, details=True)
            new = []
            for p, (ans,) in zip(chunk, replies, strict=True):
                ex = extract(ans["text"], p.get("entry_point"))
                new.append({"task_id": p["task_id"], "raw": ans["text"], "code": ex.code,
                            "completion": completion_from_code(p, ex.code),
                            "extraction": {"rule": ex.rule, "failure": ex.failure, "detail": ex.detail},
                            "student": student.describe(),
                            "decoding": {"temperature": args.temperature, "top_p": 0.95, "max_new_tokens": 512},
                            "seed": args.seed, "sample_seed": ans["sample_seed"], "usage": ans["usage"]})
            verdicts = check_completions([(p, r["completion"]) for p, r in zip(chunk, new)], workers=1)
            for r, v in zip(new, verdicts, strict=True):
                r["verdict"], r["passed"] = v, bool(v["passed"])
            rows += new
            _write_jsonl(out / "attempts.jsonl", rows)
            print(f"{len(rows)} attempts ({sum(r['passed'] for r in rows)} pass), {time.time() - t0:.0f}s", flush=True)
    finally:
        student.close()
    n_pass = sum(r["passed"] for r in rows)
    print(f"recorded {len(rows)} attempts ({n_pass} pass) in {time.time() - t0:.0f}s -> {out / 'attempts.jsonl'}")


def _variant(spec: str) -> dict:
    parts = spec.split("/")
    if len(parts) != 3:
        raise SystemExit(f"variant {spec!r}: expected constrained/score_method/calibration, e.g. json/geval/none")
    return {"constrained": parts[0], "score_method": parts[1], "calibration": parts[2]}


def judge(args) -> None:
    """Every variant judges every recorded attempt; agreement with CI per variant; agreement.json written."""
    from iterkd_lib.config import JudgeConfig
    from iterkd_lib.scoring.agreement import agreement_with_ci
    from iterkd_lib.scoring.judge_parser import judge_attempts, verified_anchors

    out = Path(args.out)
    attempts = _read_jsonl(out / "attempts.jsonl")
    problems = {p["task_id"]: p for p in load_problems(args.problems)}
    variants = [_variant(s) for s in args.variants.split(",")]
    base = JudgeConfig(backend=args.engine, model=args.judge, threads=args.threads, parallel=args.parallel,
                       request_timeout_s=args.request_timeout_s,
                       decoding=DecodingConfig(temperature=0.0, max_new_tokens=args.max_new_tokens))
    backend = make_backend(base, os.path.expanduser(args.cache_dir), cache=not args.no_cache)
    anchors = verified_anchors(list(problems.values()), exclude={a["task_id"] for a in attempts})
    results: dict[str, dict] = {}
    walls: dict[str, list[float]] = {}
    try:
        for rnd in range(args.rounds):
            order = variants if rnd % 2 == 0 else variants[::-1]
            for v in order:
                name = "/".join(v.values())
                cfg = JudgeConfig(**{**base.__dict__, **v})
                before = dict(backend.usage)
                t0 = time.time()
                judged = judge_attempts(problems, attempts, backend, cfg.decoding, args.seed, judge_cfg=cfg,
                                        anchors=anchors)
                walls.setdefault(name, []).append(time.time() - t0)
                if rnd:
                    continue
                used = {k: backend.usage.get(k, 0) - before.get(k, 0) for k in backend.usage}
                scores = [j["score"] for j in judged]
                passed = [a["passed"] for a in attempts]
                agr = agreement_with_ci(scores, passed, seed=args.seed)
                results[name] = {**v, **agr, "tokens": used, "score_method_used": dict(
                    _count(j.get("score_method") for j in judged)), "tries": dict(_count(j["tries"] for j in judged))}
                _write_jsonl(out / f"judged_{name.replace('/', '_')}.jsonl",
                             [{"task_id": a["task_id"], "passed": a["passed"], "judge": j}
                              for a, j in zip(attempts, judged)])
                print(f"{name}: AUC {agr['auc']} CI {agr['auc_ci']} unparseable {agr['n_unparseable']}/"
                      f"{agr['n_judged']} wall {walls[name][-1]:.0f}s", flush=True)
    finally:
        backend.close()
    for name, r in results.items():
        r["wall_s_median"] = statistics.median(walls[name])
        r["wall_s_rounds"] = walls[name]
    summary = {"attempts": len(attempts), "passed": sum(a["passed"] for a in attempts), "judge": backend.describe(),
               "decoding": {"temperature": 0.0, "max_new_tokens": args.max_new_tokens}, "seed": args.seed,
               "rounds": args.rounds, "variants": results}
    atomic_write_text(out / "agreement.json", json.dumps(summary, indent=2, default=str))
    print(f"\n{len(attempts)} attempts, {summary['passed']} pass; judge {args.judge} ({args.engine}), greedy, "
          f"seed {args.seed}\n")
    print("| variant (constrained/score/calibration) | AUC | 95% CI | unparseable | completion tokens | wall s |")
    print("|---|---|---|---|---|---|")
    for name, r in results.items():
        ci = r["auc_ci"]
        print(f"| {name} | {_f(r['auc'])} | {_f(ci[0]) if ci else '-'} - {_f(ci[1]) if ci else '-'} | "
              f"{r['n_unparseable']}/{r['n_judged']} | {r['tokens'].get('completion_tokens', '?')} | "
              f"{r['wall_s_median']:.0f} |")


def _f(x) -> str:
    return "-" if x is None else f"{x:.3f}"


def _count(items) -> dict:
    out: dict = {}
    for x in items:
        out[x] = out.get(x, 0) + 1
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("step", choices=("record", "judge"))
    ap.add_argument("--out", default="runs/judge_agreement")
    ap.add_argument("--problems", default="data/seed_problems.jsonl")
    ap.add_argument("--n", type=int, default=48, help="record: seed problems answered (from --start)")
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--chunk", type=int, default=8, help="record: problems per call (attempts.jsonl grows per chunk)")
    ap.add_argument("--student", default="qwen2.5-coder-0.5b-instruct")
    ap.add_argument("--judge", default="qwen2.5-coder-1.5b-instruct")
    ap.add_argument("--engine", default="llamacpp", choices=("llamacpp", "hf", "openai"))
    ap.add_argument("--temperature", type=float, default=0.7)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--parallel", type=int, default=4)
    ap.add_argument("--max-new-tokens", type=int, default=320)
    ap.add_argument("--request-timeout-s", type=float, default=1800.0,
                    help="one request's timeout (a loaded 2-core machine needs minutes per answer)")
    ap.add_argument("--variants", default="free/sampled/none,json/geval/none,json/geval/anchors")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--no-cache", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache-dir", default="~/.cache/iterkd")
    args = ap.parse_args()
    (record if args.step == "record" else judge)(args)


if __name__ == "__main__":
    main()
