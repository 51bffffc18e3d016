"""The paper's figures that are not plain views of one run: the cycle diagram and the ablation table.

IterKD (arXiv 2408.03680) shows a diagram of its three-stage cycle, pass@1 per cycle, an ablation table and
the distribution of difficulty levels. What we reproduce, and how faithfully:
- per-cycle pass@1 (`fig_pass_at_1`): IN KIND -- the same quantity (greedy pass@1 on HumanEval after
  each cycle), measured on our own runs with our (much smaller) models and, in smoke runs, a benchmark subset.
- difficulty distribution (`fig_difficulty_distribution`): IN KIND -- counts of easy/medium/hard per
  cycle; our thresholds are our own (the paper does not publish its thresholds).
- ablation table (`ablation_table`): IN KIND -- pass@1 of the full method and of variants with one part
  removed, each a real run; the variants are config overrides (`ABLATIONS`), and every row states the config
  difference actually found in its run.json, so a mislabelled run cannot pass for another variant.
- cycle diagram (`fig_cycle_diagram`): only IN SHAPE -- the three stages and the loop back, drawn from the
  text; it carries no numbers.

Not covered: running the ablation variants (the cycle does that), significance tests.

Entry points: `ABLATIONS`, `fig_cycle_diagram`, `ablation_name`, `ablation_rows`, `ablation_table`,
`ablation_figure`, `ablation_markdown`.
"""

from __future__ import annotations

import plotly.graph_objects as go

from iterkd_lib.config import diff_configs
from iterkd_lib.figures.common import cycle_summaries, settings_text
from iterkd_lib.runstore import RunStore, read_json

# Each variant removes one part of the method; the overrides are what a variant's run is started with.
ABLATIONS: dict[str, list[str]] = {
    "full method": [],
    "without contrastive term (Stage I: SFT only)": ["training.loss=none"],
    "without fault delivery (no faulty teacher code)": ["distill.faulty_per_problem=0"],
    "without judge view (Stage II: tests + pylint only)": ["feedback.use_judge=false"],
    # Stage III still sorts questions into levels and drops the easy ones; only the new questions go
    "without new questions (Stage III writes none)": ["regeneration.per_level={easy: 0, medium: 0, hard: 0}"],
}

# (label, detail, x, y) of the diagram's boxes, on a 0..10 x 0..10 canvas.
_STAGES = [
    ("Stage I<br>Correct-and-Fault<br>Knowledge Delivery",
     "teacher writes correct + faulty code<br>tests label it; SFT + contrastive (QLoRA)", 5.0, 7.8),
    ("Stage II<br>Multi-view Feedback",
     "student answers; unit tests, compile-run,<br>pylint and a 0-6 judge score each", 8.0, 2.6),
    ("Stage III<br>Feedback-based<br>Knowledge Update",
     "easy / medium / hard levels;<br>teacher writes new questions (breadth / depth)", 2.0, 2.6),
]


def fig_cycle_diagram() -> go.Figure:
    """The three-stage IterKD cycle with the loop back to Stage I (reproduced in shape only)."""
    fig = go.Figure()
    for label, detail, x, y in _STAGES:
        fig.add_shape(type="rect", x0=x - 1.9, x1=x + 1.9, y0=y - 1.1, y1=y + 1.1, line=dict(width=2),
                      fillcolor="#e3f2fd")
        fig.add_annotation(x=x, y=y + 0.35, text=f"<b>{label}</b>", showarrow=False, font=dict(size=13))
        # Stage I's note goes above its box: below it, the two arrows leaving and entering would cross it.
        fig.add_annotation(x=x, y=y + 1.55 if y > 5 else y - 1.55, text=detail, showarrow=False,
                           font=dict(size=10, color="#555"))
    # Arrows go I -> II -> III -> I; the last one is the next cycle (new questions join the pool).
    arrows = [((6.5, 7.0), (7.6, 3.8), "student adapter"), ((6.0, 2.6), (4.0, 2.6), "feedback records"),
              ((2.4, 3.8), (3.5, 7.0), "next cycle: new + hard questions")]
    for (x0, y0), (x1, y1), text in arrows:
        fig.add_annotation(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y", showarrow=True,
                           arrowhead=3, arrowsize=1.5, arrowwidth=2, text="")
        fig.add_annotation(x=(x0 + x1) / 2, y=(y0 + y1) / 2 + 0.35, text=f"<i>{text}</i>", showarrow=False,
                           font=dict(size=10))
    fig.add_annotation(x=5, y=5.2, text="teacher (large)  →  student (small)<br>evaluation after every cycle",
                       showarrow=False, font=dict(size=11))
    fig.update_layout(
        title=dict(text="IterKD cycle (after arXiv 2408.03680, Fig. 1)",
                   subtitle=dict(text="reproduced in shape only: stages and loop as described in the text")),
        xaxis=dict(range=[0, 10], visible=False), yaxis=dict(range=[0.5, 10], visible=False, scaleanchor="x"),
        template="plotly_white", width=760, height=640, margin=dict(t=110))
    return fig


def _run_config(store: RunStore) -> dict:
    return read_json(store.run_json).get("config", {}) if store.run_json.exists() else {}


