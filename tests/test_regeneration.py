"""New questions: parsing the teacher's layout, agreement-validated tests (the sandbox runs the recorded-style
replies of stage3_replies.py for real), each rejection reason for the right cause, the stage, next pool."""

from __future__ import annotations

import functools

import pytest
from stage3_replies import (
    DEDUPE,
    DIGIT_SUM,
    DIGIT_SUM_SOLUTIONS,
    EVENS,
    MEANS,
    MEANS_SOLUTIONS,
    SECOND_LARGEST,
    SECOND_LARGEST_SOLUTIONS,
    SHUFFLED,
    SOLUTIONS,
    TWO_READINGS,
    VOWEL_RUN,
    VOWEL_RUN_SOLUTIONS,
    WRONG_EXAMPLE,
    ScriptedTeacher,
    fenced,
    question,
)

from iterkd_lib.config import IterKDConfig
from iterkd_lib.question_prompts import QUESTION_MARKER, question_messages, question_solution_messages
from iterkd_lib.sandbox.execution import check_completions
from iterkd_lib.scoring.agreed_tests import rewrite_examples, trivial_bodies
from iterkd_lib.scoring.agreement_vote import summarise_agreement
from iterkd_lib.scoring.docstrings import drop_examples, strip_examples
from iterkd_lib.scoring.novelty import Embedder, check_text
from iterkd_lib.scoring.question_parser import (
    _PLACEHOLDER,
    docstring_examples,
    parse_inputs,
    parse_question,
    parse_reply,
)
from iterkd_lib.stages.new_questions import regenerate_questions
from iterkd_lib.stages.pool import next_pool
from iterkd_lib.stages.student_attempts import student_attempts

EXECUTE = functools.partial(check_completions, timeout_s=5.0, memory_mb=512, workers=2)

POOL = [
    {"task_id": "Seed/0", "domain": "strings", "prompt": 'def count_vowels(s: str) -> int:\n    """Return how many '
     'vowels (a, e, i, o, u, either case) the string s contains.\n    >>> count_vowels("Hello")\n    2\n    """\n',
     "entry_point": "count_vowels", "test": "def check(candidate):\n    assert candidate('Hello') == 2\n"},
    {"task_id": "Seed/1", "domain": "lists", "prompt": 'def running_max(xs: list) -> list:\n    """Return the list '
     'of running maxima of xs.\n    >>> running_max([1, 3, 2])\n    [1, 3, 3]\n    """\n',
     "entry_point": "running_max", "test": "def check(candidate):\n    assert candidate([1, 3, 2]) == [1, 3, 3]\n"},
]
LEVELS = [{"task_id": "Seed/0", "level": "easy"}, {"task_id": "Seed/1", "level": "hard"}]


def make_cfg(**regeneration):
    c = IterKDConfig()
    c.regeneration.embedding_sim_max = 0.0  # the embedding check has its own test (model load costs seconds)
    c.execution.memory_mb = 512
    for k, v in regeneration.items():
        setattr(c.regeneration, k, v)
    return c


def run_stage(replies, per_level=None, **regeneration):
    """Stage III on scripted replies: one easy parent asking for len(replies) questions in one round."""
    cfg = make_cfg(per_level=per_level or {"easy": len(replies), "medium": 0, "hard": 0}, max_tries_factor=1,
                   **regeneration)
    teacher = ScriptedTeacher(replies)
    accepted, rejected, stats = regenerate_questions(LEVELS, POOL, teacher, cfg, 11, 3, EXECUTE)
    return accepted, rejected, stats, teacher


@pytest.fixture(scope="module")
def all_cases():
    """One round over every recorded question (one sandbox batch for all of them)."""
    return run_stage([VOWEL_RUN, SECOND_LARGEST, DIGIT_SUM, SHUFFLED, MEANS, EVENS, DEDUPE])


def by_entry(records):
    return {r["entry_point"]: r for r in records}


# --------------------------------------------------------------------------------------------- parsing

def test_parse_question_reads_prompt_inputs_examples_and_the_written_solution():
    q, why = parse_question(VOWEL_RUN)
    assert why == "" and q["entry_point"] == "longest_vowel_run" and q["args"] == ["s"]
    assert q["prompt"].rstrip().endswith('"""') and "best" not in q["prompt"]
    assert q["inputs"][0] == 'longest_vowel_run("beautiful")' and len(q["inputs"]) == 6  # the example is input 0
    assert q["expectations"] == [
        {"call": 'longest_vowel_run("beautiful")', "expected": "3", "source": "docstring"},
        {"call": 'longest_vowel_run("queue")', "expected": "3", "source": "inputs"}]  # the comment: kept, not trusted
    assert q["solution"].startswith("def longest_vowel_run")
    body_in_prompt = VOWEL_RUN.replace('    """\n```\nINPUTS', '    """\n    return 0\n```\nINPUTS')
    assert "return 0" not in parse_question(body_in_prompt)[0]["prompt"]


def test_parse_inputs_takes_calls_only_and_unwraps_common_wrappers():
    calls, bad = parse_inputs("f(1)\n>>> f(2)\nassert f(3) == 9\nprint(f(4))\n# a comment\nx = f(5)\ng(6)\n"
                              "f(7)  # -> 49\nf([1, (2, 3)], key='a')\n\nf(8) returns 64\n", "f")
    assert calls == [("f(1)", None), ("f(2)", None), ("f(3)", "9"), ("f(4)", None), ("f(7)", "49"),
                     ("f([1, (2, 3)], key='a')", None), ("f(8)", "64")]
    assert bad == 2  # the assignment and the call of another function
    # the layout's placeholder name taken literally (seen from the 1.5B teacher)
    assert parse_inputs("name('strength')\nname('')\n", "longest_run") == ([("longest_run('strength')", None),
                                                                             ("longest_run('')", None)], 0)


def test_docstring_examples_in_both_styles():
    doc = ("Sum it.\n>>> f([1, 2])\n3\n>>> sorted(f([0]))\n[0]\nFor example f([4]) -> 4, and f([]) returns 0.\n"
           ">>> f([9])\n>>> f([1])\n1\nCall f(x) to get the sum.\n")
    assert docstring_examples(doc, "f") == [("f([1, 2])", "3"), ("f([4])", "4"), ("f([])", "0"), ("f([9])", None),
                                           ("f([1])", "1")]


@pytest.mark.parametrize("text", [
    "Sure! Here's a question: write a function that reverses a string.",  # no marker
    f"{QUESTION_MARKER}\nENTRY POINT: f\nPROMPT:\n```python\ndef f(x):\n    \"\"\"Double x.\"\"\"\n```\n",  # no inputs
    question("f", "def f(x):\n    return 2 * x\n", "f(1)\n", "def f(x):\n    return 2 * x\n"),  # no docstring
    question("f", 'def f(x):\n    """Double x."""\n', "x = 3\ng(1)\n", "def f(x):\n    return 2 * x\n"),  # no call
])
def test_unparseable(text):
    q, why = parse_question(text)
    assert q is None and why


def test_unparseable_is_a_recorded_reason():
    _, rejected, stats, _ = run_stage(["no layout at all"])
    assert [r["reason"] for r in rejected] == ["unparseable"] and stats["easy"]["rejected"] == {"unparseable": 1}


def test_prose_prompt_is_rebuilt_from_the_written_solution_signature():
    """Qwen2.5-Coder-1.5B mostly wrote the PROMPT section as prose; the signature comes from the solution."""
    raw = question("count_upper", "Return how many upper-case letters the string s contains.\n>>> count_upper('AbC')\n2\n",
                   "count_upper('AbC')\ncount_upper('')\n",
                   "def count_upper(s: str) -> int:\n    return sum(c.isupper() for c in s)\n")
    q, why = parse_question(raw)
    assert why == "" and q["prompt"].startswith("def count_upper(s: str) -> int:\n    \"\"\"")
    assert "Return how many upper-case letters" in q["prompt"] and "return sum" not in q["prompt"]
    assert q["expectations"] == [{"call": "count_upper('AbC')", "expected": "2", "source": "docstring"}]


def test_a_misnamed_entry_point_resolves_to_the_solutions_only_function():
    raw = question("weave_longest_first", "Interleave two strings one character at a time, longer one first.\n",
                   "weave_longer_first('ab', 'xyz')\n",
                   "def weave_longer_first(a: str, b: str) -> str:\n    if len(a) < len(b):\n        a, b = b, a\n"
                   "    out = [x + y for x, y in zip(a, b)]\n    return ''.join(out) + a[len(b):]\n")
    q, why = parse_question(raw)
    assert why == "" and q["entry_point"] == "weave_longer_first" and q["inputs"] == ["weave_longer_first('ab', 'xyz')"]


def test_missing_typing_import_is_added_to_prompt_and_candidates():
    q, _ = parse_question(MEANS.replace("from typing import List\n\n", ""))
    assert q["prompt"].startswith("from typing import List\n")


def test_prompts_differ_by_kind_ask_for_inputs_and_solutions_see_only_the_prompt():
    breadth = question_messages(POOL[0], "breadth", n_inputs=7)[-1]["content"]
    depth = question_messages(POOL[0], "depth")[-1]["content"]
    assert breadth != depth and "count_vowels" in breadth and QUESTION_MARKER in depth
    assert "7 calls" in breadth and "INPUTS:" in breadth and "no results" in breadth
    q, _ = parse_question(VOWEL_RUN)
    solve = question_solution_messages(q)[-1]["content"]
    assert q["prompt"].strip() in solve and "rhythm" not in solve and "best = cur" not in solve


def _prompt_example(content: str) -> str:
    """The worked example as the prompt shows it (what a teacher that echoes it replies)."""
    return content.split("--- example of the format (an unrelated exercise) ---\n")[1].split("--- end of the")[0]


