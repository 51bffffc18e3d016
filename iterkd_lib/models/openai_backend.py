"""The OpenAI-compatible client backend: any server that speaks the OpenAI API (vLLM, TGI, llama.cpp, OpenAI).

`OpenAIBackend` sends each sample as one request through the official `openai` client, up to
`max_concurrency` at a time, with the per-sample seed, the decoding settings, the first `max_stops` stop
strings (the protocol allows four; the rest are cut here) and the optional `logprobs` / `json_schema`
request options. Retries: exponential backoff (base `retry_base_s`, jitter 0.5-1.5x, at least the server's
`retry-after` up to 60 s) on 429, 5xx, timeouts, connection errors and malformed bodies, up to
`BackendConfig.max_retries`; then RuntimeError. The request bookkeeping (n samples, the response cache,
usage and finish reasons) is `models.backends.BackendBase`'s.

Not covered: starting a server (models/llamacpp.py subclasses this for the llama.cpp server it starts),
streaming, tool calls; choosing a backend from config (`models.backends.make_backend`).
Entry point: `OpenAIBackend`.
"""

from __future__ import annotations

import os
import random
import time
from concurrent.futures import ThreadPoolExecutor

from iterkd_lib.config import BackendConfig
from iterkd_lib.models.backends import BackendBase, cut_at_stop
from iterkd_lib.models.response_cache import ResponseCache


