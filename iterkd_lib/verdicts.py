"""Verdicts: the sandbox's verdict on one program (`ExecutionResult`) and the judge's on one attempt
(`Judgement`), each a dataclass with the JSON round-trip of the run files.

- `ExecutionResult`: built in one place (`sandbox/execution.py`); `to_dict()` gives exactly the JSON the run
  files have always held (`verdict` in 02_teacher_attempts and 09_evaluation, `execution` in 06_feedback),
  and `from_dict()` reads it back, old run directories included.
- `Judgement`: the judge's rubric verdict (`judge` in 06_feedback), built by `scoring/judging.judge_attempts`;
  `from_dict` also reads older records that lack the bookkeeping keys.

Both are plain fields checked in `__post_init__` (a status outside the five, or `passed` / `parse_ok`
contradicting the rest, raise ValueError). The run-file rows that carry them are `records.py`. Not covered:
reading and writing files (runstore.py).

Entry points: `ExecutionResult`, `Judgement`, `Status`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

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
    `failure_details`: what the sandbox saw for up to 5 failures, quotable in a repair prompt (schema in
    docs/design.md, text via `sandbox.execution.describe_failure`): dicts with "assertion", "call",
    "expected", "actual", "message" for a failed assert, or "exception", "line", "code" for an error; [] when
    passed; None only for a verdict stored before the field existed (its dict then has no such key).
    `extraction`: {rule, failure, detail} when the program came from a model reply
    (`scoring.code_extraction.verdict_with_extraction`); when `failure` is set the verdict is status "failed",
    error_type "extraction_failed", and `sandbox` keeps the sandbox's own {status, error_type, message}.
    """

    passed: bool
    status: Status
    error_type: str | None = None
    message: str = ""
    failed_assertions: list[str] | None = field(default_factory=list)
    duration_s: float = 0.0
    stage: str | None = None
    failure_details: list[dict] | None = field(default_factory=list)
    extraction: dict | None = None
    sandbox: dict | None = None

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
        if self.failure_details is not None:
            d["failure_details"] = [dict(x) for x in self.failure_details]
        for key in ("extraction", "sandbox"):  # additive keys (issue 12): only present when set
            if getattr(self, key) is not None:
                d[key] = dict(getattr(self, key))
        return d

    @classmethod
    def from_dict(cls, d: dict) -> ExecutionResult:
        """Read a stored verdict back (raises KeyError naming a missing `passed` or `status`)."""
        return cls(passed=bool(d["passed"]), status=d["status"], error_type=d.get("error_type"),
                   message=d.get("message", ""), failed_assertions=d.get("failed_assertions"),
                   duration_s=float(d.get("duration_s", 0.0)), stage=d.get("stage"),
                   failure_details=d.get("failure_details"), extraction=d.get("extraction"),
                   sandbox=d.get("sandbox"))


