"""ipywidgets controls for the hyperparameters that matter, bound to the one configuration object.

Each control edits exactly one dotted key through `config.set_key`, which returns a validated copy; the
controls hold no logic of their own. The key -> widget mapping is data (`CONTROLS`). An invalid value (for
example a hard threshold above the easy one) is not applied: the ConfigError text appears in the status
label, the config keeps its old value, and the control is put back to that value so what you see is what
the config holds.

Not covered: running anything with the config (the notebooks pass `controls.config` to the cycle), saving
it (see `config.dump_yaml`), keys without a control (use `config.set_key` or YAML overrides).

Entry points: `ConfigControls(cfg, keys=None)` (`.widget`, `.config`, `.controls`, `.error`), `config_editor(cfg)`,
`CONTROLS`.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as W

from iterkd_lib.config import ConfigError, IterKDConfig, config_to_dict, field_help, set_key


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
]


def _get(cfg: IterKDConfig, dotted: str) -> Any:
    # Walks the dict form because per_level is a dict, not a dataclass (getattr would fail on it).
    node: Any = config_to_dict(cfg)
    for part in dotted.split("."):
        node = node[part]
    return node


class ConfigControls:
    """A VBox of controls; `.config` is always a valid IterKDConfig reflecting the accepted edits."""

    def __init__(self, cfg: IterKDConfig, keys: list[str] | None = None):
        """`keys` picks a subset of CONTROLS (in their order); None shows them all."""
        self.config = cfg
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
        self.widget = W.VBox([*self.controls.values(), self.status])

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


def config_editor(cfg: IterKDConfig) -> tuple[W.Widget, Callable[[], IterKDConfig]]:
    """(widget, getter): the getter returns the config as edited so far."""
    c = ConfigControls(cfg)
    return c.widget, lambda: c.config
