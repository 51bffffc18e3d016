"""Stage I, `02_teacher_attempts`: the teacher's verified solutions (sample-and-verify, repair) and faulty attempts.

Three parts (issue 15), every answer run against the problem's tests in the sandbox:
- sample-and-verify: `distill.correct_per_problem` (n) samples per problem of `prompts.student_messages` at
  `distill.sample_temperature`, in ONE batched chat call -- origin "teacher_sample" (PERsD, SelfCodeAlign and
  KodCode keep only what passes; the paper does not filter).
- faulty attempts: `distill.faulty_per_problem` per problem (`prompts.faulty_messages`), fault types cycling
  through `distill.fault_types` from an offset fixed by the task_id (all types occur across a pool, whatever
  its order); one call per round of types, at teacher.decoding -- origin "teacher_faulty".
- repair from execution feedback (PERsD's personalised refinement): for every problem whose samples ALL failed
  (its first failing sample with code) and every distinct failed attempt of the student in the previous cycle
  (`student_failures`, when `distill.repair_student_failures`), the teacher gets the failing code and the
  sandbox's report (`sandbox.describe_failure`) through `prompts.repair_messages` and writes a corrected
  function -- origin "teacher_repair", with `repair_round`, `repair_root` (what was first repaired: origin,
  sample_index, and the student's code), `repaired_code`, `failure_shown`, `repaired_error_type`. A repair
  that still fails is repaired again in the next round, up to `distill.repair_rounds`; one call per round.

Seeds derive from (stage seed, kind, round) per call and (call seed, request, sample index) per sample; a
repair prompt is a function of the code and its verdict: on resume every request (cache key) is the same.
Labels: "correct" iff all tests pass; `consistent`: the label matches the request (a repair is asked to be
correct); an executor failure (`harness_error`) or a reply whose code could not be found (`error_type`
"extraction_failed", scoring/code_extraction.py) leaves an attempt unlabelled and unrepaired.
`completion_tokens` per answer: see `token_counts`. `teacher_yield`: the stage's yield (see there).

Not covered: the training set (stages/training_set.py), prompts (prompts.py), extraction (scoring/), the sandbox.

Entry points: `teacher_attempts(problems, teacher_backend, cfg, seed, execute, student_failures)`,
`teacher_yield`, `label_counts`, `fault_schedule`, `sample_decoding`, `sample_seed`, `token_counts`.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from iterkd_lib.prompts import faulty_messages, repair_messages, student_messages
from iterkd_lib.records import ORIGIN_BY_REQUEST, TeacherYield
from iterkd_lib.sandbox import describe_failure, executor
from iterkd_lib.scoring.code_extraction import code_key, completion_from_code, extract, verdict_with_extraction
from iterkd_lib.seeding import derive_seed


def fault_schedule(task_id: str, n: int, fault_types: list[str]) -> list[str]:
    """Fault types of a problem's n faulty attempts: a cycle from an offset fixed by the task_id."""
    offset = derive_seed(0, "fault-offset", task_id) % len(fault_types)
    return [fault_types[(offset + i) % len(fault_types)] for i in range(n)]


def _label(verdict: dict) -> str | None:
    if verdict.get("status") == "harness_error" or verdict.get("error_type") == "extraction_failed":
        return None
    return "correct" if verdict.get("passed") else "faulty"


def origin_of(a: dict) -> str:
    """A teacher record's origin (records written before origins existed: from what was requested)."""
    return a.get("origin") or ORIGIN_BY_REQUEST[a["requested"]]


def sample_decoding(cfg) -> Any:
    """Decoding of the correct samples and the repairs: teacher.decoding at distill.sample_temperature."""
    return dataclasses.replace(cfg.teacher.decoding, temperature=cfg.distill.sample_temperature)


def sample_seed(stage_seed: int) -> int:
    """Call seed of the correct samples (so measurement scripts can ask the very same requests)."""
    return derive_seed(stage_seed, "correct", 0)