def test_question_prompt_shows_one_worked_example_and_no_placeholder_lines():
    content = question_messages(POOL[1], "depth", n_inputs=8)[-1]["content"]
    assert not [ln for ln in content.splitlines() if ln.strip().startswith("<")]
    assert _PLACEHOLDER.search(content) is None and "<function name>" not in content
    example = _prompt_example(content)
    assert example.startswith(QUESTION_MARKER + "\nENTRY POINT: chunk_sums\nPROMPT:\n```python\n")
    assert example.count("```python") == 3 and "8 calls of your new function" in content
    # the example is a correct question of its own: its docstring examples pass its solution (in the sandbox)
    ex, reason, _ = parse_reply(example.replace("chunk_sums", "chunk_totals"))  # renamed, else it is a copy
    assert reason == "" and len(ex["inputs"]) == 7
    assert [x["expected"] for x in ex["expectations"]] == ["[5, 10, 3]", "[]"]
    problem = {"prompt": ex["prompt"], "entry_point": "chunk_totals",
               "test": "def check(candidate):\n" + "".join(f"    assert candidate{x['call'][len('chunk_totals'):]} == "
                                                           f"{x['expected']}\n" for x in ex["expectations"])}
    body = ex["solution"].split(":\n", 1)[1]
    assert EXECUTE([(problem, body), (problem, "    return []\n")])[0]["passed"]


def test_a_reply_that_echoes_the_example_is_rejected_as_copied():
    content = question_messages(POOL[0], "breadth")[-1]["content"]
    echo = "Sure, here is the exercise:\n" + _prompt_example(content)
    assert parse_reply(echo)[:2] == (None, "copied_example")
    assert "chunk_sums" in parse_reply(echo)[2]
    # only the entry point kept (the wording changed a little): still the example
    assert parse_reply(echo.replace("Cut values into", "Split values into"))[1] == "copied_example"
    # the example first, then a question of its own: the own one is read
    q, reason, _ = parse_reply(echo + "\n" + VOWEL_RUN)
    assert reason == "" and q["entry_point"] == "longest_vowel_run"
    _, rejected, stats, _ = run_stage([echo])
    assert [r["reason"] for r in rejected] == ["copied_example"] and stats["easy"]["rejected"] == {"copied_example": 1}


# Recorded-style replies to the older placeholder layout (LOG.md, issue 14): (a) the layout echoed whole,
# (b) a real prompt but the INPUTS placeholder echoed instead of calls.
ECHOED_LAYOUT = (f"{QUESTION_MARKER}\nENTRY POINT: <function name>\nPROMPT:\n```python\n<imports, then the function "
                 "signature with a docstring that says exactly what to return, also for empty or\nunusual inputs, and "
                 "shows one or two examples as `>>> call` lines each followed by its result; no body>\n```\nINPUTS:\n"
                 "```python\n<8 calls of the function, one per line, such as name(arg1, arg2), with literal "
                 "arguments>\n```\nSOLUTION:\n```python\n<the complete function, with the same signature>\n```\n")
ECHOED_INPUTS = question("strength_score", 'def strength_score(password: str) -> int:\n    """Score a password: one '
                         'point per character class present.\n    >>> strength_score("aB1")\n    3\n    """\n',
                         "<8 calls of the function, one per line, such as name(arg1, arg2), with literal arguments; "
                         "no results>\n", "def strength_score(password):\n    return 0\n")


def test_replies_with_placeholder_lines_are_rejected_by_name():
    for raw in (ECHOED_LAYOUT, ECHOED_INPUTS):
        q, reason, detail = parse_reply(raw)
        assert q is None and reason == "placeholders" and "<" in detail
    assert "'ENTRY POINT: <function name>'" in parse_reply(ECHOED_LAYOUT)[2]
    _, rejected, stats, _ = run_stage([ECHOED_LAYOUT, ECHOED_INPUTS])
    assert stats["easy"]["rejected"] == {"placeholders": 2} and len(rejected) == 2
    # `<` in code or a docstring is not a placeholder
    assert parse_reply(VOWEL_RUN.replace("0 when s has none.", "0 when s has none (len(s) < 1)."))[1] == ""


def test_inputs_that_call_another_function_name_it():
    raw = question("strength_score", 'def strength_score(password: str) -> int:\n    """Score a password."""\n',
                   "strength('abc')\nstrength('')\n", "def strength_score(password):\n    return 0\n")
    q, reason, detail = parse_reply(raw)
    assert (q, reason) == (None, "unparseable")
    assert detail == ("INPUTS holds no call of the entry point strength_score() (2 other line(s); "
                      "they call strength instead)")


# ------------------------------------------------------------------------------------------- agreement

def test_agreement_accepts_with_tests_from_the_agreed_outputs(all_cases):
    accepted, _, _, _ = all_cases
    a = by_entry(accepted)["longest_vowel_run"]
    assert a["agreement"]["groups"] == [4, 1] and a["agreement"]["candidates"] == 5
    assert "assert candidate(\"queue\") == 4" in a["test"]  # agreed, not the teacher's "# -> 3"
    wrong = [x for x in a["teacher_expectations"] if x["agrees"] is False]
    assert wrong == [{"call": 'longest_vowel_run("queue")', "expected": "3", "source": "inputs", "agreed": "4",
                      "agrees": False, "supporters": 0}]  # no candidate gives the stated 3
    assert a["test"].count("assert") == 6 and a["reference"] == 0
    assert a["task_id"] == "Gen/c3/0" and (a["source"], a["origin_cycle"], a["parent_task_id"]) == ("generated", 3, "Seed/0")


def test_every_accepted_question_reference_passes_and_trivial_bodies_fail(all_cases):
    accepted = all_cases[0]
    assert {a["entry_point"] for a in accepted} == {"longest_vowel_run", "digit_sum", "running_mean"}
    for a in accepted:
        verdicts = EXECUTE([(a, a["canonical_solution"])] + [(a, b) for b in trivial_bodies(a)])
        assert len(verdicts) == 9  # the reference and the eight trivial bodies (return the first argument too)
        assert verdicts[0]["passed"], (a["entry_point"], verdicts[0])
        assert not any(v["passed"] for v in verdicts[1:]), a["entry_point"]


def test_disagreement_is_no_agreement(all_cases):
    r = by_entry(all_cases[1])["second_largest"]
    assert r["reason"] == "no_agreement" and r["agreement"]["groups"] == [1, 1, 1, 1, 1]
    assert "need one of >= 3" in r["detail"]


def test_a_tie_is_no_agreement():
    tie = [fenced("def longest_vowel_run(s):\n    return 0\n")] * 2 + VOWEL_RUN_SOLUTIONS[:1] * 2
    cfg_solutions = {"longest_vowel_run": tie}
    cfg = make_cfg(per_level={"easy": 1, "medium": 0, "hard": 0}, max_tries_factor=1, min_agree=2)
    teacher = ScriptedTeacher([VOWEL_RUN.replace("SOLUTION:\n```python\n", "SOLUTION:\n```python\n#")], cfg_solutions)
    _, rejected, _ = regenerate_questions(LEVELS, POOL, teacher, cfg, 1, 1, EXECUTE)
    assert rejected[0]["reason"] == "no_agreement" and rejected[0]["agreement"]["groups"] == [2, 2]


def test_exceptions_are_outcomes_and_become_checks_only_when_the_docstring_names_them(all_cases):
    a = by_entry(all_cases[0])["digit_sum"]
    assert a["agreement"]["groups"] == [5]  # all raise ValueError on -5 and TypeError on '12': they agree
    assert "except ValueError:" in a["test"] and "candidate(-5)" in a["test"]
    assert "'12'" not in a["test"] and list(a["left_out"].values()) == ["raises TypeError, which the docstring does not name"]
    raising = EXECUTE([(a, "    return sum(int(d) for d in str(abs(n)))\n")])[0]  # forgets the ValueError
    assert not raising["passed"]


def test_nondeterministic_candidates_do_not_vote(all_cases):
    r = by_entry(all_cases[1])["shuffled_copy"]
    assert r["reason"] == "nondeterministic" and r["agreement"]["excluded"]["nondeterministic"] == 5


def test_floats_agree_within_tolerance_and_tests_use_it(all_cases):
    a = by_entry(all_cases[0])["running_mean"]
    assert a["agreement"]["groups"] == [5]  # fsum, running totals and slices differ in the last bits
    assert "def _close(" in a["test"] and "assert _close(candidate([0.1, 0.2, 0.3])" in a["test"]
    off_by_rounding = "    return [round(sum(xs[:i + 1]) / (i + 1), 12) for i in range(len(xs))]\n"
    off_by_much = "    return [round(sum(xs[:i + 1]) / (i + 1), 2) for i in range(len(xs))]\n"
    v = EXECUTE([(a, off_by_rounding), (a, off_by_much)])
    assert v[0]["passed"] and not v[1]["passed"]


def test_unserialisable_outputs_reject(all_cases):
    r = by_entry(all_cases[1])["evens"]
    assert r["reason"] == "unserialisable_output" and r["agreement"]["excluded"]["unserialisable"] == 5


def test_trivial_tests_still_reject(all_cases):
    r = by_entry(all_cases[1])["dedupe_sorted"]
    assert r["reason"] == "trivial_tests" and "return xs" in r["detail"]


