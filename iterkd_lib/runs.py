"""A run: its configuration, its directory and the models loaded for it (`Run`), and opening one.

`create_run` starts a run directory (held-out split, cycle 1's pool, run.json with the resolved config, seed
and package versions) after checking the model names, so a typo never leaves a half-made run behind;
`reopen_run` continues one, its saved config winning unless another is given (differences outside
RESUME_SAFE_KEYS are refused without allow_config_change, and every accepted one is logged and recorded in
run.json); `open_run` does whichever fits. `Run` loads teacher, judge and student lazily, once per process,
because loading is the expensive part; the stage order and the loop live in cycle.py.

Not covered: two writers on one run directory; the stages themselves (stages/, bound in cycle.py).
Entry points: `Run`, `create_run(cfg, run_dir)`, `reopen_run(run_dir, cfg)`, `open_run`, `adapter_dir`.
"""

from __future__ import annotations

import gc
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from iterkd_lib import console
from iterkd_lib.config import (
    ConfigError,
    IterKDConfig,
    apply_overrides,
    config_from_dict,
    config_to_dict,
    diff_configs,
    dotted_get,
)
from iterkd_lib.models.backends import make_backend
from iterkd_lib.models.hf_backend import LocalBackend
from iterkd_lib.models.registry import check_model_names
from iterkd_lib.models.response_cache import ResponseCache
from iterkd_lib.models.student import load_student
from iterkd_lib.runstore import RunStore, write_jsonl
from iterkd_lib.sandbox import executor
from iterkd_lib.seeding import seed_everything, set_torch_threads
from iterkd_lib.stages import pool

log = logging.getLogger("iterkd")

# Keys that may differ on resume without --allow-config-change: they extend or relocate a run, they do not
# change what any finished stage computed.
RESUME_SAFE_KEYS = {"run.cycles", "run.runs_root", "run.name", "run.cache_dir", "run.response_cache_dir",
                    "run.torch_threads", "training.num_processes"}
RESUME_SAFE_PREFIXES = ("study.",)   # `iterkd study` settings: they choose runs, not what a stage computes


