"""Typed records: the rows of the run files that several modules share, with one JSON round-trip.

- `LEVELS`: the difficulty level names, in order (defined here once; Stage III, the report and figures use it).
- `TeacherAttempt` / `StudentAttempt`: one row of 02_teacher_attempts / 05_student_attempts (the attempt
  records; the teacher's carries its verdict as an `ExecutionResult`, verdicts.py).
- `Level`: one row of 07_levels (built by `stages/levels.assign_levels`).
- `Question`: one row of 08_new_questions (accepted: `reason` None) or 08_rejected_questions, with its
  `Agreement` (the answer vote of `scoring/agreement_vote.py`).
- `CycleSummary`: one `cycle_summary` record of metrics.jsonl (`cycle_summary.cycle_summary`), with its
  `SummarySettings` and `TeacherYield` (also the 02 stage summary's "yield").

Records stay plain dicts on disk (JSON lines, docs/design.md); a dataclass here is the one place that says
which fields a record has and builds it. They share one round-trip (`JsonRecord`): `from_dict` takes the
keys it knows, keeps every other key in `extra` and remembers which known keys the stored record lacked
(`absent`), so `to_dict()` gives back exactly the dict that was read -- records of old run directories
(tests/fixtures/run_before_layout) and keys added later both survive. A record built in code has no absent
keys: every field is written. The verdicts inside them (`ExecutionResult`, `Judgement`) are verdicts.py. Not
covered: reading and writing files (runstore.py).

Entry points: `LEVELS`, `TeacherAttempt`, `StudentAttempt`, `Level`, `Question`, `Agreement`, `CycleSummary`,
`SummarySettings`, `TeacherYield`, `JsonRecord`, `ORIGIN_BY_REQUEST`, `CYCLE_ONLY_FIELDS`.
"""

from __future__ import annotations

import re
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, ClassVar

from iterkd_lib.verdicts import ExecutionResult

LEVELS = ("easy", "medium", "hard")

# ------------------------------------------------------------------------------ run-file rows (one round-trip)

@dataclass
class JsonRecord:
    """Base of the run-file records below: a dataclass read from and written back to one JSON object.

    `extra`: the stored keys this class does not name (keys of older or newer code), written back unchanged.
    `absent`: the named keys the stored record lacked; `to_dict()` leaves them out, so that
    `from_dict(d).to_dict() == d` for every d that `from_dict` accepts (`stored` is then True). `_NESTED` maps
    a field to the record class its value is read as (None stays None); `_OMIT_IF_NONE` lists additive fields
    that a record built in code (not `stored`) leaves out while they are None. `from_dict` raises TypeError for a non-object and KeyError naming the
    class and the required keys a record lacks.
    """

    extra: dict = field(default_factory=dict, kw_only=True, repr=False)
    absent: frozenset = field(default=frozenset(), kw_only=True, repr=False, compare=False)
    stored: bool = field(default=False, kw_only=True, repr=False, compare=False)

    _NESTED: ClassVar[dict[str, Any]] = {}
    _OMIT_IF_NONE: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def _named(cls) -> list[str]:
        return [f.name for f in fields(cls) if f.name not in ("extra", "absent", "stored")]

    @classmethod
    def from_dict(cls, d: dict):
        """The record stored as `d` (see the class docstring for what is kept and what raises)."""
        if not isinstance(d, dict):
            raise TypeError(f"{cls.__name__}: expected a JSON object, got {type(d).__name__}")
        named = cls._named()
        required = [f.name for f in fields(cls) if f.name in named and f.default is MISSING
                    and f.default_factory is MISSING]
        missing = [k for k in required if k not in d]
        if missing:
            raise KeyError(f"{cls.__name__}: the record lacks {missing} (it has {sorted(d)})")
        values = {k: cls._read(k, d[k]) for k in named if k in d}
        return cls(**values, extra={k: v for k, v in d.items() if k not in named},
                   absent=frozenset(k for k in named if k not in d), stored=True)

    @classmethod
    def _read(cls, key: str, value: Any) -> Any:
        kind = cls._NESTED.get(key)
        return kind.from_dict(value) if kind is not None and value is not None else value

    def to_dict(self) -> dict:
        """The JSON form stored in the run file: named fields in their order, then `extra`."""
        out = {}
        for k in self._named():
            v = getattr(self, k)
            if k in self.absent or (v is None and k in self._OMIT_IF_NONE and not self.stored):
                continue
            out[k] = v.to_dict() if hasattr(v, "to_dict") else v
        return {**out, **self.extra}


# The origin of a teacher attempt stored before origins were recorded, by what was requested.
ORIGIN_BY_REQUEST = {"correct": "teacher_sample", "faulty": "teacher_faulty", "repair": "teacher_repair"}