def test_a_wrong_docstring_example_is_rewritten_rejected_or_only_counted():
    """WRONG_EXAMPLE: the docstring says queue -> 3, the 4 agreeing candidates (of 5) give 4."""
    accepted, rejected, stats, _ = run_stage([WRONG_EXAMPLE])  # default policy: "rewrite"
    assert rejected == [] and len(accepted) == 1
    a = accepted[0]
    assert a["examples_rewritten"] == [{"call": 'longest_vowel_run("queue")', "old": "3", "new": "4"}]
    assert '>>> longest_vowel_run("queue")\n    4\n' in a["prompt"]  # same indentation as the docstring
    assert '>>> longest_vowel_run("queue")\n    3\n' in a["prompt_as_written"]
    assert a["prompt"].replace("\n    4\n", "\n    3\n") == a["prompt_as_written"]  # nothing else changed
    doc = a["prompt"].split('"""')[1]
    assert docstring_examples(doc, "longest_vowel_run") == [('longest_vowel_run("queue")', "4")]
    assert 'assert candidate("queue") == 4' in a["test"]  # the example now says what the tests check
    verdicts = EXECUTE([(a, a["canonical_solution"])] + [(a, b) for b in trivial_bodies(a)])
    assert verdicts[0]["passed"] and not any(v["passed"] for v in verdicts[1:])
    assert stats["easy"]["examples_rewritten"] == 1 and stats["easy"]["questions_rewritten"] == 1
    # the teacher's disagreement rate is still reported: the example and the INPUTS comment were both wrong
    assert stats["easy"]["agreement"]["expectations_wrong"] == 2
    assert [x["expected"] for x in a["teacher_expectations"] if x["source"] == "docstring"] == ["3"]

    _, rejected, stats, _ = run_stage([WRONG_EXAMPLE], example_policy="reject")
    assert rejected[0]["reason"] == "example_mismatch" and "agreeing solutions give 4" in rejected[0]["detail"]
    assert stats["easy"]["rejected"] == {"example_mismatch": 1} and stats["easy"]["examples_rewritten"] == 0
    accepted, _, stats, _ = run_stage([WRONG_EXAMPLE], example_policy="count")
    assert len(accepted) == 1 and stats["easy"]["agreement"]["expectations_wrong"] == 2  # example + comment
    assert '"queue")\n    3\n' in accepted[0]["prompt"] and "examples_rewritten" not in accepted[0]


def test_an_example_some_solution_reproduces_is_not_rewritten_by_a_bare_majority():
    """TWO_READINGS: 3 of 5 candidates give ['hello,', 'world'], 2 give the docstring's ['hello', 'world']. The
    example is another reading of the text, not the teacher's slip: "rewrite" rejects it, "rewrite_all" (the rule
    before 2026-12-01) rewrites it to the majority's output."""
    _, rejected, stats, _ = run_stage([TWO_READINGS])  # default policy: "rewrite"
    r = rejected[0]
    assert r["reason"] == "example_mismatch" and "the stated answer is what 2 of 5 voting solutions give" in r["detail"]
    assert "['hello,', 'world']" in r["detail"] and stats["easy"]["examples_rewritten"] == 0
    wrong = [x for x in r["teacher_expectations"] if x["agrees"] is False]
    assert [x["supporters"] for x in wrong] == [2]
    accepted, _, _, _ = run_stage([TWO_READINGS], example_policy="rewrite_all")
    assert accepted[0]["examples_rewritten"] == [{"call": "split_words('hello, world')", "old": "['hello', 'world']",
                                                  "new": "['hello,', 'world']"}]


# The flaw of session 12's accepted `count_letters`: the text says "letter", the examples (and the solution
# written with them) count every character. A teacher that follows the examples when it sees them and the text
# when it does not: the solutions' prompt decides which tests the question gets.
LETTERS = question(
    "count_letters",
    'def count_letters(text: str) -> dict:\n    """Count how often each letter occurs in text.\n\n'
    "    For example:\n    >>> count_letters('a b!')\n    {'a': 1, ' ': 1, 'b': 1, '!': 1}\n\n"
    "    >>> count_letters('')\n    {}\n    \"\"\"\n",
    "count_letters('a b!')\ncount_letters('')\ncount_letters('aa, b')\ncount_letters('x1y')\n",
    "def count_letters(text):\n    out = {}\n    for ch in text:\n        out[ch] = out.get(ch, 0) + 1\n"
    "    return out\n")
_EVERY_CHAR = fenced("def count_letters(text: str) -> dict:\n    out = {}\n    for ch in text:\n"
                     "        out[ch] = out.get(ch, 0) + 1\n    return out\n")
_LETTERS_ONLY = fenced("def count_letters(text: str) -> dict:\n    out = {}\n    for ch in text:\n"
                       "        if ch.isalpha():\n            out[ch] = out.get(ch, 0) + 1\n    return out\n")


class ExampleFollowingTeacher(ScriptedTeacher):
    """Solves count_letters the examples' way when the solution prompt shows `>>>` examples, the text's way when
    it does not (`dissent` of the k then still count every character)."""

    def __init__(self, questions, dissent=0):
        super().__init__(questions, {"count_letters": [_EVERY_CHAR]})
        self.dissent = dissent

    def chat(self, messages_list, decoding, seed, n=1):
        out = super().chat(messages_list, decoding, seed, n)
        return [o if QUESTION_MARKER in m[-1]["content"] else [_EVERY_CHAR] * n if ">>>" in m[-1]["content"]
                else [_EVERY_CHAR] * self.dissent + [_LETTERS_ONLY] * (n - self.dissent)
                for m, o in zip(messages_list, out)]


def test_strip_examples_leaves_the_text_the_signature_and_the_quotes():
    prompt = parse_question(LETTERS)[0]["prompt"]
    text = strip_examples(prompt)
    assert text == ('def count_letters(text: str) -> dict:\n    """Count how often each letter occurs in text.\n'
                    '    """\n')
    assert strip_examples(text) == text  # nothing left to strip
    one_line = 'def g(x):\n    """Double x.\n    >>> g(2)\n    4"""\n'
    assert strip_examples(one_line) == 'def g(x):\n    """Double x.\n    """\n'
    between = ('def m(x):\n    """Text one.\n\n    >>> m(1)\n    2\n\n    More text.\n\n    >>> m(2)\n    3\n'
               '    """\n')
    assert strip_examples(between) == 'def m(x):\n    """Text one.\n\n    More text.\n    """\n'
    raises = ('def t(x):\n    """Raise on bad input.\n\n    Examples:\n        >>> t(-1)\n'
              '        Traceback (most recent call last):\n            ...\n        ValueError: no\n    """\n')
    assert strip_examples(raises) == 'def t(x):\n    """Raise on bad input.\n    """\n'
    only_examples = 'def h(x):\n    """>>> h(1)\n    2\n    """\n'
    assert strip_examples(only_examples) == only_examples  # the examples are the whole specification
    imports = 'from typing import List\n\n\n' + one_line
    assert strip_examples(imports).startswith('from typing import List\n\n\ndef g(x):')
    # only the entry point's docstring: a helper before it keeps its own examples, and its prose does not count
    helper = 'def helper(x):\n    """Halve x.\n    >>> helper(4)\n    2\n    """\n    return x // 2\n\n\n'
    assert strip_examples(helper + only_examples, "h") == helper + only_examples
    assert strip_examples(helper + one_line, "g") == helper + 'def g(x):\n    """Double x.\n    """\n'
    # prose right under an output line is specification (doctest would count it as output); a multi-line output
    # goes whole; a NumPy "Examples" heading goes with its dashes
    prose_after = ('def p(xs):\n    """Sort xs.\n    >>> p([2,\n    ...    1])\n    [1,\n     2]\n'
                   '    Raises TypeError for None.\n\n    Examples\n    --------\n    >>> p([])\n    []\n'
                   '    Done."""\n')
    assert strip_examples(prose_after, "p") == ('def p(xs):\n    """Sort xs.\n    Raises TypeError for None.\n\n'
                                                '    Done."""\n')


def test_solutions_without_examples_outvote_examples_that_contradict_the_text():
    cfg = make_cfg(per_level={"easy": 1, "medium": 0, "hard": 0}, max_tries_factor=1)
    accepted, _, _ = regenerate_questions(LEVELS, POOL, ExampleFollowingTeacher([LETTERS]), cfg, 11, 3, EXECUTE)
    assert "assert candidate('a b!') == {' ': 1, '!': 1, 'a': 1, 'b': 1}" in accepted[0]["test"]  # the examples' way
    assert "solution_prompt" not in accepted[0] and "examples_rewritten" not in accepted[0]

    cfg.regeneration.solutions_see_examples = False
    teacher = ExampleFollowingTeacher([LETTERS])
    accepted, rejected, stats = regenerate_questions(LEVELS, POOL, teacher, cfg, 11, 3, EXECUTE)
    solve = [m[-1]["content"] for msgs, _, n in teacher.calls if n > 1 for m in msgs]
    assert solve and all(">>>" not in t and "each letter occurs" in t for t in solve)
    # the 4 text-reading solutions agree on letters only and out-vote the written solution, whose backing of the
    # examples does not count (it saw them): the example is rewritten to the text's reading
    a = accepted[0]
    assert rejected == [] and "assert candidate('a b!') == {'a': 1, 'b': 1}" in a["test"]
    assert a["examples_rewritten"] == [{"call": "count_letters('a b!')", "old": "{'a': 1, ' ': 1, 'b': 1, '!': 1}",
                                        "new": "{'a': 1, 'b': 1}"}]
    assert ">>> count_letters('a b!')\n    {'a': 1, 'b': 1}\n" in a["prompt"]
    assert a["solution_prompt"] == strip_examples(a["prompt_as_written"]) == strip_examples(a["prompt"])
    assert stats["easy"]["examples_hidden"] == 1
    # one text reader that counts every character is another reading of the text: no rewrite by a bare majority
    _, rejected, _ = regenerate_questions(LEVELS, POOL, ExampleFollowingTeacher([LETTERS], dissent=1), cfg, 11, 3,
                                          EXECUTE)
    assert rejected[0]["reason"] == "example_mismatch"
    assert "1 of 4 solutions written from the text alone" in rejected[0]["detail"]
    # nothing to hide (a docstring that is only examples): the k saw the examples, so the written solution's
    # backing counts again, as with the default
    bare = LETTERS.replace("Count how often each letter occurs in text.\n\n    For example:\n    ", "")
    assert parse_question(bare)[0]["prompt"].startswith('def count_letters(text: str) -> dict:\n    """>>>')
    _, rejected, stats = regenerate_questions(LEVELS, POOL, ExampleFollowingTeacher([bare]), cfg, 11, 3, EXECUTE)
    assert stats["easy"]["examples_hidden"] == 0 and "solution_prompt" not in (rejected or [{}])[0]


