"""CTranslate2 engine on the real bundled SmolLM2-135M: conversion cached by checksum, generation contract."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from iterkd_lib.config import BackendConfig, DecodingConfig
from iterkd_lib.models.backends import make_backend
from iterkd_lib.models.response_cache import ResponseCache

# slow: the first run converts SmolLM2 (~20 s quiet, minutes on a busy machine); later runs reuse the copy
pytestmark = pytest.mark.slow

import ctranslate2  # noqa: E402,F401 - a pinned dependency: missing means a broken install, so fail, not skip

from iterkd_lib.models.ct2 import CT2_MANIFEST, CT2Backend, ct2_model_dir


@pytest.fixture(scope="module")
def ct2_dir(tiny_model_dir, model_cache_dir):
    return ct2_model_dir(tiny_model_dir, model_cache_dir, "int8", name="smollm2-135m-instruct")


def test_conversion_is_cached_and_keyed_by_source_and_settings(ct2_dir, tiny_model_dir, model_cache_dir):
    meta = json.loads((Path(ct2_dir) / CT2_MANIFEST).read_text())
    assert meta["compute_type"] == "int8" and meta["source"] == tiny_model_dir
    assert (Path(ct2_dir) / "model.bin").is_file() and (Path(ct2_dir) / "hf_tokenizer").is_dir()
    t0 = time.perf_counter()
    again = ct2_model_dir(tiny_model_dir, model_cache_dir, "int8", name="smollm2-135m-instruct")
    assert again == ct2_dir and time.perf_counter() - t0 < 5.0  # found, not converted again
    # the directory name carries the key: settings + source checksums + engine version
    assert Path(ct2_dir).name.startswith("smollm2-135m-instruct-int8-")


def test_greedy_chat_complete_stops_usage_and_cache(ct2_dir, tmp_path):
    b = CT2Backend(ct2_dir, "smollm2-135m-instruct", batch_size=2, threads=1, cache=ResponseCache(str(tmp_path)))
    d = b.describe()
    assert d["backend"] == "ctranslate2" and d["compute_type"] == "int8" and d["source_fingerprint"]
    greedy = DecodingConfig(temperature=0.0, max_new_tokens=12)
    prompts = ["def add(a, b):\n", "def is_even(n):\n", "import os\n"]
    first = b.complete(prompts, greedy, seed=0, n=2)
    assert all(len(row) == 2 and row[0] == row[1] and row[0].strip() for row in first)
    alone = CT2Backend(ct2_dir, "smollm2-135m-instruct", batch_size=1).complete(prompts[:1], greedy, seed=5)
    assert alone[0][0] == first[0][0]  # greedy: independent of batch-mates and seed
    calls = b.usage["calls"]
    assert b.complete(prompts, greedy, seed=0, n=2) == first and b.usage["calls"] == calls  # from the cache
    # a stop string ends the row; the text is cut before it
    stopped = b.complete(["def add(a, b):\n"], DecodingConfig(temperature=0.0, max_new_tokens=16, stop=["\n"]), seed=0)
    assert "\n" not in stopped[0][0]
    chat = b.chat([[{"role": "user", "content": "Say hello."}]], DecodingConfig(temperature=0.7, max_new_tokens=8),
                  seed=1, n=3, details=True)
    assert [a["sample_index"] for a in chat[0]] == [0, 1, 2] and all(isinstance(a["text"], str) for a in chat[0])
    assert 0 < b.usage["completion_tokens"]
    with pytest.raises(ValueError, match="does not support"):
        b.complete(["x"], greedy, seed=0, logprobs=2)


def test_make_backend_builds_ct2_from_config(tiny_model_dir, model_cache_dir, ct2_dir):
    b = make_backend(BackendConfig(backend="ctranslate2", model=tiny_model_dir, batch_size=2), model_cache_dir,
                     cache=False)
    assert isinstance(b, CT2Backend) and b.describe()["path"].startswith(str(Path(model_cache_dir) / "ct2"))
