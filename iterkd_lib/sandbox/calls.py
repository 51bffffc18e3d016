"""Call outputs for Stage III: run a program on call expressions in the sandbox and compare what came back.

`run_calls(pairs, ...)` evaluates each call separately in the sandbox child (an exception is an outcome, not a
crash of the rest; outputs come back normalised, see `execution`'s module docstring); `outcomes_agree` /
`outputs_agree` compare them with float tolerance; `output_literal` writes a normalised value back as Python;
`add_typing_imports` adds missing typing imports to code text (parsed only, never run).

Not covered: the fork-server pool (`servers.py`) and the verdicts (`execution.py`), what agreement means for a question
(`stages/new_questions.py`).

Entry points: `run_calls`, `CallsResult`, `outcomes_agree`, `outputs_agree`, `output_literal`, `add_typing_imports`.
"""

from __future__ import annotations

import ast
import math
from dataclasses import asdict, dataclass, field

from iterkd_lib.sandbox.execution import MSG_CAP, TYPING_NAMES, build_verdict, run_jobs
from iterkd_lib.verdicts import ExecutionResult


@dataclass
class CallsResult:
    """What one program computed on a list of call expressions (`run_calls`); JSON-safe via `to_dict()`.

    status: "ok" (the program loaded; every call has its own outcome, failures included) | "program_error"
    (it did not compile, or its top-level code raised) | "timeout" (loading it ran past timeout_s) |
    "crashed" (killed while loading, e.g. by the memory limit) | "harness_error". Unless "ok", every outcome
    says `"not_run": true` and carries the program's error.
    outcomes: one dict per call, in input order (from the first run when repeat > 1):
      {"ok": true, "value": <normalised output>, "repr": str, "duration_s": float} for a return value;
      {"ok": true, "unserialisable": reason, "repr": str, ...} for an output normalisation cannot express;
      {"ok": false, "error_type": str, "exception": "Type: message", "line"?: int, "code"?: str,
       "timeout"?: true, "not_run"?: true, ...} for an exception, a per-call or whole-program timeout, or a
      call the program never reached; "line"/"code" locate the raise in the program.
    error_type / message: the program-level failure ("" and None when status is "ok").
    nondeterministic: with repeat > 1, whether any call's outcome differed between runs (`outcomes_agree`
      with the given tolerances; two unserialisable outputs of the same kind count as equal); None for one run.
    differing_calls: indices of those calls. unserialisable: whether any outcome is unserialisable.
    duration_s: wall seconds of the first run. runs: how many runs were made (= repeat).
    """

    status: str
    outcomes: list[dict]
    error_type: str | None = None
    message: str = ""
    nondeterministic: bool | None = None
    differing_calls: list[int] = field(default_factory=list)
    unserialisable: bool = False
    duration_s: float = 0.0
    runs: int = 1

    def to_dict(self) -> dict:
        """A plain dict (every field; values JSON-safe)."""
        return asdict(self)


_CALL_RESTARTS = 2  # restarts of a program from the call after one that killed its whole job


def _calls_job(program: str, calls: list[str], timeout_s: float, call_timeout_s: float, memory_mb: int,
               typing_prelude: bool) -> dict:
    return {"mode": "calls", "program": program, "calls": list(calls), "test": "", "entry_point": "",
            "timeout_s": float(timeout_s), "call_timeout_s": float(call_timeout_s), "memory_mb": int(memory_mb),
            "typing_prelude": bool(typing_prelude)}


def _parse_calls(result: ExecutionResult | dict, n: int, timeout_s: float) -> tuple[ExecutionResult, list, bool]:
    """(program-level verdict, outcomes with None for calls without one, whether the program loaded)."""
    if isinstance(result, ExecutionResult):  # the sandbox failed before running the job
        return result, [None] * n, False
    raw = result["calls_raw"]
    verdict = build_verdict(raw, timeout_s)
    events = raw.get("events", []) if isinstance(raw, dict) else []
    outcomes: list = [None] * n
    for e in events:
        if e["event"] == "call" and isinstance(e.get("i"), int) and 0 <= e["i"] < n and isinstance(e.get("out"), dict):
            outcomes[e["i"]] = e["out"]
    return verdict, outcomes, any(e["event"] == "loaded" for e in events)


