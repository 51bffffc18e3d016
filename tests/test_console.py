"""`iterkd run`'s console: one readable line per stage, a table per cycle, no Python dicts; details in the log."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from iterkd_lib import console

SUMMARIES = {  # shaped like the .done markers cycle.py writes (see the _<stage> functions of cycle.py)
    "01_pool": {"seconds": 0.01, "n": 5, "from_previous": 4, "retained": 3, "accepted_new": 2},
    "02_teacher_attempts": {"seconds": 61.2, "counts": {"correct": {"consistent": 3, "inconsistent": 2},
                                                        "faulty": {"consistent": 6}, "total": 11},
                            "teacher_usage": {"prompt_tokens": 900, "completion_tokens": 300, "requests": 11}},
    "03_training_set": {"seconds": 0.3, "n_sft": 3, "n_pairs": 6, "student_failures": 1},
    "04_adapter": {"seconds": 40.0, "global_steps": 8, "final_sft_loss": 0.52, "final_contrastive_loss": 0.69,
                   "final_margin": 0.01, "lora": {"r": 8}},
    "06_feedback": {"seconds": 5.0, "summary": {"n_attempts": 8, "pass_rate": 0.25, "judge_mean": 3.5,
                                                 "pylint_mean": 7.2}, "agreement": {"auc": None}},
    "07_levels": {"seconds": 0.0, "distribution": {"easy": 1, "medium": 1, "hard": 3, "total": 5}},
    "08_new_questions": {"seconds": 9.0, "n_accepted": 2, "n_rejected": 3, "stats": {"x": 1}},
    "09_evaluation": {"seconds": 30.0, "metrics": [{"subject": "student", "benchmark": "humaneval",
                                                    "pass@1": 0.125, "pass@1_ci": [0.0, 0.375], "n_problems": 8}]},
}


@pytest.mark.parametrize("stage", list(SUMMARIES))
def test_stage_line_is_one_readable_line(stage):
    line = console.stage_line(1, stage, SUMMARIES[stage])
    assert "\n" not in line and line.startswith(f"cycle 1 | {stage[:2]} ")
    assert "{" not in line and "['" not in line and "[{" not in line, line   # no dict or list reprs
    assert re.search(r"\| +[0-9.]+ s \|", line)


def test_stage_lines_carry_the_numbers():
    # the pool line used to say "4 kept" for a pool of 4 of which 3 stayed (the previous pool's size)
    assert "5 questions (3 of the last cycle's 4 retained, 2 new)" in console.stage_line(
        2, "01_pool", SUMMARIES["01_pool"])
    assert "3 SFT examples, 6 preference pairs (1 student failures used)" in console.stage_line(
        1, "03_training_set", SUMMARIES["03_training_set"])
    assert console.stage_line(1, "02_teacher_attempts", SUMMARIES["02_teacher_attempts"]).endswith("| teacher 1200 tokens")
    cached = {**SUMMARIES["02_teacher_attempts"], "teacher_usage": {"prompt_tokens": 0, "completion_tokens": 0,
                                                                    "cache_hits": 11, "calls": 0}}
    assert console.stage_line(1, "02_teacher_attempts", cached).endswith("| teacher 11 cached answers")
    cached["teacher_usage"].update(completion_tokens=40, cache_hits=1)
    assert console.stage_line(1, "02_teacher_attempts", cached).endswith("| teacher 40 tokens + 1 cached answer")
    assert "student humaneval pass@1 0.125 [0.00, 0.38] (n=8)" in console.stage_line(
        2, "09_evaluation", SUMMARIES["09_evaluation"])
    assert "AUC -" in console.stage_line(1, "06_feedback", SUMMARIES["06_feedback"])   # None shown as '-'
    assert "easy 1 / medium 1 / hard 3" in console.stage_line(1, "07_levels", SUMMARIES["07_levels"])
    revised = {**SUMMARIES["08_new_questions"], "stats": {"easy": {"accepted_after_revision": 1, "revisions": 1},
                                                          "hard": {"revisions": 2}}}
    assert "2 accepted (1 after a revision), 3 rejected; 3 revision requests" in console.stage_line(
        1, "08_new_questions", revised)
    checked = {**SUMMARIES["08_new_questions"], "stats": {"medium": {"student_checked": 3,
                                                                     "rejected": {"student_solves": 2}}}}
    assert "; student check: 2 of 3 already solved" in console.stage_line(1, "08_new_questions", checked)
    refilled = {**SUMMARIES["01_pool"], "refilled": 2}
    assert "new, 2 refilled from unused seeds)" in console.stage_line(2, "01_pool", refilled)
    assert "2 accepted, 3 rejected" in console.stage_line(1, "08_new_questions", SUMMARIES["08_new_questions"])


def test_cycle_table_rows_and_settings():
    m = {"cycle": 1, "benchmark_pass@1": 0.25, "benchmark_pass@1_ci": [0.05, 0.5], "held_out_pass@1": 0.5, "pool_size": 5, "n_new_questions": 2,
         "n_sft": 3, "n_pairs": 6, "final_sft_loss": 0.5, "final_contrastive_loss": None,
         "levels": {"easy": 1, "medium": 1, "hard": 3}, "teacher_tokens": 1200,
         "stage_seconds": {"02": 60.0, "04": 40.0}, "settings": {"student": "s", "teacher": "t", "seed": 7}}
    table = console.cycle_table(m)
    lines = table.splitlines()
    assert lines[0] == "cycle 1: student s, teacher t, seed 7"
    assert len({len(x) for x in lines[1:]}) == 1                 # a box: every row the same width
    assert any(re.match(r"\| benchmark pass@1 \[95% CI\] +\| +0\.250 \[0\.05, 0\.50\] \|", x) for x in lines)
    assert any(re.match(r"\| held-out pass@1 \[95% CI\] +\| +0\.500 \|", x) for x in lines)
    assert any("0.500 / -" in x for x in lines) and any("1 / 1 / 3" in x for x in lines)
    assert any(re.search(r"time \(s\) +\| +100 \|", x) for x in lines)
    assert not any("teacher pass@1" in x for x in lines)         # no value in this cycle: row left out


def test_run_log_gets_the_details(tmp_path):
    path = console.attach_run_log(tmp_path)
    try:
        logging.getLogger("iterkd").debug("full summary %s", {"a": 1})
        for h in logging.getLogger("iterkd").handlers:
            h.flush()
        assert "full summary {'a': 1}" in path.read_text()
    finally:
        lg = logging.getLogger("iterkd")
        for h in [h for h in lg.handlers if isinstance(h, logging.FileHandler)]:
            lg.removeHandler(h)
            h.close()
        lg.setLevel(logging.NOTSET)


@pytest.mark.slow
def test_smoke_run_console_is_tidy(smoke_run):
    err = smoke_run["stderr"]
    stage_lines = [x for x in err.splitlines() if re.search(r"cycle \d \| \d\d ", x)]
    # cycle 0: evaluation; cycles 1, 2: nine stages each (cycle 1's pool is written, and logged, at open_run)
    assert len(stage_lines) == 1 + 9 + 9, stage_lines
    assert " cycle 1 | 01 pool " in stage_lines[0], stage_lines                     # after the time stamp
    assert not any("{'" in x or "': " in x for x in stage_lines), stage_lines
    assert err.count("+-") >= 6 and "| benchmark pass@1 [95% CI]" in err    # one boxed table per cycle (3 cycles)
    assert "details:" in err and (smoke_run["run_dir"] + "/iterkd.log") in err
    assert "HTTP Request:" not in err  # the teacher's server requests (llama.cpp) are not logged one by one
    assert "03_training_set summary {" in (Path(smoke_run["run_dir"]) / "iterkd.log").read_text()
