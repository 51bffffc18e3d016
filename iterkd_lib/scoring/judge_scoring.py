"""How the judge's score is obtained beyond parsing: constrained replies, G-Eval expectations, anchors.

- `judge_schema(integer_scores)`: the JSON schema of a constrained judge reply (an "analysis" string first,
  so the judge reasons before it scores, then one number per rubric rule; no total: the sum is ours). With
  `integer_scores` (used with G-Eval) each rule is an integer 0..max, one digit token, whose probability-
  weighted expectation restores the half points; otherwise the half-point values are allowed.
- `geval_rules(text, logprobs)`: G-Eval scoring (Liu et al. 2023, "G-Eval: NLG Evaluation using GPT-4 with
  Better Human Alignment", EMNLP, sec. 2.3): a rule's score is sum_d p(d) * d over the score tokens d at the
  position where the judge wrote that rule's value, p renormalised over the valid score tokens 0..max
  among the top-k alternatives the engine returned. A sampled fractional part (".5", text layout only) is
  added to the expectation of the integer digit. Returns None per rule that cannot be located; the caller
  then falls back to the sampled value for the whole score (`score_method` "sampled").
- `verdict_probability(logprobs)`: the verdict (feedback.judge.verdict): P(yes) / (P(yes) + P(no)) over the
  alternatives of the reply's first token ("yes"/"no" in any case, surrounding spaces ignored) -- the judge's
  belief that the code is correct, read from its log-probabilities the way G-Eval reads a score (and the way
  "P(True)" is read in Kadavath et al. 2022, "Language Models (Mostly) Know What They Know", arXiv 2207.05221).
- `pick_anchors(pool)`: calibration by anchors: one passing and one failing answer to the same problem from a
  pool verified by execution (Stage I teacher attempts in a cycle), shown to the judge as graded examples
  ("passes its tests" / "fails its tests"), the shortest such pair so the prompt stays small.

Not covered: the rubric text and the layout asked for (prompts.py), reading a reply (scoring/judge_parser.py).
Entry points: `judge_schema`, `geval_rules`, `verdict_probability`, `pick_anchors` (the settings' allowed values
are in config_schema.JudgeConfig).
"""

from __future__ import annotations

import math
import re

# (key, maximum, JSON key / name shown): the rubric of method.md; judge_parser.RULES is built from this.
RUBRIC: list[tuple[str, float, str]] = [
    ("functionality", 2.0, "Functionality"),
    ("boundary", 1.0, "Boundary checks"),
    ("coverage", 1.0, "Requirement coverage"),
    ("readability", 1.0, "Readability"),
    ("practices", 1.0, "Practices"),
]
ANALYSIS_MAX_CHARS = 300  # ~75 tokens: the whole reply fits the demo's 160-token judge budget
LOGPROBS_K = 10  # top-k alternatives asked per token for G-Eval (llama.cpp and OpenAI allow up to 20)


def judge_schema(integer_scores: bool) -> dict:
    """JSON schema of a constrained judge reply: {"analysis": str, <rule key>: number, ...}, all required.

    integer_scores: each rule an integer in 0..max (G-Eval reads one digit token); else multiples of 0.5 in
    0..max (enumerated, so a grammar-constrained engine cannot write 1.7 or 3).
    """
    props: dict = {"analysis": {"type": "string", "maxLength": ANALYSIS_MAX_CHARS}}
    for key, mx, _ in RUBRIC:
        steps = range(int(mx) + 1) if integer_scores else [i / 2 for i in range(int(mx * 2) + 1)]
        props[key] = {"type": "integer", "enum": list(steps)} if integer_scores else {"enum": list(steps)}
    return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}


def _value_offsets(text: str) -> dict[str, int]:
    """Character offset in `text` where each rule's value starts (JSON key or a 'Name:' line), last wins."""
    out = {}
    for key, _, name in RUBRIC:
        pats = [rf'"{key}"\s*:\s*"?', rf"(?im)^[\W_]*{re.escape(name)}[\W_]*?(?:\([^)]*\))?[\W_]*:\s*"]
        for pat in pats:
            for m in re.finditer(pat, text):
                out[key] = m.end()
    return out


def _digit(token: str) -> int | None:
    t = (token or "").strip()
    return int(t) if t.isdigit() and len(t) == 1 else None


