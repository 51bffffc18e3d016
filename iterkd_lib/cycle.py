"""The IterKD loop: the one module that knows the stage order (the `STAGES` table) and every dependency.

    cycle 0:  evaluate the untrained student (and the teacher once, as the ceiling)
    cycle k:  01_pool -> 02_teacher_attempts -> 03_training_set -> 04_adapter          (Stage I)
              -> 05_student_attempts -> 06_feedback                                    (Stage II)
              -> 07_levels -> 08_new_questions                                         (Stage III)
              -> 09_evaluation -> cycle summary in metrics.jsonl, keep-best marker

`STAGES` lists each stage once: its name, its run file, the function that computes it and the run files it
reads. `run_stage` walks the table up to a stage: a stage whose `.done` marker exists is skipped (its
records are read back when a later stage needs them), the others read their inputs from the run directory,
call the plain stage function in `stages/` (inputs, config, seed, models -> records) and write records, then
the marker (last). Stage functions never call each other; the same walk serves a fresh run, a resumed run
(kill -9 included: a stage without its marker is redone, and the teacher's answers come back from the
on-disk cache) and a notebook that steps through one stage at a time. Seeds derive from (run seed, cycle,
item), so redoing a stage asks the very same requests.

Stage I in several processes: with training.num_processes > 1, the adapter stage starts `iterkd train`
under `accelerate launch` (DDP, `launch.launch_training`) instead of training in this process; the child
writes the adapter and the 04_adapter marker, and this process loads the student back from the adapter.

Not covered: running two runs (two writers) on one run directory at once; distributed generation (put the
teacher behind an OpenAI-compatible server for that).

Entry points: `create_run(cfg, run_dir)`, `reopen_run(run_dir, cfg)`, `open_run` (either),
`run_stage(run, k, name)`, `run_cycle(run, k)`, `run_all(run)`, `STAGES`.
"""

from __future__ import annotations

import gc
import logging
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from iterkd_lib import console, launch
from iterkd_lib.config import (
    ConfigError,
    IterKDConfig,
    apply_overrides,
    config_from_dict,
    config_to_dict,
    diff_configs,
    dotted_get,
)
from iterkd_lib.cycle_summary import record_summary_and_best
from iterkd_lib.models.backends import LocalBackend, make_backend
from iterkd_lib.models.registry import check_model_names
from iterkd_lib.models.student import load_student
from iterkd_lib.runstore import RunStore, read_jsonl, write_jsonl
from iterkd_lib.sandbox import executor
from iterkd_lib.seeding import derive_seed, seed_everything, set_torch_threads
from iterkd_lib.stages import (
    adapter,
    evaluation,
    feedback,
    levels,
    new_questions,
    pool,
    student_attempts,
    teacher_attempts,
    training_set,
)

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

    def student(self, cycle: int):
        """The student as it is after `cycle` (cycle 0: no adapter), wrapped as a generation backend."""
        if self._student_cycle != cycle:
            self._student = None
            gc.collect()
            adapter = str(adapter_dir(self, cycle)) if cycle > 0 else None
            model, tok = load_student(self.cfg.student, self.cache_dir, adapter_dir=adapter, trainable=False)
            merged = bool(adapter) and self.cfg.student.merge_for_generation and self.cfg.student.quantization == "none"
            if merged:
                model = model.merge_and_unload()
            name = f"{self.cfg.student.model}" + (f"+adapter@cycle{cycle}" if cycle > 0 else "")
            self._student = LocalBackend.from_model(model, tok, name=name + (" (merged)" if merged else ""),
                                                    batch_size=self.cfg.student.batch_size)
            self._student_cycle = cycle
        return self._student

    def release_student(self) -> None:
        """Drop the loaded student (before training writes a new adapter, so memory holds one copy)."""
        self._student, self._student_cycle = None, None
        gc.collect()


def adapter_dir(run: Run, cycle: int) -> Path:
    """The adapter directory of `cycle` (the run file `04_adapter/`)."""
    return run.store.cycle_dir(cycle) / "04_adapter"


# ------------------------------------------------------------------------------------------ opening

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


