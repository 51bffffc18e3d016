"""The IterKD loop: the one module that knows the stage order.

    cycle 0:  evaluate the untrained student (and the teacher once, as the ceiling)
    cycle k:  01_pool -> 02_teacher_attempts -> 03_training_set -> 04_adapter          (Stage I)
              -> 05_student_attempts -> 06_feedback                                    (Stage II)
              -> 07_levels -> 08_new_questions                                         (Stage III)
              -> 09_evaluation -> cycle summary in metrics.jsonl, keep-best marker

Every stage is a function `stage_<name>(run, cycle)` that returns its records. A stage whose `.done` marker
exists is read back instead of recomputed, so the same functions serve a fresh run, a resumed run (kill -9
included: a stage without its marker is redone, and the teacher's answers come back from the on-disk
cache) and a notebook that steps through one stage at a time. Seeds derive from (run seed, cycle, item), so
redoing a stage asks the very same requests.

Stage I in several processes: with training.num_processes > 1, `stage_adapter` starts `iterkd train` under
`accelerate launch` (DDP, `launch.launch_training`) instead of training in this process; the child writes
the adapter and the 04_adapter marker, and this process loads the student back from the adapter.

Not covered: running two runs (two writers) on one run directory at once; distributed generation (put the
teacher behind an OpenAI-compatible server for that).

Entry points: `open_run(cfg, run_dir, ...)`, `run_cycle(run, k)`, `run_all(run)`, the `stage_*` functions.
"""

from __future__ import annotations

import gc
import logging
import resource
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from iterkd_lib import launch
from iterkd_lib.stages import adapter as training
from iterkd_lib.stages import evaluation, feedback
from iterkd_lib.stages import levels as difficulty
from iterkd_lib.stages import new_questions as regeneration
from iterkd_lib.stages import teacher_attempts as teacher_data
from iterkd_lib.config import ConfigError, IterKDConfig, apply_overrides, config_from_dict, config_to_dict, diff_configs
from iterkd_lib.cycle_summary import record_summary_and_best
from iterkd_lib.sandbox.execution import check_completions
from iterkd_lib.models.backends import LocalBackend, make_backend
from iterkd_lib.problems import load_problems
from iterkd_lib.runstore import RunStore, read_jsonl, write_jsonl
from iterkd_lib.seeding import derive_seed, seed_everything, set_torch_threads
from iterkd_lib.models.student import load_student

log = logging.getLogger("iterkd")

# Keys that may differ on resume without --allow-config-change: they extend or relocate a run, they do not
# change what any finished stage computed.
RESUME_SAFE_KEYS = {"run.cycles", "run.runs_root", "run.name", "run.cache_dir", "run.response_cache_dir",
                    "run.torch_threads", "training.num_processes"}


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
        return self.cfg.run.seed

    @property
    def cache_dir(self) -> str:
        return str(Path(self.cfg.run.cache_dir).expanduser())

    @property
    def response_cache_dir(self) -> str:
        return str(Path(self.cfg.run.response_cache_dir or self.cfg.run.cache_dir).expanduser())

    def execute(self, pairs):
        ex = self.cfg.execution
        return check_completions(pairs, timeout_s=ex.timeout_s, memory_mb=ex.memory_mb, workers=ex.workers)

    def teacher(self):
        if self._teacher is None:
            self._teacher = make_backend(self.cfg.teacher, self.cache_dir, response_cache_dir=self.response_cache_dir)
        return self._teacher

    def judge(self):
        if self._judge is None:
            judge_cfg = self.cfg.feedback.judge
            self._judge = (self.teacher() if not judge_cfg.model else
                           make_backend(judge_cfg, self.cache_dir, response_cache_dir=self.response_cache_dir))
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


def adapter_dir(run: Run, cycle: int) -> Path:
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


