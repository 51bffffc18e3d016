"""training: SFT + contrastive adapter training on the real tiny model (SmolLM2-135M-Instruct, fp32, 1 thread).

What is shown: training lowers the NLL of the correct solutions; the contrastive term (alone, and in the
default CPO mix) raises the margin log p(correct) - log p(faulty) on the training pairs; base weights stay
bit-for-bit frozen while adapter weights move; loss "none" trains SFT only; a resumed run continues from its
checkpoint; DPO runs against the adapter-disabled model as its reference.
"""

from __future__ import annotations

import os
from statistics import mean

import pytest
import torch

from iterkd_lib.config import StudentConfig, load_config
from iterkd_lib.models.student import load_student
from iterkd_lib.prompts import format_answer, student_messages
from iterkd_lib.runstore import read_json, read_jsonl
from iterkd_lib.stages.adapter import pair_margins, sequence_logprobs, train_adapter

os.environ.setdefault("OMP_NUM_THREADS", "1")
torch.set_num_threads(1)

PROBLEMS = [  # (signature prompt, correct code, faulty code)
    ('def add(a, b):\n    """Return a + b."""\n', "def add(a, b):\n    return a + b", "def add(a, b):\n    return a - b"),
    ('def is_even(n):\n    """True when n is even."""\n', "def is_even(n):\n    return n % 2 == 0",
     "def is_even(n):\n    return n % 2 == 1"),
    ('def last(xs):\n    """Last item of xs."""\n', "def last(xs):\n    return xs[-1]", "def last(xs):\n    return xs[len(xs)]"),
    ('def double(x):\n    """Twice x."""\n', "def double(x):\n    return 2 * x", "def double(x):\n    return x * x"),
]


def _records(sft=True, pairs=True):
    out = []
    for i, (prompt, good, bad) in enumerate(PROBLEMS):
        msgs = student_messages({"task_id": f"t/{i}", "prompt": prompt})
        if sft:
            out.append({"kind": "sft", "task_id": f"t/{i}", "prompt": msgs, "completion": format_answer(good)})
        if pairs:
            out.append({"kind": "pair", "task_id": f"t/{i}", "prompt": msgs, "chosen": format_answer(good),
                        "rejected": format_answer(bad), "rejected_source": "teacher", "fault_type": "logical"})
    return out


def _cfg(**kw):
    over = {"training.max_steps": 4, "training.batch_size": 2, "training.learning_rate": 1e-3,
            "training.max_length": 160, **kw}
    return load_config(None, [f"{k}={v}" for k, v in over.items()])


@pytest.fixture
def student(tiny_model_dir, model_cache_dir):
    cfg = StudentConfig(model=tiny_model_dir, dtype="float32")
    cfg.lora.r, cfg.lora.alpha, cfg.lora.dropout = 8, 16, 0.0
    cfg.lora.target_modules = ["q_proj", "k_proj", "v_proj", "o_proj"]
    torch.manual_seed(0)
    return load_student(cfg, model_cache_dir, trainable=True)


def _nll(model, tok, recs):
    pairs = [r for r in recs if r["kind"] == "pair"]
    return -mean(sequence_logprobs(model, tok, [p["prompt"] for p in pairs], [p["chosen"] for p in pairs]))


def _split(model):
    base = {n: p.detach().clone() for n, p in model.named_parameters() if "lora_" not in n}
    lora = {n: p.detach().clone() for n, p in model.named_parameters() if "lora_" in n}
    return base, lora