def token_counts(backend: Any, messages: list[list[dict]], decoding: Any, seed: int,
                 n: int) -> tuple[list[list[str]], list[list[int | None]], str]:
    """One batched chat call: (texts [problem][sample], completion tokens [problem][sample], source).

    Backend-agnostic: a backend whose `chat` takes `details=True` (answers as dicts with `usage`, the
    cached ones included) gives exact per-answer counts ("backend"); otherwise the text list is used and
    the counts come from the backend's tokenizer when it has one ("retokenised": the answer's text encoded
    again, plus one end token), else they are None ("unknown"). With greedy decoding the n answers are one
    generation repeated, so samples 1..n-1 count 0 tokens.
    """
    once = decoding.temperature == 0  # greedy: sample 0 is generated once and repeated n times
    if "details" in inspect.signature(backend.chat).parameters:
        rows = backend.chat(messages, decoding, seed, n=n, details=True)
        texts = [[a["text"] for a in row] for row in rows]
        toks = [[(a.get("usage") or {}).get("completion_tokens") for a in row] for row in rows]
        source = "backend"
    else:
        texts = backend.chat(messages, decoding, seed, n=n)
        tok = getattr(backend, "tok", None)
        source = "retokenised" if tok is not None else "unknown"
        toks = [[len(tok(t, add_special_tokens=False).input_ids) + 1 if tok else None for t in row] for row in texts]
    return texts, [[t if j == 0 or not once or t is None else 0 for j, t in enumerate(row)] for row in toks], source


def _fill(jobs: list[dict], execute: Callable) -> list[dict]:
    """Run each job's extracted code against its tests: labelled rows (dicts of `records.TeacherAttempt`)."""
    for job in jobs:
        job["extraction"] = extract(job["raw"], job["problem"].get("entry_point"))
        job["code"] = job["extraction"].code
        job["completion"] = completion_from_code(job["problem"], job["code"])
    verdicts = execute([(job["problem"], job["completion"]) for job in jobs]) if jobs else []
    out = []
    for job, verdict in zip(jobs, verdicts, strict=True):
        problem, extraction = job.pop("problem"), job.pop("extraction")
        verdict = verdict_with_extraction(dict(verdict), extraction)
        label = _label(verdict)
        out.append({"task_id": problem["task_id"], **job, "verdict": verdict, "label": label,
                    "consistent": label == ("correct" if job["requested"] == "repair" else job["requested"])})
    return out


def _repair_targets_from_samples(problems: list[dict], records: list[dict]) -> list[dict]:
    """One target per problem whose teacher samples ALL failed: its first failing sample with code."""
    out = []
    for p in problems:
        samples = sorted((r for r in records if r["task_id"] == p["task_id"] and r["requested"] == "correct"),
                         key=lambda r: r["sample_index"])
        if not samples or any(r["label"] == "correct" for r in samples):
            continue
        first = next((r for r in samples if r["label"] == "faulty" and r["code"].strip()), None)
        if first is not None:
            out.append({"problem": p, "code": first["code"], "verdict": first["verdict"],
                        "root": {"origin": "teacher_sample", "sample_index": first["sample_index"]}})
    return out


def _repair_targets_from_student(problems: list[dict], failures: list[dict]) -> list[dict]:
    """One target per distinct failing student attempt (by code) on a pool problem; empty code is skipped."""
    by_id = {p["task_id"]: p for p in problems}
    out, seen = [], set()
    for f in sorted(failures, key=lambda f: (f["task_id"], f.get("sample_index", 0))):
        code, verdict = f.get("code") or "", f.get("execution") or {}
        key = (f["task_id"], code_key(code))
        if f["task_id"] not in by_id or not code.strip() or key in seen or _label(verdict) != "faulty":
            continue
        seen.add(key)
        out.append({"problem": by_id[f["task_id"]], "code": code, "verdict": verdict,
                    "root": {"origin": "student", "sample_index": f.get("sample_index", 0), "code": code}})
    return out


