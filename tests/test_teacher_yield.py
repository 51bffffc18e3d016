"""Stage I distils the teacher (issue 15): sample-and-verify, repair from execution feedback, origins, yield.

The teacher is a unit-test fake (`FakeTeacher`: fixed answers by prompt kind, built on the real backend base
class so the real response cache and request keys are used, and every generated request is counted); every
answer is run by the REAL sandbox, so the failures a repair prompt quotes are the sandbox's own.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from iterkd_lib.config import ConfigError, load_config
from iterkd_lib.models.backends import BackendBase
from iterkd_lib.models.response_cache import ResponseCache
from iterkd_lib.prompts import repair_messages
from iterkd_lib.sandbox import check_completions, describe_failure
from iterkd_lib.scoring.code_extraction import code_key
from iterkd_lib.stages.pool import order_pool, select_pool
from iterkd_lib.stages.teacher_attempts import label_counts, teacher_attempts, teacher_yield
from iterkd_lib.stages.training_set import build_training_set, positive_origins

ADD = {"task_id": "t/add", "prompt": 'def add(a, b):\n    """Return a + b."""\n', "entry_point": "add",
       "test": "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(-4, 4) == 0\n",
       "canonical_solution": "    return b + a\n"}
EVEN = {"task_id": "t/even", "prompt": 'def is_even(n):\n    """True when n is even."""\n', "entry_point": "is_even",
        "test": "def check(candidate):\n    assert candidate(2) is True\n    assert candidate(3) is False\n",
        "canonical_solution": "    return not n % 2\n"}
NEG = {"task_id": "t/neg", "prompt": 'def negate(x):\n    """Return -x."""\n', "entry_point": "negate",
       "test": "def check(candidate):\n    assert candidate(5) == -5\n    assert candidate(0) == 0\n",
       "canonical_solution": "    return -x\n"}
PROBLEMS = [ADD, EVEN, NEG]

# Samples: add is solved by its second sample; is_even and negate fail every sample. Repairs: is_even and
# the student's add are fixed; negate's repair still fails (a different wrong answer each round).
SAMPLES = {"add": ["def add(a, b):\n    return a - b\n", "def add(a, b):\n    return a + b\n",
                   "def add(a, b):\n    # the same code as sample 1, laid out differently\n    return (a + b)\n"],
           "is_even": ["def is_even(n):\n    return n % 2 == 1\n"] * 3,
           "negate": ["def negate(x):\n    return x\n"] * 3}
REPAIRS = {"add": "def add(a, b):\n    return a + b\n", "is_even": "def is_even(n):\n    return n % 2 == 0\n",
           "negate": "def negate(x):\n    return abs(x)\n"}
STUDENT_ADD = "def add(a, b):\n    return a * b\n"


def _fn(text: str) -> str:
    return next(f for f in ("add", "is_even", "negate") if f"def {f}(" in text)


class FakeTeacher(BackendBase):
    """A scripted teacher on the real backend base (response cache, request keys, per-sample seeds).

    Every request it really generates (not answered from the cache) is appended to `log` (one key a line,
    flushed) once its answer is stored, after an optional pause, so a test can kill the process mid-stage
    and count paid-for requests."""

    kind = "fake"

    def __init__(self, cache_dir: str | None = None, log: str | None = None, pause_s: float = 0.0):
        super().__init__(ResponseCache(cache_dir) if cache_dir else None)
        self.log, self.pause_s, self.calls = log, pause_s, []

    class tok:
        def __init__(self, text, add_special_tokens=False):
            self.input_ids = text.split()

    def _identity(self) -> dict:
        return {"backend": "fake", "model": "scripted-teacher"}

    def describe(self) -> dict:
        return self._identity()

    def chat(self, messages_list, decoding, seed, n=1):
        self.calls.append((len(messages_list), n))
        return super().chat(messages_list, decoding, seed, n)

    def _generate(self, mode, jobs, decoding, done):
        for job in jobs:
            text = job["item"][-1]["content"]
            fn = _fn(text)
            if "does not pass the task's tests" in text:
                code = REPAIRS[fn] if fn != "negate" else f"def negate(x):\n    return x + {job['seed'] % 7 + 1}\n"
            elif "Fault type:" in text:
                code = f"def {fn}(*a):\n    return undefined_name\n"
            else:
                code = SAMPLES[fn][job["j"] % 3]
            time.sleep(self.pause_s)
            answer = f"```python\n{code}```"
            done(job, answer, {"prompt_tokens": 50, "completion_tokens": len(answer.split())})  # cached here
            if self.log:  # logged once the answer is stored: a kill before this loses an unpaid request only
                with open(self.log, "a") as fh:
                    fh.write(job["key"] + "\n")
                    fh.flush()


def _execute(pairs):
    return check_completions(pairs, timeout_s=2.0, memory_mb=512, workers=2)


def _cfg(*extra):
    return load_config(None, ["distill.correct_per_problem=3", "distill.faulty_per_problem=1",
                              "distill.repair_rounds=2", "distill.max_correct_per_problem=2",
                              "execution.timeout_s=2.0", *extra])


STUDENT_FAILURES = [{"task_id": "t/add", "sample_index": 0, "code": STUDENT_ADD,
                     "execution": check_completions([(ADD, STUDENT_ADD)], timeout_s=2.0)[0]},
                    {"task_id": "t/add", "sample_index": 1, "code": "", "execution": {"passed": False}}]


@pytest.fixture(scope="module")
def run():
    cfg = _cfg()
    teacher = FakeTeacher()
    attempts = teacher_attempts(PROBLEMS, teacher, cfg, seed=3, execute=_execute, student_failures=STUDENT_FAILURES)
    return cfg, teacher, attempts


def test_samples_are_one_batched_call_and_repairs_one_call_per_round(run):
    _, teacher, attempts = run
    # samples: 3 problems x n=3 in ONE call; faulty: one call; repairs: round 1 (is_even, negate, student add),
    # round 2 (negate only)
    assert teacher.calls == [(3, 3), (3, 1), (3, 1), (1, 1)]
    assert sum(r["origin"] == "teacher_sample" for r in attempts) == 9
    assert [r["repair_round"] for r in attempts if r["origin"] == "teacher_repair"] == [1, 1, 1, 2]


def test_repair_prompt_quotes_the_sandbox_failure(run):
    _, _, attempts = run
    wrong = SAMPLES["is_even"][0]
    verdict = check_completions([(EVEN, wrong)], timeout_s=2.0)[0]
    report = describe_failure(verdict)
    assert "candidate(3)" in report or "is_even(3)" in report  # the sandbox names the failing call
    rep = next(r for r in attempts if r["origin"] == "teacher_repair" and r["task_id"] == "t/even")
    user = rep["prompt"][-1]["content"]
    assert report.strip() in user and wrong.strip() in user and EVEN["prompt"].strip() in user
    assert rep["failure_shown"] == report and rep["repaired_code"].strip() == wrong.strip()
    assert rep["repair_root"] == {"origin": "teacher_sample", "sample_index": 0}
    # the student's failing attempt is quoted with what the sandbox saw when the student ran it
    srep = next(r for r in attempts if r["origin"] == "teacher_repair" and r["repair_root"]["origin"] == "student")
    assert STUDENT_ADD.strip() in srep["prompt"][-1]["content"]
    assert describe_failure(STUDENT_FAILURES[0]["execution"]).strip() in srep["prompt"][-1]["content"]
    # round 2 repairs round 1's failed repair, quoting round 1's verdict
    r1, r2 = [r for r in attempts if r["origin"] == "teacher_repair" and r["task_id"] == "t/neg"]
    assert r2["repaired_code"] == r1["code"] and describe_failure(r1["verdict"]) in r2["prompt"][-1]["content"]
    assert repair_messages(NEG, "", "boom")[-1]["content"].count("no function could be extracted") == 1


def test_a_repair_that_still_fails_is_not_a_positive(run):
    cfg, _, attempts = run
    neg_repairs = [r for r in attempts if r["task_id"] == "t/neg" and r["origin"] == "teacher_repair"]
    assert len(neg_repairs) == 2 and all(r["label"] == "faulty" for r in neg_repairs)
    recs = build_training_set(PROBLEMS, attempts, STUDENT_FAILURES, cfg, execute=_execute)
    neg_sft = [r for r in recs if r["kind"] == "sft" and r["task_id"] == "t/neg"]
    assert [r["origin"] for r in neg_sft] == ["canonical"]  # fallback: no teacher positive exists
    failed = {code_key(r["code"]) for r in neg_repairs}
    assert not any(code_key(r["completion"].strip("`").removeprefix("python\n")) in failed for r in neg_sft)
    # the failed repairs are negatives of the teacher instead
    assert any(p["rejected_origin"] == "teacher_repair" for p in recs if p["kind"] == "pair" and p["task_id"] == "t/neg")
    y = teacher_yield(PROBLEMS, attempts)
    assert y["repair"]["teacher_sample"]["AssertionError"] == {"attempted": 2, "fixed": 1, "rate": 0.5}


def test_origin_accounting_adds_up(run):
    cfg, _, attempts = run
    recs = build_training_set(PROBLEMS, attempts, STUDENT_FAILURES, cfg, execute=_execute)
    sft = [r for r in recs if r["kind"] == "sft"]
    by_task = {t: [r["origin"] for r in sft if r["task_id"] == t] for t in ("t/add", "t/even", "t/neg")}
    # add: sample 1 (sample 2 is the same code up to layout and a comment) + the student's repair is that
    # same code again -> one positive; the canonical (b + a) is not used under "fallback"
    assert by_task == {"t/add": ["teacher_sample"], "t/even": ["teacher_repair"], "t/neg": ["canonical"]}
    pos = positive_origins(recs)
    assert sum(pos["by_origin"].values()) == pos["sft"] == len(sft) == 3
    assert pos["teacher_share"] == round(2 / 3, 4)
    pairs = [r for r in recs if r["kind"] == "pair"]
    assert sum(pos["pairs"].values()) == len(pairs)
    personal = [p for p in pairs if p["pair_kind"] == "personalised"]
    assert len(personal) == 1 and STUDENT_ADD.strip() in personal[0]["rejected"]
    assert personal[0]["chosen_origin"] == "teacher_repair" and personal[0]["rejected_source"] == "student"
    # the student's attempt is not used a second time as a fault-aware negative
    assert not any(STUDENT_ADD.strip() in p["rejected"] for p in pairs if p["pair_kind"] == "fault_aware")
    assert all(r.get("origin") or (r["chosen_origin"] and r["rejected_origin"]) for r in recs)
    y = teacher_yield(PROBLEMS, attempts)
    assert (y["solved_by_sample"], y["solved_by_repair_only"], y["solved_any"]) == (1, 1, 2)
    assert y["share_any"] == round(2 / 3, 4)
    assert y["share_any"] == pytest.approx(y["share_by_sample"] + y["share_by_repair_only"], abs=1e-3)
    assert y["verified_distinct"] == {"teacher_sample": 1, "teacher_repair": 2}  # is_even + student's add
    tok = {o: sum(r["completion_tokens"] for r in attempts if r["origin"] == o) for o in y["tokens"]}
    assert y["tokens"] == tok and all(r["tokens_source"] == "retokenised" for r in attempts)
    assert all(r["completion_tokens"] == len(r["raw"].split()) + 1 for r in attempts)
    assert y["tokens_per_verified"]["all"] == round((tok["teacher_sample"] + tok["teacher_repair"]) / 3, 1)
    assert y["repair"]["all"]["all"] == {"attempted": 3, "fixed": 2, "rate": round(2 / 3, 4)}
    counts = label_counts(attempts)
    assert sum(sum(counts[k].values()) for k in ("correct", "faulty", "repair")) == counts["total"] == len(attempts)
    json.dumps(y)


def test_canonical_policy_and_switches(run):
    _, _, attempts = run

    def origins(*over):
        c = _cfg(*over)
        return [(r["task_id"], r["origin"]) for r in build_training_set(PROBLEMS, attempts, STUDENT_FAILURES, c,
                                                                         execute=_execute) if r["kind"] == "sft"]

    assert ("t/add", "canonical") in origins("distill.canonical=always")
    assert not any(o == "canonical" for _, o in origins("distill.canonical=never"))
    fallback = origins()
    assert [t for t, o in fallback if o == "canonical"] == ["t/neg"]
    no_personal = build_training_set(PROBLEMS, attempts, STUDENT_FAILURES, _cfg("distill.personalised_pairs=false"),
                                     execute=_execute)
    assert not any(r.get("pair_kind") == "personalised" for r in no_personal)
    cap1 = _cfg("distill.max_correct_per_problem=1")
    even_two = [r for r in attempts if r["task_id"] != "t/add"]
    assert len([r for r in build_training_set(PROBLEMS, even_two, [], cap1, execute=_execute)
                if r["kind"] == "sft" and r["task_id"] == "t/even"]) == 1
    with pytest.raises(ConfigError, match="distill.canonical"):
        _cfg("distill.canonical=sometimes")


def test_no_repair_without_rounds_and_no_student_repair_when_switched_off():
    t = FakeTeacher()
    recs = teacher_attempts(PROBLEMS, t, _cfg("distill.repair_rounds=0"), seed=3, execute=_execute,
                            student_failures=STUDENT_FAILURES)
    assert not any(r["origin"] == "teacher_repair" for r in recs)
    t = FakeTeacher()
    recs = teacher_attempts(PROBLEMS, t, _cfg("distill.repair_student_failures=false"), seed=3, execute=_execute,
                            student_failures=STUDENT_FAILURES)
    assert {r["repair_root"]["origin"] for r in recs if r["origin"] == "teacher_repair"} == {"teacher_sample"}


_CHILD = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from test_teacher_yield import FakeTeacher, PROBLEMS, STUDENT_FAILURES, _cfg, _execute
    from iterkd_lib.stages.teacher_attempts import teacher_attempts
    teacher_attempts(PROBLEMS, FakeTeacher({cache!r}, {log!r}, pause_s=0.4), _cfg(), seed=3, execute=_execute,
                     student_failures=STUDENT_FAILURES)
""")


