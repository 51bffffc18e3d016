"""In-child runner of the sandbox: what one forked job child does, from its first instruction to its exit.

Loaded by `harness.py` (the fork server; its docstring has the threat model and how a pass is
confirmed) before any job, so it imports only the standard library. `run_child` joins nothing itself (the cgroups
are inherited), starts a session, sets rlimits, enters the job directory, redirects stdio, drops the uid, then
runs the program and the rewritten tests (`_transform_tests`), reporting events on the pipe: failures carry
a `detail` (assert source, call with argument reprs, expected/actual reprs, or exception with the program
line). In "calls" mode it evaluates call expressions instead of tests (`_run_calls`) and reports each output
normalised (`normalise_output`). Everything here, reprs and normalisation included, runs in the child only.

Compiling happens in the server before the fork (`compile_job`), for speed: a freshly forked child pays a
page fault for nearly every page it allocates, so the same compile costs ~0.9 ms there against ~0.25 ms in
the warm server (measured on our Firecracker VM), and the rewritten tests are cached by their source. Compiling
never runs the code. Programs above `PREPARE_MAX_CHARS` are still compiled in the child, under its rlimits,
so a compile bomb cannot exhaust the server.
"""

import ast
import ctypes
import json
import math
import os
import re
import reprlib
import resource
import signal
import sys
import time
from itertools import islice

# Imported here so forked children find them ready: most generated code imports a few of these.
for _name in ("bisect", "collections", "functools", "hashlib", "heapq", "itertools", "math", "random", "re",
              "string", "typing"):
    __import__(_name)


_PRCTL = ctypes.CDLL(None, use_errno=True).prctl  # resolved once here, not in every child
_PR_SET_PDEATHSIG = 1
_CAP = 600
PREPARE_MAX_CHARS = 200_000
_TEST_CACHE: dict = {}
_TEST_CACHE_MAX = 512
MAX_DETAILS = 5  # failed assertions per job that carry values (the rest are listed by source only)
VALUE_REPR_CHARS = 200  # a repr in a failure detail or call outcome is cut to this many characters
VALUE_JSON_CHARS = 8000  # a normalised call output above this (as JSON) is "unserialisable": "too_large"
_NODES_MAX = 20000  # containers, elements and keys a normalised output may hold
# The standard typing names HumanEval prompts import; `typing_prelude` jobs get them before the program.
TYPING_NAMES = ("Any", "Callable", "DefaultDict", "Deque", "Dict", "FrozenSet", "Generator", "Iterable",
                "Iterator", "List", "Optional", "Sequence", "Set", "Tuple", "Type", "Union")
_PRELUDE = compile(f"from typing import {', '.join(TYPING_NAMES)}\n", "<prelude>", "exec", dont_inherit=True)


class _BoundedRepr(reprlib.Repr):
    """reprlib.Repr that shows the first items of a big dict or set instead of sorting all of it first."""

    def repr_dict(self, x, level):
        if len(x) <= self.maxdict or level <= 0:
            return super().repr_dict(x, level)
        items = [f"{self.repr1(k, level - 1)}: {self.repr1(v, level - 1)}" for k, v in islice(x.items(), self.maxdict)]
        return "{" + ", ".join(items) + ", " + self.fillvalue + "}"

    def repr_set(self, x, level):
        if len(x) <= self.maxset or level <= 0:
            return super().repr_set(x, level)
        return "{" + ", ".join(self.repr1(e, level - 1) for e in islice(x, self.maxset)) + ", " + self.fillvalue + "}"

    def repr_frozenset(self, x, level):
        if len(x) <= self.maxfrozenset or level <= 0:
            return super().repr_frozenset(x, level)
        return f"frozenset({self.repr_set(x, level)})"


_REPR = _BoundedRepr()
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_SCALARS = frozenset((int, float, bool, type(None), complex))
_REPR.maxlevel, _REPR.maxdict, _REPR.maxstring, _REPR.maxother, _REPR.maxlong = 4, 20, 160, 160, 80
_REPR.maxlist = _REPR.maxtuple = _REPR.maxset = _REPR.maxfrozenset = _REPR.maxdeque = 30

# The child's stdio objects, made once in the server (creating them in each child costs ~0.15 ms of page
# faults). They wrap fd numbers only; the child points those fds at its own files before using them.
_STDIO = (open(0, encoding="utf-8", closefd=False),  # noqa: SIM115
          open(1, "w", encoding="utf-8", closefd=False),  # noqa: SIM115
          open(2, "w", encoding="utf-8", closefd=False))  # noqa: SIM115


