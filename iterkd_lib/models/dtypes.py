"""The torch dtype a config's `dtype` names, with "auto" resolved for the machine at hand.

"auto" = bfloat16 where the hardware computes it natively (a CUDA GPU that supports bf16; a CPU with
AVX512-BF16 or AMX), else float32. Why: on CPUs without those instructions torch emulates bf16 matmuls, and a
1.5B-sized `[8x1536] @ [1536x8960]` matmul ran 11-16x slower in bf16 than in fp32 on the project's AVX2 box
(LOG.md, 2026-11-29), while on AVX512-BF16 machines bf16 is the fastest CPU dtype (README, Measured).
Records report the dtype the model was loaded in (`model.dtype`), never "auto".
Not covered: float16 on CPU (slow everywhere; only chosen when asked for).
"""

from __future__ import annotations

DTYPES = ("auto", "bfloat16", "float32", "float16")


def bf16_is_native() -> bool:
    """True when bf16 matmuls run natively: CUDA with bf16 support, or a CPU with AVX512-BF16 or AMX tiles."""
    import torch

    if torch.cuda.is_available():
        return bool(torch.cuda.is_bf16_supported())
    cpu = torch.cpu
    return bool(getattr(cpu, "_is_avx512_bf16_supported", lambda: False)()
                or getattr(cpu, "_is_amx_tile_supported", lambda: False)())


def resolve_dtype(name: str) -> str:
    """'bfloat16' / 'float32' / 'float16' for a config value; 'auto' -> bfloat16 if `bf16_is_native()` else
    float32. Raises ValueError naming the value for anything outside DTYPES."""
    if name not in DTYPES:
        raise ValueError(f"dtype {name!r}: expected one of {', '.join(DTYPES)}")
    if name != "auto":
        return name
    return "bfloat16" if bf16_is_native() else "float32"


def torch_dtype(name: str):
    """The torch.dtype for a config value (see `resolve_dtype`)."""
    import torch

    return getattr(torch, resolve_dtype(name))