def ablation_rows(stores: dict[str, RunStore], reference: str | None = None,
                  at_cycle: int | None = None) -> list[dict]:
    """One row per variant: pass@1 at cycle 0, at the last cycle, at the best cycle, and what differs.

    `reference` names the full-method run the config differences are taken against (default: the first).
    `delta_vs_reference` compares best cycles, or, with `at_cycle`, every run at that cycle (fair when the
    runs have different lengths); a run that has not reached it gets None, not its last value.
    """
    if not stores:
        return []
    reference = reference or next(iter(stores))
    ref_cfg = _run_config(stores[reference])
    rows = []
    for name, store in stores.items():
        s = cycle_summaries(store)
        scores = {c: m.pass_at("benchmark") for c, m in s.items() if m.pass_at("benchmark") is not None}
        held = {c: m.pass_at("held_out") for c, m in s.items() if m.pass_at("held_out") is not None}
        changed = diff_configs(ref_cfg, _run_config(store)) if name != reference else []
        # run identity differs between any two runs; it is not part of the method
        changed = [k for k in changed if not k.startswith("run.")]
        best = max(scores, key=scores.get) if scores else None
        last = max(scores) if scores else None
        rows.append({
            "variant": name, "run_dir": str(store.root),
            "config_difference": ", ".join(changed) if changed else ("(reference)" if name == reference else "none"),
            "cycles": len(s), "baseline_pass@1": scores.get(0),
            "last_pass@1": scores.get(last) if last is not None else None, "last_cycle": last,
            "best_pass@1": scores.get(best) if best is not None else None, "best_cycle": best,
            "benchmark_by_cycle": " / ".join(f"{scores[c]:.2f}" for c in sorted(scores)),
            "held_out_by_cycle": " / ".join(f"{held[c]:.2f}" for c in sorted(held)),
            "compared_at": "best cycle" if at_cycle is None else f"cycle {at_cycle}",
            "compared_pass@1": scores.get(best) if at_cycle is None and best is not None else scores.get(at_cycle),
            "settings": settings_text(store),
        })
    ref_value = rows[[r["variant"] for r in rows].index(reference)]["compared_pass@1"]
    for r in rows:
        r["delta_vs_reference"] = (None if r["compared_pass@1"] is None or ref_value is None
                                   else round(r["compared_pass@1"] - ref_value, 4))
    return rows


def _fmt(v) -> str:
    return "–" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))


def ablation_name(reference: RunStore, store: RunStore) -> str:
    """The `ABLATIONS` variant whose override keys are exactly the config keys in which `store` differs from
    `reference`; otherwise a name built from its directory (the table's config_difference column says more)."""
    changed = {k for k in diff_configs(_run_config(reference), _run_config(store)) if not k.startswith("run.")}
    for name, overrides in ABLATIONS.items():
        keys = {o.split("=", 1)[0] for o in overrides}
        if changed and all(any(k == key or k.startswith(key + ".") for key in keys) for k in changed):
            return name
    return f"variant {store.root.name}"


ABLATION_COLUMNS = ["variant", "config_difference", "baseline_pass@1", "best_pass@1", "best_cycle", "last_pass@1",
                    "compared_at", "compared_pass@1", "delta_vs_reference", "benchmark_by_cycle",
                    "held_out_by_cycle", "cycles"]


def ablation_markdown(rows: list[dict]) -> str:
    """The rows as a Markdown table (for notes and the README), settings of the first row underneath."""
    lines = ["| " + " | ".join(ABLATION_COLUMNS) + " |", "|" + "---|" * len(ABLATION_COLUMNS)]
    lines += ["| " + " | ".join(_fmt(r[c]) for c in ABLATION_COLUMNS) + " |" for r in rows]
    settings = rows[0]["settings"].replace("<br>", " · ") if rows else ""
    return "\n".join(lines) + (f"\n\nsettings: {settings}\n" if rows else "\n")


def ablation_table(stores: dict[str, RunStore], reference: str | None = None,
                   at_cycle: int | None = None) -> go.Figure:
    """The ablation table as a plotly Table (rows from `ablation_rows`; all columns: `ablation_markdown`)."""
    return ablation_figure(ablation_rows(stores, reference, at_cycle))


def ablation_figure(rows: list[dict]) -> go.Figure:
    """`ablation_table` from rows already computed (so a caller that also prints them reads the runs once)."""
    compared = rows[0]["compared_at"] if rows else "best cycle"
    # (column, header, relative width): the readable subset; a PNG cannot scroll sideways
    cols = [("variant", "variant", 3.2), ("config_difference", "config difference", 2.6),
            ("benchmark_by_cycle", "benchmark pass@1, cycle 0 / 1 / ...", 2.0),
            ("held_out_by_cycle", "held-out pass@1, cycle 0 / 1 / ...", 2.0),
            ("compared_pass@1", f"pass@1 at {compared}", 1.2), ("delta_vs_reference", "vs full method", 1.2)]
    fig = go.Figure(go.Table(
        columnwidth=[w for _, _, w in cols],
        header=dict(values=[f"<b>{h}</b>" for _, h, _ in cols], fill_color="#e3f2fd", align="left"),
        cells=dict(values=[[_fmt(r[c]) for r in rows] for c, _, _ in cols], align="left", height=30)))
    sub = rows[0]["settings"] if rows else "no runs given"
    fig.update_layout(title=dict(text="ablation: pass@1 with one part of the method removed",
                                 subtitle=dict(text=sub)), margin=dict(t=110, l=20, r=20, b=20),
                      template="plotly_white", width=1300, height=260 + 60 * max(1, len(rows)))
    if not rows:
        fig.update_layout(meta={"empty": True})
    return fig