def _split_seed_pool(cfg: IterKDConfig) -> tuple[list[dict], list[dict]]:
    """Held-out problems are chosen by the run seed, before anything else touches the pool."""
    import random

    seeds = load_problems(cfg.data.seed_problems)
    order = list(range(len(seeds)))
    random.Random(derive_seed(cfg.run.seed, "held-out split")).shuffle(order)
    held = [dict(seeds[i], source="seed") for i in order[: cfg.data.held_out]]
    pool = [dict(seeds[i], source="seed", origin_cycle=0) for i in sorted(order[cfg.data.held_out:])]
    return (pool[: cfg.data.pool_size] if cfg.data.pool_size else pool), held


def open_run(cfg: IterKDConfig | None = None, run_dir: str | Path | None = None, overrides: list[str] | None = None,
             allow_config_change: bool = False) -> Run:
    """Start a new run, or reopen an existing one (its saved config wins; differences are refused by name)."""
    if run_dir and (Path(run_dir) / "run.json").exists():
        store = RunStore(run_dir)
        info = store.read_run_info()
        # Re-resolved, so keys added to the config after this run started compare equal at their defaults.
        saved = config_to_dict(config_from_dict(info["config"], where=str(store.run_json)))
        wanted = config_to_dict(cfg) if cfg is not None else saved
        if overrides:
            wanted = apply_overrides(wanted, overrides)
        changed = [k for k in diff_configs(saved, wanted) if k not in RESUME_SAFE_KEYS]
        if changed and not allow_config_change:
            raise ConfigError(f"{store.run_json}: the config differs from the one this run started with in "
                              f"{', '.join(changed)}; pass --allow-config-change to continue anyway")
        cfg = config_from_dict(wanted, where=f"{store.run_json}")
        if changed or diff_configs(saved, wanted):
            info.setdefault("config_changes", []).append({"at": _now(), "keys": diff_configs(saved, wanted)})
            info["config"] = wanted
            store.write_run_info(info)
    else:
        if cfg is None:
            raise ConfigError("open_run: a config is needed to start a new run")
        if overrides:
            cfg = config_from_dict(apply_overrides(config_to_dict(cfg), overrides), where="open_run overrides")
        run_dir = run_dir or Path(cfg.run.runs_root) / f"{cfg.run.name}-{datetime.now():%Y%m%d-%H%M%S}"
        store = RunStore(run_dir)
        pool, held = _split_seed_pool(cfg)
        write_jsonl(store.root / "held_out.jsonl", held)
        store.write_records(1, "01_pool", pool)
        store.mark_complete(1, "01_pool", {"n": len(pool), "source": cfg.data.seed_problems})
        store.write_run_info({"config": config_to_dict(cfg), "seed": cfg.run.seed, "started_at": _now(),
                              "versions": _versions(), "teacher": cfg.teacher.model, "student": cfg.student.model})
    seed_everything(cfg.run.seed)
    set_torch_threads(cfg.run.torch_threads)
    return Run(cfg=cfg, store=store)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# ------------------------------------------------------------------------------------------ stages

def _stage(run: Run, cycle: int, name: str, compute, usage_of=None):
    """Read a finished stage back, or compute it, write its records, then its marker (last).

    `usage_of` is a zero-argument callable giving the backend whose token usage this stage spends (called
    only when the stage really runs, so reading a finished run never loads a model)."""
    if run.store.is_complete(cycle, name):
        return run.store.read_records(cycle, name) if run.store.has_records(cycle, name) else None
    log.info("cycle %d: %s ...", cycle, name)
    usage_of = usage_of() if usage_of is not None else None
    before = dict(usage_of.usage) if usage_of is not None and hasattr(usage_of, "usage") else None
    t0 = time.time()
    records, summary = compute()
    seconds = time.time() - t0
    if records is not None:
        run.store.write_records(cycle, name, records)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # process peak so far, Linux: KiB
    summary = {"seconds": round(seconds, 2), "peak_rss_mb_so_far": round(peak_mb), **(summary or {})}
    if before is not None:
        summary["teacher_usage"] = {k: usage_of.usage.get(k, 0) - before.get(k, 0) for k in usage_of.usage}
    run.store.mark_complete(cycle, name, summary)
    log.info("cycle %d: %s done in %.1fs %s", cycle, name, seconds,
             {k: v for k, v in summary.items() if k not in ("seconds", "teacher_usage")})
    return records


