"""Issue 16, the judge: AUC with a bootstrap CI, constrained (JSON) replies, G-Eval scores, anchors, records."""

from __future__ import annotations

import json
import math
import random

import pytest

from iterkd_lib.config import BackendConfig, DecodingConfig, JudgeConfig
from iterkd_lib.models.backends import make_backend
from iterkd_lib.models.openai_backend import OpenAIBackend
from iterkd_lib.prompts import JUDGE_REMINDER_JSON
from iterkd_lib.scoring.agreement import agreement_with_ci, auc, bootstrap_auc_ci, paired_auc_difference
from iterkd_lib.scoring.judge_parser import parse_judgement
from iterkd_lib.scoring.judge_scoring import geval_rules, judge_schema, pick_anchors, verdict_probability
from iterkd_lib.scoring.judging import judge_attempts, resolve_judge_mode
from iterkd_lib.stages.feedback import anchor_pool, judge_test_agreement
from iterkd_lib.verdicts import Judgement

# ------------------------------------------------------------------------------------------------ AUC


def test_auc_hand_computed_cases_with_ties():
    assert auc([1, 2, 3, 4], [0, 0, 1, 1]) == 1.0
    assert auc([1, 2, 3, 4], [1, 1, 0, 0]) == 0.0
    assert auc([3, 3, 3, 3], [1, 0, 1, 0]) == 0.5          # all tied: every pair counts half
    # passing {2, 3} vs failing {1, 2}: 2>1 (1) + 2=2 (0.5) + 3>1 (1) + 3>2 (1) = 3.5 of 4 pairs
    assert auc([1, 2, 2, 3], [0, 1, 0, 1]) == pytest.approx(0.875)
    # the demo run's shape: failing answers given 6/6 like the passing ones
    assert auc([6, 6, 6, 6, 2], [1, 1, 0, 0, 0]) == pytest.approx((0.5 * 2 + 1) * 2 / 6)
    assert auc([1, 2], [1, 1]) is None and auc([1, 2], [0, 0]) is None
    with pytest.raises(ValueError, match="None or NaN"):
        auc([1, None], [0, 1])
    with pytest.raises(ValueError, match="2 scores but 3 labels"):
        auc([1, 2], [0, 1, 1])


def test_auc_equals_pairwise_definition_on_random_data():
    rng = random.Random(5)
    for _ in range(30):
        n = rng.randint(2, 25)
        xs = [rng.choice([0, 0.5, 1, 2.5, 3, 6]) for _ in range(n)]
        ys = [rng.random() < 0.4 for _ in range(n)]
        pos, neg = [x for x, y in zip(xs, ys) if y], [x for x, y in zip(xs, ys) if not y]
        if not pos or not neg:
            assert auc(xs, ys) is None
            continue
        pairwise = sum(1.0 if p > q else 0.5 if p == q else 0.0 for p in pos for q in neg) / (len(pos) * len(neg))
        assert auc(xs, ys) == pytest.approx(pairwise)


def test_bootstrap_ci_is_seeded_brackets_the_auc_and_degenerates_correctly():
    rng = random.Random(1)
    ys = [i % 3 == 0 for i in range(45)]
    xs = [(4 if y else 2) + rng.choice([-2, -1, 0, 1, 2]) for y in ys]
    a = auc(xs, ys)
    ci, used = bootstrap_auc_ci(xs, ys, n_boot=500, seed=3)
    assert ci == bootstrap_auc_ci(xs, ys, n_boot=500, seed=3)[0]
    assert ci != bootstrap_auc_ci(xs, ys, n_boot=500, seed=4)[0]
    assert ci[0] < a < ci[1] and 0.0 <= ci[0] and ci[1] <= 1.0 and used == 500
    # perfect separation stays perfect in every resample that holds both classes
    assert bootstrap_auc_ci([0, 0, 1, 1, 1], [0, 0, 1, 1, 1], n_boot=200)[0] == (1.0, 1.0)
    # one passing attempt among 20: about 1/e of the resamples hold none and are skipped
    ci, used = bootstrap_auc_ci(list(range(20)), [i == 0 for i in range(20)], n_boot=300)
    assert ci == (0.0, 0.0) and 150 < used < 250
    assert bootstrap_auc_ci([1.0], [True])[0] is None