@dataclass
class TeacherAttempt(JsonRecord):
    """One row of 02_teacher_attempts: a teacher answer, its code and the sandbox's verdict on it.

    `requested`: "correct" | "faulty" | "repair"; `origin`: "teacher_sample" | "teacher_faulty" |
    "teacher_repair" (absent in runs from before origins; see `origin_or_requested`); `fault_type`: the fault
    asked for (faulty only, else None); `verdict`: an `ExecutionResult` against the problem's tests; `label`:
    "correct" | "faulty", None when the verdict says nothing about the code (harness error, extraction
    failure); `consistent`: the label is what was asked for (a repair is asked to be correct).
    `completion_tokens` (int or None) with `tokens_source` ("backend" | "retokenised" | "unknown"); the repair
    fields (`repair_round` 1.., `repair_root` {origin, sample_index, code?}, `repaired_code`, `failure_shown`,
    `repaired_error_type`) only on repairs. Written by `stages/teacher_attempts.teacher_attempts`.
    """

    task_id: str
    requested: str
    origin: str | None = None
    fault_type: str | None = None
    attempt_index: int = 0
    raw: str = ""
    teacher: dict = field(default_factory=dict)
    prompt: list | None = None
    decoding: dict = field(default_factory=dict)
    seed: int | None = None
    sample_index: int = 0
    sample_seed: int | None = None
    completion_tokens: int | None = None
    tokens_source: str | None = None
    repair_round: int | None = None
    repair_root: dict | None = None
    repaired_code: str | None = None
    failure_shown: str | None = None
    repaired_error_type: str | None = None
    code: str = ""
    completion: str = ""
    verdict: ExecutionResult | None = None
    label: str | None = None
    consistent: bool = False

    _NESTED: ClassVar[dict[str, Any]] = {"verdict": ExecutionResult}
    _OMIT_IF_NONE: ClassVar[tuple[str, ...]] = ("repair_round", "repair_root", "repaired_code", "failure_shown",
                                                "repaired_error_type")

    @property
    def origin_or_requested(self) -> str:
        """The origin; for records from before origins existed, the one implied by what was requested."""
        return self.origin or ORIGIN_BY_REQUEST[self.requested]

    @property
    def outcome(self) -> str:
        """What execution made of it: "passed", else the verdict's error type, else its status."""
        v = self.verdict
        if v is None:
            return "no verdict"
        return "passed" if v.passed else (v.error_type or v.status)


@dataclass
class StudentAttempt(JsonRecord):
    """One row of 05_student_attempts: one sampled student answer and the code pulled out of it.

    `extraction`: {rule, failure, detail} from `scoring.code_extraction.extract`; `student`: the backend's
    describe(); `seed`: the call seed, `sample_seed` the seed sent for this sample (None for backends without
    one); `greedy_duplicate`: a copy of sample 0 under greedy decoding. Written by
    `stages/student_attempts.student_attempts`; judged and run in 06_feedback.
    """

    task_id: str
    sample_index: int = 0
    raw: str = ""
    code: str = ""
    completion: str = ""
    extraction: dict | None = None
    student: dict = field(default_factory=dict)
    decoding: dict = field(default_factory=dict)
    seed: int | None = None
    greedy_duplicate: bool = False
    sample_seed: int | None = None


@dataclass
class Level(JsonRecord):
    """One row of 07_levels: a pool question's difficulty level and the feedback statistics behind it.

    `level`: one of `LEVELS` (anything else raises ValueError naming the task). `pass_rate` (0-1, attempts
    passing their tests over attempts with a test result), `judge_mean` (0-6, over parseable judgements),
    `pylint_mean` (0-10): None when there was nothing to average. `n_samples`, `n_tested`, `n_judged`:
    attempts in all / with a test result / with a parseable judgement. `reason`: the rule's sentence;
    `settings`: the `DifficultyConfig` that decided. Rules: stages/levels.py.
    """

    task_id: str
    level: str
    pass_rate: float | None = None
    judge_mean: float | None = None
    pylint_mean: float | None = None
    n_samples: int = 0
    n_tested: int = 0
    n_judged: int = 0
    reason: str = ""
    settings: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"Level {self.task_id}: level {self.level!r}, expected one of {LEVELS}")


