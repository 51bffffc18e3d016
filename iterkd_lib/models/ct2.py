"""CTranslate2 as a generation engine: an int8 copy of a transformers checkpoint, generated in fixed batches.

`ct2_model_dir` converts a local transformers checkpoint (a registry model's converted copy, or a merged
student saved with `save_pretrained`) once into `<cache_dir>/ct2/<name>-<compute_type>-<key>/`, where the
key hashes the source's file checksums, the ctranslate2 version and the quantisation, so a changed source
or setting is a new copy and an unchanged one is never converted twice. Conversion runs under a file lock
into a temporary sibling that is renamed into place, and a manifest records the settings and timings.

`CT2Backend` is a generation backend with the same contract as the others (chat / complete, n samples,
stop strings, the response cache, `describe()`). Prompts are sorted by length and generated in batches of
`batch_size`; stop strings end a row early through CTranslate2's per-step callback.

Determinism: CTranslate2 has one random generator per call, not one per row, so sampling seeds the call
with a seed derived from the per-sample seeds of the batch's rows (`ctranslate2.set_random_seed`). The same
requests in the same batches give the same samples (a rerun, a resumed stage whose cache holds none of the
batch); a row's sample changes when its batch-mates change. Greedy output does not depend on the seed.

`convert_merged(model, tok, out_root, name)` does the same for a student held in memory (a LoRA adapter
merged into its weights): it saves the model to a temporary folder under `out_root`, converts it there and
deletes the saved weights, so only the CTranslate2 copy stays. The evaluation of a trained student on this
engine (evaluation.engine) goes through it once per cycle.

Not covered: GPU (the wheel's CPU kernels only here), log-probabilities and constrained output (use the
llamacpp backend), LoRA adapters as such (convert the merged model).
Entry points: `ct2_model_dir`, `convert_merged`, `CT2Backend`.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from iterkd_lib.models.backends import BackendBase, cut_at_stop, stop_token_ids
from iterkd_lib.seeding import derive_seed

ENGINE = "CTranslate2"
CT2_MANIFEST = "iterkd_ct2.json"


def _source_fingerprint(hf_dir: Path) -> str:
    """sha256 over the checkpoint's file checksums (from iterkd_manifest.json when present, else hashed)."""
    manifest = hf_dir / "iterkd_manifest.json"
    h = hashlib.sha256()
    if manifest.is_file():
        files = json.loads(manifest.read_text())["files"]
        for name in sorted(files):
            h.update(f"{name}:{files[name]['sha256']}\n".encode())
        return h.hexdigest()
    for p in sorted(hf_dir.iterdir()):
        if p.is_file() and (p.suffix in (".safetensors", ".json", ".txt", ".model") or p.name == "merges.txt"):
            h.update(p.name.encode())
            with open(p, "rb") as fh:
                while block := fh.read(1 << 22):
                    h.update(block)
    return h.hexdigest()


def ct2_model_dir(hf_dir: str, cache_dir: str, compute_type: str = "int8", name: str | None = None) -> str:
    """Converted CTranslate2 copy of `hf_dir` (converting on first use); returns its directory.

    Raises EngineError-like RuntimeError naming the engine when ctranslate2 is missing or conversion fails.
    """
    try:
        import ctranslate2
    except ImportError as e:
        raise RuntimeError(f"{ENGINE}: the `ctranslate2` package is not installed ({e}); choose backend: hf or "
                           "llamacpp, or install ctranslate2") from e
    src = Path(os.path.expanduser(hf_dir))
    key = hashlib.sha256(f"{_source_fingerprint(src)}|{ctranslate2.__version__}|{compute_type}".encode()).hexdigest()
    label = "".join(c if c.isalnum() or c in "._-" else "_" for c in (name or src.name))
    root = Path(os.path.expanduser(cache_dir)) / "ct2"
    target = root / f"{label}-{compute_type}-{key[:12]}"
    if (target / CT2_MANIFEST).is_file():
        return str(target)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f".{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / CT2_MANIFEST).is_file():
            return str(target)
        t0 = time.time()
        work = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=root))
        try:
            out = work / "model"
            conv = ctranslate2.converters.TransformersConverter(str(src), low_cpu_mem_usage=True)
            quant = {"int8": "int8_float32", "int8_float32": "int8_float32", "float32": "float32"}[compute_type]
            conv.convert(str(out), quantization=quant)
            from transformers import AutoTokenizer

            AutoTokenizer.from_pretrained(str(src)).save_pretrained(str(out / "hf_tokenizer"))
            (out / CT2_MANIFEST).write_text(json.dumps({
                "source": str(src), "source_fingerprint": _source_fingerprint(src), "compute_type": compute_type,
                "ctranslate2": ctranslate2.__version__, "convert_seconds": round(time.time() - t0, 1),
                "converted_at": time.strftime("%Y-%m-%dT%H:%M:%S")}, indent=2) + "\n")
            os.replace(out, target)
        except Exception as e:
            raise RuntimeError(f"{ENGINE}: converting {src} failed: {e!r}") from e
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return str(target)


