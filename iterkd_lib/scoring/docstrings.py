"""Stage III: a question's prompt without its docstring examples, for solutions that must read the task from its text.

Why: the 1.5B teacher's accepted questions often say one thing in prose and show another in their `>>>` examples
(LOG.md, session 12: `count_letters` says "letter" and counts every character; `max_even_sum`'s first example
contradicts its text). Solutions sampled from the whole prompt follow the examples, so their agreement settles
the tests but not the text. With regeneration.solutions_see_examples = False the k solutions of
stages/new_questions.py see `strip_examples(prompt)` instead.

`drop_examples` removes only the examples of given calls: with regeneration.contested_examples = "drop" the
`>>>` examples whose input the vote left contested (scoring/agreed_tests.py).

Not covered: examples written as prose (`f(x) -> y` inside a sentence) stay, being part of the text; a
docstring that is only examples is left whole by `strip_examples`. Entry points: `strip_examples`,
`examples_hidden`, `drop_examples`.
"""

from __future__ import annotations

import ast
import re

# A heading left bare once its examples are removed: "Examples:", "For example:", "Example 1:", "Example usage:",
# "Examples::", "e.g.:", "Usage:" (a NumPy-style "Examples" heading is followed by a line of dashes).
_EXAMPLES_HEADING = re.compile(r"^\s*(?:for\s+examples?|examples?(?:\s+\d+|\s+usage)?|e\.g\.|usage)\s*:{0,2}\s*$",
                               re.IGNORECASE)
_UNDERLINE = re.compile(r"^\s*-{3,}\s*$")
_CLOSING_QUOTES = ('"""', "'''")
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception|Warning|Exit|Interrupt|StopIteration)\b")


def _docstring_span(prompt: str, entry_point: str | None) -> tuple[int, int] | None:
    """0-based (first, last) line of the docstring of the module-level function `entry_point` (the last one so
    named; the last module-level function when None); None when the prompt does not parse or has none."""
    try:
        tree = ast.parse(prompt)
    except SyntaxError:
        return None
    fns = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
           and (entry_point is None or n.name == entry_point)]
    if not fns or not fns[-1].body:
        return None
    doc = fns[-1].body[0]
    if not (isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant) and isinstance(doc.value.value, str)):
        return None
    return doc.lineno - 1, (doc.end_lineno or doc.lineno) - 1


def _output_end(lines: list[str], i: int) -> int:
    """Index after the expected output that starts at lines[i]: a traceback up to its exception line, else one
    line and the lines a still-open bracket carries on to; it stops at a blank or `>>>` line either way."""
    def ends(j: int) -> bool:
        return j >= len(lines) or not lines[j].strip() or lines[j].lstrip().startswith((">>>",) + _CLOSING_QUOTES)

    if ends(i):
        return i
    if lines[i].strip().startswith("Traceback"):
        j = i + 1
        while not ends(j):
            j += 1
            if _EXCEPTION_LINE.match(lines[j - 1].strip()):
                break
        return j
    depth, j = 0, i
    while not ends(j):
        text = lines[j].strip()
        depth += sum(text.count(c) for c in "([{") - sum(text.count(c) for c in ")]}")
        j += 1
        if depth <= 0:
            break
    return j


def strip_examples(prompt: str, entry_point: str | None = None) -> str:
    """The prompt with the `>>>` examples of `entry_point`'s docstring removed: the text a solver must read the
    task from (helper functions and anything outside that docstring are left alone).

    An example is a `>>>` line, its `...` continuations and its expected output: a traceback up to its exception
    line, else the first line and the lines an open bracket carries on to (a multi-line list or dict). Unlike
    doctest, which runs an output to the next blank line, prose written right under an output line is kept: it
    is specification. An output line that ends the docstring keeps its closing quotes. The blank lines and a
    heading just above an example ("Examples:", "For example:", "Example 1:", a NumPy "Examples" with its line
    of dashes) go with it, and so does the blank line after it unless more prose follows. Prose examples
    (`f(x) -> y` inside a sentence) stay: they are part of the text.

    Returns `prompt` unchanged when no line of the docstring starts with `>>>` or its first line (after the
    quotes) does, when the prompt does not parse or has no such function, or when removing the examples would
    leave no prose (the examples are then the whole specification). Used for regeneration.solutions_see_examples
    = False (stages/new_questions.py, which records what the solutions saw).
    """
    text, _ = _remove_examples(prompt, entry_point, None)
    return text if text is not None and _has_prose(text, entry_point) else prompt


