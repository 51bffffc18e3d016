"""Figures of one run directory's records: pass@1 per cycle, the level flow and difficulty distribution,
the judge against the tests and per rubric rule, pylint categories, Stage III's acceptance. One function a
figure, each reading records and returning a Figure titled with its settings (`figures.common`); a stage
with no records yet gives the empty placeholder instead of raising (notebooks run on partial runs).

Of the paper's figures, per-cycle pass@1 and the difficulty distribution live here (see `figures.paper` for
which are reproduced in kind and which only in shape).

Not covered: Stage I's figures (`figures.training`), running anything (stages live in `cycle` and below),
statistics beyond counting and means, the notebooks' narrative.

Entry points: `fig_pass_at_1`, `fig_level_flow`, `fig_difficulty_distribution`, `fig_judge_vs_tests`,
`fig_judge_rules`, `fig_pylint_categories`, `fig_acceptance`, `REASONS`, `PYLINT_CATEGORIES`. Writing
HTML/PNG files is `figures.export`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from itertools import pairwise

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from iterkd_lib.figures.common import cycle_summaries, empty_figure, latest_cycle, stage_records, titled
from iterkd_lib.records import LEVELS, CycleSummary, Level, Question
from iterkd_lib.runstore import RunStore, read_json
from iterkd_lib.scoring.judge_parser import RULES as RUBRIC
from iterkd_lib.verdicts import Judgement

PYLINT_CATEGORIES = ("fatal", "error", "warning", "refactor", "convention", "info")
RULES = tuple(key for key, _, _ in RUBRIC)


# ------------------------------------------------------------------------------- whole-run figures

def _ci_bars(store: RunStore, s: dict[int, CycleSummary], cycles: list[int], view: str) -> dict:
    """plotly error_y for the 95% bootstrap CI of pass@1 per cycle (from the summary, else the records)."""
    from iterkd_lib.cycle_summary import evaluation_statistics

    plus, minus = [], []
    for c in cycles:
        stats = s[c].evaluation_stats
        e = (stats if stats is not None else evaluation_statistics(store, c)).get(view)
        if e is None or e["ci"][0] is None:
            plus.append(None)
            minus.append(None)
        else:
            plus.append(e["ci"][1] - e["pass@1"])
            minus.append(e["pass@1"] - e["ci"][0])
    return {"type": "data", "symmetric": False, "array": plus, "arrayminus": minus, "visible": True}


def fig_pass_at_1(store: RunStore) -> go.Figure:
    """Benchmark pass@1 per cycle: student vs teacher ceiling and cycle-0 baseline; plus held-out seeds.

    Student points carry error bars: the 95% percentile-bootstrap CI over problems (`stats.pass_at_k_ci`)."""
    title = "pass@1 per cycle"
    s = cycle_summaries(store)
    if not s:
        return empty_figure(title, store, None, "no data: metrics.jsonl has no cycle_summary yet")
    cycles = sorted(s)
    fig = titled(go.Figure(), title, store)
    fig.add_scatter(x=cycles, y=[s[c].pass_at("benchmark") for c in cycles], name="student (benchmark)",
                    mode="lines+markers", error_y=_ci_bars(store, s, cycles, "benchmark"))
    fig.add_scatter(x=cycles, y=[s[c].pass_at("held_out") for c in cycles], name="student (held-out seeds)",
                    mode="lines+markers", line=dict(dash="dot"), error_y=_ci_bars(store, s, cycles, "held_out"))
    base = s.get(0) or CycleSummary(cycle=0)
    if base.pass_at("benchmark") is not None:
        fig.add_scatter(x=cycles, y=[base.pass_at("benchmark")] * len(cycles), name="baseline (cycle-0 student)",
                        mode="lines", line=dict(dash="dash", color="grey"))
    if base.pass_at("teacher_benchmark") is not None:
        fig.add_scatter(x=cycles, y=[base.pass_at("teacher_benchmark")] * len(cycles),
                        name="teacher ceiling (cycle 0)", mode="lines", line=dict(dash="dash", color="black"))
    best = store.root / "best.json"
    if best.exists():
        b = read_json(best)
        fig.add_annotation(x=b.get("cycle"), y=b.get("value"), text=f"best: cycle {b.get('cycle')}",
                           showarrow=True, arrowhead=2, ay=-30)
    fig.update_layout(xaxis=dict(title="cycle", dtick=1), yaxis=dict(title="pass@1", rangemode="tozero"))
    return fig


def _levels_by_cycle(store: RunStore) -> dict[int, dict[str, str]]:
    return {c: {lv.task_id: lv.level for lv in map(Level.from_dict, store.read_records(c, "07_levels"))}
            for c in store.cycles() if store.has_records(c, "07_levels")}


_LEVEL_COLOURS = ("#4caf50", "#ffb300", "#e53935")  # easy, medium, hard: the same in every figure


def fig_level_flow(store: RunStore) -> go.Figure:
    """Sankey: how questions move between difficulty levels from one cycle to the next (by task_id)."""
    title = "difficulty level flow between cycles"
    by_cycle = _levels_by_cycle(store)
    cycles = sorted(by_cycle)
    if len(cycles) < 2:
        return empty_figure(title, store, None, "no data: level flow needs 07_levels in two cycles")
    flows: Counter = Counter()
    for a, b in pairwise(cycles):
        before, after = by_cycle[a], by_cycle[b]
        for tid, lvl in before.items():
            flows[(f"cycle {a}: {lvl}", f"cycle {b}: {after[tid]}" if tid in after else f"dropped after {a}")] += 1
        for tid, lvl in after.items():
            if tid not in before:
                flows[(f"new in cycle {b}", f"cycle {b}: {lvl}")] += 1
    links = sorted(flows.items())
    nodes = list(dict.fromkeys(name for (s, d), _ in links for name in (s, d)))
    src = [nodes.index(s) for (s, _), _ in links]
    dst = [nodes.index(d) for (_, d), _ in links]
    colour = dict(zip(LEVELS, _LEVEL_COLOURS, strict=True))
    node_colours = [next((c for lv, c in colour.items() if n.endswith(f": {lv}")), "#9e9e9e") for n in nodes]
    fig = titled(go.Figure(go.Sankey(node=dict(label=nodes, pad=12, color=node_colours),
                                      link=dict(source=src, target=dst, value=[n for _, n in links]))),
                  title, store)
    return fig


def fig_difficulty_distribution(store: RunStore) -> go.Figure:
    """Stacked bars: questions per level in every cycle (07_levels, else the summary's `levels`)."""
    title = "difficulty distribution per cycle"
    counts = {c: Counter(lv.values()) for c, lv in _levels_by_cycle(store).items()}
    for c, m in cycle_summaries(store).items():
        if c not in counts and m.levels:
            counts[c] = Counter(m.levels)
    if not counts:
        return empty_figure(title, store, None, "no data: no cycle has difficulty levels yet")
    cycles = sorted(counts)
    fig = titled(go.Figure(), title, store)
    for lvl, colour in zip(LEVELS, _LEVEL_COLOURS, strict=True):
        fig.add_bar(x=cycles, y=[counts[c].get(lvl, 0) for c in cycles], name=lvl, marker_color=colour)
    fig.update_layout(barmode="stack", xaxis=dict(title="cycle", dtick=1), yaxis=dict(title="questions"))
    return fig


# ------------------------------------------------------------------------------ per-cycle figures

def _feedback(store: RunStore, cycle: int | None):
    cycle = latest_cycle(store, "06_feedback") if cycle is None else cycle
    return cycle, stage_records(store, cycle, "06_feedback")


def _passed(feedback_record: dict) -> bool:
    # only `passed` is read: figures also draw hand-written records that carry nothing else
    return bool(feedback_record["execution"]["passed"])


def _judged(recs: list[dict] | None) -> list[tuple[dict, Judgement]]:
    """(feedback record, its typed judgement) for the records that have one."""
    return [(r, Judgement.from_dict(r["judge"])) for r in recs or [] if r.get("judge")]


def fig_judge_vs_tests(store: RunStore, cycle: int | None = None) -> go.Figure:
    """Judge score (0-6; 6 x P(yes) where the verdict gave it) of attempts that pass their tests vs those that fail."""
    cycle, recs = _feedback(store, cycle)
    verdict = any(r.get("judge") and r["judge"].get("score_from") == "verdict" for r in recs or [])
    title = f"judge {'verdict (6 x P(yes))' if verdict else 'score'} vs unit tests (cycle {cycle})"
    scored = [(j, _passed(r)) for r, j in _judged(recs) if j.score is not None]
    if not scored:
        return empty_figure(title, store, cycle, f"no data for cycle {cycle}: no judged attempts in 06_feedback")
    fig = titled(go.Figure(), title, store, cycle)
    for passed, name in ((True, "tests pass"), (False, "tests fail")):
        ys = [j.score for j, p in scored if p is passed]
        fig.add_box(y=ys, name=f"{name} (n={len(ys)})", boxpoints="all", jitter=0.4, pointpos=0)
    unjudged = len(recs) - len(scored)
    if unjudged:
        fig.add_annotation(text=f"{unjudged} attempt(s) without a judge score", showarrow=False,
                           xref="paper", yref="paper", x=1, y=1.02, xanchor="right")
    fig.update_layout(yaxis=dict(title="judge score (0-6)" + (": 6 x P(yes)" if verdict else ""), range=[-0.3, 6.3]),
                      showlegend=False)
    return fig


def fig_judge_rules(store: RunStore, cycle: int | None = None) -> go.Figure:
    """Mean judge score per rubric rule, passing vs failing attempts."""
    cycle, recs = _feedback(store, cycle)
    title = f"judge rubric per rule (cycle {cycle})"
    # An unparseable judgement has every rule None: it is left out, not averaged in as zeros.
    judged = _judged(recs)
    ruled = [(j.rule_scores(), _passed(r)) for r, j in judged if j.rule_scores()]
    if not ruled:
        return empty_figure(title, store, cycle, f"no data for cycle {cycle}: no judge rule scores")
    fig = titled(go.Figure(), title, store, cycle)
    for passed, name in ((True, "tests pass"), (False, "tests fail")):
        group = [rules for rules, p in ruled if p is passed]
        scored = {k: [g[k] for g in group if k in g] for k in RULES}
        means = [sum(v) / len(v) if v else None for v in scored.values()]
        fig.add_bar(x=list(RULES), y=means, name=f"{name} (n={len(group)})")
    unruled = len(judged) - len(ruled)
    if unruled:
        fig.add_annotation(text=f"{unruled} judgement(s) without rule scores (unparseable) left out",
                           showarrow=False, xref="paper", yref="paper", x=1, y=1.02, xanchor="right")
    fig.update_layout(barmode="group", yaxis=dict(title="mean rule score"))
    return fig


def fig_pylint_categories(store: RunStore, cycle: int | None = None) -> go.Figure:
    """pylint messages per category, for attempts that pass vs fail their tests."""
    cycle, recs = _feedback(store, cycle)
    title = f"pylint message categories (cycle {cycle})"
    linted = [r for r in recs or [] if r.get("pylint")]
    if not linted:
        return empty_figure(title, store, cycle, f"no data for cycle {cycle}: no pylint results in 06_feedback")
    fig = titled(go.Figure(), title, store, cycle)
    for passed, name in ((True, "tests pass"), (False, "tests fail")):
        cats = Counter(m.get("category") for r in linted if bool(r["execution"]["passed"]) is passed
                       for m in r["pylint"].get("messages", []))
        top = Counter(m.get("symbol") for r in linted if bool(r["execution"]["passed"]) is passed
                      for m in r["pylint"].get("messages", []))
        fig.add_bar(x=list(PYLINT_CATEGORIES), y=[cats.get(c, 0) for c in PYLINT_CATEGORIES], name=name,
                    hovertext=", ".join(f"{s} x{n}" for s, n in top.most_common(5)))
    fig.update_layout(barmode="group", yaxis=dict(title="messages"))
    return fig


# Rejection reasons of Stage III in check order (stages/new_questions.REASONS; older runs also have
# "reference_fails" from teacher-written tests). Listed here so colours and order are the same in every figure.
REASONS = ("unparseable", "placeholders", "copied_example", "near_duplicate", "contaminated", "nondeterministic",
           "unserialisable_output", "no_agreement", "too_few_tests", "return_type_mismatch", "contested_example",
           "example_mismatch", "reference_fails", "trivial_tests", "student_solves")


def fig_acceptance(store: RunStore, cycle: int | None = None) -> go.Figure:
    """Generated questions per parent level: accepted, and rejected by reason (left); how many candidate
    solutions agreed, per question that reached the vote (right: size of the largest agreeing group, accepted
    and rejected stacked, the min_agree threshold marked); the teacher's own expected values that disagree
    with the agreed outputs, and the accepted questions whose wrong docstring examples were rewritten, in the
    annotation."""
    cycle = latest_cycle(store, "08_new_questions") if cycle is None else cycle
    title = f"new questions: accepted vs rejected (cycle {cycle})"
    acc = stage_records(store, cycle, "08_new_questions")
    rej = stage_records(store, cycle, "08_rejected_questions")
    if acc is None and rej is None:
        return empty_figure(title, store, cycle, f"no data for cycle {cycle}: no 08_new_questions")
    acc, rej = [Question.from_dict(q) for q in acc or []], [Question.from_dict(q) for q in rej or []]
    fig = make_subplots(rows=1, cols=2, column_widths=[0.55, 0.45],
                        subplot_titles=("by level of the parent question", "agreement among candidate solutions"))
    fig = titled(fig, title, store, cycle)
    fig.add_bar(x=list(LEVELS), y=[sum(1 for q in acc if q.parent_level == lv) for lv in LEVELS],
                name="accepted", marker_color="#4caf50", row=1, col=1)
    by_reason: dict[str, Counter] = defaultdict(Counter)
    for q in rej:
        by_reason[q.reason or "?"][q.parent_level] += 1
    order = [r for r in REASONS if r in by_reason] + sorted(set(by_reason) - set(REASONS))
    for reason in order:
        fig.add_bar(x=list(LEVELS), y=[by_reason[reason].get(lv, 0) for lv in LEVELS], name=f"rejected: {reason}",
                    row=1, col=1)
    voted = [(q.agreement, ok) for ok, qs in ((True, acc), (False, rej)) for q in qs if q.agreement is not None]
    if voted:
        top = max(a.candidates for a, _ in voted)
        sizes = list(range(0, top + 1))
        for ok, colour in ((True, "#4caf50"), (False, "#9e9e9e")):
            fig.add_bar(x=sizes, y=[sum(1 for a, o in voted if o == ok and a.largest == k) for k in sizes],
                        name="accepted (agreement)" if ok else "rejected (agreement)", marker_color=colour,
                        showlegend=True, row=1, col=2)
        min_agree = voted[0][0].min_agree
        if min_agree is not None:
            fig.add_vline(x=min_agree - 0.5, line_dash="dash", line_color="#333", row=1, col=2,
                          annotation_text=f"min_agree {min_agree}", annotation_position="top right")
        fig.update_xaxes(title=f"largest agreeing group (of {top} candidates)", dtick=1, row=1, col=2)
    checked = [x for q in acc + rej for x in q.checked_expectations()]
    wrong = sum(1 for x in checked if x["agrees"] is False)
    total = len(acc) + len(rej)
    text = f"accepted {len(acc)}/{total}" + (f" ({len(acc) / total:.0%})" if total else "")
    if checked:
        text += f"; teacher's own expected values wrong: {wrong}/{len(checked)} ({wrong / len(checked):.0%})"
    rewritten = [q for q in acc if q.extra.get("examples_rewritten")]  # regeneration.example_policy "rewrite"
    if rewritten:
        text += f"; accepted with docstring examples rewritten to the agreed outputs: {len(rewritten)}"
    dropped = [q for q in acc if q.extra.get("examples_dropped")]  # regeneration.contested_examples "drop"
    if dropped:
        text += f"; accepted with unconfirmed (contested) examples dropped: {len(dropped)}"
    revised = [q for q in acc if q.extra.get("revised")]  # regeneration.revise_rounds
    if revised:
        text += f"; accepted after a revision: {len(revised)}"
    fig.add_annotation(text=text, showarrow=False, xref="paper", yref="paper", x=1, y=1.02, xanchor="right")
    fig.update_layout(barmode="stack", margin=dict(t=150))
    fig.update_xaxes(title="level of the parent question", row=1, col=1)
    fig.update_yaxes(title="generated questions", row=1, col=1)
    return fig



