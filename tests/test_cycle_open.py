"""Opening and reopening runs (no model is loaded: models load lazily when a stage really runs)."""

import json

import pytest

from iterkd_lib import cycle, runs
from iterkd_lib.config import ConfigError, load_config
from iterkd_lib.models.registry import check_model_names
from iterkd_lib.stages.evaluation import decoding_for


@pytest.fixture
def smoke_cfg():
    return load_config("configs/smoke.yaml", ["run.torch_threads=1"])


def test_new_run_writes_split_pool_and_config(tmp_path, smoke_cfg):
    run = runs.open_run(smoke_cfg, tmp_path / "r", overrides=["training.loss=none"])
    info = run.store.read_run_info()
    assert info["config"]["training"]["loss"] == "none" and run.cfg.training.loss == "none"
    pool = run.store.read_records(1, "01_pool")
    held = [json.loads(line) for line in (run.store.root / "held_out.jsonl").read_text().splitlines()]
    assert len(held) == smoke_cfg.data.held_out and len(pool) == smoke_cfg.data.pool_size
    assert not {p["task_id"] for p in pool} & {h["task_id"] for h in held}
    assert run.store.is_complete(1, "01_pool") and run._teacher is None and run._student is None


def test_same_seed_gives_the_same_split(tmp_path, smoke_cfg):
    a = runs.open_run(smoke_cfg, tmp_path / "a")
    b = runs.open_run(smoke_cfg, tmp_path / "b")
    assert (a.store.root / "held_out.jsonl").read_text() == (b.store.root / "held_out.jsonl").read_text()


def test_reopen_refuses_a_changed_config_naming_the_keys(tmp_path, smoke_cfg, caplog):
    runs.open_run(smoke_cfg, tmp_path / "r")
    with pytest.raises(ConfigError, match=r"student.lora.r.*--allow-config-change"):
        runs.open_run(None, tmp_path / "r", overrides=["student.lora.r=4", "run.cycles=5"])
    run = runs.open_run(None, tmp_path / "r", overrides=["student.lora.r=4"], allow_config_change=True)
    assert run.cfg.student.lora.r == 4
    assert run.store.read_run_info()["config_changes"][-1]["keys"] == ["student.lora.r"]
    # extending a run or moving its caches is not a change of what it computes, but it is said, never silent
    caplog.clear()
    assert runs.open_run(None, tmp_path / "r", overrides=["run.cycles=5", "run.cache_dir=/tmp/x"]).cfg.run.cycles == 5
    said = " ".join(r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert f"run.cycles {smoke_cfg.run.cycles!r} -> 5" in said and "run.cache_dir" in said
    caplog.clear()
    runs.open_run(None, tmp_path / "r")                       # the saved config as it is: nothing to say
    assert not [r for r in caplog.records if r.levelname == "WARNING"]


def test_reopen_tolerates_keys_added_after_the_run_started(tmp_path, smoke_cfg):
    run = runs.open_run(smoke_cfg, tmp_path / "r")
    info = run.store.read_run_info()
    del info["config"]["training"]["num_processes"]          # a run saved before the key existed
    run.store.write_run_info(info)
    assert runs.open_run(smoke_cfg, tmp_path / "r").cfg.training.num_processes == 1


def test_protocol_stops_are_added_and_recorded(smoke_cfg):
    chat = decoding_for(smoke_cfg.evaluation.decoding, "chat")
    completion = decoding_for(smoke_cfg.evaluation.decoding, "completion")
    assert "\n```\n" in chat.stop and "\ndef " not in chat.stop
    assert "\ndef " in completion.stop and smoke_cfg.evaluation.decoding.stop == []


def test_unknown_model_name_is_refused_before_anything_is_written(tmp_path, smoke_cfg):
    with pytest.raises(ConfigError, match=r"student.model: unknown model 'smollm2-135m-instruc'; did you mean "
                                          r"'smollm2-135m-instruct'\?"):
        runs.open_run(smoke_cfg, tmp_path / "r", overrides=["student.model=smollm2-135m-instruc"])
    assert not (tmp_path / "r").exists()          # no run.json to delete before trying again
    with pytest.raises(ConfigError, match=r"feedback.judge.model: unknown model 'nonsense'"):
        runs.open_run(smoke_cfg, tmp_path / "r", overrides=["feedback.judge.model=nonsense"])
    with pytest.raises(ConfigError, match=r"^my.yaml: teacher.model: unknown model"):
        check_model_names(load_config("configs/smoke.yaml", ["teacher.model=qwen-typo"]), "my.yaml")
    # hub ids, paths and served models pass (they are resolved when the model loads)
    check_model_names(load_config("configs/smoke.yaml", [f"student.model={tmp_path}",
                                                               "teacher.model=Qwen/Qwen2.5-Coder-7B-Instruct"]))
    check_model_names(load_config("configs/smoke.yaml", ["teacher.backend=openai", "teacher.model=any-name",
                                                               "teacher.base_url=http://127.0.0.1:9/v1"]))


def test_next_stage_follows_the_stage_table(tmp_path, smoke_cfg):
    run = runs.open_run(smoke_cfg, tmp_path / "r")
    assert cycle.next_stage(run) == (0, "09_evaluation")           # cycle 0 evaluates only
    run.store.mark_complete(0, "09_evaluation", {})
    assert cycle.next_stage(run) == (1, "02_teacher_attempts")     # cycle 1's pool was written at creation
    for k in range(run.cfg.run.cycles + 1):
        for stage in cycle.STAGES:
            run.store.mark_complete(k, stage.file, {})
    assert cycle.next_stage(run) is None


def test_sigterm_stops_a_run_saying_where_and_how_to_resume(tmp_path, model_cache_dir):
    import os
    import signal
    import subprocess
    import sys
    import time

    run_dir = tmp_path / "r"
    cmd = [sys.executable, "-m", "iterkd_lib.cli", "run", "--config", "configs/smoke.yaml", "--cycles", "0",
           "--run-dir", str(run_dir), f"run.cache_dir={model_cache_dir}", f"run.response_cache_dir={tmp_path / 'c'}",
           "run.torch_threads=1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    deadline = time.time() + 120
    while not (run_dir / "iterkd.log").exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.1)   # the run log is attached right before the first stage
    time.sleep(1.0)
    assert proc.poll() is None, proc.stderr.read()[-2000:]
    os.kill(proc.pid, signal.SIGTERM)
    err = proc.communicate(timeout=120)[1]
    assert proc.returncode == 130, err[-2000:]
    assert "interrupted (signal SIGTERM) in cycle 0, stage 09_evaluation" in err, err[-2000:]
    assert f"Resume: iterkd run --resume {run_dir}" in err