@dataclass
class Judgement:
    """The judge's 0-6 rubric verdict on one attempt (method.md; parse policy in scoring/judge_parser.py).

    `score`: the sum of the five rules (or a valid stated total), None when unparseable -- never 0 for that.
    `rules`: {functionality (0-2), boundary, coverage, readability, practices (0-1 each)}, None per rule not
    read. `parse_ok`: score is not None. `problem`: what the parser distrusted, or None. `raw`: the reply that
    was parsed; `first_raw`: the unparseable first reply when it was retried (`tries` 2); `seed`: the call
    seed of the parsed reply; `judge`: the backend's describe(); `decoding`: the judge's decoding settings.
    `score_source` ("rules" | "total"), `disagreement` (stated total vs the rules' sum, and which was used) and
    `reply_format` ("text" | "json"): additive keys (issue 12), None in records written before them and then
    left out of `to_dict()`. Issue 16 (additive likewise): `score_method` "geval" (score = the sum of the
    per-rule probability-weighted expectations, `geval_rules`, `geval_mass` the least probability mass of valid
    score tokens among the top-k) or "sampled" (the written numbers); `sampled_score` the written score either
    way; `constrained` "json" | "none" (reply format asked); `calibration` "anchors" | "none".
    The verdict (feedback.judge.verdict, additive likewise): `p_correct` the judge's P(yes) to "is the code
    correct?" (0-1, None when not asked or not readable), `verdict_mass` the probability of yes + no among the
    answer token's alternatives, `verdict_raw` the reply, `score_from` "rubric" | "verdict" (which gave
    `score`), `rubric_score` the rubric's score whichever gave `score`.
    """

    score: float | None
    rules: dict[str, float | None]
    analysis: str = ""
    parse_ok: bool = False
    problem: str | None = None
    raw: str = ""
    tries: int = 1
    seed: int | None = None
    first_raw: str | None = None
    judge: dict = field(default_factory=dict)
    decoding: dict = field(default_factory=dict)
    score_source: str | None = None
    disagreement: str | None = None
    reply_format: str | None = None
    score_method: str | None = None
    sampled_score: float | None = None
    constrained: str | None = None
    calibration: str | None = None
    geval_rules: dict | None = None
    geval_mass: float | None = None
    p_correct: float | None = None
    verdict_mass: float | None = None
    verdict_raw: str | None = None
    score_from: str | None = None
    rubric_score: float | None = None

    def __post_init__(self) -> None:
        if self.parse_ok != (self.score is not None):
            raise ValueError(f"Judgement: parse_ok={self.parse_ok} contradicts score {self.score!r}")

    def to_dict(self) -> dict:
        """The JSON form stored in 06_feedback; keys in the order they have always had."""
        d = {"score": self.score, "rules": dict(self.rules), "analysis": self.analysis, "parse_ok": self.parse_ok,
             "problem": self.problem, "raw": self.raw}
        if self.first_raw is not None:
            d["first_raw"] = self.first_raw
        d = {**d, "tries": self.tries, "seed": self.seed, "judge": self.judge, "decoding": self.decoding}
        if self.reply_format is not None:  # additive keys, written by the parser since issue 12
            d.update(score_source=self.score_source, disagreement=self.disagreement, reply_format=self.reply_format)
        if self.score_method is not None:  # additive keys, issue 16
            d.update(score_method=self.score_method, sampled_score=self.sampled_score, constrained=self.constrained,
                     calibration=self.calibration, geval_rules=self.geval_rules, geval_mass=self.geval_mass)
        if self.score_from is not None:  # additive keys: the verdict
            d.update(score_from=self.score_from, rubric_score=self.rubric_score, p_correct=self.p_correct,
                     verdict_mass=self.verdict_mass, verdict_raw=self.verdict_raw)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Judgement:
        """Read a stored judgement back; keys a record lacks take the defaults above."""
        return cls(score=d.get("score"), rules=dict(d.get("rules") or {}), analysis=d.get("analysis", ""),
                   parse_ok=bool(d.get("parse_ok", d.get("score") is not None)), problem=d.get("problem"),
                   raw=d.get("raw", ""), tries=int(d.get("tries", 1)), seed=d.get("seed"),
                   first_raw=d.get("first_raw"), judge=dict(d.get("judge") or {}),
                   decoding=dict(d.get("decoding") or {}), score_source=d.get("score_source"),
                   disagreement=d.get("disagreement"), reply_format=d.get("reply_format"),
                   score_method=d.get("score_method"), sampled_score=d.get("sampled_score"),
                   constrained=d.get("constrained"), calibration=d.get("calibration"),
                   geval_rules=d.get("geval_rules"), geval_mass=d.get("geval_mass"), p_correct=d.get("p_correct"),
                   verdict_mass=d.get("verdict_mass"), verdict_raw=d.get("verdict_raw"),
                   score_from=d.get("score_from"), rubric_score=d.get("rubric_score"))

    def rule_scores(self) -> dict[str, float]:
        """The rules that were read, {rule: score}."""
        return {k: v for k, v in self.rules.items() if v is not None}