def test_resume_after_kill_asks_no_teacher_request_twice(tmp_path, run):
    """kill -9 in the middle of the repairs, rerun: every request was generated exactly once (the cache holds
    what the killed process paid for), and the records equal an uninterrupted run's."""
    cache, log = str(tmp_path / "cache"), tmp_path / "generated.log"
    code = _CHILD.format(tests=str(Path(__file__).parent), cache=cache, log=str(log))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[1]), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    n_before_repairs = 9 + 3  # samples + faulty attempts
    deadline = time.time() + 120
    while time.time() < deadline and (not log.exists() or len(log.read_text().split()) < n_before_repairs + 1):
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed = log.read_text().split()
    assert n_before_repairs < len(killed) < n_before_repairs + 4, "the kill must land inside the repairs"
    teacher = FakeTeacher(cache, str(log))
    resumed = teacher_attempts(PROBLEMS, teacher, _cfg(), seed=3, execute=_execute, student_failures=STUDENT_FAILURES)
    generated = log.read_text().split()
    assert len(generated) == len(set(generated)), "a teacher request was generated twice"
    assert teacher.usage["cache_hits"] >= len(killed)
    _, _, fresh = run

    def strip(recs):
        return [{k: v for k, v in r.items() if k not in ("verdict", "teacher")} for r in recs]

    assert strip(resumed) == strip(fresh)
    assert len(set(generated)) == len(fresh)  # every distinct request was paid for


