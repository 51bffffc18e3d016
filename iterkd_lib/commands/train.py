"""`iterkd train --run-dir RUN_DIR --cycle K`: Stage I training only, for one cycle of an existing run.

Reads cycle_K/03_training_set.jsonl, loads the student as the cycle's adapter stage does (continuing from
cycle K-1's adapter when training.continue_adapter), trains into cycle_K/04_adapter with the run's saved
config, then writes the 04_adapter.done marker. Runs as one plain process or as several under
`accelerate launch` / torchrun (DDP, see `stages/adapter.py` and `launch`): every process trains, the main process
alone writes the adapter, its logs and -- last, once the adapter exists -- the marker; the others wait at a
barrier. A cycle whose 04_adapter is already done is left alone unless --force.

Multi-GPU: `accelerate launch --multi_gpu --num_processes 4 -m iterkd_lib.cli train --run-dir R --cycle K`.
CPU (tests): the same with `--multi_gpu` on a machine without CUDA (torchrun + gloo); accelerate's `--cpu`
starts ONE process unless an MPI hostfile is configured.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
import time

from iterkd_lib.config import ConfigError

STAGE = "04_adapter"


def _check_placement(model, state) -> None:
    """Under DDP on GPUs each process needs the whole model on its own GPU (not device_map='auto' across all)."""
    import torch

    if state.num_processes < 2 or not torch.cuda.is_available():
        return
    dmap = getattr(model.get_base_model(), "hf_device_map", None) or {}
    local = state.local_process_index
    stray = sorted({str(d) for d in dmap.values()} - {str(local), f"cuda:{local}"})
    if stray:
        raise RuntimeError(f"process {state.process_index}: the student is spread over devices {stray}; under DDP "
                           f"each process must load it on its own GPU (device_map={{'': {local}}}), "
                           "see models/student.load_student")


def _train(args: argparse.Namespace) -> int:
    from iterkd_lib import runs
    from iterkd_lib.models.student import load_student
    from iterkd_lib.seeding import derive_seed, seed_everything
    from iterkd_lib.stages import adapter as training

    t0 = time.time()
    state = training.distributed_state()  # first: on CPU this must be the gloo state the Trainer also builds
    main = state.is_main_process
    logging.basicConfig(level=logging.INFO if main else logging.WARNING, stream=sys.stderr,
                        format=f"%(asctime)s [rank {state.process_index}] %(message)s", datefmt="%H:%M:%S")
    log = logging.getLogger("iterkd")
    # every rank says it started (the others log only warnings after this): a rank that never came up shows
    print(f"{time.strftime('%H:%M:%S')} [rank {state.process_index}] process {state.process_index + 1} of "
          f"{state.num_processes} started", file=sys.stderr, flush=True)
    try:
        from iterkd_lib.runstore import RunStore

        RunStore(args.run_dir).read_run_info()  # FileNotFoundError naming the folder if it holds no run
        run = runs.reopen_run(args.run_dir)  # the run's saved config; reopening writes nothing
        store, k = run.store, args.cycle
        if k < 1:
            raise ConfigError(f"--cycle {k}: training starts at cycle 1 (cycle 0 only evaluates)")
        if not store.is_complete(k, "03_training_set"):
            raise FileNotFoundError(f"{store.path(k, '03_training_set')}: cycle {k} has no finished training set")
        if store.is_complete(k, STAGE) and not args.force:
            if main:
                print(f"{store.path(k, STAGE, '.done')} exists: cycle {k} is already trained (--force retrains)",
                      file=sys.stderr)
            return 0
        tcfg = run.cfg.training
        prev = runs.adapter_dir(run, k - 1) if k > 1 and tcfg.continue_adapter else None
        if prev is not None and not store.is_complete(k - 1, STAGE):
            raise FileNotFoundError(f"{prev}: cycle {k - 1}'s adapter is not finished, and "
                                    f"training.continue_adapter starts cycle {k} from it")
        state.wait_for_everyone()  # every rank has checked the marker before the main one may remove it
        if main and store.is_complete(k, STAGE):
            store.path(k, STAGE, ".done").unlink()  # --force: not done until the new adapter exists
        records = store.read_records(k, "03_training_set")
        seed_everything(run.seed)
        log.info("cycle %d: training on %d records in %d process(es) ...", k, len(records), state.num_processes)
        model, tok = load_student(run.cfg.student, run.cache_dir, adapter_dir=str(prev) if prev else None,
                                  trainable=True, init_seed=derive_seed(run.seed, k, "lora_init"))
        _check_placement(model, state)
        summary = training.train_adapter(model, tok, records, run.cfg, str(runs.adapter_dir(run, k)),
                                         derive_seed(run.seed, k, "train"), resume=not args.no_resume)
        # train_adapter returns on every rank only after the main one wrote the adapter: the marker comes last
        if main:
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
            store.mark_complete(k, STAGE, {"seconds": round(time.time() - t0, 2),
                                           "peak_rss_mb_so_far": round(peak_mb), **summary})
            print(json.dumps({key: summary.get(key) for key in (
                "out_dir", "world_size", "global_steps", "n_sft", "n_pairs", "final_sft_loss",
                "final_contrastive_loss", "final_margin", "wall_s")}))
        state.wait_for_everyone()
        return 0
    finally:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()


def register(sub: argparse._SubParsersAction) -> None:
    """Add `iterkd train` to the sub-command parser `sub`."""
    desc = ("Train the student adapter of one cycle of an existing run (Stage I only): reads "
            "cycle_K/03_training_set.jsonl, writes cycle_K/04_adapter and its .done marker. Works as one "
            "process or under `accelerate launch --multi_gpu --num_processes N -m iterkd_lib.cli train ...`.")
    p = sub.add_parser("train", help="Train one cycle's adapter (Stage I); accelerate-launchable.", description=desc)
    p.add_argument("--run-dir", required=True, help="an existing run directory (holds run.json)")
    p.add_argument("--cycle", type=int, required=True, help="cycle K >= 1 whose 03_training_set is done")
    p.add_argument("--force", action="store_true",
                   help="train even if cycle K's 04_adapter is marked done (with --no-resume: from scratch)")
    p.add_argument("--no-resume", action="store_true",
                   help="ignore the trainer checkpoints in 04_adapter/checkpoints and start the phases afresh")
    p.set_defaults(func=_train)
