"""Stage III: a question's prompt without its docstring examples, for solutions that must read the task from its text.

Why: the 1.5B teacher's accepted questions often say one thing in prose and show another in their `>>>` examples
(LOG.md, session 12: `count_letters` says "letter" and counts every character; `max_even_sum`'s first example
contradicts its text). Solutions sampled from the whole prompt follow the examples, so their agreement settles
the tests but not the text. With regeneration.solutions_see_examples = False the k solutions of
stages/new_questions.py see `strip_examples(prompt)` instead.

Not covered: examples written as prose (`f(x) -> y` inside a sentence) stay, being part of the text; a
docstring that is only examples is left whole. Entry point: `strip_examples`.
"""

from __future__ import annotations

import ast
import re

# An "Examples:" / "For example:" / "e.g.:" heading line, left bare once its examples are removed.
_EXAMPLES_HEADING = re.compile(r"^\s*(?:for\s+examples?|examples?|e\.g\.|usage)\s*:?\s*$", re.IGNORECASE)
_CLOSING_QUOTES = ('"""', "'''")


def strip_examples(prompt: str) -> str:
    """The prompt with its docstring's `>>>` examples removed: the text a solver must read the task from.

    An example is a `>>>` line (and its `...` continuations) plus its expected output, which -- as in the
    standard library's doctest -- runs to the next blank line or `>>>` line; a line ending the docstring keeps
    its closing quotes. The blank lines and an "Examples:" / "For example:" heading just above an example go
    with it, and so does the blank line after it unless more prose follows. Prose examples (`f(x) -> y` inside a sentence) stay: they are part of the text.
    Returns `prompt` unchanged when it has no `>>>` line, or when removing them would leave no prose in the
    docstring (the examples are then the whole specification). Used for regeneration.solutions_see_examples =
    False (stages/new_questions.py).
    """
    lines = prompt.splitlines()
    out: list[str | None] = []  # None marks where an example was
    i, removed = 0, False
    while i < len(lines):
        line = lines[i]
        if not line.lstrip().startswith(">>>"):
            out.append(line)
            i += 1
            continue
        removed = True
        out.append(None)
        i += 1
        while i < len(lines) and lines[i].lstrip().startswith("..."):
            i += 1
        while i < len(lines) and lines[i].strip() and not lines[i].lstrip().startswith(">>>"):
            end = lines[i].rstrip()
            if end.endswith(_CLOSING_QUOTES) and not end.lstrip().startswith(_CLOSING_QUOTES):
                out.append(line[: len(line) - len(line.lstrip())] + end[-3:])
                i += 1
                break
            if end.lstrip().startswith(_CLOSING_QUOTES):
                break
            i += 1
    if not removed:
        return prompt
    kept: list[str] = []
    for j, line in enumerate(out):
        if line is None:
            while kept and not kept[-1].strip():
                kept.pop()  # blank lines before the example (and a heading over it) go with it
            if kept and _EXAMPLES_HEADING.match(kept[-1]):
                kept.pop()
            continue
        if not line.strip() and j and out[j - 1] is None:
            rest = next((x for x in out[j + 1:] if x is None or x.strip()), None)
            if rest is None or not kept or not kept[-1].strip() or rest.strip() in _CLOSING_QUOTES:
                continue  # the blank line after an example, unless prose follows it
        kept.append(line)
    while len(kept) > 1 and not kept[-2].strip() and kept[-1].strip() in _CLOSING_QUOTES:
        del kept[-2]  # no blank line left before the closing quotes
    text = "\n".join(kept) + ("\n" if prompt.endswith("\n") else "")
    try:
        fn = next(n for n in ast.walk(ast.parse(text)) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))
        prose = ast.get_docstring(fn) or ""
    except (SyntaxError, StopIteration):
        return prompt
    return text if re.search(r"[A-Za-z]{2,}", prose) else prompt