# ------------------------------------------------------------------------------------------ stages
# Each `_<stage>` binds one plain stage function to the run: it takes the stage's inputs (run files, read by
# `run_stage`) and returns (records or None, summary for the marker, extra run files). Only these know the
# models and the seeds; only the table knows the order.

Inputs = dict[str, list[dict]]


def _pool(run: Run, cycle: int, inp: Inputs):
    """Cycle 1's pool is written by `create_run`; later pools come from the previous cycle's Stage III."""
    prev_pool, accepted = inp["prev/01_pool"], inp["prev/08_new_questions"]
    nxt = pool.next_pool(prev_pool, inp["prev/07_levels"], accepted, run.cfg, cycle)
    return nxt, {"n": len(nxt), "from_previous": len(prev_pool), "accepted_new": len(accepted)}, {}


def _teacher_attempts(run: Run, cycle: int, inp: Inputs):
    failures = []
    if run.cfg.distill.repair_student_failures:  # the teacher repairs the previous cycle's failed attempts
        failures = training_set.student_failures_from(inp["prev/05_student_attempts"], inp["prev/06_feedback"])
    recs = teacher_attempts.teacher_attempts(inp["01_pool"], run.teacher(), run.cfg,
                                             derive_seed(run.seed, cycle, "teacher"), execute=run.execute,
                                             student_failures=failures)
    return recs, {"counts": teacher_attempts.label_counts(recs),
                  "yield": teacher_attempts.teacher_yield(inp["01_pool"], recs)}, {}


def _training_set(run: Run, cycle: int, inp: Inputs):
    failures = []
    if run.cfg.distill.use_student_failures:  # failed student attempts of the previous cycle (none before 2)
        failures = training_set.student_failures_from(inp["prev/05_student_attempts"], inp["prev/06_feedback"])
    recs = training_set.build_training_set(inp["01_pool"], inp["02_teacher_attempts"], failures, run.cfg,
                                           execute=run.execute)
    n_sft = sum(r["kind"] == "sft" for r in recs)
    return recs, {"n_sft": n_sft, "n_pairs": len(recs) - n_sft, "student_failures": len(failures),
                  "positives": training_set.positive_origins(recs)}, {}


def _adapter(run: Run, cycle: int, inp: Inputs):
    run.release_student()
    if run.cfg.training.num_processes > 1:
        # DDP in child processes (`accelerate launch ... iterkd train`, see launch.py); they write the
        # adapter and the marker, and the student is loaded back from the adapter when next needed
        return None, launch.launch_training(run.store.root, cycle, run.cfg), {}
    prev = adapter_dir(run, cycle - 1) if cycle > 1 and run.cfg.training.continue_adapter else None
    model, tok = load_student(run.cfg.student, run.cache_dir, adapter_dir=str(prev) if prev else None,
                              trainable=True)
    summary = adapter.train_adapter(model, tok, inp["03_training_set"], run.cfg, str(adapter_dir(run, cycle)),
                                    derive_seed(run.seed, cycle, "train"), resume=True)
    # The student generates from the saved adapter (reloaded by run.student), so an uninterrupted run and
    # a resumed one use the very same weights, merged or not.
    del model
    gc.collect()
    return None, summary, {}


def _student_attempts(run: Run, cycle: int, inp: Inputs):
    student = run.student(cycle)
    before = dict(student.usage)   # answers and those cut at max_new_tokens, for the cycle summary
    recs = student_attempts.student_attempts(inp["01_pool"], student, run.cfg, derive_seed(run.seed, cycle, "student"))
    return recs, {"n": len(recs), "student_usage": {k: v - before.get(k, 0) for k, v in student.usage.items()}}, {}


def _feedback(run: Run, cycle: int, inp: Inputs):
    judge = run.judge() if run.cfg.feedback.use_judge else None
    recs = feedback.collect_feedback(inp["01_pool"], inp["05_student_attempts"], run.cfg, judge,
                                     derive_seed(run.seed, cycle, "judge"),
                                     teacher_attempts=inp["02_teacher_attempts"])
    return recs, {"summary": feedback.feedback_summary(recs), "agreement": feedback.judge_test_agreement(recs)}, {}


