"""Every prompt a model sees in the IterKD cycle, in one place; each says who sees it and why.

The wording is ours (method.md gives the ideas, not the text). Prompts are chat message lists
`[{"role": "system"|"user"|"assistant", "content": str}, ...]`; the backend applies the model's template.

Who sees what:
- the STUDENT: `student_messages` (training prompts, its Stage II attempts, chat-protocol evaluation) and is
  trained on answers shaped by `format_answer`;
- the TEACHER, Stage I: `student_messages` for correct solutions, `faulty_messages` for faulty ones;
- the JUDGE, Stage II: `judge_messages`, then `JUDGE_REMINDER` once when its reply could not be read;
- the TEACHER, Stage III: `question_messages` (breadth / depth), replies start with `QUESTION_MARKER`.

Not covered: parsing the replies (scoring/code_extraction.py, scoring/judge_parser.py,
stages/new_questions.py) and chat templates (the model's tokenizer).

Entry points: the functions and constants above.
"""

from __future__ import annotations

# ------------------------------------------------------------------------------ student (and teacher, Stage I)

# Fault types the teacher is asked to hide in a faulty solution (distill.fault_types picks among these keys).
FAULTS = {
    "syntax": "a syntax error -- a slip that keeps Python from parsing the code, such as a missing colon, an "
              "unclosed bracket or a badly indented line",
    "logical": "a logic error -- the code runs without raising but gives a wrong result for some valid inputs, "
               "for instance a bound that is off by one, a reversed comparison or a wrong starting value",
    "type": "a type error -- some valid input makes the code apply an operation to a value of the wrong type, "
            "so a TypeError is raised (for instance adding a str to an int, or taking len() of a number)",
    "name": "a name error -- the code uses a variable, function or module that is never defined or imported, "
            "so a NameError is raised when that line runs",
    "timeout": "a non-terminating path -- for some valid inputs the code never finishes, for instance a loop "
               "whose exit condition can never become true",
}

_CODER_SYSTEM = "You are a careful Python programmer. You answer with code only."


def student_messages(problem: dict) -> list[dict]:
    """THE instruction the student sees: a complete, self-contained function in one fenced block.

    Seen by the student when it is trained (prompts of `03_training_set`), when it answers the pool in
    Stage II and in chat-protocol evaluation -- one function, so it is trained on exactly the prompt it is
    later asked with. The teacher's "correct" request in Stage I is this same prompt.
    `problem` needs a "prompt" (signature + docstring). Returns [system, user] messages.
    """
    user = ("Implement the Python function below. Keep its name and signature, add any imports it needs, and "
            "reply with the complete function, self-contained, inside a single ```python code block, with no "
            "text before or after the block.\n\n```python\n" + problem["prompt"].rstrip() + "\n```")
    return [{"role": "system", "content": _CODER_SYSTEM}, {"role": "user", "content": user}]


def faulty_messages(problem: dict, fault_type: str) -> list[dict]:
    """Seen by the teacher in Stage I: a plausible solution that silently contains one fault of `fault_type`.

    The negatives of the contrastive pairs come from these. Raises ValueError for a type not in `FAULTS`.
    """
    if fault_type not in FAULTS:
        raise ValueError(f"unknown fault type {fault_type!r}; expected one of {sorted(FAULTS)}")
    user = ("We are building a set of debugging exercises. Write an implementation of the Python function "
            "below that looks like an honest, complete attempt but contains exactly one fault.\n"
            f"Fault type: {fault_type} -- {FAULTS[fault_type]}.\n"
            "Hide the fault: no comment, docstring remark, telling variable name or explanation may point at it, "
            "and do not mention it after the code. Keep the function's name and signature. Reply with the whole "
            "function inside a single ```python code block and nothing else.\n\n```python\n"
            + problem["prompt"].rstrip() + "\n```")
    return [{"role": "system", "content": _CODER_SYSTEM}, {"role": "user", "content": user}]


def format_answer(code: str) -> str:
    """The assistant answer the student is trained on: the code in one fenced block (the format it is asked for)."""
    return "```python\n" + code.strip("\n") + "\n```"


# ------------------------------------------------------------------------------------------ judge, Stage II

