"""What the sandbox reports beyond pass/fail: failure details a repair prompt can quote (issue 15) and call
outputs captured as comparable values (issue 16). Every case runs real programs in the sandbox."""

import time

import pytest

from iterkd_lib.sandbox import execution
from iterkd_lib.sandbox.calls import (
    CallsResult,
    add_typing_imports,
    outcomes_agree,
    output_literal,
    outputs_agree,
    run_calls,
)
from iterkd_lib.sandbox.child import TYPING_NAMES
from iterkd_lib.sandbox.execution import check_completion, check_completions, describe_failure

OLD_KEYS = {"passed", "status", "error_type", "message", "failed_assertions", "duration_s"}
TESTS = ("def check(candidate):\n"
         "    assert candidate([1, 2]) == 3\n"
         "    assert 5 == candidate([2, 3])\n"
         "    assert abs(candidate([1.0]) - 1.0) < 1e-9\n"
         "    for i in range(3):\n"
         "        assert candidate([i, i]) == 2 * i, 'pairs'\n")
PROBLEM = {"task_id": "t/0", "prompt": "def total(xs):\n", "entry_point": "total", "test": TESTS}


# --- failure details (issue 15) ---------------------------------------------------------------------------

def test_failed_asserts_carry_call_expected_and_actual():
    v = check_completion(PROBLEM, "    return sum(xs) + 1\n")
    assert set(v) == OLD_KEYS | {"failure_details"}
    assert v["failed_assertions"] == ["assert candidate([1, 2]) == 3", "assert 5 == candidate([2, 3])",
                                      "assert abs(candidate([1.0]) - 1.0) < 1e-9",
                                      "assert candidate([i, i]) == 2 * i, 'pairs'"]
    assert v["failure_details"] == [
        {"assertion": "assert candidate([1, 2]) == 3", "call": "candidate([1, 2])", "expected": "3", "actual": "4"},
        {"assertion": "assert 5 == candidate([2, 3])", "call": "candidate([2, 3])", "expected": "5", "actual": "6"},
        # not an == test: no expected value, the candidate's return value is the actual one
        {"assertion": "assert abs(candidate([1.0]) - 1.0) < 1e-9", "call": "candidate([1.0])", "actual": "2.0"},
        # inside a loop: the arguments as evaluated, and the assert's message
        {"assertion": "assert candidate([i, i]) == 2 * i, 'pairs'", "call": "candidate([0, 0])", "expected": "0",
         "actual": "1", "message": "pairs"},
    ]
    assert (v["status"], v["error_type"], v["message"]) == ("failed", "AssertionError", "pairs")


def test_an_exception_names_the_call_and_the_program_line():
    completion = "    if len(xs) == 1:\n        raise ValueError('one item: ' + repr(xs))\n    return sum(xs)\n"
    v = check_completion(PROBLEM, completion)
    assert (v["status"], v["error_type"], v["message"]) == ("failed", "ValueError", "one item: [1.0]")
    assert v["failure_details"] == [
        {"assertion": "assert abs(candidate([1.0]) - 1.0) < 1e-9", "call": "candidate([1.0])",
         "exception": "ValueError: one item: [1.0]", "line": 3, "code": "raise ValueError('one item: ' + repr(xs))"}]


def test_arguments_are_shown_as_passed_even_if_the_candidate_mutates_them():
    v = check_completion(PROBLEM, "    xs.append(100)\n    return sum(xs)\n")
    assert v["failure_details"][0] == {"assertion": "assert candidate([1, 2]) == 3", "call": "candidate([1, 2])",
                                       "expected": "3", "actual": "103"}


def test_compile_and_load_errors_carry_the_line():
    syntax = check_completion(PROBLEM, "    return sum(xs\n")
    assert syntax["error_type"] == "SyntaxError"
    assert syntax["failure_details"] == [{"exception": syntax["failure_details"][0]["exception"], "line": 2,
                                          "code": "return sum(xs"}]
    problem = {**PROBLEM, "prompt": "def total(xs: Set[int]) -> int:\n"}  # the small-model habit of issue 16
    missing = check_completion(problem, "    return sum(xs)\n")
    assert missing["failure_details"] == [{"exception": "NameError: name 'Set' is not defined", "line": 1,
                                           "code": "def total(xs: Set[int]) -> int:"}]


