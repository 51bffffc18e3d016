"""Stage I, `03_training_set`: SFT examples, fault-aware and personalised pairs from the teacher's attempts.

- positives = the distinct verified teacher solutions (samples first, then repairs; distinct by
  `scoring.code_extraction.code_key`: the parsed code without docstrings), at most
  `distill.max_correct_per_problem` per problem, plus the problem's `canonical_solution` (verified like any
  attempt) by `distill.canonical`: "always", "fallback" (only where no teacher positive exists: the SFT set
  then teaches the teacher, not our data set; the default) or "never". A "faulty" request that passes is
  neither a negative nor a positive: it was written to hide a bug and may hide one the tests miss. A repair
  that still fails is never a positive.
- personalised pairs (`pair_kind` "personalised", switch `distill.personalised_pairs`): (the student's failing
  attempt, the teacher's passing repair of that attempt), one per repaired attempt, outside the pair cap.
- fault-aware pairs (`pair_kind` "fault_aware"): negatives = every teacher attempt labelled faulty (failed
  samples, faulty requests, failed repairs) + the student's failed attempts of the previous cycle that have no
  personalised pair (`05_student_attempts` joined with `06_feedback` where execution.passed is false; see
  `student_failures_from`). Empty code (nothing extracted) is skipped: it teaches no contrast; so is a
  student attempt whose verdict is an extraction failure (its code is not known to be the answer). Each negative
  is combined with a positive (teacher and student negatives interleaved, so a cap keeps both kinds), at most
  `distill.max_pairs_per_problem` per problem.
- every record says where its code came from: SFT `origin` (teacher_sample | teacher_repair | canonical),
  pairs `chosen_origin` / `rejected_origin` (teacher_sample | teacher_faulty | teacher_repair | canonical |
  student); `source` / `chosen_source` / `rejected_source` keep their earlier values (teacher | canonical |
  student). `positive_origins` counts them (the share of SFT positives the teacher wrote).
The answers (completion / chosen / rejected) are the extracted code in one fenced block
(`prompts.format_answer`): the student is taught the format it is asked for, and pairs contrast code, not
chatter. `prompt` holds the chat messages (`prompts.student_messages`); `stages/adapter.chat_prompt` applies
the student's template.

Not covered: the attempts themselves (stages/teacher_attempts.py), training (stages/adapter.py),
decontamination (scoring/decontamination.py).

Entry points: `build_training_set(problems, attempts, student_failures, cfg)`, `student_failures_from`,
`positive_origins`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from iterkd_lib.config import config_to_dict
from iterkd_lib.prompts import format_answer, student_messages
from iterkd_lib.sandbox import executor
from iterkd_lib.scoring.code_extraction import code_key


def student_failures_from(attempts: list[dict], feedback: list[dict]) -> list[dict]:
    """Join `05_student_attempts` with `06_feedback` on (task_id, sample_index); keep the failed ones."""
    by_key = {(f["task_id"], f["sample_index"]): f for f in feedback}
    out = []
    for a in attempts:
        f = by_key.get((a["task_id"], a["sample_index"]))
        if f is not None and not f["execution"]["passed"]:
            out.append({**a, "execution": f["execution"]})
    return out


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
    canon = _verified_canonicals(problems, execute or executor(cfg.execution)) if policy != "never" else {}
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
                    and code_key(a["code"]) not in pos):
                pos[code_key(a["code"])] = (a["code"], _origin(a))
        if tid in canon and (policy == "always" or not pos):
            pos.setdefault(code_key(canon[tid]), (canon[tid], "canonical"))
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
                        and a["code"].strip() and code_key(root["code"]) not in personal:
                    personal.add(code_key(root["code"]))
                    out.append({"kind": "pair", "pair_kind": "personalised", "task_id": tid, "prompt": prompt,
                                "chosen": format_answer(a["code"]), "rejected": format_answer(root["code"]),
                                "rejected_source": "student", "rejected_origin": "student",
                                "chosen_source": "teacher", "chosen_origin": "teacher_repair", "fault_type": None,
                                "observed_fault": a["repaired_error_type"], "repair_round": a["repair_round"],
                                "built_with": built_with})
        seen = set(pos) | personal
        teacher_neg, student_neg = [], []
        for a in sorted(mine, key=lambda a: (a["requested"], a.get("repair_round", 0), a["attempt_index"])):
            if a["label"] == "faulty" and a["code"].strip() and code_key(a["code"]) not in seen:
                seen.add(code_key(a["code"]))
                teacher_neg.append((a["code"], "teacher", _origin(a), a["fault_type"], a["verdict"]))
        for s in sorted(fails[tid], key=lambda s: s.get("sample_index", 0)):
            code = s.get("code") or ""
            if code.strip() and code_key(code) not in seen and \
                    s.get("execution", {}).get("error_type") != "extraction_failed":
                seen.add(code_key(code))
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
