"""The study figure: pass@1 with 95% CIs per variant and cycle, one panel per evaluation view.

Reads the results of `study_report.study_results` (it computes nothing itself): x = variant and cycle
("untrained", "IterKD c1" .. "IterKD cN", "one-shot", "self-training c1" ..), y = pass@1 with its bootstrap CI
as error bars; the title carries the settings (student, teacher, seed, decoding, problems per view), the
claim test and the teacher-token budget ratio. Not covered: writing files (export.save_figure).

Entry point: `study_figure(results)`.
"""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

COLORS = {"untrained": "#7f7f7f", "iterkd": "#1f77b4", "oneshot": "#ff7f0e", "selftrain": "#2ca02c"}
LABELS = {"untrained": "untrained", "iterkd": "IterKD", "oneshot": "one-shot", "selftrain": "self-training"}


def _x(p: dict) -> str:
    return LABELS[p["variant"]] if p["variant"] in ("untrained", "oneshot") else f"{LABELS[p['variant']]} c{p['cycle']}"


def study_figure(res: dict) -> go.Figure:
    """One panel per view (benchmark first), one trace per variant, error bars = 95% CI. An empty study gives
    a figure with no traces (export skips it)."""
    points = res["points"]
    views = list(dict.fromkeys(sorted((p["view"] for p in points), key=lambda v: (v != "benchmark", v))))
    titles = []
    for v in views:
        ps = [p for p in points if p["view"] == v]
        titles.append(f"{v} ({ps[0]['protocol']}, {ps[0]['n_problems']} problems)")
    fig = make_subplots(rows=1, cols=max(1, len(views)), subplot_titles=titles or ["no evaluations yet"],
                        shared_yaxes=True)
    order = [_x(p) for p in sorted(points, key=lambda p: (list(LABELS).index(p["variant"]), p["cycle"]))]
    for col, view in enumerate(views, start=1):
        for variant, label in LABELS.items():
            ps = [p for p in points if p["view"] == view and p["variant"] == variant]
            if not ps:
                continue
            ys = [p["pass@1"] for p in ps]
            fig.add_trace(go.Scatter(
                x=[_x(p) for p in ps], y=ys, mode="markers+lines" if len(ps) > 1 else "markers",
                name=label, legendgroup=variant, showlegend=col == 1,
                marker={"color": COLORS[variant], "size": 10}, line={"color": COLORS[variant]},
                error_y={"type": "data", "symmetric": False,
                         "array": [(p["ci_high"] - p["pass@1"]) if p["ci_high"] is not None else 0 for p in ps],
                         "arrayminus": [(p["pass@1"] - p["ci_low"]) if p["ci_low"] is not None else 0 for p in ps]},
                hovertemplate="%{x}: pass@1 %{y:.3f}<extra>" + label + "</extra>"), row=1, col=col)
        fig.update_xaxes(categoryorder="array", categoryarray=list(dict.fromkeys(order)), row=1, col=col)
    s = res["settings"]
    claim = "; ".join(f"{c['view']}: {c['word']} (margin {c['margin']:+.3f} [{_n(c['margin_low'])}, "
                      f"{_n(c['margin_high'])}])" for c in res["claims"]) or "claim not tested"
    b = res.get("budget")
    budget = (f"one-shot/IterKD teacher tokens {b['ratio']:.2f} ({'matched' if b['matched'] else 'NOT matched'})"
              if b else "budget not measured")
    fig.update_yaxes(title_text="pass@1 (95% bootstrap CI)", range=[0, 1], row=1, col=1)
    fig.update_layout(
        title={"text": f"IterKD study: student {s['student']}, teacher {s['teacher']}, seed {s['seed']}, "
                       f"eval decoding {s['eval_decoding']}<br><sub>gain(IterKD) >= {s['ref_ratio']} x "
                       f"gain(one-shot): {claim}; {budget}</sub>", "font": {"size": 13}},
        height=480, width=max(560, 420 * len(views)), margin={"t": 110})
    return fig


def _n(x) -> str:
    return "n/a" if x is None else f"{x:+.3f}"
