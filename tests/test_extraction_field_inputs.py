"""Field inputs (issue 12) for code extraction: each kind of reply shape that scored right answers wrong.

Every case asserts the extracted code or the rule/failure recorded; the two examples of the issue are
scored by the real sandbox (`execution.check_completions`), the rest by `ast`/string checks plus one
sandbox batch at the end (one batch keeps the sandbox start-up cost to one pool).
"""

from __future__ import annotations

import ast
import textwrap

import pytest

from iterkd_lib.sandbox import check_completions
from iterkd_lib.scoring.code_extraction import (
    EXTRACTION_FAILED,
    completion_from_code,
    extract,
    extract_code,
    fenced_blocks,
    verdict_with_extraction,
)

ABS_MAX = {"task_id": "f/abs_max", "entry_point": "abs_max",
           "prompt": 'def abs_max(xs: list) -> int:\n    """Largest absolute value in xs."""\n',
           "test": "def check(candidate):\n    assert candidate([-7, 3]) == 7\n    assert candidate([1, 2]) == 2\n"}
TOTAL = {"task_id": "f/total", "entry_point": "total",
         "prompt": 'def total(xs: list) -> int:\n    """Sum of the list."""\n',
         "test": "def check(candidate):\n    assert candidate([1, 2, 3]) == 6\n    assert candidate([]) == 0\n"}

THINK_REPLY = """<think>
Maybe just:
```python
def abs_max(xs):
    return max(xs)
```
No, negatives matter.
</think>
```python
def abs_max(xs):
    return max(abs(x) for x in xs)
```"""

BROKEN_FIRST_LINE = """```python
total = 0
    for x in xs:
        total += x
    return total
```"""

TWO_SPACE_BODY = """```python
  total = 0
  for x in xs:
    total += x
  return total
```"""


def _verdict(problem, reply):
    ex = extract(reply, problem["entry_point"])
    v = check_completions([(problem, completion_from_code(problem, ex.code))], timeout_s=5, workers=1)[0]
    return ex, verdict_with_extraction(v, ex)


# ------------------------------------------------------------------ the issue's two examples, real sandbox

def test_issue_think_block_answer_after_reasoning_passes_in_sandbox():
    ex, v = _verdict(ABS_MAX, THINK_REPLY)
    assert ex.code == "def abs_max(xs):\n    return max(abs(x) for x in xs)"
    assert ex.failure is None and ex.rule.startswith("after_reasoning:")
    assert v["passed"] is True, v


@pytest.mark.parametrize("reply", [BROKEN_FIRST_LINE, TWO_SPACE_BODY, TWO_SPACE_BODY.replace("  ", "\t")],
                         ids=["first-line-lost-indent", "two-space-body", "tab-body"])
def test_issue_body_with_broken_indentation_is_reassembled_and_passes_in_sandbox(reply):
    ex, v = _verdict(TOTAL, reply)
    assert ex.code == "total = 0\nfor x in xs:\n    total += x\nreturn total" or \
        ex.code == "total = 0\nfor x in xs:\n  total += x\nreturn total"
    assert "reindented" in ex.rule or ex.rule.endswith("+body")
    assert v["passed"] is True, v


def test_two_space_body_given_directly_to_completion_from_code_passes():
    # records written before the fix hold the body as extracted then: completion_from_code re-indents it
    body = "  total = 0\n  for x in xs:\n    total += x\n  return total"
    comp = completion_from_code(TOTAL, body)
    assert comp == "    total = 0\n    for x in xs:\n      total += x\n    return total\n"
    ast.parse(TOTAL["prompt"] + comp)


# ------------------------------------------------------------------ reasoning and wrapper tags

@pytest.mark.parametrize("tag", ["think", "thinking", "reasoning", "THINK", "reflection"])
def test_reasoning_tags_of_all_spellings_are_not_the_answer(tag):
    reply = THINK_REPLY.replace("<think>", f"<{tag}>").replace("</think>", f"</{tag}>")
    assert extract_code(reply, "abs_max") == "def abs_max(xs):\n    return max(abs(x) for x in xs)"


