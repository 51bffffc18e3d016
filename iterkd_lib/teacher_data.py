"""Stage I data: the teacher's correct and faulty attempts, labelled by execution, and the training set.

- `student_messages(problem)`: THE instruction the student sees -- for training (prompts of `03_training_set`),
  for its Stage II attempts (`feedback`) and for chat-protocol evaluation. One function, so the student is
  trained on exactly the prompt it is later asked with. The teacher's "correct" request is this same prompt.
- `faulty_messages(problem, fault_type)`: asks for a solution that hides one fault of the given type (syntax,
  logical, type, name, timeout), with nothing in the code or around it that reveals the fault.
- `teacher_attempts(...)` -> `02_teacher_attempts` records. Per problem, `distill.correct_per_problem` samples of
  the correct prompt and `distill.faulty_per_problem` faulty attempts whose fault types cycle through
  `distill.fault_types`, starting at an offset fixed by the task_id (so with 2 faulty attempts per problem all
  five types still occur across a pool, and the assignment does not depend on pool order). Requests are
  batched over problems: one chat call for the correct samples (n = k) and one call per round of fault
  types. The backend derives each sample's seed from (call seed, request content, sample index), the call
  seed from (seed, kind, round) -- so every attempt's request, hence its cache key, is the same on resume.
  Every attempt is run against the tests: label "correct" iff it passes all; `consistent` says whether the
  label matches the request. Inconsistent attempts are kept and counted (`label_counts`); an executor
  failure (`harness_error`) leaves the attempt unlabelled (label None) -- it says nothing about the code.
- `build_training_set(...)` -> `03_training_set` records:
  * positives = attempts REQUESTED correct that passed, plus the problem's `canonical_solution` when it passes
    its tests (it is verified like any attempt; it keeps the SFT signal for problems the teacher fails, and
    gives student failures a chosen side). A "faulty" request that passes is neither a negative nor a
    positive: it was written to hide a bug and may hide one the tests miss.
  * negatives = every attempt labelled faulty (whatever was requested) + the student's failed attempts of the
    previous cycle (`05_student_attempts` joined with `06_feedback` where execution.passed is false; see
    `student_failures_from`). Empty code (nothing extracted) is skipped and counted: it teaches no contrast.
  * identical code is deduplicated (whitespace-insensitive per line); one SFT record per unique positive;
    pairs combine each negative with a positive (teacher and student negatives interleaved, so a cap keeps
    both kinds), at most `distill.max_pairs_per_problem` per problem.
  The answers (completion / chosen / rejected) are the extracted code in one fenced block (`format_answer`):
  the student is taught the format it is asked for, and pairs contrast code, not chatter. `prompt` holds
  the chat messages; `training.chat_prompt` applies the student's template.

Not covered: the training itself (`training`), code extraction (`code_extraction`), running code
(`execution`), decontamination (`decontamination`).

Entry points: `student_messages`, `faulty_messages`, `format_answer`, `teacher_attempts`, `label_counts`,
`student_failures_from`, `build_training_set`.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from iterkd_lib.config import config_to_dict
from iterkd_lib.seeding import derive_seed

FAULTS = {
    "syntax": "a syntax error -- a slip that keeps Python from parsing the code, such as a missing colon, an "
              "unclosed bracket or a badly indented line",
    "logical": "a logic error -- the code runs without raising but gives a wrong result for some valid inputs, "
               "for instance a bound that is off by one, a reversed comparison or a wrong starting value",
    "type": "a type error -- some valid input makes the code apply an operation to a value of the wrong type, "
            "so a TypeError is raised (for instance adding a str to an int, or taking len() of a number)",
    "name": "a name error -- the code uses a variable, function or module that is never defined or imported, "
            "so a NameError is raised when that line runs",
    "timeout": "a non-terminating path -- for some valid inputs the code never finishes, for instance a loop "
               "whose exit condition can never become true",
}

_SYSTEM = "You are a careful Python programmer. You answer with code only."


def student_messages(problem: dict) -> list[dict]:
    """Chat messages asking for a complete, self-contained Python function in one fenced block."""
    user = ("Implement the Python function below. Keep its name and signature, add any imports it needs, and "
            "reply with the complete function, self-contained, inside a single ```python code block, with no "
            "text before or after the block.\n\n```python\n" + problem["prompt"].rstrip() + "\n```")
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}]


def faulty_messages(problem: dict, fault_type: str) -> list[dict]:
    """Chat messages asking for a plausible solution that silently contains one fault of `fault_type`."""
    if fault_type not in FAULTS:
        raise ValueError(f"unknown fault type {fault_type!r}; expected one of {sorted(FAULTS)}")
    user = ("We are building a set of debugging exercises. Write an implementation of the Python function "
            "below that looks like an honest, complete attempt but contains exactly one fault.\n"
            f"Fault type: {fault_type} -- {FAULTS[fault_type]}.\n"
            "Hide the fault: no comment, docstring remark, telling variable name or explanation may point at it, "
            "and do not mention it after the code. Keep the function's name and signature. Reply with the whole "
            "function inside a single ```python code block and nothing else.\n\n```python\n"
            + problem["prompt"].rstrip() + "\n```")
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}]


def format_answer(code: str) -> str:
    """The assistant answer the student is trained on: the code in one fenced block."""
    return "```python\n" + code.strip("\n") + "\n```"


def fault_schedule(task_id: str, n: int, fault_types: list[str]) -> list[str]:
    """Fault types of a problem's n faulty attempts: a cycle from an offset fixed by the task_id."""
    offset = derive_seed(0, "fault-offset", task_id) % len(fault_types)
    return [fault_types[(offset + i) % len(fault_types)] for i in range(n)]


