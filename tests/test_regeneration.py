"""New questions: parsing the teacher's layout, each rejection reason for the right cause, the stage, next pool."""

from __future__ import annotations

import functools

import pytest

from iterkd_lib.config import IterKDConfig
from iterkd_lib.prompts import QUESTION_MARKER as MARKER
from iterkd_lib.prompts import question_messages
from iterkd_lib.sandbox.execution import check_completions
from iterkd_lib.stages.new_questions import Embedder, parse_question, regenerate_questions, validate_question
from iterkd_lib.stages.pool import next_pool

EXECUTE = functools.partial(check_completions, timeout_s=5.0, memory_mb=512, workers=2)

POOL = [
    {"task_id": "Seed/0", "domain": "strings", "prompt": 'def count_vowels(s: str) -> int:\n    """Return how many '
     'vowels (a, e, i, o, u, either case) the string s contains.\n    >>> count_vowels("Hello")\n    2\n    """\n',
     "entry_point": "count_vowels", "test": "def check(candidate):\n    assert candidate('Hello') == 2\n"},
    {"task_id": "Seed/1", "domain": "lists", "prompt": 'def running_max(xs: list) -> list:\n    """Return the list '
     'of running maxima of xs.\n    >>> running_max([1, 3, 2])\n    [1, 3, 3]\n    """\n',
     "entry_point": "running_max", "test": "def check(candidate):\n    assert candidate([1, 3, 2]) == [1, 3, 3]\n"},
]


def reply(prompt: str, tests: str, solution: str, entry: str, preamble: str = "") -> str:
    return (f"{preamble}{MARKER}\nENTRY POINT: {entry}\nPROMPT:\n```python\n{prompt}```\nTESTS:\n```python\n"
            f"{tests}```\nSOLUTION:\n```python\n{solution}```\n")


GOOD = reply(
    'def longest_vowel_run(s: str) -> int:\n    """Return the length of the longest run of consecutive vowels\n'
    '    (a, e, i, o, u, either case) in s; 0 when s has none.\n    >>> longest_vowel_run("beautiful")\n    3\n'
    '    """\n',
    "def check(candidate):\n    assert candidate('beautiful') == 3\n    assert candidate('') == 0\n"
    "    assert candidate('rhythm') == 0\n    assert candidate('AEIx') == 3\n    assert candidate('queue') == 4\n",
    "def longest_vowel_run(s: str) -> int:\n    best = cur = 0\n    for ch in s.lower():\n"
    "        cur = cur + 1 if ch in 'aeiou' else 0\n        best = max(best, cur)\n    return best\n",
    "longest_vowel_run", preamble="Here is a new exercise for the student.\n\n")

FAILING_REFERENCE = reply(
    'def second_largest(xs: list) -> int:\n    """Return the second largest distinct value in xs.\n'
    '    >>> second_largest([4, 1, 4, 3])\n    3\n    """\n',
    "def check(candidate):\n    assert candidate([4, 1, 4, 3]) == 3\n    assert candidate([10, 9]) == 9\n"
    "    assert candidate([-1, -5, -3]) == -3\n",
    "def second_largest(xs: list) -> int:\n    return sorted(xs)[-2]\n",  # ignores "distinct": 4, not 3
    "second_largest")

TRIVIAL_TESTS = reply(
    'def dedupe_sorted(xs: list) -> list:\n    """Remove repeated neighbours from the sorted list xs.\n'
    '    >>> dedupe_sorted([1, 2, 3])\n    [1, 2, 3]\n    """\n',
    "def check(candidate):\n    assert candidate([1, 2, 3]) == [1, 2, 3]\n    assert candidate([5]) == [5]\n"
    "    assert candidate([]) == []\n",  # every test input is already free of repeats
    "def dedupe_sorted(xs: list) -> list:\n    out = []\n    for x in xs:\n        if not out or out[-1] != x:\n"
    "            out.append(x)\n    return out\n",
    "dedupe_sorted")

DUPLICATE = reply(  # Seed/0 with one word changed
    'def count_vowels(s: str) -> int:\n    """Return how many vowels (a, e, i, o, u, any case) the string s '
    'contains.\n    >>> count_vowels("Hello")\n    2\n    """\n',
    "def check(candidate):\n    assert candidate('Hello') == 2\n    assert candidate('') == 0\n"
    "    assert candidate('xyz') == 0\n    assert candidate('AEIOU') == 5\n",
    "def count_vowels(s: str) -> int:\n    return sum(ch in 'aeiouAEIOU' for ch in s)\n",
    "count_vowels")

