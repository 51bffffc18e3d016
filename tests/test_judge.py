"""Rubric parsing on judge replies written the ways real instruct models write them, and the retry path."""

from __future__ import annotations

import pytest

from iterkd_lib.prompts import judge_messages
from iterkd_lib.scoring.judge_parser import MAX_SCORE, parse_judgement
from iterkd_lib.scoring.judging import judge_attempts

EXACT = """Code Analysis: The function sorts the list and returns the middle element. It fails on an empty
list (IndexError) and has no docstring.
Functionality: 1.5
Boundary checks: 0
Requirement coverage: 1
Readability: 0.5
Practices: 1
Total: 4"""

BOLD_MARKDOWN = """Sure! Here is my evaluation of the code.

**Code Analysis:** The implementation correctly reverses the words but strips repeated spaces, which the
task says to keep.

**Functionality:** 1.5/2
**Boundary checks:** 1/1
**Requirement coverage:** 0.5/1
**Readability:** 1/1
**Practices:** 1/1

**Total: 5/6**"""

HEADINGS_MULTILINE = """### Code Analysis
The loop never terminates when n is negative, so the function hangs for part of the input domain.

#### 1. Basic functionality (2 points)
The happy path works.
**Score: 1.5/2**

#### 2. Boundary checks (1 point)
Negative inputs are not handled at all.
**Score: 0/1**

#### 3. Requirement coverage (1 point)
**Score: 1/1**

#### 4. Readability and documentation (1 point)
**Score: 1/1**

#### 5. Coding practices, efficiency, error handling (1 point)
**Score: 0.5/1**

### Final Score: 4/6"""

TABLE = """Code Analysis: Uses a set to deduplicate, which loses the original order required by the task.

| Rule | Max | Score |
|------|-----|-------|
| Functionality | 2 | 1 |
| Boundary checks | 1 | 1 |
| Requirement coverage | 1 | 0 |
| Readability | 1 | 1 |
| Practices | 1 | 0.5 |

Total: 3.5"""

NUMBERED_NO_TOTAL = """Code Analysis: Correct and idiomatic; handles the empty string.
1. Functionality - 2
2. Boundary checks - 1
3. Requirement coverage - 1
4. Readability - 0.5
5. Practices - 1"""

TOTAL_DISAGREES = """Code Analysis: fine.
Functionality: 2
Boundary checks: 1
Requirement coverage: 1
Readability: 1
Practices: 0.5
Total: 6"""

ONLY_TOTAL = """The code looks mostly right but misses the edge case of an empty list. Score: 4/6"""

PROSE_MENTIONS = """Code Analysis: The code handles boundary checks well: it tests for 0 and 1.
Functionality: 2
Boundary checks: 1
Requirement coverage: 1
Readability: 1
Practices: 1"""

OUT_OF_RANGE = """Code Analysis: good.
Functionality: 2
Boundary checks: 1
Requirement coverage: 1
Readability: 3
Practices: 1"""

OTHER_SCALE = """Code Analysis: Works.
Functionality: 8/10
Boundary checks: 4/5
Requirement coverage: 1
Readability: 1
Practices: 1"""

GARBAGE = """def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]
I think this is a good solution."""

FENCED_CHATTY = """Let me carefully evaluate the provided code against each rule.

```
Code Analysis: The function returns the right answer but uses a quadratic scan.
Functionality (0-2): **2** / 2
Boundary checks (0-1): 1 point
Requirement coverage (0-1): **1**
Readability (0-1): 0.5 out of 1
Practices (0-1): 0.5 - quadratic where a dict would be linear
Total: 5 / 6
```

I hope this helps! Let me know if you need anything else."""

ECHOED_RUBRIC = """Rubric:
- Functionality: 2 points
- Boundary checks: 1 point
Code Analysis: It crashes on None input.
- Functionality: 1
- Boundary checks: 0
- Requirement coverage: 1
- Readability: 1
- Practices: 0.5
- Total: 3.5"""

# Recorded from Qwen2.5-Coder-0.5B-Instruct (bf16, greedy, max 256 new tokens) judging two median() attempts
# with `judge_messages`: blank lines between rules, and a reply that forgets every score.
REAL_QWEN_05B = 'Code Analysis: The function `median` calculates the median of a list of numbers. It first sorts the list and then returns the middle element, which is the median.\n\nFunctionality: 2\n\nBoundary checks: 0\n\nRequirement coverage: 0\n\nReadability: 0\n\nPractices: 0\n\nTotal: 2'
REAL_QWEN_05B_NO_SCORES = 'Code Analysis: The function `median` calculates the median of a list of numbers. It first sorts the list, then checks if the list is empty and raises a `ValueError` if it is. If the list is not empty, it calculates the median by finding the middle element and then averaging the two elements before and after it. The function is tested with a few examples to ensure it works correctly.'


