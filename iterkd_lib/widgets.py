"""ipywidgets controls for the hyperparameters that matter, bound to the one configuration object.

Each control edits exactly one dotted key through `config.set_key`, which returns a validated copy; the
controls hold no logic of their own. The key -> widget mapping is data (`CONTROLS`). An invalid value (for
example a hard threshold above the easy one) is not applied: the ConfigError text appears in the status
label, the config keeps its old value, and the control is put back to that value so what you see is what
the config holds.

Beside the controls: a live view of how the config now differs from the one it started from (the YAML),
updated on every accepted move; and, when `run_dir` names an existing run, a notice that such a run keeps
the config saved in its run.json (the controls shape a NEW run), with a field offering a fresh run
directory (`use_new_run_dir`). `open_run()` opens the run the way the notice says: the existing run with
its saved config, or a new one with the controls' config.

Not covered: running stages (see `control_panel.CyclePanel`), saving the config (see `config.dump_yaml`),
keys without a control (use `config.set_key` or YAML overrides).

Entry points: `ConfigControls(cfg, keys=None, run_dir=None)` (`.widget`, `.config`, `.controls`, `.error`,
`.changes()`, `.existing`, `.open_run()`), `config_editor(cfg)`, `CONTROLS`.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import ipywidgets as W

from iterkd_lib.config import ConfigError, IterKDConfig, config_to_dict, diff_configs, dotted_get, field_help, set_key


def _model_names() -> list[str]:
    # The registry is a lower layer that another engineer owns; a missing one only loses the suggestions.
    try:
        from iterkd_lib.models.registry import REGISTRY
        return list(REGISTRY)
    except ImportError:
        return []


def _model(desc: str) -> Callable[[Any], W.Widget]:
    # Combobox: registry names are offered, any HF id or path may be typed.
    return lambda v: W.Combobox(value=v, options=_model_names(), description=desc, ensure_option=False,
                                continuous_update=False)


def _choice(desc: str, options: tuple) -> Callable[[Any], W.Widget]:
    return lambda v: W.Dropdown(value=v, options=list(dict.fromkeys([*options, v])), description=desc)


def _bool(desc: str) -> Callable[[Any], W.Widget]:
    return lambda v: W.Checkbox(value=bool(v), description=desc, indent=False)


def _int(desc: str, lo: int, hi: int) -> Callable[[Any], W.Widget]:
    return lambda v: W.IntSlider(value=v, min=lo, max=max(hi, v), description=desc, continuous_update=False)


def _float(desc: str, lo: float, hi: float, step: float) -> Callable[[Any], W.Widget]:
    return lambda v: W.FloatSlider(value=v, min=lo, max=max(hi, v), step=step, description=desc,
                                   continuous_update=False)


def _log(desc: str, lo_exp: float, hi_exp: float) -> Callable[[Any], W.Widget]:
    return lambda v: W.FloatLogSlider(value=v, base=10, min=lo_exp, max=hi_exp, step=0.1, description=desc,
                                      readout_format=".1e", continuous_update=False)


# (dotted key, widget factory taking the current value). Order = display order.
CONTROLS: list[tuple[str, Callable[[Any], W.Widget]]] = [
    ("teacher.model", _model("teacher")),
    ("student.model", _model("student")),
    ("feedback.samples_per_question", _int("samples/q", 1, 16)),
    ("student.lora.r", _choice("LoRA rank", (4, 8, 16, 32, 64))),
    ("training.learning_rate", _log("learning rate", -6, -2)),
    ("training.contrastive_weight", _float("contrast. w", 0.0, 2.0, 0.05)),
    ("training.loss", _choice("loss", ("cpo", "simpo", "dpo", "none"))),
    ("difficulty.easy_min_pass_rate", _float("easy ≥ pass", 0.0, 1.0, 0.05)),
    ("difficulty.hard_max_pass_rate", _float("hard ≤ pass", 0.0, 1.0, 0.05)),
    ("regeneration.per_level.easy", _int("new easy", 0, 20)),
    ("regeneration.per_level.medium", _int("new medium", 0, 20)),
    ("regeneration.per_level.hard", _int("new hard", 0, 20)),
    ("regeneration.revise_rounds", _int("revisions", 0, 3)),
    ("regeneration.solutions_see_examples", _bool("solvers see examples")),
    ("regeneration.contested_examples", _choice("contested ex.", ("keep", "drop", "reject"))),
    ("regeneration.student_check_samples", _int("student check n", 0, 8)),
]


def _get(cfg: IterKDConfig, dotted: str) -> Any:
    # Walks the dict form because per_level is a dict, not a dataclass (getattr would fail on it).
    node: Any = config_to_dict(cfg)
    for part in dotted.split("."):
        node = node[part]
    return node


class ConfigControls:
    """A VBox of controls; `.config` is always a valid IterKDConfig reflecting the accepted edits."""

    def __init__(self, cfg: IterKDConfig, keys: list[str] | None = None, run_dir: str | Path | None = None):
        """`keys` picks a subset of CONTROLS (in their order); None shows them all. `run_dir`: the run the
        notebook works on (None or a folder without run.json: a new run that these controls shape)."""
        self.base = cfg
        self.config = cfg
        self.run_dir = Path(run_dir) if run_dir else None
        self.error = ""
        self.controls: dict[str, W.Widget] = {}
        self.status = W.HTML(value="")
        self._restoring = False
        help_text = dict(field_help())
        unknown = set(keys or []) - {k for k, _ in CONTROLS}
        if unknown:
            raise KeyError(f"no control for {sorted(unknown)}; controls exist for {[k for k, _ in CONTROLS]}")
        for key, factory in CONTROLS:
            if keys is not None and key not in keys:
                continue
            w = factory(_get(cfg, key))
            # The per_level entries have no own help; fall back to their parent's.
            w.tooltip = f"{key}: {help_text.get(key) or help_text.get(key.rsplit('.', 1)[0], '')}"
            w.style.description_width = "110px"
            w.observe(lambda change, key=key: self._on_change(key, change), names="value")
            self.controls[key] = w
        self.form = W.VBox([*self.controls.values(), self.status])
        self.diff_view = W.HTML(layout=W.Layout(min_width="300px"))
        self.notice = W.HTML()
        self.new_dir = W.Text(description="new run dir", style={"description_width": "90px"},
                              layout=W.Layout(width="95%"))
        self.new_dir_button = W.Button(description="Use this new run directory", icon="folder-open",
                                       button_style="warning", layout=W.Layout(width="auto"))
        self.new_dir_button.on_click(lambda _: self.use_new_run_dir(self.new_dir.value))
        self.new_dir_box = W.VBox([self.new_dir, self.new_dir_button])
        self._refresh_run_state()
        self._refresh_diff()
        self.widget = W.HBox([self.form, W.VBox([self.notice, self.new_dir_box, self.diff_view],
                                                layout=W.Layout(padding="0 0 0 16px", max_width="560px"))])

    # -- what the config is now, and where it applies
    @property
    def existing(self) -> bool:
        """True when run_dir holds a run: it keeps its saved config and these controls do not apply to it."""
        return self.run_dir is not None and (self.run_dir / "run.json").exists()

    def changes(self) -> list[tuple[str, Any, Any]]:
        """(dotted key, value in the starting config, value now) for every key the controls changed."""
        a, b = config_to_dict(self.base), config_to_dict(self.config)
        return [(k, dotted_get(a, k), dotted_get(b, k)) for k in diff_configs(a, b)]

    def _refresh_diff(self) -> None:
        rows = self.changes()
        where = ("a new run only: the run above keeps its saved config" if self.existing else
                 f"the run opened next{f' in {self.run_dir}' if self.run_dir else ''}")
        if not rows:
            body = "<i>same as the YAML</i>"
        else:
            body = ("<table style='font-family:monospace;font-size:12px'><tr><th align=left>key</th>"
                    "<th align=left>YAML</th><th align=left>now</th></tr>"
                    + "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(repr(old))}</td>"
                              f"<td><b>{html.escape(repr(new))}</b></td></tr>" for k, old, new in rows)
                    + "</table>")
        self.diff_view.value = (f"<div class='iterkd-config-diff'><b>Config vs the YAML</b> "
                                f"({len(rows)} change{'s' * (len(rows) != 1)}; applies to {html.escape(where)})"
                                f"<br>{body}</div>")

    def _refresh_run_state(self) -> None:
        if self.existing:
            self.notice.value = (
                "<div class='iterkd-run-notice' style='background:#fff3e0;border-left:4px solid #ef6c00;"
                "padding:6px 8px'><b>Existing run:</b> "
                f"<code>{html.escape(str(self.run_dir))}</code> keeps the config saved in its run.json, so "
                "these controls do <b>not</b> change it. To try them, start a new run in a new directory:</div>")
            if not self.new_dir.value:
                self.new_dir.value = str(self.run_dir.parent / f"{self.base.run.name}-{datetime.now():%Y%m%d-%H%M%S}")
            self.new_dir_box.layout.display = None
        else:
            target = str(self.run_dir) if self.run_dir else f"{self.base.run.runs_root}/{self.base.run.name}-<time>"
            self.notice.value = (f"<div class='iterkd-run-notice' style='color:#2e7d32'>These controls shape the "
                                 f"new run in <code>{html.escape(target)}</code>.</div>")
            self.new_dir_box.layout.display = "none"

    def use_new_run_dir(self, path: str | Path) -> None:
        """Switch to a new run directory (nothing is written until `open_run`); refuses an existing run."""
        p = Path(str(path).strip()) if str(path).strip() else None
        if p is None or (p / "run.json").exists():
            self.status.value = (f"<span style='color:#c62828'>not a new run directory: "
                                 f"{html.escape(str(path))!s}</span>")
            return
        self.run_dir = p
        self._refresh_run_state()
        self._refresh_diff()

    def open_run(self):
        """The run the notice describes: an existing run_dir with its saved config (cfg=None), else a new run
        with these controls' config (in run_dir, or runs/<name>-<time> when there is none)."""
        from iterkd_lib import runs

        if self.existing:
            return runs.open_run(None, self.run_dir)
        return runs.open_run(self.config, self.run_dir)

    def _on_change(self, key: str, change: dict) -> None:
        if self._restoring:
            return
        try:
            self.config = set_key(self.config, key, change["new"])
        except ConfigError as e:
            self.error = str(e)
            self.status.value = (f"<span style='color:#c62828'>not applied: {html.escape(self.error)} "
                                 f"(kept {key} = {html.escape(repr(_get(self.config, key)))})</span>")
            self._restoring = True
            try:
                self.controls[key].value = _get(self.config, key)
            finally:
                self._restoring = False
            return
        self.error = ""
        shown = html.escape(f"{key} = {change['new']!r}")
        self.status.value = f"<span style='color:#2e7d32'>{shown}</span>"
        self._refresh_diff()


def config_editor(cfg: IterKDConfig) -> tuple[W.Widget, Callable[[], IterKDConfig]]:
    """(widget, getter): the getter returns the config as edited so far."""
    c = ConfigControls(cfg)
    return c.widget, lambda: c.config
