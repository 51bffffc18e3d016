"""The prompts of Stages I and II and of evaluation; each says who sees it and why (Stage III's:
question_prompts.py).

The wording is ours (method.md gives the ideas, not the text). Prompts are chat message lists
`[{"role": "system"|"user"|"assistant", "content": str}, ...]`; the backend applies the model's template.

Who sees what:
- the STUDENT: `student_messages` (training prompts, its Stage II attempts, chat-protocol evaluation) and is
  trained on answers shaped by `format_answer`;
- the TEACHER, Stage I: `student_messages` for correct solutions, `faulty_messages` for faulty ones,
  `repair_messages` to correct code that failed its tests (its own failed samples, the student's failures);
- the JUDGE, Stage II: `judge_messages` (text or JSON layout, optional anchors), then `JUDGE_REMINDER`
  (`JUDGE_REMINDER_JSON`) once when its reply could not be read;
- the TEACHER, Stage III: question_prompts.py (writing, solving and revising new questions).

Not covered: parsing the replies (scoring/code_extraction.py, scoring/judge_parser.py,
stages/new_questions.py) and chat templates (the model's tokenizer).

Entry points: the functions and constants above, and `CODER_SYSTEM` (the code-only system message).
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

CODER_SYSTEM = "You are a careful Python programmer. You answer with code only."


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
    return [{"role": "system", "content": CODER_SYSTEM}, {"role": "user", "content": user}]


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
    return [{"role": "system", "content": CODER_SYSTEM}, {"role": "user", "content": user}]


def format_answer(code: str) -> str:
    """The assistant answer the student is trained on: the code in one fenced block (the format it is asked for)."""
    return "```python\n" + code.strip("\n") + "\n```"


# ------------------------------------------------------------------------------ teacher, Stage I repair

REPAIR_SYSTEM = "You are a careful Python programmer who fixes code. You answer with code only."


def repair_messages(problem: dict, code: str, failure: str) -> list[dict]:
    """Seen by the teacher in Stage I: correct `code` for `problem`, given what the sandbox saw (`failure`).

    WHO sees it: the teacher only (the student is trained on `student_messages`, never on this). WHY: when
    every teacher sample of a problem failed, or the student failed a pool problem in the previous cycle, the
    teacher is shown the failing code and the sandbox's report (`sandbox.describe_failure`: the failed
    assertion with its call, expected and actual value, or the exception and the line that raised it, quoted
    verbatim) and asked for a corrected function (PERsD's personalised refinement, Chen et al. 2023,
    "Personalised Distillation", arXiv 2310.18628). A repair that passes becomes a positive; a repair of the
    student's own attempt also gives a personalised (failing attempt, repair) pair. The answer is asked for
    in the format the student is trained on, so it is used as a training answer as it is.
    `problem` needs a "prompt"; `code` may be empty (the teacher is told nothing could be extracted).
    Returns [system, user] messages.
    """
    shown = code.strip("\n") or "# (no function could be extracted from the previous answer)"
    user = ("The function below was written for this task:\n\n```python\n" + problem["prompt"].rstrip()
            + "\n```\n\nThis attempt does not pass the task's tests:\n\n```python\n" + shown + "\n```\n\n"
            "What happened when the tests ran it:\n" + failure.strip() + "\n\n"
            "Work out why the attempt goes wrong for those inputs, then write a corrected version that satisfies "
            "the task description for every valid input (not only the case shown). Keep the function's name "
            "and signature, add any imports it needs, and reply with the complete function, self-contained, "
            "inside a single ```python code block, with no text before or after the block.")
    return [{"role": "system", "content": REPAIR_SYSTEM}, {"role": "user", "content": user}]


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


# The layout asked for when the reply is constrained by a JSON schema (scoring/judge_scoring.judge_schema):
# the same rubric, the analysis first so the judge reasons before it scores.
_JUDGE_JSON_LAYOUT = """Answer with one JSON object and nothing else: first "analysis" (one to three sentences on what \
the code does right and wrong), then one score per rule under the keys "functionality", "boundary", "coverage", \
"readability", "practices".{integer}"""
_JUDGE_INTEGER = " Each score is a whole number (0, 1 or 2 for functionality; 0 or 1 for the others)."

# Calibration by anchors: two graded answers to another problem, taken from answers verified by execution.
_JUDGE_ANCHORS = """For calibration, here are two answers to a different task, whose tests were run. Use them to \
calibrate how strict to be; do not grade them.

