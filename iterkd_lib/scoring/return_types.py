"""Stage III's return-type check: do a question's agreed outputs fit its signature's return annotation?

Used by `scoring.agreement_vote.decide_question` (reason `return_type_mismatch`). Only plain annotations are
read (int, float, str, bool, list/List, tuple/Tuple, dict/Dict, set/Set, frozenset/FrozenSet, by their base
name, so List[int] reads as List); outputs are the sandbox's normalised values (`sandbox.calls`: tuples, sets
and dicts tagged, non-finite floats as {"__float__": ...}). A real case it catches: `max_repeats(s: str) ->
int`, "return the number of characters that appear the most", whose five agreeing solutions returned the
character (LOG.md, 2026-11-30 session 9).

Not covered: Optional, Union, Any, classes, element types (List[int] holding strings passes); None outputs
are not judged (small models annotate `-> int` and document "None when empty"); exceptions are outcomes, not
values.
Entry points: `return_annotation`, `admits`, `type_mismatches`.
"""

from __future__ import annotations

import ast
from typing import Any

# Return annotations the check below understands, and the normalised outputs (sandbox.calls) each admits.
_TAGGED = {"tuple": "__tuple__", "Tuple": "__tuple__", "dict": "__dict__", "Dict": "__dict__", "set": "__set__",
           "Set": "__set__", "frozenset": "__frozenset__", "FrozenSet": "__frozenset__"}


def admits(annotation: str, value: Any) -> bool | None:
    """Whether a normalised output fits a simple return annotation; None when the annotation is not one this
    check reads (Optional, Union, Any, a class, ...) or the output is None (small models annotate `-> int` and
    document "None when empty"; not judged)."""
    if value is None:
        return None
    if annotation == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation == "float":
        return (isinstance(value, (int, float)) and not isinstance(value, bool)) or (
            isinstance(value, dict) and "__float__" in value)
    if annotation in ("str", "bool"):
        return isinstance(value, {"str": str, "bool": bool}[annotation])
    if annotation in ("list", "List"):
        return isinstance(value, list)
    if annotation in _TAGGED:
        return isinstance(value, dict) and _TAGGED[annotation] in value
    return None


def return_annotation(q: dict) -> str:
    """The entry point's return annotation in the question's prompt, by its base name ("int", "List" for
    List[int]); "" when there is none or the prompt does not parse."""
    try:
        tree = ast.parse(q["prompt"] + ("\n" if not q["prompt"].endswith("\n") else "") + q.get("indent", "    ")
                         + "pass\n")
    except SyntaxError:
        return ""
    for n in tree.body:
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == q["entry_point"] and n.returns:
            r = n.returns.value if isinstance(n.returns, ast.Subscript) else n.returns
            return r.id if isinstance(r, ast.Name) else ""
    return ""


def type_mismatches(q: dict, outcomes: list[dict], skip: set[int]) -> list[tuple[int, str]]:
    """(input index, annotation) for every agreed output that does not fit the prompt's return annotation."""
    ann = return_annotation(q)
    if not ann:
        return []
    return [(i, ann) for i, o in enumerate(outcomes)
            if i not in skip and o.get("ok") and "value" in o and admits(ann, o["value"]) is False]
