"""A small SYNTHETIC run directory that follows docs/design.md's record schemas, for figure and notebook tests.

The numbers are made up on purpose (this tests plotting, not models) and are chosen so every figure has
something distinctive to check: cycle 0 is evaluation only (as in `cycle.py`), cycles 1 and 2 have every
stage, and cycle 2 keeps some questions, drops one and adds generated ones, so the level flow has all three
kinds of link. `EXPECTED` holds the values the tests compare figures against.
"""

from __future__ import annotations

from pathlib import Path

from iterkd_lib.config import config_to_dict, load_config
from iterkd_lib.runstore import RunStore, write_json, write_jsonl

SETTINGS = {"student": "smollm2-135m-instruct", "teacher": "qwen2.5-coder-0.5b-instruct", "seed": 7,
            "loss": "cpo", "eval_decoding": {"temperature": 0.0, "top_p": 0.95, "max_new_tokens": 128},
            "eval_subset": 4, "eval_samples": 1}
PASS = {0: 0.25, 1: 0.5, 2: 0.75}
HELD_OUT = {0: 0.0, 1: 0.5, 2: 0.5}
TEACHER = 0.9
LEVELS = {1: {"t/0": "easy", "t/1": "medium", "t/2": "hard", "t/3": "hard"},
          2: {"t/0": "easy", "t/1": "easy", "t/2": "medium", "g/1": "hard", "g/2": "easy"}}  # t/3 dropped
POSITIVES = {"sft": 4, "by_origin": {"canonical": 1, "teacher_repair": 1, "teacher_sample": 2},
             "pairs": {"fault_aware": 3, "personalised": 1}, "teacher_share": 0.75}
EXPECTED = {"pass": PASS, "held_out": HELD_OUT, "teacher": TEACHER, "levels": LEVELS}


def _verdict(passed: bool, error_type: str | None = None, status: str | None = None) -> dict:
    return {"passed": passed, "status": status or ("passed" if passed else "failed"), "error_type": error_type,
            "message": "", "failed_assertions": [], "duration_s": 0.01}


def _teacher_attempts(cycle: int) -> list[dict]:
    # requested faulty 'logical' twice: once realised (AssertionError), once it passed (fault not realised)
    rows = [("correct", None, True, None), ("correct", None, False, "NameError"),
            ("faulty", "syntax", False, "SyntaxError"), ("faulty", "logical", False, "AssertionError"),
            ("faulty", "logical", True, None), ("faulty", "timeout", False, None)]
    out = []
    for i, (req, fault, passed, err) in enumerate(rows):
        label = "correct" if passed else "faulty"
        out.append({"task_id": f"t/{i % 4}", "requested": req, "fault_type": fault, "attempt_index": i,
                    "raw": "```python\n...\n```", "code": "def f():\n    return 1\n", "completion": "    return 1\n",
                    "verdict": _verdict(passed, err, "timeout" if fault == "timeout" else None),
                    "label": label, "consistent": label == req,
                    "teacher": {"model": SETTINGS["teacher"], "backend": "local", "dtype": "bfloat16"},
                    "decoding": {"temperature": 0.7}, "seed": 7 + cycle})
    # issue 15: a repair of the student's failure that passes, and a repair of a failed sample that still fails
    for k, (root, passed, err) in enumerate((("student", True, "AssertionError"),
                                              ("teacher_sample", False, "NameError"))):
        out.append({"task_id": f"t/{k + 1}", "requested": "repair", "origin": "teacher_repair", "fault_type": None,
                    "attempt_index": 0, "raw": "", "code": f"def f():\n    return {k + 2}\n", "completion": "",
                    "verdict": _verdict(passed, None if passed else "AssertionError"),
                    "label": "correct" if passed else "faulty", "consistent": passed,
                    "teacher": {"model": SETTINGS["teacher"]}, "decoding": {"temperature": 0.7}, "seed": 9,
                    "repair_round": 1, "repair_root": {"origin": root, "sample_index": 0, "code": "x = 1\n"},
                    "repaired_error_type": err, "completion_tokens": 40, "tokens_source": "backend"})
    return out


def teacher_yield_of(cycle: int, pool: list[dict]) -> dict:
    """The 02 stage summary's yield, computed by the library from the synthetic records."""
    from iterkd_lib.stages.teacher_attempts import teacher_yield

    return teacher_yield(pool, _teacher_attempts(cycle))


def _feedback(cycle: int) -> list[dict]:
    # passing attempts get high judge scores, failing ones low; one attempt has no judge score at all
    rows = [(True, 5.5, ["C0116"]), (True, 6.0, []), (False, 2.0, ["E0602", "W0612"]), (False, 1.0, ["E0602"]),
            (False, None, ["R1705"])]
    cats = {"C": "convention", "E": "error", "W": "warning", "R": "refactor"}
    out = []
    for i, (passed, score, symbols) in enumerate(rows):
        judge = None if score is None else {
            "score": score, "rules": {"functionality": 2.0 if passed else 0.5, "boundary": 1.0 if passed else 0.0,
                                      "coverage": 1.0, "readability": 1.0 if passed else 0.5,
                                      "practices": 0.5},
            "analysis": "Code Analysis: ...", "parse_ok": True, "raw": "..."}
        out.append({"task_id": f"t/{i % 4}", "sample_index": i, "execution": _verdict(passed, None if passed
                                                                                      else "AssertionError"),
                    "compile_run": {"ok": True, "error_type": None, "message": ""},
                    "pylint": {"score": 8.0, "messages": [{"symbol": s, "category": cats[s[0]], "line": 1,
                                                           "message": s} for s in symbols]},
                    "judge": judge})
    return out


