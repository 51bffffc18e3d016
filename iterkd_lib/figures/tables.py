"""Small looks at records for the notebooks: a plotly table of chosen fields, and two texts side by side.

Not covered: computing the fields (they are read from records as they are), pagination of large tables
(the first `limit` rows are shown, and the caption says how many there were).

Entry points: `record_table(records, columns, title, settings)`, `side_by_side_html(left, right, titles)`.
"""

from __future__ import annotations

import html
import json

import plotly.graph_objects as go

from iterkd_lib.config import dotted_get


def _cell(value, width: int = 80) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = text.replace("\n", " ⏎ ")
    return text if len(text) <= width else text[: width - 1] + "…"


def record_table(records: list[dict], columns: list[str], title: str = "", settings: str = "",
                 limit: int = 20) -> go.Figure:
    """Columns are dotted paths into the records, e.g. 'execution.passed' or 'judge.score'."""
    rows = records[:limit]
    fig = go.Figure(go.Table(header={"values": columns, "fill_color": "#e3f2fd", "align": "left"},
                             cells={"values": [[_cell(dotted_get(r, c)) for r in rows] for c in columns],
                                    "align": "left"}))
    shown = f"{len(rows)} of {len(records)} record(s)"
    fig.update_layout(title={"text": f"{title} ({shown})", "subtitle": {"text": settings}},
                      margin={"t": 110}, template="plotly_white")
    if not records:
        fig.update_layout(meta={"empty": True})
    return fig


def side_by_side_html(left: str, right: str, titles: tuple[str, str] = ("left", "right")) -> str:
    """Two code/text blocks next to each other (IPython.display.HTML renders it)."""
    cols = "".join(f"<div style='flex:1;min-width:0'><b>{html.escape(t)}</b>"
                   f"<pre style='white-space:pre-wrap;font-size:12px'>{html.escape(x or '')}</pre></div>"
                   for t, x in zip(titles, (left, right), strict=True))
    return f"<div style='display:flex;gap:1em'>{cols}</div>"
