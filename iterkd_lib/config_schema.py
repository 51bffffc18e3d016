"""The configuration schema: one dataclass per section of the one configuration object (`IterKDConfig`).

Every field carries its default and a one-line help text in its metadata (plus `min`/`max`/`choices` where
a value is bounded); `iterkd config fields` prints them and the widgets show them as tooltips. Loading from
YAML, dotted overrides, type and bound checks and the checks across fields live in `config.py`, which
re-exports every name here, so callers import from `iterkd_lib.config`.

Not covered: reading or validating a file (config.py); translating a section into library objects
(BitsAndBytesConfig, LoraConfig, trainer configs: models/student.py, stages/adapter.py).
Entry points: `IterKDConfig` and its sections, `ConfigError`, `field_help`; `dotted_get` and `eval_engine`
read saved config dicts.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from typing import Any, Literal


class ConfigError(ValueError):
    """A configuration problem, with the key and the file it came from in the message."""


def _f(default: Any, help: str, **kw: Any) -> Any:
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda d=default: type(d)(d), metadata={"help": help, **kw})
    return field(default=default, metadata={"help": help, **kw})


def _sub(cls: type, help: str) -> Any:
    return field(default_factory=cls, metadata={"help": help})


@dataclass
class RunConfig:
    """run: name, seed, cycles, where runs, models and cached replies live, torch threads."""
    name: str = _f("demo", "Run name; the run directory defaults to <runs_root>/<name>-<timestamp>.")
    runs_root: str = _f("runs", "Folder that holds run directories (relative to the working directory).")
    cycles: int = _f(2, "Number of IterKD cycles to run after the cycle-0 baseline.", min=0)
    seed: int = _f(1234, "Global seed: python, numpy, torch and every sampler derive from it.", min=0)
    torch_threads: int = _f(2, "torch intra-op threads (1 in tests: 2 threads on 2 busy cores swing 20x).", min=1)
    cache_dir: str = _f("~/.cache/iterkd", "Where converted models (and, by default, the response cache) live.")
    response_cache_dir: str = _f("", "Folder for the teacher/judge response cache ('' = cache_dir); a fresh one "
                                     "makes every teacher call real again.")


@dataclass
class DecodingConfig:
    """Decoding settings of one generation call (temperature 0 = greedy)."""
    temperature: float = _f(0.0, "0 means greedy decoding; > 0 samples.", min=0.0, max=5.0)
    top_p: float = _f(0.95, "Nucleus sampling mass (ignored when greedy).", min=0.0, max=1.0)
    max_new_tokens: int = _f(384, "Upper bound on generated tokens per completion.", min=1)
    stop: list = _f([], "Extra stop strings; generation is cut at the first one.")


@dataclass
class BackendConfig:
    """A generating model (teacher or judge): registry id or served model, dtype, batch size, decoding."""
    backend: str = _f("hf", "'hf' (transformers here; 'local' is the old name), 'llamacpp' (the GGUF on a llama.cpp "
                            "server started here), 'ctranslate2' (int8 copy converted once) or 'openai' (any "
                            "OpenAI-compatible server at base_url).",
                      choices=("hf", "local", "llamacpp", "ctranslate2", "openai"))
    model: str = _f("qwen2.5-coder-1.5b-instruct", "Registry short name, HF path/id, or the server's model name.")
    dtype: str = _f("auto", "Local weights dtype: 'auto' (bfloat16 where the CPU/GPU computes it natively -- "
                            "AVX512-BF16, AMX, CUDA -- else float32: emulated bf16 is 11-16x slower, see "
                            "models/dtypes.py), bfloat16, float32, float16.",
                    choices=("auto", "bfloat16", "float32", "float16"))
    batch_size: int = _f(8, "Local backend: prompts generated together in one batch (left padding).", min=1)
    base_url: str = _f("", "OpenAI backend: server URL, e.g. http://127.0.0.1:8000/v1 for vLLM.")
    api_key_env: str = _f("OPENAI_API_KEY", "OpenAI backend: environment variable that holds the API key.")
    max_concurrency: int = _f(8, "OpenAI backend: requests in flight at once.", min=1)
    max_retries: int = _f(5, "OpenAI backend: retries on 429/5xx/timeouts, with exponential backoff.", min=0)
    request_timeout_s: float = _f(120.0, "OpenAI backend: timeout for one request.", min=0.1)
    threads: int = _f(1, "llamacpp/ctranslate2: CPU threads of the engine (1 on a 2-core machine shared with "
                         "other work: 2 spinning threads next to a busy core collapse; see LOG.md).", min=1)
    parallel: int = _f(8, "llamacpp: server slots decoded together (continuous batching); also the client's "
                          "requests in flight.", min=1)
    ctx_per_slot: int = _f(2048, "llamacpp: context tokens per slot (prompt + answer); memory grows with "
                                 "parallel x ctx_per_slot.", min=256)
    port: int = _f(0, "llamacpp: port on 127.0.0.1 for the server (0 = a free port chosen at start).", min=0,
                   max=65535)
    start_timeout_s: float = _f(180.0, "llamacpp: seconds to wait for the server's health check.", min=1.0)
    compute_type: str = _f("int8", "ctranslate2: weight type of the converted copy (int8 = int8 weights, float "
                                   "activations; bf16 is not offered on CPUs without AVX512-BF16 kernels).",
                           choices=("int8", "int8_float32", "float32"))
    decoding: DecodingConfig = _sub(DecodingConfig, "Decoding settings, recorded next to every output.")


@dataclass
class JudgeConfig(BackendConfig):
    """The judge (Stage II): a generating model (fields as for the teacher) and how its score is obtained."""
    constrained: str = _f("auto", "Reply format: 'json' = constrained by a JSON schema (llama.cpp grammar, vLLM "
                                  "guided decoding through backend 'openai'), so every reply parses; 'none' = the "
                                  "free text layout, re-asked once when unreadable; 'auto' = 'json' where the "
                                  "backend supports a schema, else 'none'.", choices=("auto", "json", "none"))
    score_method: str = _f("auto", "'geval' = the probability-weighted expectation over the score tokens (G-Eval, "
                                   "needs log-probabilities; rules asked as whole numbers); 'sampled' = the "
                                   "numbers written; 'auto' = 'geval' where the backend returns log-probabilities. "
                                   "A reply whose score tokens cannot be located falls back to 'sampled'; each "
                                   "record says which was used (score_method).", choices=("auto", "geval", "sampled"))
    calibration: str = _f("none", "'anchors' = show the judge one passing and one failing answer to another "
                                  "problem, verified by execution (Stage I teacher attempts), before the task; "
                                  "'none'. Kept by measurement (benchmarks/judge_agreement.py, LOG.md).",
                          choices=("none", "anchors"))
    logprobs_k: int = _f(10, "G-Eval: top-k alternatives asked per generated token (1-20).", min=1, max=20)
    verdict: str = _f("none", "A second, yes/no question per attempt ('is the code correct?', prompts."
                              "judge_verdict_messages), read as P(yes) from the log-probabilities of the answer "
                              "token (needs them: llamacpp or openai). 'record' = stored as p_correct beside the "
                              "rubric; 'score' = the judgement's score becomes 6 x P(yes) (the rubric's 0-6 "
                              "range, so the difficulty thresholds keep their scale; the rubric's own score is "
                              "kept as rubric_score); 'none'. Costs one more prompt and <= 2 generated tokens "
                              "per attempt. On 88 recorded attempts (48 replayed, 40 new): AUC vs the tests 0.83 "
                              "against the rubric's 0.68, +0.15 [+0.04, +0.27] paired (LOG.md, 2026-11-30 s. 8).",
                      choices=("none", "record", "score"))


@dataclass
class LoraConfig:
    """LoRA adapter settings (PEFT LoraConfig, built in models/student.lora_config_from)."""
    r: int = _f(16, "LoRA rank.", min=1)
    alpha: int = _f(32, "LoRA scaling numerator (scale = alpha / r).", min=1)
    dropout: float = _f(0.05, "Dropout on the LoRA path.", min=0.0, max=0.9)
    target_modules: list = _f(["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
                              "Module names that receive adapters ('all-linear' as the single item also works).")


@dataclass
class StudentConfig:
    """The student: model, precision/quantization, LoRA, generation batch size and decoding."""
    model: str = _f("qwen2.5-coder-0.5b-instruct", "Registry short name or HF path/id of the student.")
    quantization: str = _f("none", "'4bit' = NF4 QLoRA with double quantization (GPU, or CPU on request); 'none'.",
                           choices=("none", "4bit"))
    dtype: str = _f("auto", "Compute dtype for training and generation: 'auto' = bfloat16 where the hardware "
                            "computes it natively, else float32 (models/dtypes.py); bfloat16, float32, float16.",
                    choices=("auto", "bfloat16", "float32", "float16"))
    lora: LoraConfig = _sub(LoraConfig, "Adapter shape.")
    batch_size: int = _f(8, "Prompts generated together when the student answers questions.", min=1)
    decoding: DecodingConfig = _sub(DecodingConfig, "Decoding for the student's answers in Stage II.")
    gradient_checkpointing: bool = _f(False, "Trade compute for memory (useful for 7B students on one GPU).")
    merge_for_generation: bool = _f(True, "Fold the LoRA adapter into the weights when the student only generates "
                                    "(~16% faster on CPU); ignored for 4-bit students, where merging is lossy.")


@dataclass
class DataConfig:
    """Seed problems, held-out split, pool size limits and the teachable-pool rule."""
    seed_problems: str = _f("data/seed_problems.jsonl", "Seed pool in HumanEval record format.")
    pool_size: int = _f(0, "Use only the first N seed problems after the held-out split (0 = all).", min=0)
    held_out: int = _f(40, "Seed problems held out of training (never in any pool), evaluated every cycle.", min=0)
    held_out_split: str = _f("stratified", "'stratified': held-out problems drawn from every (domain, difficulty) "
                             "stratum in proportion to its size (largest remainder, seeded; see splits.py); "
                             "'random': the first `held_out` of a seeded shuffle, as runs before this key did.",
                             choices=("stratified", "random"))
    max_pool: int = _f(0, "Cap on the pool size of later cycles (0 = no cap).", min=0)
    pool_refill: str = _f("none", "When a later cycle's pool (new questions, then the retained hard and medium "
                          "ones) holds fewer than pool_size questions: 'seeds' tops it up to pool_size with seed "
                          "problems that no earlier pool of the run held, in pool_policy order (never held-out "
                          "ones); 'none' leaves it smaller (the paper's policy: only new questions enter). With "
                          "few questions accepted in Stage III the pool otherwise shrinks to its hard core (the "
                          "study's IterKD cycle 3 held 1 problem: LOG.md, 2026-11-30 session 9). stages/pool.py.",
                          choices=("none", "seeds"))
    pool_policy: Literal["file_order", "teachable", "gap"] = _f(
        "file_order", "Which seed problems form cycle 1's pool (after the held-out split): 'file_order' (the "
                      "first pool_size), 'teachable' (problems the teacher solves first, by its measured pass@1), "
                      "'gap' (largest teacher-minus-student pass@1 first). See stages/pool.py.",
        choices=("file_order", "teachable", "gap"))
    """The teachable-pool rule; 'teachable' and 'gap' read teacher_passk (and student_passk)."""
    teacher_passk: str = _f("data/teacher_passk.jsonl", "Teacher pass@k per seed problem "
                                                         "(data/measure_teacher_passk.py) for pool_policy; several "
                                                         "files joined by commas are read as one.")
    """Measured teacher pass@k per problem (JSONL: task_id, n, c, pass@1)."""
    student_passk: str = _f("", "Student pass@k per seed problem, same format (commas likewise), for pool_policy "
                                "'gap' ('' = the student is taken to solve nothing, so 'gap' orders by the "
                                "teacher alone; a problem missing from it counts as unsolved by the student).")
    """Measured student pass@k per problem (optional)."""

    def __post_init__(self):
        if self.pool_policy not in ("file_order", "teachable", "gap"):
            raise ConfigError(f"data.pool_policy is {self.pool_policy!r}; expected file_order, teachable or gap")


@dataclass
class DistillConfig:
    """Stage I data: sample-and-verify, repair from execution feedback, canonical policy, faults, pairs."""
    correct_per_problem: int = _f(2, "Sample-and-verify: teacher samples of the correct request per problem (n), "
                                     "all run against the tests in one batched call.", min=0)
    """n of sample-and-verify: samples of the student's instruction asked from the teacher per problem."""
    sample_temperature: float = _f(0.7, "Temperature of those samples (teacher.decoding's other settings apply; "
                                        "0 = greedy, and then n > 1 repeats one answer).", min=0.0, max=5.0)
    """Sampling temperature of the correct samples and of repairs."""
    max_correct_per_problem: int = _f(2, "Distinct verified-correct teacher solutions kept per problem "
                                         "(deduplicated by their parsed AST; 0 = keep all).", min=0)
    """Cap on the distinct verified teacher solutions (samples + repairs) kept as positives per problem."""
    repair_rounds: int = _f(1, "Repair from execution feedback: rounds in which the teacher corrects failing code "
                               "shown with the sandbox's report (0 = no repair).", min=0)
    """Rounds of repair; each round repairs what the previous round left failing."""
    repair_student_failures: bool = _f(True, "Also repair the student's failed attempts of the previous cycle "
                                             "(PERsD-style personalised refinement).")
    """Whether the student's own failures (previous cycle) are sent to the teacher for repair."""
    canonical: Literal["always", "fallback", "never"] = _f(
        "fallback", "Seed file's canonical solutions as positives: 'always', 'fallback' (only for problems "
                    "without a verified teacher solution), 'never'.", choices=("always", "fallback", "never"))
    """When the problem's own (verified) canonical solution joins the SFT positives."""
    personalised_pairs: bool = _f(True, "Build (student's failing attempt, teacher's repair of it) pairs, a "
                                        "separate counted kind (ablation switch).")
    """Ablation switch for the personalised contrastive pairs."""
    faulty_per_problem: int = _f(2, "Teacher attempts asked to hide a fault, per problem.", min=0)
    fault_types: list = _f(["syntax", "logical", "type", "name", "timeout"],
                           "Fault types the faulty prompt cycles through (the paper's five).")
    use_student_failures: bool = _f(True, "Use the student's failed attempts of the previous cycle as negatives.")
    max_pairs_per_problem: int = _f(4, "Cap on (correct, faulty) pairs built per problem.", min=1)

    def __post_init__(self):
        if self.canonical not in ("always", "fallback", "never"):
            raise ConfigError(f"distill.canonical is {self.canonical!r}; expected always, fallback or never")


