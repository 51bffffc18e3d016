"""The per-cycle report of a run: `report_table(run_dir)` (printed by `iterkd run` / `iterkd report`, shown by
notebook 05).

Reads run.json, metrics.jsonl and best.json. Under each cycle: pass@1 with its 95% CI per evaluation view and
the paired tests against cycle 0 and the previous cycle ("+0.04 [-0.01, +0.09], not significant (p=0.31, exact
McNemar, 164 problems)"), and the answers cut at max_new_tokens per stage and evaluation; for runs whose
summaries predate these statistics they are computed from the 09_evaluation records
(`cycle_summary.evaluation_statistics`). Not covered: figures (figures/).
"""

from __future__ import annotations

from pathlib import Path

from iterkd_lib.config import eval_engine
from iterkd_lib.records import LEVELS
from iterkd_lib.runstore import RunStore, read_json


def _fmt(value, spec: str) -> str:
    return format(value, spec) if isinstance(value, (int, float)) and not isinstance(value, bool) else "-"


def _levels(m: dict) -> str:
    lv = m.get("levels") or {}
    return "/".join(str(lv.get(k, "-")) for k in LEVELS)


# (header, width, cell) -- one row per cycle_summary record in metrics.jsonl
COLUMNS = [
    ("bench p@1", 9, lambda m: _fmt(m.get("benchmark_pass@1"), ".3f")),
    ("held p@1", 8, lambda m: _fmt(m.get("held_out_pass@1"), ".3f")),
    ("pool", 4, lambda m: _fmt(m.get("pool_size"), "d")),
    ("sft", 4, lambda m: _fmt(m.get("n_sft"), "d")),
    ("pairs", 5, lambda m: _fmt(m.get("n_pairs"), "d")),
    ("easy/med/hard", 13, _levels),
    ("nll/ctr loss", 13, lambda m: _fmt(m.get("final_sft_loss"), ".3f") + "/"
     + _fmt(m.get("final_contrastive_loss"), ".3f")),
    ("T yield", 7, lambda m: _fmt((m.get("teacher_yield") or {}).get("share_any"), ".2f")),
    ("new q", 5, lambda m: _fmt(m.get("n_new_questions"), "d")),
    ("T tok paid", 11, lambda m: _fmt(m.get("teacher_tokens"), "d")),
    ("time (s)", 8, lambda m: _fmt(sum(v for v in (m.get("stage_seconds") or {}).values() if v), ".0f")),
]


def yield_line(y: dict) -> str:
    """One line of Stage I's yield (`stages.teacher_attempts.teacher_yield` + the training set's positives)."""
    pos, errors = y.get("positives") or {}, (y.get("repair") or {}).get("all") or {}
    rep = errors.get("all") or {}
    by_err = ", ".join(f"{k} {v['fixed']}/{v['attempted']}" for k, v in sorted(errors.items()) if k != "all")
    tpv = (y.get("tokens_per_verified") or {}).get("all")
    return (f"teacher yield: {y['solved_any']}/{y['problems']} problems with a verified teacher solution "
            f"(samples {y['solved_by_sample']}, repair +{y['solved_by_repair_only']}); "
            f"{_fmt(tpv, '.0f')} teacher tokens per verified solution; SFT positives teacher-written "
            f"{_fmt(pos.get('teacher_share'), '.2f')} of {_fmt(pos.get('sft'), 'd')}"
            + (f"; repairs fixed {rep['fixed']}/{rep['attempted']} ({by_err})" if rep.get("attempted") else ""))


def judge_line(a: dict) -> str:
    """One line of Stage II's judge/test agreement (`stages.feedback.judge_test_agreement`'s dict): AUC [CI]
    over the attempts with a judge score and a test result, where the scores came from, unparseable replies,
    and each view's AUC when the verdict was asked."""
    ci = a.get("auc_ci")
    auc = (f"AUC {_fmt(a.get('auc'), '.2f')}" + (f" [{ci[0]:.2f}, {ci[1]:.2f}]" if ci else "")
           if a.get("auc") is not None else f"AUC n/a ({a.get('note') or 'too few attempts'})")
    methods = ", ".join(f"{k} {v}" for k, v in sorted((a.get("score_methods") or {}).items()))
    line = (f"judge vs tests: {auc} over {a.get('n', 0)} attempts (scores: {methods or '-'}); unparseable "
            f"{a.get('n_unparseable', 0)}/{a.get('n_judged', 0)}")
    views = a.get("views")
    if views:
        line += (f" (rubric replies {a.get('n_rubric_unparseable', 0)}); AUC by view: " + ", ".join(
            f"{k} {_fmt((views.get(k) or {}).get('auc'), '.2f')}" for k in ("rubric", "verdict")))
    return line