class StageError(Exception):
    """A job that failed before running: `stage` is compile or compile_test, `error` the original exception."""

    def __init__(self, stage, error):
        super().__init__(stage)
        self.stage, self.error = stage, error


def compile_job(job, cache=None):
    """(program code, test code, assert line -> source, extra) for a job; raises StageError.

    extra: in "check" mode, assert line -> actual side (see `_transform_tests`); in "calls" mode, one entry
    per call expression: its code, or the text of its compile error (an outcome of that call only).
    Never executes anything. `cache` maps (test source, entry point) -> rewritten tests (the same tests recur
    for every sample of a problem).
    """
    try:
        code = compile(job["program"], "<program>", "exec", optimize=0, dont_inherit=True)
    except BaseException as e:  # noqa: BLE001 - SyntaxError, ValueError (null bytes), RecursionError, MemoryError
        raise StageError("compile", e) from None
    if job["mode"] == "calls":
        calls = []
        for text in job["calls"]:
            try:
                calls.append(compile(text, "<call>", "eval", optimize=0, dont_inherit=True))
            except BaseException as e:  # noqa: BLE001
                calls.append(cut(f"{type(e).__name__}: {e}", 300))
        return code, None, None, calls
    if job["mode"] != "check":
        return code, None, None, None
    key = (job["test"], job.get("entry_point", ""))
    hit = cache.get(key) if cache is not None else None
    if hit is None:
        try:
            hit = _transform_tests(key[0], "__iterkd_failed__", "__iterkd_AE__", key[1])
        except BaseException as e:  # noqa: BLE001
            raise StageError("compile_test", e) from None
        if cache is not None:
            if len(cache) >= _TEST_CACHE_MAX:
                cache.clear()
            cache[key] = hit
    return code, *hit


def prepare_in_server(job):
    """compile_job in the server when the job is small enough, else None (the child compiles it)."""
    if len(job["program"]) + len(job.get("test", "")) + sum(map(len, job.get("calls", ()))) > PREPARE_MAX_CHARS:
        return None
    return compile_job(job, _TEST_CACHE)


def cut(text, n=_CAP):
    """`text` as str, at most `n` characters (a ' ...[truncated]' tail when cut)."""
    text = str(text)
    return text if len(text) <= n else text[: n - 15] + " ...[truncated]"


def _transform_tests(test_src, on_fail_name, ae_name, entry=""):
    """Rewrite the asserts in check() to record details; top-level ones record their failure and continue.

    Returns (code, line -> assert source, line -> actual side). Every assert inside check() (nested blocks
    included) gets `__iterkd_begin__(line) or <test>`, each call of the candidate (check's first parameter or
    the entry point, by name) becomes `__iterkd_call__(name, f, *args, **kwargs)` (records the argument reprs
    before the call and the returned value), and in `assert L == R` / `assert L is R` where exactly one side
    calls the candidate, both sides are wrapped in `__iterkd_side__(i, x)` (returns x unchanged): that side is
    the actual value, the other the expected one. Evaluation order and the comparison itself are unchanged.
    """
    tree = ast.parse(test_src, "<test>")
    src_lines = test_src.encode("utf-8").splitlines(keepends=True)  # ast offsets count UTF-8 bytes
    lines, sides = {}, {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert) and node.lineno not in lines:
            lines[node.lineno] = cut(_segment(src_lines, node) or "assert ...", 300)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "check":
            names = {a.arg for a in (node.args.posonlyargs + node.args.args)[:1]} | ({entry} if entry else set())
            _AssertRecorder(names, sides).visit(node)
            body = []
            for st in node.body:
                if isinstance(st, ast.Assert):
                    loc = {"lineno": st.lineno, "col_offset": st.col_offset, "end_lineno": st.end_lineno,
                           "end_col_offset": st.end_col_offset}
                    call = ast.Call(ast.Name(on_fail_name, ast.Load(), **loc), [ast.Constant(st.lineno, **loc)], [],
                                    **loc)
                    handler = ast.ExceptHandler(ast.Name(ae_name, ast.Load(), **loc), None, [ast.Expr(call, **loc)],
                                                **loc)
                    st = ast.Try([st], [handler], [], [], **loc)
                body.append(st)
            node.body = body
    ast.fix_missing_locations(tree)
    return compile(tree, "<test>", "exec", optimize=0, dont_inherit=True), lines, sides