def test_recorded_small_model_replies():
    j = parse_judgement(REAL_QWEN_05B)
    assert j["parse_ok"] and j["score"] == 2.0 and j["rules"]["functionality"] == 2.0
    assert j["analysis"].startswith("The function `median`") and j["problem"] is None
    k = parse_judgement(REAL_QWEN_05B_NO_SCORES)
    assert k["parse_ok"] is False and k["score"] is None and "ValueError" in k["analysis"]


@pytest.mark.parametrize("text, score, rules", [
    (EXACT, 4.0, {"functionality": 1.5, "boundary": 0.0, "coverage": 1.0, "readability": 0.5, "practices": 1.0}),
    (BOLD_MARKDOWN, 5.0, {"functionality": 1.5, "boundary": 1.0, "coverage": 0.5, "readability": 1.0,
                          "practices": 1.0}),
    (HEADINGS_MULTILINE, 4.0, {"functionality": 1.5, "boundary": 0.0, "coverage": 1.0, "readability": 1.0,
                               "practices": 0.5}),
    (TABLE, 3.5, {"functionality": 1.0, "boundary": 1.0, "coverage": 0.0, "readability": 1.0, "practices": 0.5}),
    (NUMBERED_NO_TOTAL, 5.5, {"functionality": 2.0, "boundary": 1.0, "coverage": 1.0, "readability": 0.5,
                              "practices": 1.0}),
    (PROSE_MENTIONS, 6.0, {"functionality": 2.0, "boundary": 1.0, "coverage": 1.0, "readability": 1.0,
                           "practices": 1.0}),
    (FENCED_CHATTY, 5.0, {"functionality": 2.0, "boundary": 1.0, "coverage": 1.0, "readability": 0.5,
                          "practices": 0.5}),
    (ECHOED_RUBRIC, 3.5, {"functionality": 1.0, "boundary": 0.0, "coverage": 1.0, "readability": 1.0,
                          "practices": 0.5}),
])
def test_well_formed_variants_parse_to_the_rules(text, score, rules):
    j = parse_judgement(text)
    assert j["parse_ok"], j["problem"]
    assert j["rules"] == rules
    assert j["score"] == pytest.approx(score)


def test_analysis_is_kept_and_excludes_scores():
    j = parse_judgement(EXACT)
    assert j["analysis"].startswith("The function sorts the list")
    assert "IndexError" in j["analysis"] and "Functionality" not in j["analysis"]
    assert "missing the edge case" not in parse_judgement(BOLD_MARKDOWN)["analysis"]
    assert "strips repeated spaces" in parse_judgement(BOLD_MARKDOWN)["analysis"]
    assert "never terminates" in parse_judgement(HEADINGS_MULTILINE)["analysis"]


def test_missing_total_is_the_sum_and_recorded():
    j = parse_judgement(NUMBERED_NO_TOTAL)
    assert "total missing" in j["problem"]


def test_total_that_disagrees_prefers_rules_and_is_recorded():
    j = parse_judgement(TOTAL_DISAGREES)
    assert j["score"] == pytest.approx(5.5)
    assert "disagrees" in j["problem"]


def test_only_a_total_is_used_when_rules_are_missing():
    j = parse_judgement(ONLY_TOTAL)
    assert j["parse_ok"] and j["score"] == pytest.approx(4.0)
    assert all(v is None for v in j["rules"].values())
    assert "rules missing" in j["problem"]


def test_out_of_range_rule_is_rejected_not_clipped():
    j = parse_judgement(OUT_OF_RANGE)
    assert j["rules"]["readability"] is None
    assert not j["parse_ok"] and j["score"] is None
    assert "out of range" in j["problem"]


def test_other_scale_is_not_trusted():
    j = parse_judgement(OTHER_SCALE)
    assert j["rules"]["functionality"] is None and j["rules"]["boundary"] is None
    assert not j["parse_ok"] and "other scale" in j["problem"]


@pytest.mark.parametrize("text", [GARBAGE, "", "I cannot evaluate this code.", "Total: 9/6"])
def test_garbage_is_unparseable_never_zero(text):
    j = parse_judgement(text)
    assert j["parse_ok"] is False
    assert j["score"] is None
    assert j["problem"]


def test_prompt_carries_task_code_and_layout():
    msgs = judge_messages({"prompt": "def f(x):\n    '''Double x.'''\n"}, "def f(x):\n    return 2 * x")
    user = msgs[-1]["content"]
    assert "Double x." in user and "return 2 * x" in user
    assert "Code Analysis:" in user and "Total:" in user
    assert MAX_SCORE == 6