def stage_pool(run: Run, cycle: int) -> list[dict]:
    """Cycle 1's pool is written by `open_run`; later pools come from the previous cycle's Stage III."""
    def compute():
        prev = cycle - 1
        pool = run.store.read_records(prev, "01_pool")
        levels = run.store.read_records(prev, "07_levels")
        accepted = run.store.read_records(prev, "08_new_questions")
        nxt = regeneration.next_pool(pool, levels, accepted, run.cfg, cycle)
        return nxt, {"n": len(nxt), "from_previous": len(pool), "accepted_new": len(accepted)}
    return _stage(run, cycle, "01_pool", compute)


def stage_teacher_attempts(run: Run, cycle: int) -> list[dict]:
    pool = stage_pool(run, cycle)

    def compute():
        recs = teacher_data.teacher_attempts(pool, run.teacher(), run.cfg, derive_seed(run.seed, cycle, "teacher"),
                                             execute=run.execute)
        return recs, {"counts": teacher_data.label_counts(recs)}
    return _stage(run, cycle, "02_teacher_attempts", compute, usage_of=run.teacher)


def _student_failures(run: Run, cycle: int) -> list[dict]:
    """Failed student attempts of the previous cycle (none before cycle 2: cycle 0 only evaluates)."""
    prev = cycle - 1
    if prev < 1 or not run.store.is_complete(prev, "06_feedback"):
        return []
    return teacher_data.student_failures_from(run.store.read_records(prev, "05_student_attempts"),
                                              run.store.read_records(prev, "06_feedback"))


def stage_training_set(run: Run, cycle: int) -> list[dict]:
    pool = stage_pool(run, cycle)
    attempts = stage_teacher_attempts(run, cycle)

    def compute():
        failures = _student_failures(run, cycle) if run.cfg.distill.use_student_failures else []
        recs = teacher_data.build_training_set(pool, attempts, failures, run.cfg, execute=run.execute)
        n_sft = sum(r["kind"] == "sft" for r in recs)
        return recs, {"n_sft": n_sft, "n_pairs": len(recs) - n_sft, "student_failures": len(failures)}
    return _stage(run, cycle, "03_training_set", compute)


def stage_adapter(run: Run, cycle: int) -> dict:
    records = stage_training_set(run, cycle)
    out = adapter_dir(run, cycle)

    def compute():
        run._student, run._student_cycle = None, None
        gc.collect()
        if run.cfg.training.num_processes > 1:
            # DDP in child processes (`accelerate launch ... iterkd train`, see launch.py); they write the
            # adapter and the marker, and the student is loaded back from the adapter when next needed
            return None, launch.launch_training(run.store.root, cycle, run.cfg)
        prev = adapter_dir(run, cycle - 1) if cycle > 1 and run.cfg.training.continue_adapter else None
        model, tok = load_student(run.cfg.student, run.cache_dir, adapter_dir=str(prev) if prev else None,
                                  trainable=True)
        summary = training.train_adapter(model, tok, records, run.cfg, str(out),
                                         derive_seed(run.seed, cycle, "train"), resume=True)
        # The student generates from the saved adapter (reloaded by run.student), so an uninterrupted run and
        # a resumed one use the very same weights, merged or not.
        del model
        gc.collect()
        return None, summary
    _stage(run, cycle, "04_adapter", compute)
    return run.store.stage_summary(cycle, "04_adapter")


def stage_student_attempts(run: Run, cycle: int) -> list[dict]:
    pool = stage_pool(run, cycle)
    if not run.store.is_complete(cycle, "05_student_attempts"):
        stage_adapter(run, cycle)

    def compute():
        recs = feedback.student_attempts(pool, run.student(cycle), run.cfg, derive_seed(run.seed, cycle, "student"))
        return recs, {"n": len(recs)}
    return _stage(run, cycle, "05_student_attempts", compute)