@dataclass
class TrainingConfig:
    """Stage I training: loss (cpo/simpo/dpo/none), weights, optimizer settings, steps, processes."""
    loss: str = _f("cpo", "Contrastive loss: 'cpo' / 'simpo' (reference-free, keep an SFT term) or 'dpo'.",
                   choices=("cpo", "simpo", "dpo", "none"))
    contrastive_weight: float = _f(1.0, "Weight of the contrastive term against the SFT term.", min=0.0)
    sft_weight: float = _f(1.0, "Weight of the correctness-aware SFT (NLL) term.", min=0.0)
    beta: float = _f(0.1, "Preference temperature (DPO/CPO beta; SimPO uses its own scale, see stages/adapter.py).",
                     min=0.0)
    simpo_gamma: float = _f(0.5, "SimPO target margin.", min=0.0)
    simpo_beta: float = _f(2.0, "SimPO reward scale on per-token mean log-probs (the SimPO paper uses 2-2.5).",
                           min=0.0)
    learning_rate: float = _f(2e-4, "AdamW learning rate for the adapter.", min=0.0, max=1.0)
    epochs: float = _f(1.0, "Passes over the training set per cycle.", min=0.0)
    max_steps: int = _f(0, "Stop after this many optimizer steps (0 = no cap).", min=0)
    batch_size: int = _f(4, "Examples per micro-batch.", min=1)
    grad_accum: int = _f(1, "Micro-batches per optimizer step.", min=1)
    max_length: int = _f(512, "Token cap for prompt + completion; longer examples are truncated.", min=16)
    warmup_ratio: float = _f(0.0, "Fraction of steps with linear LR warm-up.", min=0.0, max=1.0)
    continue_adapter: bool = _f(True, "Start each cycle from the previous cycle's adapter (else from scratch).")
    num_processes: int = _f(1, "Training processes (DDP, one per GPU): > 1 trains each cycle's adapter through "
                               "`accelerate launch ... iterkd train`; batches per step grow by this factor.", min=1)


