"""Static views of solutions: pylint score and messages, ruff messages, and the compile-and-run view.

pylint runs in a long-lived worker subprocess (never in the caller: in-process pylint leaks memory and
returns stale results for a re-used module name, and a pylint crash must not take the caller down). Each
batch of codes is written to files with unique module names, linted in one pylint run (~4 ms a snippet
instead of ~500 ms for a subprocess per snippet), and the worker is recycled every `_RECYCLE_AFTER`
snippets. The score per snippet is pylint's default evaluation, computed from that module's own counts:
`10 - 10 * (5*errors + warnings + refactors + conventions) / statements`, clamped at 0; 0 when fatal.
Generated code is only parsed here, never imported or run (`compile_run_view` runs it in the sandbox).

Not covered: an LLM judge (`scoring/judge_parser.py`); which checks count is pylint's default configuration.

Entry points: `pylint_views(codes)`, `ruff_views(codes)`, `compile_run_view(code, timeout_s)`.
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from iterkd_lib.sandbox.execution import run_code

_RECYCLE_AFTER = 2000
_BATCH = 100
_CATEGORIES = ("convention", "refactor", "warning", "error", "fatal")

_WORKER_SRC = r'''
import json, sys
import astroid
from pylint.lint import Run
from pylint.reporters import CollectingReporter
out = sys.stdout
sys.stdout = sys.stderr  # pylint prints to stdout; keep our protocol channel clean
for line in sys.stdin:
    paths = json.loads(line)
    rep = CollectingReporter()
    run = Run(["--persistent=n", "--jobs=1", "--score=n", "--rcfile=/dev/null", *paths], reporter=rep, exit=False)
    by_module = {m: {k: int(v) for k, v in s.items()} for m, s in run.linter.stats.by_module.items()}
    msgs = [{"module": m.module, "symbol": m.symbol, "category": m.category, "line": m.line, "message": m.msg}
            for m in rep.messages]
    for m in by_module:
        astroid.MANAGER.astroid_cache.pop(m, None)  # unique names anyway; this only bounds memory
    out.write(json.dumps({"by_module": by_module, "messages": msgs}) + "\n")
    out.flush()
'''

_LOCK = threading.Lock()
_WORKER: dict = {"proc": None, "used": 0}


def _start_worker() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-I", "-c", _WORKER_SRC], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)


def _stop_worker() -> None:
    proc = _WORKER["proc"]
    _WORKER.update(proc=None, used=0)
    if proc is not None:
        proc.kill()
        proc.wait()


def _lint_batch(paths: list[str], cwd: str, timeout_s: float) -> dict | None:
    del cwd  # the worker gets absolute paths and --rcfile=/dev/null, so no project config leaks in
    if _WORKER["proc"] is None or _WORKER["proc"].poll() is not None or _WORKER["used"] >= _RECYCLE_AFTER:
        _stop_worker()
        _WORKER["proc"] = _start_worker()
    proc = _WORKER["proc"]
    _WORKER["used"] += len(paths)
    try:
        proc.stdin.write((json.dumps(paths) + "\n").encode())
        proc.stdin.flush()
    except OSError:
        _stop_worker()
        return None
    buf, deadline, fd = b"", time.monotonic() + timeout_s, proc.stdout.fileno()
    while not buf.endswith(b"\n"):
        left = deadline - time.monotonic()
        ready = select.select([fd], [], [], max(0.0, left))[0] if left > 0 else []
        chunk = os.read(fd, 1 << 20) if ready else b""
        if not chunk:
            _stop_worker()
            return None
        buf += chunk
    return json.loads(buf)


def _score(stats: dict | None, messages: list[dict]) -> float:
    if stats is None or any(m["category"] == "fatal" for m in messages):
        return 0.0
    statements = stats.get("statement", 0)
    if statements == 0:
        return 0.0 if stats.get("error", 0) else 10.0
    penalty = 5 * stats.get("error", 0) + stats.get("warning", 0) + stats.get("refactor", 0) \
        + stats.get("convention", 0)
    return round(max(0.0, 10.0 - 10.0 * penalty / statements), 4)


def pylint_views(codes: list[str]) -> list[dict]:
    """{"score": 0-10, "messages": [{symbol, category, line, message}]} per code, in input order."""
    with _LOCK, tempfile.TemporaryDirectory(prefix="iterkd-pylint-") as tmp:
        return _lint_codes(codes, tmp)


def _lint_codes(codes: list[str], tmp: str) -> list[dict]:
    views: list[dict] = []
    for start in range(0, len(codes), _BATCH):
        batch = codes[start:start + _BATCH]
        # names from the content (and the position, for twins): pylint quotes them in messages, and a rerun
        # of the same attempts must write the same records (the resume test compares them)
        names = [f"m_{start + i}_{hashlib.sha256(code.encode()).hexdigest()[:16]}" for i, code in enumerate(batch)]
        paths = [str(Path(tmp, name + ".py")) for name in names]
        for path, code in zip(paths, batch):
            Path(path).write_text(code, encoding="utf-8")
        result = _lint_batch(paths, tmp, timeout_s=60.0 + 2.0 * len(batch))
        for path in paths:
            os.unlink(path)
        if result is None and len(batch) > 1:  # one snippet broke pylint: lint singly so it costs only its view
            for code in batch:
                views.extend(_lint_codes([code], tmp))
            continue
        for name in names:
            if result is None:
                views.append({"score": 0.0, "messages": [{"symbol": "pylint-crash", "category": "fatal",
                                                          "line": 0, "message": "pylint failed on this code"}]})
                continue
            msgs = [{k: m[k] for k in ("symbol", "category", "line", "message")}
                    for m in result["messages"] if m["module"] == name and m["category"] in _CATEGORIES]
            views.append({"score": _score(result["by_module"].get(name), msgs), "messages": msgs})
    return views


def _ruff_binary() -> str:
    local = Path(sys.executable).with_name("ruff")
    found = str(local) if local.exists() else shutil.which("ruff")
    if not found:
        raise FileNotFoundError("ruff binary not found next to the Python interpreter or on PATH")
    return found


def ruff_views(codes: list[str]) -> list[dict]:
    """{"count": n, "messages": [{code, line, message}]} per code, ruff's default rules, no project config."""
    with tempfile.TemporaryDirectory(prefix="iterkd-ruff-") as tmp:
        names = []
        for i, code in enumerate(codes):
            names.append(str(Path(tmp, f"s{i}.py").resolve()))
            Path(names[-1]).write_text(code, encoding="utf-8")
        if not codes:
            return []
        proc = subprocess.run([_ruff_binary(), "check", "--isolated", "--no-cache", "--exit-zero",
                               "--output-format", "json", *names], capture_output=True, text=True, timeout=120,
                              check=False, cwd=tmp)
        if proc.returncode != 0:
            raise RuntimeError(f"ruff failed (exit {proc.returncode}): {proc.stderr[-500:]}")
        per_file: dict[str, list] = {n: [] for n in names}
        for m in json.loads(proc.stdout or "[]"):
            per_file.setdefault(str(Path(m["filename"]).resolve()), []).append(
                {"code": m.get("code") or "syntax-error", "line": m["location"]["row"], "message": m["message"]})
    return [{"count": len(per_file[n]), "messages": per_file[n]} for n in names]


def compile_run_view(code: str, timeout_s: float = 5.0) -> dict:
    """The paper's "static tool" view: does the code compile, and does it run (as __main__) without error?"""
    v = run_code(code, timeout_s=timeout_s)
    if v["passed"]:
        return {"ok": True, "stage": "run", "error_type": None, "message": ""}
    stage = "compile" if v.get("stage") == "compile" else "run"
    return {"ok": False, "stage": stage, "error_type": v["error_type"], "message": v["message"]}