def _default_execute(cfg) -> Callable:
    from iterkd_lib.execution import check_completions

    ex = cfg.execution
    return lambda pairs: check_completions(pairs, timeout_s=ex.timeout_s, memory_mb=ex.memory_mb,
                                           workers=ex.workers)


def _label(verdict: dict) -> str | None:
    if verdict.get("status") == "harness_error":
        return None
    return "correct" if verdict.get("passed") else "faulty"


def teacher_attempts(problems: list[dict], teacher_backend: Any, cfg: Any, seed: int,
                     execute: Callable | None = None) -> list[dict]:
    """`02_teacher_attempts` records for every problem; see the module docstring."""
    from iterkd_lib.code_extraction import completion_from_code, extract_code

    execute = execute or _default_execute(cfg)
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
        job["code"] = extract_code(job["raw"], job["problem"].get("entry_point"))
        job["completion"] = completion_from_code(job["problem"], job["code"])
    verdicts = execute([(job["problem"], job["completion"]) for job in jobs]) if jobs else []
    out = []
    for job, verdict in zip(jobs, verdicts, strict=True):
        verdict = dict(verdict)
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


def student_failures_from(attempts: list[dict], feedback: list[dict]) -> list[dict]:
    """Join `05_student_attempts` with `06_feedback` on (task_id, sample_index); keep the failed ones."""
    by_key = {(f["task_id"], f["sample_index"]): f for f in feedback}
    out = []
    for a in attempts:
        f = by_key.get((a["task_id"], a["sample_index"]))
        if f is not None and not f["execution"]["passed"]:
            out.append({**a, "execution": f["execution"]})
    return out


def _norm(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.strip().splitlines())


def _verified_canonicals(problems: list[dict], execute: Callable) -> dict[str, str]:
    cands = [p for p in problems if (p.get("canonical_solution") or "").strip()]
    verdicts = execute([(p, p["canonical_solution"]) for p in cands]) if cands else []
    return {p["task_id"]: p["prompt"] + p["canonical_solution"] for p, v in zip(cands, verdicts, strict=True)
            if v.get("passed")}


def _interleave(a: list, b: list) -> list:
    out = []
    for i in range(max(len(a), len(b))):
        out += [x[i] for x in (a, b) if i < len(x)]
    return out


def build_training_set(problems: list[dict], attempts: list[dict], student_failures: list[dict], cfg: Any,
                       execute: Callable | None = None, use_canonical: bool = True) -> list[dict]:
    """`03_training_set` records: SFT examples and (correct, faulty) pairs; see the module docstring."""
    d = cfg.distill
    built_with = {"distill": config_to_dict(d), "canonical_solutions": use_canonical,
                  "student_failures": len(student_failures)}
    canon = _verified_canonicals(problems, execute or _default_execute(cfg)) if use_canonical else {}
    by_task: dict[str, list[dict]] = defaultdict(list)
    for a in attempts:
        by_task[a["task_id"]].append(a)
    fails: dict[str, list[dict]] = defaultdict(list)
    for s in student_failures:
        fails[s["task_id"]].append(s)
    out: list[dict] = []
    for p in problems:
        tid, prompt = p["task_id"], student_messages(p)
        pos: dict[str, tuple[str, str]] = {}
        for a in sorted(by_task[tid], key=lambda a: a["attempt_index"]):
            if a["requested"] == "correct" and a["label"] == "correct" and a["code"].strip():
                pos.setdefault(_norm(a["code"]), (a["code"], "teacher"))
        if tid in canon:
            pos.setdefault(_norm(canon[tid]), (canon[tid], "canonical"))
        for code, source in pos.values():
            out.append({"kind": "sft", "task_id": tid, "prompt": prompt, "completion": format_answer(code),
                        "source": source, "built_with": built_with})
        seen = set(pos)
        teacher_neg, student_neg = [], []
        for a in sorted(by_task[tid], key=lambda a: (a["requested"], a["attempt_index"])):
            if a["label"] == "faulty" and a["code"].strip() and _norm(a["code"]) not in seen:
                seen.add(_norm(a["code"]))
                teacher_neg.append((a["code"], "teacher", a["fault_type"], a["verdict"]))
        for s in sorted(fails[tid], key=lambda s: s.get("sample_index", 0)):
            code = s.get("code") or ""
            if code.strip() and _norm(code) not in seen:
                seen.add(_norm(code))
                student_neg.append((code, "student", None, s.get("execution", {})))
        negs, chosen = _interleave(teacher_neg, student_neg), list(pos.values())
        # Each negative once before any is reused; positives rotate so a cap still spreads over both sides.
        combos = [(n, (n + r) % len(chosen)) for r in range(len(chosen)) for n in range(len(negs))] if chosen else []
        for n, c in combos[: d.max_pairs_per_problem]:
            code, source, fault_type, verdict = negs[n]
            out.append({"kind": "pair", "task_id": tid, "prompt": prompt, "chosen": format_answer(chosen[c][0]),
                        "rejected": format_answer(code), "rejected_source": source, "fault_type": fault_type,
                        "observed_fault": verdict.get("error_type") or verdict.get("status"),
                        "chosen_source": chosen[c][1], "built_with": built_with})
    return out
