"""Running the judge over attempts: the requests, one retry of an unparseable reply, the typed judgement.

`judge_attempts` asks a judge backend to score each attempt with the 0-6 rubric (`prompts.judge_messages`),
reads each reply with `scoring.judge_parser.parse_judgement` and returns one `verdicts.Judgement` dict per
attempt. An unparseable judgement is retried once (new seed, plus a short format reminder so even greedy
decoding answers differently) and then recorded as unparseable (score None, never 0). Where the backend
allows it the reply is constrained to JSON (parseable by construction) and the score is the G-Eval
expectation over the score tokens (scoring/judge_scoring.py); `score_method` says which score was used,
`sampled_score` keeps the written one, `constrained` and `calibration` what the judge was asked with
(issue 16). With feedback.judge.verdict on, each attempt also gets one yes/no question ("is the code
correct?", greedy, at most VERDICT_MAX_TOKENS new tokens, ended by VERDICT_STOP, log-probabilities asked) whose
P(yes) is stored as `p_correct`; under 'score' the judgement's score is 6 x P(yes) (`score_from` "verdict", the rubric's score in
`rubric_score`), falling back to the rubric's score where no yes/no probability can be read.
`resolve_judge_mode` says which of these a backend supports.

Not covered: reading a reply (scoring/judge_parser.py), the rubric text (prompts.py), combining the judge
with the other views of feedback (stages/feedback.py).
Entry points: `judge_attempts(problems_by_id, attempts, judge_backend, decoding, seed, judge_cfg,
anchor_pool)`, `resolve_judge_mode(judge_backend, judge_cfg)`.
"""

from __future__ import annotations

import logging
from statistics import median
from typing import Any

from iterkd_lib.config import DecodingConfig, config_to_dict
from iterkd_lib.models.backends import chat_once, describe
from iterkd_lib.prompts import JUDGE_REMINDER, JUDGE_REMINDER_JSON, judge_messages, judge_verdict_messages
from iterkd_lib.scoring.judge_parser import parse_judgement
from iterkd_lib.scoring.judge_scoring import LOGPROBS_K, geval_rules, judge_schema, pick_anchors, verdict_probability
from iterkd_lib.seeding import derive_seed
from iterkd_lib.verdicts import Judgement

log = logging.getLogger(__name__)
# Below this median yes+no mass of the verdict's first token, P(yes) rests on tokens the judge hardly meant to
# write (a small model answering in another form): warned, and recorded per judgement as verdict_mass.
VERDICT_MASS_LOW = 0.5

VERDICT_MAX_TOKENS = 2  # "yes" / "no" is one token for the Qwen tokenizer; the second shows what followed
# A one-word answer usually goes on with "." or ","; stopping there makes it end as 'stop', so the share of
# replies cut at the token limit (backends' cut_at_length) counts only replies that had more to say.
VERDICT_STOP = [".", ",", "\n", "!"]
RUBRIC_MAX = 6.0  # the rubric's top score (method.md): a verdict score is RUBRIC_MAX x P(yes)