def _calls_candidate(node, names):
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in names for n in ast.walk(node))


class _AssertRecorder(ast.NodeTransformer):
    """The assert rewrite of `_transform_tests` (nested functions and lambdas inside check() included)."""

    def __init__(self, names, sides):
        self.names, self.sides = names, sides

    def visit_Assert(self, node):
        test = node.test
        if (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Eq, ast.Is))):
            which = [_calls_candidate(x, self.names) for x in (test.left, test.comparators[0])]
            if which.count(True) == 1:
                self.sides[node.lineno] = which.index(True)
                test.left = self._side(0, test.left)
                test.comparators = [self._side(1, test.comparators[0])]
        test = self.visit(test)
        begin = ast.Call(ast.Name("__iterkd_begin__", ast.Load()), [ast.Constant(node.lineno)], [])
        node.test = ast.copy_location(ast.BoolOp(ast.Or(), [ast.copy_location(begin, node), test]), node.test)
        return node

    @staticmethod
    def _side(i, expr):
        return ast.copy_location(ast.Call(ast.Name("__iterkd_side__", ast.Load()), [ast.Constant(i), expr], []), expr)

    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id in self.names:
            args = [ast.Constant(node.func.id), node.func, *node.args]
            return ast.copy_location(ast.Call(ast.Name("__iterkd_call__", ast.Load()), args, node.keywords), node)
        return node



class CallTimeout(BaseException):
    """Raised by the per-call alarm in "calls" mode (a BaseException: `except Exception` does not catch it)."""


def short_repr(x, n=VALUE_REPR_CHARS):
    """repr(x) cut to n characters; large containers go through reprlib so they are never rendered whole.

    Object addresses (" at 0x7f...") are dropped and a set's items are listed sorted by their repr (string
    hashing, so set order, changes with every interpreter start), so the text is the same in every run.
    Called for every argument of every candidate call in an assert, hence the fast paths for the common types.
    """
    t = type(x)
    try:
        if t in _SCALARS:
            text = repr(x)
        elif (t is set or t is frozenset) and 0 < len(x) <= 40:
            items = ", ".join(sorted(short_repr(e, n) for e in x))
            text = "{" + items + "}" if t is set else "frozenset({" + items + "})"
        elif t is str or t is bytes:
            text = repr(x) if len(x) <= n else _REPR.repr(x)
        else:
            try:
                big = len(x) > 40
            except Exception:  # noqa: BLE001 - no len()
                big = False
            text = _REPR.repr(x) if big else repr(x)
            if " at 0x" in text:
                text = _ADDRESS.sub("", text)
    except Exception as e:  # noqa: BLE001 - a repr written by the program may raise
        text = f"<repr failed: {type(e).__name__}>"
    return text if len(text) <= n else cut(text, n)


def exc_text(exc):
    """'Type: message' of an exception, cut; never raises (messages come from untrusted code)."""
    try:
        message = str(exc)
    except Exception:  # noqa: BLE001
        message = "<unprintable message>"
    return cut(f"{type(exc).__name__}: {message}" if message else type(exc).__name__, 300)


def program_line(exc, program):
    """(line number, stripped source line) of the innermost frame of `exc` in the program, or None."""
    tb, where = exc.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<program>":
            where = tb.tb_lineno
        tb = tb.tb_next
    if where is None and isinstance(exc, SyntaxError) and exc.filename == "<program>":
        where = exc.lineno
    if where is None:
        return None
    src = program.splitlines()
    return where, cut(src[where - 1].strip() if 0 < where <= len(src) else "", VALUE_REPR_CHARS)


def stage_detail(exc, program):
    """Failure detail of an exception outside the tests: {"exception", "line", "code"} (line if known)."""
    detail = {"exception": exc_text(exc)}
    where = program_line(exc, program)
    if where:
        detail["line"], detail["code"] = where
    return detail


class Unserialisable(Exception):
    """An output `normalise_output` cannot express; the message is the reason (a type name or too_large)."""


