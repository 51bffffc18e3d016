"""A notebook control panel that steps through one cycle, a stage per click.

`CyclePanel(run, cycle)` shows: a stage picker ("next stage" or one named stage), a Run button, a bar of the
cycle's finished stages, a status line, the stage's own progress bars and log (an Output area), and the first
records of the stage when it finishes. A click calls what `iterkd run` calls: `cycle.run_stage` over the
stage table `cycle.STAGES`, so a stage already done is read back from the run directory and the unfinished
stages before a chosen one run first, exactly as on the command line. Given `controls` (a
`widgets.ConfigControls`), the config controls sit beside the panel.

Not covered: running stages in the background (a click blocks the kernel until the stage ends, as a cell
would); several cycles at once (`cycle.run_all` / `iterkd run`); editing a run's config (an existing run
keeps its saved config, see widgets.py).

Entry points: `CyclePanel(run, cycle, controls=None, rows=5)` (`.widget`, `.run_stage(name=None)`,
`.next_stage()`, `.button.click()`), `cycle_stages(cycle)`, `records_html(records, limit)`.
"""

from __future__ import annotations

import html
import json
import time
import traceback
from typing import Any

import ipywidgets as W

NEXT = "next stage"


def cycle_stages(cycle: int) -> list[str]:
    """The stages of a cycle by run file ("01_pool", ...), in the table's order (cycle 0: evaluation only)."""
    from iterkd_lib.cycle import STAGES

    return [s.file for s in STAGES if cycle > 0 or s.in_cycle_0]


def _run_stage(run, cycle: int, file: str):
    """`cycle.run_stage` for the stage whose run file is `file`; a stage without records gives its summary."""
    from iterkd_lib import cycle as cyc

    stage = next(s for s in cyc.STAGES if s.file == file)
    records = cyc.run_stage(run, cycle, stage.name)
    return records if run.store.has_records(cycle, file) else run.store.stage_summary(cycle, file)


def _cell(v: Any, width: int = 70) -> str:
    if isinstance(v, (dict, list)):
        v = json.dumps(v, ensure_ascii=False)
    elif isinstance(v, float):
        v = f"{v:.4g}"
    text = str(v).replace("\n", "⏎ ")
    return text if len(text) <= width else text[: width - 1] + "…"


def records_html(records: list[dict] | dict | None, limit: int = 5) -> str:
    """An HTML table of the first `limit` records (columns: their keys, in order of appearance), or of a dict."""
    if records is None:
        return "<i>this stage writes no records</i>"
    if isinstance(records, dict):
        body = "".join(f"<tr><td><b>{html.escape(str(k))}</b></td><td>{html.escape(_cell(v, 100))}</td></tr>"
                       for k, v in records.items())
        return f"<table class='iterkd-records' style='font-size:12px'>{body}</table>"
    if not records:
        return "<i>no records</i>"
    cols = list(dict.fromkeys(k for r in records[:limit] for k in r))   # every key of the rows shown
    head = "".join(f"<th align=left>{html.escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(r[c])) if c in r else ''}</td>" for c in cols) + "</tr>"
                   for r in records[:limit])
    return (f"<div style='overflow-x:auto'><table class='iterkd-records' style='font-size:12px'><tr>{head}</tr>"
            f"{body}</table></div><small>first {min(limit, len(records))} of {len(records)} record(s)</small>")


class CyclePanel:
    """Buttons and views for stepping through cycle `cycle` of an open run (`runs.open_run`)."""

    def __init__(self, run, cycle: int, controls=None, rows: int = 5):
        self.run, self.cycle, self.rows = run, cycle, rows
        self.stages = cycle_stages(cycle)
        self.last_records: Any = None
        self.last_stage: str | None = None
        self.picker = W.Dropdown(options=[NEXT, *self.stages], value=NEXT, description="stage",
                                 style={"description_width": "50px"})
        self.button = W.Button(description="Run stage", icon="play", button_style="primary")
        self.button.on_click(lambda _: self._clicked())
        self.progress = W.IntProgress(min=0, max=len(self.stages), description="cycle",
                                      style={"description_width": "50px"})
        self.status = W.HTML()
        self.output = W.Output(layout=W.Layout(max_height="240px", overflow="auto"))
        self.records = W.HTML()
        header = W.HTML(f"<b>Cycle {cycle}</b> of run <code>{html.escape(str(run.store.root))}</code> "
                        f"(student {html.escape(run.cfg.student.model)}, teacher {html.escape(run.cfg.teacher.model)}, "
                        f"seed {run.cfg.run.seed})")
        panel = W.VBox([header, W.HBox([self.picker, self.button]), self.progress, self.status, self.output,
                        self.records], layout=W.Layout(min_width="420px"))
        self.widget = W.HBox([controls.widget, panel]) if controls is not None else panel
        self._refresh()

    # -- state
    def done(self) -> list[str]:
        return [s for s in self.stages if self.run.store.is_complete(self.cycle, s)]

    def next_stage(self) -> str | None:
        """The first stage of the cycle without its .done marker (None: the cycle is complete)."""
        return next((s for s in self.stages if not self.run.store.is_complete(self.cycle, s)), None)

    def _refresh(self, line: str = "") -> None:
        done = self.done()
        self.progress.value = len(done)
        nxt = self.next_stage()
        self.progress.bar_style = "success" if nxt is None else "info"
        state = f"{len(done)}/{len(self.stages)} stages done; " + (f"next: {nxt}" if nxt else "cycle complete")
        self.status.value = f"<span class='iterkd-status'>{html.escape(line + ' | ' if line else '')}{state}</span>"

    # -- actions
    def run_stage(self, name: str | None = None):
        """Run (or read back) stage `name` (None: the next one; the last stage when the cycle is complete).

        Returns the stage's records (04_adapter: its summary). Raises what the stage raises."""
        from iterkd_lib import console

        name = name or self.next_stage() or self.stages[-1]
        if name not in self.stages:
            raise ValueError(f"cycle {self.cycle} has no stage {name!r}; its stages: {', '.join(self.stages)}")
        was_done = self.run.store.is_complete(self.cycle, name)
        self.button.disabled = True
        self.progress.bar_style = "warning"
        self.status.value = f"<span class='iterkd-status'>{html.escape(name)}: running ...</span>"
        t0 = time.time()
        try:
            with self.output:
                records = _run_stage(self.run, self.cycle, name)
        finally:
            self.button.disabled = False
        if was_done:
            line = f"{name}: read back (done earlier)"
        else:
            line = console.stage_line(self.cycle, name, self.run.store.stage_summary(self.cycle, name))
            line = f"{name}: done in {time.time() - t0:.1f} s | {line.split(' | ', 3)[-1]}"
        self.last_stage, self.last_records = name, records
        self.records.value = f"<b>{html.escape(name)}</b><br>" + records_html(records, self.rows)
        self._refresh(line)
        return records

    def _clicked(self) -> None:
        choice = None if self.picker.value == NEXT else self.picker.value
        try:
            self.run_stage(choice)
        except Exception as e:  # noqa: BLE001 -- shown in the panel: a button callback has nowhere else to report
            with self.output:
                traceback.print_exc()
            self._refresh(f"{choice or 'next stage'} failed: {type(e).__name__}: {e}")
            self.progress.bar_style = "danger"
