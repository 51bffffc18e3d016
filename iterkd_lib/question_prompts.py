"""The prompts of Stage III (new questions); each says who sees it and why. The other stages': prompts.py.

The wording is ours (method.md gives the ideas, not the text). Prompts are chat message lists, as in prompts.py.

The TEACHER, Stage III: `question_messages` (breadth / depth) writes a new question -- signature + docstring
with examples, a list of test INPUTS (calls, no results) and one solution; the reply starts with
`QUESTION_MARKER`. The format is shown by one worked example of ours (`QUESTION_EXAMPLE_*`, no
<placeholders>; `question_layout`). Then `question_solution_messages` solves that question k more times,
independently (the prompt alone: no inputs, no earlier solution); the outputs they agree on become its tests.
A rejected question can go back (`question_revision_messages`, up to regeneration.revise_rounds times): with
the disputed calls and each answer, the existing exercise it repeats, or, when the student already solves it,
a request for a harder one.

Not covered: parsing the replies (scoring/question_parser.py) and deciding them (stages/new_questions.py).

Entry points: the functions and constants below.
"""

from __future__ import annotations

from iterkd_lib.prompts import CODER_SYSTEM

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


def question_solution_messages(question: dict) -> list[dict]:
    """Seen by the teacher in Stage III: solve a newly written question (its "prompt": signature + docstring).

    Sampled k times per question (n=k); the samples must not see the question's inputs or the solution
    written with it, so that their agreement is evidence. Returns [system, user].
    """
    user = ("Implement the Python function below exactly as its docstring specifies. Keep its name and "
            "signature, add any imports it needs, and reply with the complete function inside a single "
            "```python code block, with no text before or after the block.\n\n```python\n"
            + question["prompt"].rstrip() + "\n```")
    return [{"role": "system", "content": CODER_SYSTEM}, {"role": "user", "content": user}]