def test_details_stop_at_five_values_are_cut_and_a_raising_repr_is_survived():
    many = {"task_id": "t/1", "prompt": "def f(n):\n", "entry_point": "f",
            "test": "def check(candidate):\n" + "".join(f"    assert candidate({i}) == {i}\n" for i in range(7))}
    v = check_completion(many, "    return list(range(10000))\n")
    assert len(v["failed_assertions"]) == 7 and len(v["failure_details"]) == 5
    assert all(len(d["actual"]) <= 200 and d["actual"].startswith("[0, 1, 2") for d in v["failure_details"])
    weird = "    class R:\n        def __repr__(self):\n            raise RuntimeError('no')\n    return R()\n"
    v = check_completion(many, weird)
    assert v["failure_details"][0]["actual"] == "<repr failed: RuntimeError>" and len(v["failed_assertions"]) == 7


def test_verdicts_of_passing_programs_are_unchanged_apart_from_the_new_key():
    v = check_completion(PROBLEM, "    return sum(xs)\n")
    assert (v["passed"], v["status"], v["error_type"], v["failed_assertions"], v["failure_details"]) == (
        True, "passed", None, [], [])
    assert v["message"] == "all tests ran to the end"


def test_describe_failure_quotes_the_sandbox():
    v = check_completion(PROBLEM, "    return sum(xs) + 1\n")
    text = describe_failure(v)
    assert text.splitlines()[:5] == ["4 test assertion(s) failed.", "- assert candidate([1, 2]) == 3",
                                     "  call: candidate([1, 2])", "  expected: 3", "  got: 4"]
    assert "assert candidate([i, i])" not in text  # three items by default
    raised = describe_failure(check_completion(PROBLEM, "    raise KeyError('k')\n"))
    assert "raised KeyError: 'k' at line 2: raise KeyError('k')" in raised
    assert describe_failure(check_completion(PROBLEM, "    return sum(xs)\n")) == ""
    timeout = describe_failure(check_completion(PROBLEM, "    while True:\n        pass\n", timeout_s=1.0))
    assert timeout.startswith("The program did not finish in time")


def test_typing_prelude_option_and_the_static_fix():
    problem = {**PROBLEM, "prompt": "def total(xs: List[int]) -> Optional[int]:\n"}
    completion = "    return sum(xs)\n"
    off, on = check_completions([(problem, completion)] * 2, workers=1), None
    on = check_completion(problem, completion, typing_prelude=True)
    assert off[0]["error_type"] == "NameError" and on["passed"] is True
    fixed = add_typing_imports(problem["prompt"] + completion)
    assert fixed.startswith("from typing import List, Optional\n")
    assert check_completion({**problem, "prompt": fixed[: -len(completion)]}, completion)["passed"]
    assert add_typing_imports("from typing import List\ndef f(x: List[int]): ...\n").startswith("from typing import List\ndef")
    assert add_typing_imports("def f(:\n") == "def f(:\n"
    assert execution.TYPING_NAMES == TYPING_NAMES


# --- call outputs (issue 16) ------------------------------------------------------------------------------

VALUES = """
from collections import Counter, namedtuple
P = namedtuple("P", "x y")
def values(k):
    return [1, -2.5, "s", True, None, [1, [2]], (1, 2), {"b": 1, "a": (2,)}, {3, 1, 2}, frozenset({"z"}),
            b"\\x00A", Counter("aab"), P(1, 2), float("nan"), 10 ** 30, set(), ()][k]
"""
EXPECTED = [1, -2.5, "s", True, None, [1, [2]], {"__tuple__": [1, 2]},
            {"__dict__": [["a", {"__tuple__": [2]}], ["b", 1]]}, {"__set__": [1, 2, 3]}, {"__frozenset__": ["z"]},
            {"__bytes__": "0041"}, {"__dict__": [["a", 2], ["b", 1]]}, {"__tuple__": [1, 2]}, {"__float__": "nan"},
            10 ** 30, {"__set__": []}, {"__tuple__": []}]


