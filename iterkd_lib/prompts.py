"""Every prompt a model sees in the IterKD cycle, in one place; each says who sees it and why.

The wording is ours (method.md gives the ideas, not the text). Prompts are chat message lists
`[{"role": "system"|"user"|"assistant", "content": str}, ...]`; the backend applies the model's template.

Who sees what:
- the STUDENT: `student_messages` (training prompts, its Stage II attempts, chat-protocol evaluation) and is
  trained on answers shaped by `format_answer`;
- the TEACHER, Stage I: `student_messages` for correct solutions, `faulty_messages` for faulty ones,
  `repair_messages` to correct code that failed its tests (its own failed samples, the student's failures);
- the JUDGE, Stage II: `judge_messages` (text or JSON layout, optional anchors), then `JUDGE_REMINDER`
  (`JUDGE_REMINDER_JSON`) once when its reply could not be read;
- the TEACHER, Stage III: `question_messages` (breadth / depth) writes a new question -- signature + docstring
  with examples, a list of test INPUTS (calls, no results) and one solution; the reply starts with
  `QUESTION_MARKER`. The format is shown by one worked example of ours (`QUESTION_EXAMPLE_*`, no
  <placeholders>; `question_layout`). Then `question_solution_messages` solves that question k more times,
  independently (the prompt alone: no inputs, no earlier solution); the outputs they agree on become its tests.
  A rejected question can go back once more (`question_revision_messages`): the disputed calls with each
  answer, or the existing exercise it repeats.

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


# ------------------------------------------------------------------------------------- teacher, Stage III

QUESTION_MARKER = "=== NEW QUESTION ==="
# Which prompt a parent's level asks for: "breadth" keeps the size and moves sideways, "depth" demands more.
QUESTION_KIND_BY_LEVEL = {"easy": "breadth", "medium": "depth", "hard": "depth"}

_QUESTION_SYSTEM = "You write Python programming exercises and the inputs they will be tested on."
_QUESTION_ASK = {
    "breadth": ("Below is an exercise our student already solves well. Write ONE new exercise from the same "
                "domain, about the same length and difficulty, but on a less common topic the student has "
                "probably not practised."),
    "depth": ("Below is an exercise our student still struggles with. Write ONE new exercise of the same "
              "domain and the same kind of task that practises the same skill more thoroughly (an extra "
              "condition, an awkward edge case or one more step of reasoning)."),
}
# The answer format, shown as ONE concrete, fully written exercise of our own instead of <placeholders>: the
# 1.5B teacher echoed a placeholder layout whole, echoed the INPUTS placeholder instead of calls, and called
# the function by the placeholder's word (`name('strength')`): LOG.md, issue 14, "Later the same evening".
# The parser refuses a reply that repeats this example (stages/new_questions.py: `copied_example`), so its
# parts are exported. Written for this project (chunk sums of a list), not taken from any data set.
QUESTION_EXAMPLE_ENTRY_POINT = "chunk_sums"
QUESTION_EXAMPLE_PROMPT = (
    "def chunk_sums(values: list, size: int) -> list:\n"
    '    """Cut values into consecutive chunks of `size` items (the last chunk may be shorter) and return the\n'
    "    sum of each chunk, in order. Return [] when values is empty. Raise ValueError when size is below 1.\n"
    "    >>> chunk_sums([4, 1, 2, 8, 3], 2)\n"
    "    [5, 10, 3]\n"
    "    >>> chunk_sums([], 3)\n"
    "    []\n"
    '    """\n')
QUESTION_EXAMPLE_INPUTS = ("chunk_sums([4, 1, 2, 8, 3], 2)\nchunk_sums([], 3)\nchunk_sums([6], 1)\n"
                           "chunk_sums([-2, 2, -2, 2], 4)\nchunk_sums([1, 1, 1], 5)\nchunk_sums([0, 0, 9, 9], 3)\n"
                           "chunk_sums([3, 4], 0)\n")
QUESTION_EXAMPLE_SOLUTION = ("def chunk_sums(values: list, size: int) -> list:\n"
                             "    if size < 1:\n"
                             '        raise ValueError("size must be at least 1")\n'
                             "    return [sum(values[i:i + size]) for i in range(0, len(values), size)]\n")
