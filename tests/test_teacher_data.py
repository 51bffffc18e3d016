"""teacher_data: prompts, execution-labelled teacher attempts, label counts and the training set.

The teacher here is a scripted stand-in (a unit-test fake: it returns fixed answers per prompt kind, so the
labels are known in advance); every attempt is labelled by the REAL sandbox executor.
"""

from __future__ import annotations

import json

import pytest

from iterkd_lib.config import load_config
from iterkd_lib.prompts import FAULTS, faulty_messages, student_messages
from iterkd_lib.sandbox.execution import check_completions
from iterkd_lib.stages.teacher_attempts import fault_schedule, label_counts, teacher_attempts
from iterkd_lib.stages.training_set import build_training_set, student_failures_from

ADD = {"task_id": "t/add", "prompt": 'def add(a, b):\n    """Return a + b."""\n', "entry_point": "add",
       "test": "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(-4, 4) == 0\n",
       "canonical_solution": "    return a + b\n"}
EVEN = {"task_id": "t/even", "prompt": 'def is_even(n):\n    """True when n is even."""\n', "entry_point": "is_even",
        "test": "def check(candidate):\n    assert candidate(2) is True\n    assert candidate(3) is False\n",
        "canonical_solution": "    return n % 2 == 1\n"}  # deliberately wrong: must not be used

GOOD = {"add": "def add(a, b):\n    return a + b\n", "is_even": "def is_even(n):\n    return n % 2 == 0\n"}
BAD = {  # one real fault per type; "logical" for add is scripted to PASS (an inconsistent faulty attempt)
    "syntax": {"add": "def add(a, b)\n    return a + b\n", "is_even": "def is_even(n):\n    return (n % 2 == 0\n"},
    "logical": {"add": "def add(a, b):\n    return b + a\n", "is_even": "def is_even(n):\n    return n % 2 == 1\n"},
    "type": {"add": "def add(a, b):\n    return str(a) + b\n", "is_even": "def is_even(n):\n    return len(n) == 0\n"},
    "name": {"add": "def add(a, b):\n    return a + c\n", "is_even": "def is_even(n):\n    return m % 2 == 0\n"},
    "timeout": {"add": "def add(a, b):\n    while a:\n        pass\n    return a + b\n",
                "is_even": "def is_even(n):\n    while True:\n        n += 0\n"},
}


class ScriptedTeacher:
    """Answers by prompt kind; the second correct sample of `is_even` is wrong (an inconsistent attempt)."""

    def __init__(self):
        self.calls = []

    def describe(self):
        return {"backend": "scripted", "model": "test-teacher"}

    def chat(self, messages_list, decoding, seed, n=1):
        self.calls.append((messages_list, seed, n))
        out = []
        for msgs in messages_list:
            text = msgs[-1]["content"]
            fn = "add" if "def add" in text else "is_even"
            if "Fault type:" in text:
                ft = text.split("Fault type: ")[1].split(" ")[0]
                out.append([f"Here you go:\n```python\n{BAD[ft][fn]}```"] * n)
            else:
                samples = [f"```python\n{GOOD[fn]}```"] * n
                if fn == "is_even" and n > 1:
                    samples[1] = f"```python\n{BAD['logical'][fn]}```"
                out.append(samples)
        return out


@pytest.fixture(scope="module")
def cfg():
    return load_config(None, ["distill.correct_per_problem=2", "distill.faulty_per_problem=5",
                              "distill.max_pairs_per_problem=3", "execution.timeout_s=1.0",
                              "execution.memory_mb=512"])


@pytest.fixture(scope="module")
def attempts(cfg):
    return teacher_attempts([ADD, EVEN], ScriptedTeacher(), cfg, seed=7)


