"""Typed records: the shapes that several modules share, with one JSON round-trip each.

- `LEVELS`: the difficulty level names, in order (defined here once; Stage III, the report and figures use it).
- `ExecutionResult`: the sandbox's verdict on one program. Built in one place (`sandbox/execution.py`);
  `to_dict()` gives exactly the JSON the run files have always held (`verdict` in 02_teacher_attempts and
  09_evaluation, `execution` in 06_feedback), and `from_dict()` reads it back, old run directories included.

Records stay plain dicts on disk (JSON lines, docs/design.md); a dataclass here is the one place that says
which fields a record has and builds it. Not covered: reading and writing files (runstore.py).

Entry points: `LEVELS`, `ExecutionResult`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

LEVELS = ("easy", "medium", "hard")

Status = Literal["passed", "failed", "timeout", "crashed", "harness_error"]
_STATUSES = ("passed", "failed", "timeout", "crashed", "harness_error")


@dataclass
class ExecutionResult:
    """The verdict on one program run in the sandbox (a check against tests, or a plain run).

    `passed` is True only for status "passed". `status`: "failed" (an assertion or an error in the code),
    "timeout" (wall clock or CPU limit), "crashed" (killed by a signal, or exited during setup),
    "harness_error" (the sandbox failed: says nothing about the code). `error_type`: the exception class name
    or TimeoutError / MemoryError / EarlyExit / a signal name; None when passed or unknown. `message`: at most
    500 characters. `failed_assertions`: source text of failed top-level asserts (at most 50); None for a
    plain run (`run_code`), whose dict then has no such key. `duration_s`: wall seconds of the job (rounded
    to 0.1 ms). `stage`: where an error happened ("prepare", "program", "tests"), only for a plain run.
    """

    passed: bool
    status: Status
    error_type: str | None = None
    message: str = ""
    failed_assertions: list[str] | None = field(default_factory=list)
    duration_s: float = 0.0
    stage: str | None = None

    def __post_init__(self) -> None:
        if self.status not in _STATUSES:
            raise ValueError(f"ExecutionResult.status {self.status!r}: expected one of {_STATUSES}")
        if self.passed != (self.status == "passed"):
            raise ValueError(f"ExecutionResult: passed={self.passed} contradicts status {self.status!r}")

    @classmethod
    def harness_error(cls, message: str, error_type: str | None = None) -> ExecutionResult:
        """A verdict for a job the sandbox could not run (the code is not to blame)."""
        return cls(passed=False, status="harness_error", error_type=error_type, message=message)

    def to_dict(self) -> dict:
        """The JSON form stored in run files; keys in the order they have always had."""
        d = {"passed": self.passed, "status": self.status, "error_type": self.error_type, "message": self.message}
        if self.failed_assertions is not None:
            d["failed_assertions"] = list(self.failed_assertions)
        d["duration_s"] = self.duration_s
        if self.stage is not None:
            d["stage"] = self.stage
        return d

    @classmethod
    def from_dict(cls, d: dict) -> ExecutionResult:
        """Read a stored verdict back (raises KeyError naming a missing `passed` or `status`)."""
        return cls(passed=bool(d["passed"]), status=d["status"], error_type=d.get("error_type"),
                   message=d.get("message", ""), failed_assertions=d.get("failed_assertions"),
                   duration_s=float(d.get("duration_s", 0.0)), stage=d.get("stage"))