def test_agreement_counts_unparseable_and_leaves_them_out_of_the_auc():
    out = agreement_with_ci([5, None, 1, 6, None, 2], [1, 1, 0, 1, 0, 0], n_boot=200)
    assert out["n_judged"] == 6 and out["n_unparseable"] == 2 and out["n"] == 4 and out["n_passed"] == 2
    assert out["auc"] == 1.0 and out["auc_ci"] == [1.0, 1.0] and out["unparseable_rate"] == pytest.approx(1 / 3)
    assert agreement_with_ci([None, None], [1, 0])["note"] == "no parseable judgement"
    assert agreement_with_ci([1, 2], [1, 1])["note"] == "every attempt passed"


def test_paired_auc_difference_is_exact_on_the_sample_and_seeded():
    rng = random.Random(5)
    labels = [rng.random() < 0.6 for _ in range(40)]
    good = [y + rng.gauss(0, 0.5) for y in labels]  # separates the classes well
    poor = [y + rng.gauss(0, 3.0) for y in labels]
    out = paired_auc_difference(good, poor, labels, seed=1)
    assert out["diff"] == pytest.approx(auc(good, labels) - auc(poor, labels)) and out["n"] == 40
    assert out["ci"][0] <= out["diff"] <= out["ci"][1] and 0.0 <= out["p_le_0"] <= 1.0
    assert paired_auc_difference(good, poor, labels, seed=1) == out
    # a score compared with itself: no difference in any resample
    same = paired_auc_difference(good, good, labels)
    assert same["diff"] == 0.0 and same["ci"] == [0.0, 0.0] and same["p_le_0"] == 1.0
    # None in either score drops the attempt from both; one class only: no difference
    assert paired_auc_difference([None] + good[1:], poor, labels)["n"] == 39
    assert paired_auc_difference(good, poor, [True] * 40)["diff"] is None
    with pytest.raises(ValueError, match="verdicts"):
        paired_auc_difference(good, poor, labels[:3])


def test_judge_test_agreement_reports_the_ci_and_score_methods():
    fb = [{"judge": {"parse_ok": True, "score": s, "score_method": m}, "execution": {"passed": p, "status": st}}
          for s, p, m, st in [(6, True, "geval", "passed"), (5.5, True, "geval", "passed"), (1, False, "sampled", "failed"),
                              (2, False, "geval", "failed"), (6, False, "geval", "failed")]]
    out = judge_test_agreement(fb)
    assert out["auc"] == pytest.approx(auc([6, 5.5, 1, 2, 6], [1, 1, 0, 0, 0]))
    assert out["auc_ci"][0] <= out["auc"] <= out["auc_ci"][1]
    assert out["score_methods"] == {"geval": 4, "sampled": 1} and out["ci_level"] == pytest.approx(0.95)


# --------------------------------------------------------------------------------------------- G-Eval

def _tokens(text: str, alternatives: dict[int, dict[str, float]] | None = None) -> list[dict]:
    """One token per character; at character index i the top alternatives are alternatives[i] (probabilities)."""
    out = []
    for i, ch in enumerate(text):
        top = {ch: 0.0}
        if alternatives and i in alternatives:
            top = {t: math.log(p) for t, p in alternatives[i].items()}
        out.append({"token": ch, "logprob": top.get(ch, -30.0), "top": top})
    return out


JSON_REPLY = ('{"analysis": "Sorts then indexes; even lengths are wrong.", "functionality": 1, "boundary": 0, '
              '"coverage": 1, "readability": 1, "practices": 1}')


