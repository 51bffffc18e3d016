"""Run store: atomic writes survive a kill mid-write, completion markers, torn metric lines, bad records."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from iterkd_lib.runstore import RecordError, RunStore, append_jsonl, read_jsonl, write_jsonl


def test_records_roundtrip_and_stage_completion(tmp_path):
    store = RunStore(tmp_path / "run")
    store.write_run_info({"seed": 1})
    recs = [{"task_id": f"T/{i}", "text": "é\nx"} for i in range(3)]
    store.write_records(1, "02_teacher_attempts", recs)
    assert not store.is_complete(1, "02_teacher_attempts")
    store.mark_complete(1, "02_teacher_attempts", {"n": 3})
    assert store.is_complete(1, "02_teacher_attempts")
    assert store.read_records(1, "02_teacher_attempts") == recs
    assert store.status() == {1: ["02_teacher_attempts"]}
    assert store.stage_summary(1, "02_teacher_attempts")["n"] == 3


def test_write_killed_midway_leaves_old_file_intact(tmp_path):
    """A writer killed with SIGKILL in the middle of a big write must not leave a half file under the name."""
    target = tmp_path / "records.jsonl"
    write_jsonl(target, [{"v": "old"}])
    script = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(os.getcwd())!r})
        import iterkd_lib.runstore as rs
        real_fsync = os.fsync
        def slow_fsync(fd):
            print("writing", flush=True)
            import time; time.sleep(30)     # the kill lands here: data written, not yet renamed
        os.fsync = slow_fsync
        rs.write_jsonl({str(target)!r}, ({{"v": "new", "i": i, "pad": "x" * 100}} for i in range(20000)))
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert read_jsonl(target) == [{"v": "old"}]


def test_stage_not_complete_without_marker(tmp_path):
    """Records without their .done marker (a kill between the two writes) do not count as a finished stage."""
    store = RunStore(tmp_path)
    store.write_records(0, "09_evaluation", [{"a": 1}])
    assert store.has_records(0, "09_evaluation")
    assert not store.is_complete(0, "09_evaluation")
    assert store.completed_stages(0) == []


def test_torn_metrics_line_is_skipped_and_next_append_survives(tmp_path):
    store = RunStore(tmp_path)
    store.append_metrics({"cycle": 0, "x": 1})
    with open(store.metrics_path, "a") as fh:
        fh.write('{"cycle": 1, "x": ')     # a kill mid-append
    with pytest.warns(UserWarning, match="torn"):
        assert [m["x"] for m in store.metrics()] == [1]
    append_jsonl(store.metrics_path, {"cycle": 2, "x": 3})
    lines = store.metrics_path.read_text().splitlines()
    assert json.loads(lines[-1])["x"] == 3


def test_bad_record_line_names_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"a": 1}\n{"a": 2\n{"a": 3}\n')
    with pytest.raises(RecordError, match=r"bad.jsonl: line 2"):
        read_jsonl(path)
    path.write_text('{"a": 1}\n[1, 2]\n')
    with pytest.raises(RecordError, match=r"line 2: expected a JSON object"):
        read_jsonl(path)