def test_cpo_lowers_nll_raises_margin_and_moves_only_the_adapter(student, tmp_path):
    model, tok = student
    recs = _records()
    base0, lora0 = _split(model)
    nll0, m0 = _nll(model, tok, recs), mean(pair_margins(model, tok, [r for r in recs if r["kind"] == "pair"]))
    summary = train_adapter(model, tok, recs, _cfg(**{"training.max_steps": 3}), tmp_path / "a", seed=1,
                            resume=False)
    nll1, m1 = _nll(model, tok, recs), mean(pair_margins(model, tok, [r for r in recs if r["kind"] == "pair"]))
    print(f"cpo: NLL(correct) {nll0:.3f} -> {nll1:.3f}; margin {m0:.3f} -> {m1:.3f}")
    assert nll1 < nll0 - 0.5 and m1 > m0
    base1, lora1 = _split(model)
    assert all(torch.equal(base0[n], base1[n]) for n in base0)  # frozen, bit for bit
    assert sum(not torch.equal(lora0[n], lora1[n]) for n in lora0) >= len(lora0) // 2
    assert all(not p.requires_grad for n, p in model.named_parameters() if "lora_" not in n)
    log = read_jsonl(tmp_path / "a" / "train_log.jsonl")
    assert [r["step"] for r in log] == list(range(1, 7)) and [r["phase"] for r in log] == ["sft"] * 3 + [
        "contrastive"] * 3
    for r in log[3:]:  # both terms logged, and they add up to the CPO loss (cpo_alpha = 1)
        assert r["sft_loss"] > 0 and r["contrastive_loss"] > 0 and r["margin"] is not None
        assert abs(r["sft_loss"] + r["contrastive_loss"] - r["loss"]) < 1e-5
    meta = read_json(tmp_path / "a" / "adapter_meta.json")
    assert meta["loss"] == "cpo" and meta["n_pairs"] == 4 and meta["n_sft"] == 4 and meta["lora"]["r"] == 8
    assert summary["global_steps"] == 6 and (tmp_path / "a" / "adapter_model.safetensors").exists()
    assert len(read_jsonl(tmp_path / "a" / "training_data.jsonl")) == 8


def test_contrastive_term_alone_raises_the_margin(student, tmp_path):
    model, tok = student
    pairs = _records(sft=False)
    m0 = pair_margins(model, tok, pairs)
    cfg = _cfg(**{"training.sft_weight": 0.0, "training.max_steps": 2})
    train_adapter(model, tok, pairs, cfg, tmp_path / "c", seed=1, resume=False)
    m1 = pair_margins(model, tok, pairs)
    print(f"contrastive only: margins {[round(x, 2) for x in m0]} -> {[round(x, 2) for x in m1]}")
    assert mean(m1) > mean(m0) + 0.5
    assert sum(b > a for a, b in zip(m0, m1)) >= 3
    log = read_jsonl(tmp_path / "c" / "train_log.jsonl")
    assert {r["phase"] for r in log} == {"contrastive"} and all(r["sft_loss"] == 0 for r in log)


def test_loss_none_trains_sft_only(student, tmp_path, capsys):
    model, tok = student
    recs = _records()
    nll0 = _nll(model, tok, recs)
    summary = train_adapter(model, tok, recs, _cfg(**{"training.loss": "none", "training.max_steps": 2}),
                            tmp_path / "n", seed=1, resume=False)
    assert _nll(model, tok, recs) < nll0
    log = read_jsonl(tmp_path / "n" / "train_log.jsonl")
    assert {r["phase"] for r in log} == {"sft"} and all(r["contrastive_loss"] is None for r in log)
    assert list(summary["phases"]) == ["sft"] and summary["trainers"] == {"sft": "SFTTrainer"}
    assert 0 < summary["phases"]["sft"]["seconds"] <= summary["wall_s"]   # per-phase time (bench_training)
    assert "training (sft)" in capsys.readouterr().err  # the step bar, one per phase


def test_resume_continues_from_the_checkpoint(student, tmp_path):
    model, tok = student
    pairs = _records(sft=False)
    out = tmp_path / "r"
    first = train_adapter(model, tok, pairs, _cfg(**{"training.max_steps": 1}), out, seed=1, resume=True)
    assert first["phases"]["contrastive"]["resumed_from"] is None
    log1 = read_jsonl(out / "train_log.jsonl")
    second = train_adapter(model, tok, pairs, _cfg(**{"training.max_steps": 2}), out, seed=1, resume=True)
    assert second["phases"]["contrastive"]["resumed_from"].endswith("checkpoint-1")
    assert second["phases"]["contrastive"]["steps"] == 2
    log2 = read_jsonl(out / "train_log.jsonl")
    assert [r["step"] for r in log2] == [1, 2]  # continued, no step twice
    assert log2[:1] == log1  # the first step is the first run's, not a rerun