def test_outputs_come_back_normalised_and_render_back_as_literals():
    (res,) = run_calls([(VALUES, [f"values({k})" for k in range(len(EXPECTED))])], timeout_s=10)
    assert isinstance(res, CallsResult) and res.status == "ok" and not res.unserialisable
    assert [o["value"] for o in res.outcomes] == EXPECTED
    assert all(o["ok"] is True and isinstance(o["repr"], str) for o in res.outcomes)
    # the literals, evaluated in the sandbox, normalise back to the same values
    finite = [v for v in EXPECTED if v != {"__float__": "nan"}]
    (back,) = run_calls([("", [output_literal(v) for v in finite])])
    assert [o["value"] for o in back.outcomes] == finite
    assert [output_literal(v) for v in ({"__tuple__": [1]}, {"__set__": []}, {"__frozenset__": ["z"]},
                                        {"__float__": "nan"}, {"__dict__": [["a", {"__tuple__": []}]]})] == [
        "(1,)", "set()", "frozenset({'z'})", 'float("nan")', "{'a': ()}"]
    with pytest.raises(ValueError, match="unknown tag"):
        output_literal({"__object__": 1})
    assert res.to_dict()["outcomes"][0]["value"] == 1 and res.nondeterministic is None and res.runs == 1


def test_exceptions_are_outcomes_and_the_other_calls_still_run():
    program = "def f(x):\n    if x < 0:\n        raise ValueError(f'negative: {x}')\n    return x * 2\n"
    (res,) = run_calls([(program, ["f(1)", "f(-3)", "f(", "g(1)", "f(2)"])])
    assert res.status == "ok"
    ok1, bad, syntax, name, ok2 = res.outcomes
    assert (ok1["value"], ok2["value"]) == (2, 4)
    assert {k: bad[k] for k in ("ok", "error_type", "exception", "line", "code")} == {
        "ok": False, "error_type": "ValueError", "exception": "ValueError: negative: -3", "line": 3,
        "code": "raise ValueError(f'negative: {x}')"}
    assert syntax["error_type"] == "SyntaxError" and name["error_type"] == "NameError"
    assert outcomes_agree(bad, {"ok": False, "error_type": "ValueError", "exception": "ValueError: other"})
    assert not outcomes_agree(bad, ok1)


def test_an_infinite_loop_times_out_that_call_only():
    program = ("def f(x):\n    while x:\n        pass\n    return 0\n"
               "def stubborn(x):\n    while True:\n        try:\n            while True:\n                pass\n"
               "        except BaseException:\n            pass\n"
               "def leave():\n    import os\n    os._exit(3)\n")
    t0 = time.monotonic()
    (res,) = run_calls([(program, ["f(1)", "f(0)", "stubborn(1)", "f(0)", "leave()", "f(0)"])],
                       timeout_s=2.0, call_timeout_s=0.5)
    assert time.monotonic() - t0 < 15
    loop, ok, stuck, ok2, gone, ok3 = res.outcomes
    assert (loop["ok"], loop["timeout"], loop["error_type"]) == (False, True, "TimeoutError")
    assert 0.5 <= loop["duration_s"] < 1.5
    # stubborn() swallows the alarm: the whole program times out and is restarted after that call
    assert (stuck["timeout"], stuck["error_type"]) == (True, "TimeoutError") and "whole program" in stuck["exception"]
    assert gone["ok"] is False and gone["error_type"] == "EarlyExit"
    assert [o["value"] for o in (ok, ok2, ok3)] == [0, 0, 0] and res.status == "ok"


def test_program_level_failures_mark_every_call_not_run():
    syntax, raises, slow = run_calls([("def f(:\n", ["f(1)", "f(2)"]), ("raise RuntimeError('top')\n", ["f(1)"]),
                                      ("import time\ntime.sleep(60)\n", ["f(1)"])], timeout_s=1.0)
    assert (syntax.status, syntax.error_type) == ("program_error", "SyntaxError")
    assert all(o["not_run"] and o["line"] == 1 for o in syntax.outcomes) and len(syntax.outcomes) == 2
    assert (raises.status, raises.error_type, raises.message) == ("program_error", "RuntimeError", "top")
    assert (slow.status, slow.outcomes[0]["not_run"]) == ("timeout", True)


