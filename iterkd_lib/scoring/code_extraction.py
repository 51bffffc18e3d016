"""Pull runnable Python out of model output, and turn it into a HumanEval-style completion.

Chat models wrap code in prose and fences; small models also truncate mid-block, forget the closing
fence, tag the fence oddly (```py, ```Python, bare ```), or put usage examples after the function;
reasoning models put drafts in <think> blocks before the answer. `extract` finds the code that defines the
entry point and records which rule chose it (or why none could); `extract_code` returns just the code;
`completion_from_code` turns it into the text that follows `problem["prompt"]`; `truncate_completion` cuts
a raw continuation (the completion protocol) at the next top-level statement, like the Codex/HumanEval
harnesses do; `verdict_with_extraction` makes an extraction failure visible in a sandbox verdict.

Decisions, so callers can rely on them (each one is a test in tests/test_code_extraction.py and
tests/test_extraction_field_inputs.py):
- Reasoning is not the answer. Text inside <think>, <thinking>, <reasoning>, <reflection>, <thought>,
  <scratchpad> (any case; the opening tag must start a line) is removed before anything else; an unclosed
  opening tag hides the rest of the reply, a closing tag with no opening one (chat templates that put <think>
  into the prompt) hides everything before it. Code that exists only inside reasoning is NOT used: the failure
  `answer_only_in_reasoning` / `unclosed_reasoning` is recorded instead (a draft is not an answer).
- Answer wrappers: when the answer holds <answer>, <solution>, <code>, <final_answer> or [PYTHON] spans,
  the content of the last one is the answer (models put the final code there and drafts elsewhere).
- Fences: ``` or ~~~ (three or more), opened with any tag (py, python3, Python, none), possibly indented
  (inside a list item: the fence's own indentation is removed from its body). A closing fence glued to the
  last code line (`return x```) closes the block; a tagged opening fence inside an open block closes it.
  An unclosed fence (the generation hit max tokens) runs to the end of the text.
- Several blocks: fenced blocks win over unfenced text; blocks tagged with another language (bash, text,
  output) are used only when there is nothing else. The answer is the LAST block that defines
  `entry_point`, is closed, parses and is not a stub (a def whose body is only a docstring/pass/...,
  i.e. the prompt repeated); failing that the last non-stub defining block. Why the last: models revise
  ("first attempt ... that fails on X, corrected: ...") and a reply truncated mid-revision leaves an
  unclosed last block, which the "closed" condition skips. Helpers the chosen block uses but does not
  define (an `import math` or `def helper` in another block) are prepended from the other blocks.
  When no block defines the entry point, all Python blocks are joined (a body, or helpers split up).
- Indentation: tabs are expanded, blocks are dedented, and a body whose first line lost its indentation
  (`total = 0` then 4-space lines) gets the indentation of the lines after it. Candidates are checked by
  `ast.parse` only (never executed); the first that parses wins.
- Text that does not parse loses trailing lines until it does (salvages truncation and trailing
  chatter), but never below the line that defines the entry point; a body only loses trailing lines when
  it came from an unclosed fence (truncation). If nothing parses the code is returned as found, so the
  execution stage reports the SyntaxError: a syntax error in code that is clearly the answer is the
  model's fault, an ordinary wrong answer.
- Failures (no rule can decide what the answer is; `Extraction.failure`): `empty_reply`,
  `answer_only_in_reasoning`, `unclosed_reasoning`, `no_code` (no fence, no def of the entry point, and the
  text does not parse as a function body), `entry_point_missing` (the code only defines other
  functions/classes: a renamed function cannot be told from a helper), `entry_point_in_class` (only a method
  of that name, LeetCode style), `no_body` (only the prompt's stub is repeated). `verdict_with_extraction`
  turns these into `error_type: "extraction_failed"`.
- `completion_from_code` relies on redefinition: when the code defines the entry point at top level, the
  completion is "\n" + code and the program `prompt + completion` defines the function twice, the
  second (the model's) winning. The prompt's stub is a docstring-only body, which is valid Python.
  Top-level `if __name__ == "__main__":` blocks, bare calls (print(...), demo calls) and asserts are
  dropped first: a model's own examples must not decide whether its function passes the tests. A body
  (no def) is re-indented (same rules as above) under the prompt's indentation.

Not covered: languages other than Python; deciding whether the code is correct (sandbox/).
Entry points: `extract`, `extract_code`, `completion_from_code`, `verdict_with_extraction`,
`truncate_completion`, `fenced_blocks`, `code_key` (the dedup key of a solution: the same parsed code without
docstrings = the same key).
"""

