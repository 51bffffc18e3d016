"""Seeds and thread settings, in one place.

`seed_everything(seed)` seeds python, numpy and torch and returns the seed it used, so callers can log it.
`derive_seed(seed, *parts)` gives stable per-item seeds (e.g. per cycle and problem) that do not depend on
the order work happens in, so a resumed run samples exactly what an uninterrupted run would have sampled.
`set_torch_threads(n)` sets torch's intra-op threads: on 2-core machines 2 threads next to a busy core make
training steps swing up to 20x, so tests and test-run notebook kernels use 1.

Not covered: CUDA determinism flags (cuBLAS workspace config); GPU runs are reproducible only up to
kernel nondeterminism.
"""

from __future__ import annotations

import hashlib
import os
import random


def derive_seed(seed: int, *parts: object) -> int:
    """A 32-bit seed from `seed` and any parts (first 4 bytes of sha256 of "seed:part:..." with str() of each): the
    same inputs give the same seed in every process and on every machine."""
    text = ":".join([str(seed), *map(str, parts)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")


def seed_everything(seed: int) -> int:
    """Seed random, numpy (seed mod 2**32) and torch with `seed`, set PYTHONHASHSEED; returns the seed used."""
    random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    try:
        import numpy as np

        np.random.seed(seed % (2**32))
    except ImportError:
        pass
    try:
        import torch

        torch.manual_seed(seed)
    except ImportError:
        pass
    return seed


def set_torch_threads(n: int) -> int:
    """Set torch intra-op threads (honouring OMP_NUM_THREADS when it is set lower) and return the count."""
    env = os.environ.get("OMP_NUM_THREADS")
    if env and env.isdigit():
        n = min(n, int(env))
    import torch

    torch.set_num_threads(n)
    return n
