"""The student for training: a causal LM with a LoRA adapter, optionally 4-bit NF4 (QLoRA).

`load_student` resolves the model (registry short name, path or hub id), loads it in the configured dtype
or in 4-bit through bitsandbytes (NF4, double quantization, bf16 compute by default), attaches a new LoRA
adapter or loads a saved one, and returns `(model, tokenizer)`. The config is translated into library
objects in exactly one place each: `lora_config_from` (peft) and `bnb_config_from` (bitsandbytes).

The AVX512-BF16 trap (platform.md): on CPUs with AVX512-BF16, bitsandbytes repacks a Linear4bit's weights
into a CPU-only layout the first time it runs in eval mode without grad (any `generate()`), and its
backward for that layout is silently wrong, so LoRA gradients after a generation are garbage. Loading
therefore turns that fast path off on every Linear4bit (`_disable_cpu_repacking`), before anything runs.
`tests/test_student_model.py` compares gradients after generate() with a reference to prove it.

bitsandbytes also requires out_features % 32 == 0 for 4-bit layers; layers that break it are kept in
full precision through `llm_int8_skip_modules` (found on a meta-device copy of the architecture), so the
adapter still covers them as ordinary LoRA layers.

Not covered: the training loop and losses (stages/adapter.py), generation (`models.hf_backend.LocalBackend.from_model`
wraps the returned model), merging adapters into the base weights, multi-GPU sharding beyond
`device_map="auto"` (under DDP, WORLD_SIZE > 1, each process loads a whole copy on GPU LOCAL_RANK instead).
Entry points: `load_student`, `lora_config_from`, `bnb_config_from`, `save_adapter`, `load_adapter_meta`,
`count_parameters`, `adapter_fingerprint`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from iterkd_lib.config import StudentConfig
from iterkd_lib.models.dtypes import torch_dtype
from iterkd_lib.runstore import write_json

ADAPTER_META = "adapter_meta.json"


def lora_config_from(student_cfg: StudentConfig):
    """peft.LoraConfig from the student's LoRA settings (bias "none", task CAUSAL_LM; ["all-linear"] passes as is)."""
    from peft import LoraConfig as PeftLoraConfig

    lc = student_cfg.lora
    targets = lc.target_modules
    target = "all-linear" if list(targets) == ["all-linear"] else list(targets)
    return PeftLoraConfig(r=lc.r, lora_alpha=lc.alpha, lora_dropout=lc.dropout, target_modules=target,
                          bias="none", task_type="CAUSAL_LM")


def bnb_config_from(student_cfg: StudentConfig, skip_modules: list[str] | None = None):
    """NF4 + double quantization; compute in the student's dtype (bfloat16 by default)."""
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                              bnb_4bit_compute_dtype=torch_dtype(student_cfg.dtype),
                              llm_int8_skip_modules=(skip_modules or []) + ["lm_head"])


def modules_not_quantizable(path: str) -> list[str]:
    """Names of Linear layers whose out_features is not a multiple of 32 (bitsandbytes asserts on them)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(path)
    with torch.device("meta"):  # the architecture's shapes without allocating weights
        skeleton = AutoModelForCausalLM.from_config(config)
    return [name for name, m in skeleton.named_modules()
            if isinstance(m, torch.nn.Linear) and m.out_features % 32 != 0]


def _disable_cpu_repacking(model) -> int:
    # Why: bitsandbytes' AVX512-BF16 path repacks 4-bit weights on the first no-grad eval forward
    # (generate()); backward through the repacked layout gives silently wrong LoRA gradients. Turning the
    # path off costs nothing measurable (4-bit on CPU saves memory, not time) and keeps training correct.
    import bitsandbytes as bnb

    n = 0
    for module in model.modules():
        if isinstance(module, bnb.nn.Linear4bit):
            module.support_avx512bf16_for_cpu = False
            n += 1
    return n


def _gpu_device_map():
    """'auto' (spread over the visible GPUs) in one process; under DDP (accelerate launch / torchrun set
    WORLD_SIZE > 1) each process holds a whole copy on its own GPU, LOCAL_RANK -- DDP (and bitsandbytes'
    4-bit training) refuse a model spread with device_map='auto'."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        return {"": int(os.environ.get("LOCAL_RANK", "0"))}
    return "auto"


