"""Figures of Stage I (teacher data and training) of one run: training losses, the teacher's fault types,
its yield per cycle and repair success. Each reads records and returns a Figure titled with its settings
(`figures.common`); a stage with no records gives the empty placeholder.

Not covered: the other stages' figures (`figures.records`), running anything.

Entry points: `fig_loss_curves`, `fig_fault_types`, `fig_teacher_yield`, `fig_repair_success`.
"""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from iterkd_lib.figures.common import cycle_summaries, empty_figure, latest_cycle, stage_records, titled
from iterkd_lib.records import TeacherAttempt, TeacherYield
from iterkd_lib.runstore import RunStore, read_json, read_jsonl


def fig_loss_curves(store: RunStore, cycle: int | None = None) -> go.Figure:
    """Training loss and its two terms (SFT, contrastive) and the preference margin, per step."""
    cycle = latest_cycle(store, "04_adapter") if cycle is None else cycle
    title = f"adapter training (cycle {cycle})"
    log = store.cycle_dir(cycle) / "04_adapter" / "train_log.jsonl"
    rows = read_jsonl(log) if log.exists() else []
    if not rows:
        return empty_figure(title, store, cycle, f"no data for cycle {cycle}: no 04_adapter/train_log.jsonl")
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    steps = [r["step"] for r in rows]
    for key in ("loss", "sft_loss", "contrastive_loss"):
        fig.add_scatter(x=steps, y=[r.get(key) for r in rows], name=key, mode="lines")
    fig.add_scatter(x=steps, y=[r.get("margin") for r in rows], name="margin (right axis)", mode="lines",
                    line=dict(dash="dot"), secondary_y=True)
    meta_path = store.cycle_dir(cycle) / "04_adapter" / "adapter_meta.json"
    if meta_path.exists():
        meta = read_json(meta_path)
        # adapter_meta's "lora" is peft's full LoraConfig dict (r, lora_alpha, lora_dropout, target_modules, ...)
        lora = meta.get("lora") or {}
        targets = lora.get("target_modules")
        targets = ",".join(sorted(targets)) if isinstance(targets, list | tuple) else targets
        lora_text = " ".join(f"{k}={v}" for k, v in (("r", lora.get("r")),
                                                      ("alpha", lora.get("lora_alpha", lora.get("alpha"))),
                                                      ("dropout", lora.get("lora_dropout", lora.get("dropout"))),
                                                      ("targets", targets)) if v is not None)
        fig.add_annotation(text=f"LoRA {lora_text} · loss {meta.get('loss')}", showarrow=False,
                           xref="paper", yref="paper", x=0, y=-0.18, xanchor="left", font=dict(size=10))
    fig.update_xaxes(title="optimizer step")
    fig.update_yaxes(title="loss", secondary_y=False)
    fig.update_yaxes(title="margin", secondary_y=True)
    fig.update_layout(legend=dict(x=1.1))   # clear of the right axis
    return titled(fig, title, store, cycle)


def fig_fault_types(store: RunStore, cycle: int | None = None) -> go.Figure:
    """Requested fault type vs what execution made of it: label counts, and the observed error types."""
    cycle = latest_cycle(store, "02_teacher_attempts") if cycle is None else cycle
    title = f"teacher attempts: requested vs actual (cycle {cycle})"
    recs = [TeacherAttempt.from_dict(r) for r in stage_records(store, cycle, "02_teacher_attempts") or []]
    if not recs:
        return empty_figure(title, store, cycle, f"no data for cycle {cycle}: no 02_teacher_attempts")

    def asked(r: TeacherAttempt) -> str:
        return (r.fault_type or "(unspecified)") if r.requested == "faulty" else r.requested

    rows = sorted({asked(r) for r in recs}, key=lambda a: (a != "correct", a != "repair", a))
    cols = sorted({r.outcome for r in recs}, key=lambda o: (o != "passed", o))
    consistent = sum(1 for r in recs if r.consistent)
    fig = make_subplots(rows=1, cols=2, column_widths=[0.45, 0.55],
                        subplot_titles=(f"label after execution ({consistent}/{len(recs)} as requested)",
                                        "observed outcome"))
    for label, colour in (("correct", "#4caf50"), ("faulty", "#e53935")):
        fig.add_bar(x=rows, y=[sum(1 for r in recs if asked(r) == a and r.label == label) for a in rows],
                    name=f"label {label}", marker_color=colour, row=1, col=1)
    z = [[sum(1 for r in recs if asked(r) == a and r.outcome == o) for o in cols] for a in rows]
    fig.add_heatmap(x=cols, y=rows, z=z, text=z, texttemplate="%{text}", colorscale="Blues", showscale=False,
                    name="requested x observed", row=1, col=2)
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title="requested", row=1, col=1)
    fig = titled(fig, title, store, cycle)
    fig.update_layout(margin=dict(t=150))   # room for the subplot titles under the two-line subtitle
    return fig