def test_rewrite_examples_keeps_the_docstring_format_and_refuses_what_it_cannot_write():
    prompt = ('def swap_ends(s: str) -> str:\n    """Swap the first and last character of s.\n'
              "    >>> swap_ends('abc')\n    'abc'\n    Also swap_ends('xy') returns 'xy', and swap_ends('q') -> 'q'.\n"
              "    >>> swap_ends('abc')\n    'abc'\n"
              '    """\n')
    def ok(value):  # a run_calls outcome
        return {"ok": True, "value": value}

    wrong = [{"call": "swap_ends('abc')", "expected": "'abc'", "value": ok("cba")},
             {"call": "swap_ends('abc')", "expected": "'abc'", "value": ok("cba")},  # the example written twice
             {"call": "swap_ends('xy')", "expected": "'xy'", "value": ok("yx")}]
    new, rewrites, why = rewrite_examples(prompt, wrong)
    assert why == "" and new.count("    'cba'\n") == 2
    assert "swap_ends('xy') returns 'yx', and swap_ends('q') -> 'q'" in new
    assert rewrites == [{"call": "swap_ends('abc')", "old": "'abc'", "new": "'cba'"}] * 2 + [
        {"call": "swap_ends('xy')", "old": "'xy'", "new": "'yx'"}]
    # an agreed exception cannot be shown as a result line: nothing is rewritten, the caller rejects
    raised = [{"call": "swap_ends('abc')", "expected": "'abc'", "value": {"ok": False, "error_type": "IndexError"}}]
    why = "the agreed outcome of swap_ends('abc') is an exception (IndexError)"
    assert rewrite_examples(prompt, raised) == (prompt, [], why)
    tuple_value = [{"call": "swap_ends('abc')", "expected": "'abc'", "value": ok({"__tuple__": ["c", "a"]})}]
    assert "    ('c', 'a')\n" in rewrite_examples(prompt, tuple_value)[0]  # the literal of the normalised value
    missing = [{"call": "swap_ends('zz')", "expected": "'zz'", "value": ok("zz")}]
    assert "no docstring line shows" in rewrite_examples(prompt, missing)[2]


def test_an_example_call_missing_from_inputs_is_run_and_compared_first():
    raw = question("count_upper", 'def count_upper(s: str) -> int:\n    """Count upper-case letters.\n'
                   "    >>> count_upper('AbCD')\n    2\n    \"\"\"\n",
                   "count_upper('')\ncount_upper('a')\ncount_upper('ABC')\n",
                   "def count_upper(s):\n    return sum(c.isupper() for c in s)\n")
    q, why = parse_question(raw, max_inputs=2)  # the cap would have cut the example if it came last
    assert why == "" and q["inputs"] == ["count_upper('AbCD')", "count_upper('')"]
    assert q["expectations"] == [{"call": "count_upper('AbCD')", "expected": "2", "source": "docstring"}]
    upper = fenced("def count_upper(s):\n    return len([c for c in s if 'A' <= c <= 'Z'])\n")
    teacher = ScriptedTeacher([raw], {"count_upper": [upper] * 4})
    cfg = make_cfg(per_level={"easy": 1, "medium": 0, "hard": 0}, max_tries_factor=1)
    accepted, _, _ = regenerate_questions(LEVELS, POOL, teacher, cfg, 1, 1, EXECUTE)
    assert accepted[0]["examples_rewritten"] == [{"call": "count_upper('AbCD')", "old": "2", "new": "3"}]
    assert "assert candidate('AbCD') == 3" in accepted[0]["test"]
    assert "    >>> count_upper('AbCD')\n    3\n" in accepted[0]["prompt"]


def test_too_few_tests_when_most_inputs_raise_unnamed_exceptions():
    raw = question("halve", 'def halve(n: int) -> int:\n    """Return n // 2."""\n', "halve('a')\nhalve(None)\nhalve(4)\n",
                   "def halve(n):\n    return n // 2\n")
    teacher_solutions = {"halve": [fenced("def halve(n: int) -> int:\n    return n // 2\n")] * 4}
    cfg = make_cfg(per_level={"easy": 1, "medium": 0, "hard": 0}, max_tries_factor=1)
    _, rejected, _ = regenerate_questions(LEVELS, POOL, ScriptedTeacher([raw], teacher_solutions), cfg, 1, 1, EXECUTE)
    assert rejected[0]["reason"] == "too_few_tests" and "1 tests written" in rejected[0]["detail"]


# ------------------------------------------------------------------------------- text checks and stage

def test_near_duplicate_and_contaminated_before_any_solution_is_sampled():
    dup = question("count_vowels", 'def count_vowels(s: str) -> int:\n    """Return how many vowels (a, e, i, o, u, '
                   'any case) the string s contains.\n    >>> count_vowels("Hello")\n    2\n    """\n',
                   "count_vowels('')\n", "def count_vowels(s):\n    return 0\n")
    he0 = question("has_close_elements",
                   'from typing import List\n\n\ndef has_close_elements(numbers: List[float], threshold: float) -> bool:\n'
                   '    """ Check if in given list of numbers, are any two numbers closer to each other than\n'
                   '    given threshold.\n    >>> has_close_elements([1.0, 2.0, 3.0], 0.5)\n    False\n'
                   '    >>> has_close_elements([1.0, 2.8, 3.0, 4.0, 5.0, 2.0], 0.3)\n    True\n    """\n',
                   "has_close_elements([1.0], 0.5)\n", "def has_close_elements(numbers, threshold):\n    return False\n")
    _, rejected, _, teacher = run_stage([dup, he0])
    assert [r["reason"] for r in rejected] == ["near_duplicate", "contaminated"]
    assert "Seed/0" in rejected[0]["detail"] and "HumanEval" in rejected[1]["detail"]
    assert [n for _, _, n in teacher.calls] == [1]  # nothing left to solve: no solution request at all


def test_held_out_seed_problems_count_as_contamination():
    q, _ = parse_question(VOWEL_RUN)
    held = [{"task_id": "Held/3", "prompt": q["prompt"].replace("either case", "any case"),
             "canonical_solution": "    return 0\n"}]
    reason, detail = check_text(q, POOL, held, make_cfg())
    assert reason == "contaminated" and "held-out Held/3" in detail
    assert check_text(q, POOL, [], make_cfg()) == ("", "")


def test_stage_batches_rounds_and_records_reasons_and_rates(all_cases):
    accepted, rejected, stats, teacher = all_cases
    assert [(len(m), n) for m, _, n in teacher.calls] == [(7, 1), (7, 4)]  # questions, then k=4 solutions each
    assert stats["easy"]["requests"] == 7 and stats["easy"]["accepted"] == 3
    assert stats["easy"]["rejected"] == {"no_agreement": 1, "nondeterministic": 1, "unserialisable_output": 1,
                                         "trivial_tests": 1}
    assert stats["easy"]["acceptance_rate"] == pytest.approx(3 / 7)
    ag = stats["easy"]["agreement"]
    assert ag["voted"] == 7 and ag["largest_group"] == {0: 2, 1: 1, 4: 1, 5: 3} and ag["candidates"] == 5
    assert (ag["partial_agreement"], ag["contested_inputs"]) == (0, 0)   # min_agreed_inputs 1.0: none partial
    # the docstring examples of the 3 accepted and of dedupe_sorted (agreed, then trivial), and queue's "# -> 3"
    assert ag["expectations_wrong"] == 1 and ag["expectations_checked"] == 5
    assert summarise_agreement(accepted + rejected) == ag
    assert all(a["teacher"]["model"] == "scripted" and a["solution_decoding"]["temperature"] > 0 for a in accepted)


def test_one_parent_asked_several_times_in_a_round_gets_distinct_requests(all_cases):
    # 7 questions from one easy parent in one call: equal requests would get equal sample seeds, so equal replies
    from iterkd_lib.models.backends import BackendBase

    messages, seed, _ = all_cases[3].calls[0]
    texts = [m[-1]["content"] for m in messages]
    assert len(set(texts)) == 7 and "number" not in texts[0] and "this is number 7" in texts[6]
    assert len({BackendBase.sample_seed(seed, m, 0) for m in messages}) == 7


def test_retries_name_what_was_written_and_stop_at_the_budget():
    cfg = make_cfg(per_level={"easy": 0, "medium": 0, "hard": 1}, max_tries_factor=2)
    teacher = ScriptedTeacher([SECOND_LARGEST, VOWEL_RUN])
    accepted, rejected, stats = regenerate_questions(LEVELS, POOL, teacher, cfg, 5, 1, EXECUTE)
    assert [r["reason"] for r in rejected] == ["no_agreement"] and len(accepted) == 1
    assert accepted[0]["prompt_kind"] == "depth" and accepted[0]["parent_task_id"] == "Seed/1"
    question_calls = [m for m, _, n in teacher.calls if n == 1]
    assert "second_largest" in question_calls[1][0][-1]["content"]  # the retry names what was written
    seeds = [s for _, s, _ in teacher.calls]
    assert len(set(seeds)) == 4 and stats["hard"]["requests"] == 2