def test_pool_policy_prefers_what_the_teacher_solves_and_the_student_does_not(tmp_path):
    pool = [{"task_id": f"p/{i}"} for i in range(5)]
    teacher = tmp_path / "t.jsonl"
    teacher.write_text("".join(json.dumps(r) + "\n" for r in [
        {"task_id": "p/0", "n": 4, "c": 0, "pass@1": 0.0}, {"task_id": "p/1", "n": 4, "c": 2, "pass@1": 0.5},
        {"task_id": "p/2", "n": 4, "c": 4, "pass@1": 1.0}, {"task_id": "p/3", "n": 4, "c": 1, "pass@1": 0.25}]))
    student = tmp_path / "s.jsonl"
    student.write_text(json.dumps({"task_id": "p/2", "n": 4, "c": 4, "pass@1": 1.0}) + "\n")
    ids = lambda ps: [p["task_id"] for p in ps]
    assert ids(order_pool(pool, "file_order")) == ids(pool)
    assert ids(order_pool(pool, "teachable", teacher)) == ["p/2", "p/1", "p/3", "p/0", "p/4"]
    assert ids(order_pool(pool, "gap", teacher, student)) == ["p/1", "p/3", "p/2", "p/0", "p/4"]
    assert ids(select_pool(pool, 2, "gap", teacher, student)) == ["p/1", "p/3"]  # chosen, in file order
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"task_id": "p/0"}\n')
    with pytest.raises(ValueError, match="bad.jsonl, line 1"):
        order_pool(pool, "teachable", bad)
    with pytest.raises(ConfigError, match="data.pool_policy"):
        load_config(None, ["data.pool_policy=hardest"])
    # several files joined by commas read as one (a measurement continued with --skip writes a second file)
    more = tmp_path / "t2.jsonl"
    more.write_text(json.dumps({"task_id": "p/4", "n": 4, "c": 3, "pass@1": 0.75}) + "\n")
    assert ids(order_pool(pool, "teachable", f"{teacher}, {more}")) == ["p/2", "p/4", "p/1", "p/3", "p/0"]
    with pytest.raises(ValueError, match="p/2 is measured in both .*t.jsonl and .*s.jsonl"):
        order_pool(pool, "teachable", f"{teacher},{student}")