def resolve_judge_mode(judge_backend: Any, judge_cfg: Any | None) -> dict:
    """What the judge will do on this backend: {constrained: bool, score_method: "geval"|"sampled", calibration,
    verdict: "none"|"record"|"score"}.

    'auto' settings resolve by the backend's `supported_options` (json_schema -> constrained, logprobs ->
    G-Eval); an explicit 'json' or 'geval', or a verdict, that the backend cannot honour raises ValueError
    naming both.
    """
    supported = set(getattr(judge_backend, "supported_options", ()) or ())
    kind = getattr(judge_backend, "kind", type(judge_backend).__name__)
    c = getattr(judge_cfg, "constrained", "none") if judge_cfg is not None else "none"
    m = getattr(judge_cfg, "score_method", "sampled") if judge_cfg is not None else "sampled"
    if c == "json" and "json_schema" not in supported:
        raise ValueError(f"feedback.judge.constrained='json' but backend '{kind}' takes no JSON schema "
                         "(use llamacpp, or openai on a server with guided decoding; or 'auto'/'none')")
    if m == "geval" and "logprobs" not in supported:
        raise ValueError(f"feedback.judge.score_method='geval' but backend '{kind}' returns no log-probabilities "
                         "(use llamacpp or openai; or 'auto'/'sampled')")
    verdict = getattr(judge_cfg, "verdict", "none") if judge_cfg is not None else "none"
    if verdict != "none" and "logprobs" not in supported:
        raise ValueError(f"feedback.judge.verdict={verdict!r} reads P(yes) from log-probabilities, but backend "
                         f"'{kind}' returns none (use llamacpp or openai; or verdict 'none')")
    return {"constrained": c == "json" or (c == "auto" and "json_schema" in supported),
            "score_method": "geval" if m == "geval" or (m == "auto" and "logprobs" in supported) else "sampled",
            "calibration": getattr(judge_cfg, "calibration", "none") if judge_cfg is not None else "none",
            "verdict": verdict}


def _ask(judge_backend: Any, msgs: list, decoding: Any, seed: int, options: dict) -> list[dict]:
    """One answer per conversation as {text, logprobs}; plain `chat_once` when no option is asked."""
    if not options:
        return [{"text": t, "logprobs": None} for t in chat_once(judge_backend, msgs, decoding, seed)]
    if not msgs:
        return []
    return [row[0] for row in judge_backend.chat(msgs, decoding, seed, n=1, details=True, **options)]


def _scored(ans: dict, mode: dict) -> dict:
    """parse_judgement of one answer, then the G-Eval expectation when asked for and locatable."""
    parsed = parse_judgement(ans["text"])
    out = {**parsed, "sampled_score": parsed["score"], "score_method": "sampled", "geval_rules": None}
    if mode["score_method"] == "geval" and parsed["parse_ok"]:
        rules, mass = geval_rules(ans["text"], ans.get("logprobs"))
        if all(v is not None for v in rules.values()):
            out.update(score=sum(rules.values()), score_method="geval",
                       geval_rules={k: round(v, 4) for k, v in rules.items()},
                       geval_mass=min(mass.values()) if mass else None)
        else:
            missing = [k for k, v in rules.items() if v is None]
            note = f"G-Eval: no score-token probabilities for {', '.join(missing)}: used the sampled score"
            out["problem"] = "; ".join(x for x in (out["problem"], note) if x)
    return out


