"""Local transformers backend on the real bundled SmolLM2-135M-Instruct (offline, CPU)."""

import pytest

from iterkd_lib.config import BackendConfig, DecodingConfig
from iterkd_lib.models.backends import make_backend, settings_record
from iterkd_lib.models.hf_backend import LocalBackend, load_local_model
from iterkd_lib.models.response_cache import ResponseCache
from iterkd_lib.scoring.code_extraction import completion_from_code, extract_code, truncate_completion


@pytest.fixture(scope="module")
def tiny(tiny_model_dir):
    return load_local_model(tiny_model_dir, "float32")


def test_generates_code_for_a_humaneval_prompt_both_protocols(tiny_model_dir, tmp_path, humaneval_problems):
    # a model path works in place of a short name; the response cache lives in tmp_path
    backend = make_backend(BackendConfig(model=tiny_model_dir, dtype="float32", batch_size=2), str(tmp_path))
    problem = humaneval_problems[2]  # truncate_number: short prompt
    greedy = DecodingConfig(temperature=0.0, max_new_tokens=48)
    raw = backend.complete([problem["prompt"]], greedy, seed=0)[0][0]
    # SmolLM2 is weak at raw continuation (it scores 0/164): only check that it continued the prompt
    assert isinstance(raw, str) and raw.strip() and isinstance(truncate_completion(raw), str)
    msgs = [[{"role": "user", "content": "Complete this Python function:\n" + problem["prompt"]}]]
    answer = backend.chat(msgs, DecodingConfig(temperature=0.0, max_new_tokens=64), seed=0)[0][0]
    code = extract_code(answer, problem["entry_point"])
    assert "def " in code or "return" in code, answer
    assert completion_from_code(problem, code).strip()
    assert backend.usage["calls"] == 2 and 0 < backend.usage["completion_tokens"] <= 48 + 64
    rec = settings_record(backend, greedy, 0)
    assert rec["backend"]["dtype"] == "float32" and rec["decoding"]["max_new_tokens"] == 48 and rec["seed"] == 0


def test_batched_greedy_equals_single_stream(tiny):
    model, tok = tiny
    prompts = ["def add(a, b):\n", "import math\n\ndef circle_area(r):\n    \"\"\"Area of a circle.\"\"\"\n",
               "# reverse a string\ndef rev(s):"]
    dec = DecodingConfig(temperature=0.0, max_new_tokens=16)
    single = LocalBackend(model, tok, "tiny", batch_size=1).complete(prompts, dec, seed=0)
    batched = LocalBackend(model, tok, "tiny", batch_size=3).complete(prompts, dec, seed=0)
    assert single == batched


def test_sampling_seeds_reproducible_and_independent_of_batch(tiny):
    model, tok = tiny
    msgs = [[{"role": "user", "content": "Write a Python function that reverses a list."}],
            [{"role": "user", "content": "Name a fruit."}]]
    dec = DecodingConfig(temperature=1.0, top_p=0.95, max_new_tokens=12)
    b = LocalBackend(model, tok, "tiny", batch_size=4)
    first = b.chat(msgs, dec, seed=11, n=3)
    assert b.chat(msgs, dec, seed=11, n=3) == first
    assert len(set(first[0])) > 1  # three samples, not three copies
    alone = LocalBackend(model, tok, "tiny", batch_size=1).chat(msgs[:1], dec, seed=11, n=3)
    assert alone[0] == first[0]  # same request, different batch neighbours -> same samples
    assert b.chat(msgs[:1], dec, seed=12, n=3)[0] != first[0]


def test_stop_strings_cut_output_and_end_generation_early(tiny):
    model, tok = tiny
    b = LocalBackend(model, tok, "tiny", batch_size=2)
    dec = DecodingConfig(temperature=0.0, max_new_tokens=64, stop=["\n"])
    out = b.complete(["def add(a, b):\n    return a + b\n\ndef sub(a, b):", "x = 1\ny = 2\nz ="], dec, seed=0)
    assert all("\n" not in o[0] for o in out)
    assert b.usage["completion_tokens"] < 2 * 64  # stopping criteria ended generation, not just the cut


def test_response_cache_across_restart_and_uncached_student(tiny, tmp_path):
    model, tok = tiny
    dec = DecodingConfig(temperature=0.7, max_new_tokens=8)
    first = LocalBackend(model, tok, "tiny", cache=ResponseCache(str(tmp_path)))
    out = first.complete(["def f():"], dec, seed=5, n=2)
    again = LocalBackend(model, tok, "tiny", cache=ResponseCache(str(tmp_path)))
    assert again.complete(["def f():"], dec, seed=5, n=2) == out
    assert again.usage["cache_hits"] == 2 and again.usage["calls"] == 0
    student = LocalBackend.from_model(model, tok, "student")
    assert student.cache is None and student.describe()["cached"] is False
    fp = LocalBackend.from_model(model, tok, "student", cache_dir=str(tmp_path), fingerprint="abc")
    assert fp.describe()["fingerprint"] == "abc" and fp.cache is not None


def test_finish_reason_length_when_the_budget_runs_out(tiny, tmp_path):
    model, tok = tiny
    b = LocalBackend(model, tok, "tiny", batch_size=2, cache=ResponseCache(str(tmp_path)))
    prompts = ["def add(a, b):\n    return a + b\n\ndef sub(a, b):", "x = 1\ny = 2\nz ="]
    b.complete(prompts, DecodingConfig(temperature=0.0, max_new_tokens=3), seed=0)
    assert b.last_finish_reasons == [["length"], ["length"]]    # 3 tokens end no line of code
    assert b.usage["answers"] == 2 and b.usage["cut_at_length"] == 2
    b.complete(prompts, DecodingConfig(temperature=0.0, max_new_tokens=64, stop=["\n"]), seed=0)
    assert b.last_finish_reasons == [["stop"], ["stop"]] and b.usage["cut_at_length"] == 2
    again = LocalBackend(model, tok, "tiny", batch_size=2, cache=ResponseCache(str(tmp_path)))
    again.complete(prompts, DecodingConfig(temperature=0.0, max_new_tokens=3), seed=0, n=2)
    assert again.last_finish_reasons == [["length"] * 2] * 2 and again.usage["cut_at_length"] == 4