from __future__ import annotations

import ast
import builtins
import re
import textwrap
from dataclasses import asdict, dataclass

_PY_TAGS = {"", "python", "py", "python3", "py3", "pycon", "python3.10", "python3.11", "python3.12"}
_CODE_START = re.compile(r"^(def |async def |class |import |from \S+ import |@\w)", re.MULTILINE)
_OPEN = re.compile(r"^([ \t]*)(`{3,}|~{3,})[ \t]*\{?\.?([A-Za-z0-9_+\-.]*)\}?[^\n`]*$")
_REASONING_TAGS = r"think|thinking|reasoning|reflection|thought|thoughts|scratchpad|analysis"
_ANSWER_TAGS = r"answer|final_answer|solution|code|final"
EXTRACTION_FAILED = "extraction_failed"


@dataclass(frozen=True)
class Extraction:
    """What `extract` found. `code`: the code ("" when nothing usable); `rule`: which rule of the module
    docstring chose it (e.g. "last_defining_block"); `failure`: None, or the kind of failure when no rule
    could decide (see the module docstring); `detail`: one sentence for humans."""

    code: str
    rule: str
    failure: str | None = None
    detail: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Block:
    tag: str
    body: str
    closed: bool
    lines: tuple[int, int] = (0, 0)  # first and last line index of the block, fences included


