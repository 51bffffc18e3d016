"""`iterkd export`: each format is read back by the library that reads it, with the run's numbers intact.

The run is the synthetic one of tests/synthetic_run.py, given a realistic training set here (chat-message
prompts with a system turn, as `teacher_data.build_training_set` writes them). The LLaMA-Factory layout is
checked against the facts of LLaMA-Factory's data/README.md (dataset_info.json entries: `file_name`,
`formatting` alpaca|sharegpt, `ranking`, `columns` from the documented set; sharegpt rows: `conversations`
of {from, value} with human in odd positions and gpt in even ones; preference rows end on a human turn and
hold `chosen`/`rejected` as one gpt message each). The checker is written from that document, not from our
writer.
"""

from __future__ import annotations

import json

import pytest
from datasets import load_from_disk
from synthetic_run import SETTINGS, build_synthetic_run

from iterkd_lib.cli import main
from iterkd_lib.export import export_cycle
from iterkd_lib.runstore import RunStore, read_jsonl

SYSTEM = "You are a careful Python programmer."


def _msgs(i):
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": f"Implement f{i}.\n```python\ndef f{i}():\n```"}]


def _code(i, body):
    return f"```python\ndef f{i}():\n    return {body}\n```"


TRAINING_SET = (
    [{"kind": "sft", "task_id": f"t/{i}", "prompt": _msgs(i), "completion": _code(i, i), "source": "teacher"}
     for i in range(3)]
    + [{"kind": "pair", "task_id": "t/0", "prompt": _msgs(0), "chosen": _code(0, 0), "rejected": _code(0, -1),
        "rejected_source": "teacher", "fault_type": "logical"},
       {"kind": "pair", "task_id": "t/1", "prompt": _msgs(1), "chosen": _code(1, 1), "rejected": _code(1, "x"),
        "rejected_source": "student", "fault_type": None},
       {"kind": "pair", "task_id": "g/1", "prompt": _msgs(9), "chosen": _code(9, 9), "rejected": _code(9, "None"),
        "rejected_source": "teacher", "fault_type": "syntax"}])


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("export") / "run"
    store = build_synthetic_run(root)
    store.write_records(2, "03_training_set", TRAINING_SET)
    return root


# ------------------------------------------------------------------ LLaMA-Factory's documented schema
LF_COLUMNS = {"prompt", "query", "response", "history", "messages", "system", "tools", "images", "chosen",
              "rejected", "kto_tag"}
LF_ENTRY_KEYS = {"hf_hub_url", "ms_hub_url", "script_url", "file_name", "formatting", "ranking", "subset",
                 "folder", "columns", "tags"}


def check_llamafactory_dir(folder) -> dict:
    """Assert the folder is a LLaMA-Factory dataset_dir; return {dataset name: rows}."""
    info = json.loads((folder / "dataset_info.json").read_text())
    loaded = {}
    for name, entry in info.items():
        assert set(entry) <= LF_ENTRY_KEYS, (name, set(entry) - LF_ENTRY_KEYS)
        assert (folder / entry["file_name"]).is_file(), entry["file_name"]
        formatting = entry.get("formatting", "alpaca")
        assert formatting in ("alpaca", "sharegpt")
        assert isinstance(entry.get("ranking", False), bool)
        cols = entry.get("columns", {})
        assert set(cols) <= LF_COLUMNS, set(cols) - LF_COLUMNS
        rows = json.loads((folder / entry["file_name"]).read_text())
        assert isinstance(rows, list) and rows
        tags = {"role_tag": "from", "content_tag": "value", "user_tag": "human", "assistant_tag": "gpt",
                **entry.get("tags", {})}
        for row in rows:
            for column in cols.values():
                assert column in row, (name, column)
            if formatting == "sharegpt":
                conv = row[cols.get("messages", "conversations")]
                roles = [m[tags["role_tag"]] for m in conv]
                assert all(isinstance(m[tags["content_tag"]], str) and m[tags["content_tag"]] for m in conv)
                assert roles[0::2] == [tags["user_tag"]] * len(roles[0::2])       # odd positions: human
                assert roles[1::2] == [tags["assistant_tag"]] * len(roles[1::2])  # even positions: gpt
                if entry.get("ranking"):
                    assert len(roles) % 2 == 1                                    # ends on the human turn
                    for k in ("chosen", "rejected"):
                        msg = row[cols[k]]
                        assert msg[tags["role_tag"]] == tags["assistant_tag"] and msg[tags["content_tag"]]
                else:
                    assert len(roles) % 2 == 0                                    # ends on the model's answer
            else:
                assert row[cols.get("prompt", "instruction")]
                if entry.get("ranking"):
                    assert row[cols["chosen"]] and row[cols["rejected"]]
                else:
                    assert row[cols.get("response", "output")]
        loaded[name] = (entry, rows)
    return loaded


