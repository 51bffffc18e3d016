"""Generation backends: prompts in, completions out, every request cached on disk by its full content.

Backends share one interface (`chat`, `complete`, `describe`, `usage`, `close`); `make_backend` picks one by
`backend:` -- `hf` (alias `local`: models/hf_backend.py), `openai` (models/openai_backend.py), `llamacpp` (models/llamacpp.py: the GGUF on a llama.cpp
server this process starts, reached through `OpenAIBackend`) and `ctranslate2` (models/ct2.py). Engines and
what they support (LOG.md has the measurements):

    engine       seeded sampling reproducible          logprobs  grammar/json_schema  stop strings
    hf           per row (own torch.Generator)         no        no                   yes (early stop)
    llamacpp     per request (seed sent, no prompt     yes       yes                  yes (server side)
                 cache), independent of batch-mates
    ctranslate2  no: one RNG per call, and upstream    no        no                   yes (step callback)
                 set_random_seed does not pin it (CTranslate2 issue 1757); greedy is deterministic
    openai       what the server does with `seed`      yes       json_schema (chat)   first 4 server side

- `LocalBackend` (models/hf_backend.py): a transformers causal LM on this machine. Chat templates, batches
  with left padding, stop strings that end generation early, greedy or nucleus sampling with per-request seeds.
- `OpenAIBackend` (models/openai_backend.py): any OpenAI-compatible server through the official `openai`
  client, with a concurrency limit, timeouts and retries with exponential backoff on 429, 5xx, timeouts and
  malformed bodies.

All return `list[list[str]]`: n samples per conversation/prompt. After each call `last_finish_reasons`
holds, in the same shape, why each answer ended: 'stop' (end of turn or a stop string) or 'length' (it hit
`max_new_tokens`; the server's own finish_reason for OpenAI, derived locally: the token budget spent without
an end token or a stop string). Cache entries written before this was recorded derive it from their
completion token count ('unknown' without one). `usage` counts `answers` and `cut_at_length` (cache hits
included); `prompt_tokens` / `completion_tokens` are the tokens paid for in this process, `cached_prompt` /
`cached_completion` those of replies served from the cache (as recorded when they were paid for), so a stage's share of answers cut at the limit is a difference of two snapshots. Seeds: sample j of a request uses
`derive_seed(seed, sha(request text), j)`, so its output does not depend on which other requests share the
batch, nor on its position. Locally each row draws from its own `torch.Generator`; the limit is numerics:
a different batch means different padding, and bf16 logits can differ in the last bit, which can flip a
near-tie. Greedy decoding (temperature 0) is deterministic, so n > 1 returns n copies of one generation.

The cache key holds the backend kind, model identity (path, dtype, adapter fingerprint; for an engine its
version and the model checksum), request options (logprobs, grammar), the messages or
prompt, the decoding settings, the seed and the sample index; see `response_cache`. `make_backend` builds
a cached backend from config; `LocalBackend.from_model` wraps an already loaded (student) model uncached
unless given a fingerprint of its weights.

`details=True` returns dicts (text, the sample seed sent, usage, logprobs) instead of strings.

Not covered: streaming, tool calls, device placement (models/hf_backend.py), code extraction
(`scoring/code_extraction.py`).
Entry points: `make_backend`, `BackendBase`, `settings_record`, `cut_at_stop`, `stop_token_ids`, `chat_once`,
`describe`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from typing import Any

from iterkd_lib.config import BackendConfig, DecodingConfig
from iterkd_lib.models.response_cache import ResponseCache, request_key
from iterkd_lib.seeding import derive_seed


def _decoding_dict(decoding: DecodingConfig) -> dict:
    d = dataclasses.asdict(decoding)
    d["stop"] = list(d.get("stop") or [])
    return d


def cut_at_stop(text: str, stop: list[str]) -> str:
    """`text` up to (not including) the first of the `stop` strings it contains."""
    cuts = [text.find(s) for s in stop if s and s in text]
    return text[: min(cuts)] if cuts else text


def settings_record(backend, decoding: DecodingConfig, seed: int) -> dict:
    """What produced an output: store this next to every generated record."""
    return {"backend": backend.describe(), "decoding": _decoding_dict(decoding), "seed": seed}


def _finish_of(usage: dict, decoding: DecodingConfig) -> str:
    """'stop' / 'length' from a usage record; older records without one: by token count, else 'unknown'."""
    if usage.get("finish_reason") in ("stop", "length"):
        return usage["finish_reason"]
    if usage.get("completion_tokens"):
        return "length" if usage["completion_tokens"] >= decoding.max_new_tokens else "stop"
    return "unknown"


class BackendBase:
    """Shared request bookkeeping: expand n samples, consult the cache, count usage."""

    kind = "base"

    def __init__(self, cache: ResponseCache | None):
        self.cache = cache
        self.usage = {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0, "cache_hits": 0, "answers": 0,
                      "cut_at_length": 0, "cached_prompt": 0, "cached_completion": 0}
        self.last_finish_reasons: list[list[str]] = []
        self._lock = threading.Lock()

    def _identity(self) -> dict:
        raise NotImplementedError

    # Request options beyond the decoding config; each backend lists the ones it implements.
    supported_options: frozenset = frozenset()

    def chat(self, messages_list: list[list[dict]], decoding: DecodingConfig, seed: int, n: int = 1, *,
             details: bool = False, **options):
        """n answers per conversation: list[list[str]] (details=True: list[list[dict]], see `_run`)."""
        return self._run("chat", messages_list, decoding, seed, n, details, options)

    def complete(self, prompts: list[str], decoding: DecodingConfig, seed: int, n: int = 1, *,
                 details: bool = False, **options):
        """n continuations per prompt: list[list[str]] (details=True: list[list[dict]], see `_run`)."""
        return self._run("complete", prompts, decoding, seed, n, details, options)

    def close(self) -> None:
        """Release engine resources (a server process); a no-op for in-process backends."""

    def _run(self, mode: str, items: list, decoding: DecodingConfig, seed: int, n: int, details: bool = False,
             options: dict | None = None) -> list[list]:
        """Expand n samples, answer from the cache or the engine.

        options: `logprobs` (int k: top-k log-probabilities per generated token), `grammar` (a GBNF
        grammar string), `json_schema` (dict): only where `supported_options` lists them, else ValueError.
        They are part of the cache key. With details=True each answer is a dict: text, sample_seed (the
        seed sent to the engine for this sample), sample_index, usage, logprobs (a list of
        {token, logprob, top: {token: logprob}} when asked for, else None), cached (bool).
        """
        options = {k: v for k, v in (options or {}).items() if v is not None}
        unknown = set(options) - set(self.supported_options)
        if unknown:
            raise ValueError(f"backend '{self.kind}' does not support the option(s) {sorted(unknown)}; "
                             f"it supports {sorted(self.supported_options) or 'none'}")
        greedy = decoding.temperature == 0
        dec = _decoding_dict(decoding)
        jobs, out = [], [[None] * n for _ in items]
        finish = [[None] * n for _ in items]
        for i, item in enumerate(items):
            for j in range(1 if greedy else n):
                sample_seed = self.sample_seed(seed, item, j)
                req = {**self._identity(), "mode": mode, "input": item, "decoding": dec, "seed": seed,
                       "sample_index": j, **({"options": options} if options else {})}
                key = request_key(req)
                hit = self.cache.get(key) if self.cache is not None else None
                if hit is not None:
                    hit_usage = hit.get("usage") or {}
                    out[i][j] = {"text": hit["text"], "sample_seed": hit.get("sample_seed", sample_seed),
                                 "sample_index": j, "usage": hit.get("usage", {}), "logprobs": hit.get("logprobs"),
                                 "cached": True}
                    finish[i][j] = _finish_of(hit_usage, decoding)
                    self.usage["cache_hits"] += 1
                    # tokens this reply cost when it was paid for: a method's teacher budget counts them
                    # whether or not the reply came from the cache (named so `*_tokens` sums stay "paid")
                    self.usage["cached_prompt"] += int(hit_usage.get("prompt_tokens") or 0)
                    self.usage["cached_completion"] += int(hit_usage.get("completion_tokens") or 0)
                else:
                    jobs.append({"i": i, "j": j, "item": item, "seed": sample_seed, "key": key, "req": req,
                                 "options": options})

        bar = None

        def done(job: dict, text: str, usage: dict, logprobs: list | None = None) -> None:
            # stored as each answer arrives, so a crash mid-list keeps everything already paid for
            out[job["i"]][job["j"]] = {"text": text, "sample_seed": job["seed"], "sample_index": job["j"],
                                       "usage": usage, "logprobs": logprobs, "cached": False}
            finish[job["i"]][job["j"]] = _finish_of(usage, decoding)
            if self.cache is not None:
                self.cache.put(job["key"], job["req"], text, usage,
                               extra={"sample_seed": job["seed"], **({"logprobs": logprobs} if logprobs else {})})
            bar.update(1)

        if jobs:
            from tqdm.auto import tqdm  # a widget in Jupyter, a text bar in a terminal

            name = self._identity().get("model") or self.kind
            with tqdm(total=len(jobs), desc=f"{name} ({mode})", unit="answer", leave=False) as bar:
                self._generate(mode, jobs, decoding, done)
        if greedy:
            out = [[row[0]] * n for row in out]
            finish = [[row[0]] * n for row in finish]
        self.last_finish_reasons = finish
        with self._lock:
            self.usage["answers"] += sum(len(row) for row in finish)
            self.usage["cut_at_length"] += sum(f == "length" for row in finish for f in row)
        return out if details else [[a["text"] for a in row] for row in out]

    @staticmethod
    def sample_seed(seed: int, item, j: int) -> int:
        """The seed sent to the engine for sample j of a request (a 32-bit int): derive_seed(seed, digest, j)."""
        digest = hashlib.sha256(json.dumps(item, sort_keys=True).encode()).hexdigest()[:16]
        return derive_seed(seed, digest, j)

    def _count(self, prompt_tokens: int, completion_tokens: int) -> None:
        with self._lock:
            self.usage["calls"] += 1
            self.usage["prompt_tokens"] += prompt_tokens
            self.usage["completion_tokens"] += completion_tokens


# ------------------------------------------------------------------------------------------- shared

def stop_token_ids(tokenizer, model) -> list[int]:
    ids = set()
    eos = getattr(model.generation_config, "eos_token_id", None)
    ids.update(eos if isinstance(eos, list) else [eos] if eos is not None else [])
    if tokenizer.eos_token_id is not None:
        ids.add(tokenizer.eos_token_id)
    for t in ("<|im_end|>", "<|endoftext|>", "<|eot_id|>"):
        tid = tokenizer.convert_tokens_to_ids(t)
        if isinstance(tid, int) and tid != tokenizer.unk_token_id and tid >= 0:
            ids.add(tid)
    return sorted(ids)


# ----------------------------------------------------------------------------------------- factory

def make_backend(backend_cfg: BackendConfig, cache_dir: str, cache: bool = True, response_cache_dir: str | None = None,
                 log_dir: str | None = None):
    """A backend for `backend_cfg`; models resolve under cache_dir, responses cache under response_cache_dir.

    backend: 'hf' (alias 'local'): transformers here; 'llamacpp': the GGUF on a llama.cpp server this process
    starts (its log under log_dir, default <cache_dir>/logs); 'ctranslate2': an int8 CTranslate2 copy
    converted once under cache_dir; 'openai': a server at base_url.
    """
    rc = ResponseCache(response_cache_dir or cache_dir) if cache else None
    if backend_cfg.backend == "openai":
        from iterkd_lib.models.openai_backend import OpenAIBackend

        return OpenAIBackend(backend_cfg, rc)
    if backend_cfg.backend == "llamacpp":
        from iterkd_lib.models.llamacpp import LlamaCppBackend

        return LlamaCppBackend(backend_cfg, rc, cache_dir, log_dir=log_dir)
    if backend_cfg.backend == "ctranslate2":
        from iterkd_lib.models.ct2 import CT2Backend

        return CT2Backend.from_config(backend_cfg, rc, cache_dir)
    from iterkd_lib.models.hf_backend import LocalBackend, load_local_model
    from iterkd_lib.models.registry import resolve_model

    path = resolve_model(backend_cfg.model, cache_dir)
    model, tok = load_local_model(path, backend_cfg.dtype)
    return LocalBackend(model, tok, backend_cfg.model, backend_cfg.batch_size, rc, extra={"path": path})


# ------------------------------------------------------------------------------------------- helpers

def chat_once(backend: Any, messages_list: list[list[dict]], decoding: Any, seed: int) -> list[str]:
    """One reply per message list (n=1), whichever shape the backend returns (list[str] or list[list[str]]).

    `seed` is the call seed (see `BackendBase.chat`); returns len(messages_list) strings, [] for no messages."""
    if not messages_list:
        return []
    out = backend.chat(messages_list, decoding, seed)
    return [o[0] if isinstance(o, list) else o for o in out]


def describe(backend: Any) -> dict:
    """`backend.describe()` as a dict, or {"backend": class name} when the backend cannot describe itself."""
    try:
        return dict(backend.describe())
    except Exception:  # noqa: BLE001 - a record must still be written when a backend cannot describe itself
        return {"backend": type(backend).__name__}