def test_geval_expectation_from_given_token_probabilities():
    alts = {JSON_REPLY.index('"functionality": ') + len('"functionality": '): {"1": 0.5, "2": 0.3, "0": 0.1, "x": 0.1},
            JSON_REPLY.index('"boundary": ') + len('"boundary": '): {"0": 0.6, "1": 0.2, "2": 0.2}}
    rules, mass = geval_rules(JSON_REPLY, _tokens(JSON_REPLY, alts))
    # functionality: (0.5*1 + 0.3*2 + 0.1*0) / 0.9, renormalised over the valid tokens 0..2 ("x" is not one)
    assert rules["functionality"] == pytest.approx((0.5 + 0.6) / 0.9)
    # boundary (max 1): "2" is not a valid score for it, so (0.6*0 + 0.2*1) / 0.8
    assert rules["boundary"] == pytest.approx(0.2 / 0.8)
    assert rules["coverage"] == 1.0 and mass["functionality"] == pytest.approx(0.9)
    # llama.cpp returns the content of a fenced JSON reply while the log-probs hold the fence too
    fenced = "```json\n" + JSON_REPLY + "\n```"
    shifted = {i + len("```json\n"): a for i, a in alts.items()}
    assert geval_rules(JSON_REPLY, _tokens(fenced, shifted))[0] == rules


def test_geval_text_layout_keeps_a_sampled_half_point_and_misses_are_none():
    text = "Code Analysis: fine.\nFunctionality: 1.5\nBoundary checks: 1\nRequirement coverage: 1\nReadability: 0\n"
    i = text.index("Functionality: ") + len("Functionality: ")
    rules, _ = geval_rules(text, _tokens(text, {i: {"1": 0.75, "2": 0.25}}))
    assert rules["functionality"] == pytest.approx(min(0.75 + 0.5 + 0.5, 2.0))
    assert rules["readability"] == 0.0 and rules["practices"] is None  # no Practices line
    assert geval_rules(text, None)[0]["functionality"] is None
    # tokens that do not spell the reply (a cached text from elsewhere) give no positions to trust
    assert all(v is None for v in geval_rules(text, _tokens("something else entirely"))[0].values())


def test_judge_schema_enumerates_valid_scores():
    s = judge_schema(integer_scores=True)
    assert next(iter(s["properties"])) == "analysis" and s["required"] == list(s["properties"])
    assert s["properties"]["functionality"]["enum"] == [0, 1, 2] and s["properties"]["practices"]["enum"] == [0, 1]
    assert judge_schema(integer_scores=False)["properties"]["functionality"]["enum"] == [0, 0.5, 1, 1.5, 2]
    assert parse_judgement(JSON_REPLY)["score"] == 4.0  # the constrained reply parses with the existing parser


# ------------------------------------------------------------------------------ judge_attempts, records

class LogprobJudge:
    """A backend stand-in that takes json_schema/logprobs and answers scripted JSON replies with token log-probs."""

    kind = "scripted"
    supported_options = frozenset({"json_schema", "logprobs"})

    def __init__(self, replies):
        self.replies, self.calls = list(replies), []

    def chat(self, messages_list, decoding, seed, n=1, details=False, **options):
        self.calls.append({"messages": messages_list, "seed": seed, "details": details, "options": options})
        out = []
        for _ in messages_list:
            text, alts = self.replies.pop(0)
            out.append([{"text": text, "logprobs": _tokens(text, alts) if options.get("logprobs") else None}])
        return out if details else [[a["text"] for a in row] for row in out]

    def describe(self):
        return {"model": "scripted", "backend": "test"}


PROBLEMS = {"T/0": {"task_id": "T/0", "prompt": "def f(x):\n"}, "T/1": {"task_id": "T/1", "prompt": "def g(x):\n"}}
ATTEMPTS = [{"task_id": "T/0", "sample_index": 0, "code": "def f(x): return x"},
            {"task_id": "T/1", "sample_index": 0, "code": "def g(x): return 2"}]


def test_constrained_geval_judge_records_method_and_sampled_score():
    i = JSON_REPLY.index('"functionality": ') + len('"functionality": ')
    judge = LogprobJudge([(JSON_REPLY, {i: {"1": 0.5, "2": 0.5}}), (JSON_REPLY, None)])
    cfg = JudgeConfig(constrained="auto", score_method="auto", logprobs_k=7)
    out = judge_attempts(PROBLEMS, ATTEMPTS, judge, DecodingConfig(temperature=0.0), seed=1, judge_cfg=cfg)
    (call,) = judge.calls
    assert call["options"]["json_schema"] == judge_schema(integer_scores=True) and call["options"]["logprobs"] == 7
    assert "one JSON object" in call["messages"][0][1]["content"]
    assert out[0]["score_method"] == "geval" and out[0]["score"] == pytest.approx(1.5 + 3.0)
    assert out[0]["sampled_score"] == 4.0 and out[0]["geval_rules"]["functionality"] == pytest.approx(1.5)
    assert out[0]["constrained"] == "json" and out[0]["calibration"] == "none"
    # the judge wrote "1" with probability 1 here: the expectation is the sampled value
    assert out[1]["score"] == pytest.approx(4.0) and out[1]["score_method"] == "geval"
    back = Judgement.from_dict(out[0]).to_dict()
    assert back == out[0]