def _scan_fences(text: str) -> list[_Block]:
    lines = text.split("\n")
    blocks: list[_Block] = []
    i = 0
    while i < len(lines):
        m = _OPEN.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, tag = m.group(1), m.group(2), m.group(3).lower()
        body, closed, j = [], False, i + 1
        close = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        reopen = False
        while j < len(lines):
            ln = lines[j]
            if close.match(ln):
                closed = True
                break
            om = _OPEN.match(ln)
            if om and om.group(3) and om.group(2)[0] == fence[0]:  # "```python" inside an open block
                closed, reopen = True, True
                break
            stripped = ln.rstrip()
            if stripped.endswith(fence) and stripped.strip() != fence and stripped.count(fence[0] * 3) == 1:
                body.append(stripped[: -len(fence)].rstrip())  # "    return x```"
                closed = True
                break
            body.append(ln)
            j += 1
        if indent:
            body = [ln[len(indent):] if ln.startswith(indent) else ln.lstrip(" \t") for ln in body]
        blocks.append(_Block(tag, "\n".join(body).rstrip("\n"), closed, (i, j)))
        i = j if reopen else j + 1
    return blocks


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(language tag lower-cased, body) for every fenced block; an unclosed last fence runs to the end."""
    return [(b.tag, b.body) for b in _scan_fences((text or "").replace("\r\n", "\n"))]


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


# ------------------------------------------------------------------------------ reasoning and wrappers

def _split_reasoning(text: str) -> tuple[str, str, bool]:
    """(answer text, reasoning text, whether the reply ended inside an unclosed reasoning block)."""
    reasoning = []

    def take(m: re.Match) -> str:
        reasoning.append(m.group(0))
        return "\n"

    # an opening tag counts only at the start of a line: "<think>" inside code or prose is not reasoning
    answer = re.sub(rf"^[ \t]*<\s*({_REASONING_TAGS})\s*>.*?<\s*/\s*\1\s*>", take, text,
                    flags=re.DOTALL | re.IGNORECASE | re.MULTILINE)
    # a closing tag alone, starting or ending its line (not one quoted inside code)
    close = list(re.finditer(rf"(?:^[ \t]*<\s*/\s*(?:{_REASONING_TAGS})\s*>|<\s*/\s*(?:{_REASONING_TAGS})\s*>[ \t]*$)",
                             answer, re.IGNORECASE | re.MULTILINE))
    if close:  # the opening tag was in the prompt (chat template): everything before the closing tag
        reasoning.append(answer[: close[-1].end()])
        answer = answer[close[-1].end():]
    unclosed = False
    m = re.search(rf"^[ \t]*<\s*(?:{_REASONING_TAGS})\s*>", answer, re.IGNORECASE | re.MULTILINE)
    if m:
        reasoning.append(answer[m.start():])
        answer, unclosed = answer[: m.start()], True
    return answer, "\n".join(reasoning), unclosed


def _answer_span(text: str) -> str | None:
    """Content of the last <answer>/<solution>/<code>/[PYTHON] span (an unclosed last one runs to the end)."""
    spans = [m.group(2) for m in re.finditer(rf"<\s*({_ANSWER_TAGS})\s*>(.*?)<\s*/\s*\1\s*>", text,
                                             re.DOTALL | re.IGNORECASE)]
    spans += [m.group(1) for m in re.finditer(r"\[PYTHON\](.*?)\[/PYTHON\]", text, re.DOTALL)]
    opened = list(re.finditer(rf"<\s*({_ANSWER_TAGS})\s*>", text, re.IGNORECASE))
    if opened and not re.search(rf"<\s*/\s*{opened[-1].group(1)}\s*>", text[opened[-1].end():], re.IGNORECASE):
        spans.append(text[opened[-1].end():])  # truncated inside the wrapper
    spans = [s for s in spans if "\n" in s.strip() or re.search(r"\bdef |```", s)]  # not inline <code>x</code>
    if not spans:
        return None
    # the last span in reading order
    return max(spans, key=lambda s: text.rfind(s))


# ------------------------------------------------------------------------------ indentation and bodies

def _expand_tabs(code: str) -> str:
    return "\n".join(re.sub(r"^[ \t]+", lambda m: m.group(0).expandtabs(4), ln) for ln in code.split("\n"))


def _body_parses(body: str) -> bool:
    return _parses("def _f():\n" + textwrap.indent(body, "    ", lambda ln: True) + "\n    pass")


def _body_candidates(code: str) -> list[str]:
    """Re-indentation candidates for a function body, most faithful first (all dedented to column 0)."""
    code = _expand_tabs(code).strip("\n")
    cands = [textwrap.dedent(code)]
    lines = code.split("\n")
    rest = [ln for ln in lines[1:] if ln.strip()]
    if rest and lines[0].strip():
        pad = min(len(ln) - len(ln.lstrip()) for ln in rest)
        first = len(lines[0]) - len(lines[0].lstrip())
        if pad > first:  # "total = 0" then the rest one level deeper: the first line lost its indentation
            cands.append(textwrap.dedent("\n".join([" " * pad + lines[0].lstrip()] + lines[1:])))
    return cands


def _repair_body(code: str) -> str | None:
    """The first re-indentation candidate that parses as a function body, or None."""
    return next((c for c in _body_candidates(code) if _body_parses(c)), None)


def _repair_module(code: str) -> str:
    """Tabs expanded and dedented when that makes the code parse; else the code unchanged."""
    if _parses(code):
        return code
    for cand in (_expand_tabs(code), textwrap.dedent(_expand_tabs(code))):
        if _parses(cand):
            return cand
    return code


def _entry_node(code: str, entry_point: str | None):
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return None
    return next((n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                 and n.name == entry_point), None)


def _is_stub(code: str, entry_point: str | None) -> bool:
    """The entry point's body is only a docstring / pass / ... / raise NotImplementedError (the prompt)."""
    node = _entry_node(code, entry_point)
    if node is None:
        return False
    for st in node.body:
        if isinstance(st, ast.Pass) or (isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant)):
            continue
        if isinstance(st, ast.Raise) and "NotImplementedError" in ast.dump(st):
            continue
        return False
    return True


def _in_class_only(code: str, entry_point: str | None) -> bool:
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    top = any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == entry_point for n in tree.body)
    in_class = any(isinstance(c, ast.ClassDef) and any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                                                       and n.name == entry_point for n in c.body)
                   for c in tree.body)
    return in_class and not top


def _top_names(tree: ast.Module) -> dict[str, ast.stmt]:
    out = {}
    for st in tree.body:
        if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out[st.name] = st
        elif isinstance(st, (ast.Import, ast.ImportFrom)):
            for a in st.names:
                out[(a.asname or a.name).split(".")[0]] = st
        elif isinstance(st, ast.Assign):
            for t in st.targets:
                if isinstance(t, ast.Name):
                    out[t.id] = st
    return out


