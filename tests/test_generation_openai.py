"""OpenAI-compatible backend against a real HTTP server on 127.0.0.1 that speaks the protocol.

The server misbehaves on purpose (429, 500, a malformed body) before answering; the backend must retry
through all of it, count usage, and cache every answer on disk so a new backend (a "restart") makes no
new requests.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from iterkd_lib.config import BackendConfig, DecodingConfig
from iterkd_lib.models.backends import make_backend
from iterkd_lib.models.openai_backend import OpenAIBackend


class FakeOpenAIServer:
    """Plays a script of failures, then answers; records every request body."""

    def __init__(self, script=(), delay_s=0.0):
        self.script, self.delay_s = list(script), delay_s
        self.requests, self.in_flight, self.max_in_flight = [], 0, 0
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server.lock:
                    server.requests.append({"path": self.path, "body": body})
                    action = server.script.pop(0) if server.script else "ok"
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    time.sleep(server.delay_s)
                    self._respond(action, body)
                finally:
                    with server.lock:
                        server.in_flight -= 1

            def _respond(self, action, body):
                if action in (429, 500, 400):
                    payload = json.dumps({"error": {"message": f"scripted {action}", "type": "x"}}).encode()
                    self.send_response(action)
                    if action == 429:
                        self.send_header("Retry-After", "0")
                elif action == "malformed":
                    payload = b'{"id": "x", "choices": [ {"index": 0, "message": '
                    self.send_response(200)
                else:
                    text = f"```python\ndef f():\n    return {body.get('seed')}\n```"
                    reason = "length" if action == "length" else "stop"   # "length": cut at max_tokens
                    if self.path.endswith("/chat/completions"):
                        choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": reason}
                        obj = "chat.completion"
                    else:
                        choice = {"index": 0, "text": f"    return {body.get('seed')}\n", "finish_reason": reason}
                        obj = "text_completion"
                    payload = json.dumps({"id": "c1", "object": obj, "created": 0, "model": body["model"],
                                          "choices": [choice], "usage": {"prompt_tokens": 11, "completion_tokens": 7,
                                                                         "total_tokens": 18}}).encode()
                    self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    monkeypatch.setenv("ITERKD_TEST_KEY", "sk-test")
    monkeypatch.setattr(OpenAIBackend, "retry_base_s", 0.01)


def cfg(url, **kw):
    return BackendConfig(backend="openai", model="teacher-x", base_url=url, api_key_env="ITERKD_TEST_KEY",
                         request_timeout_s=5.0, **kw)


MSGS = [[{"role": "user", "content": "Write f."}]]
GREEDY = DecodingConfig(temperature=0.0, max_new_tokens=32)


def test_retries_through_429_500_malformed_then_cache_survives_restart(tmp_path):
    with FakeOpenAIServer(script=[429, 500, "malformed"]) as srv:
        backend = make_backend(cfg(srv.url, max_retries=5), str(tmp_path))
        out = backend.chat(MSGS, GREEDY, seed=3)
        assert len(srv.requests) == 4
        assert out[0][0].startswith("```python\ndef f():")
        assert backend.usage == {"calls": 1, "prompt_tokens": 11, "completion_tokens": 7, "cache_hits": 0,
                                 "answers": 1, "cut_at_length": 0, "cached_prompt": 0, "cached_completion": 0}
        assert backend.last_finish_reasons == [["stop"]]
        sent = srv.requests[-1]["body"]
        assert sent["messages"] == MSGS[0] and sent["max_tokens"] == 32 and sent["temperature"] == 0.0

        restarted = make_backend(cfg(srv.url, max_retries=5), str(tmp_path))
        assert restarted.chat(MSGS, GREEDY, seed=3) == out
        assert len(srv.requests) == 4  # nothing new reached the server
        assert restarted.usage["cache_hits"] == 1 and restarted.usage["calls"] == 0
        # the cached reply still counts what it cost when paid for (a method's budget includes it)
        assert restarted.usage["cached_prompt"] == 11 and restarted.usage["cached_completion"] == 7
        assert restarted.usage["prompt_tokens"] == 0
        # a different seed or decoding is a different request
        restarted.chat(MSGS, DecodingConfig(temperature=0.0, max_new_tokens=33), seed=3)
        assert len(srv.requests) == 5
    assert len(list((tmp_path / "responses").glob("*/*.json"))) == 2


def test_gives_up_after_max_retries(tmp_path):
    with FakeOpenAIServer(script=[500] * 10) as srv:
        backend = make_backend(cfg(srv.url, max_retries=2), str(tmp_path))
        with pytest.raises(RuntimeError, match="giving up after 3 attempts"):
            backend.chat(MSGS, GREEDY, seed=0)
        assert len(srv.requests) == 3


def test_answers_are_cached_as_they_arrive_even_when_a_later_request_fails(tmp_path):
    import openai

    with FakeOpenAIServer(script=["ok", 400]) as srv:
        backend = make_backend(cfg(srv.url, max_concurrency=1), str(tmp_path))
        two = [[{"role": "user", "content": "first"}], [{"role": "user", "content": "second"}]]
        with pytest.raises(openai.BadRequestError):
            backend.chat(two, GREEDY, seed=0)
        resumed = make_backend(cfg(srv.url, max_concurrency=1), str(tmp_path))
        resumed.chat(two, GREEDY, seed=0)
        assert resumed.usage["cache_hits"] == 1 and resumed.usage["calls"] == 1 and len(srv.requests) == 3


def test_client_errors_are_not_retried(tmp_path):
    import openai

    with FakeOpenAIServer(script=[400]) as srv:
        backend = make_backend(cfg(srv.url, max_retries=5), str(tmp_path))
        with pytest.raises(openai.BadRequestError):
            backend.chat(MSGS, GREEDY, seed=0)
        assert len(srv.requests) == 1


def test_concurrency_limit_and_per_sample_seeds(tmp_path):
    with FakeOpenAIServer(delay_s=0.15) as srv:
        backend = make_backend(cfg(srv.url, max_concurrency=2), str(tmp_path), cache=False)
        sampling = DecodingConfig(temperature=0.8, top_p=0.9, max_new_tokens=16, stop=["\n\n\n"])
        out = backend.chat(MSGS * 3, sampling, seed=7, n=2)
        # the limit holds (on a loaded machine the requests may not overlap at all, so <= rather than ==)
        assert len(srv.requests) == 6 and 1 <= srv.max_in_flight <= 2
        assert [len(o) for o in out] == [2, 2, 2]
        seeds = {r["body"]["seed"] for r in srv.requests}
        assert len(seeds) == 2  # sample 0 and sample 1; the same conversation gets the same seeds
        assert all(r["body"]["top_p"] == 0.9 and r["body"]["stop"] == ["\n\n\n"] for r in srv.requests)
        # greedy with n > 1: one request, n identical answers (documented)
        srv.requests.clear()
        assert len(set(backend.chat(MSGS, GREEDY, seed=7, n=3)[0])) == 1 and len(srv.requests) == 1


def test_a_progress_bar_counts_the_answers_generated(tmp_path, capsys):
    with FakeOpenAIServer() as srv:
        backend = make_backend(cfg(srv.url), str(tmp_path))
        backend.chat(MSGS * 3, DecodingConfig(temperature=0.5, max_new_tokens=8), seed=1)
        err = capsys.readouterr().err
        assert "teacher-x (chat)" in err and "/3 [" in err  # the bar names the model and counts 3 answers
        backend.chat(MSGS * 3, DecodingConfig(temperature=0.5, max_new_tokens=8), seed=1)
        assert "teacher-x (chat)" not in capsys.readouterr().err  # all from the cache: nothing to wait for


def test_complete_uses_the_completions_endpoint(tmp_path):
    with FakeOpenAIServer() as srv:
        backend = make_backend(cfg(srv.url), str(tmp_path))
        out = backend.complete(["def f():\n"], GREEDY, seed=1)
        assert srv.requests[0]["path"] == "/v1/completions" and out[0][0].startswith("    return ")
        assert backend.describe()["backend"] == "openai" and backend.describe()["model"] == "teacher-x"


def test_missing_api_key_names_the_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("ITERKD_TEST_KEY")
    with pytest.raises(ValueError, match="ITERKD_TEST_KEY"):
        make_backend(cfg("http://127.0.0.1:9/v1"), str(tmp_path))


def test_finish_reasons_are_reported_and_survive_the_cache(tmp_path):
    with FakeOpenAIServer(script=["ok", "length"]) as srv:
        backend = make_backend(cfg(srv.url), str(tmp_path))
        msgs = [[{"role": "user", "content": "Write f."}], [{"role": "user", "content": "Write g."}]]
        backend.chat(msgs, GREEDY, seed=1)   # concurrent requests: which one gets "length" is not fixed
        assert sorted(r for row in backend.last_finish_reasons for r in row) == ["length", "stop"]
        assert backend.usage["answers"] == 2 and backend.usage["cut_at_length"] == 1
        first = backend.last_finish_reasons
        again = make_backend(cfg(srv.url), str(tmp_path))
        again.chat(msgs, GREEDY, seed=1)
        assert again.last_finish_reasons == first and again.usage["cache_hits"] == 2
        assert again.usage["cut_at_length"] == 1 and len(srv.requests) == 2