@dataclass
class ExecutionConfig:
    """Sandbox limits for every program run: CPU seconds (wall-clock backstop at 3x), memory, parallel workers."""
    timeout_s: float = _f(5.0, "CPU-time limit per program, whole seconds rounded up (a wall-clock backstop at 3x "
                               "it catches programs that sleep); sandbox/execution.py.", min=0.1)
    memory_mb: int = _f(1024, "Address-space limit per program.", min=64)
    workers: int = _f(2, "Programs run in parallel.", min=1)


@dataclass
class FeedbackConfig:
    """Stage II views: samples per question, pylint, the judge."""
    samples_per_question: int = _f(2, "Student samples per question in Stage II.", min=1)
    use_judge: bool = _f(True, "Score attempts with the judge model (0-6 rubric).")
    use_pylint: bool = _f(True, "Run pylint on attempts.")
    judge: JudgeConfig = _sub(JudgeConfig, "Judge backend (model '' means: the teacher's) and how it scores.")


@dataclass
class DifficultyConfig:
    """Stage III levelling rule and its thresholds (stages/levels.py)."""
    rule: str = _f("tests_then_judge", "'tests_then_judge' (pass rate, judge breaks ties), 'tests', or 'judge'.",
                   choices=("tests_then_judge", "tests", "judge"))
    easy_min_pass_rate: float = _f(1.0, "Pass rate >= this is easy.", min=0.0, max=1.0)
    hard_max_pass_rate: float = _f(0.0, "Pass rate <= this is hard.", min=0.0, max=1.0)
    easy_min_judge: float = _f(5.0, "Judge mean >= this counts towards easy (rule 'judge' / tie-break).",
                               min=0.0, max=6.0)
    hard_max_judge: float = _f(2.0, "Judge mean <= this counts towards hard.", min=0.0, max=6.0)


