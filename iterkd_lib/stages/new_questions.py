"""Stage III, part 2: the teacher writes new questions per level; their tests come from agreeing solutions.

A 1.5B teacher cannot write a question, a correct reference and correct expected values in one breath (the
expected values are where it fails most: issue 16). So writing a question is split from deciding its answers,
the way CodeT, SelfCodeAlign and KodCode validate self-written tasks:

1. The teacher writes the question (`question_prompts.question_messages`: "breadth" for easy parents -- a new, less
   common question of similar size from the same domain; "depth" for medium and hard parents -- the same kind
   of task, reworked to demand more), in a fixed layout: `=== NEW QUESTION ===`, `ENTRY POINT:`, fenced
   `PROMPT` (signature + docstring with `>>>` examples), `INPUTS` (regeneration.n_inputs calls, edge cases
   included, no results) and `SOLUTION`. The docstring examples' calls join the inputs (first, so that
   every example is run and compared, whatever the cap on inputs).
2. k = regeneration.solutions_per_question independent solutions are sampled for the prompt alone
   (`question_prompts.question_solution_messages`, n=k, regeneration.solution_decoding); with the solution written
   with the question that makes k + 1 candidates. With regeneration.solutions_see_examples = False the k see the
   prompt without its `>>>` examples (`strip_examples`; the record's `solution_prompt`), so that they read the
   task from the text: a docstring whose examples contradict its text (the 1.5B teacher's commonest flaw in
   accepted questions, LOG.md session 12) is then out-voted rather than followed.
3. The candidates vote (scoring/agreement_vote.py: how they run in the sandbox, who may vote, how the
   largest agreeing group decides the expected outputs; scoring/agreed_tests.py: how the tests are written
   from them and checked). The
   teacher's own expected values -- the docstring's examples (`>>> f(x)` and the next line; `f(x) -> y` /
   `== y` / `returns y`) and any `# -> y` comment in INPUTS -- are parsed here and compared with the agreed
   outcome there (`teacher_expectations` in each record). A wrong docstring example would show the student a
   false example; regeneration.example_policy decides: "rewrite" (default: its result line in the prompt
   becomes the agreed output; the record keeps `prompt_as_written` and `examples_rewritten` [{call, old,
   new}], the stats count them; `example_mismatch` only when the agreed outcome cannot be written as a
   value), "reject" (`example_mismatch`) or "count" (kept, only counted). The disagreement rate is reported
   in every case (`summarise_agreement`).

Typing imports: `sandbox.calls.add_typing_imports` adds the standard `from typing import ...` names the prompt
uses without importing them (the `Set` case); the candidates get the same in `agreement_vote.candidate_program`.

The prompt shows the format by one worked example (question_prompts.QUESTION_EXAMPLE_*, no <placeholders>).

A question is accepted only if every check passes, in this order (the first failing one is the reason):
`unparseable` (layout, entry point, docstring, no usable input), `placeholders` (a layout placeholder line
such as `<function name>` left in the reply), `copied_example` (the reply repeats the prompt's worked example;
a reply that repeats it and then writes its own question keeps its own), `near_duplicate` (ROUGE-L of the
prompt to any pool or already accepted prompt > rouge_l_max = 0.7, Lion's value; or MiniLM cosine >
embedding_sim_max when > 0), `contaminated` (13-gram overlap of the prompt with HumanEval or the run's
held-out seed problems > contamination_max, or ROUGE-L to a held-out prompt > rouge_l_max; the reference is
checked the same way once known), then after the solutions: `nondeterministic` / `unserialisable_output` (too few
voters are left because of that), `no_agreement` (no group of min_agree, or a tie), `too_few_tests` (< min_asserts
tests could be written), `return_type_mismatch` (an agreed output does not fit the prompt's plain return
annotation), `contested_example` (regeneration.contested_examples "reject": a docstring example on an input the
agreeing solutions split on), `example_mismatch`, `reference_fails` (the reference fails the written tests: a bug of ours, kept as a
guard), `trivial_tests` (a trivially wrong body -- `return None`, `pass`, return the first argument, return
0/""/[]/True/False -- passes them).

Revisions (regeneration.revise_rounds, default 0; for the reasons in regeneration.revise_reasons): a question
rejected as `no_agreement`, `return_type_mismatch` or `example_mismatch` goes back to the teacher with what
its candidates disputed (`scoring.disputes`: each disputed call with every answer and how many candidates gave
it, a docstring example's stated result, or the annotation the results do not fit), to settle the intended
results and rewrite the docstring under the same function name (`question_prompts.question_revision_messages`); one
rejected as `near_duplicate` goes back with the exercise it repeats, to write a different task; one rejected
as `student_solves` (the student check) goes back to be made harder (a new task: none of its calls are
kept; the revision is student-checked again, with another seed). The revision
runs the same checks, gets k new solutions and a new vote (the disputed calls are among its inputs); it stays
the same request (acceptance_rate), its record carries `revised` and `revisions` [{prompt, reason, detail,
disputes, raw, seed, solutions_seed}: each rejected version; the record's own raw / seed / solutions_seed are
the last version's], and a revision that cannot be parsed rejects with the old reason (one that renames the
function is taken, its old calls renamed). The validation itself is unchanged: the tests still come only from
agreeing independent solutions.

Which questions form the next pool (unchanged by the agreement step): stages/pool.py.

Not covered: languages other than Python; whether a question is sound beyond its agreeing solutions (k
samples of one model can agree on the same misreading); stateful or random tasks (rejected as
nondeterministic).

Student check (regeneration.student_check_samples > 0, for the kinds in regeneration.student_check_kinds,
default depth only): a question that passed every check above is answered by the cycle's student
(scoring/student_check.py); one it already solves (pass share >= student_check_max_pass) is rejected as
`student_solves`; it goes back to be made harder when `student_solves` is in regeneration.revise_reasons and
revise_rounds >= 1 (the demo), and otherwise the level asks again while its budget lasts
(regeneration.max_tries_factor > 1; with 1 the rejection is final). Why: replayed questions showed the accepted
"depth" questions far easier for the student than their parents (LOG.md, 2026-11-30 session 10), so they
were levelled easy next cycle and left the pool. Each checked record carries `student_check`.

Entry points: `regenerate_questions` (the text checks `check_text`, `check_contamination` and `Embedder`:
scoring/novelty.py; the reply parser's
`parse_reply`, `parse_question`: scoring/question_parser.py; the vote's `candidates_outcomes`,
`decide_question`, `summarise_agreement`: scoring/agreement_vote.py; `check_tests`: scoring/agreed_tests.py).
"""