def fig_teacher_yield(store: RunStore) -> go.Figure:
    """Stage I's yield per cycle: share of pool problems with a verified teacher solution (from a sample,
    or only after repair), share of SFT positives the teacher wrote, teacher tokens per verified solution."""
    title = "teacher yield per cycle (Stage I)"
    s = {c: m.teacher_yield for c, m in cycle_summaries(store).items() if m.teacher_yield}
    if not s:
        return empty_figure(title, store, None, "no data: no cycle_summary with a teacher yield yet")
    cycles = sorted(s)
    fig = titled(go.Figure(), title, store)
    fig.add_bar(x=cycles, y=[s[c].share_by_sample for c in cycles], name="verified sample",
                marker_color="#4caf50",
                text=[f"{s[c].solved_by_sample}/{s[c].problems}" for c in cycles])
    fig.add_bar(x=cycles, y=[s[c].share_by_repair_only for c in cycles], name="only after repair",
                marker_color="#ffb300",
                text=[f"+{s[c].solved_by_repair_only}" for c in cycles])
    fig.add_scatter(x=cycles, y=[s[c].teacher_share for c in cycles],
                    name="SFT positives written by the teacher", mode="lines+markers", line=dict(color="black"))
    for c in cycles:
        tpv = s[c].tokens_per_verified_solution
        fig.add_annotation(x=c, y=1.04, showarrow=False, yref="y",
                           text=f"{tpv:.0f} tok/verified" if tpv is not None else "tokens n/a")
    fig.update_layout(barmode="stack", xaxis=dict(title="cycle", dtick=1),
                      yaxis=dict(title="share of pool problems / of SFT positives", range=[0, 1.1]))
    return fig


def fig_repair_success(store: RunStore, cycle: int | None = None) -> go.Figure:
    """Repairs from execution feedback by the error type of the code repaired: attempted vs fixed, for the
    teacher's own failed samples and for the student's failed attempts."""
    cycle = latest_cycle(store, "02_teacher_attempts") if cycle is None else cycle
    title = f"repair from execution feedback: success by error type (cycle {cycle})"
    summary = store.stage_summary(cycle, "02_teacher_attempts")
    if summary is None:
        return empty_figure(title, store, cycle, f"no data for cycle {cycle}: no 02_teacher_attempts")
    groups = TeacherYield.from_dict(summary["yield"]).repair_by_target() if summary.get("yield") else {}
    if not groups:
        return empty_figure(title, store, cycle, f"no repairs in cycle {cycle}")
    errors = sorted({e for g in groups.values() for e in g if e != "all"})
    fig = titled(go.Figure(), title, store, cycle)
    names = {"teacher_sample": "teacher's failed samples", "student": "student's failed attempts"}
    for who, g in sorted(groups.items()):
        fig.add_bar(x=errors, y=[g.get(e, {}).get("attempted", 0) for e in errors], name=f"{names.get(who, who)}: "
                    "attempted", opacity=0.45, offsetgroup=who)
        fig.add_bar(x=errors, y=[g.get(e, {}).get("fixed", 0) for e in errors], name=f"{names.get(who, who)}: fixed",
                    offsetgroup=who, base=0,
                    text=[f"{g[e]['fixed']}/{g[e]['attempted']}" if e in g else "" for e in errors])
    fig.update_layout(barmode="group", xaxis=dict(title="error type of the code repaired"),
                      yaxis=dict(title="repairs"))
    return fig