def _sampling(temperature: float, max_new_tokens: int, stop: list, help: str) -> Any:
    return field(default_factory=lambda: DecodingConfig(temperature=temperature, max_new_tokens=max_new_tokens,
                                                        stop=list(stop)), metadata={"help": help})


# The Stage III rejections a revision can address (stages/new_questions.py): an ambiguous text, wrong
# examples or an annotation the results do not fit (the teacher sees what was disputed), a question that
# repeats an existing one (it sees that one), or one the student already solves (it is asked for a harder one).
REVISABLE_REASONS = ("no_agreement", "return_type_mismatch", "example_mismatch", "near_duplicate", "student_solves")


@dataclass
class RegenerationConfig:
    """Stage III new questions: how many per level, tries, validation thresholds, decoding."""
    per_level: dict = _f({"easy": 2, "medium": 2, "hard": 2}, "New questions asked from the teacher per level.")
    max_tries_factor: int = _f(2, "Teacher calls allowed per wanted question (rejections are common).", min=1)
    n_inputs: int = _f(8, "Test inputs (calls) the teacher is asked to write with each question; the docstring's "
                          "examples are added to them.", min=1)
    solutions_per_question: int = _f(4, "k: independent teacher solutions sampled per question (the solution "
                                        "written with the question is one more candidate).", min=1)
    solutions_see_examples: bool = _f(True, "Whether the k solutions see the docstring's `>>>` examples. False "
                                            "(experimental; LOG.md session 13): they are sampled from the prompt "
                                            "with the examples removed (scoring/docstrings.strip_examples), so the "
                                            "agreeing group holds at least min_agree - 1 solutions that read the "
                                            "task from the text alone (the solution written with the question saw "
                                            "the examples and still votes, but its backing a stated example no "
                                            "longer counts as another reading of the text); examples that "
                                            "contradict the text are then rewritten to the text's reading or the "
                                            "question is rejected, instead of getting tests that follow the "
                                            "examples. The student always sees the whole prompt.")
    min_agree: int = _f(3, "Accept a question when at least this many candidate solutions return the same "
                           "outcome on every input (on min_agreed_inputs of them when that is below 1), and no "
                           "other group is as large.", min=2)
    min_agreed_inputs: float = _f(1.0, "Share of a question's inputs that the agreeing candidates must agree on. "
                                  "1.0: every input (one group agreeing everywhere). Below 1: the largest set of "
                                  ">= min_agree candidates agreeing on the most inputs wins if it covers at least "
                                  "this share; the other inputs are 'contested' (the question's text does not "
                                  "settle them, e.g. an empty list or a negative width) and no test is written "
                                  "for them (scoring/agreement_vote.py). At least 0.5: agreement on a minority "
                                  "of the inputs decides nothing.", min=0.5, max=1.0)
    min_asserts: int = _f(3, "Tests (agreed outputs) a question must end up with; fewer is 'too_few_tests'.", min=1)
    revise_rounds: int = _f(0, "How many times a rejected question may go back to the teacher (0: never), for the "
                            "reasons in revise_reasons. The teacher sees, for no_agreement / example_mismatch / "
                            "return_type_mismatch, the calls in question (each answer and how many solutions gave "
                            "it); for near_duplicate, the exercise it repeats; for student_solves (the student "
                            "check), how many of the student's answers passed, with a request for a harder "
                            "exercise grown from it (more requirements: the in-depth evolving of Evol-Instruct, "
                            "arXiv 2304.12244). The revision is checked, solved k times and voted on again (a "
                            "student_solves one also student-checked again: student_check_samples more answers). "
                            "Each revision costs about what the question cost; it stays the same request in "
                            "acceptance_rate (stages/new_questions.py).", min=0, max=3)
    revise_reasons: list = _f(list(REVISABLE_REASONS), "Which rejections revise_rounds revises, any of "
                              f"{', '.join(REVISABLE_REASONS)} (default: all of them; student_solves only "
                              "occurs with student_check_samples > 0).", items=REVISABLE_REASONS)
    drop_failing_asserts: bool = _f(False, "No longer used (tests now come from agreed outputs, not from the "
                                           "teacher's asserts); kept so runs made before that change reopen.")
    rel_tol: float = _f(1e-6, "Relative tolerance when float outputs are compared and written as tests.",
                        min=0.0, max=1.0)
    abs_tol: float = _f(1e-9, "Absolute tolerance when float outputs are compared and written as tests.", min=0.0)
    call_timeout_s: float = _f(2.0, "Limit per input call when the candidate solutions are run.", min=0.1)
    check_nondeterminism: bool = _f(True, "Run every candidate twice (another sandbox server) and leave out "
                                          "those whose outcomes change ('nondeterministic').")
    example_policy: str = _f("rewrite", "What a docstring example that disagrees with the agreed output does: "
                             "'rewrite' (its result line in the prompt becomes the agreed output, recorded in "
                             "examples_rewritten; rejected as 'example_mismatch' when it cannot be rewritten -- "
                             "the agreed outcome is an exception or too long -- or when a voting solution gives "
                             "the stated value: two readings, scoring/agreement_vote.py; with "
                             "solutions_see_examples false, a solution sampled without the examples), "
                             "'rewrite_all' (also those: the rule before 2026-12-01), 'reject' ('example_mismatch') or 'count' (kept "
                             "as written, only counted). Old runs' reject_example_mismatch: true reads as "
                             "'reject', false as 'count'.", choices=("rewrite", "rewrite_all", "reject", "count"))
    contested_examples: str = _f("keep", "What a docstring example whose input the vote left contested (with "
                                 "min_agreed_inputs < 1 the agreeing group may split on some inputs; they get no "
                                 "test) does: 'keep' (shown as written: the rule before 2026-12-01 session 13), "
                                 "'drop' (its `>>>` lines leave the prompt, recorded in examples_dropped; one shown "
                                 "only in prose, or whose removal would leave no prose, rejects) or 'reject' "
                                 "('contested_example', final: not revisable). In the accepted questions recorded "
                                 "up to session 13, 5 of the 6 distinct such examples were wrong (LOG.md).",
                                 choices=("keep", "drop", "reject"))
    rouge_l_max: float = _f(0.7, "Reject a question whose ROUGE-L to any pool question exceeds this.",
                            min=0.0, max=1.0)
    embedding_sim_max: float = _f(0.92, "Reject when the MiniLM cosine similarity exceeds this (0 disables).",
                                  min=0.0, max=1.0)
    contamination_max: float = _f(0.5, "Reject when 13-gram overlap with HumanEval or the held-out seeds exceeds "
                                       "this (ROUGE-L above rouge_l_max to a held-out prompt too).",
                                  min=0.0, max=1.0)
    keep_hard: bool = _f(True, "Carry the cycle's hard questions into the next pool.")
    student_check_samples: int = _f(0, "Student answers per accepted question (the cycle's student, Stage II's "
                                       "request and decoding; scoring/student_check.py); 0: no check.", min=0)
    student_check_kinds: list = _f(["depth"], "Which accepted questions the student check applies to, any of "
                                              "'depth' (medium/hard parents) and 'breadth' (easy parents).",
                                   items=("depth", "breadth"))
    student_check_max_pass: float = _f(1.0, "Reject a checked question as 'student_solves' when the student "
                                            "passes this share of its answers or more (1.0: all of them, the "
                                            "'easy' rule of difficulty.easy_min_pass_rate).", min=0.01, max=1.0)
    decoding: DecodingConfig = _sub(DecodingConfig, "Decoding for question writing (sampling helps variety).")
    solution_decoding: DecodingConfig = _sampling(0.8, 384, ["\n```\n"], "Decoding for the k solutions (must sample: "
                                                  "temperature > 0, else the k solutions are one).")