def examples_hidden(q: dict) -> bool:
    """Whether the k sampled solutions saw the prompt without its examples (q["solution_prompt"], set by
    stages/new_questions.py under regeneration.solutions_see_examples false, differs from the prompt)."""
    return q.get("solution_prompt", q["prompt"]) != q["prompt"]


def drop_examples(prompt: str, entry_point: str | None, calls: list[str]) -> tuple[str, list[str]]:
    """(the prompt without the `>>>` examples of `entry_point`'s docstring whose call is one of `calls`, the calls
    of those removed). Calls are compared as parsed expressions, so spacing does not matter; an example written
    twice goes twice and is listed once. What an example is and what goes with it: `strip_examples`. A call
    shown only in prose (`f(x) -> y` in a sentence) is not removed and not listed. Returns (`prompt`, []) when
    none matches, and also when removing them would leave the docstring without prose. Used for
    regeneration.contested_examples = "drop" (scoring/agreed_tests.py)."""
    text, removed = _remove_examples(prompt, entry_point, {_normal(c) for c in calls})
    if text is None or not _has_prose(text, entry_point):
        return prompt, []
    return text, [c for c in dict.fromkeys(calls) if _normal(c) in removed]


def _has_prose(text: str, entry_point: str | None) -> bool:
    """Whether `entry_point`'s docstring in `text` holds any word of two letters or more."""
    span = _docstring_span(text, entry_point)
    prose = "\n".join(text.splitlines()[span[0]: span[1] + 1]) if span else ""
    return bool(re.search(r"[A-Za-z]{2,}", prose.replace('"""', "").replace("'''", "")))


def _normal(call: str) -> str:
    try:
        return ast.dump(ast.parse(call.strip(), mode="eval"))
    except SyntaxError:
        return call.strip()


def _remove_examples(prompt: str, entry_point: str | None, calls: set[str] | None) -> tuple[str | None, set[str]]:
    """(the prompt without the examples of `entry_point`'s docstring -- those whose normalised call is in `calls`,
    every one when None -- or None when nothing was removed, the normalised calls removed)."""
    span = _docstring_span(prompt, entry_point)
    if span is None:
        return None, set()
    lines = prompt.splitlines()
    first, last = span
    if re.match(r"^\s*[rRuU]?(?:\"\"\"|\'\'\')\s*>>>", lines[first]):
        return None, set()  # it opens with an example: no prose ahead of the examples to read the task from
    out: list[str | None] = []  # the docstring's lines; None marks where an example was
    i, removed = first, set()
    while i <= last:
        line = lines[i]
        if not line.lstrip().startswith(">>>"):
            out.append(line)
            i += 1
            continue
        j = i + 1  # past the call's `...` continuation lines
        while j <= last and lines[j].lstrip().startswith("..."):
            j += 1
        call = _normal("".join(ln.lstrip()[3:].strip() + " " for ln in lines[i:j]))
        if calls is not None and call not in calls:
            out.extend(lines[i:j])  # a kept example: its output lines follow as ordinary lines
            i = j
            continue
        removed.add(call)
        out.append(None)
        end = min(_output_end(lines, j), last + 1)
        tail = lines[end - 1].rstrip() if end > j else ""
        if tail.endswith(_CLOSING_QUOTES) and not tail.lstrip().startswith(_CLOSING_QUOTES):
            out.append(line[: len(line) - len(line.lstrip())] + tail[-3:])  # the quotes closing the docstring
        i = end
    if not removed:
        return None, removed
    kept: list[str] = []
    for j, line in enumerate(out):
        if line is None:
            after = next((x for x in out[j + 1:] if x is not None and x.strip()), "")
            if after.lstrip().startswith(">>>"):
                continue  # another example follows: the heading and spacing stay for it
            while kept and not kept[-1].strip():
                kept.pop()  # blank lines before the example (and a heading over it) go with it
            if len(kept) > 1 and _UNDERLINE.match(kept[-1]) and _EXAMPLES_HEADING.match(kept[-2]):
                del kept[-2:]
            elif kept and _EXAMPLES_HEADING.match(kept[-1]):
                kept.pop()
            continue
        if not line.strip() and j and out[j - 1] is None:
            rest = next((x for x in out[j + 1:] if x is None or x.strip()), None)
            if rest is None or not kept or not kept[-1].strip() or rest.strip() in _CLOSING_QUOTES:
                continue  # the blank line after an example, unless prose follows it
        kept.append(line)
    while len(kept) > 1 and not kept[-2].strip() and kept[-1].strip() in _CLOSING_QUOTES:
        del kept[-2]  # no blank line left before the closing quotes
    return "\n".join(lines[:first] + kept + lines[last + 1:]) + ("\n" if prompt.endswith("\n") else ""), removed