def _ended_job(verdict: ExecutionResult, timeout_s: float) -> dict:
    """Outcome of the call during which the whole job ended (a timeout past the alarm, an exit, a kill)."""
    if verdict.status == "timeout":
        return {"ok": False, "timeout": True, "error_type": "TimeoutError",
                "exception": f"TimeoutError: the whole program ran past {timeout_s}s during this call"}
    kind = verdict.error_type or "EarlyExit"
    return {"ok": False, "error_type": kind, "exception": f"{kind}: {verdict.message}"[:MSG_CAP]}


def run_calls(pairs: list[tuple[str, list[str]]], timeout_s: float = 10.0, call_timeout_s: float = 2.0,
              memory_mb: int = 1024, workers: int = 2, repeat: int = 1, typing_prelude: bool = False,
              rel_tol: float = 1e-6, abs_tol: float = 1e-9) -> list[CallsResult]:
    """Run each program in the sandbox and evaluate its call expressions one by one; results in input order.

    pairs: (program source, call expressions such as "f(1, [2, 3])"); each expression is evaluated in the
    program's namespace after it has run (not as __main__), under an alarm of call_timeout_s seconds; its
    return value comes back normalised (`child.normalise_output`, described in the module
    docstring), its exception as an outcome. timeout_s bounds the whole program (load and every call, wall
    and CPU seconds); a call that outlives its alarm (a bare `except:` around a loop, a long C call) or ends
    the process (os._exit, a kill) gets a timeout/exit outcome and the program is restarted from the next
    call (at most twice, then the remaining calls are `not_run`). repeat=2 runs every program again on
    another sandbox server (other hash seed, address layout, random state) and sets `nondeterministic`.
    Same isolation as check_completions. Raises ValueError for repeat < 1 or a call that is not a str.
    """
    if repeat < 1:
        raise ValueError(f"repeat must be >= 1, got {repeat}")
    for k, (_, calls) in enumerate(pairs):
        if not all(isinstance(c, str) for c in calls):
            raise ValueError(f"pair {k}: every call must be a str expression, got {calls!r:.200}")
    n_calls = [len(calls) for _, calls in pairs]
    # state[(p, r)] = [outcomes, program verdict, loaded, restarts]
    state = {(p, r): [[None] * n_calls[p], None, False, 0] for p in range(len(pairs)) for r in range(repeat)}
    pending = [(p, r, 0) for p in range(len(pairs)) for r in range(repeat)]
    while pending:
        jobs = [_calls_job(pairs[p][0], pairs[p][1][start:], timeout_s, call_timeout_s, memory_mb, typing_prelude)
                for p, r, start in pending]
        results = run_jobs(jobs, workers, groups=[r for _, r, _ in pending] if repeat > 1 else None)
        follow = []
        for (p, r, start), result in zip(pending, results):
            st = state[(p, r)]
            verdict, got, loaded = _parse_calls(result, n_calls[p] - start, timeout_s)
            if start == 0:
                st[1], st[2] = verdict, loaded
            for k, out in enumerate(got):
                st[0][start + k] = out
            if not loaded:
                continue
            missing = [k for k in range(start, n_calls[p]) if st[0][k] is None]
            if missing:
                st[0][missing[0]] = _ended_job(verdict, timeout_s)
                if missing[0] + 1 < n_calls[p] and st[3] < _CALL_RESTARTS:
                    st[3] += 1
                    follow.append((p, r, missing[0] + 1))
        pending = follow
    out = []
    for p in range(len(pairs)):
        runs = []
        for r in range(repeat):
            outcomes, verdict, loaded, _ = state[(p, r)]
            if not loaded:
                status = {"timeout": "timeout", "crashed": "crashed", "harness_error": "harness_error"}.get(
                    verdict.status, "program_error")
                err = {"ok": False, "not_run": True, "error_type": verdict.error_type,
                       "exception": f"{verdict.error_type}: {verdict.message}"[:MSG_CAP]}
                for d in verdict.failure_details or []:
                    err.update({k: d[k] for k in ("line", "code") if k in d})
                runs.append(CallsResult(status, [dict(err) for _ in outcomes], verdict.error_type, verdict.message,
                                        duration_s=verdict.duration_s))
                continue
            outcomes = [o if o is not None else
                        {"ok": False, "not_run": True, "error_type": "NotRun",
                         "exception": "NotRun: the program ended before this call (an earlier call timed out or exited)"} for o in outcomes]
            runs.append(CallsResult("ok", outcomes, duration_s=verdict.duration_s))
        first = runs[0]
        first.runs = repeat
        first.unserialisable = any("unserialisable" in o for o in first.outcomes)
        if repeat > 1:
            differ: set = set()
            for other in runs[1:]:
                differ |= {k for k, (a, b) in enumerate(zip(first.outcomes, other.outcomes))
                           if not _same_outcome(a, b, rel_tol, abs_tol)}
            first.differing_calls = sorted(differ)
            first.nondeterministic = bool(differ) or any(o.status != first.status for o in runs[1:])
        out.append(first)
    return out