_JUDGE_SYSTEM = (
    "You review Python code written by a junior programmer. You do not fix the code; you grade it "
    "strictly with a fixed rubric and explain the grade briefly."
)

# The 0-6 rubric of method.md (2 + 1 + 1 + 1 + 1, half points); scoring/judge_parser.RULES holds the same
# rules with their maxima and reads the reply laid out as asked here.
_JUDGE_INSTRUCTIONS = """Grade the candidate code for the task below.

Rubric (half points allowed, e.g. 0.5 or 1.5):
- Functionality (0-2): does it do what the task asks, without obvious bugs?
- Boundary checks (0-1): does it handle empty inputs, extremes and other edge cases?
- Requirement coverage (0-1): is every stated requirement met?
- Readability (0-1): clear names, structure, comments or docstring?
- Practices (0-1): sound coding practice, reasonable efficiency, sensible error handling?

Answer in exactly this layout, with a number after every colon and nothing after the Total line:
Code Analysis: <one to three sentences on what the code does right and wrong>
Functionality: <score>
Boundary checks: <score>
Requirement coverage: <score>
Readability: <score>
Practices: <score>
Total: <sum of the five scores>

### Task
{task}

### Candidate code
```python
{code}
```"""

# Seen by the judge once, after a reply whose scores could not be read (a retry that even greedy decoding
# answers differently).
JUDGE_REMINDER = ("I could not read the scores in your reply. Reply again using exactly the layout asked for: "
                  "a 'Code Analysis:' line, then the five rule lines each with one number, then 'Total: <number>'.")


def judge_messages(problem: dict, code: str) -> list[dict]:
    """Seen by the judge in Stage II: grade `code` as an answer to `problem` (its prompt text) with the rubric.

    The judge never sees the tests: the view exists to work where no tests exist. Returns [system, user].
    """
    task = problem.get("prompt", "").strip()
    return [
        {"role": "system", "content": _JUDGE_SYSTEM},
        {"role": "user", "content": _JUDGE_INSTRUCTIONS.format(task=task, code=(code or "").strip() or "# (empty)")},
    ]


# ------------------------------------------------------------------------------------- teacher, Stage III

QUESTION_MARKER = "=== NEW QUESTION ==="
# Which prompt a parent's level asks for: "breadth" keeps the size and moves sideways, "depth" demands more.
QUESTION_KIND_BY_LEVEL = {"easy": "breadth", "medium": "depth", "hard": "depth"}

_QUESTION_SYSTEM = "You write Python programming exercises with unit tests and a reference solution."
_QUESTION_ASK = {
    "breadth": ("Below is an exercise our student already solves well. Write ONE new exercise from the same "
                "domain, about the same length and difficulty, but on a less common topic the student has "
                "probably not practised."),
    "depth": ("Below is an exercise our student still struggles with. Write ONE new exercise of the same "
              "domain and the same kind of task that practises the same skill more thoroughly (an extra "
              "condition, an awkward edge case or one more step of reasoning)."),
}
_QUESTION_LAYOUT = f"""Answer with nothing but this layout, beginning with the first line exactly as shown:
{QUESTION_MARKER}
ENTRY POINT: <function name>
PROMPT:
```python
<imports, then the function signature with a docstring stating the task and one or two examples; no body>
```
TESTS:
```python
def check(candidate):
    <four to six assert statements calling candidate(...), including edge cases>
```
SOLUTION:
```python
<the complete function, with the same signature>
```"""


def question_messages(parent: dict, kind: str, avoid: list[str] | None = None) -> list[dict]:
    """Seen by the teacher in Stage III: write one new question modelled on `parent` ('breadth' or 'depth').

    `avoid`: entry points already written this cycle; naming them steers even greedy decoding elsewhere on a
    retry. Raises KeyError for an unknown `kind`. Returns [system, user] messages.
    """
    exercise = parent["prompt"].strip()
    text = f"{_QUESTION_ASK[kind]}\n\nExisting exercise:\n```python\n{exercise}\n```\n\n{_QUESTION_LAYOUT}"
    if avoid:  # retries: naming what was already written steers even greedy decoding elsewhere
        text += "\n\nDo not write any of these functions again: " + ", ".join(sorted(set(avoid))) + "."
    return [{"role": "system", "content": _QUESTION_SYSTEM}, {"role": "user", "content": text}]
