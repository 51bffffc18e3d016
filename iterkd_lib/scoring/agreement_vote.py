"""Stage III's answer vote: the candidate solutions of a generated question decide its expected outputs.

Used by stages/new_questions.py (which writes the question, samples the candidates and loops); the vote is a
scorer of its own because it runs only in the sandbox and reads no stage's files (CodeT, SelfCodeAlign and
KodCode validate self-written tasks the same way):

1. `candidates_outcomes`: every candidate (the solution written with the question, then the k sampled ones)
   runs on every input in the sandbox (`sandbox.calls.run_calls`: outputs come back normalised, exceptions as
   outcomes; twice on different servers when check_nondeterminism). Candidates that do not define the entry
   point, do not load, change an outcome between the two runs, or return something the normalisation cannot
   express (an object, a generator, > 8,000 JSON characters) do not vote.
2. `decide_question`: the voters are grouped by identical outcomes on every input (`sandbox.calls.outcomes_agree`:
   the same normalised value, floats within rel_tol/abs_tol, 2 == 2.0 but True != 1; or the same exception
   type). The question is accepted when the largest group has at least `min_agree` members and no other group
   is as large. With regeneration.min_agreed_inputs < 1 (`_best_partial_group`), the group may instead agree
   on part of the inputs only: among the sets of >= min_agree voters, the one agreeing on the most inputs (then
   the larger set) wins if those inputs are at least that share of all and no other set of the same size
   agrees on as many with other outputs; the remaining inputs are "contested" and get no test (left_out).
   Its reference is that group's first member; its tests are written from the group's outcomes
   (`scoring.agreed_tests.write_tests`: the forms of the checks and what is left out are listed there).
3. The agreed outputs must fit the prompt's return annotation where it is a plain type (int, float, str,
   bool, list, tuple, dict, set; scoring/return_types.py): an output of another type (None not judged) rejects
   the question as `return_type_mismatch`. The agreeing solutions and the text then read the task
   differently (a real case: `max_repeats(s: str) -> int`, "return the number of characters that appear the
   most", whose five agreeing solutions returned the character, and whose count examples the rewrite policy
   below turned into characters).
4. Teacher-written expected values (docstring examples, `# -> y` comments in INPUTS; a traceback example as
   "raises X") are compared with the agreed outcome (scoring/expectations.py; `teacher_expectations` in each
   record; `summarise_agreement` gives the disagreement rate). A wrong docstring example, by
   regeneration.example_policy: "rewrite" (default; `scoring.agreed_tests.rewrite_examples` puts the agreed
   output under the example in the prompt and the record lists it in examples_rewritten -- `example_mismatch` when it cannot be written as a value, or when
   any voting solution reproduces the stated value: then the example is not the teacher's slip but another
   reading of the text, and a bare majority would overrule the text -- a real case: `split_into_words`,
   "treating punctuation as word separators", 3 of 5 solutions split on spaces only, and the rewrite turned
   ['hello', 'world'] into ['hello,', 'world']), "rewrite_all" (rewrites even those; the rule before
   2026-12-01), "reject" (`example_mismatch`) or "count". When the k sampled solutions saw no examples
   (regeneration.solutions_see_examples false; q["solution_prompt"] differs), only they count as another reading:
   the written solution (candidate `WRITTEN`) saw the examples, so an example only it backs is rewritten.
   An example on a contested input: regeneration.contested_examples (scoring/agreed_tests.py).
5. Then stages/new_questions.py checks the written tests (`scoring.agreed_tests.check_tests`: the reference
   passes, no trivially wrong body does).

Typing imports: `sandbox.calls.add_typing_imports` adds the standard `from typing import ...` names a text uses
without importing them (the `Set` case) to every candidate program (`candidate_program`), statically, before
anything runs -- the same text for the agreement runs and the reference checks, and what is stored runs in a
plain interpreter (the sandbox's typing_prelude stays off; reasons in sandbox/execution.py).

Not covered: parsing the teacher's reply, the text checks and the regeneration loop (stages/new_questions.py);
whether a question is sound beyond its agreeing solutions (k samples of one model can agree on the same
misreading).
What a rejected question's candidates disputed, for the teacher's revision: scoring/disputes.py. The
annotation check: scoring/return_types.py.

Entry points: `candidates_outcomes`, `decide_question`, `voting` (who may vote), `answer_text`,
`candidate_program`, `summarise_agreement`.
"""