from __future__ import annotations

from typing import Any

from iterkd_lib.config import config_to_dict
from iterkd_lib.models.backends import chat_once, describe
from iterkd_lib.question_prompts import (
    QUESTION_KIND_BY_LEVEL,
    question_messages,
    question_revision_messages,
    question_solution_messages,
)
from iterkd_lib.records import LEVELS
from iterkd_lib.scoring.agreed_tests import check_tests
from iterkd_lib.scoring.agreement_vote import (
    candidate_program,
    candidates_outcomes,
    decide_question,
    summarise_agreement,
)
from iterkd_lib.scoring.code_extraction import completion_from_code, extract_code
from iterkd_lib.scoring.decontamination import max_rouge_l
from iterkd_lib.scoring.disputes import disputes
from iterkd_lib.scoring.docstrings import examples_hidden, strip_examples
from iterkd_lib.scoring.novelty import check_contamination, check_text, held_out_index
from iterkd_lib.scoring.question_parser import parse_reply
from iterkd_lib.scoring.student_check import check_questions
from iterkd_lib.seeding import derive_seed

REASONS = ("unparseable", "placeholders", "copied_example", "near_duplicate", "contaminated", "nondeterministic",
           "unserialisable_output", "no_agreement", "too_few_tests", "return_type_mismatch", "contested_example",
           "example_mismatch", "reference_fails", "trivial_tests", "student_solves")

# ------------------------------------------------------------------------------------------- the stage

