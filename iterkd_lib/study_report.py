"""The study's numbers: pass@1 with CIs per variant / cycle / view, the paired comparisons and the claim test.

Reads a study directory (study.json and the variant run directories written by `study.Study`) and the
per-problem 09_evaluation records of each run; every number carries its settings (student, teacher,
decoding, seed, cycle, protocol, number of problems, samples). Computed here:

- one point per (variant, cycle, student view): pass@1 with its 95% bootstrap CI over problems
  (`stats.pass_at_k_ci`), and the variant's teacher tokens up to that cycle;
- the paired comparisons (`stats.compare_paired`: exact McNemar for greedy pass@1) of each variant's final
  cycle (IterKD and self-training: cycle study.cycles, fixed in advance rather than the best cycle, which would
  pick on the test set; one-shot: cycle 1) against the untrained student, and IterKD against one-shot;
- the claim gain(IterKD) >= ref_ratio x gain(one-shot) over the untrained student (`stats.ratio_of_gains`),
  read from the margin gain(IterKD) - ref_ratio x gain(one-shot): "supported" when its CI lies above 0, "not
  supported" when it lies below 0, "inside the noise" when it spans 0;
- the cost per variant: the sum of its stage seconds (stage markers) and the wall seconds of its sessions,
  both estimates of what a rerun costs (model loading between stages, other load on the machine).

The per-problem outcomes behind every point go to `study_outcomes.csv` with the tables: run directories and
the response cache stay on the machine that ran them (the study's first run directory was lost with its
machine, 2026-11-30 session 11), so the committed outcomes are what a later comparison can pair against
(`read_study_outcomes`).

Not covered: running anything (study.py), the figure (figures/study.py); resuming a study from the committed
outcomes alone (a lost variant is run again).

Entry points: `study_results(study_dir)`, `study_markdown(results)`, `write_study_tables(results, out_dir)`,
`read_study_outcomes(path)`.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from iterkd_lib.config import eval_engine
from iterkd_lib.cycle_summary import evaluation_outcomes
from iterkd_lib.runstore import RunStore, atomic_write_text, read_json
from iterkd_lib.scoring.stats import N_RESAMPLES, compare_paired, pass_at_k_ci, ratio_of_gains
from iterkd_lib.study import teacher_tokens

LABELS = {"untrained": "untrained", "iterkd": "IterKD", "oneshot": "one-shot", "selftrain": "self-training"}
POINT_FIELDS = ["variant", "cycle", "view", "protocol", "pass@1", "ci_low", "ci_high", "n_problems", "samples",
                "teacher_tokens", "student", "teacher", "decoding", "seed", "run_dir"]


def _protocols(store: RunStore, cycle: int) -> dict:
    out = {}
    for m in (store.stage_summary(cycle, "09_evaluation") or {}).get("metrics", []):
        if m.get("subject", "student") == "student":
            out[m.get("view") or ("held_out" if m.get("benchmark") == "held_out" else "benchmark")] = m.get("protocol")
    return out


def _student_views(store: RunStore, cycle: int) -> dict:
    return {v: o for v, o in evaluation_outcomes(store, cycle).items() if not v.startswith("teacher_")}


def claim_word(margin_low: float | None, margin_high: float | None) -> str:
    """'supported' (margin CI above 0), 'not supported' (below 0), 'inside the noise' (spans 0 or unknown)."""
    if margin_low is not None and margin_low > 0:
        return "supported"
    if margin_high is not None and margin_high < 0:
        return "not supported"
    return "inside the noise"


def study_results(study_dir: str | Path, n_resamples: int = N_RESAMPLES) -> dict:
    """{"points", "comparisons", "claims", "budget", "cost", "settings", "final_cycles", "outcomes"} for a study
    directory; "outcomes": {(variant, cycle, view): {task_id: [passed per sample]}}, what the points count.

    Raises FileNotFoundError when `study_dir` has no study.json."""
    root = Path(study_dir)
    if not (root / "study.json").exists():
        raise FileNotFoundError(f"{root}: not a study directory (no study.json); run the study there first "
                                "(the same command without --table-only)")
    state = read_json(root / "study.json")
    cfg = state["config"]
    n_cycles = cfg["study"]["cycles"]
    finals, points, outcomes = {}, [], {}
    wanted = list(state.get("variants_wanted", []))
    if "untrained" not in wanted and "iterkd" in wanted:
        wanted.insert(0, "untrained")            # the untrained student is then IterKD's own cycle 0
    for name in wanted:
        store = RunStore(root / name)
        if name == "untrained" and not store.exists():
            store = RunStore(root / "iterkd")
        if not store.exists():
            continue
        rc = store.read_run_info()["config"]
        cycles = [0] if name == "untrained" else [c for c in store.cycles() if c >= 1]
        for c in cycles:
            views = _student_views(store, c)
            if not views:
                continue
            protocols = _protocols(store, c)
            for view, o in views.items():
                est = pass_at_k_ci(o, 1, n_resamples=n_resamples)
                outcomes[(name, c, view)] = o
                points.append({"variant": name, "cycle": c, "view": view, "protocol": protocols.get(view),
                               "pass@1": est.value, "ci_low": est.low, "ci_high": est.high,
                               "n_problems": est.n_problems, "samples": est.samples_per_problem,
                               "teacher_tokens": _tokens_upto(store, c), "student": rc["student"]["model"],
                               "teacher": rc["teacher"]["model"] if name != "untrained" else "-",
                               "decoding": rc["evaluation"]["decoding"], "seed": rc["run"]["seed"],
                               "run_dir": str(store.root)})
        want = 0 if name == "untrained" else 1 if name == "oneshot" else n_cycles
        if any(p["variant"] == name and p["cycle"] == want for p in points):
            finals[name] = want
    views = sorted({p["view"] for p in points}, key=lambda v: (v != "benchmark", v))
    comparisons, claims = [], []
    for view in views:
        base = outcomes.get(("untrained", 0, view))
        final = {v: outcomes.get((v, c, view)) for v, c in finals.items()}
        pairs = [(f"{LABELS[v]} (cycle {finals[v]}) vs untrained", base, final[v]) for v in final if v != "untrained"]
        pairs.append((f"IterKD (cycle {finals.get('iterkd')}) vs one-shot", final.get("oneshot"), final.get("iterkd")))
        for what, a, b in pairs:
            if a is not None and b is not None and set(a) == set(b):
                comparisons.append({"view": view, "comparison": what,
                                    **compare_paired(a, b, 1, n_resamples=n_resamples).as_dict()})
        if base is not None and final.get("iterkd") is not None and final.get("oneshot") is not None:
            g = ratio_of_gains(base, final["iterkd"], final["oneshot"], 1, ref_ratio=cfg["study"]["ref_ratio"],
                               n_resamples=n_resamples)
            claims.append({"view": view, "word": claim_word(g.margin_low, g.margin_high), **g.as_dict()})
    cost = {name: {k: e.get(k) for k in ("status", "stage_seconds", "wall_seconds", "teacher_tokens")}
            for name, e in state["variants"].items()}
    settings = {"student": cfg["student"]["model"], "teacher": cfg["teacher"]["model"], "seed": cfg["run"]["seed"],
                "benchmark": cfg["evaluation"]["benchmark"], "subset": cfg["evaluation"]["subset"] or "all",
                "eval_decoding": cfg["evaluation"]["decoding"], "samples": cfg["evaluation"]["samples"],
                "eval_engine": eval_engine(cfg),
                "cycles": n_cycles, "ref_ratio": cfg["study"]["ref_ratio"], "study_dir": str(root)}
    return {"points": points, "comparisons": comparisons, "claims": claims, "budget": state.get("budget"),
            "cost": cost, "settings": settings, "final_cycles": finals, "outcomes": outcomes}


def _tokens_upto(store: RunStore, cycle: int) -> int:
    return teacher_tokens(store, cycle) if cycle >= 1 else 0


def _f(x, spec: str = ".3f") -> str:
    return "n/a" if x is None else format(x, spec)


def study_markdown(res: dict) -> str:
    """The study as Markdown: settings, pass@1 table, comparisons, claim, budget, cost."""
    s = res["settings"]
    intro = (f"Student `{s['student']}`, teacher `{s['teacher']}`, seed {s['seed']}, benchmark {s['benchmark']} "
             f"(subset {s['subset']}), evaluation decoding {s['eval_decoding']} on {s.get('eval_engine', 'hf')}, "
             f"{s['samples']} sample(s) per "
             f"problem; IterKD for {s['cycles']} cycles. pass@1 with a 95% percentile-bootstrap CI over problems; "
             "paired tests: exact McNemar (greedy) or paired permutation, alpha 0.05. Study directory: "
             f"`{s['study_dir']}`.")
    out = ["# IterKD study: IterKD vs one-shot distillation vs the untrained student", "", intro, "",
           "| variant | cycle | view | protocol | pass@1 | 95% CI | problems | teacher tokens |",
           "|---|---|---|---|---|---|---|---|"]
    for p in res["points"]:
        out.append(f"| {LABELS[p['variant']]} | {p['cycle']} | {p['view']} | {p['protocol']} | {p['pass@1']:.3f} | "
                   f"[{_f(p['ci_low'])}, {_f(p['ci_high'])}] | {p['n_problems']} | {p['teacher_tokens']} |")
    out += ["", "## Paired comparisons (final cycles: " + ", ".join(
        f"{LABELS[v]} {c}" for v, c in res["final_cycles"].items()) + ")", ""]
    out += [f"- {c['view']}: {c['comparison']}: {c['verdict']}" for c in res["comparisons"]] or ["- none (missing runs)"]
    out += ["", f"## Claim: gain(IterKD) >= {s['ref_ratio']} x gain(one-shot) over the untrained student", ""]
    out += [f"- {c['view']}: **{c['word']}**: {c['verdict']}" for c in res["claims"]] or [
        "- not tested (IterKD, one-shot and untrained runs are all needed)"]
    b = res["budget"]
    out += ["", "## Teacher-token budget", ""]
    out.append(f"- IterKD {b['iterkd_tokens']} tokens, one-shot {b['oneshot_tokens']}: ratio {b['ratio']:.3f} "
               f"({'matched' if b['matched'] else 'NOT matched'} within {b['tolerance']:.0%}; {b['counted']}; "
               f"one-shot pool {b['oneshot']['pool_size']} x samples factor {b['oneshot']['factor']})"
               if b else "- not measured (no finished one-shot variant)")
    cost_head = ("## Cost per variant (estimates: stage seconds from the markers; wall seconds of the study's "
                 "sessions, model loading included, a session cut by a kill not counted; both depend on the "
                 "machine's load)")
    out += ["", cost_head, "",
            "| variant | status | stage seconds | wall seconds | teacher tokens |", "|---|---|---|---|---|"]
    for v, c in res["cost"].items():
        out.append(f"| {LABELS.get(v, v)} | {c['status']} | {c['stage_seconds']} | {c['wall_seconds']} | "
                   f"{c['teacher_tokens']} |")
    return "\n".join(out) + "\n"


OUTCOME_FIELDS = ["variant", "cycle", "view", "task_id", "sample_index", "passed"]


def read_study_outcomes(path: str | Path) -> dict[tuple[str, int, str], dict[str, list[bool]]]:
    """{(variant, cycle, view): {task_id: [passed per sample, in sample order]}} from a study_outcomes.csv (the
    form `study_results` returns, so `stats.compare_paired` can pair them). ValueError naming the file and
    line for a row without those columns or with passed not 0/1."""
    out: dict = {}
    rows = csv.DictReader(Path(path).read_text().splitlines())
    if rows.fieldnames != OUTCOME_FIELDS:
        raise ValueError(f"{path}: columns {rows.fieldnames}, expected {OUTCOME_FIELDS}")
    for i, r in enumerate(rows, 2):
        if r["passed"] not in ("0", "1") or not r["cycle"].isdigit() or not r["sample_index"].isdigit():
            raise ValueError(f"{path}, line {i}: cycle and sample_index must be integers, passed 0 or 1: {r}")
        samples = out.setdefault((r["variant"], int(r["cycle"]), r["view"]), {}).setdefault(r["task_id"], [])
        if int(r["sample_index"]) != len(samples):
            raise ValueError(f"{path}, line {i}: sample {r['sample_index']} of {r['task_id']} out of order")
        samples.append(r["passed"] == "1")
    return out


def write_study_tables(res: dict, out_dir: str | Path) -> list[Path]:
    """study_table.md, study_table.csv (points), study_comparisons.csv and study_outcomes.csv (every point's
    per-problem outcomes: OUTCOME_FIELDS, passed 0/1) under out_dir (atomically)."""
    out = Path(out_dir)
    md = out / "study_table.md"
    atomic_write_text(md, study_markdown(res))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=POINT_FIELDS, extrasaction="ignore")
    w.writeheader()
    for p in res["points"]:
        w.writerow({**p, "decoding": str(p["decoding"])})
    atomic_write_text(out / "study_table.csv", buf.getvalue())
    buf = io.StringIO()
    fields = ["view", "comparison", "delta", "low", "high", "p_value", "test", "n_problems", "significant", "verdict"]
    w = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore")
    w.writeheader()
    for c in res["comparisons"]:
        w.writerow(c)
    for c in res["claims"]:
        w.writerow({"view": c["view"], "comparison": f"claim gain(IterKD) >= {c['ref_ratio']} x gain(one-shot)",
                    "delta": c["margin"], "low": c["margin_low"], "high": c["margin_high"],
                    "p_value": c["p_claim_fails"], "test": "paired bootstrap margin", "n_problems": c["n_problems"],
                    "significant": c["word"], "verdict": c["verdict"]})
    atomic_write_text(out / "study_comparisons.csv", buf.getvalue())
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(OUTCOME_FIELDS)
    for (variant, cycle, view), by_task in sorted(res.get("outcomes", {}).items()):
        for task_id, samples in sorted(by_task.items()):
            w.writerows([variant, cycle, view, task_id, i, int(ok)] for i, ok in enumerate(samples))
    atomic_write_text(out / "study_outcomes.csv", buf.getvalue())
    return [md, out / "study_table.csv", out / "study_comparisons.csv", out / "study_outcomes.csv"]