def test_embedding_catches_a_paraphrase_that_rouge_misses():
    import dataclasses

    paraphrase = question(
        "count_vowels", 'def count_vowels(text: str) -> int:\n    """Count the vowel letters a e i o u in text, '
        'ignoring case.\n    >>> count_vowels("Hello")\n    2\n    """\n', "count_vowels('')\n",
        "def count_vowels(text: str) -> int:\n    return sum(ch in 'aeiouAEIOU' for ch in text)\n")
    q, _ = parse_question(paraphrase)
    cfg = make_cfg()
    default = IterKDConfig().regeneration.embedding_sim_max  # measured: cosine 0.955, ROUGE-L 0.59
    strict = dataclasses.replace(cfg, regeneration=dataclasses.replace(cfg.regeneration, embedding_sim_max=default))
    assert check_text(q, POOL, [], cfg) == ("", "")  # ROUGE-L alone lets it through
    reason, detail = check_text(q, POOL, [], strict, Embedder())
    assert reason == "near_duplicate" and "embedding cosine" in detail


def test_old_reject_example_mismatch_key_maps_to_example_policy():
    from iterkd_lib.config import ConfigError, config_from_dict, load_config

    assert IterKDConfig().regeneration.example_policy == "rewrite"
    assert load_config(None, ["regeneration.reject_example_mismatch=true"]).regeneration.example_policy == "reject"
    assert load_config(None, ["regeneration.reject_example_mismatch=false"]).regeneration.example_policy == "count"
    old_run = {"regeneration": {"reject_example_mismatch": True, "min_agree": 3}}  # a run.json from before
    cfg = config_from_dict(old_run, where="run.json")
    assert cfg.regeneration.example_policy == "reject" and cfg.regeneration.min_agree == 3
    assert old_run == {"regeneration": {"reject_example_mismatch": True, "min_agree": 3}}  # not changed in place
    both = {"regeneration": {"reject_example_mismatch": False, "example_policy": "count"}}
    assert config_from_dict(both).regeneration.example_policy == "count"
    with pytest.raises(ConfigError, match="reject_example_mismatch.*contradicts.*example_policy"):
        config_from_dict({"regeneration": {"reject_example_mismatch": True, "example_policy": "rewrite"}})
    with pytest.raises(ConfigError, match="run.json: key 'regeneration.reject_example_mismatch'"):
        config_from_dict({"regeneration": {"reject_example_mismatch": "sometimes"}}, where="run.json")
    with pytest.raises(ConfigError, match="example_policy"):
        load_config(None, ["regeneration.example_policy=fix"])


def test_config_refuses_impossible_agreement_settings():
    from iterkd_lib.config import ConfigError, load_config

    with pytest.raises(ConfigError, match="min_agree"):
        load_config(None, ["regeneration.solutions_per_question=2", "regeneration.min_agree=4"])
    with pytest.raises(ConfigError, match="solution_decoding.temperature"):
        load_config(None, ["regeneration.solution_decoding.temperature=0"])


def test_next_pool_policy():
    from iterkd_lib.config import IterKDConfig

    c = IterKDConfig()
    pool = [{"task_id": f"P/{i}", "prompt": ""} for i in range(4)]
    levels = [{"task_id": "P/0", "level": "easy"}, {"task_id": "P/1", "level": "medium"},
              {"task_id": "P/2", "level": "hard"}, {"task_id": "P/3", "level": "hard"}]
    new = [{"task_id": "Gen/c1/0", "prompt": "", "raw": "...", "seed": 1, "student_check": {"n": 4, "passed": 1}}]
    out = next_pool(pool, levels, new, c, 2)
    assert [p["task_id"] for p in out] == ["Gen/c1/0", "P/2", "P/3", "P/1"]
    assert "raw" not in out[0] and "student_check" not in out[0] and out[1]["pool_reason"] == "retained hard" and out[0]["pool_cycle"] == 2
    c.regeneration.keep_hard = False
    assert [p["task_id"] for p in next_pool(pool, levels, new, c, 2)] == ["Gen/c1/0", "P/1"]
    c.data.max_pool = 1
    assert [p["task_id"] for p in next_pool(pool, levels, new, c, 2)] == ["Gen/c1/0"]
    all_easy = [{"task_id": p["task_id"], "level": "easy"} for p in pool]
    kept = next_pool(pool, all_easy, [], c, 2)
    assert [p["task_id"] for p in kept] == ["P/0"] and "previous pool kept" in kept[0]["pool_reason"]



def test_refill_tops_a_shrunken_pool_up_with_unused_seeds_in_policy_order():
    from types import SimpleNamespace

    from iterkd_lib import cycle
    from iterkd_lib.config import IterKDConfig
    from iterkd_lib.stages.pool import order_pool, refill_pool, seed_pool

    c = IterKDConfig()
    c.data.pool_size, c.data.pool_policy = 8, "teachable"
    first, held = seed_pool(c)
    used = {p["task_id"] for p in first}
    shrunk = [dict(first[0], pool_reason="retained medium")]
    assert refill_pool(shrunk, used, c, 3) == shrunk  # pool_refill "none" (the default): unchanged
    c.data.pool_refill = "seeds"
    out = refill_pool(shrunk, used, c, 3)
    added = out[1:]
    assert out[0] is shrunk[0] and len(out) == 8 and all(p["pool_reason"] == "refill" for p in added)
    assert not {p["task_id"] for p in added} & (used | {p["task_id"] for p in held})  # unused, never held out
    rest = [p["task_id"] for p in order_pool(seed_pool(c.__class__())[0], "teachable", c.data.teacher_passk)
            if p["task_id"] not in used and p["task_id"] not in {h["task_id"] for h in held}]
    assert [p["task_id"] for p in added] == rest[:7] and added[0]["pool_cycle"] == 3
    c.data.max_pool = 4
    assert len(refill_pool(shrunk, used, c, 3)) == 4
    # the pool stage passes every earlier pool as used and reports how many it added
    c.data.max_pool = 8
    pools = {1: first, 2: shrunk}
    run = SimpleNamespace(cfg=c, store=SimpleNamespace(read_records=lambda k, stage: pools[k]))
    # the run's own held-out file counts too (a resume with another run.seed derives another split)
    run_held = [{"task_id": rest[0]}]
    nxt, summary, _ = cycle._pool(run, 3, {"prev/01_pool": shrunk, "prev/08_new_questions": [], "held_out": run_held,
                                          "prev/07_levels": [{"task_id": shrunk[0]["task_id"], "level": "medium"}]})
    assert summary["refilled"] == 7 and len(nxt) == 8 and not {p["task_id"] for p in nxt[1:]} & (used | {rest[0]})
    assert [p["task_id"] for p in nxt[1:]] == rest[1:8]


# Outcomes recorded from the 1.5B teacher's five candidates for two generated questions (benchmarks/
# stage3_agreement.py, 2026-11-30): they agree on the inputs the text settles and split on the edge cases.
ALIGN_INPUTS = ["align_right('to', 10)", "align_right('a', 9)", "align_right('a', 5)", "align_right('abc', 5)",
                "align_right('abc', 3)", "align_right('abc', 2)", "align_right('abc', 1)", "align_right('abc', 0)",
                "align_right('abc', -3)"]
ALIGN_OUTPUTS = [["to        ", "a        ", "a    ", "abc  ", "abc", "ab", "a", "", ""],
                 ["        to", "        a", "    a", "  abc", "abc", "abc", "abc", "abc", "abc"],
                 ["        to", "        a", "    a", "  abc", "abc", "abc", "abc", "abc", "abc"],
                 ["        to", "        a", "    a", "  abc", "abc", "ab", "a", "", ""],
                 ["        to", "        a", "    a", "  abc", "abc", "abc", "abc", "abc", ""]]
SUBARRAY_INPUTS = ["find_max_subarray([-2, 3, -4, 5, -1, 2])", "find_max_subarray([1, -1, 0, -1])",
                   "find_max_subarray([1, 2, 3])", "find_max_subarray([])", "find_max_subarray([-2, -3, -4, -5])"]
SUBARRAY_OUTPUTS = [[[3, 5], [0, 0], [0, 2], [0, 0], [0, 0]], [[0, 5], [0, 3], [0, 2], "IndexError", [0, 3]],
                    [[3, 5], [0, 0], [0, 2], [0, 0], [0, 0]], [[3, 5], [1, 1], [1, 2], [0, 0], [-2, -2]],
                    [[0, 5], [0, 0], [-3, 2], [0, 0], [0, 0]]]


def _recorded(entry: str, inputs: list[str], outputs: list[list]) -> tuple[dict, dict]:
    def outcome(v):
        return {"ok": False, "error_type": v} if v == "IndexError" else {"ok": True, "value": v}
    q = {"entry_point": entry, "inputs": inputs, "prompt": f'def {entry}(*args):\n    """A generated question."""\n'}
    return q, {"runs": [{"status": "ok", "outcomes": [outcome(v) for v in row]} for row in outputs], "expected": []}


def test_contested_inputs_are_dropped_only_when_asked_and_only_for_a_clear_majority():
    from iterkd_lib.scoring.agreement_vote import decide_question

    q, out = _recorded("align_right", ALIGN_INPUTS, ALIGN_OUTPUTS)
    strict = decide_question(q, out, make_cfg())
    assert strict["reason"] == "no_agreement" and strict["agreement"]["groups"] == [2, 1, 1, 1]
    r = decide_question(q, out, make_cfg(min_agreed_inputs=0.66))
    assert r["reason"] == "" and r["agreement"]["partial_group"] == [1, 2, 4]  # agree on all but the last input
    assert r["agreement"]["contested"] == [8] and r["left_out"] == {8: "contested"}
    assert summarise_agreement([{**r, "reason": ""}])["contested_inputs"] == 1
    assert r["n_tests"] == 8 and "assert candidate('abc', 1) == 'abc'" in r["test"] and "-3" not in r["test"]
    # three candidates agreeing on 3 of 5 inputs is below 2/3: still rejected
    q, out = _recorded("find_max_subarray", SUBARRAY_INPUTS, SUBARRAY_OUTPUTS)
    assert decide_question(q, out, make_cfg(min_agreed_inputs=0.66))["reason"] == "no_agreement"
    assert decide_question(q, out, make_cfg(min_agreed_inputs=0.6))["reason"] == ""
    # two sets agreeing on as many inputs, but on different ones: a tie, no answer
    tie = [[1, 2, 3, 4], [1, 2, 3, 9], [1, 2, 3, 8], [1, 2, 7, 4], [1, 2, 6, 4]]
    q, out = _recorded("f", [f"f({i})" for i in range(4)], tie)
    assert decide_question(q, out, make_cfg(min_agreed_inputs=0.5))["reason"] == "no_agreement"


