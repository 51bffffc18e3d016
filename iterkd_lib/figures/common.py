"""What every run figure shares: the settings line under its title, the empty placeholder, record access.

Every figure carries the settings that produced its numbers (student, teacher, decoding, seed, cycle) as its
subtitle, taken from the cycle's `cycle_summary` in metrics.jsonl, else from run.json (`settings_text`). A
stage that has no records yet gives an empty figure that says "no data for cycle k", marked so
`export_figures` skips it (`empty_figure`, `is_empty`), instead of raising: notebooks are run on partial runs.

Not covered: the figures themselves (`figures.records`, `figures.training`, `figures.paper`).

Entry points: `cycle_summaries`, `settings_text`, `titled`, `empty_figure`, `is_empty`, `stage_records`,
`latest_cycle`.
"""

from __future__ import annotations

import plotly.graph_objects as go

from iterkd_lib.config import dotted_get
from iterkd_lib.records import CycleSummary, SummarySettings
from iterkd_lib.runstore import RunStore, read_json


def cycle_summaries(store: RunStore) -> dict[int, CycleSummary]:
    # A resumed cycle appends its summary again; the last one is the one that describes the files on disk.
    """{cycle: its typed cycle_summary record}; for a cycle summarised twice (resume), the last one."""
    return {m["cycle"]: CycleSummary.from_dict(m) for m in store.metrics()
            if m.get("kind") == "cycle_summary" and "cycle" in m}


def _fmt_decoding(dec) -> str:
    if isinstance(dec, dict) and "temperature" in dec:
        t = dec.get("temperature")
        mode = "greedy" if not t else f"T={t} top_p={dec.get('top_p')}"
        return f"{mode} max_new={dec.get('max_new_tokens')}"
    if isinstance(dec, dict):
        return "; ".join(f"{k}: {_fmt_decoding(v)}" for k, v in dec.items())
    return str(dec)


def _config_settings(cfg: dict) -> SummarySettings:
    """The settings a summary would carry, from run.json's config (a run with no cycle summary yet)."""
    return SummarySettings(student=dotted_get(cfg, "student.model"), teacher=dotted_get(cfg, "teacher.model"),
                           seed=dotted_get(cfg, "run.seed"), loss=dotted_get(cfg, "training.loss"),
                           eval_decoding=dotted_get(cfg, "evaluation.decoding"),
                           eval_subset=dotted_get(cfg, "evaluation.subset"))


def settings_text(store: RunStore, cycle: int | None = None) -> str:
    """One line naming what produced a figure's numbers; `cycle=None` means the whole run."""
    summaries = cycle_summaries(store)
    chosen = summaries.get(cycle) or (summaries[max(summaries)] if summaries else None)
    s = chosen.settings if chosen is not None else None
    if s is None and store.run_json.exists():
        s = _config_settings(read_json(store.run_json).get("config", {}))
    s = s or SummarySettings()
    subset = s.eval_subset
    bench = "" if subset is None else f" · benchmark {'all' if subset == 0 else f'first {subset}'}"
    loss = f" · loss {s.loss}" if s.loss else ""
    where = "all cycles" if cycle is None else f"cycle {cycle}"

    def shown(v) -> str:
        return "?" if v is None else str(v)

    # two lines: one line of settings overflows a default-width figure
    return (f"student {shown(s.student)} · teacher {shown(s.teacher)} · seed {shown(s.seed)} · "
            f"{where}<br>eval decoding {_fmt_decoding('?' if s.decoding is None else s.decoding)}{bench}{loss}")


def titled(fig: go.Figure, title: str, store: RunStore | None, cycle: int | None = None) -> go.Figure:
    """`fig` with `title` and the settings line (`settings_text`) as its subtitle, in the plotly_white template."""
    sub = settings_text(store, cycle) if store is not None else ""
    fig.update_layout(title=dict(text=title, subtitle=dict(text=sub)), margin=dict(t=110),
                      template="plotly_white")
    return fig


def empty_figure(title: str, store: RunStore | None, cycle: int | None, message: str) -> go.Figure:
    """The placeholder for a stage with no data: `message` in the middle, layout.meta["empty"] set (`is_empty`)."""
    fig = titled(go.Figure(), title, store, cycle)
    fig.add_annotation(text=message, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5,
                       font=dict(size=16))
    fig.update_layout(meta={"empty": True}, xaxis=dict(visible=False), yaxis=dict(visible=False))
    return fig


def is_empty(fig: go.Figure) -> bool:
    """Whether `fig` is the annotated placeholder drawn for a stage with no data (layout.meta["empty"])."""
    return isinstance(fig.layout.meta, dict) and bool(fig.layout.meta.get("empty"))


def stage_records(store: RunStore, cycle: int, stage: str) -> list[dict] | None:
    """The records of run file `stage` (e.g. "02_teacher_attempts") in `cycle`, None when it has none yet."""
    return store.read_records(cycle, stage) if store.has_records(cycle, stage) else None


def latest_cycle(store: RunStore, stage: str) -> int:
    """Default cycle for per-cycle figures: the latest that has the stage (else the latest at all)."""
    have = [c for c in store.cycles() if store.has_records(c, stage)]
    return (have or store.cycles() or [0])[-1]