CONTAMINATED = reply(  # HumanEval/0, as a teacher that memorised it would write it
    'from typing import List\n\n\ndef has_close_elements(numbers: List[float], threshold: float) -> bool:\n'
    '    """ Check if in given list of numbers, are any two numbers closer to each other than\n'
    '    given threshold.\n    >>> has_close_elements([1.0, 2.0, 3.0], 0.5)\n    False\n'
    '    >>> has_close_elements([1.0, 2.8, 3.0, 4.0, 5.0, 2.0], 0.3)\n    True\n    """\n',
    "def check(candidate):\n    assert candidate([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3) == True\n"
    "    assert candidate([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.05) == False\n"
    "    assert candidate([1.0, 2.0, 5.9, 4.0, 5.0], 0.95) == True\n",
    "from typing import List\n\n\ndef has_close_elements(numbers: List[float], threshold: float) -> bool:\n"
    "    for idx, elem in enumerate(numbers):\n        for idx2, elem2 in enumerate(numbers):\n"
    "            if idx != idx2:\n                distance = abs(elem - elem2)\n"
    "                if distance < threshold:\n                    return True\n\n    return False\n",
    "has_close_elements")

UNPARSEABLE = [
    "Sure! Here's a question: write a function that reverses a string.",  # no marker
    f"{MARKER}\nENTRY POINT: f\nPROMPT:\n```python\ndef f(x):\n    \"\"\"Double x.\"\"\"\n```\n",  # no tests
    reply("def f(x):\n    return 2 * x\n", "def check(candidate):\n    assert candidate(1) == 2\n",
          "def f(x):\n    return 2 * x\n", "f"),  # prompt without docstring
    reply('def f(x):\n    """Double x."""\n', "def check(candidate):\n    candidate(1)\n",
          "def f(x):\n    return 2 * x\n", "f"),  # check without asserts
]


@pytest.fixture(scope="module")
def cfg():
    c = IterKDConfig()
    c.regeneration.embedding_sim_max = 0.0  # the embedding check has its own test (model load costs seconds)
    return c


def test_parse_cuts_body_from_prompt_and_finds_entry_point():
    q, why = parse_question(GOOD)
    assert why == "" and q["entry_point"] == "longest_vowel_run"
    assert q["prompt"].rstrip().endswith('"""') and "best" not in q["prompt"]
    assert q["test"].startswith("def check(candidate):") and q["args"] == ["s"]
    body_in_prompt = GOOD.replace('    """\n```\nTESTS', '    """\n    return 0\n```\nTESTS')
    assert "return 0" not in parse_question(body_in_prompt)[0]["prompt"]


@pytest.mark.parametrize("text", UNPARSEABLE)
def test_unparseable(text, cfg):
    q, why = parse_question(text)
    assert q is None and why
    ok, reason, detail = validate_question(q, POOL, cfg, EXECUTE, None, why)
    assert (ok, reason, detail) == (False, "unparseable", why)


@pytest.mark.parametrize("text, reason, detail_part", [
    (FAILING_REFERENCE, "reference_fails", "AssertionError"),
    (TRIVIAL_TESTS, "trivial_tests", "return xs"),
    (DUPLICATE, "near_duplicate", "Seed/0"),
    (CONTAMINATED, "contaminated", "HumanEval"),
])
def test_each_rejection_reason(text, reason, detail_part, cfg):
    q, _ = parse_question(text)
    assert q is not None
    ok, got, detail = validate_question(q, POOL, cfg, EXECUTE)
    assert (ok, got) == (False, reason), detail
    assert detail_part in detail


def test_good_question_is_accepted(cfg):
    q, _ = parse_question(GOOD)
    assert validate_question(q, POOL, cfg, EXECUTE) == (True, "", "")


def test_embedding_catches_a_paraphrase_that_rouge_misses(cfg):
    import dataclasses

    paraphrase = reply(
        'def count_vowels(text: str) -> int:\n    """Count the vowel letters a e i o u in text, ignoring '
        'case.\n    >>> count_vowels("Hello")\n    2\n    """\n',
        "def check(candidate):\n    assert candidate('Hello') == 2\n    assert candidate('') == 0\n"
        "    assert candidate('xyz') == 0\n    assert candidate('AEIOU') == 5\n",
        "def count_vowels(text: str) -> int:\n    return sum(ch in 'aeiouAEIOU' for ch in text)\n",
        "count_vowels")
    q, _ = parse_question(paraphrase)
    default = IterKDConfig().regeneration.embedding_sim_max  # measured: cosine 0.955, ROUGE-L 0.59
    strict = dataclasses.replace(cfg, regeneration=dataclasses.replace(cfg.regeneration, embedding_sim_max=default))
    assert validate_question(q, POOL, cfg, EXECUTE)[0] is True  # ROUGE-L alone lets it through
    ok, reason, detail = validate_question(q, POOL, strict, EXECUTE, Embedder())
    assert (ok, reason) == (False, "near_duplicate") and "embedding cosine" in detail


