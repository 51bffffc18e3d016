"""Write figures to disk: HTML always, PNG when kaleido finds a Chrome (Debian's chromium works offline).

HTML files share one `plotly.min.js` written next to them, so they open offline and stay small. PNG export
needs kaleido and a Chrome; when it fails (no chromium installed, a sandbox that forbids it) a single clear
warning says so and the export goes on with HTML only -- a missing browser never costs the HTML figures.

Not covered: building figures (`figures.records`, `figures.training`, `figures.paper`), choosing which run to show.

Entry points: `save_figure`, `export_figures`, `png_export_status`, `PngExportUnavailable`.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import plotly.graph_objects as go

from iterkd_lib.figures import records as F
from iterkd_lib.figures import training as T
from iterkd_lib.figures.common import is_empty
from iterkd_lib.figures.paper import fig_cycle_diagram
from iterkd_lib.runstore import RunStore


class PngExportUnavailable(UserWarning):
    """PNG export failed (usually: no Chrome for kaleido); HTML was still written."""


_png_state: dict = {"ok": None, "reason": ""}


def _write_png(fig: go.Figure, path: Path) -> None:
    import kaleido
    # A persistent browser makes every PNG after the first ~10x faster (1.5 s -> 0.1 s measured here).
    if _png_state["ok"] is None:
        kaleido.start_sync_server(silence_warnings=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # plotly warns that per-call options are ignored with a server
        fig.write_image(str(path), format="png", scale=2)


def png_export_status() -> tuple[bool, str]:
    """(works, reason): try one tiny PNG in memory; the answer is remembered for this process."""
    if _png_state["ok"] is None:
        try:
            import kaleido
            kaleido.start_sync_server(silence_warnings=True)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                data = go.Figure(go.Bar(y=[1])).to_image(format="png", width=50, height=50)
            _png_state.update(ok=data[:8] == b"\x89PNG\r\n\x1a\n", reason="kaleido + chromium work")
        except Exception as e:  # any failure means "no PNG"; the reason is shown to the user
            _png_state.update(ok=False, reason=f"{type(e).__name__}: {e}".strip()[:300])
    return bool(_png_state["ok"]), _png_state["reason"]


def save_figure(fig: go.Figure, name: str, out_dir: str | Path = "figures", png: bool = True,
                skip_empty: bool = True) -> list[Path]:
    """Write `<name>.html` (always) and `<name>.png` (when possible) under out_dir; returns what was written.

    A figure without data ("no data for cycle k") is not written unless `skip_empty=False`.
    """
    if skip_empty and is_empty(fig):
        return []
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    html = out / f"{name}.html"
    fig.write_html(str(html), include_plotlyjs="directory", full_html=True)
    written = [html]
    if png and _png_state["ok"] is not False:
        try:
            _write_png(fig, out / f"{name}.png")
            _png_state["ok"] = True
            written.append(out / f"{name}.png")
        except Exception as e:  # no browser, or kaleido broke: warn once, keep the HTML
            _png_state.update(ok=False, reason=f"{type(e).__name__}: {e}".strip()[:300])
            warnings.warn(f"PNG export unavailable ({_png_state['reason']}); wrote HTML only. Install "
                          "chromium (`make chromium`, or apt-get install chromium) for PNG figures.",
                          PngExportUnavailable, stacklevel=2)
    return written


def run_figures(store: RunStore, cycle: int | None = None) -> dict[str, go.Figure]:
    """Every figure of one run, by file name; per-cycle figures for `cycle` or for every cycle."""
    figs = {"cycle_diagram": fig_cycle_diagram(), "pass_at_1": F.fig_pass_at_1(store),
            "level_flow": F.fig_level_flow(store), "difficulty_distribution": F.fig_difficulty_distribution(store),
            "teacher_yield": T.fig_teacher_yield(store)}
    per_cycle = {"fault_types": T.fig_fault_types, "loss_curves": T.fig_loss_curves,
                 "judge_vs_tests": F.fig_judge_vs_tests, "judge_rules": F.fig_judge_rules,
                 "pylint_categories": F.fig_pylint_categories, "acceptance": F.fig_acceptance,
                 "repair_success": T.fig_repair_success}
    for k in ([cycle] if cycle is not None else store.cycles()):
        for name, fn in per_cycle.items():
            figs[f"{name}_cycle{k}"] = fn(store, k)
    return figs


def export_figures(store: RunStore, out_dir: str | Path = "figures", cycle: int | None = None,
                   png: bool = True, skipped: list[str] | None = None) -> list[Path]:
    """Write every figure that has data as HTML (+ PNG); figures with no data are not written, and their
    names are appended to `skipped` when a list is given (what `iterkd figures` reports)."""
    written: list[Path] = []
    for name, fig in run_figures(store, cycle).items():
        paths = save_figure(fig, name, out_dir, png=png)
        if not paths and skipped is not None:
            skipped.append(name)
        written += paths
    return written