def convert_merged(model, tok, out_root: str, name: str, compute_type: str = "int8") -> str:
    """CTranslate2 copy of an in-memory transformers model (a merged student); returns its directory.

    Args: model (a `PreTrainedModel` without adapter layers: call peft's `merge_and_unload` first), tok (its
    tokenizer), out_root (folder that receives `ct2/<name>-<compute_type>-<key>/`), name (label of the copy).
    The weights are saved (safetensors) into a temporary folder under out_root, converted by `ct2_model_dir`
    (which reuses an existing copy of identical weights) and deleted. Disk while it runs: the saved weights
    (2 GB for a 0.5B model in fp32) plus the copy (0.6 GB at int8). Raises RuntimeError naming the engine when
    ctranslate2 is missing or conversion fails; ValueError for a model that still holds LoRA layers.
    """
    if any("lora_" in n for n, _ in model.named_parameters()):
        raise ValueError(f"{ENGINE}: {name} still has LoRA layers; merge them (merge_and_unload) before converting")
    root = Path(os.path.expanduser(out_root))
    root.mkdir(parents=True, exist_ok=True)
    saved = Path(tempfile.mkdtemp(prefix=".merged-", dir=root))
    try:
        model.save_pretrained(str(saved), safe_serialization=True)
        tok.save_pretrained(str(saved))
        return ct2_model_dir(str(saved), str(root), compute_type, name=name)
    finally:
        shutil.rmtree(saved, ignore_errors=True)


class CT2Backend(BackendBase):
    """Generation on a CTranslate2 Generator (CPU, int8 weights), batched; same contract as `LocalBackend`.

    Args: ct2_dir (from `ct2_model_dir`), name (model name for records), batch_size (rows per call),
    threads (intra-op threads), cache (ResponseCache or None), identity (extra cache-key fields, e.g. a
    student's adapter fingerprint).
    """

    kind = "ctranslate2"

    def __init__(self, ct2_dir: str, name: str, batch_size: int = 8, threads: int = 1, cache=None,
                 identity: dict | None = None, compute_type: str = "int8"):
        super().__init__(cache)
        import ctranslate2
        from transformers import AutoTokenizer

        self.dir, self.name, self.batch_size, self.threads = ct2_dir, name, batch_size, threads
        self.tok = AutoTokenizer.from_pretrained(str(Path(ct2_dir) / "hf_tokenizer"))
        self.gen = ctranslate2.Generator(ct2_dir, device="cpu", compute_type=compute_type, intra_threads=threads,
                                         inter_threads=1)
        meta = json.loads((Path(ct2_dir) / CT2_MANIFEST).read_text())
        self.eos_ids = stop_token_ids(self.tok, type("M", (), {"generation_config": None})())
        self._id = {"backend": "ctranslate2", "model": name, "compute_type": compute_type,
                    "source_fingerprint": meta["source_fingerprint"][:16],
                    "engine": f"ctranslate2 {ctranslate2.__version__}", **(identity or {})}

    @classmethod
    def from_config(cls, cfg, cache, cache_dir: str) -> CT2Backend:
        from iterkd_lib.models.registry import resolve_model

        path = resolve_model(cfg.model, cache_dir)
        return cls(ct2_model_dir(path, cache_dir, cfg.compute_type, name=Path(cfg.model).name), cfg.model,
                   cfg.batch_size, cfg.threads, cache, compute_type=cfg.compute_type)

    def _identity(self) -> dict:
        return self._id

    def describe(self) -> dict:
        return {**self._id, "path": self.dir, "batch_size": self.batch_size, "threads": self.threads,
                "cached": self.cache is not None,
                "determinism": "one seed per batch call, derived from the rows' sample seeds"}

    def _text(self, mode: str, item) -> str:
        if mode == "chat":
            return self.tok.apply_chat_template(item, add_generation_prompt=True, tokenize=False)
        return item

    def _generate(self, mode: str, jobs: list[dict], decoding, done) -> None:
        ids = [self.tok(self._text(mode, job["item"]), add_special_tokens=mode == "complete").input_ids
               for job in jobs]
        order = sorted(range(len(jobs)), key=lambda k: -len(ids[k]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start: start + self.batch_size]
            outs = self._generate_batch([ids[k] for k in idx], [jobs[k]["seed"] for k in idx], decoding)
            for k, (text, usage) in zip(idx, outs):
                done(jobs[k], text, usage)

    def _generate_batch(self, batch_ids: list[list[int]], seeds: list[int], decoding):
        import ctranslate2

        stops = [s for s in decoding.stop if s]
        generated: list[list[int]] = [[] for _ in batch_ids]

        def on_step(step) -> bool:  # True ends this row: a stop string has appeared
            generated[step.batch_id].append(step.token_id)
            if not stops:
                return False
            tail = self.tok.decode(generated[step.batch_id][-24:], skip_special_tokens=True)
            return any(s in tail for s in stops) and any(
                s in self.tok.decode(generated[step.batch_id], skip_special_tokens=True) for s in stops)

        sampling = decoding.temperature > 0
        if sampling:
            ctranslate2.set_random_seed(derive_seed(0, *seeds) % (2**31))
        tokens = [self.tok.convert_ids_to_tokens(x) for x in batch_ids]
        results = self.gen.generate_batch(
            tokens, max_length=decoding.max_new_tokens, include_prompt_in_result=False, end_token=self.eos_ids,
            sampling_topk=0 if sampling else 1, sampling_topp=decoding.top_p if sampling else 1.0,
            sampling_temperature=decoding.temperature if sampling else 1.0, callback=on_step if stops else None)
        out = []
        for r, res in enumerate(results):
            gen = [t for t in res.sequences_ids[0] if t not in self.eos_ids]
            text = cut_at_stop(self.tok.decode(gen, skip_special_tokens=True), decoding.stop)
            n_new = len(res.sequences_ids[0])
            self._count(len(batch_ids[r]), n_new)
            out.append((text, {"prompt_tokens": len(batch_ids[r]), "completion_tokens": n_new}))
        return out