class ScriptedJudge:
    """Replays canned replies in order; records the requests it saw (unit-test stand-in for a backend)."""

    def __init__(self, replies):
        self.replies = list(replies)
        self.calls = []

    def chat(self, messages_list, decoding, seed):
        self.calls.append((messages_list, seed))
        return [self.replies.pop(0) for _ in messages_list]

    def describe(self):
        return {"model": "scripted", "backend": "test"}


def test_unparseable_is_retried_once_with_new_seed_then_recorded():
    problems = {"T/0": {"task_id": "T/0", "prompt": "def f():\n"}, "T/1": {"task_id": "T/1", "prompt": "def g():\n"}}
    attempts = [{"task_id": "T/0", "sample_index": 0, "code": "def f(): return 1"},
                {"task_id": "T/1", "sample_index": 0, "code": "def g(): return 2"}]
    judge = ScriptedJudge([GARBAGE, GARBAGE, EXACT])  # T/0 fails then parses; T/1 parses first time
    judge.replies = [GARBAGE, EXACT, EXACT]
    out = judge_attempts(problems, attempts, judge, {"temperature": 0.0}, seed=7)
    assert len(judge.calls) == 2
    assert judge.calls[0][1] != judge.calls[1][1]
    assert len(judge.calls[1][0]) == 1 and judge.calls[1][0][0][-1]["role"] == "user"
    assert out[0]["tries"] == 2 and out[0]["parse_ok"] and out[0]["first_raw"] == GARBAGE
    assert out[1]["tries"] == 1 and out[1]["score"] == pytest.approx(4.0)
    assert out[0]["judge"]["model"] == "scripted" and out[0]["decoding"] == {"temperature": 0.0}

    judge = ScriptedJudge([GARBAGE, GARBAGE])
    out = judge_attempts(problems, attempts[:1], judge, {"temperature": 0.0}, seed=7)
    assert out[0]["parse_ok"] is False and out[0]["score"] is None and out[0]["tries"] == 2


@pytest.mark.slow
def test_real_small_model_as_judge(tmp_path, model_cache_dir):
    """One real judgement by Qwen2.5-Coder-0.5B-Instruct on llama.cpp (the demo's judge engine): a record,
    never a crash. (Was transformers bf16: on CPUs without AVX512-BF16 that alone took minutes.)"""
    from iterkd_lib.config import BackendConfig, DecodingConfig
    from iterkd_lib.models.backends import make_backend

    backend = make_backend(BackendConfig(model="qwen2.5-coder-0.5b-instruct", backend="llamacpp", threads=1,
                                         parallel=2, ctx_per_slot=2048),
                           model_cache_dir, cache=False, log_dir=str(tmp_path / "logs"))
    problem = {"task_id": "T/median", "prompt": 'def median(xs: list) -> float:\n    """Return the median of xs."""\n'}
    attempt = {"task_id": "T/median", "sample_index": 0,
               "code": "def median(xs: list) -> float:\n    xs = sorted(xs)\n    return xs[len(xs) // 2]\n"}
    try:
        (rec,) = judge_attempts({"T/median": problem}, [attempt], backend, DecodingConfig(max_new_tokens=160), seed=3)
    finally:
        backend.close()
    assert rec["raw"].strip() and rec["judge"]["model"] == "qwen2.5-coder-0.5b-instruct"
    if rec["parse_ok"]:
        assert 0.0 <= rec["score"] <= MAX_SCORE
    else:
        assert rec["score"] is None and rec["tries"] == 2


# ------------------------------------------------------------------ field inputs (issue 12)

EVIDENCE_THEN_FRACTION = """Code Analysis: Mostly right; the empty list is not handled.
Functionality: 2 of the 3 examples pass, so 1/2
Boundary checks: 0
Requirement coverage: 1
Readability: 1
Practices: 1
Total: 4"""


def test_rule_score_is_the_fraction_not_the_first_number_of_the_sentence():
    j = parse_judgement(EVIDENCE_THEN_FRACTION)
    assert j["rules"]["functionality"] == pytest.approx(1.0)
    assert j["score"] == pytest.approx(4.0) and j["score_source"] == "rules" and j["disagreement"] is None


@pytest.mark.parametrize("line, value", [
    ("Functionality: 3 tests pass out of 4, which gives 1.5 out of 2", 1.5),
    ("Functionality: it handles 2 cases; score 1/2, not 2/2... final: 1.5/2", 1.5),  # the last x/2 wins
    ("Functionality: 1.5/2 (2 of 3 examples)", 1.5),
    ("Functionality: 2", 2.0),
])
def test_fraction_over_the_rule_maximum_anywhere_on_the_line(line, value):
    text = EVIDENCE_THEN_FRACTION.replace("Functionality: 2 of the 3 examples pass, so 1/2", line)
    assert parse_judgement(text)["rules"]["functionality"] == pytest.approx(value)