def normalise_output(x, budget=None, depth=0):
    """A canonical JSON-safe form of a call's output, comparable across processes (see calls.run_calls).

    None, bool, str and int stay as they are; a finite float stays a float, nan/inf become {"__float__":
    "nan"|"inf"|"-inf"}; a list becomes a list; other values become one-key tagged objects:
    {"__tuple__": [...]}, {"__set__": [...]} and {"__frozenset__": [...]} (elements sorted), {"__dict__":
    [[key, value], ...]} (pairs sorted by key), {"__bytes__": "<hex>"}, {"__complex__": [re, im]}.
    Subclasses count as their builtin base (Counter and defaultdict as dict, a namedtuple as tuple, an IntEnum
    as int). Sorting: numbers by value, then everything else by its canonical JSON text. Raises
    Unserialisable(reason) for anything else (objects, generators, functions, ...), past 20 levels or past
    _NODES_MAX nodes.
    """
    if budget is None:
        budget = [_NODES_MAX]
    budget[0] -= 1
    if budget[0] < 0:
        raise Unserialisable("too_large")
    if depth > 20:
        raise Unserialisable("too_deep")
    if x is None or x is True or x is False:
        return x
    if isinstance(x, bool):
        return bool(x)
    if isinstance(x, int):
        return int(x)
    if isinstance(x, float):
        x = float(x)
        return x if math.isfinite(x) else {"__float__": "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")}
    if isinstance(x, str):
        if len(x) > VALUE_JSON_CHARS:
            raise Unserialisable("too_large")
        return str.__str__(x)
    if isinstance(x, list):
        return [normalise_output(e, budget, depth + 1) for e in x]
    if isinstance(x, tuple):
        return {"__tuple__": [normalise_output(e, budget, depth + 1) for e in x]}
    if isinstance(x, (set, frozenset)):
        tag = "__frozenset__" if isinstance(x, frozenset) else "__set__"
        return {tag: sorted((normalise_output(e, budget, depth + 1) for e in x), key=_order)}
    if isinstance(x, dict):
        pairs = [[normalise_output(k, budget, depth + 1), normalise_output(v, budget, depth + 1)] for k, v in x.items()]
        return {"__dict__": sorted(pairs, key=lambda kv: _order(kv[0]))}
    if isinstance(x, (bytes, bytearray)):
        return {"__bytes__": bytes(x).hex()}
    if isinstance(x, complex):
        return {"__complex__": [normalise_output(x.real, budget, depth + 1), normalise_output(x.imag, budget, depth + 1)]}
    raise Unserialisable(type(x).__name__)


def _order(v):
    if type(v) in (int, float):
        try:
            return (0, float(v), json.dumps(v))
        except OverflowError:
            pass
    return (1, 0.0, json.dumps(v, sort_keys=True))


def call_outcome(value):
    """Outcome of a call that returned: {"ok": True, "value": <normalised>, "repr"} or {"ok", "unserialisable", "repr"}."""
    out = {"ok": True}
    try:
        norm = normalise_output(value)
        if len(json.dumps(norm)) > VALUE_JSON_CHARS:
            raise Unserialisable("too_large")
        out["value"] = norm
    except Unserialisable as e:
        out["unserialisable"] = str(e)
    except (RecursionError, ValueError, TypeError, OverflowError) as e:  # e.g. an int too long for str()
        out["unserialisable"] = f"{type(e).__name__}"
    out["repr"] = short_repr(value)
    return out


def _segment(src_lines, node):
    """ast.get_source_segment without re-splitting the whole source for every node."""
    first, last = node.lineno - 1, node.end_lineno - 1
    if node.end_col_offset is None or last >= len(src_lines):
        return None
    if first == last:
        return src_lines[first][node.col_offset:node.end_col_offset].decode("utf-8", "replace")
    parts = [src_lines[first][node.col_offset:], *src_lines[first + 1:last], src_lines[last][:node.end_col_offset]]
    return b"".join(parts).decode("utf-8", "replace")