_QUESTION_LAYOUT = """Reply in the format of the example below. The example only shows the format: its exercise \
is unrelated to yours, so do not repeat its function, its wording or its inputs.

--- example of the format (an unrelated exercise) ---
{marker}
ENTRY POINT: {ex_entry}
PROMPT:
```python
{ex_prompt}```
INPUTS:
```python
{ex_inputs}```
SOLUTION:
```python
{ex_solution}```
--- end of the example ---

Now write your {what} in exactly that format, starting with the line {marker} and nothing before it:
- ENTRY POINT: the name of your {fn}.
- PROMPT: any imports, then the signature and a docstring that says exactly what to return, also for empty \
or unusual inputs, and shows one or two examples as `>>>` lines, each followed by its result; no body.
- INPUTS: {n} calls of your {fn}, one per line, with literal arguments; cover ordinary cases and edge \
cases (empty, a single item, repeats, negatives, boundaries); only inputs the docstring allows; no results.
- SOLUTION: the complete function, with the same signature."""


def question_layout(n_inputs: int = 8, what: str = "new exercise", fn: str = "new function") -> str:
    """The answer-format part of the Stage III question prompt: the worked example (`QUESTION_EXAMPLE_*`),
    then the request for `what` ("new exercise", "corrected exercise") in its format, naming the function
    `fn` ("new function", "function"), with `n_inputs` test calls. No line is a <placeholder>. Returns the
    text (str)."""
    return _QUESTION_LAYOUT.format(marker=QUESTION_MARKER, ex_entry=QUESTION_EXAMPLE_ENTRY_POINT,
                                   ex_prompt=QUESTION_EXAMPLE_PROMPT, ex_inputs=QUESTION_EXAMPLE_INPUTS,
                                   ex_solution=QUESTION_EXAMPLE_SOLUTION, n=n_inputs, what=what, fn=fn)


def question_messages(parent: dict, kind: str, avoid: list[str] | None = None, n_inputs: int = 8,
                      variant: int = 0) -> list[dict]:
    """Seen by the teacher in Stage III: write one new question modelled on `parent` ('breadth' or 'depth').

    parent: a pool record with a "prompt". avoid: entry points already written this stage (retries name them,
    which steers even greedy decoding elsewhere). n_inputs: how many test inputs to ask for. variant: the how
    many-th request from this parent in the same call (0 = the first, asked as always); a later one says so,
    which also makes its text, and so its sample seed, differ from the first (two equal requests in one call
    get the same reply, see models/backends.py). Returns [system, user]. Raises KeyError for an unknown kind.
    """
    text = (f"{_QUESTION_ASK[kind]}\n\nExisting exercise:\n```python\n{parent['prompt'].strip()}\n```\n\n"
            + question_layout(n_inputs))
    if variant:
        text += (f"\n\nSeveral new exercises are being written from this one; this is number {variant + 1}, so "
                 "choose a different topic than the first one that comes to mind.")
    if avoid:
        text += "\n\nDo not write any of these functions again: " + ", ".join(sorted(set(avoid))) + "."
    return [{"role": "system", "content": _QUESTION_SYSTEM}, {"role": "user", "content": text}]


def _quote_answers(answers: list) -> str:
    return "; ".join(f"{a} ({n} solution{'s' if n != 1 else ''})" for a, n in answers)


