"""Stage I data: the teacher's verified solutions (sample-and-verify, repair), faulty attempts, and the training set.

- `student_messages(problem)`: THE instruction the student sees -- for training (prompts of `03_training_set`),
  for its Stage II attempts (`feedback`) and for chat-protocol evaluation. One function, so the student is
  trained on exactly the prompt it is later asked with. The teacher's "correct" request is this same prompt.
- `faulty_messages(problem, fault_type)`: asks for a solution that hides one fault of the given type (syntax,
  logical, type, name, timeout), with nothing in the code or around it that reveals the fault.
- `teacher_attempts(...)` -> `02_teacher_attempts` records, in three parts (issue 15):
  * sample-and-verify: `distill.correct_per_problem` (n) samples of the correct prompt per problem at
    `distill.sample_temperature`, in ONE batched chat call (n samples per conversation), every one run
    against the tests (origin "teacher_sample"). PERsD, SelfCodeAlign and KodCode keep only solutions that
    pass; the paper does not filter.
  * faulty attempts: `distill.faulty_per_problem` per problem whose fault types cycle through
    `distill.fault_types`, starting at an offset fixed by the task_id (origin "teacher_faulty"), one call per
    round of fault types, at teacher.decoding.
  * repair from execution feedback (PERsD's personalised refinement): for every problem whose samples ALL
    failed (its first failing sample), and for every distinct failed attempt of the student in the previous
    cycle (`student_failures`, when `distill.repair_student_failures`), the teacher gets the failing code and
    the sandbox's report (`sandbox.execution.describe_failure`: the failed assertion with its call, expected
    and actual value, or the exception and line) through `prompts.repair_messages`, and writes a corrected
    function, run against the tests again (origin "teacher_repair", with `repair_round`, `repair_root` =
    what was first repaired, `repaired_code`, `failure_shown`, `repaired_error_type`). A repair that still
    fails is repaired again in the next round, up to `distill.repair_rounds` rounds; one call per round.
  Seeds: the backend derives each sample's seed from (call seed, request content, sample index); call seeds
  come from (stage seed, kind, round); the repair prompt is a function of the code and the verdict, so on
  resume every request, hence its cache key, is the same and no answer is paid for twice.
  Every attempt is labelled by execution: "correct" iff it passes all tests; `consistent` says whether the
  label matches the request (a repair is asked to be correct). An executor failure (`harness_error`) leaves the
  attempt unlabelled (None) -- it says nothing about the code -- and is never repaired. `completion_tokens`
  per answer comes from the backend where it reports usage per answer, else from its tokenizer (see
  `token_counts`), else None.
- `teacher_yield(problems, attempts, training_set)`: share of pool problems with >= 1 verified teacher solution
  (from a sample / only after repair), teacher tokens per verified solution, repair success per error type,
  and (with the training set) the share of SFT positives the teacher wrote. Written to the stage summary and
  the cycle summary.
- `build_training_set(...)` -> `03_training_set` records:
  * positives = the distinct (by parsed code without docstrings, `_code_key`) verified teacher solutions,
    samples first, then repairs, at most `distill.max_correct_per_problem` per problem; plus the problem's
    `canonical_solution`, verified like any attempt, by `distill.canonical`: "always", "fallback" (only where
    no teacher positive exists; the default: the SFT set then teaches the teacher, not our data set) or
    "never". A "faulty" request that passes is neither a negative nor a positive: it was written to hide a
    bug and may hide one the tests miss. A repair that fails is never a positive.
  * personalised pairs (`pair_kind` "personalised", switch `distill.personalised_pairs`): (the student's
    failing attempt, the teacher's passing repair of that attempt), one per repaired attempt, outside the
    fault-aware cap.
  * fault-aware pairs (`pair_kind` "fault_aware", as before): negatives = every teacher attempt labelled
    faulty (failed samples, faulty requests, failed repairs) + the student's failed attempts of the previous
    cycle without a personalised pair (`05_student_attempts` joined with `06_feedback`, `student_failures_from`),
    teacher and student negatives interleaved, each combined with a positive, at most
    `distill.max_pairs_per_problem` per problem. Empty code teaches no contrast and is skipped.
  * every record says where its code came from: SFT `origin` (teacher_sample | teacher_repair | canonical),
    pairs `chosen_origin` / `rejected_origin` (teacher_sample | teacher_faulty | teacher_repair | canonical |
    student); the older `source` keys keep their two values.
  The answers (completion / chosen / rejected) are the extracted code in one fenced block (`format_answer`):
  the student is taught the format it is asked for, and pairs contrast code, not chatter. `prompt` holds
  the chat messages; `training.chat_prompt` applies the student's template.

Not covered: the training itself (`training`), code extraction (`code_extraction`), running code
(`execution`), decontamination (`decontamination`), the repair prompt's wording (`prompts`), which problems
form the pool (`pool_policy`).

Entry points: `student_messages`, `faulty_messages`, `format_answer`, `teacher_attempts`, `teacher_yield`,
`positive_origins`, `label_counts`, `student_failures_from`, `build_training_set`, `sample_decoding`,
`sample_seed`, `token_counts`.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
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
    again, plus one end token), else they are None ("unknown").
    """
    if "details" in inspect.signature(backend.chat).parameters:
        rows = backend.chat(messages, decoding, seed, n=n, details=True)
        texts = [[a["text"] for a in row] for row in rows]
        return texts, [[(a.get("usage") or {}).get("completion_tokens") for a in row] for row in rows], "backend"
    texts = backend.chat(messages, decoding, seed, n=n)
    tok = getattr(backend, "tok", None)
    if tok is None:
        return texts, [[None] * len(row) for row in texts], "unknown"
    return texts, [[len(tok(t, add_special_tokens=False).input_ids) + 1 for t in row] for row in texts], \
        "retokenised"


