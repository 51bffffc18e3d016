"""Prompts the workbench sends to models, in one place (written for this project).

- `repair_messages(problem, code, failure)`: Stage I's repair from execution feedback. WHO sees it: the
  teacher only (never the student: the student is trained on `student_messages`, the plain instruction).
  WHY: when every teacher sample failed, or when the student failed a pool problem in the previous cycle, the
  teacher is shown the failing code together with what the sandbox saw (`sandbox.execution.describe_failure`:
  the failed assertion with its call, expected and actual value, or the exception with the line that raised
  it) and asked for a corrected function. A repair that passes becomes a positive; a repair of the student's
  own attempt also gives a personalised (failing attempt, repair) pair (PERsD's personalised refinement,
  Chen et al. 2023, arXiv 2310.18628). The prompt asks for the whole function in the format the student is
  trained on, so the repair can be used as a training answer as it is.

Not covered: the student's instruction and the faulty-attempt prompt (`stages.teacher_attempts`), the judge's
rubric (`stages.feedback`), question writing (`stages.new_questions`).

Entry points: `repair_messages`, `REPAIR_SYSTEM`.
"""

from __future__ import annotations

REPAIR_SYSTEM = "You are a careful Python programmer who fixes code. You answer with code only."


def repair_messages(problem: dict, code: str, failure: str) -> list[dict]:
    """Chat messages asking the teacher to correct `code` for `problem` given the sandbox's `failure` text.

    problem: a HumanEval-format record (its `prompt` is the signature + docstring); code: the failing
    function as extracted (may be empty: then the teacher is told nothing usable was found); failure: the
    sandbox's report (`describe_failure(verdict)`), quoted verbatim. Returns [system, user] messages.
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