def build_synthetic_run(root: str | Path, config_path: str | Path | None = None) -> RunStore:
    store = RunStore(root)
    cfg = load_config(config_path) if config_path else load_config(None)
    store.write_run_info({"config": config_to_dict(cfg), "seed": SETTINGS["seed"], "teacher": SETTINGS["teacher"],
                          "student": SETTINGS["student"], "synthetic": True})
    yields: dict[int, dict] = {}
    for c in (0, 1, 2):
        if c > 0:
            pool = [{"task_id": t, "prompt": f"def f_{t[-1]}():\n", "entry_point": "f", "test": "",
                     "source": "seed" if t.startswith("t/") else "generated", "origin_cycle": 0}
                    for t in LEVELS[c]]
            store.write_records(c, "01_pool", pool)
            store.write_records(c, "02_teacher_attempts", _teacher_attempts(c))
            yields[c] = {**teacher_yield_of(c, pool), "positives": POSITIVES}
            store.write_records(c, "03_training_set", [
                {"kind": "sft", "task_id": "t/0", "prompt": "p", "completion": "c"},
                {"kind": "pair", "task_id": "t/0", "prompt": "p", "chosen": "c", "rejected": "r",
                 "rejected_source": "teacher", "fault_type": "logical"}])
            adapter = store.cycle_dir(c) / "04_adapter"
            write_jsonl(adapter / "train_log.jsonl", [
                {"step": s, "epoch": s / 4, "loss": 2.0 - 0.3 * s, "sft_loss": 1.2 - 0.2 * s,
                 "contrastive_loss": 0.8 - 0.1 * s, "margin": 0.1 * s, "lr": 1e-3} for s in range(1, 5)])
            write_json(adapter / "adapter_meta.json", {"base_model": SETTINGS["student"],
                                                       "lora": {"r": 8, "alpha": 16}, "loss": {"type": "cpo"}})
            (adapter / "adapter_model.safetensors").write_bytes(b"\0" * 2048)
            store.write_records(c, "06_feedback", _feedback(c))
            store.write_records(c, "07_levels", [
                {"task_id": t, "level": lv, "pass_rate": {"easy": 1.0, "medium": 0.5, "hard": 0.0}[lv],
                 "judge_mean": 4.0, "pylint_mean": 8.0, "n_samples": 2, "reason": "synthetic"}
                for t, lv in LEVELS[c].items()])
            store.write_records(c, "08_new_questions", [
                {"task_id": "g/1", "prompt": "def g1():\n", "entry_point": "g1", "test": "", "source": "generated",
                 "origin_cycle": c, "parent_task_id": "t/0", "parent_level": "easy", "prompt_kind": "breadth",
                 "agreement": {"candidates": 5, "largest": 4, "min_agree": 3, "groups": [4, 1]},
                 "teacher_expectations": [{"call": "g1()", "expected": "1", "agrees": True}]},
                {"task_id": "g/2", "prompt": "def g2():\n", "entry_point": "g2", "test": "", "source": "generated",
                 "origin_cycle": c, "parent_task_id": "t/2", "parent_level": "hard", "prompt_kind": "depth"}])
            store.write_records(c, "08_rejected_questions", [
                {"parent_task_id": "t/2", "parent_level": "hard", "reason": "no_agreement", "detail": "", "raw": "",
                 "agreement": {"candidates": 5, "largest": 2, "min_agree": 3, "groups": [2, 2, 1]},
                 "teacher_expectations": [{"call": "g(1)", "expected": "2", "agrees": False}]},
                {"parent_task_id": "t/3", "parent_level": "hard", "reason": "near_duplicate", "detail": "", "raw": ""},
                {"parent_task_id": "t/0", "parent_level": "easy", "reason": "near_duplicate", "detail": "", "raw": ""}])
            for stage in ("01_pool", "03_training_set", "04_adapter", "06_feedback", "07_levels",
                          "08_new_questions"):
                store.mark_complete(c, stage, {"seconds": 1.0})
            store.mark_complete(c, "02_teacher_attempts", {"seconds": 1.0, "yield": teacher_yield_of(c, pool)})
        summary = {"cycle": c, "kind": "cycle_summary", "benchmark_pass@1": PASS[c], "held_out_pass@1": HELD_OUT[c],
                   "stage_seconds": {"09_evaluation": 2.0}, "teacher_tokens": 100 * c, "settings": SETTINGS}
        if c == 0:
            summary["teacher_benchmark_pass@1"] = TEACHER
        else:
            summary.update({"n_sft": 1, "n_pairs": 1, "final_loss": 0.8, "teacher_yield": yields[c],
                            "levels": {lv: list(LEVELS[c].values()).count(lv) for lv in ("easy", "medium", "hard")}})
        store.append_metrics(summary)
    write_json(store.root / "best.json", {"cycle": 2, "metric": "benchmark_pass@1", "value": PASS[2]})
    return store


def complete_for_notebooks(store: RunStore) -> RunStore:
    """Add what reopening the run and reading Stage II back needs (held-out split, 05_student_attempts), so
    notebooks and the control panel read every stage of cycles 1-2 up to 08 without loading a model."""
    write_jsonl(store.root / "held_out.jsonl", [{"task_id": "h/0", "prompt": "def h():\n", "entry_point": "h",
                                                 "test": "", "source": "seed"}])
    for c in (1, 2):
        store.write_records(c, "05_student_attempts", [
            {"task_id": f"t/{i % 4}", "sample_index": i, "raw": "```python\n...\n```", "code": "def f():\n    return 1\n",
             "completion": "    return 1\n", "student": {"model": SETTINGS["student"]}, "decoding": {"temperature": 0.7},
             "seed": 7 + c} for i in range(5)])
        store.mark_complete(c, "05_student_attempts", {"seconds": 1.0, "n": 5})
    return store
