"""Student loading: LoRA and CPU QLoRA on the real SmolLM2-135M, the AVX512-BF16 gradient trap, adapters."""

import json
from pathlib import Path

import pytest
import torch

from iterkd_lib.config import LoraConfig, StudentConfig
from iterkd_lib.models.student import (
    adapter_fingerprint,
    bnb_config_from,
    count_parameters,
    load_adapter_meta,
    load_student,
    lora_config_from,
    modules_not_quantizable,
    save_adapter,
)

TINY = "smollm2-135m-instruct"


def _cfg(**kw):
    return StudentConfig(model=TINY, lora=LoraConfig(r=4, alpha=8, dropout=0.0), **kw)


def _randomize_lora(model, seed=0):
    # peft starts lora_B at zero, which makes every lora_A gradient zero; random weights test both
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            if "lora_" in name:
                p.copy_(torch.randn(p.shape, generator=gen) * 0.02)


def _lora_grads(model, batch) -> dict:
    model.train()
    model.zero_grad()
    model(**batch, labels=batch["input_ids"]).loss.backward()
    return {n: p.grad.detach().double().flatten().clone() for n, p in model.named_parameters() if p.requires_grad}


def _cos(a: dict, b: dict) -> float:
    va, vb = torch.cat([a[k] for k in sorted(a)]), torch.cat([b[k] for k in sorted(a)])
    return float(torch.nn.functional.cosine_similarity(va, vb, dim=0))


def _generate(model, tok):
    model.eval()
    with torch.no_grad():
        model.generate(**tok(["def hello():"], return_tensors="pt"), max_new_tokens=3, do_sample=False)


@pytest.fixture(scope="module")
def qlora(tiny_model_dir, model_cache_dir):
    model, tok = load_student(_cfg(quantization="4bit", dtype="bfloat16"), model_cache_dir)
    _randomize_lora(model)
    tok.padding_side = "right"
    batch = tok(["def add(a, b):\n    return a + b\n", "def neg(x):\n    return -x\n"], return_tensors="pt",
                padding=True)
    return model, tok, batch


def test_config_translation():
    lc = lora_config_from(StudentConfig(lora=LoraConfig(r=8, alpha=16, dropout=0.1, target_modules=["q_proj"])))
    assert (lc.r, lc.lora_alpha, lc.lora_dropout, set(lc.target_modules)) == (8, 16, 0.1, {"q_proj"})
    assert lora_config_from(StudentConfig(lora=LoraConfig(target_modules=["all-linear"]))).target_modules == "all-linear"
    bc = bnb_config_from(StudentConfig(quantization="4bit", dtype="bfloat16"), ["model.layers.0.mlp.up_proj"])
    assert bc.load_in_4bit and bc.bnb_4bit_quant_type == "nf4" and bc.bnb_4bit_use_double_quant
    assert bc.bnb_4bit_compute_dtype == torch.bfloat16
    from iterkd_lib.models.dtypes import torch_dtype  # the default 'auto' follows the hardware

    assert bnb_config_from(StudentConfig(quantization="4bit"), []).bnb_4bit_compute_dtype == torch_dtype("auto")
    assert bc.llm_int8_skip_modules == ["model.layers.0.mlp.up_proj", "lm_head"]


def test_layers_bitsandbytes_cannot_quantize_are_found(tiny_model_dir, tmp_path):
    assert modules_not_quantizable(tiny_model_dir) == []  # SmolLM2: 576, 192, 1536 are multiples of 32
    cfg = json.loads((Path(tiny_model_dir) / "config.json").read_text())
    cfg.update(num_hidden_layers=1, intermediate_size=100)
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    assert modules_not_quantizable(str(tmp_path)) == ["model.layers.0.mlp.gate_proj", "model.layers.0.mlp.up_proj"]


def test_qlora_gradients_after_generate_match_references(qlora, tiny_model_dir, model_cache_dir):
    import bitsandbytes as bnb

    model, tok, batch = qlora
    linear4 = [m for m in model.modules() if isinstance(m, bnb.nn.Linear4bit)]
    assert len(linear4) == 30 * 7 and not any(m.support_avx512bf16_for_cpu for m in linear4)
    before = _lora_grads(model, batch)
    # unquantized reference: fp32 model carrying the 4-bit model's dequantized weights and the same adapter
    ref, _ = load_student(_cfg(quantization="none", dtype="float32"), model_cache_dir)
    ref_params = dict(ref.named_parameters())
    with torch.no_grad():
        for name, m in model.named_modules():
            if isinstance(m, bnb.nn.Linear4bit):
                w = bnb.functional.dequantize_4bit(m.weight.data, m.weight.quant_state)
                ref_params[name + ".weight"].copy_(w.float())
        for name, p in model.named_parameters():
            if "lora_" in name:
                ref_params[name].copy_(p.float())
    reference = _lora_grads(ref, batch)
    _generate(model, tok)
    after = _lora_grads(model, batch)
    assert _cos(before, after) > 0.9999  # generate() left the 4-bit weights usable for training
    assert _cos(after, reference) > 0.98  # and the 4-bit gradients agree with full precision (bf16 compute)
    model.zero_grad()