def test_a_pool_ordered_by_another_teachers_measurements_is_flagged(caplog):
    from iterkd_lib.stages.pool import passk_model, seed_pool

    assert passk_model("data/teacher_passk.jsonl") == "qwen2.5-coder-1.5b-instruct"   # its _summary.json
    assert passk_model("data/teacher_passk.jsonl,data/teacher_passk_rest.jsonl") == "qwen2.5-coder-1.5b-instruct"
    cfg = load_config("configs/smoke.yaml", ["data.pool_policy=teachable", "data.pool_size=4"])
    with caplog.at_level("WARNING", logger="iterkd"):
        seed_pool(cfg)
    assert f"measured with teacher qwen2.5-coder-1.5b-instruct, but this run's teacher is {cfg.teacher.model}" \
        in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="iterkd"):
        seed_pool(load_config("configs/demo.yaml"))   # the demo's teacher is the measured one
    assert "measured with teacher" not in caplog.text


def test_token_counts_use_backend_usage_and_count_a_greedy_answer_once():
    from iterkd_lib.config import DecodingConfig
    from iterkd_lib.stages.teacher_attempts import token_counts

    class Detailed:  # a backend that reports usage per answer (the `details=True` contract)
        def chat(self, messages, decoding, seed, n=1, *, details=False):
            return [[{"text": f"t{j}", "usage": {"completion_tokens": 10 + j}} for j in range(n)] for _ in messages]

    texts, toks, src = token_counts(Detailed(), [[{}], [{}]], DecodingConfig(temperature=0.7), 1, 3)
    assert src == "backend" and texts[0] == ["t0", "t1", "t2"] and toks == [[10, 11, 12]] * 2
    _, toks, _ = token_counts(Detailed(), [[{}]], DecodingConfig(temperature=0.0), 1, 3)
    assert toks == [[10, 0, 0]]  # greedy: one generation repeated, paid for once
    _, toks, src = token_counts(FakeTeacher(), [[{"role": "user", "content": "def add("}]],
                                DecodingConfig(temperature=0.7), 1, 2)
    assert src == "retokenised" and all(t and t > 1 for t in toks[0])


