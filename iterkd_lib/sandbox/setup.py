"""Start-up isolation of a sandbox fork server: private tmpfs mounts, cgroups, job uid, subreaper.

Loaded by `harness.py` (see its docstring for the threat model); runs once per server, before any job,
and returns the `caps` dict that the server reports in its hello line and that every job consults.
"""

import ctypes
import os
import socket
import sys
import tempfile

_LIBC = ctypes.CDLL(None, use_errno=True)
_PR_SET_CHILD_SUBREAPER = 36
PRIVATE_TMP = ("/tmp", "/var/tmp", "/run/lock", "/dev/shm")


def setup_isolation():
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
        for path in PRIVATE_TMP:
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
                    write(f"{path}/pids.max", "64")
                # The server joins too, so each child is born inside (joining per child costs ~0.4 ms).
                write(f"{path}/cgroup.procs", str(os.getpid()))
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


def write(path, text):
    """Write `text` (ASCII) to the file `path` (cgroup and /proc control files)."""
    with open(path, "w", encoding="ascii") as f:
        f.write(text)