def report_table(run_dir: str | Path) -> str:
    """The per-cycle table of a run as text: a settings header, one row per cycle_summary record in
    metrics.jsonl (pass@1 as fractions, counts, final losses, teacher yield, teacher tokens, seconds), a
    line of Stage I's teacher yield and one of the judge's agreement with the tests under each cycle that has
    them, the teacher ceiling under cycle 0, and the best cycle marked `*`, then any unfinished or unstarted
    cycle. Raises FileNotFoundError when run_dir holds no run.json."""
    store = RunStore(run_dir)
    cfg = store.read_run_info()["config"]
    rows = sorted((m for m in store.metrics() if m.get("kind") == "cycle_summary"), key=lambda m: m["cycle"])
    best = read_json(store.root / "best.json") if (store.root / "best.json").exists() else None
    ev = cfg["evaluation"]
    lines = [
        (f"run {store.root}  student={cfg['student']['model']}  teacher={cfg['teacher']['model']}  "
        f"seed={cfg['run']['seed']}"),
        (f"benchmark={ev['benchmark']} subset={ev['subset'] or 'all'} protocol={ev['protocol']} "
         f"second_protocol={ev.get('second_protocol') or '-'} samples={ev['samples']} decoding={ev['decoding']} "
         f"+ per-protocol stops; student answers from engine={eval_engine(cfg)}; held-out seed problems use "
         "protocol=chat"),
        ("pass@1 with a 95% bootstrap CI over problems; student vs cycle 0 and vs the previous cycle: delta "
         "[95% paired-bootstrap CI], exact McNemar (greedy) or paired permutation test, alpha 0.05"),
        ("T tok paid: teacher + judge tokens generated in the cycle (prompt + completion); answers served from "
         "the response cache are not counted here (`iterkd study` counts them toward a variant's budget)"),
    ]
    head = f"{'cycle':>6} " + " ".join(f"{h:>{w}}" for h, w, _ in COLUMNS) + "  seconds per stage"
    lines += [head, "-" * len(head)]
    for m in rows:
        mark = "*" if best and m["cycle"] == best["cycle"] else " "
        stages = " ".join(f"{k.split('_', 1)[1]}={v:.0f}" for k, v in (m.get("stage_seconds") or {}).items() if v)
        lines.append(f"{m['cycle']:>5}{mark} " + " ".join(f"{cell(m):>{w}}" for _, w, cell in COLUMNS)
                     + "  " + stages)
        lines += _evaluation_lines(store, m)
        if m.get("teacher_yield"):
            lines.append("       " + yield_line(m["teacher_yield"]))
        if m.get("judge_agreement"):
            lines.append("       " + judge_line(m["judge_agreement"]))
        if "teacher_benchmark_pass@1" in m:
            lines.append(f"       teacher (ceiling): bench p@1 {_fmt(m.get('teacher_benchmark_pass@1'), '.3f')}"
                         f"  held p@1 {_fmt(m.get('teacher_held_out_pass@1'), '.3f')}")
    if best:
        lines.append(f"* best cycle by {best['metric']}: {best['cycle']} ({best['value']:.3f})")
    lines += unfinished_lines(store, {m["cycle"] for m in rows}, int(cfg["run"]["cycles"]))
    return "\n".join(lines)


def unfinished_lines(store: RunStore, summarised: set[int], planned: int) -> list[str]:
    """Lines naming what the run has not finished, [] for a finished run: each started cycle without a cycle
    summary (its done stages, and a saved training checkpoint if any), the planned cycles (0..run.cycles)
    with no stage done yet, and the command that continues the run."""
    out, pending = [], []
    for c in sorted(set(range(planned + 1)) | set(store.cycles())):
        if c in summarised:
            continue
        done = store.completed_stages(c)   # [] for a cycle without a folder
        if not done:
            pending.append(c)
            continue
        ckpt = store.cycle_dir(c) / "04_adapter" / "checkpoints"
        partial = ("; training checkpoints saved (the adapter stage continues from them)"
                   if "04_adapter" not in done and ckpt.exists() and any(ckpt.rglob("checkpoint-*")) else "")
        out.append(f"cycle {c} is UNFINISHED: done {', '.join(done)}{partial}")
    if pending:
        out.append(f"no stage finished yet in cycle(s) {', '.join(map(str, pending))} (the run plans cycle 0 "
                   f"and {planned} IterKD cycle{'s' if planned != 1 else ''})")
    if out:
        out.append(f"continue with `iterkd run --resume {store.root}`")
    return out


def _evaluation_lines(store: RunStore, m: dict) -> list[str]:
    """Per view: pass@1 [CI] and the paired tests; then the answers cut at max_new_tokens (older runs: computed
    from the stage records, since their summaries predate the statistics)."""
    from iterkd_lib.cycle_summary import cut_at_length, evaluation_statistics

    stats = m.get("evaluation_stats")
    if stats is None:
        stats = evaluation_statistics(store, m["cycle"])
    protocols = m.get("protocols") or {}
    lines = []
    for view, e in stats.items():
        lo, hi = e["ci"]
        ci = f"[{lo:.2f}, {hi:.2f}]" if lo is not None else "[n/a]"
        proto = e.get("protocol") or protocols.get(view) or "?"
        line = f"       {view} ({proto}, {e['n_problems']} problems"
        line += f", {e['samples']} samples)" if e.get("samples", 1) > 1 else ")"
        line += f": pass@1 {e['pass@1']:.3f} {ci}"
        for key in ("vs_cycle_0", "vs_previous"):
            c = e.get(key)
            if c and not (key == "vs_previous" and c["cycle"] == 0):
                line += f"; vs cycle {c['cycle']}: {c['verdict']}"
        lines.append(line)
    cut = m.get("cut_at_length")
    if cut is None:
        cut = cut_at_length(store, m["cycle"])
    if cut:
        lines.append("       cut at max_new_tokens: " + ", ".join(
            f"{k} {v['cut']}/{v['answers']} ({v['share']:.0%})" for k, v in cut.items()))
    return lines
