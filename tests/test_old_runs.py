"""Run directories written BEFORE the subpackage layout (commit f2b41e9) still open, report and resume.

tests/fixtures/run_before_layout/ was written by that commit's tests/synthetic_run.py (record schemas of
docs/design.md, made-up numbers; adapter weights left out). Nothing here loads a model: every stage the
resume walks is finished, so it is read back, never recomputed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from iterkd_lib import cycle, runs
from iterkd_lib.figures import run_figures
from iterkd_lib.records import CycleSummary, Level, Question, TeacherAttempt
from iterkd_lib.report import report_table
from iterkd_lib.runstore import read_jsonl
from iterkd_lib.verdicts import ExecutionResult

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def old_run(tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(FIXTURES / "run_before_layout", run_dir)
    return run_dir


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_an_old_run_opens_and_reports(old_run):
    run = runs.reopen_run(old_run)
    assert run.cfg.run.seed == 7 and run.cfg.student.model == "smollm2-135m-instruct"
    table = report_table(old_run)
    rows = [line for line in table.splitlines() if line[:6].strip().rstrip("*").isdigit()]
    assert [int(r[:6].strip().rstrip("*")) for r in rows] == [0, 1, 2]
    assert "0.750" in rows[2] and "* best cycle by benchmark_pass@1: 2 (0.750)" in table
    assert "student answers from engine=hf;" in table   # a config from before evaluation.engine: transformers
    figs = run_figures(run.store)
    assert {"pass_at_1", "level_flow", "difficulty_distribution"} <= set(figs)
    assert any(len(f.data) for name, f in figs.items() if name.startswith("fault_types"))


def test_an_old_run_resumes_reading_finished_stages_back(old_run):
    before = _files(old_run)
    run = runs.reopen_run(old_run)
    for k in (1, 2):
        for stage in ("pool", "teacher_attempts", "training_set"):
            file = cycle.STAGE_BY_NAME[stage].file
            assert cycle.run_stage(run, k, stage) == read_jsonl(old_run / f"cycle_{k}" / f"{file}.jsonl")
        assert cycle.run_stage(run, k, "adapter") == []
    summaries = [cycle.record_summary_and_best(run.store, run.cfg, k) for k in (0, 1, 2)]
    assert [s["cycle"] for s in summaries] == [0, 1, 2] and summaries[2]["benchmark_pass@1"] == 0.75
    after = _files(old_run)
    # best.json is rewritten by design (now with the adapter path); every record and marker is untouched
    assert json.loads(after.pop("best.json"))["cycle"] == json.loads(before.pop("best.json"))["cycle"] == 2
    assert after == before


def test_stored_verdicts_round_trip_through_the_typed_record(old_run):
    verdicts = [r["verdict"] for p in old_run.rglob("02_teacher_attempts.jsonl") for r in read_jsonl(p)]
    verdicts += [r["execution"] for p in old_run.rglob("06_feedback.jsonl") for r in read_jsonl(p)]
    assert len(verdicts) > 10
    for v in verdicts:
        assert ExecutionResult.from_dict(v).to_dict() == v
    assert {ExecutionResult.from_dict(v).status for v in verdicts} >= {"passed", "failed"}


def test_every_old_row_round_trips_through_its_typed_record(old_run):
    kinds = {"02_teacher_attempts": TeacherAttempt, "07_levels": Level, "08_new_questions": Question,
             "08_rejected_questions": Question}
    seen = dict.fromkeys(kinds, 0)
    for file, kind in kinds.items():
        for p in old_run.rglob(f"{file}.jsonl"):
            for row in read_jsonl(p):
                assert kind.from_dict(row).to_dict() == row
                seen[file] += 1
    assert all(seen.values()), seen
    summaries = [CycleSummary.from_dict(m) for m in read_jsonl(old_run / "metrics.jsonl")]
    assert [s.pass_at("benchmark") for s in summaries] == [0.25, 0.5, 0.75]
    assert summaries[0].pass_at("teacher_benchmark") == 0.9 and summaries[1].extra == {"final_loss": 0.8}
    assert summaries[2].settings.decoding["max_new_tokens"] == 128
    assert [s.to_dict() for s in summaries] == read_jsonl(old_run / "metrics.jsonl")
    old = TeacherAttempt.from_dict(read_jsonl(old_run / "cycle_1" / "02_teacher_attempts.jsonl")[0])
    assert "origin" in old.absent and old.origin_or_requested == "teacher_sample" and old.outcome == "passed"