def test_closing_tag_without_opening_tag_hides_what_precedes_it():
    # DeepSeek-R1-style templates put "<think>" into the prompt; the reply only holds the closing tag
    reply = THINK_REPLY.split("<think>\n", 1)[1]
    assert extract_code(reply, "abs_max") == "def abs_max(xs):\n    return max(abs(x) for x in xs)"


def test_unclosed_reasoning_is_an_extraction_failure_not_the_draft():
    reply = "<think>\nFirst try:\n```python\ndef abs_max(xs):\n    return max(xs)\n```\nHmm, but"
    ex = extract(reply, "abs_max")
    assert (ex.failure, ex.code) == ("unclosed_reasoning", "")


def test_code_only_inside_closed_reasoning_is_an_extraction_failure():
    ex = extract("<think>\n```python\ndef abs_max(xs):\n    return max(xs)\n```\n</think>\nDone, see above.",
                 "abs_max")
    assert (ex.failure, ex.code) == ("answer_only_in_reasoning", "")


def test_answer_wrapper_tags_pick_the_wrapped_code():
    reply = ("Draft:\n```python\ndef abs_max(xs):\n    return max(xs)\n```\n<answer>\n```python\n"
             "def abs_max(xs):\n    return max(map(abs, xs))\n```\n</answer>\nThe first draft was wrong.")
    ex = extract(reply, "abs_max")
    assert ex.code == "def abs_max(xs):\n    return max(map(abs, xs))" and ex.rule.startswith("answer_tag:")
    unfenced = "<answer>\ndef abs_max(xs):\n    return max(map(abs, xs))\n</answer>"
    assert extract_code(unfenced, "abs_max") == "def abs_max(xs):\n    return max(map(abs, xs))"
    llama = "[PYTHON]\ndef abs_max(xs):\n    return max(map(abs, xs))\n[/PYTHON]"
    assert extract_code(llama, "abs_max") == "def abs_max(xs):\n    return max(map(abs, xs))"


def test_inline_code_tag_in_prose_is_not_an_answer_wrapper():
    reply = "Use <code>max</code> with a key:\n```python\ndef abs_max(xs):\n    return max(xs, key=abs)\n```"
    assert extract_code(reply, "abs_max") == "def abs_max(xs):\n    return max(xs, key=abs)"


# ------------------------------------------------------------------ several fenced blocks

def test_revised_answer_last_defining_block_wins():
    reply = ("First attempt:\n```python\ndef abs_max(xs):\n    return max(xs)\n```\nThat fails on negatives. "
             "Corrected:\n```python\ndef abs_max(xs):\n    return max(abs(x) for x in xs)\n```\n"
             "Usage:\n```python\nprint(abs_max([-7, 3]))\n```")
    ex = extract(reply, "abs_max")
    assert ex.code == "def abs_max(xs):\n    return max(abs(x) for x in xs)" and ex.rule == "last_defining_block"


def test_truncated_revision_does_not_replace_the_complete_block():
    reply = ("```python\ndef abs_max(xs):\n    return max(abs(x) for x in xs)\n```\nA faster version:\n"
             "```python\ndef abs_max(xs):\n    best = 0\n    for x in")
    assert extract_code(reply, "abs_max") == "def abs_max(xs):\n    return max(abs(x) for x in xs)"


def test_repeated_prompt_stub_block_is_skipped():
    reply = ('You asked for:\n```python\ndef abs_max(xs: list) -> int:\n    """Largest absolute value in xs."""\n'
             '```\nHere it is:\n```python\ndef abs_max(xs: list) -> int:\n    return max(abs(x) for x in xs)\n```\n'
             'And the signature again:\n```python\ndef abs_max(xs: list) -> int:\n    ...\n```')
    assert extract_code(reply, "abs_max") == "def abs_max(xs: list) -> int:\n    return max(abs(x) for x in xs)"