from __future__ import annotations

import ast
from typing import Any

from iterkd_lib.sandbox.calls import add_typing_imports, outcomes_agree, run_calls
from iterkd_lib.scoring.agreed_tests import contested_examples, rewrite_examples, write_tests
from iterkd_lib.scoring.docstrings import examples_hidden
from iterkd_lib.scoring.expectations import compare_expectations
from iterkd_lib.scoring.return_types import type_mismatches

# The candidates are [the solution written with the question, then the k sampled ones] (stages/new_questions.py).
WRITTEN = 0


def candidate_program(q: dict, code: str) -> str:
    """A candidate solution as a runnable program: the prompt's imports first (a solution often drops them),
    then the code, with the standard typing imports it lacks added (`add_typing_imports`)."""
    try:
        tree = ast.parse(q["prompt"])
        imports = [ast.get_source_segment(q["prompt"], n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    except SyntaxError:
        imports = []
    head = "".join(i + "\n" for i in imports if i and i not in code)
    return add_typing_imports(head + (head and "\n") + code.strip("\n") + "\n")


def _defines_entry(code: str, entry: str) -> bool:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return False
    return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == entry for n in tree.body)


def candidates_outcomes(questions: list[dict], cfg: Any) -> list[dict]:
    """Run every question's candidates on its inputs in the sandbox, in one `run_calls` batch.

    Each question needs "candidates" (code strings, the first being the solution written with it, "" when
    none) and "inputs" (call expressions); teacher "expectations" are evaluated too (as expressions, so their
    values are normalised exactly like outputs). Returns per question {"runs": [CallsResult dict or None for a
    candidate that does not define the entry point], "expected": [normalised value or None per expectation]}.
    """
    rg, ex = cfg.regeneration, cfg.execution
    pairs, where = [], []
    for qi, q in enumerate(questions):
        for ci, code in enumerate(q["candidates"]):
            if _defines_entry(code, q["entry_point"]):
                pairs.append((candidate_program(q, code), list(q["inputs"])))
                where.append((qi, "run", ci))
        if q.get("expectations"):
            pairs.append(("", [x["expected"] for x in q["expectations"]]))
            where.append((qi, "expected", 0))
    results = run_calls(pairs, timeout_s=max(ex.timeout_s, rg.call_timeout_s * 2), call_timeout_s=rg.call_timeout_s,
                        memory_mb=ex.memory_mb, workers=ex.workers, repeat=2 if rg.check_nondeterminism else 1,
                        rel_tol=rg.rel_tol, abs_tol=rg.abs_tol) if pairs else []
    out = [{"runs": [None] * len(q["candidates"]), "expected": [None] * len(q.get("expectations") or [])}
           for q in questions]
    for (qi, kind, ci), res in zip(where, results):
        if kind == "run":
            out[qi]["runs"][ci] = res.to_dict()
        else:
            out[qi]["expected"] = [o.get("value") if o.get("ok") and "value" in o else None for o in res.outcomes]
    return out


def _best_partial_group(runs: list, voters: list[int], n_inputs: int, rg: Any) -> tuple[list[int], list[int]] | None:
    """(group, agreed input indices) for regeneration.min_agreed_inputs < 1, or None.

    Every set of >= min_agree voters (at most 2^voters, voters <= ~10) is scored by the inputs on which all its
    members agree with its first member; the best has the most such inputs, then the most members. None when
    it covers fewer than ceil(min_agreed_inputs x n_inputs) inputs, or when another set with the same score
    disagrees with it on a shared input (a tie between two answers).
    """
    from itertools import combinations
    from math import ceil

    def agreed(group: tuple) -> list[int]:
        first = runs[group[0]]["outcomes"]
        return [i for i in range(n_inputs) if all(outcomes_agree(first[i], runs[c]["outcomes"][i], rg.rel_tol,
                                                                 rg.abs_tol) for c in group[1:])]
    scored = [(len(a), len(g), g, a) for size in range(rg.min_agree, len(voters) + 1)
              for g in combinations(voters, size) for a in [agreed(g)]]
    if not scored:
        return None
    scored.sort(key=lambda t: (t[0], t[1]), reverse=True)
    n_best, size_best, group, inputs = scored[0]
    if n_best < max(1, ceil(rg.min_agreed_inputs * n_inputs - 1e-9)):
        return None
    for n, size, other, other_inputs in scored[1:]:
        if (n, size) != (n_best, size_best):
            break
        shared = set(inputs) & set(other_inputs)
        if any(not outcomes_agree(runs[group[0]]["outcomes"][i], runs[other[0]]["outcomes"][i], rg.rel_tol,
                                  rg.abs_tol) for i in shared) or set(other_inputs) != set(inputs):
            return None
    return list(group), inputs


def voting(runs: list) -> tuple[list[int], dict]:
    """(indices of the candidates that may vote, {why excluded: count}) for one question's runs."""
    voters, excluded = [], {"no_function": 0, "not_loaded": 0, "nondeterministic": 0, "unserialisable": 0}
    for ci, r in enumerate(runs):
        if r is None:
            excluded["no_function"] += 1
        elif r["status"] != "ok":
            excluded["not_loaded"] += 1
        elif r.get("nondeterministic"):
            excluded["nondeterministic"] += 1
        elif r.get("unserialisable"):
            excluded["unserialisable"] += 1
        else:
            voters.append(ci)
    return voters, excluded


def answer_text(o: dict) -> str:
    """An outcome as a prompt can quote it: the value's repr, or '<Type> raised'."""
    if o.get("ok"):
        return str(o.get("repr", ""))[:80]
    return f"{o.get('error_type') or 'an exception'} raised"


def decide_question(q: dict, outcome: dict, cfg: Any) -> dict:
    """The agreement verdict for one question from `candidates_outcomes`' entry for it.

    Returns {"reason": "" | nondeterministic | unserialisable_output | no_agreement | too_few_tests |
    return_type_mismatch | contested_example | example_mismatch, "detail", "agreement": {...}, and when agreed
    "reference" (candidate index), "test", "n_tests", "left_out", "expectations" (`compare_expectations`:
    "agreed", "agrees": bool | None, where False "supporters"), and for return_type_mismatch "type_mismatches" [(input index, annotation)]}; under example_policy "rewrite",
    when a docstring example was wrong and could be rewritten (`rewrite_examples`), also "prompt" (the prompt
    with the agreed outputs as the examples' results) and "examples_rewritten" ([{call, old, new}]); under
    contested_examples "drop", when an example's input was contested, "prompt" without it and
    "examples_dropped" ([{call, stated}]).
    Docstring examples are among the inputs (scoring/question_parser.parse_question puts them first), so every
    example was run by every candidate like any other input.
    """
    rg = cfg.regeneration
    runs = outcome["runs"]
    voters, excluded = voting(runs)
    groups: list[list[int]] = []
    for ci in voters:
        for g in groups:
            if all(outcomes_agree(a, b, rg.rel_tol, rg.abs_tol) for a, b in zip(runs[g[0]]["outcomes"], runs[ci]["outcomes"])):
                g.append(ci)
                break
        else:
            groups.append([ci])
    groups.sort(key=len, reverse=True)
    sizes = [len(g) for g in groups]
    agreement = {"candidates": len(runs), "voters": len(voters), "groups": sizes, "largest": sizes[0] if sizes else 0,
                 "excluded": excluded, "min_agree": rg.min_agree, "inputs": len(q["inputs"])}
    res = {"reason": "", "detail": "", "agreement": agreement}
    if len(voters) < rg.min_agree:
        short, nd, us = rg.min_agree - len(voters), excluded["nondeterministic"], excluded["unserialisable"]
        if nd + us >= short and (nd or us):  # without those exclusions there would have been enough voters
            res["reason"] = "nondeterministic" if nd >= us else "unserialisable_output"
        else:
            res["reason"] = "no_agreement"
        res["detail"] = (f"{len(voters)} of {len(runs)} candidates could vote (< min_agree {rg.min_agree}); "
                         + ", ".join(f"{k} {v}" for k, v in excluded.items() if v))
        return res
    contested: list[int] = []
    if sizes[0] < rg.min_agree or (len(sizes) > 1 and sizes[1] == sizes[0]):
        partial = _best_partial_group(runs, voters, len(q["inputs"]), rg) if rg.min_agreed_inputs < 1 else None
        if partial is None:
            res["reason"] = "no_agreement"
            res["detail"] = f"groups of agreeing candidates {sizes} (need one of >= {rg.min_agree}, no tie)"
            return res
        group, agreed = partial
        contested = [i for i in range(len(q["inputs"])) if i not in agreed]
        agreement.update(partial_group=group, contested=contested)
        ref = group[0]
    else:
        ref = groups[0][0]
    outcomes = runs[ref]["outcomes"]
    test, n_tests, left_out = write_tests(q, outcomes, cfg, skip={i: "contested" for i in contested})
    hidden = examples_hidden(q)
    readers = [c for c in voters if c != WRITTEN] if hidden else voters  # who read the task from the text
    exps = compare_expectations(q, outcome.get("expected") or [], runs, readers, ref, contested, rg)
    res.update(reference=ref, test=test, n_tests=n_tests, left_out=left_out, expectations=exps)
    if n_tests < rg.min_asserts:
        res["reason"], res["detail"] = "too_few_tests", (f"{n_tests} tests written (< min_asserts {rg.min_asserts}); "
                                                         f"left out: {sorted(set(left_out.values()))}")[:300]
        return res
    mismatched = type_mismatches(q, outcomes, set(contested))
    if mismatched:
        i, ann = mismatched[0]
        res.update(reason="return_type_mismatch", type_mismatches=mismatched, detail=(
            f"annotated -> {ann}, but the agreeing solutions return {answer_text(outcomes[i])} for {q['inputs'][i]}"
            f" ({len(mismatched)} of {len(outcomes)} inputs)")[:300])
        return res
    prompt, dropped, why = contested_examples(q, exps, contested, rg.contested_examples, q["prompt"])
    if why:
        res["reason"], res["detail"] = "contested_example", why
        return res
    edits = {"prompt": prompt, "examples_dropped": dropped} if dropped else {}  # only an accepted one carries them
    wrong = [x for x in exps if x["source"] == "docstring" and x["agrees"] is False]
    if not wrong or rg.example_policy == "count":
        return {**res, **edits}
    why = ""
    backed = [x for x in wrong if x.get("supporters")]
    if rg.example_policy == "rewrite" and backed:
        who = "solutions written from the text alone" if hidden else "voting solutions"
        why = (f"the stated answer is what {backed[0]['supporters']} of {len(readers)} {who} give: "
               "another reading of the text (or a wrong solution) supports it, and a bare majority does not "
               "overrule the text")
    elif rg.example_policy in ("rewrite", "rewrite_all"):
        prompt, rewrites, why = rewrite_examples(prompt, [
            {**x, "value": outcomes[q["inputs"].index(x["call"])]} for x in wrong])
        if not why:
            return {**res, **edits, "prompt": prompt, "examples_rewritten": rewrites}
    x = backed[0] if backed and rg.example_policy == "rewrite" else wrong[0]
    res["reason"], res["detail"] = "example_mismatch", (f"docstring says {x['call']} -> {x['expected']}, the "
                                                        f"agreeing solutions give {x['agreed']}"
                                                        + (f"; not rewritten: {why}" if why else ""))[:300]
    return res


def summarise_agreement(records: list[dict]) -> dict:
    """Over accepted + rejected question records: how many reached the vote, the distribution of the largest
    agreeing group ({size: questions}), and the teacher's own expected values against the agreed outputs
    (checked, wrong, wrong_rate; docstring examples and INPUTS comments together, over accepted questions and
    those rejected after the vote (example_mismatch and the later checks, student_solves included) --
    elsewhere there is no agreed output to compare with); and
    how many were decided on part of their inputs (partial_agreement) with how many contested inputs."""
    voted = [r["agreement"] for r in records if r.get("agreement")]
    hist: dict[int, int] = {}
    for a in voted:
        hist[a["largest"]] = hist.get(a["largest"], 0) + 1
    checked = [x for r in records if r.get("reason", "") in ("", "example_mismatch", "reference_fails",
                                                             "trivial_tests", "contaminated", "near_duplicate",
                                                             "student_solves")
               for x in r.get("teacher_expectations") or [] if x.get("agrees") is not None]
    wrong = sum(1 for x in checked if x["agrees"] is False)
    partial = [a for a in voted if a.get("contested") is not None]
    return {"voted": len(voted), "largest_group": dict(sorted(hist.items())),
            "partial_agreement": len(partial),   # decided on part of the inputs (min_agreed_inputs < 1)
            "contested_inputs": sum(len(a["contested"]) for a in partial),
            "candidates": voted[0]["candidates"] if voted else None,
            "expectations_checked": len(checked), "expectations_wrong": wrong,
            "expectations_wrong_rate": wrong / len(checked) if checked else None}
