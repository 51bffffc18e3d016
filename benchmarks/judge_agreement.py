"""Judge/test agreement measured side by side on the same recorded student attempts (issue 16, Stage II).

Two steps, each writing files under --out (default runs/judge_agreement/):

1. `record`: the student (Qwen2.5-Coder-0.5B-Instruct by default, llama.cpp engine) answers the first --n seed
   problems once at T=0.7 in the chat protocol (`prompts.student_messages`, the Stage II prompt); each answer is
   extracted and executed in the sandbox; `attempts.jsonl` holds one record per attempt (task_id, raw, code,
   completion, extraction, verdict, passed, the student's settings). Recorded once, replayed by every variant.
2. `judge`: the judge (Qwen2.5-Coder-1.5B-Instruct by default, llama.cpp) scores every recorded attempt with each
   --variants entry (a `constrained/score_method/calibration[/verdict]` spec of `feedback.judge`, see
   `scoring.judging.judge_attempts`), chunk by chunk with the variants alternating in order, so a run
   stopped early has judged the same attempts with every variant; per variant: AUC of the judge score against
   the test verdict with its 95% bootstrap CI (`scoring.agreement`), the AUC of the written (sampled) score,
   unparseable rate, judge tokens, wall time. Writes `judged_<variant>.jsonl` and `agreement.json` after each
   chunk, prints a Markdown table. Both steps are resumable: every answer is in the response cache.

Run (from the repository root):
    PYTHONPATH=$PWD python benchmarks/judge_agreement.py record --n 48
    PYTHONPATH=$PWD python benchmarks/judge_agreement.py judge --variants none/sampled/none,json/geval/none/score

Not covered: which variant a run uses (that is `feedback.judge` in the config); the numbers go to LOG.md by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import fields
from pathlib import Path

from iterkd_lib.config import BackendConfig, DecodingConfig, JudgeConfig
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
    args.problems = args.problems or "data/seed_problems.jsonl"
    problems = load_problems(args.problems)[args.start: args.start + args.n]
    cfg = BackendConfig(backend=args.engine, model=args.student, threads=args.threads, parallel=args.parallel,
                        request_timeout_s=args.request_timeout_s, base_url=args.base_url,
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
    atomic_write_text(out / "record_done.json", json.dumps({"n": len(rows), "seconds": round(time.time() - t0, 1),
                                                           "problems": str(args.problems)}))
    n_pass = sum(r["passed"] for r in rows)
    print(f"recorded {len(rows)} attempts ({n_pass} pass) in {time.time() - t0:.0f}s -> {out / 'attempts.jsonl'}")


# The parts of a --variants spec, in order: feedback.judge fields and the values each takes, read from the
# config's own choices ("free" is the name older runs gave constrained=none, the free text layout).
_CHOICES = {f.name: tuple(f.metadata["choices"]) for f in fields(JudgeConfig) if f.metadata.get("choices")}
VARIANT_PARTS = tuple((name, _CHOICES[name] + (("free",) if name == "constrained" else ()))
                      for name in ("constrained", "score_method", "calibration", "verdict"))


def _variant(spec: str) -> dict:
    """{field: value} of feedback.judge for one spec (see VARIANT_PARTS); SystemExit naming a bad part."""
    parts = spec.split("/")
    if len(parts) not in (3, 4):
        raise SystemExit(f"variant {spec!r}: expected constrained/score_method/calibration[/verdict], e.g. "
                         "json/geval/none or json/geval/none/score")
    for (name, allowed), value in zip(VARIANT_PARTS, parts):
        if value not in allowed:
            raise SystemExit(f"variant {spec!r}: {name} {value!r} is not one of {list(allowed)}")
    v = dict(zip((n for n, _ in VARIANT_PARTS), parts))
    return {**v, "constrained": "none"} if v["constrained"] == "free" else v


def _anchor_pool(attempts: list[dict], problems: dict, first: int) -> list[dict]:
    """Anchors for calibration 'anchors': canonical solutions (pass their tests) and failing recorded attempts
    of the first `first` attempts' problems -- fixed once, so every chunk sees the same anchors."""
    head = attempts[:first]
    pool = [{"task_id": a["task_id"], "prompt": problems[a["task_id"]]["prompt"], "code": a["code"], "passed": False}
            for a in head if not a["passed"] and a.get("code")]
    pool += [{"task_id": t, "prompt": problems[t]["prompt"],
              "code": problems[t]["prompt"] + problems[t]["canonical_solution"], "passed": True}
             for t in {a["task_id"] for a in head} if problems[t].get("canonical_solution")]
    return pool