def test_resuming_a_finished_phase_takes_no_extra_step(student, tmp_path):
    """Killed after a phase reached max_steps (checkpoint saved), the resumed stage must not train again:
    Trainer.train(resume_from_checkpoint) would run one more step. The weights come from the checkpoint."""
    model, tok = student
    pairs = _records(sft=False)
    out = tmp_path / "r"
    first = train_adapter(model, tok, pairs, _cfg(**{"training.max_steps": 1}), out, seed=1, resume=False)
    assert first["resumed"] is False and first["phases"]["contrastive"]["resumed_from"] is None
    trained = {n: p.detach().clone() for n, p in model.named_parameters() if "lora_" in n}
    log1 = read_jsonl(out / "train_log.jsonl")
    with torch.no_grad():                       # a new process re-attaches a fresh adapter before resuming
        for n, p in model.named_parameters():
            if "lora_" in n:
                p.normal_(0.0, 0.5)
    again = train_adapter(model, tok, pairs, _cfg(**{"training.max_steps": 1}), out, seed=1, resume=True)
    assert again["resumed"] is True and again["phases"]["contrastive"]["resumed_from"].endswith("checkpoint-1")
    assert again["phases"]["contrastive"]["steps"] == 1 and again["global_steps"] == 1
    assert read_jsonl(out / "train_log.jsonl") == log1          # no step 2, the same logged step
    for n, p in model.named_parameters():
        if "lora_" in n:
            assert torch.equal(p, trained[n]), n                    # the checkpoint's adapter, not the noise


def test_dpo_runs_against_the_adapter_disabled_reference(student, tmp_path):
    model, tok = student
    pairs = _records(sft=False)
    eos = [{**p, "chosen": p["chosen"] + tok.eos_token, "rejected": p["rejected"] + tok.eos_token} for p in pairs]
    with model.disable_adapter():
        base_margin = mean(pair_margins(model, tok, eos))
    # An adapter that already moved (a previous cycle's): TRL would copy it as the reference; we must not.
    torch.manual_seed(1)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "lora_B" in n:
                p.normal_(0.0, 0.3)
    start_margin = mean(pair_margins(model, tok, eos))
    cfg = _cfg(**{"training.loss": "dpo", "training.max_steps": 1, "training.batch_size": 4})
    train_adapter(model, tok, pairs, cfg, tmp_path / "d", seed=1, resume=False)
    assert "ref" not in model.peft_config and not (tmp_path / "d" / "ref").exists()
    row = read_jsonl(tmp_path / "d" / "train_log.jsonl")[0]
    # At DPO's first step, reward margin = beta * (policy margin - reference margin), measured before the update.
    ref_margin = row["margin"] - row["reward_margin"] / cfg.training.beta
    print(f"dpo: base margin {base_margin:.3f}, moved adapter {start_margin:.3f} (logged {row['margin']:.3f}), "
          f"reference {ref_margin:.3f}")
    assert abs(row["margin"] - start_margin) < 0.05 and abs(start_margin - base_margin) > 0.2
    assert abs(ref_margin - base_margin) < 0.05
    assert read_json(tmp_path / "d" / "adapter_meta.json")["dpo_reference"].startswith("adapter disabled")


@pytest.mark.parametrize("wanted", [False, True])
def test_gradient_checkpointing_follows_the_config_not_trls_default(wanted, tmp_path):
    # TRL's SFT/CPO configs default gradient checkpointing to True; the student config must decide
    from trl import SFTConfig
    from trl.experimental.cpo import CPOConfig

    from iterkd_lib.config import config_from_dict
    from iterkd_lib.stages.adapter import _common_args

    cfg = config_from_dict({"student": {"gradient_checkpointing": wanted}})
    args = _common_args(cfg, tmp_path, 0, torch.nn.Linear(2, 2), save_steps=10)
    for conf_cls in (SFTConfig, CPOConfig):
        conf = conf_cls(**args)
        assert conf.activation_checkpointing is wanted and conf.gradient_checkpointing is wanted
