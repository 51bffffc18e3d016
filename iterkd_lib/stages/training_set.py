"""Stage I, `03_training_set`: SFT examples and (correct, faulty) pairs from the teacher's attempts.

- positives = attempts REQUESTED correct that passed, plus the problem's `canonical_solution` when it passes
  its tests (it is verified like any attempt; it keeps the SFT signal for problems the teacher fails, and
  gives student failures a chosen side). A "faulty" request that passes is neither a negative nor a
  positive: it was written to hide a bug and may hide one the tests miss.
- negatives = every attempt labelled faulty (whatever was requested) + the student's failed attempts of the
  previous cycle (`05_student_attempts` joined with `06_feedback` where execution.passed is false; see
  `student_failures_from`). Empty code (nothing extracted) is skipped and counted: it teaches no contrast;
  a student attempt whose verdict is an extraction failure is skipped too (its code is not known to be the
  answer).
- identical code is deduplicated (whitespace-insensitive per line); one SFT record per unique positive;
  pairs combine each negative with a positive (teacher and student negatives interleaved, so a cap keeps
  both kinds), at most `distill.max_pairs_per_problem` per problem.
The answers (completion / chosen / rejected) are the extracted code in one fenced block
(`prompts.format_answer`): the student is taught the format it is asked for, and pairs contrast code, not
chatter. `prompt` holds the chat messages (`prompts.student_messages`); `stages/adapter.chat_prompt` applies
the student's template.

Not covered: the attempts themselves (stages/teacher_attempts.py), training (stages/adapter.py),
decontamination (scoring/decontamination.py).

Entry points: `build_training_set(problems, attempts, student_failures, cfg)`, `student_failures_from`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from iterkd_lib.config import config_to_dict
from iterkd_lib.prompts import format_answer, student_messages
from iterkd_lib.sandbox import executor


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
    canon = _verified_canonicals(problems, execute or executor(cfg.execution)) if use_canonical else {}
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
            if code.strip() and _norm(code) not in seen and \
                    s.get("execution", {}).get("error_type") != "extraction_failed":
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