def _levels(run: Run, cycle: int, inp: Inputs):
    recs = levels.assign_levels(inp["01_pool"], inp["06_feedback"], run.cfg.difficulty)
    return recs, {"distribution": levels.level_distribution(recs)}, {}


def _new_questions(run: Run, cycle: int, inp: Inputs):
    embedder = new_questions.Embedder() if run.cfg.regeneration.embedding_sim_max > 0 else None
    accepted, rejected, stats = new_questions.regenerate_questions(
        inp["07_levels"], inp["01_pool"], run.teacher(), run.cfg, derive_seed(run.seed, cycle, "regenerate"), cycle,
        execute=run.execute, embedder=embedder, held_out=inp["held_out"])
    summary = {"stats": stats, "n_accepted": len(accepted), "n_rejected": len(rejected)}
    return accepted, summary, {"08_rejected_questions": rejected}


def _evaluation(run: Run, cycle: int, inp: Inputs):
    """Benchmark (configured protocol, plus `second_protocol` as a second view) and held-out seed problems
    ('chat', the prompt the student trains on)."""
    seed = derive_seed(run.seed, "evaluation")   # the same seed every cycle: only the student changes
    bench = evaluation.benchmark_problems(run.cfg)
    subjects = [("student", run.student(cycle))]
    if _teacher_evaluated(run, cycle):
        subjects.append(("teacher", run.teacher()))
    ev = run.cfg.evaluation
    views = [(bench, ev.benchmark, ev.protocol, "benchmark")]
    if ev.second_protocol:
        views.append((bench, ev.benchmark, ev.second_protocol, f"benchmark_{ev.second_protocol}"))
    views.append((inp["held_out"], "held_out", "chat", "held_out"))
    records, metrics = [], []
    for subject, backend in subjects:
        for problems, name, protocol, view in views:
            if not problems:
                continue
            recs, m = evaluation.evaluate(backend, problems, run.cfg, seed, protocol=protocol,
                                          subject=subject, benchmark=name, view=view, cycle=cycle)
            records += recs
            metrics.append(m)
    return records, {"metrics": metrics}, {}


def _teacher_evaluated(run: Run, cycle: int) -> bool:
    return cycle == 0 and run.cfg.evaluation.evaluate_teacher


@dataclass(frozen=True)
class Stage:
    """One row of the stage table.

    `name`: what `run_stage` is asked for; `file`: the run file stem (cycle_<k>/<file>.jsonl and
    <file>.done); `compute(run, cycle, inputs)`: see the section comment; `inputs`: run files read, "NN_x"
    from this cycle, "prev/NN_x" from the previous one (empty when that cycle has no such finished stage),
    "held_out" from the run root; `spends(run, cycle)`: the backend whose token usage the stage spends, if
    any (recorded in the marker); `in_cycle_0`: whether the stage runs in the evaluation-only cycle 0.
    """

    name: str
    file: str
    compute: Callable[[Run, int, Inputs], tuple]
    inputs: tuple[str, ...] = ()
    spends: Callable[[Run, int], object] | None = None
    in_cycle_0: bool = False


STAGES: tuple[Stage, ...] = (
    Stage("pool", "01_pool", _pool, ("prev/01_pool", "prev/07_levels", "prev/08_new_questions")),
    Stage("teacher_attempts", "02_teacher_attempts", _teacher_attempts,
          ("01_pool", "prev/05_student_attempts", "prev/06_feedback"),
          spends=lambda run, k: run.teacher()),
    Stage("training_set", "03_training_set", _training_set,
          ("01_pool", "02_teacher_attempts", "prev/05_student_attempts", "prev/06_feedback")),
    Stage("adapter", "04_adapter", _adapter, ("03_training_set",)),
    Stage("student_attempts", "05_student_attempts", _student_attempts, ("01_pool", "04_adapter")),
    Stage("feedback", "06_feedback", _feedback, ("01_pool", "02_teacher_attempts", "05_student_attempts"),
          spends=lambda run, k: run.judge() if run.cfg.feedback.use_judge else None),
    Stage("levels", "07_levels", _levels, ("01_pool", "06_feedback")),
    Stage("new_questions", "08_new_questions", _new_questions, ("01_pool", "07_levels", "held_out"),
          spends=lambda run, k: run.teacher()),
    Stage("evaluation", "09_evaluation", _evaluation, ("04_adapter", "held_out"),
          spends=lambda run, k: run.teacher() if _teacher_evaluated(run, k) else None, in_cycle_0=True),
)
STAGE_BY_NAME = {s.name: s for s in STAGES}