def test_geval_falls_back_to_the_sampled_score_when_tokens_are_missing():
    class NoLogprobs(LogprobJudge):
        def chat(self, messages_list, decoding, seed, n=1, details=False, **options):
            rows = super().chat(messages_list, decoding, seed, n, details, **options)
            return [[{**a, "logprobs": None} for a in row] for row in rows]

    out = judge_attempts(PROBLEMS, ATTEMPTS[:1], NoLogprobs([(JSON_REPLY, None)]), DecodingConfig(), seed=1,
                         judge_cfg=JudgeConfig(score_method="geval"))
    assert out[0]["score_method"] == "sampled" and out[0]["score"] == 4.0 and "G-Eval" in out[0]["problem"]


def test_constrained_reply_cut_short_is_retried_once_with_the_json_reminder():
    cut = JSON_REPLY[:60]
    judge = LogprobJudge([(cut, None), (JSON_REPLY, None)])
    out = judge_attempts(PROBLEMS, ATTEMPTS[:1], judge, DecodingConfig(), seed=1,
                         judge_cfg=JudgeConfig(constrained="json", score_method="sampled"))
    assert len(judge.calls) == 2 and judge.calls[0]["seed"] != judge.calls[1]["seed"]
    assert judge.calls[1]["options"] == {"json_schema": judge_schema(integer_scores=False)}
    assert judge.calls[1]["messages"][0][-1] == {"role": "user", "content": JUDGE_REMINDER_JSON}
    assert out[0]["tries"] == 2 and out[0]["first_raw"] == cut and out[0]["parse_ok"] and out[0]["score"] == 4.0


def test_resolve_mode_by_backend_and_errors_for_unsupported_requests():
    class Plain:
        kind = "hf"

    assert resolve_judge_mode(Plain(), JudgeConfig()) == {"constrained": False, "score_method": "sampled",
                                                          "calibration": "none", "verdict": "none"}
    assert resolve_judge_mode(LogprobJudge([]), JudgeConfig())["constrained"] is True
    assert resolve_judge_mode(LogprobJudge([]), JudgeConfig(constrained="none", score_method="sampled")) == {
        "constrained": False, "score_method": "sampled", "calibration": "none", "verdict": "none"}
    with pytest.raises(ValueError, match="constrained='json'.*'hf'"):
        resolve_judge_mode(Plain(), JudgeConfig(constrained="json"))
    with pytest.raises(ValueError, match="score_method='geval'.*'hf'"):
        resolve_judge_mode(Plain(), JudgeConfig(score_method="geval"))
    with pytest.raises(ValueError, match="verdict='score'.*'hf'"):
        resolve_judge_mode(Plain(), JudgeConfig(verdict="score"))
    assert resolve_judge_mode(Plain(), None)["score_method"] == "sampled"