@dataclass
class Run:
    """A run directory plus the models loaded for it (loading is the expensive part, so it is shared)."""

    cfg: IterKDConfig
    store: RunStore
    _teacher: object | None = None
    _judge: object | None = None
    _student: object | None = None
    _student_cycle: int | None = None

    @property
    def seed(self) -> int:
        """The run seed (run.seed); every stage's seed derives from it."""
        return self.cfg.run.seed

    @property
    def cache_dir(self) -> str:
        """Where converted models live (run.cache_dir, expanded)."""
        return str(Path(self.cfg.run.cache_dir).expanduser())

    @property
    def response_cache_dir(self) -> str:
        """Where teacher/judge replies are cached by request (run.response_cache_dir, else run.cache_dir)."""
        return str(Path(self.cfg.run.response_cache_dir or self.cfg.run.cache_dir).expanduser())

    def execute(self, pairs: list[tuple[dict, str]]) -> list[dict]:
        """Verdict dicts for (problem, completion) pairs under the run's execution limits (the sandbox)."""
        return executor(self.cfg.execution)(pairs)

    def teacher(self):
        """The teacher backend (loaded once per process)."""
        if self._teacher is None:
            self._teacher = make_backend(self.cfg.teacher, self.cache_dir, response_cache_dir=self.response_cache_dir,
                                         log_dir=str(self.store.root / "logs"))  # an engine server's log
        return self._teacher

    def judge(self):
        """The judge backend: the teacher unless feedback.judge.model names another model."""
        if self._judge is None:
            judge_cfg = self.cfg.feedback.judge
            self._judge = (self.teacher() if not judge_cfg.model else
                           make_backend(judge_cfg, self.cache_dir, response_cache_dir=self.response_cache_dir,
                                        log_dir=str(self.store.root / "logs")))
        return self._judge

    def student(self, cycle: int, engine: str = "hf"):
        """The student as it is after `cycle` (cycle 0: no adapter), wrapped as a generation backend.

        engine 'hf': the transformers model (LoRA merged when student.merge_for_generation allows);
        'ctranslate2': a CTranslate2 copy (evaluation.engine_compute_type) of the same merged weights, converted
        once per cycle into <cycle dir>/student_ct2/ (cycle 0: the base model's copy in the model cache), on
        run.torch_threads threads, its answers cached by request (the key holds the converted weights'
        checksum, so an interrupted evaluation resumes where it stopped). One student is held at a time;
        asking for another cycle or engine drops it.
        """
        if self._student_cycle != (cycle, engine):
            self._student = None
            gc.collect()
            adapter = str(adapter_dir(self, cycle)) if cycle > 0 else None
            name = f"{self.cfg.student.model}" + (f"+adapter@cycle{cycle}" if cycle > 0 else "")
            if engine == "ctranslate2":
                self._student = self._ct2_student(cycle, adapter, name)
            else:
                model, tok = load_student(self.cfg.student, self.cache_dir, adapter_dir=adapter, trainable=False)
                merged = bool(adapter) and self.cfg.student.merge_for_generation and self.cfg.student.quantization == "none"
                if merged:
                    model = model.merge_and_unload()
                self._student = LocalBackend.from_model(model, tok, name=name + (" (merged)" if merged else ""),
                                                        batch_size=self.cfg.student.batch_size)
            self._student_cycle = (cycle, engine)
        return self._student

    def _ct2_student(self, cycle: int, adapter: str | None, name: str):
        from iterkd_lib.models.ct2 import CT2Backend, convert_merged, ct2_model_dir
        from iterkd_lib.models.registry import resolve_model

        ct = self.cfg.evaluation.engine_compute_type
        t0 = time.time()
        if adapter is None:
            ct2_dir = ct2_model_dir(resolve_model(self.cfg.student.model, self.cache_dir), self.cache_dir, ct,
                                    name=Path(self.cfg.student.model).name)
        else:
            if self.cfg.student.quantization != "none":
                raise ConfigError("evaluation.engine=ctranslate2 needs student.quantization=none (a 4-bit student "
                                  "cannot be merged without loss); use evaluation.engine=hf")
            model, tok = load_student(self.cfg.student, self.cache_dir, adapter_dir=adapter, trainable=False)
            ct2_dir = convert_merged(model.merge_and_unload(), tok, str(self.store.cycle_dir(cycle) / "student_ct2"),
                                     f"{Path(self.cfg.student.model).name}-cycle{cycle}", ct)
            del model
            gc.collect()
        log.info("student for cycle %d on ctranslate2 (%s): %s, ready in %.1f s", cycle, ct, ct2_dir,
                 time.time() - t0)
        # cached by request: the key holds the converted weights' checksum, so a killed evaluation resumes
        # from the answers it already has (one per problem, written as each batch ends)
        return CT2Backend(ct2_dir, name + (" (merged)" if adapter else ""), batch_size=self.cfg.student.batch_size,
                          threads=self.cfg.run.torch_threads, compute_type=ct,
                          cache=ResponseCache(self.response_cache_dir))

    def release_student(self) -> None:
        """Drop the loaded student (before training writes a new adapter, so memory holds one copy)."""
        self._student, self._student_cycle = None, None
        gc.collect()


def adapter_dir(run: Run, cycle: int) -> Path:
    """The adapter directory of `cycle` (the run file `04_adapter/`)."""
    return run.store.cycle_dir(cycle) / "04_adapter"


# ------------------------------------------------------------------------------------------ opening a run

def _versions() -> dict:
    import importlib.metadata as md

    names = ["torch", "transformers", "peft", "trl", "accelerate", "bitsandbytes", "openai", "pylint"]
    out = {}
    for n in names:
        try:
            out[n] = md.version(n)
        except md.PackageNotFoundError:
            out[n] = None
    return out


