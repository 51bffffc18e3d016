"""Prompts the models see, with who sees them and why (here: Stage III's; the redesign gathers the others).

The wording is ours (method.md gives the ideas, not the text). Prompts are chat message lists
`[{"role": "system"|"user"|"assistant", "content": str}, ...]`; the backend applies the model's template.

Who sees what (Stage III, `stages/new_questions.py`):
- the TEACHER writes a new question: `question_messages` (breadth for easy parents, depth for medium and
  hard ones); the reply starts with `QUESTION_MARKER` and holds the question (signature + docstring with
  examples), a list of test INPUTS (calls, no expected values) and one solution;
- the TEACHER then solves that question k more times, independently: `question_solution_messages` (the
  question's prompt only: no inputs, no earlier solution). Their outputs on the inputs decide the tests.

Not covered: parsing the replies (stages/new_questions.py, scoring/code_extraction.py); chat templates (the
model's tokenizer).

Entry points: `QUESTION_MARKER`, `QUESTION_KIND_BY_LEVEL`, `question_messages`, `question_solution_messages`.
"""

from __future__ import annotations

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
_QUESTION_LAYOUT = """Answer with nothing but this layout, beginning with the first line exactly as shown:
{marker}
ENTRY POINT: <function name>
PROMPT:
```python
<imports, then the function signature with a docstring that says exactly what to return, also for empty or
unusual inputs, and shows one or two examples as `>>> call` lines each followed by its result; no body>
```
INPUTS:
```python
<{n} calls of the function, one per line, such as name(arg1, arg2), with literal arguments; cover ordinary
cases and edge cases (empty, a single item, repeats, negatives, boundaries); only inputs the docstring allows;
no results>
```
SOLUTION:
```python
<the complete function, with the same signature>
```"""


def question_messages(parent: dict, kind: str, avoid: list[str] | None = None, n_inputs: int = 8) -> list[dict]:
    """Seen by the teacher in Stage III: write one new question modelled on `parent` ('breadth' or 'depth').

    parent: a pool record with a "prompt". avoid: entry points already written this stage (retries name them,
    which steers even greedy decoding elsewhere). n_inputs: how many test inputs to ask for.
    Returns [system, user]. Raises KeyError for an unknown kind.
    """
    text = (f"{_QUESTION_ASK[kind]}\n\nExisting exercise:\n```python\n{parent['prompt'].strip()}\n```\n\n"
            + _QUESTION_LAYOUT.format(marker=QUESTION_MARKER, n=n_inputs))
    if avoid:
        text += "\n\nDo not write any of these functions again: " + ", ".join(sorted(set(avoid))) + "."
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