### Example task
{task}

### Example answer A (passes all its tests; a correct answer deserves full Functionality)
```python
{passing}
```

### Example answer B (fails its tests; a wrong answer deserves at most 1 for Functionality and less overall)
```python
{failing}
```

"""


# Seen by the constrained judge once, after a JSON reply that could not be read (cut by the token limit).
JUDGE_REMINDER_JSON = ("I could not read the scores in your reply. Reply again with one short JSON object: a brief "
                       "'analysis', then the five scores.")


def judge_messages(problem: dict, code: str, layout: str = "text", integer_scores: bool = False,
                   anchors: dict | None = None) -> list[dict]:
    """Seen by the judge in Stage II: grade `code` as an answer to `problem` (its prompt text) with the rubric.

    The judge never sees the tests of the task it grades: the view exists to work where no tests exist.
    layout: "text" (the line layout above, read by scoring/judge_parser.py) or "json" (the reply is
    constrained by scoring/judge_scoring.judge_schema; the same rubric, asked as one JSON object);
    integer_scores: ask for whole-number scores (G-Eval restores the half points from probabilities);
    anchors: {prompt, passing, failing} from scoring/judge_scoring.pick_anchors, shown before the task
    (calibration "anchors"). Returns [system, user]. Raises ValueError for an unknown layout.
    """
    if layout not in ("text", "json"):
        raise ValueError(f"judge layout {layout!r}: expected 'text' or 'json'")
    task = problem.get("prompt", "").strip()
    body = _JUDGE_INSTRUCTIONS.format(task=task, code=(code or "").strip() or "# (empty)")
    if layout == "json" or integer_scores:
        start, end = body.index("Answer in exactly this layout"), body.index("### Task")
        layout_text = (_JUDGE_JSON_LAYOUT.format(integer=_JUDGE_INTEGER if integer_scores else "") if layout == "json"
                       else body[start:end].replace("<score>", "<whole number>").rstrip() + _JUDGE_INTEGER)
        body = body[:start] + layout_text.rstrip() + "\n\n" + body[end:]
        if integer_scores:
            body = body.replace("Rubric (half points allowed, e.g. 0.5 or 1.5):", "Rubric:")
    if anchors:
        head, tail = body.split("### Task", 1)
        body = head + _JUDGE_ANCHORS.format(task=anchors["prompt"].strip(), passing=anchors["passing"].strip(),
                                            failing=anchors["failing"].strip()) + "### Task" + tail
    return [{"role": "system", "content": _JUDGE_SYSTEM}, {"role": "user", "content": body}]


# The verdict (feedback.judge.verdict, issue 16): one yes/no question whose answer token's probability is the
# judge's belief that the code is correct. Written for this project; measured on 48 recorded attempts against
# the rubric's G-Eval score in LOG.md, 2026-11-30 session 8.
JUDGE_VERDICT_SYSTEM = "You review Python code."
_JUDGE_VERDICT = """Below is a Python task and a candidate solution. Decide whether the candidate is correct: it must \
return exactly what the task asks for every valid input, including the examples in the docstring and edge cases.

### Task
{task}

### Candidate solution
```python
{code}
```

Is the candidate solution correct? Answer with one word: yes or no."""


def judge_verdict_messages(problem: dict, code: str) -> list[dict]:
    """Seen by the judge in Stage II when feedback.judge.verdict is on: is `code` a correct answer to `problem`?

    One word is asked for ("yes" / "no"); scoring/judge_scoring.verdict_probability reads P(yes) from the
    log-probabilities of the first answer token. Like the rubric, the judge never sees the task's tests.
    Returns [system, user].
    """
    body = _JUDGE_VERDICT.format(task=problem.get("prompt", "").strip(), code=(code or "").strip() or "# (empty)")
    return [{"role": "system", "content": JUDGE_VERDICT_SYSTEM}, {"role": "user", "content": body}]