class ScriptedTeacher:
    """Replays canned replies in order (unit-test stand-in for a teacher backend)."""

    def __init__(self, replies):
        self.replies, self.calls = list(replies), []

    def chat(self, messages_list, decoding, seed, n=1):
        self.calls.append((messages_list, seed))
        return [[self.replies.pop(0)] for _ in messages_list]

    def describe(self):
        return {"model": "scripted", "backend": "test"}


def test_regenerate_questions_records_reasons_and_rates(cfg):
    cfg.regeneration.per_level = {"easy": 1, "medium": 0, "hard": 2}
    levels = [{"task_id": "Seed/0", "level": "easy"}, {"task_id": "Seed/1", "level": "hard"}]
    # Round 1 asks both levels in one batch: easy GOOD (accepted), hard GOOD again (now a duplicate of the
    # accepted one) and TRIVIAL; round 2 asks hard for 2 -> FAILING, garbage; budget 4 spent -> 0 accepted.
    teacher = ScriptedTeacher([GOOD, GOOD, TRIVIAL_TESTS, FAILING_REFERENCE, "no idea"])
    accepted, rejected, stats = regenerate_questions(levels, POOL, teacher, cfg, 11, 3, EXECUTE)
    assert [a["task_id"] for a in accepted] == ["Gen/c3/0"]
    a = accepted[0]
    assert (a["source"], a["origin_cycle"], a["parent_task_id"], a["prompt_kind"]) == ("generated", 3, "Seed/0",
                                                                                         "breadth")
    assert a["domain"] == "strings" and a["teacher"]["model"] == "scripted"
    assert EXECUTE([(a, a["canonical_solution"])])[0]["passed"]  # usable as a problem record as it stands
    assert [r["reason"] for r in rejected] == ["near_duplicate", "trivial_tests", "reference_fails", "unparseable"]
    assert all(r["parent_level"] == "hard" and r["prompt_kind"] == "depth" for r in rejected)
    assert stats["easy"]["acceptance_rate"] == 1.0 and stats["hard"]["acceptance_rate"] == 0.0
    assert stats["hard"]["requests"] == 4 and stats["medium"]["requests"] == 0
    seeds = [s for _, s in teacher.calls]
    assert len(seeds) == len(set(seeds)) == 2
    assert [len(msgs) for msgs, _ in teacher.calls] == [3, 2]  # one batch per round, across levels
    assert "longest_vowel_run" in teacher.calls[1][0][0][-1]["content"]  # the retry names what was written


def test_next_pool_policy():
    from iterkd_lib.config import IterKDConfig

    c = IterKDConfig()
    pool = [{"task_id": f"P/{i}", "prompt": ""} for i in range(4)]
    levels = [{"task_id": "P/0", "level": "easy"}, {"task_id": "P/1", "level": "medium"},
              {"task_id": "P/2", "level": "hard"}, {"task_id": "P/3", "level": "hard"}]
    new = [{"task_id": "Gen/c1/0", "prompt": "", "raw": "...", "seed": 1}]
    out = next_pool(pool, levels, new, c, 2)
    assert [p["task_id"] for p in out] == ["Gen/c1/0", "P/2", "P/3", "P/1"]
    assert "raw" not in out[0] and out[1]["pool_reason"] == "retained hard" and out[0]["pool_cycle"] == 2
    c.regeneration.keep_hard = False
    assert [p["task_id"] for p in next_pool(pool, levels, new, c, 2)] == ["Gen/c1/0", "P/1"]
    c.data.max_pool = 1
    assert [p["task_id"] for p in next_pool(pool, levels, new, c, 2)] == ["Gen/c1/0"]
    all_easy = [{"task_id": p["task_id"], "level": "easy"} for p in pool]
    kept = next_pool(pool, all_easy, [], c, 2)
    assert [p["task_id"] for p in kept] == ["P/0"] and "previous pool kept" in kept[0]["pool_reason"]


def test_prompts_differ_by_kind_and_carry_the_parent():
    breadth = question_messages(POOL[0], "breadth")[-1]["content"]
    depth = question_messages(POOL[0], "depth")[-1]["content"]
    assert breadth != depth and "count_vowels" in breadth and MARKER in depth


