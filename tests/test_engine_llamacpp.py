"""llama.cpp engine on the real bundled SmolLM2-135M GGUF: server lifecycle, errors, determinism, options, cache."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import xllamacpp  # noqa: E402,F401 - a pinned dependency: missing means a broken install, so fail, not skip

from iterkd_lib.config import BackendConfig, DecodingConfig
from iterkd_lib.models.backends import make_backend
from iterkd_lib.models.llamacpp import EngineError, LlamaCppBackend, LlamaServer, gguf_path
from iterkd_lib.models.response_cache import ResponseCache

MODEL = "smollm2-135m-instruct"
ROOT = Path(__file__).resolve().parents[1]


def _cfg(**kw) -> BackendConfig:
    base = {"backend": "llamacpp", "model": MODEL, "parallel": 2, "ctx_per_slot": 512, "max_retries": 1}
    return BackendConfig(**{**base, **kw})


@pytest.fixture(scope="module")
def backend(model_cache_dir, tmp_path_factory):
    b = make_backend(_cfg(), model_cache_dir, response_cache_dir=str(tmp_path_factory.mktemp("rc")),
                     log_dir=str(tmp_path_factory.mktemp("logs")))
    yield b
    b.close()


def _gone(pid: int, within_s: float = 10.0) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:  # an orphan that exited but is not reaped yet (a zombie) is gone too
            if Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z":
                return True
        except OSError:
            return True
        try:  # a zombie child of ours counts as gone once reaped
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
        except ChildProcessError:
            pass
        time.sleep(0.1)
    return False


def test_gguf_path_resolves_registry_names_and_rejects_others(model_cache_dir, tmp_path):
    path = gguf_path(MODEL, model_cache_dir)
    assert path.endswith(".gguf") and os.path.getsize(path) == 98362432
    with pytest.raises(ValueError, match="neither a registry short name"):
        gguf_path("no-such-model", model_cache_dir)


def test_greedy_chat_and_completion_with_usage_and_describe(backend):
    d = backend.describe()
    assert d["backend"] == "llamacpp" and d["cache_prompt"] is False and Path(d["log"]).is_file()
    greedy = DecodingConfig(temperature=0.0, max_new_tokens=12)
    a = backend.complete(["def add(a, b):\n"], greedy, seed=0)
    b = backend.complete(["def add(a, b):\n"], greedy, seed=99)  # greedy ignores the seed
    assert a == b and a[0][0].strip()
    chat = backend.chat([[{"role": "user", "content": "Say hello."}]], greedy, seed=0, n=3)
    assert len(chat[0]) == 3 and chat[0][0] == chat[0][1] == chat[0][2]
    assert backend.usage["completion_tokens"] > 0


def test_seeded_sampling_depends_on_request_and_seed_only(backend):
    dec = DecodingConfig(temperature=1.0, top_p=1.0, max_new_tokens=16)
    msgs = [[{"role": "user", "content": "Name a fruit."}], [{"role": "user", "content": "Write a short poem."}]]
    together = backend.chat(msgs, dec, seed=7, n=2, details=True)
    alone = backend.chat(msgs[:1], dec, seed=7, n=2, details=True)
    # same text whether it shared the slots with another request or not; the seed sent is recorded
    assert [a["text"] for a in together[0]] == [a["text"] for a in alone[0]]
    assert together[0][0]["sample_seed"] == backend.sample_seed(7, msgs[0], 0)
    assert together[0][0]["sample_seed"] != together[0][1]["sample_seed"]
    other = backend.chat(msgs[:1], dec, seed=8, n=2)
    assert other[0] != [a["text"] for a in alone[0]]  # 16 tokens at temperature 1: a collision would be a bug


def test_logprobs_grammar_and_json_schema(backend):
    out = backend.complete(["The capital of France is"], DecodingConfig(temperature=0.0, max_new_tokens=4), seed=0,
                           details=True, logprobs=3)[0][0]
    lp = out["logprobs"]
    assert lp and len(lp) == out["usage"]["completion_tokens"]
    assert all(t["logprob"] <= 0 and 1 <= len(t["top"]) <= 3 and t["token"] in t["top"] for t in lp)
    digits = backend.complete(["Score: "], DecodingConfig(temperature=1.0, max_new_tokens=4), seed=0, n=4,
                              grammar="root ::= [0-6]")
    assert all(len(x) == 1 and x in "0123456" for x in digits[0])
    schema = {"type": "object", "properties": {"score": {"type": "integer", "minimum": 0, "maximum": 6}},
              "required": ["score"]}
    js = backend.chat([[{"role": "user", "content": "Rate this code 0-6: def f(): pass"}]],
                      DecodingConfig(temperature=0.0, max_new_tokens=24), seed=0, json_schema=schema)
    assert 0 <= json.loads(js[0][0])["score"] <= 6
    with pytest.raises(ValueError, match="does not support"):
        backend.complete(["x"], DecodingConfig(max_new_tokens=2), seed=0, beam_width=2)


def test_cache_is_keyed_by_engine_and_options_and_resume_makes_no_calls(backend, model_cache_dir, tmp_path):
    rc = ResponseCache(str(tmp_path))
    backend.cache, saved = rc, backend.cache
    try:
        dec = DecodingConfig(temperature=0.7, max_new_tokens=8)
        first = backend.chat([[{"role": "user", "content": "Hi"}]], dec, seed=3, n=2)
        calls = backend.usage["calls"]
        again = backend.chat([[{"role": "user", "content": "Hi"}]], dec, seed=3, n=2, details=True)
        assert [a["text"] for a in again[0]] == first[0] and all(a["cached"] for a in again[0])
        assert backend.usage["calls"] == calls
        backend.chat([[{"role": "user", "content": "Hi"}]], dec, seed=3, n=1, logprobs=2)  # an option: new key
        assert backend.usage["calls"] == calls + 1
        entries = [json.loads(p.read_text()) for p in Path(tmp_path, "responses").glob("*/*.json")]
        assert len(entries) == 3
        assert {e["request"]["backend"] for e in entries} == {"llamacpp"}
        assert all(e["request"]["gguf_sha256"] and "sample_seed" in e for e in entries)
    finally:
        backend.cache = saved


def test_server_stops_on_close_and_frees_its_port(model_cache_dir, tmp_path):
    srv = LlamaServer(gguf_path(MODEL, model_cache_dir), parallel=1, ctx_per_slot=256, log_path=str(tmp_path / "s.log"))
    pid, port = srv.proc.pid, srv.port
    srv.close()
    assert _gone(pid)
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT leftovers are not a listener
        s.bind(("127.0.0.1", port))  # free again
        s.listen(1)
    srv.close()  # twice is fine


def test_close_during_a_decode_is_prompt(model_cache_dir, tmp_path):
    """SIGTERM/close while a slot is decoding ends the server at once (it used to wait for the decode, so the
    parent's 10 s SIGKILL fallback fired and a SIGTERM to `iterkd run` seemed ignored)."""
    import threading
    import urllib.request

    srv = LlamaServer(gguf_path(MODEL, model_cache_dir), parallel=1, ctx_per_slot=2048, log_path=str(tmp_path / "s.log"))
    body = json.dumps({"model": MODEL, "prompt": "Tell a long story.", "max_tokens": 1500, "ignore_eos": True})
    request = urllib.request.Request(srv.base_url + "/completions", body.encode(), {"Content-Type": "application/json"})
    ended = []

    def call():
        try:
            urllib.request.urlopen(request, timeout=120).read()
            ended.append("finished")
        except Exception as e:  # the server went away mid-decode: what we want
            ended.append(type(e).__name__)

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    time.sleep(3)                       # the decode is running (1500 tokens take far longer than this)
    t0 = time.time()
    srv.close()
    assert time.time() - t0 < 5, f"close took {time.time() - t0:.1f} s"
    worker.join(30)
    assert ended and ended[0] != "finished"


def test_port_taken_is_a_clear_error(model_cache_dir, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        with pytest.raises(EngineError, match=f"port {port} .* already in use"):
            make_backend(_cfg(port=port), model_cache_dir, cache=False, log_dir=str(tmp_path))


def test_engine_missing_is_a_clear_error(model_cache_dir, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "xllamacpp", None)  # import fails as if not installed
    with pytest.raises(EngineError, match="xllamacpp.*not installed"):
        LlamaServer(gguf_path(MODEL, model_cache_dir), log_path=str(tmp_path / "s.log"))


def test_server_that_cannot_start_names_its_log(tmp_path):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"not a gguf file" * 100)
    with pytest.raises(EngineError, match="exited .* while starting; see its log .*s.log") as e:
        LlamaServer(str(bad), parallel=1, ctx_per_slot=256, log_path=str(tmp_path / "s.log"), start_timeout_s=60)
    assert "s.log" in str(e.value)


def test_crash_mid_call_names_engine_and_log(model_cache_dir, tmp_path):
    b = LlamaCppBackend(_cfg(parallel=1, max_retries=5), None, model_cache_dir, log_dir=str(tmp_path))
    try:
        b.retry_base_s = 2.0   # 5 retries would back off for ~60 s: a dead server must not be retried at all
        os.kill(b.server.proc.pid, signal.SIGKILL)
        b.server.proc.wait(10)
        t0 = time.monotonic()
        with pytest.raises(EngineError, match=r"llama.cpp .*server died .*see its log .*llamacpp-smollm2"):
            b.complete(["def f():"], DecodingConfig(max_new_tokens=4), seed=0)
        assert time.monotonic() - t0 < 10.0
    finally:
        b.close()


_PARENT = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from iterkd_lib.models.llamacpp import LlamaServer, gguf_path
    srv = LlamaServer(gguf_path({model!r}, {cache!r}), parallel=1, ctx_per_slot=256, log_path={log!r})
    print(srv.proc.pid, flush=True)
    time.sleep(600)
""")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_no_orphan_server_after_the_parent_is_killed(sig, model_cache_dir, tmp_path):
    code = _PARENT.format(root=str(ROOT), model=MODEL, cache=model_cache_dir, log=str(tmp_path / "s.log"))
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        line = parent.stdout.readline()
        assert line.strip().isdigit(), f"parent did not start the server: {line!r}"
        child = int(line)
        os.kill(child, 0)  # running
        parent.send_signal(sig)  # SIGKILL: PDEATHSIG / watchdog; SIGTERM: our handler stops the server
        parent.wait(30)
        assert _gone(child, 15), f"server {child} outlived its parent ({signal.Signals(sig).name})"
    finally:
        if parent.poll() is None:
            parent.kill()