def assert_recorder(program, ae=AssertionError):
    """(begin, side, call, detail): the functions the rewritten asserts call (see `_transform_tests`).

    They share one record of what the assert being evaluated saw; `detail(line, exc, lines, sides)` turns it
    into a failure detail dict (None after MAX_DETAILS). `ae` is AssertionError as captured before the
    program ran. Argument reprs are taken before the call, so a candidate that mutates them shows the input.
    """
    rec = {"line": None, "calls": [], "sides": {}, "details": 0}

    def begin(line):
        rec["line"], rec["calls"], rec["sides"] = line, [], {}

    def side(i, x):
        rec["sides"][i] = x
        return x

    def call(name, f, /, *args, **kwargs):
        shown = [short_repr(a) for a in args]
        if kwargs:
            shown += [f"{k}={short_repr(v)}" for k, v in kwargs.items()]
        entry = [cut(f"{name}({', '.join(shown)})", 2 * VALUE_REPR_CHARS), None, False]
        calls = rec["calls"]
        if len(calls) >= 3:
            del calls[0]
        calls.append(entry)
        entry[1] = f(*args, **kwargs)
        entry[2] = True
        return entry[1]

    def detail(line, exc, lines, sides):
        """What a failed assert (or an exception inside the tests) saw, as quotable text."""
        if rec["details"] >= MAX_DETAILS:
            return None
        rec["details"] += 1
        d = {"assertion": lines[line]} if line in lines else {}
        calls = rec["calls"] if rec["line"] == line else []
        where = program_line(exc, program)
        if isinstance(exc, ae) and where is None:  # the assert itself failed: quote its values
            if calls:
                d["call"] = "; ".join(c[0] for c in calls)
            actual_side, seen = sides.get(line), rec["sides"] if rec["line"] == line else {}
            if actual_side is not None and len(seen) == 2:
                d["expected"], d["actual"] = short_repr(seen[1 - actual_side]), short_repr(seen[actual_side])
            elif calls and calls[-1][2]:
                d["actual"] = short_repr(calls[-1][1])
            message = exc_text(exc).partition(": ")[2]
            if message:
                d["message"] = message
            return d
        raising = [c for c in calls if not c[2]]
        if raising or calls:
            d["call"] = (raising or calls)[-1][0]
        d["exception"] = exc_text(exc)
        if where:
            d["line"], d["code"] = where
        return d

    return begin, side, call, detail