class OpenAIBackend(BackendBase):
    """A model behind an OpenAI-compatible server (vLLM, TGI, llama.cpp, OpenAI); retries with backoff."""
    kind = "openai"
    retry_base_s = 1.0  # tests lower this; production servers want a real pause

    def __init__(self, cfg: BackendConfig, cache: ResponseCache | None):
        super().__init__(cache)
        import openai

        key = os.environ.get(cfg.api_key_env)
        if not key:
            raise ValueError(f"OpenAI backend: environment variable {cfg.api_key_env} is not set (local servers "
                             f"such as vLLM accept any value, e.g. `export {cfg.api_key_env}=EMPTY`)")
        self.cfg = cfg
        # max_retries=0: retries live in _call so malformed bodies and empty answers are retried too.
        self.client = openai.OpenAI(base_url=cfg.base_url or None, api_key=key, timeout=cfg.request_timeout_s,
                                    max_retries=0)

    def _identity(self) -> dict:
        return {"backend": "openai", "model": self.cfg.model, "base_url": self.cfg.base_url}

    def describe(self) -> dict:
        """{backend, model, base_url}: what produced an output, stored next to it."""
        import openai

        return {**self._identity(), "max_concurrency": self.cfg.max_concurrency, "max_retries": self.cfg.max_retries,
                "openai": openai.__version__, "cached": self.cache is not None}

    def _generate(self, mode, jobs, decoding, done) -> None:
        pool = ThreadPoolExecutor(max_workers=self.cfg.max_concurrency)
        try:
            list(pool.map(lambda job: done(job, *self._call(mode, job, decoding)), jobs))
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)   # Ctrl-C / SIGTERM: queued requests are not sent
            raise
        pool.shutdown()

    def _may_retry(self) -> bool:
        """Whether a failed request is worth retrying; False once the server this backend runs is gone
        (models/llamacpp.py), so an interrupted run stops in seconds instead of backing off against it."""
        return True

    supported_options = frozenset({"logprobs", "json_schema"})
    max_stops: int | None = 4  # stop strings sent to the server (OpenAI allows 4); None = all

    def _extra_body(self, job: dict, decoding, options: dict) -> dict:
        """Engine-specific request fields (none for a generic server; see models/llamacpp.py)."""
        return {}

    def _request_once(self, mode, job, decoding) -> tuple[str, dict, list | None]:
        options = job.get("options") or {}
        args = {"model": self.cfg.model, "max_tokens": decoding.max_new_tokens, "seed": job["seed"],
                "temperature": decoding.temperature}
        if decoding.temperature > 0:
            args["top_p"] = decoding.top_p
        if decoding.stop:
            args["stop"] = list(decoding.stop)[: self.max_stops]  # the protocol allows four; the rest are cut here
        extra = self._extra_body(job, decoding, options)
        if extra:
            args["extra_body"] = extra
        k = options.get("logprobs")
        if mode == "chat":
            if k:
                args.update(logprobs=True, top_logprobs=int(k))
            if options.get("json_schema") and "json_schema" not in extra:
                args["response_format"] = {"type": "json_schema",
                                           "json_schema": {"name": "answer", "schema": options["json_schema"]}}
            resp = self.client.chat.completions.create(messages=job["item"], **args)
            text = resp.choices[0].message.content
        else:
            if options.get("json_schema") and "json_schema" not in extra:
                raise ValueError(f"backend '{self.kind}': json_schema needs chat mode on a generic server")
            if k:
                args["logprobs"] = int(k)
            resp = self.client.completions.create(prompt=job["item"], **args)
            text = resp.choices[0].text
        if not isinstance(text, str):
            raise TypeError("response without text")  # a malformed answer: retried like a bad body
        u = resp.usage
        usage = {"prompt_tokens": getattr(u, "prompt_tokens", 0) or 0,
                 "completion_tokens": getattr(u, "completion_tokens", 0) or 0}
        reason = getattr(resp.choices[0], "finish_reason", None)
        if cut_at_stop(text, decoding.stop) != text:
            usage["finish_reason"] = "stop"   # a stop string beyond the four sent, cut here
        elif reason in ("stop", "length"):
            usage["finish_reason"] = reason
        return cut_at_stop(text, decoding.stop), usage, (_logprobs_of(resp.choices[0], mode) if k else None)

    def _call(self, mode, job, decoding) -> tuple[str, dict, list | None]:
        import openai

        retryable = (openai.RateLimitError, openai.InternalServerError, openai.APITimeoutError,
                     openai.APIConnectionError, openai.APIResponseValidationError, ValueError, IndexError,
                     AttributeError, TypeError)
        for attempt in range(self.cfg.max_retries + 1):
            try:
                text, usage, logprobs = self._request_once(mode, job, decoding)
                self._count(usage["prompt_tokens"], usage["completion_tokens"])
                return text, usage, logprobs
            except retryable as e:
                if attempt == self.cfg.max_retries or not self._may_retry():
                    raise RuntimeError(f"OpenAI backend: giving up after {attempt + 1} attempts: {e!r}") from e
                wait = self.retry_base_s * 2 ** attempt * (0.5 + random.random())
                retry_after = getattr(getattr(e, "response", None), "headers", {}).get("retry-after")
                if retry_after and retry_after.replace(".", "", 1).isdigit():
                    wait = max(wait, min(float(retry_after), 60.0))
                time.sleep(wait)
        raise AssertionError("unreachable")


def _logprobs_of(choice, mode: str) -> list[dict] | None:
    """[{token, logprob, top: {token: logprob}}] per generated token, from a chat or a completions choice."""
    lp = getattr(choice, "logprobs", None)
    if lp is None:
        return None
    content = lp.content if mode == "chat" else getattr(lp, "content", None)  # llama.cpp: chat format in both
    if content is not None:
        def get(x, k):
            return x.get(k) if isinstance(x, dict) else getattr(x, k, None)

        return [{"token": get(t, "token"), "logprob": get(t, "logprob"),
                 "top": {get(c, "token"): get(c, "logprob") for c in (get(t, "top_logprobs") or [])}}
                for t in content]
    tokens, lps, tops = lp.tokens or [], lp.token_logprobs or [], lp.top_logprobs or []
    return [{"token": t, "logprob": p, "top": dict(tops[i]) if i < len(tops) and tops[i] else {}}
            for i, (t, p) in enumerate(zip(tokens, lps))]
