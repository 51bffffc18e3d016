"""Live training curves: a tiny real training run (SmolLM2-135M, the setup of test_training.py) writes
TensorBoard event files into the adapter directory, one folder per phase, with the trainers' loss scalars,
and prints no log dicts (transformers' PrinterCallback is removed; the step bar shows the loss)."""

from __future__ import annotations

import os

from test_training import _cfg, _records, student  # noqa: F401  (student is a fixture)

from iterkd_lib import tracking
from iterkd_lib.stages.adapter import train_adapter


def test_tensorboard_is_installed():
    assert tracking.report_to() == "tensorboard", "tensorboard is a pinned dependency (pyproject.toml)"


def test_training_writes_event_files_per_phase(student, tmp_path, capsys):  # noqa: F811
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    model, tok = student
    out = tmp_path / "04_adapter"
    cfg = _cfg(**{"training.max_steps": 2})
    train_adapter(model, tok, _records(), cfg, out, seed=1, resume=False)
    for phase in ("sft", "contrastive"):
        files = tracking.event_files(tracking.tensorboard_dir(out, phase))
        assert files, f"no event file for phase {phase} under {out}"
        acc = EventAccumulator(str(files[0].parent))
        acc.Reload()
        losses = acc.Scalars("train/loss")
        assert [e.step for e in losses] == [1, 2] and all(e.value > 0 for e in losses)
    assert tracking.event_files(tmp_path) == sorted(out.rglob("events.out.tfevents.*"))
    printed = capsys.readouterr()
    assert "{'loss'" not in printed.out + printed.err        # no log dicts on the console: the step bar has them
    assert tracking.ENV not in os.environ                 # set only while the trainer is built
