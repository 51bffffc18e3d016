"""What follows from a Stage III question's agreed outputs: its tests, its corrected examples, the checks on both.

Used by scoring/agreement_vote.py (`decide_question` writes the tests and rewrites wrong examples once the vote
has picked the agreeing group) and stages/new_questions.py (`check_tests` before a question is accepted):

- `write_tests`: one check per input from the agreed outcome: `assert candidate(args) == <value>` (`is` for
  None/True/False; a tolerant `_close` helper, written into the test, when the value holds a float, within
  regeneration.rel_tol/abs_tol); an agreed exception becomes a `try/except` check only when the docstring names
  that exception (a test may demand only what the question states), otherwise the input is left out; timeouts
  and outputs over LITERAL_MAX characters as a literal are left out too.
- `rewrite_examples`: a wrong docstring example gets the agreed output as its result (regeneration.example_policy
  "rewrite").
- `contested_examples`: docstring examples whose input the vote left contested (no agreed outcome, so no test:
  regeneration.min_agreed_inputs < 1) are unconfirmed; regeneration.contested_examples keeps, drops
  (`docstrings.drop_examples`; one it cannot drop rejects) or rejects them (`contested_example`). Why: in the accepted questions recorded
  up to session 13, 5 of the 6 distinct such examples were wrong (LOG.md).
- `check_tests`: the reference must pass the written tests (`reference_fails`: a bug of ours, kept as a guard)
  and no trivially wrong body (`trivial_bodies`) may pass them (`trivial_tests`).

Values are the sandbox's normalised outputs (`sandbox.calls.run_calls`), written back as literals by
`sandbox.calls.output_literal`. Nothing here runs code: `check_tests` takes the sandbox runner as an argument.
Not covered: the vote itself (who votes, which group wins: scoring/agreement_vote.py).
Entry points: `write_tests`, `rewrite_examples`, `contested_examples`, `trivial_bodies`, `check_tests`,
`LITERAL_MAX`.
"""

from __future__ import annotations

import re
from typing import Any

from iterkd_lib.sandbox.calls import output_literal
from iterkd_lib.scoring.docstrings import drop_examples
from iterkd_lib.scoring.expectations import stated_exception

LITERAL_MAX = 300  # an agreed output longer than this as a literal is left out of the tests


def _has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, list):
        return any(_has_float(v) for v in value)
    if isinstance(value, dict) and len(value) == 1:
        tag, body = next(iter(value.items()))
        return tag in ("__float__", "__complex__") or (isinstance(body, list) and _has_float(body))
    return False


_CLOSE_HELPER = '''import math


def _close(a, b, rel_tol={rel!r}, abs_tol={abs!r}):
    """a equals b, floats within the tolerance (nan equals nan), containers element by element."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            return True
        return math.isclose(a, b, rel_tol=rel_tol, abs_tol=abs_tol)
    if isinstance(a, complex) and isinstance(b, complex):
        return _close(a.real, b.real) and _close(a.imag, b.imag)
    if isinstance(a, (list, tuple)) and type(a) is type(b):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    return a == b


'''


def write_tests(q: dict, outcomes: list[dict], cfg: Any, skip: dict | None = None) -> tuple[str, int, dict]:
    """(test source with `def check(candidate)`, number of asserts, {input index: why it was left out}).

    One check per input from the agreed outcome (forms in the module docstring); `skip` ({input index: why})
    names inputs that get no check (the contested ones)."""
    rg = cfg.regeneration
    entry, lines, left_out, need_close = q["entry_point"], [], {}, False
    for i, (call, o) in enumerate(zip(q["inputs"], outcomes)):
        if skip and i in skip:
            left_out[i] = skip[i]
            continue
        cand = "candidate" + call[len(entry):]
        if o.get("ok") and "value" in o:
            literal = output_literal(o["value"])
            if len(literal) > LITERAL_MAX:
                left_out[i] = f"output literal of {len(literal)} characters"
                continue
            if o["value"] is None or isinstance(o["value"], bool):
                lines.append(f"    assert {cand} is {literal}")
            elif _has_float(o["value"]):
                need_close = True
                lines.append(f"    assert _close({cand}, {literal})")
            else:
                lines.append(f"    assert {cand} == {literal}")
        elif o.get("timeout") or o.get("not_run"):
            left_out[i] = "timeout" if o.get("timeout") else "not run"
        else:
            err = o.get("error_type") or ""
            if re.fullmatch(r"[A-Za-z_]\w*", err) and re.search(rf"\b{err}\b", q["prompt"]):
                msg = f"{call[:80]} should raise {err}"
                lines.append(f"    try:\n        {cand}\n    except {err}:\n        pass\n"
                             f"    else:\n        raise AssertionError({msg!r})")
            else:
                left_out[i] = f"raises {err or 'an exception'}, which the docstring does not name"
    head = _CLOSE_HELPER.format(rel=rg.rel_tol, abs=rg.abs_tol) if need_close else ""
    body = "\n".join(lines) if lines else "    pass"
    return f"{head}def check(candidate):\n{body}\n", len(lines), left_out