def question_revision_messages(question: dict, reason: str, disputes: list[dict] | None = None,
                               twin_prompt: str = "", n_inputs: int = 8, student: dict | None = None) -> list[dict]:
    """Seen by the teacher in Stage III: revise a question it wrote that was rejected (regeneration.revise_rounds).

    question: the parsed question ("prompt", "entry_point"). `disputes` (`scoring.disputes.disputes`):
    the calls in question, each with the answers and how many candidate solutions (the teacher's own and the
    independent ones) gave each. reason "no_agreement" / "example_mismatch": the candidates disagree with each
    other or with a docstring example ("stated"), so the text is ambiguous or its examples are wrong; the
    teacher decides the intended results and rewrites the docstring so that one reading remains.
    "return_type_mismatch": the agreed results do not fit the return annotation ("annotation"); the teacher
    decides what the function returns and makes annotation, docstring and examples say the same. Both keep
    the function's name (a renamed reply is still taken: stages/new_questions.py). "near_duplicate": the
    question repeats `twin_prompt` (the pool or accepted question it is too close to); the teacher writes a
    different task. "student_solves": the student check (`student`: its record, "passed" of "n" answers)
    found the question too easy; the teacher grows a harder exercise out of it by adding requirements (the
    in-depth evolving of Evol-Instruct, arXiv 2304.12244: constraints, special cases, more reasoning steps),
    which may take a new name. The reply uses the question layout (`question_layout`). Returns [system, user];
    raises ValueError for another reason.
    """
    shown = f"```python\n{question['prompt'].strip()}\n```"
    name = question["entry_point"]
    ran = ("Your own solution and more solutions written independently from the docstring alone were run on "
           "its calls")
    keep = (f"Then write the exercise again, keeping the function name {name} and its arguments, with "
            "a docstring that ")
    if reason == "near_duplicate":
        text = (f"You wrote the exercise below as a new exercise:\n\n{shown}\n\nIt is almost the same as this "
                f"existing exercise:\n\n```python\n{twin_prompt.strip()}\n```\n\nWrite a different exercise of "
                "the same domain instead: a different task, not the same task with new names or wording.\n\n"
                + question_layout(n_inputs))
    elif reason == "student_solves":
        solved = (f"{student['passed']} of its {student['n']} answers" if student else "its answers")
        text = (f"You wrote the exercise below:\n\n{shown}\n\nIt is too easy: a student model solved it, and "
                f"{solved} passed every test. Write a harder exercise grown from this one. Keep its domain "
                "and its kind of input, and add one or two requirements that take more careful reasoning to get "
                "right: a rule for special or invalid inputs, an extra parameter that changes the result, or a "
                "condition on the order or format of the output. The docstring must state every rule exactly, "
                "so that one reading remains, and show the correct result under every `>>>` example. A plain "
                "Python solution should still fit in about 10 to 25 lines.\n\n" + question_layout(n_inputs))
    elif reason == "return_type_mismatch":
        ann = next((d["annotation"] for d in disputes or [] if d.get("annotation")), "")
        lines = [f"- {d['call']}: {_quote_answers(d['answers'])}" for d in disputes or []]
        text = (f"You wrote the exercise below:\n\n{shown}\n\nIts signature says it returns {ann}. {ran}, and "
                "they return values of another type:\n" + "\n".join(lines) + "\n\nDecide what the function "
                f"should return. {keep}says exactly that, a matching return annotation, and the correct result "
                "under every `>>>` example.\n\n" + question_layout(n_inputs, "corrected exercise", "function"))
    elif reason in ("no_agreement", "example_mismatch"):
        lines = []
        for d in disputes or []:
            if "stated" in d:
                lines.append(f"- {d['call']}: your docstring says {d['stated']}, but the solutions give "
                             f"{_quote_answers(d['answers'])}")
            else:
                lines.append(f"- {d['call']}: {_quote_answers(d['answers'])}")
        text = (f"You wrote the exercise below:\n\n{shown}\n\n{ran}. Their results show that the docstring can "
                "be read in more than one way, or that its examples are wrong:\n" + "\n".join(lines)
                + f"\n\nDecide what each of these calls should return. {keep}states the rule for these cases "
                "explicitly and gives the correct result under every `>>>` example.\n\n"
                + question_layout(n_inputs, "corrected exercise", "function"))
    else:
        raise ValueError(f"question_revision_messages: no revision for reason {reason!r}")
    return [{"role": "system", "content": _QUESTION_SYSTEM}, {"role": "user", "content": text}]


_SOLVER_SYSTEM = "You are a careful Python programmer. You answer with code only."


def question_solution_messages(question: dict) -> list[dict]:
    """Seen by the teacher in Stage III: solve a newly written question (its "prompt": signature + docstring).

    Sampled k times per question (n=k); the samples must not see the question's inputs or the solution
    written with it, so that their agreement is evidence. Returns [system, user].
    """
    user = ("Implement the Python function below exactly as its docstring specifies. Keep its name and "
            "signature, add any imports it needs, and reply with the complete function inside a single "
            "```python code block, with no text before or after the block.\n\n```python\n"
            + question["prompt"].rstrip() + "\n```")
    return [{"role": "system", "content": _SOLVER_SYSTEM}, {"role": "user", "content": user}]
