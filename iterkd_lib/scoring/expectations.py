"""Stage III: the teacher's own expected values (docstring examples, `# -> y` comments) against the agreed outcomes.

Used by scoring/question_parser.py (a docstring example whose result is a traceback becomes the expectation
"raises <ExceptionName>", `traceback_expectation`) and scoring/agreement_vote.py (`compare_expectations`, once the
vote has a reference). An expectation is {"call", "expected": a literal's source or "raises <Name>", "source":
"docstring" | "inputs"}; its stated value was evaluated in the sandbox like any output (`candidates_outcomes`'
"expected": the normalised value, None when it is no value -- e.g. "raises ValueError").

How one is judged (`compare_expectations`):
- a value: it agrees when the agreed outcome is a value equal to it (`sandbox.calls.outputs_agree`: floats
  within rel_tol/abs_tol); an expectation whose text could not be evaluated is not judged (agrees None);
- "raises X": it agrees when the agreed outcome is an exception of type X (the class name; a dotted name is
  compared by its last part); found in 3 of the 10 question texts of the study's first two cycles
  (`add_spaces('python', -1)` -> ValueError), which were never compared before 2026-12-01;
- on a contested input (no agreed outcome) it is not judged.
A wrong one also gets "supporters": the voting candidates whose outcome matches the stated value or exception.
The rewrite policy (scoring/agreement_vote.py) rewrites only wrong values nobody supports, never a traceback.

Not covered: exception messages (only the type is compared); expectations on a call the inputs do not hold.
Entry points: `traceback_expectation`, `stated_exception`, `compare_expectations`, `RAISES`.
"""

from __future__ import annotations

import re
from typing import Any

from iterkd_lib.sandbox.calls import output_literal, outputs_agree

RAISES = "raises "
# the last line of a doctest traceback: `ValueError: message`, `ValueError`, `mod.CustomError: ...`
_EXC_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Warning|Exit|Interrupt|StopIteration))\b\s*(?::.*)?$")


def traceback_expectation(lines: list[str]) -> str | None:
    """'raises <Name>' for the lines after a `>>>` call when they show a traceback (the first non-empty one
    starts with 'Traceback'), the exception named by its first exception line before the next `>>>`; else
    None. lines: stripped docstring lines following the call."""
    body = [ln for ln in lines if ln]
    if not body or not body[0].startswith("Traceback"):
        return None
    for ln in body[1:]:
        if ln.startswith(">>>"):
            return None
        m = _EXC_LINE.match(ln)
        if m:
            return RAISES + m.group(1).rsplit(".", 1)[-1]
    return None


def stated_exception(expected: str) -> str | None:
    """The exception name of a "raises <Name>" expectation, else None."""
    return expected[len(RAISES):].strip() or None if expected.startswith(RAISES) else None


def _matches(o: dict, expected: str, value: Any, rg: Any) -> bool:
    exc = stated_exception(expected)
    if exc is not None:
        return not o.get("ok") and (o.get("error_type") or "").rsplit(".", 1)[-1] == exc
    return bool(o.get("ok") and "value" in o and outputs_agree(o["value"], value, rg.rel_tol, rg.abs_tol))


def compare_expectations(q: dict, expected_values: list, runs: list, voters: list[int], ref: int,
                         contested: list[int], rg: Any) -> list[dict]:
    """Each of q["expectations"] with "agreed" (the reference's outcome as a literal, or its exception type),
    "agrees" (bool, or None when not judged: see the module docstring) and, where agrees is False,
    "supporters" (how many `voters` give the stated value or raise the stated exception).

    expected_values: `candidates_outcomes`' "expected" (one normalised value or None per expectation); runs:
    its "runs" (CallsResult dicts by candidate); ref: the reference candidate; contested: input indices
    without an agreed outcome.
    """
    out = []
    for x, value in zip(q.get("expectations") or [], expected_values or []):
        i = q["inputs"].index(x["call"])
        o = runs[ref]["outcomes"][i]
        judged = i not in contested and (value is not None or x["expected"] == "None"
                                         or stated_exception(x["expected"]) is not None)
        agrees = _matches(o, x["expected"], value, rg) if judged else None
        e = {**x, "agreed": output_literal(o["value"]) if o.get("ok") and "value" in o else o.get("error_type"),
             "agrees": agrees}
        if agrees is False:  # who gives the stated answer: > 0 means another reading (or a wrong solution)
            e["supporters"] = sum(_matches(runs[c]["outcomes"][i], x["expected"], value, rg) for c in voters)
        out.append(e)
    return out