def _read_input(run: Run, cycle: int, name: str) -> list[dict]:
    if name == "held_out":
        return read_jsonl(run.store.root / "held_out.jsonl")
    if name.startswith("prev/"):
        cycle, name = cycle - 1, name.removeprefix("prev/")
        if cycle < 1 or not run.store.is_complete(cycle, name):
            return []
    return run.store.read_records(cycle, name) if run.store.has_records(cycle, name) else []


def _compute(run: Run, cycle: int, stage: Stage) -> None:
    """Compute one stage from its inputs; write its records, extra files, then its marker (last)."""
    log.debug("cycle %d: %s ...", cycle, stage.file)
    inputs = {name: _read_input(run, cycle, name) for name in stage.inputs}
    backend = stage.spends(run, cycle) if stage.spends is not None else None
    before = dict(backend.usage) if backend is not None and hasattr(backend, "usage") else None
    t0 = time.time()
    records, summary, extra = stage.compute(run, cycle, inputs)
    seconds = time.time() - t0
    for name, recs in extra.items():
        run.store.write_records(cycle, name, recs)
    if records is not None:
        run.store.write_records(cycle, stage.file, records)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # process peak so far, Linux: KiB
    summary = {"seconds": round(seconds, 2), "peak_rss_mb_so_far": round(peak_mb), **(summary or {})}
    if before is not None:
        summary["teacher_usage"] = {k: backend.usage.get(k, 0) - before.get(k, 0) for k in backend.usage}
    run.store.mark_complete(cycle, stage.file, summary)
    log.info("%s", console.stage_line(cycle, stage.file, summary))   # the full summary is in the .done marker
    log.debug("cycle %d: %s summary %s", cycle, stage.file, summary)


def run_stage(run: Run, cycle: int, name: str) -> list[dict]:
    """Bring `cycle` up to and including stage `name` (finished stages are skipped); return its records.

    A stage without records (the adapter) returns []; its numbers are in `run.store.stage_summary`.
    Raises KeyError for an unknown name.
    """
    target = STAGE_BY_NAME[name]
    for stage in STAGES:
        if _due(run.store, cycle, stage):
            _compute(run, cycle, stage)
        if stage is target:
            break
    return run.store.read_records(cycle, target.file) if run.store.has_records(cycle, target.file) else []


def next_stage(run: Run) -> tuple[int, str] | None:
    """(cycle, stage file) the run would compute next, in the order of `run_all`; None when cycles 0..run.cycles
    are all done. What `iterkd run --resume` says before it continues."""
    for k in range(run.cfg.run.cycles + 1):
        for stage in STAGES:
            if _due(run.store, k, stage):
                return k, stage.file
    return None


def _due(store: RunStore, cycle: int, stage: Stage) -> bool:
    """Whether `stage` still has to run in `cycle`: it belongs there (cycle 0 runs only the evaluation-only
    stages) and its .done marker is missing."""
    return (cycle > 0 or stage.in_cycle_0) and not store.is_complete(cycle, stage.file)


def run_cycle(run: Run, cycle: int) -> dict:
    """Run (or finish) one cycle and return its summary (the metrics.jsonl record)."""
    run_stage(run, cycle, STAGES[-1].name)
    return record_summary_and_best(run.store, run.cfg, cycle)


def run_all(run: Run, cycles: int | None = None) -> list[dict]:
    """Cycle 0 (baselines) then cycles 1..`cycles` (default run.cycles); one summary per cycle."""
    cycles = run.cfg.run.cycles if cycles is None else cycles
    return [run_cycle(run, k) for k in range(cycles + 1)]
