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


def test_trained_student_evaluates_on_ctranslate2_as_on_transformers(tiny_model_dir, model_cache_dir, tmp_path):
    """evaluation.engine=ctranslate2: the cycle's adapter is merged, converted once into the cycle folder, and
    greedy answers equal those of the merged transformers model (float32 copy: same weights, same math)."""
    import torch

    from iterkd_lib.config import load_config
    from iterkd_lib.models.ct2 import convert_merged
    from iterkd_lib.models.student import load_student, save_adapter
    from iterkd_lib.runs import adapter_dir, create_run

    cfg = load_config("configs/smoke.yaml", [f"student.model={tiny_model_dir}", "student.dtype=float32",
                                             f"run.cache_dir={model_cache_dir}", "run.torch_threads=1",
                                             f"run.response_cache_dir={tmp_path / 'responses'}",
                                             "evaluation.engine=ctranslate2", "evaluation.engine_compute_type=float32"])
    run = create_run(cfg, tmp_path / "run")
    model, _ = load_student(cfg.student, model_cache_dir, trainable=True)
    torch.manual_seed(0)
    with torch.no_grad():   # a fresh LoRA's B is zero (merging changes nothing): give it weights that matter
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(0.0, 0.02)
    save_adapter(model, str(adapter_dir(run, 1)), {"cycle": 1})
    with pytest.raises(ValueError, match="LoRA layers"):
        convert_merged(model, None, str(tmp_path / "x"), "unmerged")
    del model

    greedy = DecodingConfig(temperature=0.0, max_new_tokens=16)
    prompts = ["def add(a, b):\n", "def is_even(n):\n    \"\"\"True when n is even.\"\"\"\n"]
    hf_student = run.student(1)
    hf_out = hf_student.complete(prompts, greedy, seed=0)
    base_out = run.student(0).complete(prompts, greedy, seed=0)
    ct2 = run.student(1, engine="ctranslate2")
    assert isinstance(ct2, CT2Backend) and ct2.describe()["compute_type"] == "float32"
    assert Path(ct2.dir).parent.parent == run.store.cycle_dir(1) / "student_ct2"
    assert [p.name for p in (run.store.cycle_dir(1) / "student_ct2").iterdir() if p.name.startswith(".merged")] == []
    assert ct2.complete(prompts, greedy, seed=0) == hf_out
    run.release_student()   # a resumed evaluation: the same converted weights answer from the response cache
    again = run.student(1, engine="ctranslate2")
    assert again.complete(prompts, greedy, seed=0) == hf_out and again.usage["cache_hits"] == len(prompts)
    assert again.usage["calls"] == 0 and again.dir == ct2.dir   # nor converted twice
    assert hf_out != base_out   # the adapter changed the answers, so the comparison above is not the base model's
    # cycle 0 on the engine is the base model's cached copy, shared by all runs
    assert Path(run.student(0, engine="ctranslate2").dir).parent == Path(model_cache_dir) / "ct2"