def contested_examples(q: dict, exps: list[dict], contested: list[int], policy: str,
                       prompt: str) -> tuple[str, list[dict], str]:
    """(prompt, dropped, why) for the docstring examples among `exps` (`compare_expectations`' records) whose
    input index is in `contested`. policy "keep": nothing changes; "drop": `prompt` without their `>>>` lines,
    dropped [{"call", "stated"}], one per removed call; "reject", or "drop" when one cannot be removed (shown
    only in prose, or removing it would leave no prose): `why` names it ("" when there is none). `prompt` is the
    question's prompt as it stands."""
    unconfirmed = [x for x in exps if x["source"] == "docstring" and q["inputs"].index(x["call"]) in contested]
    if not unconfirmed or policy == "keep":
        return prompt, [], ""
    calls = list(dict.fromkeys(x["call"] for x in unconfirmed))
    text, removed = drop_examples(prompt, q["entry_point"], calls) if policy == "drop" else (prompt, [])
    left = [x for x in unconfirmed if x["call"] not in removed]
    if left:
        x = left[0]
        return prompt, [], (f"the docstring shows {x['call']} -> {x['expected']}, an input on which the agreeing "
                            f"solutions split" + ("; it cannot be dropped" if policy == "drop" else "")
                            + f" ({len(calls)} such call(s))")[:300]
    return text, [{"call": c, "stated": next(x["expected"] for x in unconfirmed if x["call"] == c)}
                  for c in removed], ""


def _replace_value(line: str, start: int, old: str, new: str) -> str | None:
    """`line` with the first `old` at or after `start` replaced by `new`; None when `old` is not there."""
    at = line.find(old, start)
    return None if at < 0 else line[:at] + new + line[at + len(old):]


def rewrite_examples(prompt: str, wrong: list[dict]) -> tuple[str, list[dict], str]:
    """(prompt with each wrong docstring example's result replaced by the agreed output, rewrites, why not).

    wrong: [{"call": source of the call, "expected": the literal the docstring shows (as parsed by
    scoring/question_parser.docstring_examples), "value": the agreed outcome (a `run_calls` outcome dict)}].
    A `>>> call` line gets the next non-empty line (its result) replaced by the agreed output's literal
    (`output_literal`, the repr of the normalised value), indented like that result line; a one-line prose
    example (`call -> y`, `call returns y`) gets `y` replaced on its line. Every line showing a wrong example
    is rewritten (an example written twice, twice). rewrites: [{"call", "old", "new"}], one per rewritten
    line. `why` is "" on success; otherwise the prompt comes back unchanged and `why` says which example
    could not be rewritten: its agreed outcome is an exception or a timeout (a doctest shows a traceback,
    which we do not write), its literal is longer than LITERAL_MAX, or its line was not found.
    """
    lines = prompt.split("\n")
    rewrites: list[dict] = []
    done = set()
    for x in wrong:
        if (x["call"], x["expected"]) in done:  # the same example written twice: both lines are rewritten below
            continue
        done.add((x["call"], x["expected"]))
        o = x["value"]
        if stated_exception(x["expected"]) is not None:  # a doctest traceback is not rewritten into a value
            return prompt, [], f"the docstring shows {x['call']} raising {stated_exception(x['expected'])}"
        if not (o.get("ok") and "value" in o):
            what = "a timeout" if o.get("timeout") else f"an exception ({o.get('error_type') or 'unknown'})"
            return prompt, [], f"the agreed outcome of {x['call']} is {what}"
        new = output_literal(o["value"])
        if len(new) > LITERAL_MAX:
            return prompt, [], f"the agreed output of {x['call']} is {len(new)} characters as a literal"
        found = False
        for i, line in enumerate(lines):
            text = line.strip()
            if text.startswith(">>>") and text[3:].strip() == x["call"]:
                j = next((j for j in range(i + 1, len(lines)) if lines[j].strip()), None)
                if j is None or lines[j].strip().rstrip(".;,").strip() != x["expected"]:
                    continue
                indent = lines[j][: len(lines[j]) - len(lines[j].lstrip())]
                lines[j] = indent + new
                found = True
            elif not text.startswith(">>>") and (at := line.find(x["call"])) >= 0:
                changed = _replace_value(line, at + len(x["call"]), x["expected"], new)
                if changed is None:
                    continue
                lines[i] = changed
                found = True
            else:
                continue
            rewrites.append({"call": x["call"], "old": x["expected"], "new": new})
        if not found:
            return prompt, [], f"no docstring line shows {x['call']} -> {x['expected']}"
    return "\n".join(lines), rewrites, ""


def trivial_bodies(q: dict) -> list[str]:
    """Bodies that no real question's tests should accept: completions (one indented line, q["indent"]) for
    `return None`, `pass`, `return 0/''/[]/True/False`, and `return <first argument>` when q has "args"."""
    ind = q.get("indent", "    ")
    bodies = ["return None", "pass", "return 0", "return ''", "return []", "return True", "return False"]
    if q.get("args"):
        bodies.append(f"return {q['args'][0]}")
    return [f"{ind}{b}\n" for b in bodies]


def check_tests(problem: dict, execute: Any) -> tuple[str, str]:
    """("", "") or (reason, detail): the reference must pass the written tests (`reference_fails`), every
    trivial body must fail them (`trivial_tests`). `problem` is a problem record (prompt, entry_point, test,
    canonical_solution, indent, args); `execute(pairs)` runs (problem, completion) pairs in the sandbox."""
    bodies = trivial_bodies(problem)
    verdicts = execute([(problem, problem["canonical_solution"])] + [(problem, b) for b in bodies])
    ref = verdicts[0]
    if not ref["passed"]:
        return "reference_fails", f"{ref.get('status')}: {ref.get('error_type')} {ref.get('message', '')}"[:300]
    passing = [b.strip() for b, v in zip(bodies, verdicts[1:]) if v["passed"]]
    if passing:
        return "trivial_tests", f"a trivially wrong body passes: {passing[0]!r}"
    return "", ""