def test_llamafactory_export_follows_the_documented_schema(run_dir, tmp_path):
    res = export_cycle(run_dir, 2, "llamafactory", tmp_path / "lf")
    loaded = check_llamafactory_dir(tmp_path / "lf")
    assert set(loaded) == {res.datasets["sft"], res.datasets["preference"]}
    sft_entry, sft_rows = loaded[res.datasets["sft"]]
    pref_entry, pref_rows = loaded[res.datasets["preference"]]
    assert sft_entry["ranking"] is False and pref_entry["ranking"] is True
    assert (len(sft_rows), len(pref_rows)) == (res.n_sft, res.n_pairs) == (3, 3)
    assert sft_rows[2]["system"] == SYSTEM and sft_rows[2]["conversations"][1]["value"] == _code(2, 2)
    assert pref_rows[1]["rejected"]["value"] == _code(1, "x") and pref_rows[1]["chosen"]["value"] == _code(1, 1)
    assert "def f9()" in pref_rows[2]["conversations"][0]["value"]


def test_the_schema_check_rejects_a_broken_layout(run_dir, tmp_path):
    export_cycle(run_dir, 2, "llamafactory", tmp_path / "lf")
    info_path = tmp_path / "lf" / "dataset_info.json"
    info = json.loads(info_path.read_text())
    name = next(k for k, v in info.items() if v["ranking"])
    info[name]["columns"]["chosen"] = "better"                 # a column the rows do not have
    info_path.write_text(json.dumps(info))
    with pytest.raises(AssertionError):
        check_llamafactory_dir(tmp_path / "lf")


def test_trl_export_loads_back_with_datasets(run_dir, tmp_path):
    res = export_cycle(run_dir, 2, "trl", tmp_path / "trl")
    sft = load_from_disk(str(tmp_path / "trl" / "sft"))
    pref = load_from_disk(str(tmp_path / "trl" / "preference"))
    assert {"prompt", "completion"} <= set(sft.column_names) and len(sft) == res.n_sft == 3
    assert {"prompt", "chosen", "rejected"} <= set(pref.column_names) and len(pref) == res.n_pairs == 3
    assert sft[0]["prompt"][0] == {"role": "system", "content": SYSTEM}
    assert sft[1]["completion"] == [{"role": "assistant", "content": _code(1, 1)}]
    assert pref[0]["rejected"][0]["content"] == _code(0, -1)
    assert pref["rejected_source"] == ["teacher", "student", "teacher"]
    assert pref["fault_type"] == ["logical", None, "syntax"]


def test_jsonl_export_and_card(run_dir, tmp_path):
    res = export_cycle(run_dir, 2, "jsonl", tmp_path / "j")
    sft, pairs = read_jsonl(tmp_path / "j" / "sft.jsonl"), read_jsonl(tmp_path / "j" / "pairs.jsonl")
    assert len(sft) == 3 and len(pairs) == 3 and "kind" not in sft[0]
    assert pairs[2]["chosen"] == TRAINING_SET[5]["chosen"]
    card = (tmp_path / "j" / "README.md").read_text()
    assert res.files[-1] == "README.md"
    for fact in (SETTINGS["teacher"], SETTINGS["student"], "cycle: 2", f"run seed: {SETTINGS['seed']}",
                 "SFT examples: 3; preference pairs: 3", "rejected answers from: teacher 2, student 1"):
        assert fact in card, fact
    # origins from the cycle's pool: t/0, t/1 are seed questions, g/1 was generated
    assert "questions of pairs: seed 2, generated (cycle 0) 1" in card


def test_cli_export_default_folder_and_errors(run_dir, capsys):
    assert main(["export", str(run_dir), "--cycle", "1", "--format", "trl"]) == 0
    out = capsys.readouterr().out
    assert "1 SFT examples, 1 preference pairs" in out
    assert len(load_from_disk(str(run_dir / "exports" / "cycle_1" / "trl" / "preference"))) == 1
    assert main(["export", str(run_dir), "--cycle", "0", "--format", "jsonl"]) == 2      # cycle 0 only evaluates
    assert "03_training_set" in capsys.readouterr().err
    RunStore(run_dir).write_records(1, "03_training_set", [{"kind": "sft", "task_id": "t/0", "prompt": "p"}])
    assert main(["export", str(run_dir), "--cycle", "1", "--format", "jsonl"]) == 2
    assert "03_training_set.jsonl:1: a sft record lacks completion" in capsys.readouterr().err
