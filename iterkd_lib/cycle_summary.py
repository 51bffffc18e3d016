"""Per-cycle summary records and the keep-best marker.

`cycle_summary` gathers, from the stage markers of one cycle, every number the report and the figures show
(pass@k of student and teacher, data sizes, Stage I's teacher yield, losses, levels, judge agreement,
acceptance, stage seconds, teacher tokens) together with the settings that produced them.
`record_summary_and_best` appends it to metrics.jsonl once and rewrites best.json; a cycle below the best is reported as a regression, not hidden.

`evaluation_statistics(store, cycle)` adds the uncertainty, from the per-problem evaluation records: pass@1
with its 95% CI per view (benchmark, benchmark_<second protocol>, held_out; teacher_ prefixed for the
teacher), and the paired test of the student against cycle 0 and against the previous cycle on the same
problems (`stats.compare_paired`: exact McNemar for greedy pass@1). `cut_at_length` gives, per stage and per
evaluation, the answers that hit `max_new_tokens`.

Not covered: generating or scoring anything anew; it only reads what the stages wrote (the statistics are
recomputed from their records, so older runs get them too).
"""

from __future__ import annotations

import logging

from iterkd_lib.config import IterKDConfig, config_to_dict, eval_engine
from iterkd_lib.records import CYCLE_ONLY_FIELDS, CycleSummary, SummarySettings, TeacherYield
from iterkd_lib.runstore import RunStore, write_json
from iterkd_lib.scoring.stats import N_RESAMPLES, compare_paired, outcomes_by_task, pass_at_k_ci

log = logging.getLogger("iterkd")


def cycle_summary(store: RunStore, cfg: IterKDConfig, cycle: int) -> dict:
    """One metrics record per cycle: every number with the settings and stage timings behind it.

    Built as a `records.CycleSummary` and returned in its stored form (`to_dict()`); cycle 0 (the baseline
    evaluation) has no Stage I-III keys at all, and a cycle without evaluation metrics no `protocols`."""
    pass_at_k, protocols = {}, {}
    for m in (store.stage_summary(cycle, "09_evaluation") or {}).get("metrics", []):
        prefix = "" if m["subject"] == "student" else "teacher_"
        bench = m.get("view") or ("benchmark" if m["benchmark"] != "held_out" else "held_out")
        pass_at_k.update({f"{prefix}{bench}_{k}": v for k, v in m.items() if k.startswith("pass@")})
        protocols[f"{prefix}{bench}"] = m["protocol"]
    stage_seconds, tokens = {}, 0
    for name in store.completed_stages(cycle):
        summ = store.stage_summary(cycle, name) or {}
        stage_seconds[name] = summ.get("seconds")
        tokens += sum(v for k, v in summ.get("teacher_usage", {}).items() if k.endswith("_tokens"))
    settings = SummarySettings(
        student=cfg.student.model, teacher=cfg.teacher.model, seed=cfg.run.seed, loss=cfg.training.loss,
        eval_decoding=config_to_dict(cfg.evaluation.decoding), eval_subset=cfg.evaluation.subset,
        eval_samples=cfg.evaluation.samples, eval_protocol=cfg.evaluation.protocol,
        eval_second_protocol=cfg.evaluation.second_protocol, eval_engine=eval_engine(config_to_dict(cfg)))
    s = CycleSummary(cycle=cycle, pass_at_k=pass_at_k, protocols=protocols or None,
                     evaluation_stats=evaluation_statistics(store, cycle, cfg.evaluation.ci_resamples),
                     cut_at_length=cut_at_length(store, cycle), stage_seconds=stage_seconds, teacher_tokens=tokens,
                     settings=settings, absent=frozenset() if cycle > 0 else CYCLE_ONLY_FIELDS)
    if cycle > 0:
        def summary(stage: str) -> dict:
            return store.stage_summary(cycle, stage) or {}

        ts, ad, nq = summary("03_training_set"), summary("04_adapter"), summary("08_new_questions")
        s.pool_size, s.n_sft, s.n_pairs = summary("01_pool").get("n"), ts.get("n_sft"), ts.get("n_pairs")
        y = _yield(store, cycle, ts)
        s.teacher_yield = TeacherYield.from_dict(y) if y is not None else None
        s.final_sft_loss, s.final_margin = ad.get("final_sft_loss"), ad.get("final_margin")
        s.final_contrastive_loss = ad.get("final_contrastive_loss")
        s.levels = summary("07_levels").get("distribution")
        s.judge_agreement = summary("06_feedback").get("agreement")
        s.new_questions, s.n_new_questions = nq.get("stats"), nq.get("n_accepted")
    return s.to_dict()


