"""The set-up every notebook runs first, as one call: `setup(CONFIG, RUN_DIR, FIGURES_DIR, CYCLE)`.

Paths given to a notebook are relative to notebooks/ (where Jupyter and the tests start it); `setup` resolves
them, moves the working directory to the repository root (as `iterkd` runs: the config's data/ and runs/
paths are relative to it), loads the config and says whether RUN_DIR already holds a run. An existing run is
reopened with the config it started with (`runs.open_run(None, RUN_DIR)`), so the notebook's controls then
apply only to a new run.

Not covered: opening the run itself (one visible call in each notebook: `controls.open_run()` of
`widgets.ConfigControls`, which is `runs.open_run` with the saved config or the controls' config).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import iterkd_lib
from iterkd_lib.config import IterKDConfig, load_config

NOTEBOOKS = Path(iterkd_lib.__file__).resolve().parents[1] / "notebooks"


class NotebookSetup(NamedTuple):
    """What `setup` resolved: absolute paths (run_dir "" for a new run), the loaded config, whether the run
    exists, and the notebooks folder (for paths a notebook names relative to itself)."""

    config: str
    run_dir: str
    figures_dir: str
    notebooks: Path
    cfg: IterKDConfig
    existing: bool


def setup(config: str, run_dir: str = "", figures_dir: str = "../figures", cycle: int | None = None) -> NotebookSetup:
    """Resolve the notebook's parameters, chdir to the repository root, load the config, print one line.

    Raises ConfigError (from `load_config`) naming the file and key of a bad config.
    """
    config, figures_dir = (str((NOTEBOOKS / p).resolve()) for p in (config, figures_dir))
    run_dir = run_dir and str((NOTEBOOKS / run_dir).resolve())
    os.chdir(NOTEBOOKS.parent)
    cfg = load_config(config)
    existing = bool(run_dir) and (Path(run_dir) / "run.json").exists()
    print(f"config {config} | run {run_dir or '(new)'}{' (existing)' if existing else ''}"
          + (f" | cycle {cycle}" if cycle is not None else ""))
    return NotebookSetup(config, run_dir, figures_dir, NOTEBOOKS, cfg, existing)
