"""`dtype: auto` picks bf16 only where the hardware computes it natively (models/dtypes.py)."""

import pytest

from iterkd_lib.models import dtypes


def test_auto_follows_native_bf16(monkeypatch):
    monkeypatch.setattr(dtypes, "bf16_is_native", lambda: True)
    assert dtypes.resolve_dtype("auto") == "bfloat16"
    monkeypatch.setattr(dtypes, "bf16_is_native", lambda: False)
    assert dtypes.resolve_dtype("auto") == "float32"
    assert dtypes.resolve_dtype("bfloat16") == "bfloat16"  # an explicit choice is kept


def test_unknown_dtype_is_named():
    with pytest.raises(ValueError, match="'int8'"):
        dtypes.resolve_dtype("int8")


def test_this_machine_agrees_with_torch_cpu_flags():
    import torch

    native = torch.cuda.is_available() or torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
    if not torch.cuda.is_available():
        assert dtypes.bf16_is_native() == bool(native)
    assert str(dtypes.torch_dtype("auto")).endswith("bfloat16" if dtypes.bf16_is_native() else "float32")


def test_student_loaded_with_auto_reports_the_resolved_dtype(tiny_model_dir, model_cache_dir):
    from iterkd_lib.config import load_config
    from iterkd_lib.models.student import load_student

    cfg = load_config(None, ["student.model=smollm2-135m-instruct", "student.dtype=auto"])
    model, _ = load_student(cfg.student, model_cache_dir, trainable=False)
    assert str(model.dtype) == f"torch.{dtypes.resolve_dtype('auto')}"
