"""`iterkd train` under `accelerate launch`: Stage I of one cycle in 2 processes (DDP over gloo, CPU) and in 1.

What is shown: with 2 processes both ranks train (adapter_meta.json records world_size 2, one optimizer step
covers both ranks' examples), yet the files that are ours are written once, by the main process: one JSON
summary on stdout, train_log.jsonl without a repeated step, training_data.jsonl without duplicated rows, and
the 04_adapter.done marker written last, after the adapter. The single-process launch (`launch.launch_training`,
the path `training.num_processes` takes) records world_size 1, and a second `iterkd train` on a finished
cycle leaves it alone.

Why `--multi_gpu` on a CPU machine: accelerate 1.x's `--cpu --num_processes 2` starts ONE process (its CPU
multi-process path needs an MPI hostfile); `--multi_gpu` starts one process per rank via torchrun, and the
Trainer (use_cpu) runs DDP over gloo. See `iterkd_lib/launch.py`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from iterkd_lib import launch
from iterkd_lib.config import config_to_dict, load_config
from iterkd_lib.prompts import format_answer, student_messages
from iterkd_lib.runstore import RunStore, read_json, read_jsonl

pytestmark = pytest.mark.slow  # two real launches of the tiny model, about 60-90 s on 2 busy cores

REPO = Path(__file__).resolve().parents[1]
PROBLEMS = [  # (signature prompt, correct code, faulty code)
    ('def add(a, b):\n    """Return a + b."""\n', "def add(a, b):\n    return a + b", "def add(a, b):\n    return a - b"),
    ('def is_even(n):\n    """True when n is even."""\n', "def is_even(n):\n    return n % 2 == 0",
     "def is_even(n):\n    return n % 2 == 1"),
]


def _make_run(root: Path, cache_dir: str, num_processes: int) -> tuple[Path, object]:
    """A run directory whose cycle 1 has a finished training set (2 SFT records, 2 pairs) and nothing after."""
    over = {"run.cache_dir": cache_dir, "run.torch_threads": 1, "student.model": "smollm2-135m-instruct",
            "student.dtype": "float32", "student.lora.r": 4, "student.lora.alpha": 8, "student.lora.dropout": 0.0,
            "student.lora.target_modules": "[q_proj,v_proj]", "training.max_steps": 2, "training.batch_size": 1,
            "training.max_length": 256, "training.num_processes": num_processes}
    cfg = load_config(None, [f"{k}={v}" for k, v in over.items()])
    records = []
    for i, (prompt, good, bad) in enumerate(PROBLEMS):
        msgs = student_messages({"task_id": f"t/{i}", "prompt": prompt})
        records.append({"kind": "sft", "task_id": f"t/{i}", "prompt": msgs, "completion": format_answer(good)})
        records.append({"kind": "pair", "task_id": f"t/{i}", "prompt": msgs, "chosen": format_answer(good),
                        "rejected": format_answer(bad), "rejected_source": "teacher", "fault_type": "logical"})
    store = RunStore(root / "run")
    store.write_run_info({"config": config_to_dict(cfg), "seed": cfg.run.seed})
    store.write_records(1, "03_training_set", records)
    store.mark_complete(1, "03_training_set", {"n_sft": 2, "n_pairs": 2})
    return store.root, cfg


def _env() -> dict:
    return {**launch.launch_env(cpu=True), "OMP_NUM_THREADS": "1", "TRL_EXPERIMENTAL_SILENCE": "1"}


def _check_adapter(run_dir: Path, world_size: int) -> dict:
    store, out = RunStore(run_dir), Path(run_dir) / "cycle_1" / "04_adapter"
    for name in ("adapter_model.safetensors", "adapter_config.json", "adapter_meta.json", "train_log.jsonl",
                 "training_data.jsonl"):
        assert (out / name).exists(), name
    meta = read_json(out / "adapter_meta.json")
    assert meta["world_size"] == world_size and meta["effective_batch_size"] == world_size
    assert {p["world_size"] for p in meta["phases"].values()} == {world_size}
    log = read_jsonl(out / "train_log.jsonl")
    steps = [r["step"] for r in log]
    assert steps == [1, 2, 3, 4], steps  # written once: no step twice, none missing
    assert [r["phase"] for r in log] == ["sft"] * 2 + ["contrastive"] * 2
    assert len(read_jsonl(out / "training_data.jsonl")) == 4  # 2 SFT rows + 2 pairs, not once per rank
    assert store.is_complete(1, "04_adapter")
    marker = store.path(1, "04_adapter", ".done")
    assert marker.stat().st_mtime >= (out / "adapter_meta.json").stat().st_mtime  # the marker comes last
    assert read_json(marker)["world_size"] == world_size
    assert meta["fingerprint"] == read_json(marker)["fingerprint"]
    return meta


def test_two_processes_train_one_adapter(tmp_path, tiny_model_dir, model_cache_dir):
    run_dir, _ = _make_run(tmp_path, model_cache_dir, 2)
    cmd = launch.accelerate_command(run_dir, 1, 2, cpu=True)
    assert cmd[1:3] == ["-m", "accelerate.commands.launch"] and "--multi_gpu" in cmd
    assert cmd[-7:] == ["-m", "iterkd_lib.cli", "train", "--run-dir", str(run_dir), "--cycle", "1"]
    done = subprocess.run(cmd, env=_env(), cwd=REPO, capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stderr[-4000:]
    assert "Traceback" not in done.stderr, done.stderr[-4000:]
    assert "[rank 0]" in done.stderr and "[rank 1]" in done.stderr  # both processes started
    summaries = [json.loads(line) for line in done.stdout.splitlines() if line.startswith('{"')]
    assert len(summaries) == 1 and summaries[0]["world_size"] == 2  # printed by the main process only
    meta = _check_adapter(run_dir, 2)
    assert "MULTI_CPU" in meta["distributed_type"]


def test_one_process_through_launch_training_then_rerun_is_a_no_op(tmp_path, tiny_model_dir, model_cache_dir,
                                                                    monkeypatch):
    run_dir, cfg = _make_run(tmp_path, model_cache_dir, 1)
    cmd = launch.accelerate_command(run_dir, 1, 1, cpu=True)
    assert "--cpu" in cmd and "--multi_gpu" not in cmd
    for key, value in _env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(REPO)
    summary = launch.launch_training(run_dir, 1, cfg, cpu=True)
    assert summary["world_size"] == 1 and summary["launch"]["num_processes"] == 1
    meta = _check_adapter(run_dir, 1)
    assert meta["distributed_type"].endswith("NO")
    assert (Path(run_dir) / "cycle_1" / "04_adapter" / "launch.log").exists()
    before = RunStore(run_dir).path(1, "04_adapter", ".done").read_text()
    again = subprocess.run([sys.executable, "-m", "iterkd_lib.cli", "train", "--run-dir", str(run_dir), "--cycle", "1"],
                           env=_env(), cwd=REPO, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "already trained" in again.stderr, again.stderr[-2000:]
    assert RunStore(run_dir).path(1, "04_adapter", ".done").read_text() == before


def test_train_refuses_a_cycle_without_training_set(tmp_path, model_cache_dir):
    run_dir, _ = _make_run(tmp_path, model_cache_dir, 1)
    done = subprocess.run([sys.executable, "-m", "iterkd_lib.cli", "train", "--run-dir", str(run_dir), "--cycle", "2"],
                          env=_env(), cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "03_training_set" in done.stderr, done.stderr[-2000:]