def test_repeated_prompt_then_body_in_next_block_is_the_body():
    reply = ('```python\ndef total(xs: list) -> int:\n    """Sum of the list."""\n```\n'
             'Implementation:\n```python\n    return sum(xs)\n```')
    ex = extract(reply, "total")
    assert ex.code == "return sum(xs)" and ex.failure is None
    assert completion_from_code(TOTAL, ex.code) == "    return sum(xs)\n"


def test_only_the_prompt_stub_repeated_is_no_body_failure():
    ex = extract('```python\ndef total(xs: list) -> int:\n    """Sum of the list."""\n    pass\n```', "total")
    assert ex.failure == "no_body"


def test_helper_import_and_function_from_another_block_are_prepended():
    reply = ("```python\nimport math\n\ndef _norm(x):\n    return math.fabs(x)\n```\nThen:\n"
             "```python\ndef abs_max(xs):\n    return max(_norm(x) for x in xs)\n```")
    ex = extract(reply, "abs_max")
    assert ex.rule == "last_defining_block+helpers"
    assert ex.code == ("import math\n\ndef _norm(x):\n    return math.fabs(x)\n\n"
                       "def abs_max(xs):\n    return max(_norm(x) for x in xs)")


# ------------------------------------------------------------------ fence shapes

@pytest.mark.parametrize("opener", ["```py", "```python3", "```", "```Python", "~~~python", "````python",
                                    "``` python"])
def test_fence_openers(opener):
    closer = opener[:4] if opener.startswith("````") else opener[:3]
    reply = f"Here:\n{opener}\ndef abs_max(xs):\n    return max(map(abs, xs))\n{closer}\nDone."
    assert extract_code(reply, "abs_max") == "def abs_max(xs):\n    return max(map(abs, xs))"


def test_fence_indented_inside_a_list_item():
    reply = ("Steps:\n1. Take absolute values.\n2. Code:\n\n   ```python\n   def abs_max(xs):\n"
             "       return max(abs(x) for x in xs)\n   ```\n3. Done.")
    assert fenced_blocks(reply) == [("python", "def abs_max(xs):\n    return max(abs(x) for x in xs)")]
    assert extract_code(reply, "abs_max") == "def abs_max(xs):\n    return max(abs(x) for x in xs)"


def test_closing_fence_glued_to_the_last_code_line():
    reply = "```python\ndef abs_max(xs):\n    return max(map(abs, xs))```\nThat is all."
    assert extract_code(reply, "abs_max") == "def abs_max(xs):\n    return max(map(abs, xs))"


def test_unclosed_fence_truncated_mid_body_keeps_the_complete_lines():
    reply = "```python\ntotal = 0\nfor x in xs:\n    total += x\nreturn tot"
    ex = extract(reply, "total")
    assert ex.code.startswith("total = 0\nfor x in xs:\n    total += x")
    reply = "```python\ntotal = 0\nfor x in xs:\n    total += x\nreturn (total +"
    ex = extract(reply, "total")
    assert ex.code == "total = 0\nfor x in xs:\n    total += x" and ex.rule.endswith("+body_truncated")


def test_tagged_fence_opened_inside_an_unclosed_block_closes_it():
    reply = "```python\nimport math\n```python\ndef abs_max(xs):\n    return max(map(abs, xs))\n```"
    assert [b for _, b in fenced_blocks(reply)] == ["import math", "def abs_max(xs):\n    return max(map(abs, xs))"]


# ------------------------------------------------------------------ failures that no rule can decide

@pytest.mark.parametrize("reply, failure", [
    ("", "empty_reply"),
    ("   \n", "empty_reply"),
    ("I am sorry, I cannot help with this request.", "no_code"),
    ("```python\ndef largest(xs):\n    return max(map(abs, xs))\n```", "entry_point_missing"),
])
def test_undecidable_replies_record_the_failure(reply, failure):
    assert extract(reply, "abs_max").failure == failure


