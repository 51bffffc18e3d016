"""Code extraction on messy outputs in the shapes real chat models produce (SmolLM2/Qwen style)."""

import ast

from iterkd_lib.scoring.code_extraction import completion_from_code, extract_code, fenced_blocks, truncate_completion

PROBLEM = {
    "task_id": "t/0",
    "entry_point": "add",
    "prompt": 'from typing import List\n\n\ndef add(a: int, b: int) -> int:\n    """Return a + b.\n    >>> add(1, 2)\n    3\n    """\n',
    "test": "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(-1, 1) == 0\n",
}


def run(problem, completion):
    ns = {}
    exec(problem["prompt"] + completion + "\n" + problem["test"], ns)  # noqa: S102 - trusted test strings
    ns["check"](ns[problem["entry_point"]])


CHATTY = """Sure! Here's a Python function that adds two numbers:

```python
def add(a, b):
    return a + b
```

This function takes two integer inputs `a` and `b` and returns their sum. For example:

```python
print(add(1, 2))  # 3
```
"""


def test_chatty_fenced_picks_block_defining_entry_point():
    assert extract_code(CHATTY, "add") == "def add(a, b):\n    return a + b"


def test_prefers_block_that_defines_entry_point_over_earlier_helpers():
    text = "First a helper:\n```py\nimport math\n```\nNow:\n```Python\ndef add(a, b):\n    return math.fsum([a, b])\n```"
    assert "def add" in extract_code(text, "add")


def test_bare_fence_and_other_language_fence():
    text = "```bash\npip install nothing\n```\n```\ndef add(a, b):\n    return a + b\n```"
    assert extract_code(text, "add").startswith("def add")
    assert [t for t, _ in fenced_blocks(text)] == ["bash", ""]


def test_unclosed_fence_from_truncation_is_salvaged():
    text = ("Here is the solution:\n```python\ndef add(a, b):\n    total = a + b\n    return total\n\n\n"
            "def unused(x):\n    if x >")
    code = extract_code(text, "add")
    ast.parse(code)
    assert "return total" in code and "unused(x):\n    if x >" not in code


def test_no_fences_code_with_chatter_before_and_after():
    text = ("To add numbers, use this function.\nimport operator\n\ndef add(a, b):\n    return operator.add(a, b)\n\n"
            "This uses the operator module.\n")
    code = extract_code(text, "add")
    assert code == "import operator\n\ndef add(a, b):\n    return operator.add(a, b)"


def test_plain_code_without_fences_is_returned_as_is():
    text = "def add(a, b):\n    return a + b\n"
    assert extract_code(text, "add") == "def add(a, b):\n    return a + b"


def test_unparseable_text_is_returned_for_execution_to_report():
    text = "```python\ndef add(a, b)\n    return a + b\n```"
    assert extract_code(text, "add") == "def add(a, b)\n    return a + b"


def test_completion_from_full_function_redefines_and_drops_model_demos():
    code = extract_code(CHATTY + "\n```python\nif __name__ == '__main__':\n    assert add(1, 1) == 3\n```", "add")
    comp = completion_from_code(PROBLEM, code + "\nassert add(2, 2) == 5\nprint(add(0, 0))")
    assert "assert add(2, 2)" not in comp and "print(" not in comp
    run(PROBLEM, comp)


def test_completion_from_body_only_is_indented_under_the_prompt():
    comp = completion_from_code(PROBLEM, "return a + b")
    assert comp == "    return a + b\n"
    run(PROBLEM, comp)


def test_completion_keeps_imports_the_function_needs():
    comp = completion_from_code(PROBLEM, "import operator\n\ndef add(a, b):\n    return operator.add(a, b)")
    run(PROBLEM, comp)


def test_truncate_completion_at_next_top_level_statement():
    raw = "    return a + b\n\n\ndef main():\n    pass\n"
    assert truncate_completion(raw) == "    return a + b\n\n"
    assert truncate_completion("    return a + b\n# tests\nprint(1)") == "    return a + b"
    assert truncate_completion("    return 1") == "    return 1"


def test_real_smollm2_style_output_on_humaneval(humaneval_problems):
    # shape of SmolLM2-135M-Instruct's actual chat answer: prose, a fence, and a signature that differs
    problem = humaneval_problems[0]
    raw = ("Here's a Python function that checks if any two numbers are closer than a threshold:\n\n```python\n"
           "def has_close_elements(numbers, threshold):\n    for i in range(len(numbers)):\n"
           "        for j in range(i + 1, len(numbers)):\n            if abs(numbers[i] - numbers[j]) < threshold:\n"
           "                return True\n    return False\n```\n\nThis function iterates over")
    comp = completion_from_code(problem, extract_code(raw, problem["entry_point"]))
    run(problem, comp)