def load_student(student_cfg: StudentConfig, cache_dir: str, adapter_dir: str | None = None,
                 trainable: bool = True, init_seed: int | None = None):
    """(model, tokenizer): base model + LoRA (new, or loaded from `adapter_dir`); eval-only when not trainable.

    `init_seed`: torch's global generator is seeded with it right before a new LoRA is created, so the
    adapter's random init (PEFT draws lora_A from that generator; lora_B starts at zero) is the same whatever
    ran before in the process: an uninterrupted run and one resumed at the adapter stage train from the same
    weights. None leaves the generator as it is; ignored when an adapter is loaded from `adapter_dir`.
    """
    import torch
    from peft import PeftModel, get_peft_model, prepare_model_for_kbit_training
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from iterkd_lib.models.registry import resolve_model

    path = resolve_model(student_cfg.model, cache_dir)
    dtype = torch_dtype(student_cfg.dtype)
    on_gpu = torch.cuda.is_available()
    kw: dict = {"dtype": dtype}
    if on_gpu:
        kw["device_map"] = _gpu_device_map()
    quantized = student_cfg.quantization == "4bit"
    if quantized:
        kw["quantization_config"] = bnb_config_from(student_cfg, modules_not_quantizable(path))
        kw["device_map"] = _gpu_device_map() if on_gpu else {"": "cpu"}
    tok = AutoTokenizer.from_pretrained(path)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    model = AutoModelForCausalLM.from_pretrained(path, **kw)
    if quantized:
        _disable_cpu_repacking(model)  # must happen before the first forward, see the function's comment
        if trainable:
            model = prepare_model_for_kbit_training(
                model, use_gradient_checkpointing=student_cfg.gradient_checkpointing)
    elif trainable and student_cfg.gradient_checkpointing:
        model.gradient_checkpointing_enable()
        model.enable_input_require_grads()
    if adapter_dir:
        model = PeftModel.from_pretrained(model, adapter_dir, is_trainable=trainable)
    elif trainable:
        if init_seed is not None:
            torch.manual_seed(init_seed)
        model = get_peft_model(model, lora_config_from(student_cfg))
    model.train(trainable)
    return model, tok


def _jsonable(obj):
    # sets (PEFT's target_modules) become sorted lists, anything else unknown its str()
    return json.loads(json.dumps(obj, default=lambda o: sorted(o) if isinstance(o, set) else str(o)))


def save_adapter(model, out_dir: str, meta: dict, replace: bool = True) -> dict:
    """THE adapter writer: the adapter files and adapter_meta.json (`meta` + base_model_path, lora, parameters,
    fingerprint, saved_at); returns the full meta.

    replace=True: written to a temporary sibling, then renamed into place -- a kill at any point leaves the
    previous adapter (or a `.old-*` sibling holding it) and never a half-written `out_dir`.
    replace=False (training): written INTO out_dir, next to the trainer checkpoints (resume), train_log.jsonl
    and training_data.jsonl that a replacement would delete; a kill mid-save is harmless there because the
    cycle marks the stage done only after this returns, and a rerun resumes from the checkpoints.
    """
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent)) if replace else out
    try:
        model.save_pretrained(str(tmp))
        peft_cfg = getattr(model, "peft_config", {}).get("default")
        full = _jsonable({**meta, "base_model_path": getattr(peft_cfg, "base_model_name_or_path", None),
                          "lora": _jsonable(peft_cfg.to_dict()) if peft_cfg is not None else None,
                          "parameters": count_parameters(model), "fingerprint": adapter_fingerprint(model),
                          "saved_at": time.strftime("%Y-%m-%dT%H:%M:%S")})
        write_json(tmp / ADAPTER_META, full)
        if replace:
            old = None
            if out.exists():
                old = out.parent / f".{out.name}.old-{os.getpid()}"
                os.replace(out, old)
            os.replace(tmp, out)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        if replace:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    return full


def load_adapter_meta(adapter_dir: str) -> dict:
    """adapter_meta.json of an adapter directory (see `save_adapter`)."""
    return json.loads((Path(adapter_dir) / ADAPTER_META).read_text())


def count_parameters(model) -> dict:
    """{trainable, total, adapter_bytes, trainable_percent} of `model`; adapter_bytes = bytes of the LoRA tensors."""
    trainable = total = adapter_bytes = 0
    for name, p in model.named_parameters():
        n = p.numel()
        total += n
        if p.requires_grad:
            trainable += n
        if "lora_" in name:
            adapter_bytes += n * p.element_size()
    return {"trainable": trainable, "total": total, "adapter_bytes": adapter_bytes,
            "trainable_percent": round(100.0 * trainable / total, 4) if total else 0.0}


def adapter_fingerprint(model) -> str:
    """sha256 over the LoRA weights: a cache key for generations of this exact student."""
    h = hashlib.sha256()
    for name, p in sorted(model.named_parameters(), key=lambda kv: kv[0]):
        if "lora_" in name:
            h.update(name.encode())
            h.update(p.detach().float().cpu().numpy().tobytes())
    return h.hexdigest()[:16]
