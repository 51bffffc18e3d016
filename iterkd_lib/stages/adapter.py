"""Stage I, `04_adapter`: one call trains the student's LoRA/QLoRA adapter on SFT + fault-aware contrastive data.

Two phases, run in order on the same adapter, each a stock TRL trainer (no forks):

1. Correctness-aware SFT (`trl.SFTTrainer`, completion-only loss) on every `kind: "sft"` record, i.e. all
   verified-correct solutions, including problems that have no negative. Loss: the mean token NLL of the
   answer given the chat prompt, prompt tokens masked:  L_sft = -1/|y| sum_t log pi(y_t | x, y_<t).
2. Fault-aware contrastive learning on the `kind: "pair"` records (y_w correct, y_l faulty, same problem),
   with `training.loss`:
   - "cpo" (default, reference-free; `trl.experimental.cpo.CPOTrainer`, loss_type "sigmoid"):
         L = w_sft * NLL(y_w) + w_c * -log sigma(beta * (log pi(y_w|x) - log pi(y_l|x)))
     log pi(y|x) is the SUM of the answer's token log-probs; NLL(y_w) the mean token NLL of y_w.
   - "simpo" (reference-free, length-normalised; CPOTrainer loss_type "simpo", beta = training.simpo_beta):
         L = w_sft * NLL(y_w) + w_c * -log sigma(beta_s * (lbar(y_w) - lbar(y_l)) - gamma)
     with lbar(y) = log pi(y|x) / |y| (mean token log-prob) and gamma = training.simpo_gamma.
   - "dpo" (`trl.DPOTrainer`, loss_type ["sigmoid", "sft"], loss_weights [w_c, w_sft]):
         L = w_c * -log sigma(beta * ([log pi(y_w|x) - log pi_0(y_w|x)] - [log pi(y_l|x) - log pi_0(y_l|x)]))
             + w_sft * NLL(y_w)
     pi_0 = the same network with the adapter DISABLED (the base student). TRL, given a PeftModel, would copy
     the current adapter into a "ref" adapter; we drop that copy right after the trainer is built, so TRL falls
     back to disabling adapters. Why: a fixed anchor (the untouched base) across all cycles, and no second
     set of adapter weights in checkpoints. (Textbook DPO anchors to the SFT model instead; say so if you
     compare.) TRL's DPOTrainer logs only the combined loss, so `sft_loss`/`contrastive_loss` are null there.
   - "none": phase 2 is skipped -- SFT only (the ablation).
   w_sft = training.sft_weight, w_c = training.contrastive_weight. CPOTrainer computes
   `contrastive + cpo_alpha * NLL`, so we pass cpo_alpha = w_sft / w_c: that is L / w_c, and a constant factor
   on the whole loss does not change AdamW's updates (up to eps). w_c = 0 skips phase 2; w_sft = 0 skips phase 1.

Why two phases instead of one mixed loss: TRL's preference trainers need a rejected answer for every row,
and problems with a verified solution but no negative still deserve SFT; a separate completion-only SFT pass
covers them without forking a trainer. It also mirrors the paper (supervised, then contrastive), and the
contrastive phase keeps its own SFT term against the known SFT-then-preference regression.

`training.max_steps` and `training.epochs` apply to each phase. Checkpoints live in out_dir/checkpoints/<phase>/
(Trainer format, optimizer included); `resume=True` continues each phase from its last checkpoint; a resumed
log is rebuilt from the checkpoint's log history, so no step appears twice. Outputs: the adapter,
adapter_meta.json, train_log.jsonl ({phase, step, phase_step, epoch, loss, sft_loss, contrastive_loss, margin,
lr}; margin = mean log pi(y_w|x) - mean log pi(y_l|x) of the batch as the trainer logs it -- sums for CPO/DPO,
per-token means for SimPO) and training_data.jsonl (the exact rows each phase saw).

Several processes (DDP): under `accelerate launch` / torchrun (WORLD_SIZE > 1) every process calls
`train_adapter` with the same records and its own copy of the model; the trainers shard the batches and
average the gradients (gloo on CPU, nccl on GPUs), so one optimizer step sees batch_size * grad_accum *
world_size examples and `max_steps` counts those larger steps. The trainers write checkpoints from the main
process; the files that are ours (training_data.jsonl, train_log.jsonl, the adapter, adapter_meta.json)
are written by the main process only, and every process waits at a barrier until they exist, so no rank
returns (or marks a stage done) before them. adapter_meta.json records `world_size`. Launching the
processes is `launch` / `iterkd train`'s job, placing one model copy per GPU is `models/student.py`'s.

Not covered: loading the student or building the LoRA config (`models/student.py`), starting the processes
(`launch`), model sharding (FSDP/DeepSpeed), evaluation.

Entry points: `train_adapter`, `distributed_state`, `sequence_logprobs`, `pair_margins`, `chat_prompt`.
"""