def stage_feedback(run: Run, cycle: int) -> list[dict]:
    pool = stage_pool(run, cycle)
    attempts = stage_student_attempts(run, cycle)

    def compute():
        judge = run.judge() if run.cfg.feedback.use_judge else None
        recs = feedback.collect_feedback(pool, attempts, run.cfg, judge, derive_seed(run.seed, cycle, "judge"))
        return recs, {"summary": feedback.feedback_summary(recs), "agreement": feedback.judge_test_agreement(recs)}
    return _stage(run, cycle, "06_feedback", compute, usage_of=run.judge if run.cfg.feedback.use_judge else None)


def stage_levels(run: Run, cycle: int) -> list[dict]:
    pool = stage_pool(run, cycle)
    fb = stage_feedback(run, cycle)

    def compute():
        recs = difficulty.assign_levels(pool, fb, run.cfg.difficulty)
        return recs, {"distribution": difficulty.level_distribution(recs)}
    return _stage(run, cycle, "07_levels", compute)


def stage_new_questions(run: Run, cycle: int) -> list[dict]:
    pool = stage_pool(run, cycle)
    levels = stage_levels(run, cycle)

    def compute():
        embedder = regeneration.Embedder() if run.cfg.regeneration.embedding_sim_max > 0 else None
        held = read_jsonl(run.store.root / "held_out.jsonl")  # decontamination: no twin of an eval question
        accepted, rejected, stats = regeneration.regenerate_questions(
            levels, pool, run.teacher(), run.cfg, derive_seed(run.seed, cycle, "regenerate"), cycle,
            execute=run.execute, embedder=embedder, held_out=held)
        run.store.write_records(cycle, "08_rejected_questions", rejected)
        return accepted, {"stats": stats, "n_accepted": len(accepted), "n_rejected": len(rejected)}
    return _stage(run, cycle, "08_new_questions", compute, usage_of=run.teacher)


def stage_evaluation(run: Run, cycle: int) -> list[dict]:
    """Benchmark (configured protocol) and held-out seed problems ('chat', the prompt the student trains on)."""
    if cycle > 0 and not run.store.is_complete(cycle, "09_evaluation"):
        stage_adapter(run, cycle)

    def compute():
        seed = derive_seed(run.seed, "evaluation")   # the same seed every cycle: only the student changes
        bench = evaluation.benchmark_problems(run.cfg)
        held = read_jsonl(run.store.root / "held_out.jsonl")
        subjects = [("student", run.student(cycle))]
        if cycle == 0 and run.cfg.evaluation.evaluate_teacher:
            subjects.append(("teacher", run.teacher()))
        records, metrics = [], []
        for subject, backend in subjects:
            for problems, name, protocol in ((bench, run.cfg.evaluation.benchmark, None), (held, "held_out", "chat")):
                if not problems:
                    continue
                recs, m = evaluation.evaluate(backend, problems, run.cfg, seed, protocol=protocol,
                                              subject=subject, benchmark=name)
                records += recs
                metrics.append(m)
        return records, {"metrics": metrics}
    teacher_evaluated = cycle == 0 and run.cfg.evaluation.evaluate_teacher
    return _stage(run, cycle, "09_evaluation", compute, usage_of=run.teacher if teacher_evaluated else None)


def run_cycle(run: Run, cycle: int) -> dict:
    """Run (or finish) one cycle and return its summary."""
    if cycle > 0:
        for stage in (stage_pool, stage_teacher_attempts, stage_training_set, stage_adapter,
                      stage_student_attempts, stage_feedback, stage_levels, stage_new_questions):
            stage(run, cycle)
    stage_evaluation(run, cycle)
    return record_summary_and_best(run.store, run.cfg, cycle)


def run_all(run: Run, cycles: int | None = None) -> list[dict]:
    cycles = run.cfg.run.cycles if cycles is None else cycles
    return [run_cycle(run, k) for k in range(cycles + 1)]