def _problem(q: dict, parent: dict, level: str, kind: str, cycle: int, n: int) -> dict:
    return {"task_id": f"Gen/c{cycle}/{n}", "prompt": q["prompt"], "entry_point": q["entry_point"],
            "test": q["test"], "canonical_solution": completion_from_code(q, q["reference_solution"]),
            "reference_solution": q["reference_solution"], "domain": parent.get("domain"),
            "difficulty": parent.get("difficulty"), "source": "generated", "origin_cycle": cycle,
            "parent_task_id": parent["task_id"], "parent_level": level, "prompt_kind": kind}


def _sample_solutions(questions: list[dict], teacher_backend: Any, cfg: Any, seed: int) -> list[list[str]]:
    """k raw solution replies per question, all in one chat call (n=k); from the prompt without its `>>>`
    examples when regeneration.solutions_see_examples is False (each question's "solution_prompt" is what the
    solutions saw; the prompt itself when there was nothing to remove)."""
    if not questions:
        return []
    rg = cfg.regeneration
    for q in questions:
        q["solution_prompt"] = (q["prompt"] if rg.solutions_see_examples
                                else strip_examples(q["prompt"], q["entry_point"]))
    out = teacher_backend.chat([question_solution_messages({"prompt": q["solution_prompt"]}) for q in questions],
                               rg.solution_decoding, seed, n=rg.solutions_per_question)
    return [list(o) if isinstance(o, list) else [o] for o in out]