@dataclass
class Agreement(JsonRecord):
    """How a generated question's candidate solutions voted (`scoring.agreement_vote.decide_question`).

    `candidates`: candidate programs (the one written with the question + k sampled); `voters`: those that
    could vote; `groups`: sizes of the agreeing groups, largest first; `largest`: groups[0] (0 when none);
    `excluded`: {no_function, not_loaded, nondeterministic, unserialisable: count}; `min_agree`: the
    threshold; `inputs`: calls run per candidate.
    """

    candidates: int = 0
    voters: int | None = None
    groups: list[int] = field(default_factory=list)
    largest: int = 0
    excluded: dict | None = None
    min_agree: int | None = None
    inputs: int | None = None


@dataclass
class Question(JsonRecord):
    """One row of 08_new_questions (accepted) or 08_rejected_questions: a question the teacher wrote.

    Accepted rows are problems (HumanEval fields: task_id, prompt, entry_point, test, canonical_solution) with
    their origin (`parent_task_id`, `parent_level`, `prompt_kind` "breadth" | "depth", `origin_cycle`);
    rejected rows have `reason` (one of `stages.new_questions.REASONS`, older runs: also "reference_fails")
    and `detail`, and only the fields known when it was rejected. `agreement`: the vote, None before it (or
    in runs from before it). `teacher_expectations`: [{call, expected, source, agreed?, agrees: bool|None}].
    The other Stage III keys (candidates, outputs, seeds, decodings, raw replies, and `student_check` {student,
    n, passed, pass_rate, max_pass, solved, seed, errors} where the student check ran) stay in `extra`.
    Written by `stages/new_questions.regenerate_questions`.
    """

    task_id: str | None = None
    prompt: str | None = None
    entry_point: str | None = None
    test: str | None = None
    parent_task_id: str | None = None
    parent_level: str | None = None
    prompt_kind: str | None = None
    origin_cycle: int | None = None
    reason: str | None = None
    detail: str = ""
    agreement: Agreement | None = None
    teacher_expectations: list[dict] = field(default_factory=list)

    _NESTED: ClassVar[dict[str, Any]] = {"agreement": Agreement}

    @property
    def accepted(self) -> bool:
        """Whether the question was accepted (it has no rejection reason)."""
        return self.reason is None

    def checked_expectations(self) -> list[dict]:
        """The teacher's expected values that could be compared with an agreed output (`agrees` not None)."""
        return [x for x in self.teacher_expectations or [] if x.get("agrees") is not None]


@dataclass
class SummarySettings(JsonRecord):
    """What produced a cycle's numbers (`settings` of a cycle summary): models, seed, loss, evaluation.

    `eval_decoding`: the evaluation's decoding dict (runs from before it: `decoding`, kept in `extra` and
    returned by `decoding`); `eval_subset`: benchmark problems evaluated, 0 = all; `eval_engine`: what generated
    the student's evaluation answers ("hf", or "ctranslate2 int8" / "ctranslate2 float32"; None in runs from
    before the key, which all used transformers).
    """

    student: str | None = None
    teacher: str | None = None
    seed: int | None = None
    loss: str | None = None
    eval_decoding: dict | None = None
    eval_subset: int | None = None
    eval_samples: int | None = None
    eval_protocol: str | None = None
    eval_second_protocol: str | None = None
    eval_engine: str | None = None

    @property
    def decoding(self) -> Any:
        """The evaluation decoding, under either of the keys it has been stored under (None when neither)."""
        return self.eval_decoding if self.eval_decoding is not None else self.extra.get("decoding")


@dataclass
class TeacherYield(JsonRecord):
    """Stage I's yield over one pool (`stages.teacher_attempts.teacher_yield`; the 02 stage summary's "yield",
    and a cycle summary's `teacher_yield` with the training set's `positives` added).

    `problems`: pool size; `solved_by_sample` / `solved_by_repair_only` / `solved_any`: problems with a
    verified teacher solution from a sample / only from a repair / either, and `share_*` the same over
    `problems` (0-1); `sample_pass_rate`: verified samples over samples; `verified_distinct`: distinct verified
    solutions per origin; `tokens`: completion tokens per origin (None where not counted);
    `tokens_per_verified`: {"all", "teacher_sample", "teacher_repair"}: tokens per distinct verified solution;
    `repair`: {target ("teacher_sample", "student", "all"): {error type or "all": {attempted, fixed, rate}}};
    `positives`: the training set's SFT origins ({sft, by_origin, pairs, teacher_share}), None if unknown.
    """

    problems: int = 0
    solved_by_sample: int = 0
    solved_by_repair_only: int = 0
    solved_any: int = 0
    share_by_sample: float | None = None
    share_by_repair_only: float | None = None
    share_any: float | None = None
    sample_pass_rate: float | None = None
    verified_distinct: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)
    tokens_per_verified: dict = field(default_factory=dict)
    repair: dict = field(default_factory=dict)
    positives: dict | None = None

    _OMIT_IF_NONE: ClassVar[tuple[str, ...]] = ("positives",)

    @property
    def teacher_share(self) -> float | None:
        """Share of the SFT positives the teacher wrote (0-1), None without `positives`."""
        return (self.positives or {}).get("teacher_share")

    @property
    def tokens_per_verified_solution(self) -> float | None:
        """Teacher tokens (samples + repairs) per distinct verified solution, None when not counted."""
        return self.tokens_per_verified.get("all")

    def repair_by_target(self) -> dict[str, dict[str, dict]]:
        """{target: {error type: {attempted, fixed, rate}}} without the "all" target (each target keeps its own
        "all" row)."""
        return {k: v for k, v in self.repair.items() if k != "all"}