@dataclass
class EvaluationConfig:
    """Per-cycle evaluation: benchmark, subset, protocol, samples, pass@k, keep-best metric."""
    benchmark: str = _f("humaneval", "'humaneval' or a JSONL file in HumanEval format.")
    subset: int = _f(0, "Evaluate the first N benchmark problems only (0 = all 164).", min=0)
    pass_k: list = _f([1], "k values for pass@k.")
    samples: int = _f(1, "Samples per problem (1 with greedy decoding gives pass@1; > 1 needs "
                         "decoding.temperature > 0 and reports the unbiased pass@k over the samples).", min=1)
    decoding: DecodingConfig = _sub(DecodingConfig, "Decoding for evaluation; recorded with every number.")
    protocol: str = _f("chat", "Primary benchmark protocol: 'chat' (the instruct prompt the student is trained "
                       "on) or 'completion' (continue the raw prompt).", choices=("completion", "chat"))
    second_protocol: str = _f("", "Also evaluate the benchmark in this protocol every cycle, as a second view "
                              "reported on its own ('' = none).", choices=("", "completion", "chat"))
    ci_resamples: int = _f(10000, "Bootstrap resamples (over problems) for the 95% CI of every pass@k and "
                           "paired comparison (see stats.py).", min=100)
    engine: str = _f("hf", "Engine that generates the student's evaluation answers: 'hf' (transformers, the "
                     "student as trained, LoRA merged) or 'ctranslate2' (the merged student converted once per "
                     "cycle into <run>/cycle_<k>/student_ct2/, `engine_compute_type`; greedy output is "
                     "deterministic there, seeded sampling is not; int8 is a quantised copy whose answers can "
                     "differ from the trained weights'). Stage II's sampled attempts stay on transformers. "
                     "LOG.md (2026-11-30, session 6) has speed and answers of both side by side.",
                     choices=("hf", "ctranslate2"))
    engine_compute_type: str = _f("int8", "ctranslate2 only: weight type of the converted student ('int8': "
                                  "int8 weights with float32 activations, 'float32').", choices=("int8", "float32"))
    evaluate_teacher: bool = _f(True, "Evaluate the teacher once at cycle 0 as the ceiling.")
    keep_best_metric: str = _f("benchmark_pass@1", "Metric that picks the best cycle.")


