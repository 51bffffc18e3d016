"""Measure Stage III (agreement-validated new questions) with the real teacher on real levels.

Two steps, each a separate process so the levels are computed once:

  levels  -- the demo config's pool (data.pool_size seed problems after the held-out split, run seed) answered
             by the untrained student (cfg.student, no adapter) with `--samples` samples each, run against the
             seed tests; levels by the 'tests' rule (no judge: it would cost a teacher pass for a tie-break).
             Writes pool.jsonl, held_out.jsonl, levels.jsonl under OUT.
  seed-levels -- the same files with the seed set's own difficulty labels as levels (no model runs).
  stage3  -- the new Stage III (`regenerate_questions`) with the demo config's teacher on those levels,
             `--repeats` times with different seeds; writes accepted/rejected records and a summary JSON
             (accepted / requested, reasons, agreement distribution, wall time) under OUT. With
             regeneration.student_check_samples > 0 the student check asks the untrained student (as in
             `difficulty`): rejections `student_solves`.
  difficulty -- are the accepted questions as hard as their parents? The untrained student (cfg.student's
             model, on CTranslate2 like the evaluation: evaluation.engine_compute_type, run.torch_threads)
             answers every accepted question of stage3's records and every parent `--samples` times at the
             student's decoding; prints its pass rate on each question next to its parent's, by kind
             (breadth: easy parents, depth: medium/hard), and the mean difference question - parent: > 0
             means the new questions are EASIER for the student than their parents (a depth question should
             be <= 0), with a 95% cluster bootstrap interval (resampling parents, since the questions of one
             parent share its pass rate); writes difficulty.json under OUT.
  revote  -- no generation: reruns the recorded candidates of stage3's records in the sandbox and decides
             every question again for k' = 1..k sampled solutions (the first k') and each min_agree, to choose
             the defaults (prints a table; acceptance counts the text-rejected questions as rejected).

Usage (from the repository root):
  PYTHONPATH=$PWD python benchmarks/stage3_agreement.py levels --out /tmp/s3
  PYTHONPATH=$PWD python benchmarks/stage3_agreement.py stage3 --out /tmp/s3 --repeats 2 [key=value ...]
  PYTHONPATH=$PWD python benchmarks/stage3_agreement.py revote --out /tmp/s3
  PYTHONPATH=$PWD python benchmarks/stage3_agreement.py difficulty --out /tmp/s3 --samples 4

Not covered: the judge view of the levels; training (the student is the cycle-0 student).
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from pathlib import Path

from iterkd_lib.config import load_config
from iterkd_lib.runstore import read_jsonl, write_jsonl
from iterkd_lib.seeding import derive_seed, set_torch_threads


def seed_label_levels(cfg, out: Path) -> None:
    """Levels = the seed set's own difficulty labels (no model runs): the fallback when the machine cannot
    afford the student pass (2 cores shared by ~6 processes)."""
    from iterkd_lib.stages.pool import seed_pool

    pool, held = seed_pool(cfg)
    lv = [{"task_id": p["task_id"], "level": p.get("difficulty") or "medium", "reason": "seed difficulty label"}
          for p in pool]
    write_jsonl(out / "pool.jsonl", pool)
    write_jsonl(out / "held_out.jsonl", held)
    write_jsonl(out / "levels.jsonl", lv)
    print(json.dumps({"levels": {r["task_id"]: r["level"] for r in lv}}, indent=1))


def levels(cfg, out: Path, samples: int) -> None:
    from iterkd_lib.models.hf_backend import LocalBackend
    from iterkd_lib.models.student import load_student
    from iterkd_lib.stages import feedback
    from iterkd_lib.stages.levels import assign_levels, level_distribution
    from iterkd_lib.stages.pool import seed_pool
    from iterkd_lib.stages.student_attempts import student_attempts

    pool, held = seed_pool(cfg)
    cfg.feedback.samples_per_question = samples
    cfg.feedback.use_judge = False
    cfg.feedback.use_pylint = False
    cfg.difficulty.rule = "tests"
    model, tok = load_student(cfg.student, str(Path(cfg.run.cache_dir).expanduser()), trainable=False)
    student = LocalBackend.from_model(model, tok, name=cfg.student.model, batch_size=cfg.student.batch_size)
    t0 = time.time()
    attempts = student_attempts(pool, student, cfg, derive_seed(cfg.run.seed, 1, "student"))
    fb = feedback.collect_feedback(pool, attempts, cfg, None, 0)
    lv = assign_levels(pool, fb, cfg.difficulty)
    write_jsonl(out / "pool.jsonl", pool)
    write_jsonl(out / "held_out.jsonl", held)
    write_jsonl(out / "levels.jsonl", lv)
    print(json.dumps({"seconds": round(time.time() - t0, 1), "distribution": level_distribution(lv),
                      "levels": {r["task_id"]: r["level"] for r in lv}}, indent=1))


def cycle0_student(cfg):
    """The untrained student on CTranslate2 (evaluation.engine_compute_type), as runs.Run.student(0,
    "ctranslate2") builds it, its answers cached by request in the response cache."""
    from iterkd_lib.models.ct2 import CT2Backend, ct2_model_dir
    from iterkd_lib.models.registry import resolve_model
    from iterkd_lib.models.response_cache import ResponseCache

    cache = str(Path(cfg.run.cache_dir).expanduser())
    ct = cfg.evaluation.engine_compute_type
    return CT2Backend(ct2_model_dir(resolve_model(cfg.student.model, cache), cache, ct, name=Path(cfg.student.model).name),
                      cfg.student.model, batch_size=cfg.student.batch_size, threads=cfg.run.torch_threads,
                      compute_type=ct, cache=ResponseCache(str(Path(cfg.run.response_cache_dir or cache).expanduser())))


def stage3(cfg, out: Path, repeats: int) -> None:
    from iterkd_lib.models.backends import make_backend
    from iterkd_lib.sandbox.execution import check_completions
    from iterkd_lib.scoring.agreement_vote import summarise_agreement
    from iterkd_lib.scoring.novelty import Embedder
    from iterkd_lib.stages.new_questions import regenerate_questions

    pool, held, lv = (read_jsonl(out / f) for f in ("pool.jsonl", "held_out.jsonl", "levels.jsonl"))
    cache = str(Path(cfg.run.cache_dir).expanduser())
    teacher = make_backend(cfg.teacher, cache, response_cache_dir=str(Path(cfg.run.response_cache_dir or cache).expanduser()))
    ex = cfg.execution

    def execute(pairs):
        return check_completions(pairs, timeout_s=ex.timeout_s, memory_mb=ex.memory_mb, workers=ex.workers)

    embedder = Embedder() if cfg.regeneration.embedding_sim_max > 0 else None
    answer = None
    if cfg.regeneration.student_check_samples > 0:   # the student check asks the cycle-0 student
        from iterkd_lib.stages.student_attempts import student_attempts

        answer = functools.partial(student_attempts, student_backend=cycle0_student(cfg), cfg=cfg)
    runs = []
    for r in range(repeats):
        t0 = time.time()
        before = dict(teacher.usage)
        acc, rej, stats = regenerate_questions(lv, pool, teacher, cfg, derive_seed(cfg.run.seed, 1, "regenerate", r),
                                               1, execute=execute, embedder=embedder, held_out=held,
                                               student_answer=answer)
        seconds = time.time() - t0
        write_jsonl(out / f"accepted_{r}.jsonl", acc)
        write_jsonl(out / f"rejected_{r}.jsonl", rej)
        requested = sum(s["requests"] for s in stats.values())
        reasons: dict = {}
        for q in rej:
            reasons[q["reason"]] = reasons.get(q["reason"], 0) + 1
        runs.append({"repeat": r, "seconds": round(seconds, 1), "requested": requested, "accepted": len(acc),
                     "rate": len(acc) / requested if requested else None, "reasons": reasons,
                     "revisions": sum(s["revisions"] for s in stats.values()),
                     "accepted_after_revision": sum(s["accepted_after_revision"] for s in stats.values()),
                     "agreement": summarise_agreement(acc + rej),
                     "teacher_usage": {k: teacher.usage[k] - before.get(k, 0) for k in teacher.usage}})
        print(json.dumps(runs[-1]), flush=True)
    summary = {"teacher": cfg.teacher.model, "teacher_decoding": vars(cfg.regeneration.decoding),
               "solution_decoding": vars(cfg.regeneration.solution_decoding),
               "k": cfg.regeneration.solutions_per_question, "min_agree": cfg.regeneration.min_agree,
               "n_inputs": cfg.regeneration.n_inputs, "per_level": cfg.regeneration.per_level,
               "min_agreed_inputs": cfg.regeneration.min_agreed_inputs,
               "revise_rounds": cfg.regeneration.revise_rounds, "runs": runs}
    (out / "summary.json").write_text(json.dumps(summary, indent=1, default=str))


def difficulty(cfg, out: Path, samples: int, reps: int = 2000) -> None:
    import random

    from iterkd_lib.stages import feedback
    from iterkd_lib.stages.student_attempts import student_attempts

    pool = {p["task_id"]: p for p in read_jsonl(out / "pool.jsonl")}
    acc = [dict(r, task_id=f"R{f.stem.split('_')[-1]}/{r['task_id']}")  # task ids repeat across repeats
           for f in sorted(out.glob("accepted_*.jsonl")) for r in read_jsonl(f)]
    parents = [pool[t] for t in dict.fromkeys(r["parent_task_id"] for r in acc)]
    problems = parents + acc
    cfg.feedback.samples_per_question = samples
    cfg.feedback.use_judge = cfg.feedback.use_pylint = False
    student = cycle0_student(cfg)
    t0 = time.time()
    attempts = student_attempts(problems, student, cfg, derive_seed(cfg.run.seed, 1, "difficulty"))
    fb = feedback.collect_feedback(problems, attempts, cfg, None, 0)
    rate: dict = {}
    for a, f in zip(attempts, fb, strict=True):
        rate.setdefault(a["task_id"], []).append(bool(f["execution"]["passed"]))
    rate = {t: sum(v) / len(v) for t, v in rate.items()}
    rows = [{"question": r["entry_point"], "task_id": r["task_id"], "kind": r.get("prompt_kind"),
             "parent": r["parent_task_id"], "parent_level": r.get("parent_level"), "pass": rate[r["task_id"]],
             "parent_pass": rate[r["parent_task_id"]]} for r in acc]
    summary = {"student": cfg.student.model, "engine": f"ctranslate2 {cfg.evaluation.engine_compute_type}", "decoding": vars(cfg.student.decoding),
               "samples": samples, "seconds": round(time.time() - t0, 1),
               "difference": "question pass rate - parent pass rate (> 0: the question is easier)", "by_kind": {}}
    rng = random.Random(0)
    for kind in ("breadth", "depth", "all"):
        mine = [r for r in rows if kind == "all" or r["kind"] == kind]
        if not mine:
            continue
        clusters: dict = {}
        for r in mine:
            clusters.setdefault(r["parent"], []).append(r["pass"] - r["parent_pass"])
        groups = list(clusters.values())
        boots = []
        for _ in range(reps):
            pick = [x for g in (rng.choice(groups) for _ in groups) for x in g]
            boots.append(sum(pick) / len(pick))
        boots.sort()
        d = [x for g in groups for x in g]
        summary["by_kind"][kind] = {"questions": len(d), "parents": len(groups),
                                    "mean_pass": sum(r["pass"] for r in mine) / len(mine),
                                    "mean_parent_pass": sum(r["parent_pass"] for r in mine) / len(mine),
                                    "mean_difference": sum(d) / len(d),
                                    "ci95": [boots[int(0.025 * reps)], boots[int(0.975 * reps) - 1]],
                                    "easier": sum(x > 0 for x in d), "harder": sum(x < 0 for x in d)}
    (out / "difficulty.json").write_text(json.dumps({**summary, "rows": rows}, indent=1, default=str))
    for r in rows:
        print(f"{r['question'][:34]:34s} {r['kind']:8s} {r['pass']:.2f}   parent {r['parent']} "
              f"({r['parent_level']}) {r['parent_pass']:.2f}")
    print(json.dumps(summary, indent=1, default=str))


def revote(cfg, out: Path) -> None:
    import copy

    from iterkd_lib.sandbox.execution import check_completions
    from iterkd_lib.scoring.agreed_tests import check_tests
    from iterkd_lib.scoring.agreement_vote import candidate_program, candidates_outcomes, decide_question
    from iterkd_lib.stages.new_questions import _problem

    records = [r for f in sorted(out.glob("accepted_*.jsonl")) + sorted(out.glob("rejected_*.jsonl"))
               for r in read_jsonl(f)]
    voting = [r for r in records if r.get("candidates")]
    qs = [{"prompt": r["prompt"], "entry_point": r["entry_point"], "inputs": r["inputs"],
           "candidates": r["candidates"], "expectations": [{k: x[k] for k in ("call", "expected", "source")}
                                                           for x in r.get("teacher_expectations") or []]}
          for r in voting]
    outs = candidates_outcomes(qs, cfg)
    ex = cfg.execution
    k_max = max(len(r["candidates"]) for r in voting) - 1 if voting else 0
    print(f"{len(records)} questions, {len(voting)} reached the vote; k up to {k_max}")
    print("k  min_agree  accepted/requested  reasons")
    for k in range(1, k_max + 1):
        for m in range(2, k + 2):
            c = copy.deepcopy(cfg)
            c.regeneration.solutions_per_question, c.regeneration.min_agree = k, m
            reasons = {}
            for r, q, o in zip(voting, qs, outs):
                d = decide_question(q, {"runs": o["runs"][: k + 1], "expected": o["expected"]}, c)
                reason = d["reason"]
                if not reason:
                    q2 = dict(q, test=d["test"], reference_solution=candidate_program(q, q["candidates"][d["reference"]]))
                    prob = _problem(q2, {"task_id": "p"}, "easy", "breadth", 1, 0)
                    prob.update(indent=r["indent"], args=r["args"])
                    reason = check_tests(prob, lambda pairs: check_completions(
                        pairs, timeout_s=ex.timeout_s, memory_mb=ex.memory_mb, workers=ex.workers))[0]
                reasons[reason or "accepted"] = reasons.get(reason or "accepted", 0) + 1
            for r in records:
                if not r.get("candidates"):
                    reasons[r["reason"]] = reasons.get(r["reason"], 0) + 1
            print(f"{k}  {m}          {reasons.get('accepted', 0)}/{len(records)}"
                  f"               {json.dumps({k2: v for k2, v in reasons.items() if k2 != 'accepted'})}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("step", choices=("levels", "seed-levels", "stage3", "revote", "difficulty"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--config", default="configs/demo.yaml")
    ap.add_argument("--samples", type=int, default=2, help="student samples per question (levels, difficulty)")
    ap.add_argument("--repeats", type=int, default=1, help="Stage III runs with different seeds (stage3 step)")
    ap.add_argument("overrides", nargs="*", help="config overrides key.path=value")
    a = ap.parse_intermixed_args(argv)
    cfg = load_config(a.config, a.overrides)
    set_torch_threads(cfg.run.torch_threads)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    if a.step == "levels":
        levels(cfg, out, a.samples)
    elif a.step == "seed-levels":
        seed_label_levels(cfg, out)
    elif a.step == "stage3":
        stage3(cfg, out, a.repeats)
    elif a.step == "difficulty":
        difficulty(cfg, out, a.samples)
    else:
        revote(cfg, out)


if __name__ == "__main__":
    sys.exit(main())
