"""Pull runnable Python out of model output, and turn it into a HumanEval-style completion.

Chat models wrap code in prose and fences; small models also truncate mid-block, forget the closing
fence, tag the fence oddly (```py, ```Python, bare ```), or put usage examples after the function.
`extract_code` finds the code that defines the entry point; `completion_from_code` turns it into the text
that follows `problem["prompt"]`; `truncate_completion` cuts a raw continuation (the completion protocol)
at the next top-level statement, like the Codex/HumanEval harnesses do.

Decisions, so callers can rely on them:
- Fenced blocks win over unfenced text. Blocks tagged with another language (bash, text, output) are used
  only when there is nothing else. Among Python blocks the first one that defines `entry_point` and
  parses is taken; else the first that defines it; else, when no block defines it, all Python blocks
  joined (helpers are often split across blocks).
- An unclosed fence (the generation hit max tokens) runs to the end of the text.
- Text that does not parse loses trailing lines until it does (salvages truncation and trailing
  chatter), but never below the line that defines the entry point; if nothing parses the text is
  returned as found, so the execution stage reports the SyntaxError.
- `completion_from_code` relies on redefinition: when the code defines the entry point at top level, the
  completion is "\n" + code and the program `prompt + completion` defines the function twice, the
  second (the model's) winning. The prompt's stub is a docstring-only body, which is valid Python.
  Top-level `if __name__ == "__main__":` blocks, bare calls (print(...), demo calls) and asserts are
  dropped first: a model's own examples must not decide whether its function passes the tests.

Not covered: languages other than Python; deciding whether the code is correct (sandbox/).
Entry points: `extract_code`, `completion_from_code`, `truncate_completion`, `fenced_blocks`, `code_key`
(the dedup key of a solution: same parsed code without docstrings = same key).
"""

from __future__ import annotations

import ast
import re

_FENCE = re.compile(r"^[ \t]*```[ \t]*([A-Za-z0-9_+\-.]*)[^\n]*\n(.*?)(?:^[ \t]*```[ \t]*$|\Z)",
                    re.DOTALL | re.MULTILINE)
_PY_TAGS = {"", "python", "py", "python3", "py3", "pycon"}
_CODE_START = re.compile(r"^(def |async def |class |import |from \S+ import |@\w)", re.MULTILINE)


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(language tag lower-cased, body) for every fenced block; an unclosed last fence runs to the end."""
    return [(m.group(1).lower(), m.group(2).rstrip("\n")) for m in _FENCE.finditer(text)]


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
        return True
    except (SyntaxError, ValueError):
        return False


def _defines(code: str, entry_point: str | None) -> bool:
    return bool(entry_point) and re.search(rf"^\s*(async\s+)?def\s+{re.escape(entry_point)}\s*\(", code,
                                           re.MULTILINE) is not None


def _salvage(code: str, entry_point: str | None) -> str:
    """Drop trailing lines until the code parses, keeping the entry point's def line."""
    if _parses(code):
        return code
    lines = code.split("\n")
    floor = 1
    if entry_point:
        hits = [i for i, ln in enumerate(lines) if _defines(ln, entry_point)]
        floor = hits[0] + 2 if hits else 1
    for end in range(len(lines) - 1, floor - 1, -1):
        candidate = "\n".join(lines[:end]).rstrip()
        if candidate and _parses(candidate):
            return candidate
    return code


def _unfenced(text: str, entry_point: str | None) -> str:
    """Code inside prose without fences: start at the first code-looking line, cut trailing prose."""
    starts = [m.start() for m in _CODE_START.finditer(text)]
    if entry_point and _defines(text, entry_point):
        ep = re.search(rf"^\s*(async\s+)?def\s+{re.escape(entry_point)}\s*\(", text, re.MULTILINE).start()
        # imports right above the function belong to it; prose between them does not
        starts = [s for s in starts if s <= ep and _CODE_START.match(text, s)] or [ep]
    if not starts:
        return text.strip("\n")
    code = text[starts[0]:]
    kept = []
    for line in code.split("\n"):
        # an unindented line of prose ends the code ("This function ...", "Explanation:")
        if kept and line and not line[0].isspace() and re.match(r"^[A-Z][a-z]+[ ,:]", line) \
                and not _parses(line):
            break
        kept.append(line)
    return "\n".join(kept).strip("\n")


def extract_code(text: str, entry_point: str | None = None) -> str:
    """The code in a model's reply `text` that defines `entry_point` (or all of it when None), as a string.

    Fenced Python blocks first, then other blocks, then unfenced text; trailing lines that keep it from
    parsing are dropped (the module docstring has every rule). Never raises; text that does not parse at all
    is returned as found, so the execution stage reports the SyntaxError.
    """
    text = (text or "").replace("\r\n", "\n")
    blocks = fenced_blocks(text)
    py = [body for tag, body in blocks if tag in _PY_TAGS]
    if not py and blocks:
        py = [body for _, body in blocks]
    if not py:
        return _salvage(_unfenced(text, entry_point), entry_point)
    defining = [b for b in py if _defines(b, entry_point)]
    if defining:
        good = [b for b in defining if _parses(b)]
        return _salvage((good or defining)[0], entry_point).strip("\n")
    if entry_point and _defines(text, entry_point):  # the def sits outside the fences
        return _salvage(_unfenced(text, entry_point), entry_point)
    return _salvage("\n\n".join(py), entry_point).strip("\n")


def _is_main_guard(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "__name__" in ast.dump(node.test)


def _drop_examples(code: str) -> str:
    """Remove top-level `if __name__` blocks, bare expression calls and asserts (the model's own demos)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code
    lines = code.split("\n")
    drop = set()
    for node in tree.body:
        if _is_main_guard(node) or isinstance(node, ast.Assert) or (
                isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
            drop.update(range(node.lineno - 1, node.end_lineno))
    return "\n".join(ln for i, ln in enumerate(lines) if i not in drop).strip("\n")


def _top_level_defines(code: str, entry_point: str) -> bool:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return _defines(code, entry_point) and re.search(rf"^(async\s+)?def\s+{re.escape(entry_point)}\s*\(",
                                                         code, re.MULTILINE) is not None
    return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == entry_point for n in tree.body)


def completion_from_code(problem: dict, code: str) -> str:
    """A completion such that problem["prompt"] + completion defines problem["entry_point"]."""
    entry_point = problem["entry_point"]
    code = code.replace("\r\n", "\n").strip("\n")
    if _top_level_defines(code, entry_point):
        return "\n" + _drop_examples(code) + "\n"
    # No definition: the model wrote only the body. Indent it under the prompt's signature.
    lines = code.split("\n")
    if lines and lines[0] and not lines[0][0].isspace():
        lines = [("    " + ln) if ln.strip() else ln for ln in lines]
    return "\n".join(lines) + "\n"


def truncate_completion(text: str, stop=("\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#")) -> str:
    """Cut a raw continuation at the first stop sequence (the HumanEval completion protocol)."""
    cuts = [i for i in (text.find(s) for s in stop) if i != -1]
    return text[: min(cuts)] if cuts else text


def code_key(code: str) -> str:
    """Dedup key of a solution: `ast.dump` of the parsed code with docstrings removed, so comments, blank
    lines, quoting and layout do not count; "text:" + the whitespace-normalised text when it does not parse."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError):
        return "text:" + "\n".join(line.rstrip() for line in code.strip().splitlines())
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)
