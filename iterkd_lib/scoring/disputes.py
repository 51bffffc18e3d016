"""What a rejected Stage III question's candidates disputed, quoted in the teacher's revision request.

Used by stages/new_questions.py (regeneration.revise_rounds) for questions rejected as no_agreement,
return_type_mismatch or example_mismatch; the request itself is `question_prompts.question_revision_messages`. Reads
the vote's results (`scoring.agreement_vote`: `candidates_outcomes`, `decide_question`); runs nothing.

Not covered: near-duplicates (their revision shows the exercise they repeat, not disputes).
Entry points: `disputes`.
"""

from __future__ import annotations

from typing import Any

from iterkd_lib.sandbox.calls import outcomes_agree
from iterkd_lib.scoring.agreement_vote import answer_text, voting


def disputes(q: dict, outcome: dict, decision: dict, cfg: Any, limit: int = 6) -> list[dict]:
    """What a question's candidates disagree on, for the teacher's clarification (stages/new_questions.py).

    `outcome` is the question's `candidates_outcomes` entry, `decision` its `decide_question` result. Returns
    at most `limit` items, docstring examples that disagree with the agreed output first ({"call", "stated":
    the docstring's result, "answers": [(agreed answer, voters giving it)]}), for return_type_mismatch the
    agreed outputs that do not fit ({"call", "annotation", "answers"}), then the inputs on which the voters'
    outcomes differ ({"call", "answers": [(answer, count)], most common first}). Answers are value
    reprs (<= 80 characters) or "<ExceptionType> raised"; outcomes are grouped by `outcomes_agree`.
    """
    rg = cfg.regeneration
    runs = outcome["runs"]
    voters, _ = voting(runs)
    items: list[dict] = []

    def agreed(i: int) -> list[tuple[str, int]]:  # the reference's answer to input i and how many voters gave it
        ref = runs[decision["reference"]]["outcomes"][i]
        return [(answer_text(ref), sum(1 for c in voters if outcomes_agree(ref, runs[c]["outcomes"][i], rg.rel_tol,
                                                                          rg.abs_tol)))]
    for x in decision.get("expectations") or []:
        if x.get("source") == "docstring" and x.get("agrees") is False:
            items.append({"call": x["call"], "stated": x["expected"], "answers": agreed(q["inputs"].index(x["call"]))})
    if decision.get("reason") == "return_type_mismatch":
        for i, ann in decision.get("type_mismatches", []):
            items.append({"call": q["inputs"][i], "annotation": ann, "answers": agreed(i)})
    for i, call in enumerate(q["inputs"]):
        groups: list[list[dict]] = []
        for c in voters:
            o = runs[c]["outcomes"][i]
            for g in groups:
                if outcomes_agree(g[0], o, rg.rel_tol, rg.abs_tol):
                    g.append(o)
                    break
            else:
                groups.append([o])
        if len(groups) > 1 and all(it["call"] != call for it in items):
            groups.sort(key=len, reverse=True)
            items.append({"call": call, "answers": [(answer_text(g[0]), len(g)) for g in groups]})
    return items[:limit]
