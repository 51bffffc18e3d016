"""In-child runner of the sandbox: what one forked job child does, from its first instruction to its exit.

Loaded by `harness.py` (the fork server; its docstring has the threat model and how a pass is
confirmed) before any job, so it imports only the standard library. `run_child` joins nothing itself (the cgroups
are inherited), starts a session, sets rlimits, enters the job directory, redirects stdio, drops the uid, then
runs the program and the rewritten tests (`_transform_tests`), reporting events on the pipe.

Compiling happens in the server before the fork (`compile_job`), for speed: a freshly forked child pays a
page fault for nearly every page it allocates, so the same compile costs ~0.9 ms there against ~0.25 ms in
the warm server (measured on our Firecracker VM), and the rewritten tests are cached by their source. Compiling
never runs the code. Programs above `PREPARE_MAX_CHARS` are still compiled in the child, under its rlimits,
so a compile bomb cannot exhaust the server.
"""

import ast
import ctypes
import json
import os
import resource
import signal
import sys
import time

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
    """(program code, test code or None, assert line -> source) for a job; raises StageError.

    Never executes anything. `cache` maps test source -> rewritten test code (the same tests recur for every
    sample of a problem).
    """
    try:
        code = compile(job["program"], "<program>", "exec", optimize=0, dont_inherit=True)
    except BaseException as e:  # noqa: BLE001 - SyntaxError, ValueError (null bytes), RecursionError, MemoryError
        raise StageError("compile", e) from None
    if job["mode"] != "check":
        return code, None, None
    test_src = job["test"]
    hit = cache.get(test_src) if cache is not None else None
    if hit is None:
        try:
            hit = _transform_tests(test_src, "__iterkd_failed__", "__iterkd_AE__")
        except BaseException as e:  # noqa: BLE001
            raise StageError("compile_test", e) from None
        if cache is not None:
            if len(cache) >= _TEST_CACHE_MAX:
                cache.clear()
            cache[test_src] = hit
    return code, hit[0], hit[1]


def prepare_in_server(job):
    """compile_job in the server when the job is small enough, else None (the child compiles it)."""
    if len(job["program"]) + len(job.get("test", "")) > PREPARE_MAX_CHARS:
        return None
    return compile_job(job, _TEST_CACHE)


def cut(text, n=_CAP):
    """`text` as str, at most `n` characters (a ' ...[truncated]' tail when cut)."""
    text = str(text)
    return text if len(text) <= n else text[: n - 15] + " ...[truncated]"


def _transform_tests(test_src, on_fail_name, ae_name):
    """Rewrite each top-level assert in check() to record its failure and continue; map line -> source."""
    tree = ast.parse(test_src, "<test>")
    src_lines = test_src.encode("utf-8").splitlines(keepends=True)  # ast offsets count UTF-8 bytes
    lines = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert) and node.lineno not in lines:
            lines[node.lineno] = cut(_segment(src_lines, node) or "assert ...", 300)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "check":
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
    return compile(tree, "<test>", "exec", optimize=0, dont_inherit=True), lines


def _segment(src_lines, node):
    """ast.get_source_segment without re-splitting the whole source for every node."""
    first, last = node.lineno - 1, node.end_lineno - 1
    if node.end_col_offset is None or last >= len(src_lines):
        return None
    if first == last:
        return src_lines[first][node.col_offset:node.end_col_offset].decode("utf-8", "replace")
    parts = [src_lines[first][node.col_offset:], *src_lines[first + 1:last], src_lines[last][:node.end_col_offset]]
    return b"".join(parts).decode("utf-8", "replace")


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

    def error(stage, exc, lines=None):
        tb, where = exc.__traceback__, None
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == "<test>":
                where = tb.tb_lineno
            tb = tb.tb_next
        failed = [lines[where]] if (lines and where in lines and isinstance(exc, ae)) else []
        emit("error", stage=stage, type=type(exc).__name__, message=cut(exc), failed=failed)
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
        cpu = int(job["timeout_s"]) + 1
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
    code, test_code, lines = prepared
    ns = {"__name__": "__main__"} if job["mode"] == "run" else {}
    try:
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
    entry = job["entry_point"]
    test_ns = {k: v for k, v in ns.items() if (k not in pristine and k != "check") or k == entry}
    test_ns.update(__builtins__=dict(pristine), __iterkd_AE__=ae,
                   __iterkd_failed__=lambda line: emit("assert_failed", line=lines.get(line, f"line {line}")))
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
