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
- "1.5/2", "1.5 out of 2", "1.5 points", "Score: 1.5" all read as 1.5. A fraction over the rule's maximum
  later on the line is the score when the line starts with a count ("2 of the 3 examples pass, so 1/2"
  reads 1, not 2: the first number of a sentence is evidence, the x/y is the score; the last such fraction
  wins) or with no number; a leading number followed by punctuation or a bracket stays the score. A
  denominator that is not the rule's maximum (e.g. "4/5") means the judge used another scale: the rule is
  not trusted.
- JSON replies (bare or in a ```json fence): keys are matched to rules like line labels ("functionality",
  "boundary_checks", "total"); values may be numbers, "1/2" strings or {"score": 1, "max": 2}; nested
  objects and [{"rule": ..., "score": ...}] lists are read; "analysis"/"explanation" is the analysis.
- Out of range (a rule above its maximum, a total above 6): REJECTED, not clipped -- a judge off the scale has
  not applied the rubric and clipping would invent a number. Rejected values are listed in `problem`.
- Score: the sum of the five rules when all five are read (a stated total that disagrees is recorded in
  `problem`; the rules win, since they are what the judge justified). With rules missing, a valid stated
  total ("Score: 4/6") is used. With neither, parse_ok is False and score is None -- never 0. The record
  says which was used: `score_source` "rules" | "total" | None, and `disagreement` (None, or a sentence with
  both numbers and why the sum won); `reply_format` "text" | "json". These keys are additive.

Not covered: asking the judge model, retries and G-Eval scores (scoring/judging.py: `judge_attempts`);
training a separate "analyst" judge (the paper's); the judge sees the question and the code, never the tests
(the point of the view is to work where no tests exist).

Entry points: `RULES`, `MAX_SCORE`, `parse_judgement(text)`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from iterkd_lib.scoring.judge_scoring import RUBRIC

# (key, maximum, name shown to the judge)
RULES: list[tuple[str, float, str]] = list(RUBRIC)
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


def _read_value(text: str, maximum: float | None = None) -> tuple[float, float | None] | None:
    """(value, denominator or None) from a value text.

    The number at the start of the text is the score ("1.5/2 (2 of 3 examples)", "1 (a 2/2 needs ...)"),
    unless a word follows it ("2 of the 3 examples pass, so 1/2"): then it is evidence and the last fraction
    over the rule's `maximum` ("1/2", "1 out of 2") is the score. Text that does not start with a number:
    the last such fraction, else a number after an explicit 'score', else any fraction.
    """
    text = re.sub(r"^[\s*_`(\[]+", "", text.lower())
    # a leading number followed by a word ("2 of the 3", "3 tests") is a count, not the score, when a fraction
    # over the maximum follows; followed by nothing, punctuation or a bracket ("1 (a 2/2 needs ...)") it is
    leading_count = re.match(rf"^{_NUM}\s+(?!out\s+of\b|points?\b|pts?\b)[a-z]", text) is not None
    if maximum is not None and (leading_count or not re.match(_NUM, text)):
        fractions = [m for m in re.finditer(rf"{_NUM}\s*(?:/\s*{_NUM}|out\s+of\s+{_NUM})", text)
                     if abs(float(m.group(2) or m.group(3)) - maximum) < 1e-9]
        if fractions:
            return float(fractions[-1].group(1)), maximum
    for pat in (rf"^(?:score\s*[:=]?\s*)?{_NUM}\s*(?:/\s*{_NUM}|out\s+of\s+{_NUM})?",
                rf"score\s*[:=]?\s*{_NUM}\s*(?:/\s*{_NUM}|out\s+of\s+{_NUM})?",
                rf"{_NUM}\s*(?:/\s*{_NUM}|out\s+of\s+{_NUM})"):
        m = re.search(pat, text)
        if m:
            den = m.group(2) or m.group(3)
            return float(m.group(1)), (float(den) if den else None)
    return None


def _max_of(key: str) -> float:
    return MAX_SCORE if key == "total" else _RULE_MAX[key]


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
                value = _read_value(cells[score_col], _max_of(rule))
            else:
                value = next((v for v in (_read_value(c, _max_of(rule)) for c in cells[1:]) if v), None)
            key, got = rule, value
        else:
            line = _clean(raw)
            if not line:
                continue
            label, rest = _split(line)
            key = _label_rule(label)
            if key == "total" and pending and label.strip().lower() == "score":
                key = pending  # "Score: 1.5/2" under a rule heading scores that rule
            got = _read_value(rest, _max_of(key)) if key else None
            if key is None and pending:
                got = (_read_value(line, _max_of(pending)) if re.match(rf"^(?:score\b|{_NUM})", line.lower())
                       else None)
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


_ANALYSIS_KEYS = ("code analysis", "analysis", "explanation", "reasoning", "comment", "comments", "summary")


def _json_value(v: Any, maximum: float) -> tuple[float, float | None] | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v), None
    if isinstance(v, str):
        return _read_value(v, maximum)
    if isinstance(v, dict):  # {"score": 1.5, "max": 2}
        low = {str(k).lower(): x for k, x in v.items()}
        got = next((_json_value(low[k], maximum) for k in ("score", "points", "value", "awarded", "given")
                    if k in low), None)
        den = next((low[k] for k in ("max", "maximum", "out_of", "out of", "max_score") if k in low), None)
        if got and isinstance(den, (int, float)) and not isinstance(den, bool):
            return got[0], float(den)
        return got
    return None


def _json_walk(obj: Any, found: dict, total: dict, notes: dict) -> None:
    """Collect rule scores, the total and the analysis from a decoded JSON reply (nested objects and
    [{"rule": ..., "score": ...}] lists included)."""
    if isinstance(obj, list):
        for item in obj:
            _json_walk(item, found, total, notes)
        return
    if not isinstance(obj, dict):
        return
    name = next((obj[k] for k in ("rule", "name", "criterion", "category") if isinstance(obj.get(k), str)), None)
    key = _label_rule(name.replace("_", " ")) if name else None
    if key:  # {"rule": "Boundary checks", "score": 1}
        got = _json_value(obj, _max_of(key))
        if got and key == "total":
            total.update(value=got[0], den=got[1])
        elif got:
            found[key] = got
        return
    for k, v in obj.items():
        label = str(k).replace("_", " ").strip()
        if label.lower() in _ANALYSIS_KEYS and isinstance(v, str):
            notes.setdefault("analysis", v.strip())
            continue
        key = _label_rule(label)
        got = _json_value(v, _max_of(key)) if key else None
        if key == "total" and got:
            total.update(value=got[0], den=got[1])
        elif key and got:
            found[key] = got
        elif isinstance(v, (dict, list)):
            _json_walk(v, found, total, notes)


def _json_reply(text: str) -> tuple[dict, dict, str] | None:
    """(rule values, total, analysis) from the JSON object in a reply (fenced or not); None if there is none
    with a score in it. When several objects are present the last one with scores is used."""
    dec = json.JSONDecoder()
    best, pos = None, 0
    while True:
        starts = [i for i in (text.find("{", pos), text.find("[", pos)) if i >= 0]
        if not starts:
            break
        start = min(starts)
        try:
            obj, end = dec.raw_decode(text, start)
        except ValueError:
            pos = start + 1
            continue
        pos = end
        found, total, notes = {}, {}, {}
        _json_walk(obj, found, total, notes)
        if found or total:
            best = (found, total, notes.get("analysis") or text[:start].strip().strip("`").strip())
    return best


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
    """Read a judge's reply. Returns {score, rules, analysis, parse_ok, problem, score_source, disagreement,
    reply_format} (see the module policy)."""
    text = text or ""
    js = _json_reply(text)
    if js is not None:
        found, total, analysis = js
        problems: list[str] = []
    else:
        found, total, problems, first = _scan(text)
        analysis = _analysis(text, first)
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
    score, source, disagreement = None, None, None
    if not missing:
        score, source = sum(rules.values()), "rules"
        if stated is None:
            problems.append("total missing: used the sum of the rules")
        elif abs(stated - score) > 1e-9:
            disagreement = (f"stated total {stated:g} != sum of the rules {score:g}; used the sum, since each "
                            "rule score is what the judge justified and a total is often mis-added")
            problems.append(f"total {stated:g} disagrees with the rules' sum {score:g}: used the sum")
    elif stated is not None:
        score, source = stated, "total"
        problems.append(f"rules missing ({', '.join(missing)}): used the stated total")
    else:
        problems.append("no usable scores" if len(missing) == len(RULES) else
                        f"rules missing ({', '.join(missing)}) and no usable total")
    return {"score": score, "rules": rules, "analysis": analysis,
            "parse_ok": score is not None, "problem": "; ".join(problems) or None,
            "score_source": source, "disagreement": disagreement, "reply_format": "json" if js else "text"}