def test_prompts_name_the_fault_and_share_the_student_instruction():
    for ft in FAULTS:
        user = faulty_messages(ADD, ft)[-1]["content"]
        assert f"Fault type: {ft}" in user and ADD["prompt"].strip() in user
        assert "no comment" in user  # the fault must stay hidden
    msgs = student_messages(ADD)
    assert msgs[-1]["role"] == "user" and ADD["prompt"].strip() in msgs[-1]["content"]
    assert "```python" in msgs[-1]["content"]
    with pytest.raises(ValueError, match="unknown fault type"):
        faulty_messages(ADD, "semantic")


def test_fault_types_cycle_deterministically():
    types = ["syntax", "logical", "type", "name", "timeout"]
    a = fault_schedule("t/add", 7, types)
    assert a == fault_schedule("t/add", 7, types)
    start = types.index(a[0])
    assert a == [types[(start + i) % 5] for i in range(7)]
    assert sorted(a[:5]) == sorted(types)
    # offsets differ across task ids, so 2 attempts per problem still reach every type over a pool
    firsts = {fault_schedule(f"p/{i}", 1, types)[0] for i in range(40)}
    assert firsts == set(types)


def test_attempts_are_labelled_by_execution_and_carry_their_settings(attempts, cfg):
    assert len(attempts) == 2 * (2 + 5)
    for r in attempts:
        assert r["label"] == ("correct" if r["verdict"]["passed"] else "faulty")
        assert r["consistent"] == (r["label"] == r["requested"])
        want_t = cfg.distill.sample_temperature if r["requested"] == "correct" else cfg.teacher.decoding.temperature
        assert r["teacher"]["model"] == "test-teacher" and r["decoding"]["temperature"] == want_t
        assert isinstance(r["seed"], int) and r["prompt"][-1]["role"] == "user"
    by = {(r["task_id"], r["requested"], r["fault_type"], r["attempt_index"]): r for r in attempts}
    assert by[("t/add", "correct", None, 0)]["label"] == "correct"
    assert by[("t/even", "correct", None, 1)]["label"] == "faulty"  # asked correct, failed: kept, inconsistent
    assert by[("t/add", "faulty", "logical", _idx("t/add", "logical"))]["label"] == "correct"  # kept, counted
    assert by[("t/add", "faulty", "timeout", _idx("t/add", "timeout"))]["verdict"]["status"] == "timeout"
    assert by[("t/even", "faulty", "syntax", _idx("t/even", "syntax"))]["verdict"]["error_type"] == "SyntaxError"
    assert by[("t/add", "faulty", "name", _idx("t/add", "name"))]["verdict"]["error_type"] == "NameError"


def _idx(task_id, ft):
    return fault_schedule(task_id, 5, ["syntax", "logical", "type", "name", "timeout"]).index(ft)


def test_label_counts(attempts):
    c = label_counts(attempts)
    assert c["correct"] == {"consistent": 3, "inconsistent": 1, "unlabelled": 0}
    assert c["faulty"] == {"consistent": 9, "inconsistent": 1, "unlabelled": 0}
    assert c["by_fault_type"]["logical"] == {"consistent": 1, "inconsistent": 1, "unlabelled": 0}
    assert c["total"] == 14
    json.dumps(c)


def test_requests_and_seeds_are_stable_and_order_independent(cfg):
    def requests(problems):
        t = ScriptedTeacher()
        teacher_attempts(problems, t, cfg, seed=7, execute=lambda pairs: [{"passed": True}] * len(pairs))
        return sorted(json.dumps([m, seed, n]) for msgs, seed, n in t.calls for m in msgs)

    assert requests([ADD, EVEN]) == requests([ADD, EVEN]) == requests([EVEN, ADD])

    def call_seeds(seed):
        t = ScriptedTeacher()
        teacher_attempts([ADD], t, cfg, seed=seed, execute=lambda pairs: [{"passed": True}] * len(pairs))
        return {s for _, s, _ in t.calls}

    assert call_seeds(7) == call_seeds(7) and call_seeds(7).isdisjoint(call_seeds(8))


