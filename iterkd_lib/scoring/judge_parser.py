"""The model-based view: a judge model scores a code attempt with the 0-6 rubric of the method.

Rubric (method.md): functionality / no obvious bugs 2 points, boundary checks 1, requirement coverage 1,
readability and documentation 1, coding practices / efficiency / error handling 1; half points allowed.
The prompt (`prompts.judge_messages`) is ours. The judge is asked for "Code Analysis: ..." followed by one line
per rule and a total line; `parse_judgement` reads that and the many ways real instruct models deviate from it.

Parse policy (decided here, tested in tests/test_judge.py):
- Markdown is ignored: bold/italics/backticks/headings, list numbering, "Rule 1 (2 pts):" prefixes, tables
  (a header cell named "score"/"awarded" picks the column), a rule heading whose score is on the next lines.
- A rule counts only when its line STARTS with the rule's name, so prose mentioning "boundary checks" is not
  read as a score; when a rule is given twice (the rubric echoed, then scored) the last one wins.
- "1.5/2", "1.5 out of 2", "1.5 points", "Score: 1.5" all read as 1.5. A denominator that is not the rule's
  maximum (e.g. "4/5") means the judge used another scale: the rule is not trusted.
- Out of range (a rule above its maximum, a total above 6): REJECTED, not clipped -- a judge off the scale has
  not applied the rubric and clipping would invent a number. Rejected values are listed in `problem`.
- Score: the sum of the five rules when all five are read (a stated total that disagrees is recorded in
  `problem`; the rules win, since they are what the judge justified). With rules missing, a valid stated
  total ("Score: 4/6") is used. With neither, parse_ok is False and score is None -- never 0.
- `judge_attempts` retries an unparseable judgement once (new seed, plus a short format reminder so even
  greedy decoding answers differently) and then records it as unparseable.

Not covered: training a separate "analyst" judge (the paper's); the judge sees the question and the code,
never the tests (the point of the view is to work where no tests exist).

Entry points: `RULES`, `parse_judgement(text)`,
`judge_attempts(problems_by_id, attempts, judge_backend, decoding, seed)`.
"""

from __future__ import annotations

import re
from typing import Any

from iterkd_lib.config import config_to_dict
from iterkd_lib.models.backends import chat_once, describe
from iterkd_lib.prompts import JUDGE_REMINDER, judge_messages
from iterkd_lib.records import Judgement
from iterkd_lib.seeding import derive_seed

# (key, maximum, name shown to the judge)
RULES: list[tuple[str, float, str]] = [
    ("functionality", 2.0, "Functionality"),
    ("boundary", 1.0, "Boundary checks"),
    ("coverage", 1.0, "Requirement coverage"),
    ("readability", 1.0, "Readability"),
    ("practices", 1.0, "Practices"),
]
MAX_SCORE = sum(m for _, m, _ in RULES)
_RULE_MAX = {k: m for k, m, _ in RULES}

# ------------------------------------------------------------------------------------------- parsing

_NUM = r"(\d+(?:\.\d+)?|\.\d+)"
_RULE_STEMS = [  # order matters: first matching stem names the rule
    (r"(basic\s+)?functional|correctness|no\s+obvious\s+bugs?|bugs?\b", "functionality"),
    (r"boundar|edge[\s-]*cases?", "boundary"),
    (r"requirements?|coverage|completeness", "coverage"),
    (r"(code\s+)?readab|documentation|docs?\b", "readability"),
    (r"(coding|best|good|code)?\s*practices?|efficien|error\s+handling", "practices"),
]
_TOTAL_STEM = r"(total|overall|final)(\s+score)?|score|grade"
_ENUM = re.compile(r"^\s*(?:[-*+>•]|\d+[.)](?=\s)|\(?[a-e]\)|(?:rule|criterion|criteria)\s*\d*\s*[.:)\-]?)\s*",
                   re.IGNORECASE)
_SEP = re.compile(r"\s*(?::|=|\s[-–—]\s|\|)\s*")


def _clean(line: str) -> str:
    line = re.sub(r"[*_`#]+", "", line)
    line = line.replace("\\", "")
    for _ in range(2):  # "1. Rule 1:" has two enumerators
        line = _ENUM.sub("", line, count=1)
    return line.strip()