def _same_outcome(a: dict, b: dict, rel_tol: float, abs_tol: float) -> bool:
    if a.get("ok") and b.get("ok") and "unserialisable" in a and "unserialisable" in b:
        return a["unserialisable"] == b["unserialisable"]
    return outcomes_agree(a, b, rel_tol, abs_tol)


def outcomes_agree(a: dict, b: dict, rel_tol: float = 1e-6, abs_tol: float = 1e-9) -> bool:
    """Whether two call outcomes (`CallsResult.outcomes` items) agree: both returned outputs that
    `outputs_agree`, or both raised the same exception type (messages are not compared; timeouts agree
    with timeouts). An unserialisable output agrees with nothing (the caller's `unhashable_output` case)."""
    if a.get("ok") and b.get("ok"):
        return "value" in a and "value" in b and outputs_agree(a["value"], b["value"], rel_tol, abs_tol)
    if a.get("ok") or b.get("ok"):
        return False
    return a.get("error_type") == b.get("error_type") and bool(a.get("timeout")) == bool(b.get("timeout"))


def outputs_agree(a, b, rel_tol: float = 1e-6, abs_tol: float = 1e-9) -> bool:
    """Whether two normalised outputs agree: the same structure and tags, numbers within tolerance.

    Numbers: int with int exactly; a float with an int or float by math.isclose(rel_tol, abs_tol) (so 2 and
    2.0 agree, as `==` says); bool only with bool (True and 1 do not agree, though `==` says they are equal:
    a test written from one would let the other pass, but they are different answers). Tagged values
    ({"__tuple__": ...}, sets, dicts, ...) agree when their tags match and their contents agree in order
    (sets and dicts are sorted in the child); {"__float__": "nan"} agrees with itself.
    """
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, int) and isinstance(b, int):
            return a == b
        try:
            return math.isclose(float(a), float(b), rel_tol=rel_tol, abs_tol=abs_tol)
        except OverflowError:
            return False
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(outputs_agree(x, y, rel_tol, abs_tol) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys() or len(a) != 1:
            return False
        tag = next(iter(a))
        return outputs_agree(a[tag], b[tag], rel_tol, abs_tol) if isinstance(a[tag], list) else a[tag] == b[tag]
    return type(a) is type(b) and a == b


def output_literal(value) -> str:
    """Python source for a normalised output (the inverse of the normalisation), e.g. to write an assert.

    {"__tuple__": [1]} -> "(1,)", {"__set__": []} -> "set()", {"__float__": "nan"} -> 'float("nan")'.
    Raises ValueError for something that is not a normalised output.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(output_literal(v) for v in value) + "]"
    if not (isinstance(value, dict) and len(value) == 1):
        raise ValueError(f"not a normalised output: {value!r:.200}")
    tag, body = next(iter(value.items()))
    if tag == "__tuple__":
        items = [output_literal(v) for v in body]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if tag in ("__set__", "__frozenset__"):
        inner = "{" + ", ".join(output_literal(v) for v in body) + "}" if body else ""
        return (inner or "set()") if tag == "__set__" else f"frozenset({inner})"
    if tag == "__dict__":
        return "{" + ", ".join(f"{output_literal(k)}: {output_literal(v)}" for k, v in body) + "}"
    if tag == "__float__":
        return {"nan": 'float("nan")', "inf": 'float("inf")', "-inf": '-float("inf")'}[body]
    if tag == "__bytes__":
        return repr(bytes.fromhex(body))
    if tag == "__complex__":
        return f"complex({output_literal(body[0])}, {output_literal(body[1])})"
    raise ValueError(f"not a normalised output: unknown tag {tag!r}")


def add_typing_imports(code: str) -> str:
    """`code` with `from typing import ...` prepended for the standard typing names it uses but never binds.

    Static (ast; nothing is run): the fix for the small-model habit of annotating with `Set[int]` without
    importing it, applied to the text so that the stored program runs anywhere. Code that does not parse,
    or needs nothing, comes back unchanged.
    """
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return code
    used, bound = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (used if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
    need = [n for n in TYPING_NAMES if n in used and n not in bound]
    return f"from typing import {', '.join(need)}\n" + code if need else code