def test_an_example_on_a_contested_input_is_kept_dropped_or_rejected():
    """align_right with two docstring examples: ('a', 5) is settled, ('abc', -3) is the contested input."""
    from iterkd_lib.scoring.agreement_vote import decide_question

    q, out = _recorded("align_right", ALIGN_INPUTS, ALIGN_OUTPUTS)
    q["prompt"] = ('def align_right(s: str, width: int) -> str:\n    """Pad s with spaces on the left to width.\n\n'
                   "    >>> align_right('a', 5)\n    '    a'\n    >>> align_right('abc', -3)\n    ''\n"
                   "    Longer strings come back unchanged.\n    \"\"\"\n")
    q["expectations"] = [{"call": "align_right('a', 5)", "expected": "'    a'", "source": "docstring"},
                         {"call": "align_right('abc', -3)", "expected": "''", "source": "docstring"}]
    out["expected"] = ["    a", ""]
    kept = decide_question(q, out, make_cfg(min_agreed_inputs=0.66))  # default "keep": shown, not judged
    assert kept["reason"] == "" and "prompt" not in kept and [x["agrees"] for x in kept["expectations"]] == [True, None]
    dropped = decide_question(q, out, make_cfg(min_agreed_inputs=0.66, contested_examples="drop"))
    assert dropped["reason"] == "" and dropped["examples_dropped"] == [{"call": "align_right('abc', -3)",
                                                                        "stated": "''"}]
    assert dropped["prompt"] == q["prompt"].replace("    >>> align_right('abc', -3)\n    ''\n", "")
    assert dropped["test"] == kept["test"]  # the tests never held the contested input
    rejected = decide_question(q, out, make_cfg(min_agreed_inputs=0.66, contested_examples="reject"))
    assert rejected["reason"] == "contested_example" and "align_right('abc', -3) -> ''" in rejected["detail"]
    # with a wrong example beside it: the contested one goes, the wrong one is rewritten in the same prompt
    wrong = dict(q, prompt=q["prompt"].replace("'    a'\n", "'  a'\n"),
                 expectations=[dict(q["expectations"][0], expected="'  a'"), q["expectations"][1]])
    both = decide_question(wrong, dict(out, expected=["  a", ""]),
                           make_cfg(min_agreed_inputs=0.66, contested_examples="drop"))
    assert both["reason"] == "" and both["prompt"] == dropped["prompt"]
    assert both["examples_rewritten"] == [{"call": "align_right('a', 5)", "old": "'  a'", "new": "'    a'"}]
    # a contested call shown only in prose cannot be dropped: under "drop" the question is rejected
    prose = dict(q, prompt=q["prompt"].replace("    >>> align_right('abc', -3)\n    ''\n",
                                               "    align_right('abc', -3) returns ''.\n"))
    r = decide_question(prose, out, make_cfg(min_agreed_inputs=0.66, contested_examples="drop"))
    assert r["reason"] == "contested_example" and "cannot be dropped" in r["detail"] and "prompt" not in r


def test_drop_examples_removes_only_the_named_calls():
    prompt = ('def f(a, b=0):\n    """Add.\n\n    Examples:\n    >>> f( 1 , b=2 )\n    3\n    >>> f(2)\n    2\n'
              "    >>> f(1, b=2)\n    3\n    >>> f([1,\n    ...    2])\n    Traceback (most recent call last):\n"
              '    TypeError: no\n    Lists are refused."""\n')
    text, removed = drop_examples(prompt, "f", ["f(1, b=2)", "f([1, 2])", "f(9)"])
    assert removed == ["f(1, b=2)", "f([1, 2])"]  # spacing does not matter; written twice, listed once
    assert text == ('def f(a, b=0):\n    """Add.\n\n    Examples:\n    >>> f(2)\n    2\n'
                    '    Lists are refused."""\n')
    only = 'def g(x):\n    """\n    >>> g(1)\n    2\n    """\n'
    assert drop_examples(only, "g", ["g(1)"]) == (only, [])  # it would leave no text
    assert drop_examples(prompt, "f", ["f(7)"]) == (prompt, [])


# --------------------------------------------------------------------------------------------- revisions

# second_largest again, after the teacher settled the disputed calls: distinct values, ValueError below two
SECOND_DISTINCT = question(
    "second_largest",
    'from typing import List\n\ndef second_largest(xs: List[int]) -> int:\n'
    '    """Return the second largest distinct value in xs. Raise ValueError when xs has fewer than two\n'
    '    distinct values.\n    >>> second_largest([4, 1, 4, 3])\n    3\n    >>> second_largest([10, 9])\n    9\n'
    '    """\n',
    "second_largest([4, 1, 4, 3])\nsecond_largest([-1, -5, -3])\nsecond_largest([7, 7, 2])\nsecond_largest([1, 2, 3])\n",
    "def second_largest(xs):\n    u = sorted(set(xs))\n    if len(u) < 2:\n        raise ValueError('need two')\n"
    "    return u[-2]\n")
SECOND_DISTINCT_SOLUTIONS = [
    fenced("def second_largest(xs):\n    u = sorted(set(xs), reverse=True)\n    if len(u) < 2:\n"
           "        raise ValueError(xs)\n    return u[1]\n"),
    fenced("def second_largest(xs):\n    d = set(xs)\n    if len(d) < 2:\n        raise ValueError\n"
           "    d.remove(max(d))\n    return max(d)\n"),
    fenced("def second_largest(xs):\n    u = sorted(set(xs))\n    if len(u) < 2:\n"
           "        raise ValueError('fewer than two')\n    return u[-2]\n"),
    fenced("def second_largest(xs):\n    return sorted(xs)[-2]\n"),  # still the old reading
]


class RevisingTeacher(ScriptedTeacher):
    """ScriptedTeacher whose solutions of the revised second_largest follow its new docstring."""

    def chat(self, messages_list, decoding, seed, n=1):
        out = super().chat(messages_list, decoding, seed, n)
        return [(SECOND_DISTINCT_SOLUTIONS * n)[:n] if QUESTION_MARKER not in m[-1]["content"]
                and "distinct value" in m[-1]["content"] else o for m, o in zip(messages_list, out)]


def test_disputes_list_each_disputed_call_with_its_answers():
    from iterkd_lib.scoring.agreement_vote import candidates_outcomes, decide_question
    from iterkd_lib.scoring.code_extraction import extract_code
    from iterkd_lib.scoring.disputes import disputes

    q, _ = parse_question(SECOND_LARGEST)
    q["candidates"] = [q["solution"]] + [extract_code(t, "second_largest") for t in SECOND_LARGEST_SOLUTIONS]
    cfg = make_cfg()
    out = candidates_outcomes([q], cfg)[0]
    d = decide_question(q, out, cfg)
    by_call = {x["call"]: x["answers"] for x in disputes(q, out, d, cfg)}
    assert "second_largest([10, 9])" not in by_call  # every reading gives 9
    pair = by_call["second_largest([5, 5])"]
    assert pair[0] == ("5", 2) and set(pair[1:]) == {("IndexError raised", 1), ("None", 1), ("-1", 1)}
    assert by_call["second_largest([4, 1, 4, 3])"][0] == ("3", 3)
    assert len(disputes(q, out, d, cfg, limit=1)) == 1


def test_a_disputed_question_is_revised_voted_again_and_accepted():
    cfg = make_cfg(per_level={"easy": 1, "medium": 0, "hard": 0}, max_tries_factor=1, revise_rounds=1)
    teacher = RevisingTeacher([SECOND_LARGEST, SECOND_DISTINCT])
    accepted, rejected, stats = regenerate_questions(LEVELS, POOL, teacher, cfg, 7, 1, EXECUTE)
    assert not rejected and len(accepted) == 1
    a = accepted[0]
    assert a["revised"] == 1 and a["revisions"][0]["reason"] == "no_agreement" and "distinct value" in a["prompt"]
    # the record's raw and seeds are the accepted version's; the rejected version is kept in `revisions`
    assert "distinct value" in a["raw"] and a["revisions"][0]["raw"] == SECOND_LARGEST
    assert a["seed"] == teacher.calls[2][1] and a["solutions_seed"] == teacher.calls[3][1]
    assert a["revisions"][0]["seed"] == teacher.calls[0][1] and a["revisions"][0]["solutions_seed"] == teacher.calls[1][1]
    assert a["agreement"]["largest"] == 4 and "second_largest([5, 5])" in a["inputs"]  # disputed calls voted again
    ask = teacher.calls[2][0][0][-1]["content"]  # questions, solutions, then the revision request
    assert "second_largest([5, 5]):" in ask and "(1 solution)" in ask and "keeping the function name second_largest" in ask
    assert [n for _, _, n in teacher.calls] == [1, 4, 1, 4]
    st = stats["easy"]
    assert (st["requests"], st["accepted"], st["revisions"], st["accepted_after_revision"]) == (1, 1, 1, 1)
    assert st["acceptance_rate"] == 1.0
    verdicts = EXECUTE([(a, a["canonical_solution"])] + [(a, b) for b in trivial_bodies(a)])
    assert verdicts[0]["passed"] and not any(v["passed"] for v in verdicts[1:])


