"""Per-cycle summary records and the keep-best marker.

`cycle_summary` gathers, from the stage markers of one cycle, every number the report and the figures show
(pass@k of student and teacher, data sizes, Stage I's teacher yield, losses, levels, judge agreement,
acceptance, stage seconds, teacher tokens) together with the settings that produced them. `record_summary_and_best` appends it to
metrics.jsonl once and rewrites best.json; a cycle below the best is reported as a regression, not hidden.

Not covered: computing anything anew; it only reads what the stages wrote.
"""

from __future__ import annotations

import logging

from iterkd_lib.config import IterKDConfig, config_to_dict
from iterkd_lib.runstore import RunStore, write_json

log = logging.getLogger("iterkd")


def cycle_summary(store: RunStore, cfg: IterKDConfig, cycle: int) -> dict:
    """One metrics record per cycle: every number with the settings and stage timings behind it."""
    s = {"cycle": cycle, "kind": "cycle_summary"}
    for m in (store.stage_summary(cycle, "09_evaluation") or {}).get("metrics", []):
        prefix = "" if m["subject"] == "student" else "teacher_"
        bench = "benchmark" if m["benchmark"] != "held_out" else "held_out"
        for k, v in m.items():
            if k.startswith("pass@"):
                s[f"{prefix}{bench}_{k}"] = v
        s.setdefault("protocols", {})[f"{prefix}{bench}"] = m["protocol"]
    stage_seconds, tokens = {}, 0
    for name in store.completed_stages(cycle):
        summ = store.stage_summary(cycle, name) or {}
        stage_seconds[name] = summ.get("seconds")
        tokens += sum(v for k, v in summ.get("teacher_usage", {}).items() if k.endswith("_tokens"))
    s["stage_seconds"], s["teacher_tokens"] = stage_seconds, tokens
    if cycle > 0:
        ts = store.stage_summary(cycle, "03_training_set") or {}
        ad = store.stage_summary(cycle, "04_adapter") or {}
        s.update({"pool_size": (store.stage_summary(cycle, "01_pool") or {}).get("n"),
                  "n_sft": ts.get("n_sft"), "n_pairs": ts.get("n_pairs"),
                  "teacher_yield": _yield(store, cycle, ts),
                  "final_sft_loss": ad.get("final_sft_loss"), "final_margin": ad.get("final_margin"),
                  "final_contrastive_loss": ad.get("final_contrastive_loss"),
                  "levels": (store.stage_summary(cycle, "07_levels") or {}).get("distribution"),
                  "judge_agreement": (store.stage_summary(cycle, "06_feedback") or {}).get("agreement"),
                  "new_questions": (store.stage_summary(cycle, "08_new_questions") or {}).get("stats"),
                  "n_new_questions": (store.stage_summary(cycle, "08_new_questions") or {}).get("n_accepted")})
    s["settings"] = {"student": cfg.student.model, "teacher": cfg.teacher.model, "seed": cfg.run.seed,
                     "loss": cfg.training.loss, "eval_decoding": config_to_dict(cfg.evaluation.decoding),
                     "eval_subset": cfg.evaluation.subset, "eval_samples": cfg.evaluation.samples}
    return s


def _yield(store: RunStore, cycle: int, training_summary: dict) -> dict | None:
    """Stage I's yield (`teacher_attempts.teacher_yield`) with the SFT origins of the training set."""
    y = (store.stage_summary(cycle, "02_teacher_attempts") or {}).get("yield")
    if y is None:
        return None  # a run from before the yield was recorded
    return {**y, "positives": training_summary.get("positives")}


def record_summary_and_best(store: RunStore, cfg: IterKDConfig, cycle: int) -> dict:
    """Append the cycle's summary once (idempotent on resume) and rewrite best.json; warn on regression."""
    summaries = {m["cycle"]: m for m in store.metrics() if m.get("kind") == "cycle_summary"}
    if cycle not in summaries:
        summaries[cycle] = cycle_summary(store, cfg, cycle)
        store.append_metrics(summaries[cycle])
    key = cfg.evaluation.keep_best_metric
    scored = {c: m[key] for c, m in summaries.items() if m.get(key) is not None}
    if scored:
        best = max(scored, key=lambda c: (scored[c], -c))   # ties go to the earlier (cheaper) cycle
        adapter = str(store.cycle_dir(best) / "04_adapter") if best > 0 else None
        write_json(store.root / "best.json", {"cycle": best, "metric": key, "value": scored[best], "adapter": adapter})
        if cycle in scored and scored[cycle] < scored[best]:
            log.warning("REGRESSION: cycle %d %s = %.3f is below the best, cycle %d = %.3f", cycle, key,
                        scored[cycle], best, scored[best])
    return summaries[cycle]