def regenerate_questions(levels: list[dict], pool: list[dict], teacher_backend: Any, cfg: Any, seed: int,
                         cycle: int, execute: Any, embedder: Any = None, held_out: list[dict] | None = None,
                         student_answer: Any = None) -> tuple[list[dict], list[dict], dict]:
    """New questions per level: (accepted `08_new_questions`, rejected `08_rejected_questions`, stats).

    Per level: up to per_level[level] * max_tries_factor question requests, in rounds. A round costs two
    teacher calls, each one batch across levels: the questions (the still-missing count per level, parents
    cycled in pool order, a parent asked twice in one round asked for a different variant, seed
    derive_seed(seed, "round", r)), then k solutions for every question that passed
    the text checks (seed derive_seed(seed, "solutions", r)); one sandbox batch runs all candidates.
    `execute(pairs)` runs (problem, completion) pairs (check_completions with the run's limits); `held_out`
    are the run's held-out seed problems (decontamination); `student_answer(problems, seed=, n=)` gives the
    cycle's student's attempts for the student check (Stage II's `student_attempts` bound to the student;
    needed when regeneration.student_check_samples > 0, ValueError at the start without it; seed
    derive_seed(seed, "student_check", r), in revision round i derive_seed(seed, "student_check", r, i)). Every
    record carries the teacher, decodings, seeds, its agreement and the teacher's expectations (and, when examples
    were rewritten, prompt_as_written and examples_rewritten; when revised, revised and revisions); stats per level:
    wanted, parents, requests, accepted, rejected {reason: n}, acceptance_rate, examples_rewritten /
    questions_rewritten (example lines / accepted questions whose docstring examples were rewritten to the agreed
    outputs), examples_dropped (docstring examples removed from accepted questions because their input was
    contested: regeneration.contested_examples "drop"; the record keeps prompt_as_written and examples_dropped),
    revisions (revision requests sent) / accepted_after_revision, student_checked (questions the student
    check answered), examples_hidden (voted questions whose k solutions saw the prompt without its examples:
    regeneration.solutions_see_examples false and `strip_examples` found examples to remove; those records carry
    `solution_prompt`), and "agreement" (`summarise_agreement`). With regeneration.revise_rounds > 0 each round may add
    revision rounds: one teacher call for the revisions (seed derive_seed(seed, "revise", r, i)), then one for their
    k solutions (derive_seed(seed, "revise_solutions", r, i)).
    """
    rg = cfg.regeneration
    if rg.student_check_samples > 0 and student_answer is None:
        raise ValueError("regeneration.student_check_samples > 0 needs the student (student_answer=)")
    held_out = list(held_out or [])
    held_index = held_out_index(held_out) if held_out else None
    by_id = {p["task_id"]: p for p in pool}
    known = list(pool)  # dedup against the pool and everything accepted so far
    info = {"teacher": describe(teacher_backend), "decoding": config_to_dict(rg.decoding),
            "solution_decoding": config_to_dict(rg.solution_decoding)}
    accepted, rejected, todo = [], [], {}
    for level in LEVELS:
        want = int(rg.per_level.get(level, 0))
        parents = [by_id[r["task_id"]] for r in levels if r["level"] == level and r["task_id"] in by_id]
        todo[level] = {"want": want, "parents": parents, "budget": want * rg.max_tries_factor, "written": [],
                       "st": {"wanted": want, "parents": len(parents), "requests": 0, "accepted": 0, "rejected": {},
                              "examples_rewritten": 0, "questions_rewritten": 0, "revisions": 0,
                              "accepted_after_revision": 0, "student_checked": 0, "examples_hidden": 0,
                              "examples_dropped": 0}}

    def reject(meta: dict, reason: str, detail: str, raw: str, **extra: Any) -> None:
        rejected.append({**meta, "reason": reason, "detail": detail, "raw": raw, **extra})
        st = todo[meta["parent_level"]]["st"]
        st["rejected"][reason] = st["rejected"].get(reason, 0) + 1

    def revisable(meta: dict, reason: str) -> bool:
        return reason in rg.revise_reasons and meta.get("revised", 0) < rg.revise_rounds

    def screen(live: list) -> tuple[list, list]:
        """The text checks: (the (meta, q, raw) that passed, the near-duplicates that may still be revised, as
        pending items (meta, q, raw, decision, record) for `revise`)."""
        passed, held = [], []
        for meta, q, raw in live:
            reason, detail = check_text(q, known, held_out, cfg, embedder, held_index)
            if not reason:
                passed.append((meta, q, raw))
            elif revisable(meta, reason):
                held.append((meta, q, raw, {"reason": reason, "detail": detail}, {"prompt": q["prompt"]}))
            else:
                reject(meta, reason, detail, raw, prompt=q["prompt"])
        return passed, held

    def vote(live: list, sseed: int, cseed: int) -> list:
        """k solutions per question (seed `sseed`), the vote, the test checks, the student check (seed `cseed`);
        accepts or rejects each question and returns the rejected ones that may still be revised, as (meta, q,
        raw, decision, record)."""
        sols = _sample_solutions([q for _, q, _ in live], teacher_backend, cfg, sseed)
        for (_, q, _), texts in zip(live, sols):
            q["solution_replies"] = texts
            q["candidates"] = [extract_code(q["solution"], q["entry_point"]) if q["solution"] else ""] + [
                extract_code(t, q["entry_point"]) for t in texts]
        outs = candidates_outcomes([q for _, q, _ in live], cfg)
        pending, decided = [], []
        for (meta, q, raw), out in zip(live, outs):
            t, level = todo[meta["parent_level"]], meta["parent_level"]
            d = decide_question(q, out, cfg)
            hidden = examples_hidden(q)  # before the prompt takes any rewrite below
            t["st"]["examples_hidden"] += hidden
            rewritten = {}
            if d.get("prompt"):  # wrong examples rewritten to the agreed outputs, or contested ones dropped
                rewritten = {"prompt_as_written": q["prompt"], **{k: d[k] for k in (
                    "examples_rewritten", "examples_dropped") if d.get(k)}}
                q["prompt"] = d["prompt"]
            record = {"prompt": q["prompt"], **rewritten, "entry_point": q["entry_point"], "args": q["args"],
                      "indent": q["indent"],
                      "inputs": q["inputs"],
                      "agreement": d["agreement"], "teacher_expectations": d.get("expectations") or [
                          {**x, "agrees": None} for x in q["expectations"]],
                      "candidates": q["candidates"], "solution_replies": q["solution_replies"],
                      **({"solution_prompt": q["solution_prompt"]} if hidden else {}),
                      "outcomes": [[o.get("repr") or o.get("exception") for o in r["outcomes"]] if r else None
                                   for r in out["runs"]]}
            if not d["reason"]:
                q["test"], q["reference_solution"] = d["test"], candidate_program(q, q["candidates"][d["reference"]])
                problem = _problem(q, {"task_id": meta["parent_task_id"]}, level, meta["prompt_kind"], cycle, 0)
                problem.update(indent=q["indent"], args=q["args"])
                reason, detail = check_tests(problem, execute)
                if not reason:
                    reason, detail = check_contamination(q["reference_solution"], held_out, cfg, held_index)
                d["reason"], d["detail"] = reason, detail
                record.update(test=d["test"], reference=d["reference"], left_out=d["left_out"])
            elif revisable(meta, d["reason"]):
                d["disputes"] = disputes(q, out, d, cfg)
                if d["disputes"]:  # nothing to show when too few candidates ran at all
                    pending.append((meta, q, raw, d, record))
                    continue
            decided.append((meta, q, raw, d, record, problem if not d["reason"] else None, rewritten))
        checked = [x for x in decided if x[5] is not None and x[0]["prompt_kind"] in rg.student_check_kinds]
        if checked and rg.student_check_samples > 0:
            for (_, _, _, d, record, _, _), c in zip(checked, check_questions(
                    [x[5] for x in checked], student_answer, cfg, cseed, execute)):
                record["student_check"] = c
                if c["solved"]:
                    d["reason"], d["detail"] = "student_solves", (
                        f"the student passes {c['passed']}/{c['n']} answers (>= {rg.student_check_max_pass:g})")
            for x in checked:
                todo[x[0]["parent_level"]]["st"]["student_checked"] += 1
        for meta, q, raw, d, record, _, rewritten in decided:
            t, level = todo[meta["parent_level"]], meta["parent_level"]
            if not d["reason"]:  # a question accepted earlier in this round may be its near twin
                d["reason"], d["detail"] = check_text(q, known[len(pool):], [], cfg, None)
            if d["reason"] or t["st"]["accepted"] >= t["want"]:
                if d["reason"] == "student_solves" and revisable(meta, d["reason"]):
                    pending.append((meta, q, raw, d, record))   # back to the teacher for a harder version
                elif d["reason"]:
                    reject(meta, d["reason"], d["detail"], raw, **record)
                continue
            parent = by_id[meta["parent_task_id"]]
            rec = {**_problem(q, parent, level, meta["prompt_kind"], cycle, len(accepted)), **record, "raw": raw,
                   **meta}
            accepted.append(rec)
            known.append(rec)
            t["st"]["accepted"] += 1
            if meta.get("revised"):
                t["st"]["accepted_after_revision"] += 1
            if rewritten.get("examples_rewritten"):
                t["st"]["questions_rewritten"] += 1
                t["st"]["examples_rewritten"] += len(rewritten["examples_rewritten"])
            t["st"]["examples_dropped"] += len(rewritten.get("examples_dropped", []))
        return pending

    def revise(pending: list, rseed: int, sseed: int) -> list:
        """One revision request per pending question (`question_prompts.question_revision_messages`, seed `rseed`);
        returns the parsed revisions as (meta, q, reply): meta["revised"] counted up, "seed" / "solutions_seed"
        now those of the revision and of its solutions (`sseed`), and meta["revisions"] gaining what was
        rejected {prompt, reason, detail, disputes, raw, seed, solutions_seed}; an unusable reply rejects with
        the old reason. A revision may rename the function (asked not to, the 1.5B sometimes does): the old
        calls follow the name."""
        msgs = []
        for meta, q, _, d, record in pending:
            twin = ""
            if d["reason"] == "near_duplicate":  # the question `check_text` named ("... to <task_id>")
                twin = next((p["prompt"] for p in known if d["detail"].endswith(f" to {p['task_id']}")),
                            known[max_rouge_l(q["prompt"], [p["prompt"] for p in known])[1]]["prompt"])
            msgs.append(question_revision_messages(q, d["reason"], d.get("disputes"), twin, rg.n_inputs,
                                                   record.get("student_check")))
            todo[meta["parent_level"]]["st"]["revisions"] += 1
        replies = chat_once(teacher_backend, msgs, rg.decoding, rseed)
        out = []
        for (meta, q, raw, d, record), reply in zip(pending, replies):
            meta = {**meta, "revised": meta.get("revised", 0) + 1, "seed": rseed, "solutions_seed": sseed,
                    "revisions": [*meta.get("revisions", []), {
                        "prompt": q["prompt"], "reason": d["reason"], "detail": d["detail"],
                        "disputes": d.get("disputes", []), "raw": raw, "seed": meta["seed"],
                        "solutions_seed": meta["solutions_seed"]}]}
            q2, _, why = parse_reply(reply, max_inputs=3 * rg.n_inputs)
            if q2 is None:
                reject(meta, d["reason"], f"{d['detail']}; revision unusable: {why}"[:300], reply, **record)
                continue
            if d["reason"] not in ("near_duplicate", "student_solves"):  # a new task keeps none of the old calls;
                # otherwise the disputed calls (then the old inputs) are voted on again,
                old = [x["call"] for x in d.get("disputes", [])] + q["inputs"]  # under the name it now has
                old = [q2["entry_point"] + c[len(q["entry_point"]):] if c.startswith(q["entry_point"] + "(") else c
                       for c in old]
                q2["inputs"] = list(dict.fromkeys(q2["inputs"] + old))[:3 * rg.n_inputs]
            todo[meta["parent_level"]]["written"].append(q2["entry_point"])
            out.append((meta, q2, reply))
        return out

    rnd = 0
    while True:
        batch = []  # (level, parent, messages)
        for level, t in todo.items():
            st = t["st"]
            if not t["parents"] or st["accepted"] >= t["want"] or st["requests"] >= t["budget"]:
                continue
            k = min(t["want"] - st["accepted"], t["budget"] - st["requests"])
            chosen = [t["parents"][(st["requests"] + i) % len(t["parents"])] for i in range(k)]
            st["requests"] += k
            batch += [(level, p, question_messages(p, QUESTION_KIND_BY_LEVEL[level], t["written"] if rnd else None,
                                                   rg.n_inputs, variant=chosen[:i].count(p)))
                      for i, p in enumerate(chosen)]
        if not batch:
            break
        rseed, sseed = derive_seed(seed, "round", rnd), derive_seed(seed, "solutions", rnd)
        replies = chat_once(teacher_backend, [m for _, _, m in batch], rg.decoding, rseed)
        live = []  # (meta, question, raw) that parsed; `screen` applies the text checks
        for (level, parent, _), raw in zip(batch, replies):
            meta = {"parent_task_id": parent["task_id"], "parent_level": level,
                    "prompt_kind": QUESTION_KIND_BY_LEVEL[level], "seed": rseed, "solutions_seed": sseed, **info}
            q, reason, why = parse_reply(raw, max_inputs=3 * rg.n_inputs)
            if q is None:
                reject(meta, reason, why, raw)
                continue
            todo[level]["written"].append(q["entry_point"])
            live.append((meta, q, raw))
        passed, held = screen(live)
        pending = held + vote(passed, sseed, derive_seed(seed, "student_check", rnd))
        for r in range(rg.revise_rounds):  # rejected questions go back to the teacher (`revise`)
            if not pending:
                break
            rs = derive_seed(seed, "revise_solutions", rnd, r)
            passed, held = screen(revise(pending, derive_seed(seed, "revise", rnd, r), rs))
            pending = held + vote(passed, rs, derive_seed(seed, "student_check", rnd, r))
        for meta, q, raw, d, record in pending:
            reject(meta, d["reason"], d["detail"], raw, **record)
        rnd += 1
    stats = {}
    for level, t in todo.items():
        st = t["st"]
        st["acceptance_rate"] = st["accepted"] / st["requests"] if st["requests"] else None
        mine = [r for r in accepted + rejected if r.get("parent_level") == level]
        st["agreement"] = summarise_agreement(mine)
        stats[level] = st
    return accepted, rejected, stats
