"""Stage I in several processes: start `accelerate launch ... -m iterkd_lib.cli train` and wait for it.

`accelerate_command(run_dir, cycle, n, cpu)` builds the command line; `launch_training(run_dir, cycle, cfg)`
runs it with training.num_processes processes, streams its output to the "iterkd" logger and to
cycle_K/04_adapter/launch.log, and returns the adapter's meta (adapter_meta.json) once the child has written
the 04_adapter.done marker. The child (`iterkd train`) does the work; see `stages/adapter.py` for what each process
writes and `commands/train.py` for the marker.

Why `--multi_gpu` even on CPU: with accelerate 1.x, `accelerate launch --cpu --num_processes 2` starts ONE
process (its CPU multi-process path needs an MPI hostfile); `--multi_gpu` starts one process per rank through
torchrun, and on a machine without CUDA the Trainer then runs DDP over gloo. `cpu=True` also hides the GPUs
(CUDA_VISIBLE_DEVICES=""). Each launch gets a free rendezvous port, so two runs on one machine do not collide.

Not covered: several machines (run `accelerate launch` yourself with --num_machines/--machine_rank),
FSDP/DeepSpeed sharding, GPU selection beyond CUDA_VISIBLE_DEVICES in the environment.

Entry points: `accelerate_command`, `launch_env`, `launch_training`.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from collections import deque

from iterkd_lib.runstore import RunStore, read_json

log = logging.getLogger("iterkd")

STAGE = "04_adapter"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def accelerate_command(run_dir, cycle: int, num_processes: int, cpu: bool = False,
                       port: int | None = None) -> list[str]:
    """argv for `accelerate launch` of `iterkd train` (this interpreter, so the same virtual environment)."""
    if num_processes < 1:
        raise ValueError(f"num_processes must be >= 1, got {num_processes}")
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--num_processes", str(num_processes),
           "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no"]
    if num_processes > 1:  # torchrun, one process per rank -- on CPU too (see the module docstring)
        cmd += ["--multi_gpu", "--main_process_port", str(port or _free_port())]
    elif cpu:
        cmd += ["--cpu"]
    return cmd + ["-m", "iterkd_lib.cli", "train", "--run-dir", str(run_dir), "--cycle", str(cycle)]


def launch_env(cpu: bool = False, threads: int | None = None) -> dict:
    """The child's environment: this one, GPUs hidden when cpu, OMP threads per process when not set."""
    env = dict(os.environ)
    if cpu:
        env["CUDA_VISIBLE_DEVICES"] = ""
    if threads and "OMP_NUM_THREADS" not in env:
        env["OMP_NUM_THREADS"] = str(threads)  # torchrun would otherwise force 1
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def launch_training(run_dir, cycle: int, cfg, cpu: bool | None = None) -> dict:
    """Train cycle `cycle` of the run in `run_dir` with cfg.training.num_processes processes; its adapter meta.

    cpu=None: CPU exactly when no GPU is visible. Raises RuntimeError (with the output's tail) when the
    launch fails or ends without the stage's marker.
    """
    import torch

    n = cfg.training.num_processes
    if cpu is None:
        cpu = not torch.cuda.is_available()
    if not cpu and n > torch.cuda.device_count():
        raise ValueError(f"training.num_processes={n} but {torch.cuda.device_count()} GPU(s) are visible")
    store = RunStore(run_dir)
    out = store.cycle_dir(cycle) / STAGE
    out.mkdir(parents=True, exist_ok=True)
    cmd = accelerate_command(run_dir, cycle, n, cpu=cpu)
    log.info("cycle %d: launching %d training process(es): %s", cycle, n, " ".join(cmd))
    t0, tail = time.time(), deque(maxlen=60)
    with open(out / "launch.log", "a", encoding="utf-8") as fh:
        fh.write(f"# {time.strftime('%Y-%m-%dT%H:%M:%S')} {' '.join(cmd)}\n")
        proc = subprocess.Popen(cmd, env=launch_env(cpu, cfg.run.torch_threads), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, bufsize=1)
        try:
            for line in proc.stdout:
                fh.write(line)
                tail.append(line.rstrip("\n"))
                log.info("  | %s", line.rstrip("\n"))
            rc = proc.wait()
        except BaseException:  # Ctrl-C / kill of the parent: do not leave the ranks running
            proc.terminate()
            proc.wait(timeout=30)
            raise
    if rc != 0:
        raise RuntimeError(f"training launch for cycle {cycle} failed (exit {rc}); see {out / 'launch.log'}:\n"
                           + "\n".join(tail))
    if not store.is_complete(cycle, STAGE):
        raise RuntimeError(f"training launch for cycle {cycle} exited 0 but {store.path(cycle, STAGE, '.done')} "
                           "is missing; see " + str(out / "launch.log"))
    marker = store.stage_summary(cycle, STAGE) or {}
    meta = read_json(out / "adapter_meta.json")
    return {**meta, "out_dir": str(out), "train_peak_rss_mb": marker.get("peak_rss_mb_so_far"),
            "launch": {"command": cmd, "num_processes": n, "cpu": cpu, "seconds": round(time.time() - t0, 2)}}