def test_failure_becomes_the_verdict_error_type_from_real_sandbox():
    replies = ["I am sorry, I cannot help.", "<think>\n```python\ndef abs_max(xs):\n    return 7\n```",
               "```python\ndef largest(xs):\n    return max(map(abs, xs))\n```",
               "```python\ndef abs_max(xs)\n    return max(xs)\n```"]  # a real SyntaxError: model's fault
    exs = [extract(r, "abs_max") for r in replies]
    raw = check_completions([(ABS_MAX, completion_from_code(ABS_MAX, e.code)) for e in exs], timeout_s=5)
    vs = [verdict_with_extraction(v, e) for v, e in zip(raw, exs)]
    assert [v["error_type"] for v in vs[:3]] == [EXTRACTION_FAILED] * 3
    assert [v["extraction"]["failure"] for v in vs[:3]] == ["no_code", "unclosed_reasoning",
                                                           "entry_point_missing"]
    assert all(v["passed"] is False and v["status"] == "failed" and v["sandbox"]["status"] for v in vs[:3])
    assert vs[3]["error_type"] == "SyntaxError" and vs[3]["extraction"]["failure"] is None


def test_field_batch_in_real_sandbox_all_pass():
    """Every decidable shape above, scored by the sandbox: all must pass."""
    cases = [
        (ABS_MAX, THINK_REPLY),
        (ABS_MAX, THINK_REPLY.split("<think>\n", 1)[1]),
        (ABS_MAX, "1. Code:\n\n   ```py\n   def abs_max(xs):\n       return max(abs(x) for x in xs)\n   ```"),
        (ABS_MAX, "```python3\ndef abs_max(xs):\n    return max(map(abs, xs))```"),
        (ABS_MAX, ("```\nimport math\n```\n```python\ndef abs_max(xs):\n"
                  "    return int(max(math.fabs(x) for x in xs))\n```")),
        (TOTAL, BROKEN_FIRST_LINE), (TOTAL, TWO_SPACE_BODY),
        (TOTAL, ('```python\ndef total(xs: list) -> int:\n    """Sum of the list."""\n```\n'
                '```python\n    return sum(xs)\n```')),
        (TOTAL, "```python\ndef total(xs):\n\treturn sum(xs)\n\nprint(total([1]))\n```"),
    ]
    exs = [extract(r, p["entry_point"]) for p, r in cases]
    vs = check_completions([(p, completion_from_code(p, e.code)) for (p, _), e in zip(cases, exs)], timeout_s=5)
    assert [e.failure for e in exs] == [None] * len(cases)
    assert [v["passed"] for v in vs] == [True] * len(cases), [(e.rule, v["message"]) for e, v in zip(exs, vs)]


def test_verdict_with_extraction_keeps_a_pass_and_records_rule():
    ex = extract(THINK_REPLY, "abs_max")
    v = verdict_with_extraction({"passed": True, "status": "passed", "error_type": None, "message": ""}, ex)
    assert v["passed"] and v["extraction"] == {"rule": ex.rule, "failure": None, "detail": ""}
    assert verdict_with_extraction({"passed": False}, None) == {"passed": False}


def test_extraction_never_raises_on_odd_text():
    for text in ["```", "```python", "<think>", "</think>", "<answer>", "\t\t", "def", "```\n```\n```",
                 textwrap.dedent("""\
                 ~~~
                 ```python
                 x = 1
                 """)]:
        extract(text, "f")
        extract(text, None)


class _Chat:
    """Backend fake replaying one reply per problem (unit-test stand-in)."""

    def __init__(self, replies):
        self.replies = replies

    def chat(self, messages_list, decoding, seed, n=1):
        return [[self.replies[i]] * n for i in range(len(messages_list))]

    def describe(self):
        return {"model": "scripted"}


