"""What `iterkd run` prints: one readable line per finished stage and a small table per finished cycle.

The full stage summaries stay in the run directory (`cycle_<k>/NN_<stage>.done`, `metrics.jsonl`) and in
the run's log file (`RUN_DIR/iterkd.log`, see `attach_run_log`); the console gets the few numbers a
person watches: counts, pass rates, losses, seconds.

Not covered: the end-of-run table of all cycles (`iterkd report`, `commands/run.report_table`); progress
bars (the stages draw their own with tqdm).

Entry points: `stage_line(cycle, stage, summary)`, `cycle_table(summary)`, `attach_run_log(run_dir)`.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

_NAMES = {"01_pool": "pool", "02_teacher_attempts": "teacher attempts", "03_training_set": "training set",
          "04_adapter": "adapter (SFT + contrastive)", "05_student_attempts": "student attempts",
          "06_feedback": "feedback (tests, run, pylint, judge)", "07_levels": "difficulty levels",
          "08_new_questions": "new questions", "09_evaluation": "evaluation"}


def _num(v, spec: str = ".3f") -> str:
    return format(v, spec) if isinstance(v, (int, float)) and not isinstance(v, bool) else "-"


def _ci(ci) -> str:
    """' [low, high]' for a 95% CI given as a pair (stages/evaluation.py), else ''."""
    ok = isinstance(ci, (list, tuple)) and len(ci) == 2 and all(isinstance(x, (int, float)) for x in ci)
    return f" [{ci[0]:.2f}, {ci[1]:.2f}]" if ok else ""


def _details(stage: str, s: dict) -> str:
    """The few numbers of a stage summary worth a glance (see cycle.py for what each stage records)."""
    if stage == "01_pool":
        # from_previous is the size of the last pool; `retained` (runs since 2026-11-30) how many of it stay
        if "retained" in s:
            refilled = f", {s['refilled']} refilled from unused seeds" if s.get("refilled") else ""
            extra = (f" ({s['retained']} of the last cycle's {s['from_previous']} retained, {s['accepted_new']} new"
                     f"{refilled})")
        elif "from_previous" in s:
            extra = f" (last cycle's pool: {s['from_previous']}; {s['accepted_new']} new accepted)"
        else:
            extra = ""
        return f"{s.get('n', '-')} questions{extra}"
    if stage == "02_teacher_attempts":
        c = s.get("counts") or {}
        ok = lambda k: (c.get(k) or {}).get("consistent", 0)
        return (f"{c.get('total', '-')} attempts: {ok('correct')} correct as asked, {ok('faulty')} faulty as asked")
    if stage == "03_training_set":
        return (f"{s.get('n_sft', '-')} SFT examples, {s.get('n_pairs', '-')} preference pairs"
                f" ({s.get('student_failures', 0)} student failures used)")
    if stage == "04_adapter":
        # final_sft_loss is the last logged SFT (NLL) term: the contrastive phase's own SFT term when it ran
        return (f"{s.get('global_steps', '-')} steps, final NLL (SFT term) {_num(s.get('final_sft_loss'))}, "
                f"contrastive loss {_num(s.get('final_contrastive_loss'))}, margin {_num(s.get('final_margin'))}")
    if stage == "05_student_attempts":
        return f"{s.get('n', '-')} answers"
    if stage == "06_feedback":
        f = s.get("summary") or {}
        a = s.get("agreement") or {}
        views = a.get("views") or {}
        by_view = (" (" + ", ".join(f"{k} {_num((views.get(k) or {}).get('auc'), '.2f')}" for k in ("rubric", "verdict"))
                   + ")") if views else ""
        return (f"{f.get('n_attempts', '-')} answers, pass rate {_num(f.get('pass_rate'), '.2f')}, "
                f"judge mean {_num(f.get('judge_mean'), '.2f')}/6, pylint {_num(f.get('pylint_mean'), '.1f')}/10, "
                f"judge-vs-tests AUC {_num(a.get('auc'), '.2f')}{by_view}")
    if stage == "07_levels":
        d = s.get("distribution") or {}
        return " / ".join(f"{k} {d.get(k, 0)}" for k in ("easy", "medium", "hard"))
    if stage == "08_new_questions":
        levels = [st for st in (s.get("stats") or {}).values() if isinstance(st, dict)]
        revised = sum(st.get("accepted_after_revision", 0) for st in levels)
        sent = sum(st.get("revisions", 0) for st in levels)
        solved = sum((st.get("rejected") or {}).get("student_solves", 0) for st in levels)
        checked = sum(st.get("student_checked", 0) for st in levels)
        return (f"{s.get('n_accepted', '-')} accepted" + (f" ({revised} after a revision)" if revised else "")
                + f", {s.get('n_rejected', '-')} rejected" + (f"; {sent} revision requests" if sent else "")
                + (f"; student check: {solved} of {checked} already solved" if checked else ""))
    if stage == "09_evaluation":
        parts = []
        for m in s.get("metrics") or []:
            view = m.get("view") or m.get("benchmark")
            parts.append(f"{m.get('subject')} {view} pass@1 {_num(m.get('pass@1'))}{_ci(m.get('pass@1_ci'))}"
                         f" (n={m.get('n_problems')})")
        return "; ".join(parts) or "no problems"
    return ""


def stage_line(cycle: int, stage: str, summary: dict | None) -> str:
    """One line, e.g. 'cycle 1 | 03 training set            |   0.4 s | 4 SFT examples, 6 preference pairs'.

    Stages that ask the teacher end with its fresh tokens and, when some replies came from the response
    cache (shared by every run with the same `run.response_cache_dir`), how many: '| teacher 1200 tokens +
    3 cached answers' or '| teacher 11 cached answers' (then nothing was generated: times are not
    generation times)."""
    s = summary or {}
    name = f"{stage[:2]} {_NAMES.get(stage, stage[3:])}"
    secs = s.get("seconds")
    toks = s.get("teacher_usage") or {}
    tok = sum(v for k, v in toks.items() if k.endswith("_tokens"))
    hits = toks.get("cache_hits", 0)
    tail = f" | teacher {tok} tokens" if tok else ""
    if hits:  # answers served from the response cache (run.response_cache_dir, shared by runs): say so
        tail += f"{' +' if tok else ' | teacher'} {hits} cached answer{'s' if hits != 1 else ''}"
    return f"cycle {cycle} | {name:<40} | {_num(secs, '7.1f')} s | {_details(stage, s)}{tail}"


# (label, cell) rows of the per-cycle table; `m` is a cycle_summary record (cycle_summary.py)
_ROWS = [
    ("benchmark pass@1 [95% CI]", lambda m: _num(m.get("benchmark_pass@1")) + _ci(m.get("benchmark_pass@1_ci"))),
    ("held-out pass@1 [95% CI]", lambda m: _num(m.get("held_out_pass@1")) + _ci(m.get("held_out_pass@1_ci"))),
    ("teacher pass@1 (ceiling)", lambda m: _num(m.get("teacher_benchmark_pass@1"))),
    ("pool / new questions", lambda m: f"{_num(m.get('pool_size'), 'd')} / {_num(m.get('n_new_questions'), 'd')}"),
    ("SFT examples / pairs", lambda m: f"{_num(m.get('n_sft'), 'd')} / {_num(m.get('n_pairs'), 'd')}"),
    ("final NLL (SFT term) / contrastive loss", lambda m: f"{_num(m.get('final_sft_loss'))} / "
     f"{_num(m.get('final_contrastive_loss'))}"),
    ("levels easy / medium / hard", lambda m: " / ".join(str((m.get("levels") or {}).get(k, "-"))
                                                         for k in ("easy", "medium", "hard"))),
    ("teacher tokens", lambda m: _num(m.get("teacher_tokens"), "d")),
    ("time (s)", lambda m: _num(sum(v for v in (m.get("stage_seconds") or {}).values() if v), ".0f")),
]


def cycle_table(summary: dict) -> str:
    """A boxed two-column table of one cycle's summary; rows without a value in this cycle are left out."""
    rows = [(label, cell(summary)) for label, cell in _ROWS]
    rows = [(k, v) for k, v in rows if v.replace("/", "").replace("-", "").strip()]
    st = summary.get("settings") or {}
    title = (f"cycle {summary.get('cycle')}: student {st.get('student', '?')}, teacher {st.get('teacher', '?')}, "
             f"seed {st.get('seed', '?')}")
    w = max(len(k) for k, _ in rows) if rows else 10
    v = max(len(x) for _, x in rows) if rows else 10
    bar = "+" + "-" * (w + 2) + "+" + "-" * (v + 2) + "+"
    return "\n".join([title, bar, *(f"| {k:<{w}} | {x:>{v}} |" for k, x in rows), bar])


HTTP_LOGGERS = ("httpx", "httpx2", "httpcore", "openai")


def console_logging() -> None:
    """The console of `iterkd run` / `iterkd study`: INFO lines with a time stamp on stderr, and the HTTP client
    loggers (httpx, httpx2 -- the name the OpenAI client's transport logs under here --, httpcore, openai)
    raised to WARNING: at INFO they print one line per request to the llama.cpp/OpenAI server."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S", stream=sys.stderr)
    for name in HTTP_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def attach_run_log(run_dir: str | Path, logger: str = "iterkd") -> Path:
    """Also write the `iterkd` logger, DEBUG level (full stage summaries included), to RUN_DIR/iterkd.log."""
    path = Path(run_dir) / "iterkd.log"
    lg = logging.getLogger(logger)
    if not any(isinstance(h, logging.FileHandler) and Path(h.baseFilename) == path.resolve() for h in lg.handlers):
        h = logging.FileHandler(path, encoding="utf-8")
        h.setLevel(logging.DEBUG)
        h.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        lg.addHandler(h)
    lg.setLevel(logging.DEBUG)
    return path