def _label_rule(label: str) -> str | None:
    label = re.sub(r"\(.*?\)", "", label).strip().lower()  # "(2 points)" / "(max 2)" is the rubric, not a score
    if not label or len(label) > 60:
        return None
    if re.match(rf"^(?:{_TOTAL_STEM})\b", label):
        return "total"
    for stem, key in _RULE_STEMS:
        if re.match(rf"^(?:{stem})", label):
            return key
    return None


def _read_value(text: str) -> tuple[float, float | None] | None:
    """(value, denominator or None) from the start of a value text, or from an explicit 'score' in it."""
    text = re.sub(r"^[\s*_`(\[]+", "", text.lower())
    for pat in (rf"^(?:score\s*[:=]?\s*)?{_NUM}\s*(?:/\s*{_NUM}|out\s+of\s+{_NUM})?",
                rf"score\s*[:=]?\s*{_NUM}\s*(?:/\s*{_NUM}|out\s+of\s+{_NUM})?",
                rf"{_NUM}\s*(?:/\s*{_NUM}|out\s+of\s+{_NUM})"):
        m = re.search(pat, text)
        if m:
            den = m.group(2) or m.group(3)
            return float(m.group(1)), (float(den) if den else None)
    return None


def _split(line: str) -> tuple[str, str]:
    m = _SEP.search(line)
    if m:
        return line[: m.start()], line[m.end():]
    m = re.match(r"^(.*?[a-z)])\s+(?=[\d.]+)", line, re.IGNORECASE)  # "Functionality 1.5/2"
    return (m.group(1), line[m.end():]) if m else (line, "")


def _table_score_column(cells: list[str]) -> int | None:
    low = [c.lower() for c in cells]
    for i, c in enumerate(low):
        if re.search(r"score|awarded|given|points", c) and "max" not in c and "possible" not in c:
            return i
    return None


def _scan(text: str) -> tuple[dict, dict, list[str], int | None]:
    """Walk the lines: returns (rule values with denominators, total, problems, index of first score line)."""
    found: dict[str, tuple[float, float | None]] = {}
    total: dict = {}
    problems: list[str] = []
    first_score_line = None
    pending, pending_left = None, 0
    score_col = None
    for i, raw in enumerate(text.splitlines()):
        if raw.strip().startswith("|"):
            cells = [_clean(c) for c in raw.strip().strip("|").split("|")]
            if all(re.fullmatch(r"[-: ]*", c) for c in cells):
                continue
            rule = _label_rule(cells[0]) if cells else None
            if rule is None:
                score_col = _table_score_column(cells) if score_col is None else score_col
                continue
            if score_col is not None and score_col < len(cells):
                value = _read_value(cells[score_col])
            else:
                value = next((v for v in map(_read_value, cells[1:]) if v), None)
            key, got = rule, value
        else:
            line = _clean(raw)
            if not line:
                continue
            label, rest = _split(line)
            key = _label_rule(label)
            if key == "total" and pending and label.strip().lower() == "score":
                key = pending  # "Score: 1.5/2" under a rule heading scores that rule
            got = _read_value(rest) if key else None
            if key is None and pending:
                got = _read_value(line) if re.match(rf"^(?:score\b|{_NUM})", line.lower()) else None
                if got:
                    key = pending
                else:
                    pending_left -= 1
                    pending = pending if pending_left > 0 else None
                    continue
            if key and got is None:
                if key != "total":
                    pending, pending_left = key, 3
                continue
        if key is None or got is None:
            continue
        first_score_line = i if first_score_line is None else first_score_line
        pending = None
        if key == "total":
            total = {"value": got[0], "den": got[1]}
        else:
            found[key] = got
    if not total:  # "... Score: 4/6" at the end of a sentence; only with an explicit denominator
        pat = rf"score\W{{0,12}}{_NUM}\s*(?:/\s*{_NUM}|out\s+of\s+{_NUM})"
        for m in re.finditer(pat, text, re.IGNORECASE):
            if float(m.group(2) or m.group(3)) == MAX_SCORE:
                total = {"value": float(m.group(1)), "den": MAX_SCORE}
    return found, total, problems, first_score_line