def test_training_set_uses_only_failing_negatives_and_student_failures(attempts, cfg):
    student_attempts = [
        {"task_id": "t/add", "sample_index": 0, "code": "def add(a, b):\n    return a * b\n"},
        {"task_id": "t/add", "sample_index": 1, "code": GOOD["add"]},
        {"task_id": "t/add", "sample_index": 2, "code": ""},
    ]
    feedback = [{"task_id": "t/add", "sample_index": i, "execution": {"passed": i == 1, "status": "failed"}}
                for i in range(3)]
    failures = student_failures_from(student_attempts, feedback)
    assert [f["sample_index"] for f in failures] == [0, 2]
    recs = build_training_set([ADD, EVEN], attempts, failures, cfg, execute=lambda pairs: check_completions(
        pairs, timeout_s=1.0, memory_mb=512, workers=2), use_canonical=True)  # = distill.canonical "always"
    sft = [r for r in recs if r["kind"] == "sft"]
    pairs = [r for r in recs if r["kind"] == "pair"]
    # add: the teacher's two identical correct samples dedupe to one; the verified canonical is the same code up to
    # its docstring (dedup compares parsed code without docstrings), so it adds nothing
    assert [r["source"] for r in sft if r["task_id"] == "t/add"] == ["teacher"]
    assert [r["origin"] for r in sft] == ["teacher_sample", "teacher_sample"]
    assert [r["source"] for r in sft if r["task_id"] == "t/even"] == ["teacher"]  # wrong canonical not used
    assert all(len([p for p in pairs if p["task_id"] == t]) == 3 for t in ("t/add", "t/even"))  # the cap
    passing = {a["code"].strip() for a in attempts if a["label"] == "correct"}
    for p in pairs:
        assert p["rejected"] != p["chosen"]
        assert p["rejected"].removeprefix("```python\n").removesuffix("\n```").strip() not in passing
        assert p["prompt"] == student_messages(ADD if p["task_id"] == "t/add" else EVEN)
    add_pairs = [p for p in pairs if p["task_id"] == "t/add"]
    assert "student" in {p["rejected_source"] for p in add_pairs}  # interleaving keeps the student's fault
    assert any("a * b" in p["rejected"] for p in add_pairs)
    even_pairs = [p for p in pairs if p["task_id"] == "t/even"]
    # the failed "correct" request of is_even is the same code as the logical fault: one negative, not two
    assert len({p["rejected"] for p in even_pairs}) == len(even_pairs)
    assert all(p["built_with"]["distill"]["max_pairs_per_problem"] == 3 for p in pairs)
    json.dumps(recs)


class _OneReply:
    """Teacher that answers every request with the same reply (unit-test fake)."""

    def __init__(self, reply):
        self.reply = reply

    def describe(self):
        return {"backend": "scripted", "model": "one-reply"}

    def chat(self, messages_list, decoding, seed, n=1):
        return [[self.reply] * n for _ in messages_list]


def test_reasoning_reply_is_labelled_by_its_answer_and_no_answer_is_unlabelled(cfg):
    # issue 12: the draft inside <think> is wrong, the answer after it is right (real sandbox)
    think = ("<think>\n```python\ndef add(a, b):\n    return a - b\n```\nNo.\n</think>\n"
             "```python\ndef add(a, b):\n    return a + b\n```")
    recs = teacher_attempts([ADD], _OneReply(think), cfg, seed=1)
    good = [r for r in recs if r["requested"] == "correct"]
    assert [r["label"] for r in good] == ["correct", "correct"]
    assert good[0]["verdict"]["extraction"]["rule"].startswith("after_reasoning:")
    cut = "<think>\n```python\ndef add(a, b):\n    return a + b\n```\nLet me double-check"
    recs = teacher_attempts([ADD], _OneReply(cut), cfg, seed=1)
    assert {r["label"] for r in recs} == {None}  # unlabelled: neither a positive nor a negative
    assert {r["verdict"]["error_type"] for r in recs} == {"extraction_failed"}
    assert label_counts(recs)["correct"]["unlabelled"] == 2
    assert build_training_set([ADD], recs, [], cfg, execute=lambda pairs: check_completions(pairs),
                              use_canonical=False) == []
