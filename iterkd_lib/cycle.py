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

Opening a run (create, reopen) and the `Run` object with its lazily loaded models are in runs.py.
Entry points: `run_stage(run, k, name)`, `run_cycle(run, k)`, `run_all(run)`, `next_stage(run)`, `STAGES`.
"""

from __future__ import annotations

import gc
import logging
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass

from iterkd_lib import console, launch
from iterkd_lib.cycle_summary import record_summary_and_best
from iterkd_lib.models.student import load_student
from iterkd_lib.runs import Run, adapter_dir
from iterkd_lib.runstore import RunStore, read_jsonl
from iterkd_lib.scoring.novelty import Embedder
from iterkd_lib.seeding import derive_seed
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

# ------------------------------------------------------------------------------------------ stages
# Each `_<stage>` binds one plain stage function to the run: it takes the stage's inputs (run files, read by
# `run_stage`) and returns (records or None, summary for the marker, extra run files). Only these know the
# models and the seeds; only the table knows the order.

Inputs = dict[str, list[dict]]


def _pool(run: Run, cycle: int, inp: Inputs):
    """Cycle 1's pool is written by `create_run`; later pools come from the previous cycle's Stage III."""
    prev_pool, accepted = inp["prev/01_pool"], inp["prev/08_new_questions"]
    nxt = pool.next_pool(prev_pool, inp["prev/07_levels"], accepted, run.cfg, cycle)
    kept = len(nxt)
    if run.cfg.data.pool_refill != "none":  # never a question of an earlier pool, never one of the run's held out
        used = {p["task_id"] for k in range(1, cycle) for p in run.store.read_records(k, "01_pool")}
        nxt = pool.refill_pool(nxt, used | {p["task_id"] for p in inp["held_out"]}, run.cfg, cycle)
    return nxt, {"n": len(nxt), "from_previous": len(prev_pool), "retained": pool.count_retained(nxt),
                 "accepted_new": len(accepted), "refilled": len(nxt) - kept}, {}


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
    init_seed = None if prev else derive_seed(run.seed, cycle, "lora_init")
    model, tok = load_student(run.cfg.student, run.cache_dir, adapter_dir=str(prev) if prev else None,
                              trainable=True, init_seed=init_seed)
    summary = adapter.train_adapter(model, tok, inp["03_training_set"], run.cfg, str(adapter_dir(run, cycle)),
                                    derive_seed(run.seed, cycle, "train"), resume=True)
    summary["lora_init_seed"] = init_seed   # None: continued from the previous cycle's adapter
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
    rg = run.cfg.regeneration
    embedder = Embedder() if rg.embedding_sim_max > 0 else None
    check = {"calls": 0, "answers": 0, "seconds": 0.0}   # what the student check cost

    def answer(problems: list[dict], seed: int, n: int) -> list[dict]:   # Stage II's student, loaded on first use
        t0, out = time.time(), student_attempts.student_attempts(problems, run.student(cycle), run.cfg, seed, n=n)
        check.update(calls=check["calls"] + 1, answers=check["answers"] + len(out),
                     seconds=round(check["seconds"] + time.time() - t0, 1))
        return out

    accepted, rejected, stats = new_questions.regenerate_questions(
        inp["07_levels"], inp["01_pool"], run.teacher(), run.cfg, derive_seed(run.seed, cycle, "regenerate"), cycle,
        execute=run.execute, embedder=embedder, held_out=inp["held_out"],
        student_answer=answer if rg.student_check_samples > 0 else None)
    summary = {"stats": stats, "n_accepted": len(accepted), "n_rejected": len(rejected), "student_check": check}
    return accepted, summary, {"08_rejected_questions": rejected}


def _evaluation(run: Run, cycle: int, inp: Inputs):
    """Benchmark (configured protocol, plus `second_protocol` as a second view) and held-out seed problems
    ('chat', the prompt the student trains on)."""
    seed = derive_seed(run.seed, "evaluation")   # the same seed every cycle: only the student changes
    bench = evaluation.benchmark_problems(run.cfg)
    subjects = [("student", run.student(cycle, engine=run.cfg.evaluation.engine))]
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
    Stage("pool", "01_pool", _pool, ("prev/01_pool", "prev/07_levels", "prev/08_new_questions", "held_out")),
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