def test_a_renamed_revision_is_taken_and_an_unusable_one_keeps_the_old_reason():
    cfg = make_cfg(per_level={"easy": 1, "medium": 0, "hard": 0}, max_tries_factor=1, revise_rounds=1)
    renamed = SECOND_DISTINCT.replace("second_largest", "runner_up")
    solutions = {**SOLUTIONS, "runner_up": [t.replace("second_largest", "runner_up")
                                            for t in SECOND_DISTINCT_SOLUTIONS]}
    accepted, _, _ = regenerate_questions(LEVELS, POOL, ScriptedTeacher([SECOND_LARGEST, renamed], solutions), cfg,
                                          7, 1, EXECUTE)
    assert accepted[0]["entry_point"] == "runner_up" and "runner_up([5, 5])" in accepted[0]["inputs"]
    assert not any(c.startswith("second_largest") for c in accepted[0]["inputs"])
    _, rejected, stats = regenerate_questions(LEVELS, POOL, ScriptedTeacher([SECOND_LARGEST, "Sorry, I cannot."]),
                                              cfg, 7, 1, EXECUTE)
    assert rejected[0]["reason"] == "no_agreement" and "revision unusable: no marker line" in rejected[0]["detail"]
    assert stats["easy"]["revisions"] == 1


def test_only_the_reasons_asked_for_are_revised():
    cfg = make_cfg(per_level={"easy": 1, "medium": 0, "hard": 0}, max_tries_factor=1, revise_rounds=1,
                   revise_reasons=["near_duplicate"])
    teacher = RevisingTeacher([SECOND_LARGEST, SECOND_DISTINCT])
    _, rejected, stats = regenerate_questions(LEVELS, POOL, teacher, cfg, 7, 1, EXECUTE)
    assert rejected[0]["reason"] == "no_agreement" and "revised" not in rejected[0]
    assert stats["easy"]["revisions"] == 0 and len(teacher.calls) == 2


def test_revisions_stop_at_the_limit():
    cfg = make_cfg(per_level={"easy": 1, "medium": 0, "hard": 0}, max_tries_factor=1, revise_rounds=2)
    # still disputed after two revisions: rejected, with both revisions recorded
    teacher = ScriptedTeacher([SECOND_LARGEST, SECOND_LARGEST, SECOND_LARGEST])
    _, rejected, stats = regenerate_questions(LEVELS, POOL, teacher, cfg, 7, 1, EXECUTE)
    assert [r["reason"] for r in rejected] == ["no_agreement"] and rejected[0]["revised"] == 2
    assert stats["easy"]["revisions"] == 2 and len(teacher.calls) == 6


def test_a_near_duplicate_is_revised_with_the_exercise_it_repeats():
    twin = question("count_vowel_letters", POOL[0]["prompt"].replace("count_vowels", "count_vowel_letters"),
                    'count_vowel_letters("Hello")\ncount_vowel_letters("")\n',
                    "def count_vowel_letters(s):\n    return sum(c in 'aeiouAEIOU' for c in s)\n")
    cfg = make_cfg(per_level={"easy": 1, "medium": 0, "hard": 0}, max_tries_factor=1, revise_rounds=1)
    teacher = ScriptedTeacher([twin, VOWEL_RUN])
    accepted, rejected, stats = regenerate_questions(LEVELS, POOL, teacher, cfg, 7, 1, EXECUTE)
    assert not rejected and [a["entry_point"] for a in accepted] == ["longest_vowel_run"]
    assert accepted[0]["revisions"][0]["reason"] == "near_duplicate"
    ask = teacher.calls[1][0][0][-1]["content"]  # no solutions were sampled for the near-duplicate
    assert "almost the same as this existing exercise" in ask and "def count_vowels(s: str)" in ask
    assert stats["easy"]["accepted_after_revision"] == 1


# the study's cycle-3 question (2026-11-30): five agreeing solutions return the character, the text a count
MAX_REPEATS_PROMPT = (
    "def max_repeats(s: str) -> int:\n"
    '    """Return the number of characters in the string ``s`` that appear the most\n'
    "    number of times. In case of a tie, return the smallest character. Return 0 if the\n"
    "    string has no characters.\n    >>> max_repeats('aab')\n    2\n    \"\"\"\n")
MAX_REPEATS_CODE = ("def max_repeats(s: str) -> int:\n    if not s:\n        return 0\n    counts = {}\n"
                    "    for ch in s:\n        counts[ch] = counts.get(ch, 0) + 1\n    top = max(counts.values())\n"
                    "    return min(ch for ch, n in counts.items() if n == top)\n")


def test_agreed_outputs_must_fit_a_plain_return_annotation():
    from iterkd_lib.question_prompts import question_revision_messages
    from iterkd_lib.scoring.agreement_vote import candidates_outcomes, decide_question
    from iterkd_lib.scoring.disputes import disputes
    from iterkd_lib.scoring.return_types import return_annotation

    q = {"entry_point": "max_repeats", "prompt": MAX_REPEATS_PROMPT, "args": ["s"], "indent": "    ",
         "inputs": ["max_repeats('aab')", "max_repeats('')", "max_repeats('abab')", "max_repeats('zzy')"],
         "expectations": [], "candidates": [MAX_REPEATS_CODE] * 5}
    cfg = make_cfg()
    out = candidates_outcomes([q], cfg)[0]
    d = decide_question(q, out, cfg)
    assert d["reason"] == "return_type_mismatch" and d["agreement"]["largest"] == 5
    assert d["detail"].startswith("annotated -> int, but the agreeing solutions return 'a' for max_repeats('aab')")
    assert "(3 of 4 inputs)" in d["detail"]  # the empty string's 0 fits
    items = disputes(q, out, d, cfg)
    assert items[0]["call"] == "max_repeats('aab')" and items[0]["answers"] == [("'a'", 5)]
    ask = question_revision_messages(q, d["reason"], items)[-1]["content"]
    assert "Its signature says it returns int." in ask and "- max_repeats('aab'): 'a' (5 solutions)" in ask
    assert "a matching return annotation" in ask and "calls of your function" in ask and "new function" not in ask
    # the same outputs under `-> str`: now only the empty string's 0 does not fit
    as_str = decide_question(dict(q, prompt=MAX_REPEATS_PROMPT.replace("-> int", "-> str")), out, cfg)
    assert as_str["type_mismatches"] == [(1, "str")] and "return 0 for max_repeats('')" in as_str["detail"]
    assert return_annotation({"entry_point": "f", "prompt": "from typing import List\ndef f(x) -> List[int]:\n"
                              '    """Doc."""\n'}) == "List"
    assert return_annotation({"entry_point": "f", "prompt": 'def f(x):\n    """Doc."""\n'}) == ""


def test_a_traceback_example_is_compared_as_a_stated_exception():
    """A docstring example whose result is a traceback states an exception ("raises ValueError",
    scoring/expectations.py). All solutions returning a value instead: the example is wrong and, being a
    traceback, never rewritten (example_mismatch). Solutions raising it: it agrees and the question passes."""
    prompt = ('def safe_div(a: float, b: float) -> float:\n    """Divide a by b; raise ValueError when b is 0.\n'
              "    >>> safe_div(6, 3)\n    2.0\n    >>> safe_div(1, 0)\n    Traceback (most recent call last):\n"
              "        ...\n    ValueError: b must not be 0\n" '    """\n')
    assert docstring_examples(prompt.split('"""')[1], "safe_div") == [("safe_div(6, 3)", "2.0"),
                                                                     ("safe_div(1, 0)", "raises ValueError")]
    reply = question("safe_div", prompt, "safe_div(6, 3)\nsafe_div(1, 0)\nsafe_div(-4, 2)\nsafe_div(0, 5)\n",
                     "def safe_div(a, b):\n    return a / b if b else 0.0\n")
    quiet = [fenced("def safe_div(a, b):\n    return 0.0 if b == 0 else a / b\n")] * 4
    raising = [fenced("def safe_div(a, b):\n    if b == 0:\n        raise ValueError('b')\n    return a / b\n")] * 4
    cfg = make_cfg(per_level={"easy": 1, "medium": 0, "hard": 0}, max_tries_factor=1)
    _, rejected, _ = regenerate_questions(LEVELS, POOL, ScriptedTeacher([reply], {"safe_div": quiet}), cfg, 11, 3,
                                          EXECUTE)
    r = rejected[0]
    assert r["reason"] == "example_mismatch" and "raising ValueError" in r["detail"]
    wrong = [x for x in r["teacher_expectations"] if x["agrees"] is False]
    assert [(x["expected"], x["agreed"], x["supporters"]) for x in wrong] == [("raises ValueError", "0.0", 0)]
    fixed = reply.replace("return a / b if b else 0.0", "if not b:\n        raise ValueError('zero')\n    return a / b")
    accepted, _, _ = regenerate_questions(LEVELS, POOL, ScriptedTeacher([fixed], {"safe_div": raising}), cfg, 11, 3,
                                          EXECUTE)
    exps = accepted[0]["teacher_expectations"]
    assert [x["agrees"] for x in exps if x["source"] == "docstring"] == [True, True]
    assert "should raise ValueError" in accepted[0]["test"]


# ---- the student check (regeneration.student_check_samples): a question the student already solves is rejected

def _checked_run(kinds, student):
    cfg = make_cfg(per_level={"easy": 0, "medium": 0, "hard": 2}, max_tries_factor=1, student_check_samples=2,
                   student_check_kinds=kinds)
    answer = functools.partial(student_attempts, student_backend=student, cfg=cfg) if student else None
    return regenerate_questions(LEVELS, POOL, ScriptedTeacher([DIGIT_SUM, MEANS]), cfg, 11, 3, EXECUTE,
                                student_answer=answer)


