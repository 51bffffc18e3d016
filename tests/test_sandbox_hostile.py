"""Hostile programs: each gets a clear verdict, the caller survives, nothing is left running or on disk."""

import os
import socket
import time
import warnings
from pathlib import Path

import pytest

from iterkd_lib.sandbox import servers
from iterkd_lib.sandbox.execution import check_completion
from iterkd_lib.sandbox.servers import sandbox_capabilities

PROBLEM = {"task_id": "h/0", "prompt": "def half(x):\n", "entry_point": "half",
           "test": "def check(candidate):\n    assert abs(candidate(3) - 1.5) < 1e-9\n"
                   "    assert isinstance(candidate(2), float)\n"}
GOOD = "    return x / 2\n"
HERE = Path(__file__).resolve().parent


def _sandbox_uids():
    return {s.caps["uid"] for s in servers._STATE["idle"] if s.caps.get("uid_drop")}


def _processes_of(uids):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                status = Path(f"/proc/{entry}/status").read_text()
            except OSError:
                continue
            uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
            if uid in uids:
                found.append((int(entry), uid))
    return found


@pytest.fixture(autouse=True)
def nothing_left_behind():
    yield
    uids = _sandbox_uids()
    if sandbox_capabilities()["uid_drop"]:
        assert uids, "the pool should hold servers after a run"
    assert _processes_of(uids) == []
    for server in servers._STATE["idle"]:  # the job directories, seen through the server's mount namespace
        base = f"/proc/{server.proc.pid}/root{server.caps['base']}"
        deadline = time.monotonic() + 5  # the server removes a job's directory right after sending its result
        while os.listdir(base) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert os.listdir(base) == []
    assert check_completion(PROBLEM, GOOD)["passed"]  # the pool still works after the hostile program


def _check(completion, timeout_s=2.0, memory_mb=256):
    completion = completion if completion.startswith("    ") else GOOD + completion  # keep half()'s body valid
    t0 = time.monotonic()
    v = check_completion(PROBLEM, completion, timeout_s=timeout_s, memory_mb=memory_mb)
    assert time.monotonic() - t0 < timeout_s + 5  # never hangs the caller
    assert v["passed"] is False, v
    return v


def test_infinite_loop_times_out():
    v = _check("    while True:\n        pass\n", timeout_s=1.0)
    assert (v["status"], v["error_type"]) == ("timeout", "TimeoutError") and v["duration_s"] >= 1.0


def test_fork_bomb_is_contained():
    v = _check("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
               timeout_s=1.5)
    assert v["status"] == "timeout"


def test_memory_bomb_gets_memory_error():
    v = _check("blocks = []\nwhile True:\n    blocks.append(bytearray(50 * 1024 * 1024))\n")
    assert v["error_type"] == "MemoryError"


def test_output_flood_is_capped():
    v = _check("while True:\n    print('x' * 100000)\n", timeout_s=5.0)
    assert (v["error_type"], v["status"]) == ("OSError", "failed") and "too large" in v["message"]


# A checkout under /tmp (CI clones there) is hidden from programs by the sandbox's private tmpfs, so they
# get FileNotFoundError instead of PermissionError: both mean the file cannot be touched, which the
# content checks below confirm either way.
DENIED = {"PermissionError", "FileNotFoundError"}


def test_cannot_write_modify_or_delete_outside(tmp_path):
    victim_dir = HERE / f"_hostile_{os.getpid()}"  # a root-owned 0755 dir (visible unless under /tmp)
    victim_dir.mkdir(mode=0o755)
    try:
        victim = victim_dir / "keep.txt"
        victim.write_text("original")
        code = (f"import os\nopen({str(victim)!r}, 'w').write('pwned')\n")
        assert _check(code)["error_type"] in DENIED
        assert _check(f"import os\nos.remove({str(victim)!r})\n")["error_type"] in DENIED
        assert _check(f"open({str(victim_dir / 'new.txt')!r}, 'w')\n")["error_type"] in DENIED
        assert victim.read_text() == "original" and sorted(os.listdir(victim_dir)) == ["keep.txt"]
        marker = f"/tmp/iterkd_hostile_marker_{os.getpid()}"
        v = check_completion(PROBLEM, GOOD + f"open({marker!r}, 'w').write('x')\n")
        assert v["passed"]  # /tmp in the sandbox is a private tmpfs: the write lands there and is wiped
        assert not os.path.exists(marker)
    finally:
        for f in victim_dir.iterdir():
            f.unlink()
        victim_dir.rmdir()


