"""End to end on the smoke configuration with real bundled models (slow: still runs in CI).

One uninterrupted 2-cycle run (the session fixture `smoke_run`, shared with the notebook tests), then a
second run of the same configuration killed with SIGKILL in the middle of a stage and resumed: it must end
with the same records, without redoing finished stages, and without new teacher generations (every teacher
answer comes back from the on-disk response cache).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from iterkd_lib.runstore import RunStore, read_jsonl

pytestmark = pytest.mark.slow

STAGES = ["01_pool", "02_teacher_attempts", "03_training_set", "04_adapter", "05_student_attempts",
          "06_feedback", "07_levels", "08_new_questions", "09_evaluation"]
# Fields that legitimately differ between two executions of the same work.
VOLATILE = {"duration_s", "seconds", "time", "completed_at", "saved_at", "wall_s", "peak_rss_mb_so_far", "cached",
            "teacher_usage", "out_dir", "resumed", "phases",
            "base_url", "log"}  # the llama.cpp server's port and log file: a new server per process


def _strip(obj):
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k not in VOLATILE}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    if isinstance(obj, str) and "/cycle_" in obj:     # paths inside the run directory
        return obj.split("/cycle_", 1)[1]
    return obj


def test_two_cycles_write_every_stage_and_metrics(smoke_run):
    store = RunStore(smoke_run["run_dir"])
    info = store.read_run_info()
    assert info["config"]["run"]["cycles"] == 2 and info["versions"]["torch"]
    assert store.completed_stages(0) == ["09_evaluation"]
    for cycle in (1, 2):
        assert store.completed_stages(cycle) == STAGES, cycle
        assert (store.cycle_dir(cycle) / "04_adapter" / "adapter_model.safetensors").exists()
        assert (store.cycle_dir(cycle) / "04_adapter" / "train_log.jsonl").exists()
        attempts = store.read_records(cycle, "02_teacher_attempts")
        assert {"correct", "faulty"} <= {a["requested"] for a in attempts} <= {"correct", "faulty", "repair"}
        y = store.stage_summary(cycle, "02_teacher_attempts")["yield"]
        assert y["problems"] == len(store.read_records(cycle, "01_pool"))
        assert y["solved_any"] == y["solved_by_sample"] + y["solved_by_repair_only"]
        sft = [r for r in store.read_records(cycle, "03_training_set") if r["kind"] == "sft"]
        assert sum(store.stage_summary(cycle, "03_training_set")["positives"]["by_origin"].values()) == len(sft)
        assert all(a["verdict"]["status"] in {"passed", "failed", "timeout", "crashed", "harness_error"}
                   for a in attempts)
    summaries = [m for m in store.metrics() if m["kind"] == "cycle_summary"]
    assert [m["cycle"] for m in summaries] == [0, 1, 2]
    for m in summaries:
        assert 0.0 <= m["benchmark_pass@1"] <= 1.0 and 0.0 <= m["held_out_pass@1"] <= 1.0
        assert m["settings"]["student"] == "smollm2-135m-instruct" and "eval_decoding" in m["settings"]
    assert "teacher_benchmark_pass@1" in summaries[0]
    assert summaries[1]["levels"]["total"] == summaries[1]["pool_size"]
    best = json.loads((store.root / "best.json").read_text())
    assert best["cycle"] in (0, 1, 2)
    report = subprocess.run([sys.executable, "-m", "iterkd_lib.cli", "report", str(store.root)],
                            capture_output=True, text=True, check=True).stdout
    assert "teacher (ceiling)" in report and "best cycle" in report
    assert len([line for line in report.splitlines() if line[:6].strip().rstrip("*").isdigit()]) == 3


def test_killed_run_resumes_to_the_same_records(smoke_run, tmp_path):
    run_dir = tmp_path / "killed"
    env = smoke_run["env"]
    cmd = [sys.executable, "-m", "iterkd_lib.cli", "run", "--config", smoke_run["config"], "--cycles", "1",
           "--run-dir", str(run_dir), *smoke_run["overrides"]]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    marker = run_dir / "cycle_1" / "04_adapter.done"   # the kill lands inside 05_student_attempts (~10 s)
    deadline = time.time() + 600
    while not marker.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    assert proc.poll() is None, f"run ended before the kill point: {proc.stderr.read()[-2000:]}"
    time.sleep(1.0)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    store = RunStore(run_dir)
    assert "05_student_attempts" not in store.completed_stages(1)

    resumed = subprocess.run([sys.executable, "-m", "iterkd_lib.cli", "run", "--resume", str(run_dir)],
                             env=env, capture_output=True, text=True, timeout=900)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resuming: next is cycle 1, stage 05_student_attempts" in resumed.stderr, resumed.stderr[-2000:]
    redone = [line for line in resumed.stderr.splitlines() if " s | " in line]  # console.stage_line: stages run
    assert redone, resumed.stderr[-2000:]
    assert not any(f"cycle 1 | {s[:2]} " in line for line in redone for s in STAGES[:4]), redone  # not redone

    reference = RunStore(smoke_run["run_dir"])
    for cycle, stages in ((0, ["09_evaluation"]), (1, [s for s in STAGES if s != "04_adapter"])):
        for stage in stages:
            assert _strip(store.read_records(cycle, stage)) == _strip(reference.read_records(cycle, stage)), \
                (cycle, stage)
    ours = [m for m in store.metrics() if m["kind"] == "cycle_summary"]
    assert [m["cycle"] for m in ours] == [0, 1]
    ref = {m["cycle"]: m for m in reference.metrics() if m["kind"] == "cycle_summary"}
    for m in ours:
        assert m["benchmark_pass@1"] == ref[m["cycle"]]["benchmark_pass@1"]
    # Every teacher/judge answer of the resumed stages came from the cache: no new generations.
    for stage in ("06_feedback", "08_new_questions"):
        usage = store.stage_summary(1, stage).get("teacher_usage") or {}
        assert usage.get("completion_tokens", 0) == 0, (stage, usage)
    assert read_jsonl(run_dir / "held_out.jsonl") == read_jsonl(Path(smoke_run["run_dir"]) / "held_out.jsonl")