def judge(args) -> None:
    """Every variant judges every recorded attempt, chunk by chunk (variants alternate within a chunk), so
    at any moment all variants have judged the same attempts; agreement.json is rewritten after each chunk.
    With --follow it waits for attempts.jsonl to grow until record_done.json appears."""
    from iterkd_lib.scoring.judge_scoring import pick_anchors
    from iterkd_lib.scoring.judging import judge_attempts

    out = Path(args.out)
    problems_path = args.problems
    if problems_path is None:  # the file the attempts were recorded on (record_done.json), else the seed pool
        done_file = out / "record_done.json"
        problems_path = (json.loads(done_file.read_text()).get("problems") if done_file.exists() else None) \
            or "data/seed_problems.jsonl"
    problems = {p["task_id"]: p for p in load_problems(problems_path)}
    if (out / "attempts.jsonl").exists():
        unknown = sorted({a["task_id"] for a in _read_jsonl(out / "attempts.jsonl")} - set(problems))
        if unknown:
            raise SystemExit(f"{out / 'attempts.jsonl'}: {len(unknown)} task_id(s) are not in {problems_path} "
                             f"(e.g. {unknown[0]}); pass --problems with the file the attempts were recorded on")
    variants = {s: _variant(s) for s in args.variants.split(",")}  # named by the spec as given
    base = JudgeConfig(backend=args.engine, model=args.judge, threads=args.threads, parallel=args.parallel,
                       request_timeout_s=args.request_timeout_s, base_url=args.base_url,
                       decoding=DecodingConfig(temperature=0.0, max_new_tokens=args.max_new_tokens))
    backend = make_backend(base, os.path.expanduser(args.cache_dir), cache=not args.no_cache)
    judged: dict[str, list[dict]] = {name: [] for name in variants}
    walls = {name: 0.0 for name in judged}
    tokens = {name: {"prompt_tokens": 0, "completion_tokens": 0} for name in judged}
    attempts: list[dict] = []
    anchors = None
    t_start = time.time()
    try:
        while True:
            attempts = _read_jsonl(out / "attempts.jsonl") if (out / "attempts.jsonl").exists() else []
            done = len(next(iter(judged.values())))
            if done >= len(attempts):
                if not args.follow or (out / "record_done.json").exists():
                    break
                time.sleep(20)
                continue
            if anchors is None and len(attempts) >= min(args.anchor_from, args.n):
                anchors = _anchor_pool(attempts, problems, args.anchor_from)
                if any(v.get("calibration") == "anchors" for v in variants.values()) and pick_anchors(anchors) is None:
                    print(f"warning: no problem among the first {args.anchor_from} attempts has both a passing "
                          "and a failing answer, so the anchors variant judges without anchors (it equals the "
                          "'none' variant); raise --anchor-from", flush=True)
            chunk = attempts[done: done + args.chunk]
            names = list(variants)
            for name in (names if (done // args.chunk) % 2 == 0 else names[::-1]):
                v = variants[name]
                cfg = JudgeConfig(**{**base.__dict__, **v})
                before = dict(backend.usage)
                t0 = time.time()
                judged[name] += judge_attempts(problems, chunk, backend, cfg.decoding, args.seed, judge_cfg=cfg,
                                               anchor_pool=anchors)
                walls[name] += time.time() - t0
                for k in tokens[name]:
                    tokens[name][k] += backend.usage.get(k, 0) - before.get(k, 0)
            _summarise(out, args, attempts[: done + len(chunk)], judged, walls, tokens, backend, t_start)
    finally:
        backend.close()


def _summarise(out: Path, args, attempts: list[dict], judged: dict, walls: dict, tokens: dict, backend,
               t_start: float) -> None:
    """agreement.json and judged_<variant>.jsonl over the attempts judged so far; prints the table."""
    from iterkd_lib.scoring.agreement import agreement_with_ci, paired_auc_difference

    results = {}
    passed = [a["passed"] for a in attempts]
    for name, js in judged.items():
        agr = agreement_with_ci([j["score"] for j in js], passed, seed=args.seed)
        sampled = agreement_with_ci([j.get("sampled_score", j["score"]) for j in js], passed, seed=args.seed)
        results[name] = {**agr, "auc_sampled_score": sampled["auc"], "auc_sampled_ci": sampled["auc_ci"],
                         "tokens": tokens[name], "wall_s": round(walls[name], 1),
                         "score_methods": _count(j.get("score_method") or "sampled" for j in js),
                         "tries": _count(j["tries"] for j in js),
                         "calibration_used": _count(j.get("calibration") or "none" for j in js),
                         "mean_score_passed": _mean([j["score"] for j, y in zip(js, passed) if y]),
                         "mean_score_failed": _mean([j["score"] for j, y in zip(js, passed) if not y])}
        if any(j.get("score_from") for j in js):  # the verdict was asked: each view's AUC on its own, paired
            for view, key in (("rubric", "rubric_score"), ("verdict", "p_correct")):
                a = agreement_with_ci([j.get(key) for j in js], passed, seed=args.seed)
                results[name][f"auc_{view}"], results[name][f"auc_{view}_ci"] = a["auc"], a["auc_ci"]
            results[name]["verdict_minus_rubric"] = paired_auc_difference(
                [j.get("p_correct") for j in js], [j.get("rubric_score") for j in js], passed, seed=args.seed)
        _write_jsonl(out / f"judged_{name.replace('/', '_')}.jsonl",
                     [{"task_id": a["task_id"], "passed": a["passed"], "judge": j} for a, j in zip(attempts, js)])
    summary = {"attempts": len(attempts), "passed": sum(passed), "judge": backend.describe(),
               "decoding": {"temperature": 0.0, "max_new_tokens": args.max_new_tokens}, "seed": args.seed,
               "elapsed_s": round(time.time() - t_start, 1), "variants": results}
    atomic_write_text(out / "agreement.json", json.dumps(summary, indent=2, default=str))
    print(f"\n{len(attempts)} attempts, {summary['passed']} pass; judge {args.judge} ({args.engine}), greedy, "
          f"seed {args.seed}, {summary['elapsed_s']:.0f}s so far")
    print("| variant (constrained/score/calibration[/verdict]) | AUC | 95% CI | AUC of the written score | unparseable | "
          "judged with anchors | completion tokens | wall s |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        ci = r["auc_ci"]
        print(f"| {name} | {_f(r['auc'])} | {_f(ci[0]) if ci else '-'} - {_f(ci[1]) if ci else '-'} | "
              f"{_f(r['auc_sampled_score'])} | {r['n_unparseable']}/{r['n_judged']} | "
              f"{r['calibration_used'].get('anchors', 0)}/{r['n_judged']} | "
              f"{r['tokens']['completion_tokens']} | {r['wall_s']:.0f} |", flush=True)
    for name, r in results.items():
        if "verdict_minus_rubric" in r:
            d = r["verdict_minus_rubric"]
            print(f"{name}: rubric view AUC {_f(r['auc_rubric'])}, verdict view AUC {_f(r['auc_verdict'])}; verdict - "
                  f"rubric {_f(d['diff'])} [{_f((d['ci'] or [None])[0])}, {_f((d['ci'] or [None, None])[1])}] "
                  f"(paired bootstrap over {d['n']} attempts, share of resamples <= 0: {_f(d['p_le_0'])})", flush=True)


def _mean(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None


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
    ap.add_argument("--problems", default=None,
                    help="problems JSONL (.gz too); record: default data/seed_problems.jsonl; judge: default the "
                         "file record used (record_done.json)")
    ap.add_argument("--n", type=int, default=48, help="record: seed problems answered (from --start)")
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--chunk", type=int, default=8, help="record: problems per call (attempts.jsonl grows per "
                    "chunk); judge: attempts per round of variants (the summary is rewritten after each)")
    ap.add_argument("--student", default="qwen2.5-coder-0.5b-instruct")
    ap.add_argument("--judge", default="qwen2.5-coder-1.5b-instruct")
    ap.add_argument("--engine", default="llamacpp", choices=("llamacpp", "hf", "openai"))
    ap.add_argument("--base-url", default="", help="--engine openai: the server, e.g. vLLM at http://host:8000/v1 "
                    "(its guided decoding takes the JSON schema; it returns top_logprobs)")
    ap.add_argument("--temperature", type=float, default=0.7)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--parallel", type=int, default=4)
    ap.add_argument("--max-new-tokens", type=int, default=320,
                    help="record: the student's budget; judge: the rubric reply's budget (part of the cache key: "
                         "the recorded measurements used 160, the demo's judge setting)")
    ap.add_argument("--request-timeout-s", type=float, default=1800.0,
                    help="one request's timeout (a loaded 2-core machine needs minutes per answer)")
    ap.add_argument("--variants", default="none/sampled/none,json/geval/none,json/geval/anchors",
                    help="judge: comma-separated constrained/score_method/calibration[/verdict] specs, the "
                         "feedback.judge fields of that name: constrained auto|json|none (free = none), "
                         "score_method auto|geval|sampled, calibration none|anchors, verdict none|record|score "
                         "(default none; record/score also ask the yes/no question, score judges by it)")
    ap.add_argument("--anchor-from", type=int, default=48,
                    help="judge: anchors come from the first N recorded attempts' problems (fixed once)")
    ap.add_argument("--follow", action="store_true", help="judge: wait for a running record step's chunks")
    ap.add_argument("--no-cache", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache-dir", default="~/.cache/iterkd")
    args = ap.parse_args()
    (record if args.step == "record" else judge)(args)


if __name__ == "__main__":
    main()