from __future__ import annotations

import gc
import shutil
import time
from pathlib import Path

import torch

from iterkd_lib import tracking
from iterkd_lib.config import config_to_dict
from iterkd_lib.models.student import save_adapter
from iterkd_lib.runstore import read_json, write_jsonl

SAVE_STEPS = 25


def chat_prompt(tokenizer, messages: list[dict]) -> str:
    """The prompt string the student is trained and scored on: its chat template, ready for the answer."""
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def _rows(records: list[dict], tokenizer, max_length: int) -> tuple[list[dict], list[dict], int]:
    """Trainer rows; pairs that the token budget would cut to identical answers are dropped and counted.

    The trainers truncate prompt + answer to max_length. A faulty answer usually shares its opening with the
    correct one, so a tight budget can leave chosen == rejected: a pair with zero gradient (loss log 2) that
    only looks like training in the logs.
    """
    sft, pairs, dropped = [], [], 0
    for r in records:
        prompt = chat_prompt(tokenizer, r["prompt"]) if isinstance(r["prompt"], list) else r["prompt"]
        if r["kind"] == "sft":
            sft.append({"prompt": prompt, "completion": r["completion"]})
        elif r["kind"] == "pair":
            budget = max(0, max_length - len(tokenizer(prompt, add_special_tokens=False)["input_ids"]))
            ids = [tokenizer(r[k], add_special_tokens=False)["input_ids"][:budget] for k in ("chosen", "rejected")]
            if ids[0] == ids[1]:
                dropped += 1
                continue
            pairs.append({"prompt": prompt, "chosen": r["chosen"], "rejected": r["rejected"]})
        else:
            raise ValueError(f"training record of unknown kind {r.get('kind')!r} (task {r.get('task_id')})")
    return sft, pairs, dropped


def _model_dtype(model) -> torch.dtype:
    return next(p.dtype for p in model.parameters() if p.is_floating_point())


def _common_args(cfg, out: Path, seed: int, model, save_steps: int) -> dict:
    t = cfg.training
    cuda = torch.cuda.is_available()
    bf16_ok = torch.cuda.is_bf16_supported() if cuda else True
    return {
        "output_dir": str(out), "per_device_train_batch_size": t.batch_size, "gradient_accumulation_steps": t.grad_accum,
        "learning_rate": t.learning_rate, "num_train_epochs": t.epochs, "max_steps": t.max_steps or -1,
        "warmup_steps": min(t.warmup_ratio, 0.999),  # < 1 is read as a ratio by transformers 5
        "lr_scheduler_type": "linear", "logging_steps": 1, "save_strategy": "steps", "save_steps": save_steps,
        "save_total_limit": 2, "report_to": tracking.report_to(), "push_to_hub": False, "use_cpu": not cuda,
        "bf16": _model_dtype(model) == torch.bfloat16 and bf16_ok, "seed": seed, "data_seed": seed,
        "dataloader_num_workers": 0, "disable_tqdm": True, "max_length": t.max_length,
        # DDP only: every LoRA weight takes part in every forward; for a PeftModel the Trainer would otherwise
        # ask DDP to search for unused parameters, an extra graph traversal per step (torch warns about it)
        "ddp_find_unused_parameters": False,
        # Always explicit, under transformers 5's name: TRL's configs default gradient checkpointing to True,
        # so leaving it out silently recomputed every activation even with student.gradient_checkpointing off.
        "activation_checkpointing": bool(cfg.student.gradient_checkpointing),
    }