def test_measure_teacher_passk_skip_reads_earlier_rows_and_refuses_what_would_not_compare(tmp_path):
    """`--skip FILE`: the measurement goes on where an earlier output file stopped (the response cache does not
    move between machines). Everything that would make the rows incomparable or lose them fails before the
    teacher is loaded, in one line naming the file."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))
    from measure_teacher_passk import main, read_rows, summarise

    rows = read_rows("data/teacher_passk.jsonl", 4)   # relative to the repository root, like --out
    assert len(rows) >= 40 and all(r["n"] == 4 and "label" in r for r in rows)
    assert summarise(rows, 4)["by_label"]["all"]["problems"] == len(rows)
    dec = {"temperature": 0.7, "top_p": 0.95, "max_new_tokens": 256}
    assert read_rows("data/teacher_passk.jsonl", 4, dec) == rows          # its summary names the same decoding
    with pytest.raises(SystemExit, match="max_new_tokens 256 vs 512"):
        read_rows("data/teacher_passk.jsonl", 4, dict(dec, max_new_tokens=512))
    with pytest.raises(SystemExit, match="measured with n=4"):
        read_rows("data/teacher_passk.jsonl", 8)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(rows[0]) + "\n{not json\n")
    with pytest.raises(SystemExit, match="bad.jsonl, line 2"):
        read_rows(bad, 4)
    bad.write_text(json.dumps({"task_id": "Seed/1", "n": 4, "c": 1, "pass@1": 0.25}) + "\n")
    with pytest.raises(SystemExit, match="row 1: needs label and pass@4"):
        read_rows(bad, 4)
    with pytest.raises(SystemExit, match="--skip"):
        read_rows(tmp_path, 4)                                             # a directory
    with pytest.raises(SystemExit, match="--skip needs --out"):
        main(["--skip", "data/teacher_passk.jsonl"])
    twin = tmp_path / "twin.jsonl"
    twin.write_text(json.dumps(rows[0]) + "\n")
    with pytest.raises(SystemExit, match=f"{rows[0]['task_id']} is also in an earlier --skip file"):
        main(["--skip", "data/teacher_passk.jsonl", "--skip", str(twin), "--out", str(tmp_path / "o.jsonl"),
              "--set", "teacher.decoding.max_new_tokens=256"])