def test_evaluation_chat_protocol_records_extraction_in_each_verdict():
    from iterkd_lib.config import IterKDConfig
    from iterkd_lib.stages.evaluation import evaluate

    cfg = IterKDConfig()
    cfg.evaluation.samples = 1
    cfg.evaluation.pass_k = [1]
    records, metrics = evaluate(_Chat([THINK_REPLY, "<think>\nsum them"]), [ABS_MAX, TOTAL], cfg, seed=0,
                                protocol="chat")
    assert [r["passed"] for r in records] == [True, False]
    assert records[0]["verdict"]["extraction"]["failure"] is None
    assert records[1]["verdict"]["error_type"] == EXTRACTION_FAILED
    assert metrics["pass@1"] == 0.5


def test_rescore_script_counts_verdict_changes_on_a_run_dir(tmp_path):
    """benchmarks/rescore_extraction.py on a tiny run directory: old (git history) vs new extraction."""
    import importlib.util
    import json
    from pathlib import Path

    from iterkd_lib.config import config_to_dict, load_config
    from iterkd_lib.runstore import write_jsonl

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "rescore_extraction.py"
    spec = importlib.util.spec_from_file_location("rescore_extraction", script)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    cfg = load_config(None, ["evaluation.subset=1"])
    (tmp_path / "run.json").write_text(json.dumps({"config": config_to_dict(cfg)}))
    write_jsonl(tmp_path / "held_out.jsonl", [])
    write_jsonl(tmp_path / "cycle_0" / "01_pool.jsonl", [ABS_MAX, TOTAL])
    good = "```python\ndef total(xs):\n    return sum(xs)\n```"
    write_jsonl(tmp_path / "cycle_0" / "05_student_attempts.jsonl", [
        {"task_id": "f/abs_max", "sample_index": 0, "raw": THINK_REPLY},           # old: draft -> fail
        {"task_id": "f/total", "sample_index": 0, "raw": BROKEN_FIRST_LINE},      # old: first line only
        {"task_id": "f/total", "sample_index": 1, "raw": good},                   # unchanged pass
        {"task_id": "f/total", "sample_index": 2, "raw": "Sorry, no idea."},      # -> extraction_failed
    ])
    res = mod.rescore(tmp_path, mod.load_old(mod.DEFAULT_OLD), workers=2)
    c = res["stages"]["cycle_0/05_student_attempts"]
    assert c["records"] == 4 and c["fail->pass"] == 2 and c["fail->extraction_failed"] == 1
    assert c["verdict_changed"] == 3 and "pass->fail" not in c


def test_method_of_a_class_is_an_extraction_failure():
    reply = "```python\nclass Solution:\n    def abs_max(self, xs):\n        return max(map(abs, xs))\n```"
    assert extract(reply, "abs_max").failure == "entry_point_in_class"


def test_think_tag_inside_code_is_not_reasoning():
    reply = '```python\ndef has_think(s):\n    return "<think>" in s and "</think>" in s\n```'
    assert extract_code(reply, "has_think") == 'def has_think(s):\n    return "<think>" in s and "</think>" in s'


def test_typed_records_round_trip_the_additive_keys():
    from iterkd_lib.scoring.judge_parser import parse_judgement
    from iterkd_lib.verdicts import ExecutionResult, Judgement

    ex = extract("Sorry.", "abs_max")
    v = verdict_with_extraction(ExecutionResult(passed=False, status="failed", error_type="NameError").to_dict(), ex)
    assert ExecutionResult.from_dict(v).to_dict() == v and v["sandbox"]["error_type"] == "NameError"
    j = {**parse_judgement('{"total": 4}'), "raw": '{"total": 4}'}
    d = Judgement(**j).to_dict()
    assert Judgement.from_dict(d).to_dict() == d and d["score_source"] == "total" and d["reply_format"] == "json"