def _sft_trainer(model, tokenizer, rows, args):
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    conf = SFTConfig(**args, completion_only_loss=True, dataset_num_proc=None)
    return SFTTrainer(model=model, args=conf, train_dataset=Dataset.from_list(rows), processing_class=tokenizer)


def _contrastive_trainer(model, tokenizer, rows, args, t):
    from datasets import Dataset

    data = Dataset.from_list(rows)
    if t.loss in ("cpo", "simpo"):
        from trl.experimental.cpo import CPOConfig, CPOTrainer

        conf = CPOConfig(**args, loss_type="sigmoid" if t.loss == "cpo" else "simpo",
                         beta=t.beta if t.loss == "cpo" else t.simpo_beta, simpo_gamma=t.simpo_gamma,
                         cpo_alpha=t.sft_weight / t.contrastive_weight)
        return CPOTrainer(model=model, args=conf, train_dataset=data, processing_class=tokenizer)
    from trl import DPOConfig, DPOTrainer

    types, weights = ["sigmoid"], [t.contrastive_weight]
    if t.sft_weight > 0:
        types, weights = ["sigmoid", "sft"], [t.contrastive_weight, t.sft_weight]
    conf = DPOConfig(**args, loss_type=types, loss_weights=weights, beta=t.beta)
    trainer = DPOTrainer(model=model, args=conf, train_dataset=data, processing_class=tokenizer)
    if "ref" in getattr(trainer.model, "peft_config", {}):
        trainer.model.delete_adapter("ref")  # reference = adapter disabled (see module docstring)
    return trainer


def _log_rows(history: list[dict], phase: str, offset: int, loss: str, cpo_alpha: float) -> list[dict]:
    rows = []
    for h in history:
        if "loss" not in h:  # the end-of-training summary entry carries train_loss, not loss
            continue
        sft = contrastive = margin = None
        if phase == "sft":
            sft = h["loss"]
        elif "nll_loss" in h:  # CPO / SimPO: loss = contrastive + cpo_alpha * nll
            sft = h["nll_loss"]
            contrastive = h["loss"] - cpo_alpha * h["nll_loss"]
        if "logps/chosen" in h and "logps/rejected" in h:
            margin = h["logps/chosen"] - h["logps/rejected"]
        rows.append({"phase": phase, "step": offset + h["step"], "phase_step": h["step"], "epoch": h.get("epoch"),
                     "loss": h["loss"], "sft_loss": sft, "contrastive_loss": contrastive, "margin": margin,
                     "reward_margin": h.get("rewards/margins"), "lr": h.get("learning_rate"), "loss_type":
                     "sft" if phase == "sft" else loss})
    return rows


def _step_bar(phase: str):
    """A TrainerCallback drawing one tqdm.auto bar per phase (main process only), with the last loss.

    Ours rather than the Trainer's own bar (disable_tqdm=False), which also prints every log dict."""
    from tqdm.auto import tqdm
    from transformers import TrainerCallback

    class StepBar(TrainerCallback):
        bar = None

        def on_train_begin(self, args, state, control, **kw):
            if state.is_world_process_zero:
                self.bar = tqdm(total=state.max_steps, initial=state.global_step, desc=f"training ({phase})",
                                unit="step", leave=False)

        def on_step_end(self, args, state, control, **kw):
            if self.bar is not None:
                self.bar.update(state.global_step - self.bar.n)

        def on_log(self, args, state, control, logs=None, **kw):
            if self.bar is not None and logs and "loss" in logs:
                self.bar.set_postfix(loss=f"{logs['loss']:.3f}")

        def on_train_end(self, args, state, control, **kw):
            if self.bar is not None:
                self.bar.close()
                self.bar = None

    return StepBar()