def test_repeat_flags_nondeterminism():
    program = ("import random, time\n"
               "def rand():\n    return random.random()\n"
               "def ident():\n    return id(object())\n"
               "def order():\n    return list({f'k{i}' for i in range(20)})\n"
               "def fixed(x):\n    return sorted({f'k{i}' for i in range(x)})\n")
    calls = ["rand()", "ident()", "order()", "fixed(5)"]
    (once,) = run_calls([(program, calls)])
    twice, steady = run_calls([(program, calls), ("def f(x):\n    return x / 3\n", ["f(1)", "f(2)"])], repeat=2)
    assert once.nondeterministic is None
    assert twice.nondeterministic is True and twice.differing_calls == [0, 1, 2] and twice.runs == 2
    assert steady.nondeterministic is False and steady.differing_calls == []


def test_floats_agree_within_tolerance_and_types_matter():
    a, b = run_calls([("def f():\n    return [0.1 + 0.2, 2]\n", ["f()"]),
                      ("def f():\n    return [0.3, 2.0]\n", ["f()"])])
    assert outcomes_agree(a.outcomes[0], b.outcomes[0])
    assert a.outcomes[0]["value"] != b.outcomes[0]["value"]  # not equal as stored, only within tolerance
    assert not outputs_agree(0.3, 0.31) and outputs_agree(1e-12, 0.0) and not outputs_agree(1e-12, 0.0, abs_tol=0)
    assert not outputs_agree(True, 1) and not outputs_agree([1, 2], {"__tuple__": [1, 2]})
    assert outputs_agree({"__set__": [1.0, 2.0]}, {"__set__": [1, 2.0000000001]})
    assert not outputs_agree({"__set__": [1]}, {"__frozenset__": [1]})


def test_unserialisable_outputs_are_marked_and_never_agree():
    program = ("def gen():\n    return (i for i in range(3))\n"
               "def fn():\n    return len\n"
               "class C:\n    pass\n"
               "def obj():\n    return C()\n"
               "def loop():\n    x = []\n    x.append(x)\n    return x\n"
               "def huge():\n    return list(range(100000))\n")
    (res,) = run_calls([(program, ["gen()", "fn()", "obj()", "loop()", "huge()"])])
    assert [o.get("unserialisable") for o in res.outcomes] == ["generator", "builtin_function_or_method", "C",
                                                               "too_deep", "too_large"]
    assert all(o["ok"] for o in res.outcomes) and res.unserialisable is True
    assert not outcomes_agree(res.outcomes[0], res.outcomes[0])
    assert res.outcomes[4]["repr"].startswith("[0, 1, 2") and len(res.outcomes[4]["repr"]) <= 200
    assert res.outcomes[0]["repr"] == "<generator object gen.<locals>.<genexpr>>"  # no address: same every run


def test_calls_are_isolated_like_checked_programs():
    program = ("import socket\n"
               "def net():\n    socket.create_connection(('1.1.1.1', 53), timeout=1)\n"
               "def mem():\n    return len([0] * (10 ** 10))\n"
               "def fine():\n    return 'ok'\n")
    (res,) = run_calls([(program, ["net()", "mem()", "fine()"])], memory_mb=256)
    net, mem, fine = res.outcomes
    assert net["ok"] is False and net["error_type"] in ("OSError", "TimeoutError")
    assert mem["error_type"] == "MemoryError" and fine["value"] == "ok"


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="repeat"):
        run_calls([("", ["1"])], repeat=0)
    with pytest.raises(ValueError, match="pair 0"):
        run_calls([("", [1])])


def test_a_restarted_repeat_keeps_its_own_hash_seed():
    """repeat=2 runs the second copy under hash seed HASH_SEED + 1; when that copy's process ends mid-way and is
    restarted from the next call (only repeat 1 left pending), the restart must not land on a default-seed
    server. h() shows the seed: it differs between the copies only if the restart kept seed 1."""
    program = ("import os\n"
               "def g():\n    if os.environ.get('PYTHONHASHSEED') == '1':\n        os._exit(3)\n    return 0\n"
               "def h():\n    return os.environ.get('PYTHONHASHSEED')\n")
    (res,) = run_calls([(program, ["g()", "h()"])], repeat=2)
    assert res.outcomes[1]["value"] == "0"  # the first copy: seed 0
    assert res.nondeterministic is True and res.differing_calls == [0, 1]