def test_anchors_are_a_verified_pair_from_another_task_and_are_recorded():
    pool = [{"task_id": "A", "prompt": "def a():\n", "code": "def a(): return 1", "passed": True},
            {"task_id": "A", "prompt": "def a():\n", "code": "def a(): return 0  # wrong", "passed": False},
            {"task_id": "B", "prompt": "def b():\n", "code": "def b(): return 1" * 3, "passed": True},
            {"task_id": "B", "prompt": "def b():\n", "code": "def b(): return 0" * 3, "passed": False},
            {"task_id": "C", "prompt": "def c():\n", "code": "def c(): return 1", "passed": True}]
    assert pick_anchors(pool)["task_id"] == "A"                      # the shortest complete pair
    assert pick_anchors(pool, exclude_task="A")["task_id"] == "B"    # never the judged task
    assert pick_anchors(pool[4:]) is None                            # no failing answer: no anchors
    problems = {**PROBLEMS, "A": {"task_id": "A", "prompt": "def a():\n"}}
    attempts = [{"task_id": "A", "sample_index": 0, "code": "def a(): return 1"}, ATTEMPTS[0]]
    judge = LogprobJudge([(JSON_REPLY, None), (JSON_REPLY, None)])
    out = judge_attempts(problems, attempts, judge, DecodingConfig(), seed=1,
                         judge_cfg=JudgeConfig(constrained="json", score_method="sampled", calibration="anchors"),
                         anchor_pool=pool)
    first, second = (m[1]["content"] for m in judge.calls[0]["messages"])
    assert "def b(): return 0" in first and "def a(): return 0  # wrong" not in first
    assert "def a(): return 0  # wrong" in second and "passes all its tests" in second
    assert [o["calibration"] for o in out] == ["anchors", "anchors"]
    # anchors asked for but the pool holds no pair: recorded as none
    judge = LogprobJudge([(JSON_REPLY, None)])
    out = judge_attempts(problems, attempts[1:], judge, DecodingConfig(), seed=1,
                         judge_cfg=JudgeConfig(calibration="anchors"), anchor_pool=pool[4:])
    assert out[0]["calibration"] == "none" and "Example answer" not in judge.calls[0]["messages"][0][1]["content"]


def test_anchor_pool_from_teacher_attempts_uses_real_verdicts_only():
    problems = {"A": {"task_id": "A", "prompt": "def a():\n"}}
    recs = [{"task_id": "A", "code": "x", "verdict": {"passed": True, "status": "passed"}},
            {"task_id": "A", "code": "y", "verdict": {"passed": False, "status": "harness_error"}},
            {"task_id": "Z", "code": "z", "verdict": {"passed": False, "status": "failed"}},
            {"task_id": "A", "code": "", "verdict": {"passed": False, "status": "failed"}}]
    assert anchor_pool(problems, recs) == [{"task_id": "A", "prompt": "def a():\n", "code": "x", "passed": True}]


# ------------------------------------------------------------------ constrained requests per backend

def test_openai_backend_sends_the_schema_as_response_format_and_asks_top_logprobs(tmp_path, monkeypatch):
    from tests.test_generation_openai import FakeOpenAIServer

    monkeypatch.setenv("ITERKD_TEST_KEY", "sk-test")
    schema = judge_schema(integer_scores=True)
    with FakeOpenAIServer() as srv:
        backend = make_backend(BackendConfig(backend="openai", model="judge-x", base_url=srv.url,
                                             api_key_env="ITERKD_TEST_KEY", request_timeout_s=5.0), str(tmp_path))
        backend.chat([[{"role": "user", "content": "grade"}]], DecodingConfig(temperature=0.0), 1, details=True,
                     json_schema=schema, logprobs=5)
        body = srv.requests[-1]["body"]
    assert body["response_format"] == {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}}
    assert body["logprobs"] is True and body["top_logprobs"] == 5


def test_llamacpp_request_carries_the_schema_in_its_body():
    from iterkd_lib.models.llamacpp import LlamaCppBackend

    schema = judge_schema(integer_scores=False)
    body = LlamaCppBackend._extra_body(None, {}, DecodingConfig(), {"json_schema": schema})
    assert body == {"cache_prompt": False, "json_schema": schema}
    assert {"json_schema", "logprobs"} <= LlamaCppBackend.supported_options


def test_local_hf_backend_refuses_a_schema_so_auto_falls_back_to_the_retry(tmp_path):
    from iterkd_lib.models.hf_backend import LocalBackend

    assert "json_schema" not in LocalBackend.supported_options and "logprobs" not in LocalBackend.supported_options
    assert OpenAIBackend.supported_options >= {"json_schema", "logprobs"}


def test_judge_config_fields_have_help_and_validate():
    from dataclasses import fields

    from iterkd_lib.config import IterKDConfig

    cfg = IterKDConfig()
    assert isinstance(cfg.feedback.judge, JudgeConfig)
    extra = {f.name for f in fields(JudgeConfig)} - {f.name for f in fields(BackendConfig)}
    assert extra == {"constrained", "score_method", "calibration", "logprobs_k", "verdict"}
    assert all(f.metadata.get("help") for f in fields(JudgeConfig))
    assert json.loads(json.dumps(judge_schema(True)))  # the schema is plain JSON