def _with_helpers(code: str, others: list[str], entry_point: str | None) -> tuple[str, bool]:
    """Prepend top-level imports/defs from other blocks that `code` uses but does not define."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return code, False
    defined = set(_top_names(tree))
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - defined - set(dir(builtins))
    local = {a.arg for n in ast.walk(tree) if isinstance(n, ast.arguments)
             for a in [*n.args, *n.kwonlyargs, *n.posonlyargs]}
    local |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    need = used - local
    picked: list[str] = []
    for other in others:
        if not need:
            break
        try:
            names = _top_names(ast.parse(other))
        except (SyntaxError, ValueError):
            continue
        for name in sorted(need & set(names)):
            if name == entry_point:
                continue
            seg = ast.get_source_segment(other, names[name])
            if seg and seg not in picked:
                picked.append(seg)
            need.discard(name)
    if not picked:
        return code, False
    return "\n\n".join(picked + [code]), True


# ------------------------------------------------------------------------------ the rules

def _from_blocks(blocks: list[_Block], entry_point: str | None, answer: str) -> Extraction | None:
    py = [b for b in blocks if b.tag in _PY_TAGS] or blocks
    if not py:
        return None
    for b in py:
        b.body = _repair_module(b.body)
    defining = [b for b in py if _defines(b.body, entry_point)]
    real = [b for b in defining if not _is_stub(b.body, entry_point)]
    good = [b for b in real if b.closed and _parses(b.body)] or [b for b in real if _parses(b.body)]
    chosen, rule = (good[-1], "last_defining_block") if good else ((real[-1], "defining_block_salvaged")
                                                                  if real else (None, ""))
    if chosen is not None:
        code = _salvage(chosen.body, entry_point).strip("\n")
        helped = False
        for _ in range(5):  # helpers of helpers (an import the helper needs)
            code, more = _with_helpers(code, [b.body for b in py if b is not chosen], entry_point)
            helped |= more
            if not more:
                break
        if _in_class_only(code, entry_point):
            return Extraction(code, rule, "entry_point_in_class",
                              f"`{entry_point}` is defined only as a method of a class (LeetCode style)")
        return Extraction(code, rule + ("+helpers" if helped else ""))
    inside = {k for b in blocks for k in range(b.lines[0], b.lines[1] + 1)}
    # the def sits outside the fences (prose, then a usage block)
    outside = "\n".join(ln for k, ln in enumerate(answer.split("\n")) if k not in inside)
    if entry_point and _defines(outside, entry_point) and not _is_stub(_unfenced(outside, entry_point),
                                                                        entry_point):
        return _from_text(outside, entry_point, rule="def_outside_fences")
    rest = [b for b in py if b not in defining]
    if not rest:
        return Extraction(defining[-1].body.strip("\n"), "stub_only", "no_body",
                          f"the reply repeats the signature of `{entry_point}` without a body")
    joined = "\n\n".join(b.body for b in rest)
    return _as_body_or_module(joined, entry_point, truncated=not rest[-1].closed, rule="joined_blocks")


def _as_body_or_module(code: str, entry_point: str | None, truncated: bool, rule: str) -> Extraction:
    """Code that does not define the entry point: a function body, helpers only, or not code at all."""
    try:
        tree = ast.parse(textwrap.dedent(_expand_tabs(code)))
        only_defs = tree.body and all(isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                                                      ast.Import, ast.ImportFrom)) for st in tree.body)
        named = [st.name for st in tree.body if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                ast.ClassDef))]
        if only_defs and named and entry_point:
            return Extraction(code.strip("\n"), rule, "entry_point_missing",
                              f"the code defines {', '.join(named)} but not `{entry_point}`")
    except (SyntaxError, ValueError):
        pass
    body = _repair_body(code)
    if body is not None:
        fixed = body != textwrap.dedent(_expand_tabs(code).strip("\n"))
        return Extraction(body, rule + ("+body_reindented" if fixed else "+body"))
    if truncated:  # an unclosed fence: the last lines were cut mid-statement
        lines = _body_candidates(code)[-1].split("\n")
        for end in range(len(lines) - 1, 0, -1):
            if _body_parses("\n".join(lines[:end])):
                return Extraction("\n".join(lines[:end]).rstrip(), rule + "+body_truncated")
    looks_like_code = bool(_CODE_START.search(code)) or bool(re.search(r"^\s*(return|for|if|while)\b.*",
                                                                        code, re.MULTILINE))
    if looks_like_code and rule != "unfenced":
        return Extraction(code.strip("\n"), rule + "+unparseable")  # the model's SyntaxError
    return Extraction(code.strip("\n"), rule, "no_code",
                      f"no fenced block, no def of `{entry_point}`, and the text does not parse as a "
                      "function body")


def _from_text(text: str, entry_point: str | None, rule: str = "unfenced") -> Extraction:
    code = _repair_module(_unfenced(text, entry_point))
    if entry_point and _defines(code, entry_point):
        if _is_stub(code, entry_point):
            return Extraction(code, rule, "no_body",
                              f"the reply repeats the signature of `{entry_point}` without a body")
        return Extraction(_salvage(code, entry_point), rule)
    if not entry_point:
        return Extraction(_salvage(code, entry_point), rule)
    return _as_body_or_module(code, entry_point, truncated=False, rule=rule)


def extract(text: str, entry_point: str | None = None) -> Extraction:
    """Find the answer's code in a model reply; see the module docstring for every rule.

    `text`: the raw reply; `entry_point`: the function the problem asks for (None: take the first/only
    code). Never raises on any string; never executes anything (candidates are checked with `ast.parse`).
    """
    text = (text or "").replace("\r\n", "\n")
    if not text.strip():
        return Extraction("", "empty", "empty_reply", "the reply is empty")
    answer, reasoning, unclosed = _split_reasoning(text)
    wrapped = _answer_span(answer)
    scope = wrapped if wrapped is not None else answer
    blocks = _scan_fences(scope)
    got = _from_blocks(blocks, entry_point, scope) if blocks else _from_text(scope, entry_point)
    if wrapped is not None and got is not None:
        got = Extraction(got.code, "answer_tag:" + got.rule, got.failure, got.detail)
    if reasoning and (got is None or got.failure in ("no_code", "empty_reply") or not scope.strip()):
        if unclosed:
            return Extraction("", "reasoning", "unclosed_reasoning",
                              "the reply ends inside an unclosed reasoning block: no answer was given")
        return Extraction("", "reasoning", "answer_only_in_reasoning",
                          "code appears only inside the reasoning block; the answer after it has none")
    if reasoning and got is not None and got.failure is None:
        got = Extraction(got.code, "after_reasoning:" + got.rule)
    return got


def extract_code(text: str, entry_point: str | None = None) -> str:
    """The code in a model's reply `text` that defines `entry_point` (or all of it when None), as a string
    ("" when the reply has none); `extract` also says which rule chose it or why none could.

    Never raises; code that is clearly the answer but does not parse is returned as found, so the execution
    stage reports the SyntaxError.
    """
    return extract(text, entry_point).code


def verdict_with_extraction(verdict: dict, extraction: Extraction | dict | None) -> dict:
    """The sandbox `verdict` with the extraction recorded; a failed extraction becomes the verdict.

    Returns a new dict: `extraction` = {rule, failure, detail}; when `extraction.failure` is set and the
    program did not pass, `status` "failed", `error_type` "extraction_failed", `message` naming the failure,
    and the sandbox's own outcome kept under `sandbox`. A passing program keeps its pass (the failure is
    still recorded).
    """
    if extraction is None:
        return dict(verdict)
    ex = extraction.as_dict() if isinstance(extraction, Extraction) else dict(extraction)
    ex.pop("code", None)
    out = {**verdict, "extraction": ex}
    if ex.get("failure") and not verdict.get("passed"):
        out.update(status="failed", error_type=EXTRACTION_FAILED,
                   message=f"{ex['failure']}: {ex.get('detail', '')}".strip(),
                   sandbox={k: verdict.get(k) for k in ("status", "error_type", "message")})
    return out


# ------------------------------------------------------------------------------ completions

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


def _prompt_indent(prompt: str) -> str:
    """Indentation of the prompt's stub body (its last non-blank line), 4 spaces by default."""
    last = next((ln for ln in reversed(prompt.split("\n")) if ln.strip()), "")
    pad = last[: len(last) - len(last.lstrip())]
    return pad if pad and not last.lstrip().startswith("def ") else "    "


def completion_from_code(problem: dict, code: str) -> str:
    """A completion such that problem["prompt"] + completion defines problem["entry_point"]."""
    entry_point = problem["entry_point"]
    code = code.replace("\r\n", "\n").strip("\n")
    if _top_level_defines(code, entry_point):
        return "\n" + _drop_examples(code) + "\n"
    # No definition: the model wrote only the body. Re-indent it under the prompt's signature.
    body = _repair_body(code) if code.strip() else None
    if body is None:  # nothing parses: keep the old, literal behaviour so the sandbox reports the error
        lines = code.split("\n")
        if lines and lines[0] and not lines[0][0].isspace():
            lines = [("    " + ln) if ln.strip() else ln for ln in lines]
        return "\n".join(lines) + "\n"
    pad = _prompt_indent(problem.get("prompt", ""))
    return textwrap.indent(body, pad) + "\n"


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