def test_cannot_read_private_file_outside():
    secret_dir = HERE / f"_secret_{os.getpid()}"
    secret_dir.mkdir(mode=0o755)
    secret = secret_dir / "key.txt"
    secret.write_text("TOPSECRET-42")
    secret.chmod(0o600)
    try:
        v = _check(f"SECRET = open({str(secret)!r}).read()\ndef half(x):\n    raise ValueError(SECRET)\n")
        assert v["error_type"] in DENIED and "TOPSECRET" not in v["message"]
    finally:
        secret.unlink()
        secret_dir.rmdir()


def test_no_network_even_to_the_callers_localhost():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    try:
        code = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1)\n"
        assert _check(code)["error_type"] in ("OSError", "ConnectionRefusedError")
        code = "import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=1)\n"
        assert _check(code)["error_type"] in ("OSError", "TimeoutError")
        with pytest.raises(BlockingIOError):
            listener.accept()
    finally:
        listener.close()


@pytest.mark.parametrize("completion, error_type", [
    ("import sys\nsys.exit(0)\n", "SystemExit"),
    ("import os\nos._exit(0)\n", "EarlyExit"),
    ("    import os\n    print('PASSED')\n    os._exit(0)\n", "EarlyExit"),  # exits inside the tests
    ("    import os, signal\n    os.kill(os.getpid(), signal.SIGKILL)\n", "MemoryError"),  # looks OOM-killed
])
def test_early_exit_never_passes(completion, error_type):
    assert _check(completion)["error_type"] == error_type


@pytest.mark.parametrize("completion", [
    ("import builtins\nbuiltins.abs = lambda v: 0\nbuiltins.isinstance = lambda *a: True\n"
     "abs = lambda v: 0\nisinstance = lambda *a: True\ndef half(x):\n    return 0\n"),
    ("import builtins\nbuiltins.AssertionError = type('AE', (Exception,), {})\nAssertionError = None\n"
     "def half(x):\n    return 0\n"),
    ("import builtins, sys\nbuiltins.exec = builtins.compile = lambda *a, **k: None\nsys.settrace(None)\n"
     "def check(candidate):\n    return True\ndef half(x):\n    return 0\n"),
    "print('all tests passed')\nprint('PASSED')\ndef half(x):\n    return 0\n",
])
def test_patching_builtins_or_printing_success_never_passes(completion):
    assert _check(completion)["error_type"] == "AssertionError"


def test_killing_the_parent_or_the_caller_fails_and_both_survive():
    for target in ("os.getppid()", str(os.getpid())):
        v = _check(f"import os, signal\nos.kill({target}, signal.SIGKILL)\n")
        assert v["error_type"] == "PermissionError"


@pytest.mark.parametrize("spawn", [
    "import subprocess\nsubprocess.Popen(['sleep', '60'])\n",
    "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(60)\n",
])
def test_children_sleeping_past_the_limit_are_killed(spawn):
    v = check_completion(PROBLEM, GOOD + spawn, timeout_s=2.0)
    assert v["passed"]  # the tests themselves pass; the fixture checks the sleeper is gone


def test_degrades_with_a_warning_without_namespaces(monkeypatch):
    saved = dict(servers._STATE)
    servers._STATE.update(launcher=None, caps=None, warned=False, idle=[], owner=os.getpid())
    monkeypatch.setattr(servers, "_launchers", lambda: [([], {})])
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            caps = sandbox_capabilities()
            assert check_completion(PROBLEM, GOOD)["passed"]
            assert not check_completion(PROBLEM, "    return 0\n")["passed"]
        assert caps["netns"] is False and any("network namespace" in m for m in caps["missing"])
        assert any("sandbox is weaker" in str(w.message) for w in caught)
    finally:
        servers.shutdown()
        servers._STATE.clear()
        servers._STATE.update(saved)


def test_the_limit_is_cpu_time_with_a_wall_clock_backstop():
    """timeout_s counts CPU seconds (a busy machine stretches wall time, not CPU time, so verdicts do not depend
    on load); a program that sleeps uses no CPU and is stopped only by the backstop at WALL_FACTOR x timeout_s."""
    from iterkd_lib.sandbox.servers import WALL_FACTOR

    slow_but_idle = check_completion(PROBLEM, "    import time\n    time.sleep(0.7)\n    return x / 2\n", timeout_s=1.0)
    assert slow_but_idle["passed"], slow_but_idle  # called twice: 1.4 s of wall time, almost no CPU
    asleep = check_completion(PROBLEM, "    import time\n    time.sleep(60)\n    return x / 2\n", timeout_s=1.0)
    assert asleep["status"] == "timeout" and f"wall clock > {WALL_FACTOR:g}s" in asleep["message"]
    assert WALL_FACTOR * 1.0 <= asleep["duration_s"] < 30
