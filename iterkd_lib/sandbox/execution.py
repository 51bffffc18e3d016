"""Run candidate programs against their tests in a sandbox, many at a time, and return verdict dicts.

A pool of fork servers (`iterkd_lib/sandbox/harness.py`, one per worker, each started under
`unshare --net --mount` where the machine allows) receives jobs over pipes; each job runs in a freshly
forked child with rlimits, cgroups, its own uid and a throwaway directory -- see the harness docstring for
what is isolated, how a pass is confirmed, and the limits of that threat model. This module never imports
or executes generated code itself, enforces a hard deadline on every server (a stuck server is killed with
everything it started and replaced), so the caller -- a script or a Jupyter kernel -- cannot hang or crash
because of a program.

Not covered: problem loading (`problems`), pass@k and static views (scoring/).

Entry points: `check_completion(problem, completion, ...)`, `check_completions(pairs, ...)`,
`run_code(code, ...)` (compile-and-run without tests), `sandbox_capabilities()`, `shutdown()`.
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
_HARD_MARGIN_S = 10.0  # server-side cleanup never takes this long; beyond it the server is deemed stuck
_MSG_CAP = 500
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

    def __init__(self, prefix: list[str], extra_env: dict, hello_timeout: float = 15.0):
        self.proc = subprocess.Popen(
            [*prefix, sys.executable, "-I", _HARNESS], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, env=_env(extra_env), start_new_session=True, cwd="/")
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
        line = self.read_line(time.monotonic() + float(job["timeout_s"]) + _HARD_MARGIN_S)
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
            subprocess.run([sys.executable, "-I", _HARNESS, "--sweep", str(caps["uid"])], check=False,
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


def _new_server() -> _Server:
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
    return _Server(*_STATE["launcher"])


def _take_server() -> _Server:
    with _LOCK:
        if _STATE["owner"] != os.getpid():  # after a fork of the caller, the old servers belong to the parent
            _STATE.update(idle=[], owner=os.getpid())
        if _STATE["idle"]:
            return _STATE["idle"].pop()
        return _new_server()


def _give_back(server: _Server) -> None:
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
    return text if len(text) <= _MSG_CAP else text[: _MSG_CAP - 15] + " ...[truncated]"


def _verdict(raw: dict | None, timeout_s: float) -> ExecutionResult:
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

    def verdict(status: str, error_type: str | None, message: str, stage: str | None = None) -> ExecutionResult:
        return ExecutionResult(status == "passed", status, error_type, message, failed, duration, stage)

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
        return verdict("timeout", "TimeoutError", f"wall clock > {timeout_s}s")
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


def _job(problem: dict | None, program: str, timeout_s: float, memory_mb: int) -> dict:
    if problem is None:
        return {"mode": "run", "program": program, "test": "", "entry_point": "", "timeout_s": float(timeout_s),
                "memory_mb": int(memory_mb)}
    return {"mode": "check", "program": program, "test": problem["test"], "entry_point": problem["entry_point"],
            "timeout_s": float(timeout_s), "memory_mb": int(memory_mb)}


def _run_jobs(jobs: list[dict], workers: int, progress: bool = False) -> list[ExecutionResult]:
    results: list = [None] * len(jobs)
    next_index = [0]
    lock = threading.Lock()
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(jobs), desc="executing", unit="prog")

    def loop() -> None:
        server = None
        try:
            while True:
                with lock:
                    i = next_index[0]
                    next_index[0] += 1
                if i >= len(jobs):
                    return
                if server is None:
                    server = _take_server()
                raw = server.run(jobs[i])
                if raw is None or server.proc.poll() is not None:
                    server.kill()
                    server = None
                results[i] = _verdict(raw, jobs[i]["timeout_s"])
                if jobs[i]["mode"] == "run":
                    results[i].failed_assertions = None
                else:
                    results[i].stage = None  # only run_code's callers need to know where a failure happened
                if bar is not None:
                    bar.update(1)
        except Exception as e:  # noqa: BLE001 - a sandbox failure becomes a verdict, never the caller's crash
            with lock:
                for j, r in enumerate(results):
                    if r is None and j < next_index[0]:
                        results[j] = ExecutionResult.harness_error(_cap(str(e)), type(e).__name__)
        finally:
            if server is not None:
                _give_back(server)

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(max(1, min(workers, len(jobs))))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if bar is not None:
        bar.close()
    return [r if r is not None else ExecutionResult.harness_error("not run") for r in results]


def execute(pairs: list[tuple[dict, str]], timeout_s: float = 5.0, memory_mb: int = 1024,
            workers: int = 2, progress: bool = False) -> list[ExecutionResult]:
    """Typed verdicts for (problem, completion) pairs, in input order; `workers` programs run at a time.

    Each program is problem["prompt"] + completion, then problem["test"] and check(problem["entry_point"]);
    `timeout_s` wall seconds and `memory_mb` MiB per program. Never raises for a bad program or a sandbox
    failure: those become verdicts (status "harness_error" for the latter).
    """
    jobs = [_job(p, p["prompt"] + c, timeout_s, memory_mb) for p, c in pairs]
    return _run_jobs(jobs, workers, progress)


def check_completions(pairs: list[tuple[dict, str]], timeout_s: float = 5.0, memory_mb: int = 1024,
                      workers: int = 2, progress: bool = False) -> list[dict]:
    """`execute` with each verdict as its run-file dict (`ExecutionResult.to_dict()`): what records store."""
    return [r.to_dict() for r in execute(pairs, timeout_s, memory_mb, workers, progress)]


def executor(execution_cfg) -> Callable[[list[tuple[dict, str]]], list[dict]]:
    """`check_completions` bound to a run's limits (a `config.ExecutionConfig`: timeout_s, memory_mb, workers).

    The one executor every stage uses: `executor(cfg.execution)(pairs)` -> one verdict per pair, in order.
    """
    return functools.partial(check_completions, timeout_s=execution_cfg.timeout_s,
                             memory_mb=execution_cfg.memory_mb, workers=execution_cfg.workers)


def check_completion(problem: dict, completion: str, timeout_s: float = 5.0, memory_mb: int = 1024) -> dict:
    """Verdict for one completion: program = prompt + completion, then the problem's check(entry_point)."""
    return check_completions([(problem, completion)], timeout_s, memory_mb, workers=1)[0]


def run_code(code: str, timeout_s: float = 5.0, memory_mb: int = 1024) -> dict:
    """Compile and run a program with no tests (as __main__); passed means it ran to the end without error."""
    return _run_jobs([_job(None, code, timeout_s, memory_mb)], 1)[0].to_dict()