def _run_phase(trainer, ckpt_dir: Path, resume: bool, phase: str = "") -> tuple[list[dict], int, str | None]:
    from transformers.trainer_callback import PrinterCallback
    from transformers.trainer_utils import get_last_checkpoint

    last = get_last_checkpoint(str(ckpt_dir)) if resume and ckpt_dir.exists() else None
    finished = _finished_state(last, int(trainer.args.max_steps))
    if finished is not None:
        # The phase had reached its max_steps before the interruption. Trainer.train(resume_from_checkpoint)
        # would still run one more step (its loop checks max_steps only after a step; measured: a resumed
        # smoke run logged SFT step 3 of 2 at lr 0), so the phase's adapter weights and log come from the
        # checkpoint instead (PEFT's own loader; the Trainer saved the adapter there).
        from peft import set_peft_model_state_dict
        from safetensors.torch import load_file

        set_peft_model_state_dict(trainer.model, load_file(str(Path(last) / "adapter_model.safetensors")))
        return list(finished["log_history"]), int(finished["global_step"]), last
    trainer.remove_callback(PrinterCallback)   # it prints every log dict; the step bar and TensorBoard have them
    trainer.add_callback(_step_bar(phase))
    trainer.train(resume_from_checkpoint=last)
    return list(trainer.state.log_history), int(trainer.state.global_step), last


def _finished_state(checkpoint: str | None, max_steps: int) -> dict | None:
    """The checkpoint's trainer_state.json when its global_step already reached the phase's planned steps
    (`max_steps` when > 0, else -- epoch-based training -- the max_steps the checkpoint was planned with),
    else None."""
    if checkpoint is None:
        return None
    state = read_json(Path(checkpoint) / "trainer_state.json")
    planned = max_steps if max_steps > 0 else state.get("max_steps") or 0
    done = planned > 0 and state.get("global_step", 0) >= planned
    return state if done and (Path(checkpoint) / "adapter_model.safetensors").exists() else None


def distributed_state():
    """accelerate's process state, built the way the Trainer builds it (cpu=True without CUDA: gloo on CPU).

    One process: num_processes 1, is_main_process True, wait_for_everyone() a no-op.
    """
    from accelerate import PartialState

    return PartialState(cpu=not torch.cuda.is_available())