def test_boundary_rule_fraction_after_evidence_numbers():
    text = EVIDENCE_THEN_FRACTION.replace("Boundary checks: 0", "Boundary checks: 2 edge cases of 3 missed: 0/1")
    assert parse_judgement(text)["rules"]["boundary"] == 0.0


JSON_REPLY = ('{"functionality": 2, "boundary": 1, "coverage": 1, "readability": 0.5, "practices": 0.5, '
              '"total": 5}')


def test_json_reply_is_parsed():
    j = parse_judgement(JSON_REPLY)
    assert j["parse_ok"] and j["score"] == pytest.approx(5.0) and j["reply_format"] == "json"
    assert j["rules"] == {"functionality": 2.0, "boundary": 1.0, "coverage": 1.0, "readability": 0.5,
                          "practices": 0.5}
    assert j["score_source"] == "rules" and j["problem"] is None


def test_fenced_json_with_long_key_names_strings_and_analysis():
    text = """Here is my grading:
```json
{
  "code_analysis": "Correct, but quadratic.",
  "Functionality": "2/2",
  "boundary_checks": {"score": 0.5, "max": 1},
  "requirement_coverage": 1,
  "Readability": 1,
  "coding_practices": 0,
  "Total": "4.5/6"
}
```"""
    j = parse_judgement(text)
    assert j["score"] == pytest.approx(4.5) and j["analysis"] == "Correct, but quadratic."
    assert j["rules"]["boundary"] == 0.5 and j["reply_format"] == "json"


def test_json_nested_scores_and_rule_list():
    nested = '{"scores": {"functionality": 1, "boundary_checks": 0, "coverage": 1, "readability": 1, ' \
             '"practices": 1}, "total": 4}'
    assert parse_judgement(nested)["score"] == pytest.approx(4.0)
    listed = ('[{"rule": "Functionality", "score": 2}, {"rule": "Boundary checks", "score": 1}, '
              '{"rule": "Requirement coverage", "score": 0}, {"rule": "Readability", "score": 1}, '
              '{"rule": "Practices", "score": 1}]')
    j = parse_judgement(listed)
    assert j["score"] == pytest.approx(5.0) and j["rules"]["coverage"] == 0.0


def test_json_out_of_range_and_only_total():
    j = parse_judgement('{"functionality": 3, "boundary": 1, "coverage": 1, "readability": 1, "practices": 1}')
    assert not j["parse_ok"] and "out of range" in j["problem"]
    j = parse_judgement('Verdict: {"total": 4}')
    assert j["score"] == 4.0 and j["score_source"] == "total" and "rules missing" in j["problem"]


def test_json_without_scores_falls_back_to_text():
    text = 'Code Analysis: uses {"a": 1} as a default.\n' + "\n".join(EXACT.splitlines()[2:])
    j = parse_judgement(text)
    assert j["reply_format"] == "text" and j["score"] == pytest.approx(4.0)


def test_disagreeing_total_names_the_source_and_why():
    j = parse_judgement(TOTAL_DISAGREES)
    assert j["score"] == pytest.approx(5.5) and j["score_source"] == "rules"
    assert "6" in j["disagreement"] and "5.5" in j["disagreement"] and "used the sum" in j["disagreement"]
    j = parse_judgement(ONLY_TOTAL)
    assert j["score_source"] == "total" and j["disagreement"] is None
    assert parse_judgement("no scores here")["score_source"] is None


@pytest.mark.parametrize("line, value", [
    ("Functionality: 1 (a 2/2 would need the empty case)", 1.0),   # a leading score then a remark
    ("Functionality: 1.5 points; 2/2 only with edge cases", 1.5),
    ("Functionality: overall 1/2, as 2 of 3 pass", 1.0),            # no leading number
])
def test_leading_score_followed_by_a_remark_with_a_fraction(line, value):
    text = EVIDENCE_THEN_FRACTION.replace("Functionality: 2 of the 3 examples pass, so 1/2", line)
    assert parse_judgement(text)["rules"]["functionality"] == pytest.approx(value)


def test_total_with_a_remark_fraction_keeps_the_leading_total():
    text = EVIDENCE_THEN_FRACTION.replace("Total: 4", "Total: 4 (5/6 with a docstring)")
    j = parse_judgement(text)
    assert j["score"] == pytest.approx(4.0) and j["disagreement"] is None
