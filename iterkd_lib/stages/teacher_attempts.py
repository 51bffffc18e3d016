"""Stage I, `02_teacher_attempts`: the teacher's correct and faulty attempts, labelled by execution.

Per problem, `distill.correct_per_problem` samples of the correct prompt (`prompts.student_messages`, the very
prompt the student is later asked with) and `distill.faulty_per_problem` faulty attempts
(`prompts.faulty_messages`) whose fault types cycle through `distill.fault_types`, starting at an offset fixed
by the task_id (so with 2 faulty attempts per problem all five types still occur across a pool, and the
assignment does not depend on pool order). Requests are batched over problems: one chat call for the correct
samples (n = k) and one call per round of fault types. The backend derives each sample's seed from (call seed,
request content, sample index), the call seed from (seed, kind, round) -- so every attempt's request, hence
its cache key, is the same on resume.

Every attempt is run against the tests: label "correct" iff it passes all; `consistent` says whether the
label matches the request. Inconsistent attempts are kept and counted (`label_counts`); an executor failure
(`harness_error`) leaves the attempt unlabelled (label None) -- it says nothing about the code; so does a
reply whose code could not be found (`error_type` "extraction_failed", see scoring/code_extraction.py).

Not covered: the training set built from these (stages/training_set.py), the prompts (prompts.py), code
extraction (scoring/code_extraction.py), running code (sandbox/).

Entry points: `teacher_attempts(problems, teacher_backend, cfg, seed)`, `label_counts`, `fault_schedule`.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from iterkd_lib.prompts import faulty_messages, student_messages
from iterkd_lib.sandbox import executor
from iterkd_lib.scoring.code_extraction import completion_from_code, extract, verdict_with_extraction
from iterkd_lib.seeding import derive_seed


def fault_schedule(task_id: str, n: int, fault_types: list[str]) -> list[str]:
    """Fault types of a problem's n faulty attempts: a cycle from an offset fixed by the task_id."""
    offset = derive_seed(0, "fault-offset", task_id) % len(fault_types)
    return [fault_types[(offset + i) % len(fault_types)] for i in range(n)]


def _label(verdict: dict) -> str | None:
    if verdict.get("status") == "harness_error" or verdict.get("error_type") == "extraction_failed":
        return None
    return "correct" if verdict.get("passed") else "faulty"


def teacher_attempts(problems: list[dict], teacher_backend: Any, cfg: Any, seed: int,
                     execute: Callable | None = None) -> list[dict]:
    """`02_teacher_attempts` records for every problem; see the module docstring."""
    execute = execute or executor(cfg.execution)
    d, decoding = cfg.distill, cfg.teacher.decoding
    who = teacher_backend.describe()
    dec = dataclasses.asdict(decoding)
    jobs: list[dict] = []  # one per attempt, filled with raw text below
    k = d.correct_per_problem
    if k and problems:
        call_seed = derive_seed(seed, "correct", 0)
        msgs = [student_messages(p) for p in problems]
        replies = teacher_backend.chat(msgs, decoding, call_seed, n=k)
        for p, m, samples in zip(problems, msgs, replies, strict=True):
            jobs += [{"problem": p, "requested": "correct", "fault_type": None, "attempt_index": j, "prompt": m,
                      "raw": raw, "seed": call_seed, "sample_index": j,
                      "sample_seed": _sample_seed(teacher_backend, call_seed, m, j)} for j, raw in enumerate(samples)]
    schedules = {p["task_id"]: fault_schedule(p["task_id"], d.faulty_per_problem, d.fault_types) for p in problems}
    n_types = len(d.fault_types)
    for rnd in range((d.faulty_per_problem + n_types - 1) // n_types):
        call_seed = derive_seed(seed, "faulty", rnd)
        batch = [(p, i, schedules[p["task_id"]][i]) for p in problems
                 for i in range(rnd * n_types, min((rnd + 1) * n_types, d.faulty_per_problem))]
        msgs = [faulty_messages(p, ft) for p, _, ft in batch]
        replies = teacher_backend.chat(msgs, decoding, call_seed, n=1) if batch else []
        for (p, i, ft), m, samples in zip(batch, msgs, replies, strict=True):
            jobs.append({"problem": p, "requested": "faulty", "fault_type": ft, "attempt_index": i, "prompt": m,
                         "raw": samples[0], "seed": call_seed, "sample_index": 0,
                         "sample_seed": _sample_seed(teacher_backend, call_seed, m, 0)})
    for job in jobs:
        job["extraction"] = extract(job["raw"], job["problem"].get("entry_point"))
        job["code"] = job["extraction"].code
        job["completion"] = completion_from_code(job["problem"], job["code"])
    verdicts = execute([(job["problem"], job["completion"]) for job in jobs]) if jobs else []
    out = []
    for job, verdict in zip(jobs, verdicts, strict=True):
        verdict = verdict_with_extraction(verdict, job["extraction"])
        label = _label(verdict)
        out.append({"task_id": job["problem"]["task_id"], "requested": job["requested"],
                    "fault_type": job["fault_type"], "attempt_index": job["attempt_index"], "raw": job["raw"],
                    "code": job["code"], "completion": job["completion"], "verdict": verdict, "label": label,
                    "consistent": label == job["requested"], "teacher": who, "prompt": job["prompt"],
                    "decoding": dec, "seed": job["seed"], "sample_index": job["sample_index"],
                    "sample_seed": job["sample_seed"]})
    return out


def _sample_seed(backend: Any, seed: int, request: Any, j: int) -> int | None:
    """The seed the backend sent to its engine for sample j of `request` (None for backends without one)."""
    fn = getattr(backend, "sample_seed", None)
    return fn(seed, request, j) if callable(fn) else None


def label_counts(records: list[dict]) -> dict:
    """{"correct"|"faulty": {consistent, inconsistent, unlabelled}, "by_fault_type": {type: {...}}, "total"}."""
    def bucket(r):
        return "unlabelled" if r["label"] is None else ("consistent" if r["consistent"] else "inconsistent")

    out: dict = {"correct": defaultdict(int), "faulty": defaultdict(int), "by_fault_type": {}, "total": len(records)}
    for r in records:
        out[r["requested"]][bucket(r)] += 1
        if r["requested"] == "faulty":
            out["by_fault_type"].setdefault(r["fault_type"], defaultdict(int))[bucket(r)] += 1
    keys = ("consistent", "inconsistent", "unlabelled")

    def fix(c):  # plain dicts with every key, for JSON and for readers that index without .get
        return {k: int(c.get(k, 0)) for k in keys}

    return {"correct": fix(out["correct"]), "faulty": fix(out["faulty"]),
            "by_fault_type": {t: fix(c) for t, c in sorted(out["by_fault_type"].items())}, "total": len(records)}