def _analysis(text: str, first_score_line: int | None) -> str:
    m = re.search(r"code\s+analysis\s*[*_]*\s*[:\-]?\s*[*_]*", text, re.IGNORECASE)
    lines = text.splitlines()
    if m:
        start = text[: m.start()].count("\n")
        body = [text[m.end():].split("\n", 1)[0]] + lines[start + 1:]
        stop = None
        for j, ln in enumerate(body[1:], start=1):
            label, rest = _split(_clean(ln))
            if _label_rule(label) and _read_value(rest):
                stop = j
                break
        body = body[:stop] if stop else body
    else:
        body = lines[:first_score_line] if first_score_line else lines
    return "\n".join(b.rstrip() for b in body).strip()


def parse_judgement(text: str) -> dict:
    """Read a judge's reply. Returns {score, rules, analysis, parse_ok, problem} (see the module policy)."""
    text = text or ""
    found, total, problems, first = _scan(text)
    rules: dict[str, float | None] = {k: None for k, _, _ in RULES}
    for key, (value, den) in found.items():
        mx = _RULE_MAX[key]
        if den is not None and abs(den - mx) > 1e-9:
            problems.append(f"{key}: other scale {value:g}/{den:g}")
        elif value > mx + 1e-9:
            problems.append(f"{key}: out of range {value:g} > {mx:g}")
        else:
            rules[key] = value
    stated = None
    if total:
        v, den = total["value"], total["den"]
        if den is not None and abs(den - MAX_SCORE) > 1e-9:
            problems.append(f"total: other scale {v:g}/{den:g}")
        elif v > MAX_SCORE + 1e-9:
            problems.append(f"total: out of range {v:g} > {MAX_SCORE:g}")
        else:
            stated = v
    missing = [k for k, v in rules.items() if v is None]
    score = None
    if not missing:
        score = sum(rules.values())
        if stated is None:
            problems.append("total missing: used the sum of the rules")
        elif abs(stated - score) > 1e-9:
            problems.append(f"total {stated:g} disagrees with the rules' sum {score:g}: used the sum")
    elif stated is not None:
        score = stated
        problems.append(f"rules missing ({', '.join(missing)}): used the stated total")
    else:
        problems.append("no usable scores" if len(missing) == len(RULES) else
                        f"rules missing ({', '.join(missing)}) and no usable total")
    return {"score": score, "rules": rules, "analysis": _analysis(text, first),
            "parse_ok": score is not None, "problem": "; ".join(problems) or None}


# ------------------------------------------------------------------------------------------- judging

def judge_attempts(problems_by_id: dict, attempts: list[dict], judge_backend: Any, decoding: Any,
                   seed: int) -> list[dict]:
    """Judge each attempt (records with task_id, sample_index, code); one judge dict per attempt, in order.

    Each dict is `records.Judgement.to_dict()`. An unparseable reply is retried once with a new seed and the
    format reminder; still unparseable, it is recorded with score None.
    """
    msgs = [judge_messages(problems_by_id[a["task_id"]], a.get("code") or a.get("completion") or "")
            for a in attempts]
    first_seed = derive_seed(seed, "judge")
    replies = chat_once(judge_backend, msgs, decoding, first_seed)
    results = []
    for reply in replies:
        parsed = parse_judgement(reply)
        results.append({**parsed, "raw": reply, "tries": 1, "seed": first_seed})
    bad = [i for i, r in enumerate(results) if not r["parse_ok"]]
    if bad:
        retry_seed = derive_seed(seed, "judge", "retry")
        retry_msgs = [msgs[i] + [{"role": "assistant", "content": results[i]["raw"]},
                                 {"role": "user", "content": JUDGE_REMINDER}] for i in bad]
        for i, reply in zip(bad, chat_once(judge_backend, retry_msgs, decoding, retry_seed)):
            parsed = parse_judgement(reply)
            first_raw = results[i]["raw"]
            results[i] = {**parsed, "raw": reply, "first_raw": first_raw, "tries": 2, "seed": retry_seed}
    info = {"judge": describe(judge_backend), "decoding": config_to_dict(decoding)}
    return [Judgement(**r, **info).to_dict() for r in results]