def judge_attempts(problems_by_id: dict, attempts: list[dict], judge_backend: Any, decoding: Any,
                   seed: int, judge_cfg: Any | None = None, anchor_pool: list[dict] | None = None) -> list[dict]:
    """Judge each attempt (records with task_id, sample_index, code); one judge dict per attempt, in order.

    Each dict is `verdicts.Judgement.to_dict()`. judge_cfg: a `config.JudgeConfig` (None = the free text layout,
    sampled score, no anchors, as before issue 16); see `resolve_judge_mode`. Constrained: the reply is asked
    as JSON under `judge_schema` (the backend's json_schema option). G-Eval: log-probabilities are asked
    (judge_cfg.logprobs_k) and the score is the sum of the per-rule expectations (`geval_rules`), else the
    sampled one. anchor_pool: records {task_id, prompt, code, passed} verified by execution; with calibration
    'anchors' each attempt is shown the `pick_anchors` pair of another task (none found: no anchors, and the
    record's calibration says 'none'). An unparseable reply is retried once with a new seed and the format
    reminder; still unparseable, it is recorded with score None. Verdict: see the module docstring (it does
    not change the rubric's requests, so their cached answers stay valid).
    """
    mode = resolve_judge_mode(judge_backend, judge_cfg)
    options: dict = {}
    if mode["constrained"]:
        options["json_schema"] = judge_schema(integer_scores=mode["score_method"] == "geval")
    if mode["score_method"] == "geval":
        options["logprobs"] = int(getattr(judge_cfg, "logprobs_k", LOGPROBS_K))
    layout = "json" if mode["constrained"] else "text"
    picked: dict[str, dict | None] = {}
    msgs, used_cal = [], []
    for a in attempts:
        anchors = None
        if mode["calibration"] == "anchors" and anchor_pool:
            if a["task_id"] not in picked:
                picked[a["task_id"]] = pick_anchors(anchor_pool, exclude_task=a["task_id"])
            anchors = picked[a["task_id"]]
        used_cal.append("anchors" if anchors else "none")
        msgs.append(judge_messages(problems_by_id[a["task_id"]], a.get("code") or a.get("completion") or "",
                                   layout=layout, integer_scores=mode["score_method"] == "geval", anchors=anchors))
    first_seed = derive_seed(seed, "judge")
    results = []
    for ans in _ask(judge_backend, msgs, decoding, first_seed, options):
        results.append({**_scored(ans, mode), "raw": ans["text"], "tries": 1, "seed": first_seed})
    bad = [i for i, r in enumerate(results) if not r["parse_ok"]]
    if bad:
        retry_seed = derive_seed(seed, "judge", "retry")
        reminder = JUDGE_REMINDER_JSON if mode["constrained"] else JUDGE_REMINDER
        retry_msgs = [msgs[i] + [{"role": "assistant", "content": results[i]["raw"]},
                                 {"role": "user", "content": reminder}] for i in bad]
        for i, ans in zip(bad, _ask(judge_backend, retry_msgs, decoding, retry_seed, options)):
            first_raw = results[i]["raw"]
            results[i] = {**_scored(ans, mode), "raw": ans["text"], "first_raw": first_raw, "tries": 2,
                          "seed": retry_seed}
    if mode["verdict"] != "none":
        _add_verdicts(results, attempts, problems_by_id, judge_backend, seed, mode["verdict"],
                      int(getattr(judge_cfg, "logprobs_k", LOGPROBS_K)))
    info = {"judge": describe(judge_backend), "decoding": config_to_dict(decoding),
            "constrained": "json" if mode["constrained"] else "none"}
    return [Judgement(**r, **info, calibration=cal).to_dict() for r, cal in zip(results, used_cal)]


def _add_verdicts(results: list[dict], attempts: list[dict], problems_by_id: dict, judge_backend: Any, seed: int,
                  verdict: str, logprobs_k: int) -> None:
    """Ask the yes/no question for every attempt and fold P(yes) into `results` (in place; see the module)."""
    msgs = [judge_verdict_messages(problems_by_id[a["task_id"]], a.get("code") or a.get("completion") or "")
            for a in attempts]
    decoding = DecodingConfig(temperature=0.0, max_new_tokens=VERDICT_MAX_TOKENS, stop=list(VERDICT_STOP))
    answers = _ask(judge_backend, msgs, decoding, derive_seed(seed, "judge", "verdict"), {"logprobs": logprobs_k})
    for r, ans in zip(results, answers):
        p, mass = verdict_probability(ans.get("logprobs"))
        # unrounded: many P(yes) lie within 1e-4 of 1, and rounding them would turn their ranking into ties
        r.update(p_correct=p, verdict_mass=mass, verdict_raw=ans["text"],
                 rubric_score=r["score"], score_from="rubric")
        if verdict == "score" and p is not None:
            r.update(score=RUBRIC_MAX * p, parse_ok=True, score_from="verdict")
        elif verdict == "score":
            note = "verdict: no yes/no probability in the reply's first token: used the rubric score"
            r["problem"] = "; ".join(x for x in (r.get("problem"), note) if x)
    masses = [r["verdict_mass"] for r in results]
    if masses and median(masses) < VERDICT_MASS_LOW:
        log.warning("judge %s: the yes/no verdict holds a median of %.2f of its first token's probability (< %.1f): "
                    "P(yes) is read from unlikely tokens and may mean little; feedback.judge.verdict 'record' or "
                    "'none' keeps the rubric", describe(judge_backend).get("model"), median(masses),
                    VERDICT_MASS_LOW)