def run_child(job, caps, workdir, fd, nonce, t_fork, prepared=None):
    """Runs in the forked child: never returns. `prepared` is compile_job's result, or None to compile here."""
    monotonic = time.monotonic
    write, dumps, getpid, ae, builtins_mod = os.write, json.dumps, os.getpid, AssertionError, __builtins__
    builtins_dict = vars(builtins_mod) if not isinstance(builtins_mod, dict) else builtins_mod
    pristine = dict(builtins_dict)
    exec_, settrace, setprofile = exec, sys.settrace, sys.setprofile

    def emit(event, **kw):
        try:
            write(fd, (dumps({"nonce": nonce, "pid": getpid(), "event": event, "t": round(monotonic() - t_fork, 5), **kw}) + "\n").encode())
        except Exception:  # noqa: BLE001, S110 - the pipe may be gone; the server then sees no confirmation
            pass

    exc_info, program = sys.exc_info, job["program"]
    begin, side, call, detail = assert_recorder(program, ae)

    def error(stage, exc, lines=None):
        tb, where = exc.__traceback__, None
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == "<test>":
                where = tb.tb_lineno
            tb = tb.tb_next
        failed = [lines[where]] if (lines and where in lines and isinstance(exc, ae)) else []
        extra = {}
        try:
            d = detail(where, exc, lines, sides) if stage == "test" else stage_detail(exc, program)
            if d:
                extra["detail"] = d
        except Exception:  # noqa: BLE001, S110 - the verdict must not depend on the details
            pass
        emit("error", stage=stage, type=type(exc).__name__, message=cut(exc), failed=failed, **extra)
        leave()

    def leave():
        for stream in stdio:  # our own objects: whatever the program put in sys.stdout is never called
            try:
                stream.flush()
            except Exception:  # noqa: BLE001, S110
                pass
        os._exit(0)

    stdio = _STDIO[1:]

    try:
        mb = int(job.get("memory_mb", 1024))
        os.setsid()
        cpu = max(1, math.ceil(float(job["timeout_s"])))  # whole CPU seconds: the limit that decides (harness.py)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_AS, (mb << 20, mb << 20))
        resource.setrlimit(resource.RLIMIT_FSIZE, (16 << 20, 16 << 20))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.chdir(workdir)
        out = os.open("output.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.dup2(fd, 3)
        fd = 3
        os.closerange(4, 1 << 16)
        if caps["uid_drop"]:
            os.setgroups([])
            os.setgid(caps["uid"])
            os.setuid(caps["uid"])
            resource.setrlimit(resource.RLIMIT_NPROC, (64, 64))
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        sys.stdin, sys.stdout, sys.stderr = _STDIO
    except Exception as e:  # noqa: BLE001
        emit("harness_error", message=cut(f"sandbox setup failed: {type(e).__name__}: {e}"))
        os._exit(0)
    emit("start")
    if prepared is None:
        try:
            prepared = compile_job(job)
        except StageError as e:
            error(e.stage, e.error)
    code, test_code, lines, sides = prepared
    ns = {"__name__": "__main__"} if job["mode"] == "run" else {}
    if job["mode"] == "calls":
        sys.modules["random"].seed()  # else every child of this server would draw the same "random" numbers
    try:
        if job.get("typing_prelude"):
            exec_(_PRELUDE, ns)
        exec_(code, ns)
    except BaseException as e:  # noqa: BLE001 - SystemExit and KeyboardInterrupt are failures too
        error("program", e)
    if job["mode"] == "run":
        emit("done")
        leave()
    # Undo what the program may have done to the interpreter the harness itself relies on from here on.
    settrace(None)
    setprofile(None)
    builtins_dict.clear()
    builtins_dict.update(pristine)
    if job["mode"] == "calls":
        emit("loaded")
        _run_calls(sides, ns, float(job["call_timeout_s"]), emit, program)
        emit("done")
        leave()
    entry = job["entry_point"]
    test_ns = {k: v for k, v in ns.items() if (k not in pristine and k != "check") or k == entry}

    def failed(line):
        extra = {}
        try:
            d = detail(line, exc_info()[1], lines, sides)
            if d:
                extra["detail"] = d
        except Exception:  # noqa: BLE001, S110
            pass
        emit("assert_failed", line=lines.get(line, f"line {line}"), **extra)

    test_ns.update(__builtins__=dict(pristine), __iterkd_AE__=ae, __iterkd_failed__=failed,
                   __iterkd_begin__=begin, __iterkd_side__=side, __iterkd_call__=call)
    try:
        exec_(test_code, test_ns)
        check = test_ns.get("check")
        if getattr(getattr(check, "__code__", None), "co_filename", None) != "<test>":
            raise NameError("the tests do not define check(candidate)")
        if entry not in test_ns:
            raise NameError(f"name '{entry}' is not defined")
        candidate = test_ns[entry]
        check(candidate)
    except BaseException as e:  # noqa: BLE001
        error("test", e, lines)
    emit("done")
    leave()


def _run_calls(calls, ns, call_timeout_s, emit, program):
    """Evaluate each call expression in the program's namespace under a CPU-time alarm (call_timeout_s, with a
    wall-clock one at 3x as a backstop); one event each.

    An exception (the alarm's CallTimeout included) is that call's outcome; the next call still runs. A
    program that catches BaseException or blocks in C code outlives the alarm: the server's whole-job
    deadline then ends the job, and the caller restarts it from the next call.
    """
    monotonic, setitimer, eval_ = time.monotonic, signal.setitimer, eval
    real, prof, wall_factor = signal.ITIMER_REAL, signal.ITIMER_PROF, 3.0  # = harness.WALL_FACTOR

    def alarm(signum, frame):
        raise CallTimeout

    signal.signal(signal.SIGALRM, alarm)
    signal.signal(signal.SIGPROF, alarm)
    for i, code in enumerate(calls):
        t0 = monotonic()
        if isinstance(code, str):  # did not compile
            out = {"ok": False, "error_type": code.partition(":")[0], "exception": code}
        else:
            try:
                setitimer(prof, call_timeout_s)  # CPU seconds decide; the wall alarm backs it up (sleeping calls)
                setitimer(real, call_timeout_s * wall_factor)
                try:
                    out = call_outcome(eval_(code, ns))
                finally:
                    setitimer(real, 0)
                    setitimer(prof, 0)
            except CallTimeout:
                out = {"ok": False, "timeout": True, "error_type": "TimeoutError",
                       "exception": f"TimeoutError: the call ran past {call_timeout_s}s"}
            except BaseException as e:  # noqa: BLE001 - every exception is an outcome of this call
                out = {"ok": False, "error_type": type(e).__name__, "exception": exc_text(e)}
                where = program_line(e, program)
                if where:
                    out["line"], out["code"] = where
        out["duration_s"] = round(monotonic() - t0, 5)
        emit("call", i=i, out=out)
