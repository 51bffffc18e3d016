"""Stage III's reply parser: a teacher's new-question reply -> a question dict (entry point, prompt, inputs,
solution, the teacher's own expected values), or the reason it cannot be one.

The layout (question_prompts.question_messages): `=== NEW QUESTION ===`, `ENTRY POINT:`, fenced `PROMPT` (signature +
docstring with `>>>` examples), `INPUTS` (calls, no results) and `SOLUTION`. Rejections named here:
`unparseable` (layout, entry point, docstring, no usable input), `placeholders` (a layout placeholder line
such as `<function name>` left in the reply) and `copied_example` (the reply repeats the prompt's worked
example; a reply that repeats it and then writes its own question keeps its own). The teacher's expected
values -- the docstring's examples (`>>> f(x)` and the next line; `f(x) -> y` / `== y` / `returns y`) and any
`# -> y` comment in INPUTS -- are parsed here; the vote compares them (scoring/agreement_vote.py).

Not covered: what the question asks (checked by stages/new_questions.py: duplicates, contamination, the
vote). Entry points: `parse_reply`, `parse_question`, `parse_inputs`, `docstring_examples`.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize

from iterkd_lib.question_prompts import QUESTION_EXAMPLE_ENTRY_POINT, QUESTION_EXAMPLE_PROMPT, QUESTION_MARKER
from iterkd_lib.sandbox.calls import add_typing_imports
from iterkd_lib.scoring.expectations import traceback_expectation

# A line left from a layout placeholder rather than written content: `<function name>`, `ENTRY POINT: <function
# name>`, `<8 calls of the function, one per line, ...` (older prompts' placeholders, echoed by the 1.5B teacher:
# LOG.md, issue 14). `<` then a letter or digit, words with a space or comma before the first `>` or the line's
# end, no quotes (so `<class 'int'>` and `<= 3` are not placeholders).
_PLACEHOLDER = re.compile(r"^[#*\s]*(?:[A-Za-z][A-Za-z ]*:\s*)?<[A-Za-z0-9][^<>\n'\"]*[ ,][^<>\n'\"]*(?:>|$)",
                          re.MULTILINE)



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
    line (a traceback: "raises <Name>", scoring/expectations.py), or `f(x) -> y` / `== y` / `returns y` on one line."""
    lines = [ln.strip() for ln in docstring.splitlines()]
    out = []
    for i, line in enumerate(lines):
        if line.startswith(">>>"):
            call = _entry_call(line[3:], entry)  # `>>> sorted(f(x))` shows something else than f's output
            nxt = next((ln for ln in lines[i + 1:] if ln), "")
            stated = traceback_expectation(lines[i + 1:]) or (_literal(nxt) if not nxt.startswith(">>>") else None)
            got = (call, stated) if call else None
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
    """(question, "") or (None, why): `parse_reply` without the reason's name (why = its detail).

    question: prompt (signature + docstring, any body cut), entry_point, solution (the one written with it),
    args, indent, inputs (call expressions: the docstring examples first -- so that every example is run and
    compared, whatever the cap -- then the INPUTS lines, deduplicated, at most `max_inputs`), expectations
    ([{"call", "expected", "source": "docstring"|"inputs"}]), bad_input_lines.
    """
    q, _, detail = parse_reply(text, max_inputs)
    return q, detail


def _copies_example(q: dict) -> bool:
    """Whether a parsed question is the prompt's worked example repeated (its entry point or its prompt)."""
    return (q["entry_point"] == QUESTION_EXAMPLE_ENTRY_POINT
            or " ".join(QUESTION_EXAMPLE_PROMPT.split()) in " ".join(q["prompt"].split()))


def parse_reply(text: str, max_inputs: int = 24) -> tuple[dict | None, str, str]:
    """(question, "", "") or (None, reason, detail) for one teacher reply to `question_prompts.question_messages`.

    Every `QUESTION_MARKER` starts a block; the first block that is neither a placeholder echo nor the
    prompt's worked example repeated is parsed (a reply that repeats the example and then writes its own
    question keeps its own). reason: "unparseable" (no marker, a missing section, a prompt that does not parse
    or has no docstring, no call of the entry point in INPUTS -- the detail names what the lines call
    instead), "placeholders" (a block still holds layout placeholder lines such as `<function name>`; the
    detail quotes the first) or "copied_example" (the block repeats the example: its entry point
    `QUESTION_EXAMPLE_ENTRY_POINT` or its prompt); when every block was skipped, the last block's reason.
    question: see `parse_question`.
    """
    if not text or QUESTION_MARKER not in text:
        return None, "unparseable", "no marker line"
    blocks = text.split(QUESTION_MARKER)[1:]
    skipped: list[tuple[str, str]] = []
    for n, body in enumerate(blocks, 1):
        where = f" (block {n} of {len(blocks)})" if len(blocks) > 1 else ""
        ph = _PLACEHOLDER.search(body)
        if ph:
            skipped.append(("placeholders", (f"a layout placeholder line was left in the reply{where}: "
                                             f"{ph.group(0).strip()[:120]!r}")))
            continue
        q, why = _parse_block(body, max_inputs)
        stated = re.search(r"ENTRY POINT\W*([A-Za-z_]\w*)", body, re.IGNORECASE)
        if (q is not None and _copies_example(q)) or (q is None and stated
                                                      and stated.group(1) == QUESTION_EXAMPLE_ENTRY_POINT):
            skipped.append(("copied_example", (f"the reply repeats the prompt's format example "
                                               f"{QUESTION_EXAMPLE_ENTRY_POINT}(){where}")))
            continue
        if q is None:
            return None, "unparseable", why + where
        return q, "", ""
    reason, detail = skipped[-1]
    return None, reason, detail


def _other_calls(section: str) -> list[str]:
    """Names of the functions the lines of an INPUTS section call, in order, without repeats."""
    names = [m.group(1) for line in section.splitlines()
             if (m := re.match(r"^\s*(?:>>>\s*|assert\s+|print\()?\s*([A-Za-z_][\w.]*)\s*\(", line))]
    return list(dict.fromkeys(names))


def _parse_block(body: str, max_inputs: int) -> tuple[dict | None, str]:
    """(question, "") or (None, why) for the text after one marker line (see `parse_question`)."""
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
    for call, _ in examples + listed:
        if call not in calls and len(calls) < max_inputs:
            calls.append(call)
    if not calls:
        others = [n for n in _other_calls(inputs) if n != entry]
        return None, (f"INPUTS holds no call of the entry point {entry}() ({bad} other line(s)"
                      + (f"; they call {', '.join(others[:5])} instead" if others else "") + ")")
    expectations = ([{"call": c, "expected": e, "source": "docstring"} for c, e in examples if e is not None]
                    + [{"call": c, "expected": e, "source": "inputs"} for c, e in listed if e is not None])
    args = [a.arg for a in fn.args.args if a.arg not in ("self", "cls")]
    return {"prompt": prompt_text, "entry_point": entry, "solution": solution.strip() + "\n" if solution else "",
            "args": args, "indent": re.match(r"\s*", lines[doc.lineno - 1]).group(0) or "    ",
            "inputs": calls, "expectations": [x for x in expectations if x["call"] in calls],
            "bad_input_lines": bad}, ""