_PASS_KEY = re.compile(r".+_pass@\d+$")
# The keys of a cycle summary that only cycles >= 1 have (cycle 0 evaluates the base student and nothing else).
CYCLE_ONLY_FIELDS = frozenset({"pool_size", "n_sft", "n_pairs", "teacher_yield", "final_sft_loss", "final_margin",
                               "final_contrastive_loss", "levels", "judge_agreement", "new_questions",
                               "n_new_questions"})


@dataclass
class CycleSummary(JsonRecord):
    """One `cycle_summary` record of metrics.jsonl: every number of a cycle with the settings behind it.

    `pass_at_k`: the flat keys "<view>_pass@<k>" (view "benchmark", "held_out", "benchmark_<protocol>", any
    of them prefixed "teacher_"), 0-1; on disk they stay flat keys of the record. `evaluation_stats`: per view
    {pass@k, ci, protocol, n_problems, samples, vs_cycle_0, vs_previous} (`cycle_summary.evaluation_statistics`);
    `stage_seconds`: wall seconds per stage; `teacher_tokens`: tokens the teacher (and judge) used. Cycle > 0
    only: pool_size, n_sft, n_pairs, teacher_yield (`teacher_attempts.teacher_yield` + "positives"), final
    losses, `levels` (level -> count), judge_agreement, new_questions (per-level stats), n_new_questions.
    `time`: Unix seconds it was appended. Keys this class does not name (older runs: "final_loss") stay in
    `extra`. Built by `cycle_summary.cycle_summary`.
    """

    cycle: int
    kind: str = "cycle_summary"
    time: float | None = None
    pass_at_k: dict[str, float | None] = field(default_factory=dict)
    protocols: dict | None = None
    evaluation_stats: dict | None = None
    cut_at_length: dict | None = None
    stage_seconds: dict = field(default_factory=dict)
    teacher_tokens: int | None = None
    pool_size: int | None = None
    n_sft: int | None = None
    n_pairs: int | None = None
    teacher_yield: TeacherYield | None = None
    final_sft_loss: float | None = None  # last logged SFT (NLL) term: the contrastive phase's when it ran
    final_margin: float | None = None
    final_contrastive_loss: float | None = None
    levels: dict[str, int] | None = None
    judge_agreement: dict | None = None
    new_questions: dict | None = None
    n_new_questions: int | None = None
    settings: SummarySettings | None = None

    _NESTED: ClassVar[dict[str, Any]] = {"settings": SummarySettings, "teacher_yield": TeacherYield}
    _OMIT_IF_NONE: ClassVar[tuple[str, ...]] = ("time", "protocols")  # `time` is added when appended

    @classmethod
    def from_dict(cls, d: dict) -> CycleSummary:
        """Read a stored summary: its flat "<view>_pass@<k>" keys go to `pass_at_k` (see `JsonRecord.from_dict`)."""
        if not isinstance(d, dict):
            raise TypeError(f"CycleSummary: expected a JSON object, got {type(d).__name__}")
        flat = {k: v for k, v in d.items() if _PASS_KEY.fullmatch(k)}
        rec = super().from_dict({k: v for k, v in d.items() if k not in flat})
        rec.pass_at_k = flat
        rec.absent = rec.absent - {"pass_at_k"}
        return rec

    def to_dict(self) -> dict:
        """The stored form: `pass_at_k` written back as flat keys after `kind` (and `time`)."""
        d = super().to_dict()
        d.pop("pass_at_k", None)
        head = [k for k in ("time", "cycle", "kind") if k in d]
        return {**{k: d[k] for k in head}, **self.pass_at_k, **{k: v for k, v in d.items() if k not in head}}

    def pass_at(self, view: str, k: int = 1) -> float | None:
        """pass@k of `view` ("benchmark", "held_out", "teacher_benchmark", ...), None when not evaluated."""
        return self.pass_at_k.get(f"{view}_pass@{k}")
