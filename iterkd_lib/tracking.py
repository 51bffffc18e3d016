"""Live training curves: the TRL trainers' own TensorBoard logging, pointed into the run directory.

Each training phase (sft, contrastive) of cycle k writes its event files under
`RUN_DIR/cycle_<k>/04_adapter/tensorboard/<phase>/` through the Trainer's `report_to="tensorboard"`
(transformers' TensorBoardCallback: loss, learning rate, grad norm, and for CPO/DPO the rewards and margins,
every `logging_steps`). Watch a running cycle with `tensorboard --logdir RUN_DIR`.

transformers 5 has no `logging_dir` argument any more; its callback reads TENSORBOARD_LOGGING_DIR when the
Trainer is built, so `tensorboard_dir_env` sets that variable only around the Trainer's construction.
Without the `tensorboard` package the trainers report nowhere (`report_to()` -> "none") and training is
unchanged.

Not covered: other trackers (wandb, mlflow); our own `train_log.jsonl` (written by training.py either way).

Entry points: `report_to()`, `tensorboard_dir(adapter_dir, phase)`, `tensorboard_dir_env(path)`.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ENV = "TENSORBOARD_LOGGING_DIR"


def tensorboard_available() -> bool:
    return importlib.util.find_spec("tensorboard") is not None


def report_to() -> str:
    """The Trainer's `report_to`: "tensorboard" when the package is installed, else "none"."""
    return "tensorboard" if tensorboard_available() else "none"


def tensorboard_dir(adapter_dir: str | Path, phase: str) -> Path:
    """Where a phase's event files go: <cycle>/04_adapter/tensorboard/<phase>."""
    return Path(adapter_dir) / "tensorboard" / phase


@contextmanager
def tensorboard_dir_env(path: str | Path) -> Iterator[None]:
    """Set TENSORBOARD_LOGGING_DIR while a Trainer is built (its TensorBoardCallback reads it then)."""
    old = os.environ.get(ENV)
    os.environ[ENV] = str(path)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = old


def event_files(run_dir: str | Path) -> list[Path]:
    """Every TensorBoard event file under a run directory (sorted)."""
    return sorted(Path(run_dir).rglob("events.out.tfevents.*"))