def teacher_attempts(problems: list[dict], teacher_backend: Any, cfg: Any, seed: int,
                     execute: Callable | None = None, student_failures: list[dict] | None = None) -> list[dict]:
    """`02_teacher_attempts` records for every problem: samples, faulty attempts and repairs (module docstring).

    student_failures: the previous cycle's failed student attempts (`student_failures_from`), repaired when
    `distill.repair_student_failures`; None or [] in cycle 1. Every record has `origin` ("teacher_sample",
    "teacher_faulty", "teacher_repair"), `completion_tokens` (int or None) and `tokens_source`.
    """
    execute = execute or executor(cfg.execution)
    d = cfg.distill
    who = teacher_backend.describe()
    sampling, faulty_dec = sample_decoding(cfg), cfg.teacher.decoding
    jobs: list[dict] = []  # one per attempt, filled with raw text below

    def job(p, requested, origin, idx, m, raw, call_seed, j, dec, toks, src, **extra):
        return {"problem": p, "requested": requested, "origin": origin, "fault_type": extra.pop("fault_type", None),
                "attempt_index": idx, "raw": raw, "teacher": who, "prompt": m, "decoding": dataclasses.asdict(dec),
                "seed": call_seed, "sample_index": j, "sample_seed": _sample_seed(teacher_backend, call_seed, m, j),
                "completion_tokens": toks, "tokens_source": src, **extra}

    k = d.correct_per_problem
    if k and problems:
        call_seed = sample_seed(seed)
        msgs = [student_messages(p) for p in problems]
        texts, toks, src = token_counts(teacher_backend, msgs, sampling, call_seed, k)
        for p, m, samples, tk in zip(problems, msgs, texts, toks, strict=True):
            jobs += [job(p, "correct", "teacher_sample", j, m, raw, call_seed, j, sampling, tk[j], src)
                     for j, raw in enumerate(samples)]
    schedules = {p["task_id"]: fault_schedule(p["task_id"], d.faulty_per_problem, d.fault_types) for p in problems}
    n_types = len(d.fault_types)
    for rnd in range((d.faulty_per_problem + n_types - 1) // n_types):
        call_seed = derive_seed(seed, "faulty", rnd)
        batch = [(p, i, schedules[p["task_id"]][i]) for p in problems
                 for i in range(rnd * n_types, min((rnd + 1) * n_types, d.faulty_per_problem))]
        if not batch:
            continue
        msgs = [faulty_messages(p, ft) for p, _, ft in batch]
        texts, toks, src = token_counts(teacher_backend, msgs, faulty_dec, call_seed, 1)
        for (p, i, ft), m, samples, tk in zip(batch, msgs, texts, toks, strict=True):
            jobs.append(job(p, "faulty", "teacher_faulty", i, m, samples[0], call_seed, 0, faulty_dec, tk[0], src,
                            fault_type=ft))
    out = _fill(jobs, execute)

    # Repair from execution feedback: what every sample failed on, and what the student failed on.
    targets = _repair_targets_from_samples(problems, out) if d.repair_rounds else []
    if d.repair_rounds and d.repair_student_failures:
        targets += _repair_targets_from_student(problems, student_failures or [])
    counter: dict[str, int] = defaultdict(int)
    for rnd in range(1, d.repair_rounds + 1):
        if not targets:
            break
        call_seed = derive_seed(seed, "repair", rnd)
        shown = [describe_failure(t["verdict"]) for t in targets]
        msgs = [repair_messages(t["problem"], t["code"], f) for t, f in zip(targets, shown, strict=True)]
        texts, toks, src = token_counts(teacher_backend, msgs, sampling, call_seed, 1)
        jobs = []
        for t, m, f, samples, tk in zip(targets, msgs, shown, texts, toks, strict=True):
            tid = t["problem"]["task_id"]
            jobs.append(job(t["problem"], "repair", "teacher_repair", counter[tid], m, samples[0], call_seed, 0,
                            sampling, tk[0], src, repair_round=rnd, repair_root=t["root"],
                            repaired_code=t["code"], failure_shown=f,
                            repaired_error_type=t["verdict"].get("error_type") or t["verdict"].get("status")))
            counter[tid] += 1
        done = _fill(jobs, execute)
        out += done
        targets = [{"problem": t["problem"], "code": r["code"], "verdict": r["verdict"], "root": t["root"]}
                   for t, r in zip(targets, done, strict=True) if r["label"] == "faulty"]
    return out


def teacher_yield(problems: list[dict], attempts: list[dict]) -> dict:
    """Stage I's yield over one pool: how much verified teacher-written data the teacher's tokens bought.

    Returns a JSON-safe dict (a `records.TeacherYield` in its stored form, without `positives`):
      problems; solved_by_sample / solved_by_repair_only / solved_any: problems with >= 1 verified teacher
      solution from a sample / only from a repair / either, each with its share of `problems`;
      sample_pass_rate: verified samples / samples (the samples' pass@1 over the pool);
      verified_distinct: {"teacher_sample", "teacher_repair"}: distinct verified solutions (by `code_key`);
      tokens: completion tokens {"teacher_sample", "teacher_repair", "teacher_faulty"} (None when the backend
      could not count them); tokens_per_verified: (sample + repair tokens) / distinct verified solutions, and
      per origin (samples alone, repairs alone);
      repair: per target ("teacher_sample", "student") and per error type of the code being repaired:
      {"attempted", "fixed", "rate"}, counted over final outcomes (a target fixed in any round counts once).
    The share of SFT positives the teacher wrote is the training set's (`training_set.positive_origins`).
    """
    ids = {p["task_id"] for p in problems}
    recs = [r for r in attempts if r["task_id"] in ids]
    ok = [r for r in recs if r["label"] == "correct" and r["requested"] in ("correct", "repair")]
    origin = {id(r): origin_of(r) for r in recs}
    by_sample = {r["task_id"] for r in ok if origin[id(r)] == "teacher_sample"}
    by_repair = {r["task_id"] for r in ok if origin[id(r)] == "teacher_repair"} - by_sample
    n = len(ids)
    samples = [r for r in recs if origin[id(r)] == "teacher_sample"]
    verified = {o: len({(r["task_id"], code_key(r["code"])) for r in ok if origin[id(r)] == o})
                for o in ("teacher_sample", "teacher_repair")}
    tokens = {o: [r.get("completion_tokens") for r in recs if origin[id(r)] == o]
              for o in ("teacher_sample", "teacher_repair", "teacher_faulty")}
    tokens = {o: None if None in ts else sum(ts) for o, ts in tokens.items()}

    def per(num, den, digits=1):
        return round(num / den, digits) if num is not None and den else None

    spent = None if None in (tokens["teacher_sample"], tokens["teacher_repair"]) else \
        tokens["teacher_sample"] + tokens["teacher_repair"]
    # Final outcome per repair chain: the root (what was first repaired) is fixed if any round passed.
    chains: dict = {}
    for r in sorted((r for r in recs if origin[id(r)] == "teacher_repair"), key=lambda r: r["repair_round"]):
        root = r["repair_root"]
        key = (r["task_id"], root["origin"], root.get("sample_index"), code_key(root.get("code", "")))
        chains.setdefault(key, {"who": root["origin"], "error": r["repaired_error_type"], "fixed": False})
        chains[key]["fixed"] |= r["label"] == "correct"
    repair: dict = {}
    for c in chains.values():
        for group in (c["who"], "all"):
            b = repair.setdefault(group, {}).setdefault(c["error"] or "unknown", {"attempted": 0, "fixed": 0})
            b["attempted"] += 1
            b["fixed"] += c["fixed"]
    for group in repair.values():
        group["all"] = {"attempted": sum(b["attempted"] for b in group.values()),
                        "fixed": sum(b["fixed"] for b in group.values())}
        for b in group.values():
            b["rate"] = round(b["fixed"] / b["attempted"], 4) if b["attempted"] else None
    solved = by_sample | by_repair
    return TeacherYield(
        problems=n, solved_by_sample=len(by_sample), solved_by_repair_only=len(by_repair), solved_any=len(solved),
        share_by_sample=per(len(by_sample), n, 4), share_by_repair_only=per(len(by_repair), n, 4),
        share_any=per(len(solved), n, 4), verified_distinct=verified, tokens=tokens, repair=repair,
        sample_pass_rate=per(sum(r["label"] == "correct" for r in samples), len(samples), 4),
        tokens_per_verified={"all": per(spent, sum(verified.values())), **{o: per(tokens[o], verified[o])
                                                                           for o in verified}}).to_dict()


def _sample_seed(backend: Any, seed: int, request: Any, j: int) -> int | None:
    """The seed the backend sent to its engine for sample j of `request` (None for backends without one)."""
    fn = getattr(backend, "sample_seed", None)
    return fn(seed, request, j) if callable(fn) else None


def label_counts(records: list[dict]) -> dict:
    """{"correct"|"faulty"|"repair": {consistent, inconsistent, unlabelled}, "by_fault_type": {type: {...}},
    "total"}; a repair is consistent when it passes (it was asked to be correct)."""
    def bucket(r):
        return "unlabelled" if r["label"] is None else ("consistent" if r["consistent"] else "inconsistent")

    out: dict = {"correct": defaultdict(int), "faulty": defaultdict(int), "repair": defaultdict(int),
                 "by_fault_type": {}, "total": len(records)}
    for r in records:
        out[r["requested"]][bucket(r)] += 1
        if r["requested"] == "faulty":
            out["by_fault_type"].setdefault(r["fault_type"], defaultdict(int))[bucket(r)] += 1
    keys = ("consistent", "inconsistent", "unlabelled")

    def fix(c):  # plain dicts with every key, for JSON and for readers that index without .get
        return {k: int(c.get(k, 0)) for k in keys}

    return {"correct": fix(out["correct"]), "faulty": fix(out["faulty"]), "repair": fix(out["repair"]),
            "by_fault_type": {t: fix(c) for t, c in sorted(out["by_fault_type"].items())}, "total": len(records)}
