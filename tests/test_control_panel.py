"""The cycle control panel: a click runs (or reads back) a stage through the same stage functions as the CLI.

On the synthetic run (tests/synthetic_run.py + complete_for_notebooks): every stage of cycle 1 up to 08 is
done, so a click on one reads it back; 07_levels is then un-done and the "next stage" click recomputes it
with the real `difficulty.assign_levels` (no model needed), writing its records and marker as `iterkd run`
would.
"""

from __future__ import annotations

import pytest
from synthetic_run import LEVELS, build_synthetic_run, complete_for_notebooks

from iterkd_lib import runs
from iterkd_lib.control_panel import NEXT, CyclePanel, cycle_stages, records_html
from iterkd_lib.runstore import read_jsonl
from iterkd_lib.widgets import ConfigControls


@pytest.fixture
def run(tmp_path):
    store = complete_for_notebooks(build_synthetic_run(tmp_path / "run"))
    return runs.open_run(None, store.root)


def test_stages_follow_the_cycle_order():
    assert cycle_stages(0) == ["09_evaluation"]
    assert cycle_stages(1)[0] == "01_pool" and cycle_stages(1)[-1] == "09_evaluation" and len(cycle_stages(1)) == 9


def test_a_done_stage_is_read_back(run):
    panel = CyclePanel(run, 1)
    assert panel.next_stage() == "09_evaluation" and panel.progress.value == 8
    before = run.store.path(1, "03_training_set").stat().st_mtime_ns
    panel.picker.value = "03_training_set"
    panel.button.click()
    assert panel.last_stage == "03_training_set" and [r["kind"] for r in panel.last_records] == ["sft", "pair"]
    assert "read back (done earlier)" in panel.status.value
    assert "<table" in panel.records.value and "rejected_source" in panel.records.value
    assert run.store.path(1, "03_training_set").stat().st_mtime_ns == before


def test_next_stage_runs_the_stage_function_and_writes_its_records(run):
    run.store.path(1, "07_levels", ".done").unlink()
    run.store.path(1, "07_levels").unlink()
    panel = CyclePanel(run, 1, controls=ConfigControls(run.cfg, run_dir=run.store.root))
    assert panel.next_stage() == "07_levels" and panel.progress.value == 7
    assert panel.picker.value == NEXT
    panel.button.click()
    assert run.store.is_complete(1, "07_levels")
    levels = read_jsonl(run.store.path(1, "07_levels"))
    assert {r["task_id"] for r in levels} == set(LEVELS[1]) and levels == panel.last_records
    assert "07_levels: done in" in panel.status.value and "easy" in panel.status.value
    assert panel.progress.value == 8 and "next: 09_evaluation" in panel.status.value
    assert "pass_rate" in panel.records.value
    assert len(panel.widget.children) == 2                    # the config controls beside the panel


def test_a_failing_stage_is_reported_in_the_panel(run):
    run.store.path(1, "06_feedback", ".done").unlink()
    run.store.path(1, "05_student_attempts").write_text("{not json\n")    # a damaged earlier stage
    panel = CyclePanel(run, 1)
    panel.picker.value = "06_feedback"
    panel.button.click()
    assert "06_feedback failed:" in panel.status.value and "05_student_attempts.jsonl" in panel.status.value
    assert panel.progress.bar_style == "danger" and not run.store.is_complete(1, "06_feedback")
    assert not panel.button.disabled
    with pytest.raises(ValueError, match="no stage"):
        CyclePanel(run, 0).run_stage("03_training_set")


def test_records_html_escapes_and_truncates():
    out = records_html([{"code": "<script>" + "x" * 200}], limit=5)
    assert "&lt;script&gt;" in out and "…" in out and "first 1 of 1" in out
    assert "writes no records" in records_html(None)
    assert "<b>n</b>" in records_html({"n": 3})