def test_prose_prompt_is_rebuilt_from_the_solution_signature():
    """Qwen2.5-Coder-1.5B mostly wrote the PROMPT section as prose; the signature comes from the solution."""
    raw = reply("Return how many upper-case letters the string s contains.\n>>> count_upper('AbC')\n2\n",
                "def check(candidate):\n    assert candidate('AbC') == 2\n    assert candidate('') == 0\n",
                "from typing import List\n\ndef count_upper(s: str) -> int:\n    return sum(c.isupper() for c in s)\n",
                "count_upper")
    q, why = parse_question(raw)
    assert why == "" and q["entry_point"] == "count_upper"
    assert q["prompt"].startswith("from typing import List\n\ndef count_upper(s: str) -> int:\n    \"\"\"")
    assert "Return how many upper-case letters" in q["prompt"] and "return sum" not in q["prompt"]
    verdict = EXECUTE([({"task_id": "t", **q}, "    return sum(c.isupper() for c in s)\n")])[0]
    assert verdict["passed"], verdict


def test_a_misnamed_entry_point_resolves_to_the_solutions_only_function():
    """Seen in the demo: ENTRY POINT named a function that the solution (one function) did not define."""
    raw = reply("Interleave two strings one character at a time, longer one first.\n",
                "def check(candidate):\n    assert candidate('ab', 'xyz') == 'xaybz'\n    assert candidate('', 'q') == 'q'\n",
                "def weave_longer_first(a: str, b: str) -> str:\n    if len(a) < len(b):\n        a, b = b, a\n"
                "    out = [x + y for x, y in zip(a, b)]\n    return ''.join(out) + a[len(b):]\n",
                "weave_longest_first")
    q, why = parse_question(raw)
    assert why == "" and q["entry_point"] == "weave_longer_first"
    assert q["prompt"].startswith("def weave_longer_first(a: str, b: str) -> str:")
    two = reply("Say hi.\n", "def check(c):\n    assert c() == 1\n",
                "def a():\n    return 1\n\ndef b():\n    return a()\n", "nope")
    q, why = parse_question(two)  # two functions: no guessing, the stated name stays and the question is refused
    assert q is None and why


def test_drop_failing_asserts_keeps_a_question_whose_teacher_got_one_expected_value_wrong(cfg):
    # 'queue' has a run of 4 vowels; the "teacher" wrote 3. The reference is right, so that assert goes.
    wrong_value = GOOD.replace("assert candidate('queue') == 4", "assert candidate('queue') == 3")
    q, why = parse_question(wrong_value)
    assert why == ""
    ok, reason, _ = validate_question(dict(q), [], cfg, EXECUTE)
    assert (ok, reason) == (False, "reference_fails")  # off by default
    cfg.regeneration.drop_failing_asserts = True
    repaired = dict(q)
    ok, reason, _ = validate_question(repaired, [], cfg, EXECUTE)
    assert (ok, reason) == (True, "")
    assert repaired["tests_dropped"] == ["assert candidate('queue') == 3"]
    assert "queue" not in repaired["test"] and repaired["test"].count("assert") == 4
    # FAILING_REFERENCE fails 1 of 3 asserts: dropping it would leave 2 < min_asserts = 3
    q2, _ = parse_question(FAILING_REFERENCE)
    assert validate_question(q2, [], cfg, EXECUTE)[1] == "reference_fails" and "tests_dropped" not in q2


def test_drop_asserts_refuses_majorities_and_non_assertion_failures():
    from iterkd_lib.stages.new_questions import drop_asserts

    test = "def check(candidate):\n" + "".join(f"    assert candidate({i}) == {i}\n" for i in range(4))
    one = {"error_type": "AssertionError", "failed_assertions": ["assert candidate(2) == 2"]}
    kept, dropped = drop_asserts(test, one, 3)
    assert dropped == ["assert candidate(2) == 2"] and "candidate(2)" not in kept and kept.count("assert") == 3
    two = {"error_type": "AssertionError", "failed_assertions": ["assert candidate(0) == 0", "assert candidate(1) == 1"]}
    assert drop_asserts(test, two, 1) is None                      # half failed: the reference is suspect
    assert drop_asserts(test, {**one, "error_type": "NameError"}, 1) is None
    assert drop_asserts(test, {**one, "failed_assertions": ["assert other()"]}, 1) is None  # not found
    assert drop_asserts(test, one, 4) is None                      # too few would remain


def test_a_question_near_a_held_out_problem_is_rejected(cfg):
    cfg.regeneration.per_level = {"easy": 1, "medium": 0, "hard": 0}
    cfg.regeneration.max_tries_factor = 1
    levels = [{"task_id": "Seed/0", "level": "easy"}]
    held = [{"task_id": "Seed/held", "prompt": parse_question(GOOD)[0]["prompt"]}]
    accepted, rejected, _ = regenerate_questions(levels, POOL, ScriptedTeacher([GOOD]), cfg, 11, 3, EXECUTE,
                                                 held_out=held)
    assert accepted == [] and rejected[0]["reason"] == "near_duplicate" and "Seed/held" in rejected[0]["detail"]