def test_without_the_fix_gradients_after_generate_are_wrong(tiny_model_dir, model_cache_dir):
    """Documents the trap the fix exists for; if bitsandbytes fixes it upstream, this test says so."""
    import bitsandbytes as bnb

    if not bnb.functional.has_avx512bf16():
        pytest.skip("this CPU has no AVX512-BF16, so bitsandbytes never takes the repacking path")
    model, tok = load_student(_cfg(quantization="4bit", dtype="bfloat16"), model_cache_dir)
    for m in model.modules():
        if isinstance(m, bnb.nn.Linear4bit):
            m.support_avx512bf16_for_cpu = True  # undo the fix
    _randomize_lora(model)
    batch = tok(["def add(a, b):\n    return a + b\n"], return_tensors="pt")
    before = _lora_grads(model, batch)
    _generate(model, tok)
    with pytest.warns(UserWarning, match="gemv_4bit"):
        after = _lora_grads(model, batch)
    assert _cos(before, after) < 0.9


def test_adapter_save_load_roundtrip(tiny_model_dir, model_cache_dir, tmp_path):
    cfg = _cfg(quantization="none", dtype="float32")
    model, tok = load_student(cfg, model_cache_dir)
    counts = count_parameters(model)
    # r=4 on 7 projections x 30 layers: A (r x in) + B (out x r)
    per_layer = 4 * (576 + 576) * 2 + 4 * (576 + 192) * 2 + 4 * (576 + 1536) * 2 + 4 * (1536 + 576)
    assert counts["trainable"] == 30 * per_layer and counts["adapter_bytes"] == 4 * counts["trainable"]
    _randomize_lora(model, seed=3)
    out = tmp_path / "cycle_1" / "04_adapter"
    save_adapter(model, str(out), {"cycle": 1, "seed": 7})
    save_adapter(model, str(out), {"cycle": 1, "seed": 7})  # replacing an existing adapter works
    meta = load_adapter_meta(str(out))
    assert meta["cycle"] == 1 and meta["lora"]["r"] == 4 and meta["fingerprint"] == adapter_fingerprint(model)
    assert sorted(p.name for p in out.parent.iterdir()) == ["04_adapter"]  # no temporary leftovers
    loaded, _ = load_student(cfg, model_cache_dir, adapter_dir=str(out), trainable=False)
    assert adapter_fingerprint(loaded) == meta["fingerprint"]
    assert count_parameters(loaded)["trainable"] == 0 and not loaded.training
    ids = tok(["def f(x):"], return_tensors="pt")
    model.eval()
    with torch.no_grad():
        assert torch.allclose(model(**ids).logits, loaded(**ids).logits, atol=1e-5)
    resumed, _ = load_student(cfg, model_cache_dir, adapter_dir=str(out), trainable=True)
    assert count_parameters(resumed)["trainable"] == counts["trainable"]


def test_new_lora_init_follows_init_seed_not_earlier_rng_use(tiny_model_dir, model_cache_dir):
    # a resumed run loads the student for training in a fresh process, an uninterrupted one after other stages
    # drew random numbers: with init_seed both start training from the same lora_A
    cfg = _cfg(quantization="none", dtype="float32")
    a, _ = load_student(cfg, model_cache_dir, init_seed=11)
    torch.rand(1000)  # what sampling or data shuffling before the adapter stage would do
    b, _ = load_student(cfg, model_cache_dir, init_seed=11)
    c, _ = load_student(cfg, model_cache_dir, init_seed=12)
    d, _ = load_student(cfg, model_cache_dir)  # None: the generator as it happens to be
    assert adapter_fingerprint(a) == adapter_fingerprint(b)
    assert adapter_fingerprint(a) != adapter_fingerprint(c)
    assert adapter_fingerprint(d) not in (adapter_fingerprint(a), adapter_fingerprint(c))
