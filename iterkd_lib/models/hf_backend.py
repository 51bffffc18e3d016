"""The transformers backend (`backend: hf`, alias `local`): a causal LM generating in this process.

`LocalBackend` batches requests with left padding (sorted by length, so little padding is computed), applies
the tokenizer's chat template, ends rows early at stop strings (`_StopOnStrings`) and samples each row from
its own `torch.Generator` (`_RowSampler`), so a request's sample is a function of its own seed, not of its
batch-mates. Everything shared by the engines -- the cache, seeds, usage counts, finish reasons, the
`chat` / `complete` contract -- is `models.backends.BackendBase`; `make_backend` builds this backend for
`backend: hf`, `LocalBackend.from_model` wraps an already loaded (student) model.

Not covered: log-probabilities and grammar-constrained decoding (`supported_options` is empty: a judge here
with the 'auto' settings reads the written score; an explicit 'geval', 'json' or a verdict is refused by
`scoring.judging.resolve_judge_mode` and, for the verdict, by config validation); multi-GPU placement beyond `device_map="auto"` when CUDA exists.
Entry points: `LocalBackend`, `load_local_model`.
"""

from __future__ import annotations

from iterkd_lib.config import DecodingConfig
from iterkd_lib.models.backends import BackendBase, cut_at_stop, stop_token_ids
from iterkd_lib.models.response_cache import ResponseCache


class _RowSampler:
    """LogitsProcessor: sample each row with its own generator, then force that token for greedy search.

    HF's sampler draws for the whole batch from the global RNG, so a row's tokens would depend on its
    neighbours; drawing per row makes a request's sample a function of its own seed only.
    """

    def __init__(self, seeds: list[int], temperature: float, top_p: float):
        import torch

        self.gens = [torch.Generator().manual_seed(s) for s in seeds]
        self.temperature, self.top_p = temperature, top_p

    def __call__(self, input_ids, scores):
        import torch

        logits = scores.float() / self.temperature
        if self.top_p < 1.0:
            sorted_logits, idx = torch.sort(logits, descending=True, dim=-1)
            cum = sorted_logits.softmax(-1).cumsum(-1)
            drop = cum - sorted_logits.softmax(-1) > self.top_p  # keep the token that crosses top_p
            logits = logits.scatter(-1, idx, sorted_logits.masked_fill(drop, float("-inf")))
        probs = logits.softmax(-1)
        forced = torch.full_like(scores, float("-inf"))
        for r, gen in enumerate(self.gens):
            forced[r, torch.multinomial(probs[r], 1, generator=gen)] = 0.0
        return forced


class _StopOnStrings:
    """StoppingCriteria: a row is done once its generated text contains a stop string."""

    def __init__(self, tokenizer, stop: list[str], prompt_len: int):
        self.tok, self.stop, self.prompt_len = tokenizer, [s for s in stop if s], prompt_len

    def __call__(self, input_ids, scores, **kw):
        import torch

        done = [any(s in self.tok.decode(row[self.prompt_len:], skip_special_tokens=True) for s in self.stop)
                for row in input_ids]
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)