# -------------------------------------------------------------------------------------------- verdict

def _verdict_tokens(p_yes: float, p_no: float, other: float = 0.0) -> list[dict]:
    """A reply "yes" whose first token's alternatives are yes / No / something else with these probabilities."""
    top = {"yes": math.log(p_yes), "No": math.log(p_no)}
    if other:
        top["The"] = math.log(other)
    return [{"token": "yes", "logprob": top["yes"], "top": top}, {"token": ".", "logprob": 0.0, "top": {".": 0.0}}]


def test_verdict_probability_renormalises_over_yes_and_no_in_any_case():
    p, mass = verdict_probability(_verdict_tokens(0.6, 0.2, other=0.2))
    assert p == pytest.approx(0.75) and mass == pytest.approx(0.8)
    # " Yes" with a leading space is still yes; a reply without either word gives None, not 0
    assert verdict_probability([{"token": " Yes", "logprob": math.log(0.9), "top": {" Yes": math.log(0.9)}}])[0] == 1.0
    assert verdict_probability([{"token": "The", "logprob": 0.0, "top": {"The": 0.0}}]) == (None, 0.0)
    assert verdict_probability(None) == (None, 0.0)


class VerdictJudge(LogprobJudge):
    """Answers the rubric requests with JSON_REPLY and the yes/no requests with scripted P(yes)."""

    def __init__(self, rubric_replies, verdicts):
        super().__init__(rubric_replies)
        self.verdicts = list(verdicts)

    def chat(self, messages_list, decoding, seed, n=1, details=False, **options):
        if "Answer with one word: yes or no" not in messages_list[0][-1]["content"]:
            return super().chat(messages_list, decoding, seed, n, details, **options)
        self.calls.append({"messages": messages_list, "seed": seed, "decoding": decoding, "options": options})
        rows = []
        for _ in messages_list:
            v = self.verdicts.pop(0)
            rows.append([{"text": "yes", "logprobs": _verdict_tokens(*v) if v else
                          [{"token": "Maybe", "logprob": 0.0, "top": {"Maybe": 0.0}}]}])
        return rows


def test_verdict_score_replaces_the_rubric_score_and_keeps_both_views():
    judge = VerdictJudge([(JSON_REPLY, None)] * 3, [(0.9, 0.1), (0.2, 0.6), None])
    attempts = ATTEMPTS + [{"task_id": "T/0", "sample_index": 1, "code": "def f(x): return 0"}]
    out = judge_attempts(PROBLEMS, attempts, judge, DecodingConfig(temperature=0.0, max_new_tokens=160), seed=3,
                         judge_cfg=JudgeConfig(verdict="score", logprobs_k=5))
    rubric_call, verdict_call = judge.calls
    assert verdict_call["decoding"].temperature == 0.0 and verdict_call["decoding"].max_new_tokens == 2
    assert "." in verdict_call["decoding"].stop  # "Yes." ends as 'stop', not as cut at the token limit
    assert verdict_call["options"] == {"logprobs": 5} and verdict_call["seed"] != rubric_call["seed"]
    shown = verdict_call["messages"][1][1]["content"]
    assert "### Task\ndef g(x):" in shown and "```python\ndef g(x): return 2\n```" in shown  # task and code
    assert out[0]["score"] == pytest.approx(6 * 0.9) and out[0]["score_from"] == "verdict"
    assert out[0]["rubric_score"] == 4.0 and out[0]["p_correct"] == pytest.approx(0.9)
    assert out[1]["score"] == pytest.approx(6 * 0.25) and out[1]["verdict_mass"] == pytest.approx(0.8)
    # no yes/no among the alternatives: the rubric's score stays, and the record says why
    assert out[2]["score"] == 4.0 and out[2]["score_from"] == "rubric" and out[2]["p_correct"] is None
    assert "verdict" in out[2]["problem"]
    assert Judgement.from_dict(out[0]).to_dict() == out[0]