@dataclass
class StudyConfig:
    """`iterkd study`: which variants, how many IterKD cycles, how the one-shot budget is matched (study.py)."""
    variants: list = _f(["untrained", "iterkd", "oneshot"], "Variants to run, from 'untrained' (the student "
                        "before training: cycle 0's evaluation), 'iterkd' (the cycle loop), 'oneshot' (Stage I "
                        "once on the seed pool at IterKD's teacher-token budget), 'selftrain' (the student's own "
                        "verified samples, no teacher).")
    cycles: int = _f(3, "IterKD (and self-training) cycles after the cycle-0 baseline.", min=1)
    budget_tolerance: float = _f(0.10, "One-shot teacher tokens must lie within this fraction of IterKD's "
                                 "(prompt + completion, cycles 1..N, cached replies counted).", min=0.0, max=1.0)
    sizing_tries: int = _f(4, "One-shot sizing rounds (pool size, then samples per problem, rescaled from the "
                           "tokens its teacher attempts spent) before the closest try is used.", min=1)
    max_samples_factor: int = _f(8, "Cap on the factor that multiplies the distill.*_per_problem counts "
                                 "of the one-shot variant once the whole seed pool is in use.", min=1)
    ref_ratio: float = _f(1.3, "The claim tested: gain(IterKD) >= ref_ratio x gain(one-shot) over the untrained "
                          "student (arXiv 2408.03680's headline), by stats.ratio_of_gains.", min=0.0)
    figures_dir: str = _f("figures", "Where the study_* table (Markdown, CSV) and figure (HTML, PNG) go.")