def train_adapter(model, tokenizer, training_records: list[dict], cfg, out_dir, seed: int, resume: bool = True,
                  save_steps: int = SAVE_STEPS) -> dict:
    """Train the (already attached, trainable) adapter of `model` in place; write everything under out_dir.

    Under DDP every process calls this; only the main one writes our files, the others wait for them.
    """
    from iterkd_lib.seeding import seed_everything

    t = cfg.training
    out = Path(out_dir)
    ckpt_root = out / "checkpoints"
    state = distributed_state()
    main = state.is_main_process
    if main and not resume and ckpt_root.exists():
        shutil.rmtree(ckpt_root)  # a fresh run must not pick up another run's optimizer state
    state.wait_for_everyone()
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    sft_rows, pair_rows, pairs_cut_identical = _rows(training_records, tokenizer, t.max_length)
    phases = []
    if sft_rows and t.sft_weight > 0:
        phases.append(("sft", sft_rows))
    if pair_rows and t.loss != "none" and t.contrastive_weight > 0:
        phases.append(("contrastive", pair_rows))
    cpo_alpha = t.sft_weight / t.contrastive_weight if t.contrastive_weight > 0 else 0.0

    start = time.time()
    log, offset, per_phase = [], 0, {}
    if main:
        write_jsonl(out / "training_data.jsonl",
                    [{"phase": name, **row} for name, rows in phases for row in rows])
    for name, rows in phases:
        t_phase = time.time()
        seed_everything(seed)
        args = _common_args(cfg, ckpt_root / name, seed, model, save_steps)
        with tracking.tensorboard_dir_env(tracking.tensorboard_dir(out, name)):   # live curves: tracking.py
            trainer = (_sft_trainer(model, tokenizer, rows, args) if name == "sft"
                       else _contrastive_trainer(model, tokenizer, rows, args, t))
        history, steps, resumed_from = _run_phase(trainer, ckpt_root / name, resume, name)
        log += _log_rows(history, name, offset, t.loss, cpo_alpha)
        per_phase[name] = {"rows": len(rows), "steps": steps, "first_step": offset + 1, "resumed_from": resumed_from,
                           "world_size": int(trainer.args.world_size),
                           "seconds": round(time.time() - t_phase, 2)}   # trainer set-up included
        offset += steps
        del trainer
        gc.collect()  # drop the DDP wrapper (and its gradient hooks) before the next phase wraps the model again
    state = distributed_state()  # the trainers rebuild the shared state; same processes

    def last(key):
        vals = [r[key] for r in log if r[key] is not None]
        return vals[-1] if vals else None

    meta = {
        "base_model": cfg.student.model, "loss": t.loss, "lora": config_to_dict(cfg.student.lora),
        "quantization": cfg.student.quantization, "dtype": str(_model_dtype(model)).replace("torch.", ""),
        "training": config_to_dict(t), "trainers": {n: ("SFTTrainer" if n == "sft" else
                                                         {"dpo": "DPOTrainer"}.get(t.loss, "CPOTrainer"))
                                                    for n, _ in phases},
        "cpo_alpha": cpo_alpha if t.loss in ("cpo", "simpo") else None,
        "dpo_reference": "adapter disabled (base student)" if t.loss == "dpo" else None,
        "n_sft": len(sft_rows), "n_pairs": len(pair_rows), "n_pairs_cut_identical": pairs_cut_identical,
        "n_pairs_teacher": sum(r.get("rejected_source") == "teacher" for r in training_records if r["kind"] == "pair"),
        "n_pairs_student": sum(r.get("rejected_source") == "student" for r in training_records if r["kind"] == "pair"),
        "phases": per_phase, "global_steps": offset, "seed": seed,
        "resumed": any(p["resumed_from"] for p in per_phase.values()),   # did a phase continue a checkpoint
        "world_size": state.num_processes, "distributed_type": str(state.distributed_type),
        "effective_batch_size": t.batch_size * t.grad_accum * state.num_processes,
        "wall_s": round(time.time() - start, 2), "final_sft_loss": last("sft_loss"),
        "final_contrastive_loss": last("contrastive_loss"), "final_margin": last("margin"),
    }
    if main:
        write_jsonl(out / "train_log.jsonl", log)
        meta = save_adapter(model, str(out), meta, replace=False)
    state.wait_for_everyone()  # nobody returns before the adapter and its meta exist
    if not main:
        meta = read_json(out / "adapter_meta.json")
    return {**meta, "out_dir": str(out)}


@torch.no_grad()
def sequence_logprobs(model, tokenizer, prompts_messages: list[list[dict]], completions: list[str]) -> list[float]:
    """Sum of the completion tokens' log-probs given the chat-templated prompt (no EOS), one per example.

    One unpadded forward per example: exact (no padding effects) and cheap enough for test- and
    notebook-sized sets.
    """
    was_training = model.training
    model.eval()
    out: list[float] = []
    for messages, completion in zip(prompts_messages, completions, strict=True):
        prompt = chat_prompt(tokenizer, messages)
        p_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        full = tokenizer(prompt + completion, add_special_tokens=False)["input_ids"]
        # Tokens can merge across the boundary; score from the first position where the two differ.
        k = next((j for j, (a, b) in enumerate(zip(p_ids, full)) if a != b), min(len(p_ids), len(full)))
        ids = torch.tensor([full], device=model.device)
        logp = torch.log_softmax(model(input_ids=ids).logits[0, :-1].float(), dim=-1)
        token_lp = logp.gather(1, ids[0, 1:, None])[:, 0]
        out.append(float(token_lp[max(k - 1, 0):].sum()))
    model.train(was_training)
    return out


def pair_margins(model, tokenizer, pairs: list[dict]) -> list[float]:
    """log p(chosen) - log p(rejected) for `kind: "pair"` records (prompt = chat messages)."""
    prompts = [p["prompt"] for p in pairs]
    chosen = sequence_logprobs(model, tokenizer, prompts, [p["chosen"] for p in pairs])
    rejected = sequence_logprobs(model, tokenizer, prompts, [p["rejected"] for p in pairs])
    return [c - r for c, r in zip(chosen, rejected, strict=True)]