def test_a_verdict_with_little_yes_no_mass_is_warned_and_its_median_reported(caplog):
    judge = VerdictJudge([(JSON_REPLY, None)] * 3, [(0.2, 0.1), (0.1, 0.2), (0.05, 0.05)])
    attempts = [{"task_id": "T/0", "sample_index": k, "code": f"def f(x): return {k}"} for k in range(3)]
    with caplog.at_level("WARNING", logger="iterkd_lib.scoring.judging"):
        out = judge_attempts(PROBLEMS, attempts, judge, DecodingConfig(), seed=3,
                             judge_cfg=JudgeConfig(verdict="score"))
    assert "median of 0.30" in caplog.text and "may mean little" in caplog.text
    fb = [{"judge": j, "execution": {"passed": p, "status": "passed" if p else "failed"}}
          for j, p in zip(out, [True, False, False])]
    assert judge_test_agreement(fb)["verdict_mass_median"] == pytest.approx(0.3)
    caplog.clear()
    judge = VerdictJudge([(JSON_REPLY, None)] * 3, [(0.9, 0.1)] * 3)
    with caplog.at_level("WARNING", logger="iterkd_lib.scoring.judging"):
        judge_attempts(PROBLEMS, attempts, judge, DecodingConfig(), seed=3, judge_cfg=JudgeConfig(verdict="score"))
    assert "may mean little" not in caplog.text


def test_verdict_record_keeps_the_rubric_score_and_agreement_reports_each_view():
    judge = VerdictJudge([(JSON_REPLY, None)] * 4, [(0.9, 0.1), (0.8, 0.2), (0.3, 0.7), (0.1, 0.9)])
    attempts = [{"task_id": "T/0", "sample_index": k, "code": f"def f(x): return {k}"} for k in range(4)]
    out = judge_attempts(PROBLEMS, attempts, judge, DecodingConfig(), seed=3, judge_cfg=JudgeConfig(verdict="record"))
    assert [j["score"] for j in out] == [4.0] * 4 and all(j["score_from"] == "rubric" for j in out)
    fb = [{"judge": j, "execution": {"passed": p, "status": "passed" if p else "failed"}}
          for j, p in zip(out, [True, True, False, False])]
    agr = judge_test_agreement(fb)
    assert agr["views"]["verdict"]["auc"] == 1.0 and agr["views"]["rubric"]["auc"] == 0.5
    assert agr["note"] == "the judge gave every attempt the same score"
    assert "views" not in judge_test_agreement([{**r, "judge": {k: v for k, v in r["judge"].items()
                                                                if k != "score_from"}} for r in fb])


def test_verdict_scores_are_labelled_as_such_in_agreement_report_and_figure(tmp_path):
    from iterkd_lib.figures.records import fig_judge_vs_tests
    from iterkd_lib.report import judge_line
    from iterkd_lib.runstore import RunStore

    unreadable = '{"analysis": "cut'  # the rubric reply could not be read; the verdict still scores it
    judge = VerdictJudge([(JSON_REPLY, None), (JSON_REPLY, None), (unreadable, None), (JSON_REPLY, None),
                          (unreadable, None)], [(0.9, 0.1), (0.7, 0.3), (0.4, 0.6), (0.2, 0.8)])
    attempts = [{"task_id": "T/0", "sample_index": k, "code": f"def f(x): return {k}"} for k in range(4)]
    out = judge_attempts(PROBLEMS, attempts, judge, DecodingConfig(), seed=3,
                         judge_cfg=JudgeConfig(verdict="score", constrained="json", score_method="sampled"))
    fb = [{"task_id": "T/0", "sample_index": k, "judge": j, "execution": {"passed": p, "status": "x"}}
          for k, (j, p) in enumerate(zip(out, [True, True, False, False]))]
    agr = judge_test_agreement(fb)
    assert agr["score_methods"] == {"verdict": 4} and agr["n_unparseable"] == 0 and agr["n_rubric_unparseable"] == 1
    assert agr["auc"] == 1.0 and agr["views"]["rubric"]["n"] == 3
    line = judge_line(agr)
    assert "AUC 1.00" in line and "scores: verdict 4" in line and "rubric replies 1" in line
    assert "verdict 1.00" in line
    store = RunStore(tmp_path)
    store.write_records(1, "06_feedback", fb)
    fig = fig_judge_vs_tests(store, 1)
    assert "6 x P(yes)" in fig.layout.title.text and "6 x P(yes)" in fig.layout.yaxis.title.text