def _yield(store: RunStore, cycle: int, training_summary: dict) -> dict | None:
    """Stage I's yield (`teacher_attempts.teacher_yield`) with the SFT origins of the training set."""
    y = (store.stage_summary(cycle, "02_teacher_attempts") or {}).get("yield")
    if y is None:
        return None  # a run from before the yield was recorded
    return {**y, "positives": training_summary.get("positives")}


def _view_of(record: dict) -> str:
    prefix = "" if record.get("subject", "student") == "student" else "teacher_"
    view = record.get("view") or ("held_out" if record.get("benchmark") == "held_out" else "benchmark")
    return prefix + view


def evaluation_outcomes(store: RunStore, cycle: int) -> dict[str, dict[str, list[bool]]]:
    """view -> task_id -> pass/fail per sample, from the cycle's 09_evaluation records ({} if none)."""
    if not (store.is_complete(cycle, "09_evaluation") and store.has_records(cycle, "09_evaluation")):
        return {}
    by_view: dict[str, list[dict]] = {}
    for r in store.read_records(cycle, "09_evaluation"):
        by_view.setdefault(_view_of(r), []).append(r)
    return {v: outcomes_by_task(rs) for v, rs in by_view.items()}


def evaluation_statistics(store: RunStore, cycle: int, n_resamples: int = N_RESAMPLES, k: int = 1) -> dict:
    """Per view: {"pass@k": value, "ci": [low, high], "protocol", "n_problems", "samples", "vs_cycle_0",
    "vs_previous"}.

    The comparisons (dicts of `stats.Comparison.as_dict()`, with "verdict") are there for student views from
    cycle 1 on, when the other cycle evaluated the same problems; otherwise None."""
    ours = evaluation_outcomes(store, cycle)
    protocols = {}
    for m in (store.stage_summary(cycle, "09_evaluation") or {}).get("metrics", []):
        view = m.get("view") or ("held_out" if m.get("benchmark") == "held_out" else "benchmark")
        protocols[("" if m.get("subject", "student") == "student" else "teacher_") + view] = m.get("protocol")
    others = {c: evaluation_outcomes(store, c) for c in {0, cycle - 1} if 0 <= c < cycle}
    out = {}
    for view, outcomes in ours.items():
        if min(len(s) for s in outcomes.values()) < k:
            continue
        est = pass_at_k_ci(outcomes, k, n_resamples=n_resamples)
        entry = {f"pass@{k}": est.value, "ci": [est.low, est.high], "protocol": protocols.get(view),
                 "n_problems": est.n_problems,
                 "samples": est.samples_per_problem, "vs_cycle_0": None, "vs_previous": None}
        if not view.startswith("teacher_"):
            for key, other in (("vs_cycle_0", 0), ("vs_previous", cycle - 1)):
                base = others.get(other, {}).get(view)
                if base is not None and set(base) == set(outcomes) and other < cycle:
                    entry[key] = {"cycle": other, **compare_paired(base, outcomes, k, n_resamples=n_resamples).as_dict()}
        out[view] = entry
    return out


def cut_at_length(store: RunStore, cycle: int) -> dict:
    """Answers that hit max_new_tokens: {stage or 'evaluation:<view>': {"answers", "cut", "share"}}.

    Stages count the teacher's / judge's answers (`teacher_usage`) and the student's (`student_usage`);
    evaluations count their records' finish reasons. Runs from before finish reasons were recorded give {}."""
    out = {}
    for name in store.completed_stages(cycle):
        summ = store.stage_summary(cycle, name) or {}
        for who in ("teacher", "student"):
            u = summ.get(f"{who}_usage") or {}
            if u.get("answers"):
                out[f"{name}:{who}"] = {"answers": u["answers"], "cut": u.get("cut_at_length", 0),
                                        "share": u.get("cut_at_length", 0) / u["answers"]}
    for m in (store.stage_summary(cycle, "09_evaluation") or {}).get("metrics", []):
        if "finish_reasons" in m:
            n = sum(m["finish_reasons"].values())
            prefix = "" if m["subject"] == "student" else "teacher_"
            out[f"evaluation:{prefix}{m.get('view', m['benchmark'])}"] = {
                "answers": n, "cut": m.get("cut_at_length", 0), "share": m.get("cut_share", 0.0)}
    return out


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
