"""Per-cycle evaluation: the student (or the teacher) on the benchmark and on held-out seed problems.

Two prompt protocols, because headline numbers that do not reproduce usually differ exactly here:
- 'completion': the raw HumanEval prompt is continued with no chat template, cut at the first new top-level
  statement (`code_extraction.truncate_completion`). This is how the platform baselines were measured.
- 'chat': the problem goes through `prompts.student_messages` (the very prompt the student is trained
  on) and the function is pulled out of the answer with `code_extraction.extract_code`.
Every result carries the protocol, the decoding settings, the model description and the seed.

pass@k uses the unbiased estimator (`passk.pass_at_k`) over `evaluation.samples` samples per problem
(samples > 1 at `evaluation.decoding.temperature`, recorded as such). Each pass@k carries a 95% bootstrap CI
over problems (`stats.pass_at_k_ci`, `evaluation.ci_resamples` resamples) under `pass@k_ci`, and every
record keeps why its answer ended (`finish_reason`: 'stop' / 'length' / 'unknown', from the backend's
`last_finish_reasons`); the metrics count the answers cut at `max_new_tokens` (`cut_at_length`,
`cut_share`), because a cut answer fails for the budget, not for the model.

Not covered: sampling-temperature sweeps, other benchmarks than HumanEval-format JSONL files, comparisons
between evaluations (`stats.compare_paired`, used by `cycle_summary`).

Entry points: `benchmark_problems(cfg)`, `evaluate(backend, problems, cfg, seed, protocol, subject)`.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

from iterkd_lib.config import IterKDConfig, config_to_dict
from iterkd_lib.problems import load_humaneval, load_problems
from iterkd_lib.prompts import student_messages
from iterkd_lib.sandbox import executor
from iterkd_lib.scoring.code_extraction import (
    completion_from_code,
    extract,
    truncate_completion,
    verdict_with_extraction,
)
from iterkd_lib.scoring.passk import pass_at_k
from iterkd_lib.scoring.stats import SEED as CI_SEED
from iterkd_lib.scoring.stats import pass_at_k_ci


def benchmark_problems(cfg: IterKDConfig) -> list[dict]:
    """The benchmark problems evaluation.benchmark names ("humaneval" = the bundled HumanEval, else a JSONL
    path), the first evaluation.subset of them when > 0. Raises problems.ProblemError for a bad file."""
    ev = cfg.evaluation
    problems = load_humaneval() if ev.benchmark == "humaneval" else load_problems(ev.benchmark)
    return problems[: ev.subset] if ev.subset else problems


# Stop strings per protocol, added to the configured ones. They only end generation early: the text that
# counts is cut the same way afterwards (truncate_completion / extract_code), so results do not depend on
# them, but time does: a 0.5B model keeps writing tests and prose after the function until max_new_tokens.
PROTOCOL_STOPS = {
    "completion": ["\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#"],
    "chat": ["\n```\n"],   # the end of the first fenced block; what follows is explanation
}


def decoding_for(decoding, protocol: str):
    """The decoding actually used for `protocol` (configured stops + the protocol's own); it is recorded."""
    extra = [s for s in PROTOCOL_STOPS[protocol] if s not in decoding.stop]
    return dataclasses.replace(decoding, stop=[*decoding.stop, *extra])


def _finish_reasons(backend, outs: list[list[str]]) -> list[list[str]]:
    """The backend's finish reasons for its latest call, or 'unknown' (a backend that does not report them)."""
    got = getattr(backend, "last_finish_reasons", None)
    if isinstance(got, list) and [len(r) for r in got] == [len(r) for r in outs]:
        return got
    return [["unknown"] * len(r) for r in outs]


def _completions(backend, problems: list[dict], protocol: str, decoding, seed: int, n: int) -> list[list[tuple]]:
    """[(raw, completion, extraction, finish_reason)] per problem; `completion` is what goes after the prompt in
    the program; `extraction` (chat protocol only, else None) says which rule found the code or why none could;
    `finish_reason` is 'stop' / 'length' / 'unknown' (see `_finish_reasons`)."""
    if protocol == "completion":
        outs = backend.complete([p["prompt"] for p in problems], decoding, seed, n=n)
        fins = _finish_reasons(backend, outs)
        return [[(raw, truncate_completion(raw), None, f) for raw, f in zip(samples, fs)]
                for samples, fs in zip(outs, fins)]
    outs = backend.chat([student_messages(p) for p in problems], decoding, seed, n=n)
    fins = _finish_reasons(backend, outs)
    out = []
    for p, samples, fs in zip(problems, outs, fins):
        exs = [extract(raw, p["entry_point"]) for raw in samples]
        out.append([(raw, completion_from_code(p, ex.code), ex, f) for raw, ex, f in zip(samples, exs, fs)])
    return out


def evaluate(backend, problems: list[dict], cfg: IterKDConfig, seed: int, protocol: str | None = None,
             subject: str = "student", benchmark: str | None = None, view: str | None = None,
             cycle: int | None = None) -> tuple[list[dict], dict]:
    """Generate, execute and score. Returns (per-sample records, metrics with their settings and CIs).

    view: the name this evaluation is reported under ('benchmark', 'benchmark_completion', 'held_out');
    default 'held_out' for benchmark 'held_out', else 'benchmark'. cycle: recorded with the metrics."""
    ev = cfg.evaluation
    protocol = protocol or ev.protocol
    name = benchmark or ev.benchmark
    view = view or ("held_out" if name == "held_out" else "benchmark")
    decoding = decoding_for(ev.decoding, protocol)
    samples = _completions(backend, problems, protocol, decoding, seed, ev.samples)
    pairs = [(p, comp) for p, s in zip(problems, samples) for _, comp, _, _ in s]
    verdicts = executor(cfg.execution)(pairs)
    records, it = [], iter(verdicts)
    per_task: dict[str, list[bool]] = defaultdict(list)
    finish: dict[str, int] = defaultdict(int)
    for p, s in zip(problems, samples):
        for i, (raw, comp, ex, fin) in enumerate(s):
            v = verdict_with_extraction(next(it), ex)
            per_task[p["task_id"]].append(bool(v["passed"]))
            finish[fin] += 1
            records.append({"subject": subject, "benchmark": name, "view": view, "protocol": protocol,
                            "task_id": p["task_id"], "sample_index": i, "raw": raw, "completion": comp,
                            "finish_reason": fin, "passed": bool(v["passed"]), "result": v["status"], "verdict": v})
    metrics: dict = {}
    for k in ev.pass_k:
        if k > ev.samples:
            continue
        metrics[f"pass@{k}"] = _mean([pass_at_k(len(r), sum(r), k) for r in per_task.values()])
        if per_task:
            est = pass_at_k_ci(per_task, k, n_resamples=ev.ci_resamples, seed=CI_SEED)
            metrics[f"pass@{k}_ci"] = [est.low, est.high]
    n_answers = sum(finish.values())
    metrics.update({
        "n_problems": len(problems), "n_samples": ev.samples, "protocol": protocol, "subject": subject,
        "benchmark": name, "view": view, "cycle": cycle, "model": backend.describe(),
        "decoding": config_to_dict(decoding), "temperature": decoding.temperature, "seed": seed,
        "ci": {"method": "percentile bootstrap over problems", "confidence": 0.95,
               "n_resamples": ev.ci_resamples, "seed": CI_SEED},
        "finish_reasons": dict(finish), "cut_at_length": finish.get("length", 0),
        "cut_share": finish.get("length", 0) / n_answers if n_answers else 0.0,
    })
    return records, metrics


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else 0.0