class LocalBackend(BackendBase):
    """A transformers model generating in-process, batched, one seed per sample (see _RowSampler)."""
    kind = "local"

    def __init__(self, model, tokenizer, name: str, batch_size: int = 8, cache: ResponseCache | None = None,
                 identity: dict | None = None, extra: dict | None = None):
        super().__init__(cache)
        self.extra = extra or {}  # described but not part of the cache key (e.g. where the cache dir is)
        self.model, self.tok, self.name, self.batch_size = model, tokenizer, name, batch_size
        if self.tok.pad_token_id is None:
            self.tok.pad_token = self.tok.eos_token
        self.eos_ids = stop_token_ids(tokenizer, model)
        self._id = {"backend": "local", "model": name, "dtype": str(model.dtype).replace("torch.", ""),
                    **(identity or {})}

    @classmethod
    def from_model(cls, model, tokenizer, name: str, batch_size: int = 8, cache_dir: str | None = None,
                   fingerprint: str | None = None) -> LocalBackend:
        """Wrap a loaded model; cached only with a fingerprint of its weights (a student changes per cycle)."""
        cache = ResponseCache(cache_dir) if cache_dir and fingerprint else None
        return cls(model, tokenizer, name, batch_size, cache, {"fingerprint": fingerprint} if fingerprint else None)

    def _identity(self) -> dict:
        return self._id

    def describe(self) -> dict:
        """{backend, model, dtype, ...}: what produced an output, stored next to it."""
        import torch
        import transformers

        return {**self._id, **self.extra, "batch_size": self.batch_size, "device": str(self.model.device),
                "torch": torch.__version__, "transformers": transformers.__version__,
                "threads": torch.get_num_threads(), "cached": self.cache is not None}

    def _text(self, mode: str, item) -> str:
        if mode == "chat":
            return self.tok.apply_chat_template(item, add_generation_prompt=True, tokenize=False)
        return item

    def _generate(self, mode: str, jobs: list[dict], decoding: DecodingConfig, done) -> None:
        texts = [self._text(mode, job["item"]) for job in jobs]
        lengths = [len(self.tok(t, add_special_tokens=mode == "complete").input_ids) for t in texts]
        order = sorted(range(len(jobs)), key=lambda k: -lengths[k])  # similar lengths share a batch
        for start in range(0, len(order), self.batch_size):
            idx = order[start: start + self.batch_size]
            outs = self._generate_batch([texts[k] for k in idx], [jobs[k]["seed"] for k in idx], decoding,
                                        add_special=mode == "complete")
            for k, (text, usage) in zip(idx, outs):
                done(jobs[k], text, usage)

    def _generate_batch(self, texts, seeds, decoding: DecodingConfig, add_special: bool):
        import torch
        from transformers import GenerationConfig, LogitsProcessorList, StoppingCriteriaList

        self.tok.padding_side = "left"  # decoder-only: new tokens must follow the prompt directly
        enc = self.tok(texts, return_tensors="pt", padding=True, add_special_tokens=add_special).to(self.model.device)
        plen = enc.input_ids.shape[1]
        # A fresh GenerationConfig: the checkpoint's own defaults (top_k, repetition penalty) must not leak in.
        gcfg = GenerationConfig(max_new_tokens=decoding.max_new_tokens, do_sample=False, num_beams=1,
                                eos_token_id=self.eos_ids, pad_token_id=self.tok.pad_token_id)
        procs = LogitsProcessorList()
        if decoding.temperature > 0:
            procs.append(_RowSampler(seeds, decoding.temperature, decoding.top_p))
        stops = StoppingCriteriaList([_StopOnStrings(self.tok, decoding.stop, plen)] if decoding.stop else [])
        with torch.inference_mode():
            out = self.model.generate(**enc, generation_config=gcfg, logits_processor=procs,
                                      stopping_criteria=stops)
        res = []
        for r in range(len(texts)):
            gen = out[r, plen:].tolist()
            ends = set(self.eos_ids) | {self.tok.pad_token_id}  # finished rows are padded with pad_token_id
            n_new = next((k + (t in self.eos_ids) for k, t in enumerate(gen) if t in ends), len(gen))
            full = self.tok.decode(gen, skip_special_tokens=True)
            text = cut_at_stop(full, decoding.stop)
            n_prompt = int(enc.attention_mask[r].sum())
            self._count(n_prompt, n_new)
            # 'length': the budget was spent with no end token and no stop string (HF does not report it)
            ended = any(t in self.eos_ids for t in gen[:n_new]) or text != full
            reason = "stop" if ended or n_new < decoding.max_new_tokens else "length"
            res.append((text, {"prompt_tokens": n_prompt, "completion_tokens": n_new, "finish_reason": reason}))
        return res


def load_local_model(path: str, dtype: str):
    """Tokenizer and eval-mode model from a local dir or hub id, in the given dtype ('auto' resolved by
    `models.dtypes.resolve_dtype`)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(path)
    kw = {"device_map": "auto"} if torch.cuda.is_available() else {}
    from iterkd_lib.models.dtypes import torch_dtype

    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch_dtype(dtype), **kw)
    return model.eval(), tok