def _default_execute(cfg) -> Callable:
    from iterkd_lib.sandbox.execution import check_completions

    ex = cfg.execution
    return lambda pairs: check_completions(pairs, timeout_s=ex.timeout_s, memory_mb=ex.memory_mb,
                                           workers=ex.workers)


def _label(verdict: dict) -> str | None:
    if verdict.get("status") == "harness_error":
        return None
    return "correct" if verdict.get("passed") else "faulty"


def _code_key(code: str) -> str:
    """Dedup key of a solution: `ast.dump` of the parsed code without docstrings (comments, blank lines,
    quoting and layout do not count); the whitespace-normalised text when it does not parse."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError):
        return "text:" + _norm(code)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


def _fill(jobs: list[dict], execute: Callable) -> list[dict]:
    """Extract each job's code, run it against its problem's tests, return the labelled records."""
    from iterkd_lib.scoring.code_extraction import completion_from_code, extract_code

    for job in jobs:
        job["code"] = extract_code(job["raw"], job["problem"].get("entry_point"))
        job["completion"] = completion_from_code(job["problem"], job["code"])
    verdicts = execute([(job["problem"], job["completion"]) for job in jobs]) if jobs else []
    out = []
    for job, verdict in zip(jobs, verdicts, strict=True):
        verdict, problem = dict(verdict), job.pop("problem")
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
        key = (f["task_id"], _code_key(code))
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
    from iterkd_lib.prompts import repair_messages
    from iterkd_lib.sandbox.execution import describe_failure

    execute = execute or _default_execute(cfg)
    d = cfg.distill
    who = teacher_backend.describe()
    sampling, faulty_dec = sample_decoding(cfg), cfg.teacher.decoding
    jobs: list[dict] = []  # one per attempt, filled with raw text below

    def job(p, requested, origin, idx, m, raw, call_seed, j, dec, toks, src, **extra):
        return {"problem": p, "requested": requested, "origin": origin, "fault_type": extra.pop("fault_type", None),
                "attempt_index": idx, "raw": raw, "teacher": who, "prompt": m, "decoding": dataclasses.asdict(dec),
                "seed": call_seed, "sample_index": j, "completion_tokens": toks, "tokens_source": src, **extra}

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


def teacher_yield(problems: list[dict], attempts: list[dict], training_set: list[dict] | None = None) -> dict:
    """Stage I's yield over one pool: how much verified teacher-written data the teacher's tokens bought.

    Returns a JSON-safe dict:
      problems; solved_by_sample / solved_by_repair_only / solved_any: problems with >= 1 verified teacher
      solution from a sample / only from a repair / either, each with its share of `problems`;
      sample_pass_rate: verified samples / samples (the samples' pass@1 over the pool);
      verified_distinct: {"teacher_sample", "teacher_repair"}: distinct verified solutions (by `_code_key`);
      tokens: completion tokens {"teacher_sample", "teacher_repair", "teacher_faulty"} (None when the backend
      could not count them); tokens_per_verified: (sample + repair tokens) / distinct verified solutions, and
      per origin (samples alone, repairs alone);
      repair: per target ("teacher_sample", "student") and per error type of the code being repaired:
      {"attempted", "fixed", "rate"}, counted over final outcomes (a target fixed in any round counts once);
      positives (with `training_set`): SFT records by origin and teacher_share = (sample + repair) / all.
    """
    ids = {p["task_id"] for p in problems}
    recs = [r for r in attempts if r["task_id"] in ids]
    ok = [r for r in recs if r["label"] == "correct" and r["requested"] in ("correct", "repair")]
    origin = {id(r): _origin(r) for r in recs}
    by_sample = {r["task_id"] for r in ok if origin[id(r)] == "teacher_sample"}
    by_repair = {r["task_id"] for r in ok if origin[id(r)] == "teacher_repair"} - by_sample
    n = len(ids)
    samples = [r for r in recs if origin[id(r)] == "teacher_sample"]
    verified = {o: len({(r["task_id"], _code_key(r["code"])) for r in ok if origin[id(r)] == o})
                for o in ("teacher_sample", "teacher_repair")}
    tokens = {}
    for o in ("teacher_sample", "teacher_repair", "teacher_faulty"):
        ts = [r.get("completion_tokens") for r in recs if origin[id(r)] == o]
        tokens[o] = None if any(t is None for t in ts) else sum(ts)

    def per(tok, ver):
        return round(tok / ver, 1) if tok is not None and ver else None

    spent = None if tokens["teacher_sample"] is None or tokens["teacher_repair"] is None else \
        tokens["teacher_sample"] + tokens["teacher_repair"]
    # Final outcome per repair chain: the root (what was first repaired) is fixed if any round passed.
    chains: dict = {}
    for r in sorted((r for r in recs if origin[id(r)] == "teacher_repair"), key=lambda r: r["repair_round"]):
        root = r["repair_root"]
        key = (r["task_id"], root["origin"], root.get("sample_index"), _code_key(root.get("code", "")))
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
    out = {"problems": n, "solved_by_sample": len(by_sample), "solved_by_repair_only": len(by_repair),
           "solved_any": len(by_sample | by_repair),
           "share_by_sample": round(len(by_sample) / n, 4) if n else None,
           "share_by_repair_only": round(len(by_repair) / n, 4) if n else None,
           "share_any": round(len(by_sample | by_repair) / n, 4) if n else None,
           "sample_pass_rate": round(sum(r["label"] == "correct" for r in samples) / len(samples), 4)
           if samples else None,
           "verified_distinct": verified, "tokens": tokens,
           "tokens_per_verified": {"all": per(spent, sum(verified.values())),
                                   "teacher_sample": per(tokens["teacher_sample"], verified["teacher_sample"]),
                                   "teacher_repair": per(tokens["teacher_repair"], verified["teacher_repair"])},
           "repair": repair}
    if training_set is not None:
        out["positives"] = positive_origins(training_set)
    return out


def positive_origins(training_set: list[dict]) -> dict:
    """SFT records by origin, pairs by kind, and the share of SFT positives the teacher wrote."""
    sft = [r for r in training_set if r["kind"] == "sft"]
    by = defaultdict(int)
    for r in sft:
        by[r["origin"]] += 1
    pairs = defaultdict(int)
    for r in training_set:
        if r["kind"] == "pair":
            pairs[r.get("pair_kind", "fault_aware")] += 1
    teacher = by["teacher_sample"] + by["teacher_repair"]
    return {"sft": len(sft), "by_origin": dict(sorted(by.items())), "pairs": dict(sorted(pairs.items())),
            "teacher_share": round(teacher / len(sft), 4) if sft else None}


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


def _origin(a: dict) -> str:
    """A teacher record's origin (records written before origins existed: from what was requested)."""
    return a.get("origin") or {"correct": "teacher_sample", "faulty": "teacher_faulty",
                               "repair": "teacher_repair"}[a["requested"]]


def build_training_set(problems: list[dict], attempts: list[dict], student_failures: list[dict], cfg: Any,
                       execute: Callable | None = None, use_canonical: bool | None = None) -> list[dict]:
    """`03_training_set` records: SFT examples, fault-aware and personalised pairs; see the module docstring.

    use_canonical: None follows `distill.canonical`; False forces 'never', True 'always' (kept for callers
    that predate the setting). Every SFT record has `origin` (teacher_sample | teacher_repair | canonical);
    every pair `pair_kind` (fault_aware | personalised), `chosen_origin` and `rejected_origin` (teacher_sample,
    teacher_faulty, teacher_repair, student); `source` / `chosen_source` / `rejected_source` keep their
    earlier two values ("teacher" | "canonical" | "student").
    """
    d = cfg.distill
    policy = d.canonical if use_canonical is None else ("always" if use_canonical else "never")
    built_with = {"distill": config_to_dict(d), "canonical_solutions": policy,
                  "student_failures": len(student_failures)}
    canon = _verified_canonicals(problems, execute or _default_execute(cfg)) if policy != "never" else {}
    by_task: dict[str, list[dict]] = defaultdict(list)
    for a in attempts:
        by_task[a["task_id"]].append(a)
    fails: dict[str, list[dict]] = defaultdict(list)
    for s in student_failures:
        fails[s["task_id"]].append(s)
    order = {"teacher_sample": 0, "teacher_repair": 1, "teacher_faulty": 2}
    out: list[dict] = []
    for p in problems:
        tid, prompt = p["task_id"], student_messages(p)
        mine = sorted(by_task[tid], key=lambda a: (order[_origin(a)], a.get("repair_round", 0), a["attempt_index"]))
        pos: dict[str, tuple[str, str]] = {}  # code key -> (code, origin), samples before repairs
        for a in mine:
            room = not d.max_correct_per_problem or len(pos) < d.max_correct_per_problem
            if (a["requested"] in ("correct", "repair") and a["label"] == "correct" and a["code"].strip() and room
                    and _code_key(a["code"]) not in pos):
                pos[_code_key(a["code"])] = (a["code"], _origin(a))
        if tid in canon and (policy == "always" or not pos):
            pos.setdefault(_code_key(canon[tid]), (canon[tid], "canonical"))
        for code, origin in pos.values():
            out.append({"kind": "sft", "task_id": tid, "prompt": prompt, "completion": format_answer(code),
                        "source": "canonical" if origin == "canonical" else "teacher", "origin": origin,
                        "built_with": built_with})
        # Personalised pairs: the student's failing attempt against the teacher's passing repair of it.
        personal = set()
        if d.personalised_pairs:
            for a in mine:
                root = a.get("repair_root") or {}
                if a["requested"] == "repair" and a["label"] == "correct" and root.get("origin") == "student" \
                        and a["code"].strip() and _code_key(root["code"]) not in personal:
                    personal.add(_code_key(root["code"]))
                    out.append({"kind": "pair", "pair_kind": "personalised", "task_id": tid, "prompt": prompt,
                                "chosen": format_answer(a["code"]), "rejected": format_answer(root["code"]),
                                "rejected_source": "student", "rejected_origin": "student",
                                "chosen_source": "teacher", "chosen_origin": "teacher_repair", "fault_type": None,
                                "observed_fault": a["repaired_error_type"], "repair_round": a["repair_round"],
                                "built_with": built_with})
        seen = set(pos) | personal
        teacher_neg, student_neg = [], []
        for a in sorted(mine, key=lambda a: (a["requested"], a.get("repair_round", 0), a["attempt_index"])):
            if a["label"] == "faulty" and a["code"].strip() and _code_key(a["code"]) not in seen:
                seen.add(_code_key(a["code"]))
                teacher_neg.append((a["code"], "teacher", _origin(a), a["fault_type"], a["verdict"]))
        for s in sorted(fails[tid], key=lambda s: s.get("sample_index", 0)):
            code = s.get("code") or ""
            if code.strip() and _code_key(code) not in seen:
                seen.add(_code_key(code))
                student_neg.append((code, "student", "student", None, s.get("execution", {})))
        negs, chosen = _interleave(teacher_neg, student_neg), list(pos.values())
        # Each negative once before any is reused; positives rotate so a cap still spreads over both sides.
        combos = [(n, (n + r) % len(chosen)) for r in range(len(chosen)) for n in range(len(negs))] if chosen else []
        for n, c in combos[: d.max_pairs_per_problem]:
            code, source, origin, fault_type, verdict = negs[n]
            out.append({"kind": "pair", "pair_kind": "fault_aware", "task_id": tid, "prompt": prompt,
                        "chosen": format_answer(chosen[c][0]), "rejected": format_answer(code),
                        "rejected_source": source, "rejected_origin": origin, "fault_type": fault_type,
                        "observed_fault": verdict.get("error_type") or verdict.get("status"),
                        "chosen_source": "canonical" if chosen[c][1] == "canonical" else "teacher",
                        "chosen_origin": chosen[c][1], "built_with": built_with})
    return out