def create_run(cfg: IterKDConfig, run_dir: str | Path | None = None, overrides: list[str] | None = None) -> Run:
    """Start a new run in `run_dir` (default: <run.runs_root>/<run.name>-<timestamp>).

    Writes held_out.jsonl, cycle 1's 01_pool (`stages.pool.seed_pool`) and run.json (resolved config, seed,
    package versions, model ids). Raises ConfigError when `run_dir` already holds a run (use `reopen_run`)
    or when a model name is neither a registry name, an existing path nor a hub id (`check_model_names`);
    both are checked before anything is written.
    """
    if run_dir and (Path(run_dir) / "run.json").exists():
        raise ConfigError(f"{run_dir}: already holds a run; reopen it instead")
    if overrides:
        cfg = config_from_dict(apply_overrides(config_to_dict(cfg), overrides), where="open_run overrides")
    check_model_names(cfg)   # before anything is written: a typo must not leave a half-made run behind
    run_dir = run_dir or Path(cfg.run.runs_root) / f"{cfg.run.name}-{datetime.now():%Y%m%d-%H%M%S}"
    store = RunStore(run_dir)
    t0 = time.time()
    first_pool, held = pool.seed_pool(cfg)
    write_jsonl(store.root / "held_out.jsonl", held)
    store.write_records(1, "01_pool", first_pool)
    summary = {"seconds": round(time.time() - t0, 2), "n": len(first_pool), "source": cfg.data.seed_problems}
    store.mark_complete(1, "01_pool", summary)
    log.info("%s", console.stage_line(1, "01_pool", summary))   # written here, before cycle 0 runs
    store.write_run_info({"config": config_to_dict(cfg), "seed": cfg.run.seed, "started_at": _now(),
                          "versions": _versions(), "teacher": cfg.teacher.model, "student": cfg.student.model})
    return _ready(cfg, store)


def reopen_run(run_dir: str | Path, cfg: IterKDConfig | None = None, overrides: list[str] | None = None,
               allow_config_change: bool = False) -> Run:
    """Reopen the run in `run_dir`: its saved config wins unless `cfg`/`overrides` are given.

    Differences from the saved config outside RESUME_SAFE_KEYS raise ConfigError naming the keys, unless
    `allow_config_change`; accepted differences (safe ones such as run.cycles included) are logged as a
    warning with old and new values, so a resume never silently extends a run, and recorded in run.json
    (`config_changes`).
    """
    store = RunStore(run_dir)
    info = store.read_run_info()
    # Re-resolved, so keys added to the config after this run started compare equal at their defaults.
    saved = config_to_dict(config_from_dict(info["config"], where=str(store.run_json)))
    wanted = config_to_dict(cfg) if cfg is not None else saved
    if overrides:
        wanted = apply_overrides(wanted, overrides)
    keys = diff_configs(saved, wanted)
    changed = [k for k in keys if k not in RESUME_SAFE_KEYS and not k.startswith(RESUME_SAFE_PREFIXES)]
    if changed and not allow_config_change:
        raise ConfigError(f"{store.run_json}: the config differs from the one this run started with in "
                          f"{', '.join(changed)}; pass --allow-config-change to continue anyway")
    cfg = config_from_dict(wanted, where=f"{store.run_json}")
    if keys:
        said = "; ".join(f"{k} {dotted_get(saved, k)!r} -> {dotted_get(wanted, k)!r}" for k in keys)
        log.warning("resuming %s with a config that differs from the saved one: %s (recorded in run.json "
                    "config_changes)", store.root, said)
        info.setdefault("config_changes", []).append({"at": _now(), "keys": keys})
        info["config"] = wanted
        store.write_run_info(info)
    return _ready(cfg, store)


def open_run(cfg: IterKDConfig | None = None, run_dir: str | Path | None = None, overrides: list[str] | None = None,
             allow_config_change: bool = False) -> Run:
    """`reopen_run` when `run_dir` holds a run (its saved config wins), else `create_run` (needs `cfg`)."""
    if run_dir and (Path(run_dir) / "run.json").exists():
        return reopen_run(run_dir, cfg, overrides, allow_config_change)
    if cfg is None:
        raise ConfigError("open_run: a config is needed to start a new run")
    return create_run(cfg, run_dir, overrides)


def _ready(cfg: IterKDConfig, store: RunStore) -> Run:
    seed_everything(cfg.run.seed)
    set_torch_threads(cfg.run.torch_threads)
    return Run(cfg=cfg, store=store)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