def geval_rules(text: str, logprobs: list[dict] | None) -> tuple[dict[str, float | None], dict]:
    """G-Eval expectation per rule from the reply's token log-probabilities.

    text: the reply; logprobs: [{token, logprob, top: {token: logprob}}] per generated token (the backends'
    details=True format), whose tokens concatenate to `text` or to a text holding it (a fenced reply whose
    content the server returned). Returns ({rule: expectation or None},
    {rule: probability mass of the valid score tokens among the top-k}); a rule is None when its value's
    token cannot be found or no valid score token is among the alternatives.
    """
    rules: dict[str, float | None] = {k: None for k, _, _ in RUBRIC}
    mass: dict[str, float] = {}
    if not logprobs:
        return rules, mass
    starts, pos = [], 0
    for t in logprobs:
        starts.append(pos)
        pos += len(t.get("token") or "")
    joined = "".join(t.get("token") or "" for t in logprobs)
    # the tokens spell the reply, or contain it: llama.cpp's chat endpoint returns the JSON content of a
    # constrained reply without the ```json fence the model generated around it
    if not text.strip() or text.strip() not in joined:
        return rules, mass  # tokens do not spell the reply (a cut or cached text): no positions to trust
    offsets = _value_offsets(joined)
    maxima = {k: m for k, m, _ in RUBRIC}
    for key, off in offsets.items():
        # the token that holds the value's first character (a token may carry leading spaces/quotes)
        idx = next((i for i in range(len(logprobs)) if starts[i] <= off < starts[i] + len(logprobs[i]["token"] or "")),
                   None)
        if idx is None or _digit(joined[off:off + 1]) is None:
            continue
        tok = logprobs[idx]
        top = dict(tok.get("top") or {})
        top.setdefault(tok["token"], tok.get("logprob"))
        probs: dict[int, float] = {}
        for alt, lp in top.items():
            d = _digit(alt)
            if d is not None and d <= maxima[key] and lp is not None and lp > -1e9:
                probs[d] = probs.get(d, 0.0) + math.exp(lp)
        total = sum(probs.values())
        if total <= 0:
            continue
        value = sum(d * p for d, p in probs.items()) / total
        frac = re.match(r"\d(\.5)\b", joined[off:off + 3])
        if frac:
            value = min(value + 0.5, maxima[key])
        rules[key], mass[key] = value, total
    return rules, mass


def verdict_probability(logprobs: list[dict] | None) -> tuple[float | None, float]:
    """(P(yes | yes or no), probability mass of yes + no among the first token's top-k alternatives).

    logprobs: [{token, logprob, top: {token: logprob}}] per generated token (the backends' details=True
    format); only the first token is read. (None, 0.0) when there are no log-probabilities or neither word is
    among the alternatives (the caller then keeps the rubric score and says so).
    """
    if not logprobs:
        return None, 0.0
    first = logprobs[0]
    top = dict(first.get("top") or {})
    top.setdefault(first.get("token") or "", first.get("logprob"))
    p = {"yes": 0.0, "no": 0.0}
    for tok, lp in top.items():
        word = (tok or "").strip().lower()
        if word in p and lp is not None and lp > -1e9:
            p[word] += math.exp(lp)
    mass = p["yes"] + p["no"]
    return (p["yes"] / mass if mass > 0 else None), mass


def pick_anchors(pool: list[dict], exclude_task: str | None = None, max_chars: int = 900) -> dict | None:
    """One passing and one failing answer to the same problem, from records verified by execution.

    pool: records with task_id, prompt (the problem text), code and passed (bool: the answer's test verdict).
    The pair with the fewest characters (ties: first task in pool order) whose answers are each at most
    `max_chars` long, skipping `exclude_task` (never show the judge an answer to the task it judges).
    Returns {task_id, prompt, passing, failing} or None when no problem has both.
    """
    by_task: dict[str, dict] = {}
    for r in pool:
        code = (r.get("code") or "").strip()
        if not code or len(code) > max_chars or r.get("task_id") == exclude_task:
            continue
        slot = by_task.setdefault(r["task_id"], {"prompt": r.get("prompt", ""), "passing": None, "failing": None})
        which = "passing" if r.get("passed") else "failing"
        if slot[which] is None or len(code) < len(slot[which]):
            slot[which] = code
    best = None
    for tid, s in by_task.items():
        if s["passing"] and s["failing"]:
            size = len(s["prompt"]) + len(s["passing"]) + len(s["failing"])
            if best is None or size < best[0]:
                best = (size, {"task_id": tid, **s})
    return best[1] if best else None