@dataclass
class IterKDConfig:
    """The one configuration object: one section per concern; YAML <-> dataclasses via this module."""
    run: RunConfig = _sub(RunConfig, "Run identity, seed, threads.")
    teacher: BackendConfig = _sub(BackendConfig, "The teacher: writes solutions, faults and new questions.")
    student: StudentConfig = _sub(StudentConfig, "The student that learns.")
    data: DataConfig = _sub(DataConfig, "Seed pool and held-out split.")
    distill: DistillConfig = _sub(DistillConfig, "Stage I: correct-and-fault knowledge delivery.")
    training: TrainingConfig = _sub(TrainingConfig, "Stage I: SFT + contrastive adapter training.")
    execution: ExecutionConfig = _sub(ExecutionConfig, "Sandbox limits for every program run.")
    feedback: FeedbackConfig = _sub(FeedbackConfig, "Stage II: multi-view feedback.")
    difficulty: DifficultyConfig = _sub(DifficultyConfig, "Stage III: difficulty levels.")
    regeneration: RegenerationConfig = _sub(RegenerationConfig, "Stage III: new questions from the teacher.")
    evaluation: EvaluationConfig = _sub(EvaluationConfig, "Per-cycle benchmark evaluation.")
    study: StudyConfig = _sub(StudyConfig, "`iterkd study`: IterKD vs one-shot vs untrained at equal teacher tokens.")


def field_help(cls: type = IterKDConfig, prefix: str = "") -> list[tuple[str, str]]:
    """(dotted key, help) for every field, for `iterkd config fields` and the widgets' tooltips."""
    rows = []
    for f in dataclasses.fields(cls):
        full = f"{prefix}.{f.name}" if prefix else f.name
        tp = typing.get_type_hints(cls)[f.name]
        if dataclasses.is_dataclass(tp):
            rows += field_help(tp, full)
        else:
            rows.append((full, f.metadata.get("help", "")))
    return rows


def eval_engine(cfg: dict) -> str:
    """What generates the student's evaluation answers, from a config dict (a run's saved config): "hf" or
    "ctranslate2 <engine_compute_type>"; "hf" for configs from before evaluation.engine existed."""
    ev = cfg.get("evaluation") or {}
    engine = ev.get("engine") or "hf"
    return engine if engine == "hf" else f"{engine} {ev.get('engine_compute_type') or 'int8'}"


def dotted_get(d: Any, dotted: str) -> Any:
    """d["a"]["b"] for dotted "a.b" (config dicts, run records); None where a level is missing or not a dict."""
    for part in dotted.split("."):
        d = d.get(part) if isinstance(d, dict) else None
    return d