def test_the_student_check_rejects_a_depth_question_the_student_solves():
    # a scripted student: right on digit_sum (both answers pass), wrong on running_mean
    student = ScriptedTeacher([], {"digit_sum": [DIGIT_SUM_SOLUTIONS[1]],
                                   "running_mean": [fenced("def running_mean(xs):\n    return list(xs)\n")]})
    accepted, rejected, stats = _checked_run(["depth"], student)
    assert [a["entry_point"] for a in accepted] == ["running_mean"]
    check = accepted[0]["student_check"]
    assert (check["n"], check["passed"], check["solved"]) == (2, 0, False)
    assert check["errors"] == ["AssertionError", "AssertionError"]
    (r,) = rejected
    assert r["entry_point"] == "digit_sum" and r["reason"] == "student_solves" and r["prompt_kind"] == "depth"
    assert r["student_check"]["passed"] == 2 and "passes 2/2" in r["detail"]
    assert "assert" in r["test"]   # the rejected record keeps the agreed tests it was checked against
    assert stats["hard"]["accepted"] == 1 and stats["hard"]["rejected"] == {"student_solves": 1}
    # the student was asked once, with both questions and n = 2 (Stage II's request)
    assert [(len(msgs), n) for msgs, _, n in student.calls] == [(2, 2)]


def test_a_question_the_student_solves_goes_back_to_be_made_harder():
    # revise_reasons student_solves: digit_sum (solved 2/2) returns to the teacher, whose harder version
    # (running_mean here) the student fails; accepted as the same request, its first version in `revisions`
    cfg = make_cfg(per_level={"easy": 0, "medium": 0, "hard": 1}, max_tries_factor=1, student_check_samples=2,
                   revise_rounds=1, revise_reasons=["student_solves"])
    student = ScriptedTeacher([], {"digit_sum": [DIGIT_SUM_SOLUTIONS[1]],
                                   "running_mean": [fenced("def running_mean(xs):\n    return list(xs)\n")]})
    teacher = ScriptedTeacher([DIGIT_SUM, MEANS])
    answer = functools.partial(student_attempts, student_backend=student, cfg=cfg)
    accepted, rejected, stats = regenerate_questions(LEVELS, POOL, teacher, cfg, 11, 3, EXECUTE,
                                                     student_answer=answer)
    assert not rejected and [a["entry_point"] for a in accepted] == ["running_mean"]
    a = accepted[0]
    assert a["revised"] == 1 and a["revisions"][0]["reason"] == "student_solves"
    assert "passes 2/2" in a["revisions"][0]["detail"] and a["student_check"]["passed"] == 0
    assert not any(c.startswith("digit_sum") for c in a["inputs"])   # a new task keeps none of the old calls
    ask = teacher.calls[2][0][0][-1]["content"]   # question, its solutions, then the revision request
    assert "too easy" in ask and "2 of its 2 answers" in ask and "def digit_sum" in ask
    st = stats["hard"]
    assert (st["requests"], st["accepted"], st["revisions"], st["accepted_after_revision"]) == (1, 1, 1, 1)
    assert st["student_checked"] == 2 and len(student.calls) == 2
    assert student.calls[0][1] != student.calls[1][1]   # the revision's check draws other answers (its own seed)
    # without the reason in revise_reasons it is rejected as before
    cfg.regeneration.revise_reasons = ["near_duplicate"]
    _, rejected, _ = regenerate_questions(LEVELS, POOL, ScriptedTeacher([DIGIT_SUM, MEANS]), cfg, 11, 3, EXECUTE,
                                          student_answer=answer)
    assert [r["reason"] for r in rejected] == ["student_solves"] and "revised" not in rejected[0]


def test_the_student_check_skips_other_kinds_and_needs_a_student():
    student = ScriptedTeacher([], {"digit_sum": [DIGIT_SUM_SOLUTIONS[1]]})
    accepted, rejected, _ = _checked_run(["breadth"], student)   # these are depth questions: not checked
    assert {a["entry_point"] for a in accepted} == {"digit_sum", "running_mean"} and not rejected
    assert not student.calls and all("student_check" not in a for a in accepted)
    with pytest.raises(ValueError, match="needs the student"):
        _checked_run(["depth"], None)


def test_the_cycle_hands_stage_iii_its_student_for_the_check():
    from types import SimpleNamespace

    from iterkd_lib.cycle import STAGE_BY_NAME

    cfg = make_cfg(per_level={"easy": 0, "medium": 0, "hard": 2}, max_tries_factor=1, student_check_samples=2)
    student = ScriptedTeacher([], {"digit_sum": [DIGIT_SUM_SOLUTIONS[1]], "running_mean": [MEANS_SOLUTIONS[0]]})
    asked = []
    run = SimpleNamespace(cfg=cfg, seed=5, teacher=lambda: ScriptedTeacher([DIGIT_SUM, MEANS]), execute=EXECUTE,
                          student=lambda k: asked.append(k) or student)
    accepted, summary, extra = STAGE_BY_NAME["new_questions"].compute(
        run, 2, {"07_levels": LEVELS, "01_pool": POOL, "held_out": []})
    assert asked == [2] and not accepted   # the cycle's own student, and it solves both
    assert [r["reason"] for r in extra["08_rejected_questions"]] == ["student_solves"] * 2
    assert summary["stats"]["hard"]["rejected"] == {"student_solves": 2}
    # no question of a checked kind: the student is not even loaded
    cfg.regeneration.student_check_kinds = ["breadth"]
    run.teacher = lambda: ScriptedTeacher([DIGIT_SUM, MEANS])
    accepted, _, _ = STAGE_BY_NAME["new_questions"].compute(run, 2, {"07_levels": LEVELS, "01_pool": POOL, "held_out": []})
    assert len(accepted) == 2 and asked == [2]
    assert summary["student_check"]["calls"] == 1 and summary["student_check"]["answers"] == 4   # 2 questions x 2


def test_the_student_check_runs_a_real_student(tiny_model_dir, humaneval_problems):
    """The check on the real bundled SmolLM2-135M (transformers, sampled): seeded per request, so the same seed
    gives the same verdicts; each result counts what the sandbox said about its own answers."""
    from iterkd_lib.models.hf_backend import LocalBackend, load_local_model
    from iterkd_lib.scoring.student_check import check_questions

    cfg = make_cfg(student_check_samples=2, student_check_max_pass=0.5)
    cfg.student.decoding.max_new_tokens = 64
    model, tok = load_local_model(tiny_model_dir, "float32")
    student = LocalBackend(model, tok, "smollm2-135m", batch_size=4)
    problems = [humaneval_problems[2], humaneval_problems[0]]   # truncate_number, has_close_elements
    answer = functools.partial(student_attempts, student_backend=student, cfg=cfg)
    got = check_questions(problems, answer, cfg, 7, EXECUTE)
    assert [r["n"] for r in got] == [2, 2] and all(len(r["errors"]) == 2 for r in got)
    for r in got:
        assert r["passed"] == sum(e is None for e in r["errors"]) and r["solved"] == (r["pass_rate"] >= 0.5)
        assert r["student"]["model"] == "smollm2-135m" and r["seed"] == 7
    assert check_questions(problems, answer, cfg, 7, EXECUTE) == got


def test_a_near_twin_in_the_same_round_and_the_rewrite_counts_per_question():
    # found by a fresh-user trial: acceptance moved behind the student check, so these must stay per question
    accepted, rejected, _, _ = run_stage([DIGIT_SUM, DIGIT_SUM])
    assert len(accepted) == 1 and [r["reason"] for r in rejected] == ["near_duplicate"]
    for replies in ([WRONG_EXAMPLE, DIGIT_SUM], [DIGIT_SUM, WRONG_EXAMPLE]):
        accepted, _, stats, _ = run_stage(replies)
        assert len(accepted) == 2 and stats["easy"]["questions_rewritten"] == 1, replies
        assert stats["easy"]["examples_rewritten"] == sum(len(a.get("examples_rewritten", [])) for a in accepted)


def test_the_student_check_threshold_kinds_and_answer_count():
    from iterkd_lib.scoring.student_check import check_questions

    # one right and one wrong answer: 1/2 passes; solved at max_pass 0.5, not at 1.0; breadth questions checked
    student = ScriptedTeacher([], {"digit_sum": [DIGIT_SUM_SOLUTIONS[1], fenced("def digit_sum(n):\n    return 0\n")]})
    for max_pass, solved in ((0.5, True), (1.0, False)):
        cfg = make_cfg(per_level={"easy": 1, "medium": 0, "hard": 0}, max_tries_factor=1, student_check_samples=2,
                       student_check_kinds=["breadth"], student_check_max_pass=max_pass)
        answer = functools.partial(student_attempts, student_backend=student, cfg=cfg)
        accepted, rejected, stats = regenerate_questions(LEVELS, POOL, ScriptedTeacher([DIGIT_SUM]), cfg, 11, 3,
                                                         EXECUTE, student_answer=answer)
        (q,) = accepted + rejected
        assert q["prompt_kind"] == "breadth" and q["student_check"]["passed"] == 1 and stats["easy"]["student_checked"] == 1
        assert (q.get("reason") == "student_solves") is solved and q["student_check"]["solved"] is solved
        assert "return 0" in q["student_check"]["answers"][1]   # the answers are kept for inspection
    with pytest.raises(ValueError, match="gave 1 answers for 1 questions x 2"):
        check_questions([accepted[0]], lambda problems, seed, n: [{"completion": ""}], cfg, 0, EXECUTE)


def test_student_check_settings_that_would_check_nothing_or_everything_are_refused():
    from iterkd_lib.config import ConfigError, load_config

    with pytest.raises(ConfigError, match="student_check_kinds is empty"):
        load_config(None, ["regeneration.student_check_samples=2", "regeneration.student_check_kinds=[]"])
    with pytest.raises(ConfigError, match="student_check_max_pass' is 0.0; must be >= 0.01"):
        load_config(None, ["regeneration.student_check_samples=2", "regeneration.student_check_max_pass=0"])
    assert load_config(None, ["regeneration.student_check_kinds=[]"]).regeneration.student_check_samples == 0
