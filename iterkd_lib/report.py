"""The per-cycle report of a run: `report_table(run_dir)` (printed by `iterkd run` / `iterkd report`, shown by
notebook 05).

Reads only run.json, metrics.jsonl and best.json; computes nothing anew. Not covered: figures (figures/).
"""

from __future__ import annotations

from pathlib import Path

from iterkd_lib.records import LEVELS
from iterkd_lib.runstore import RunStore, read_json


def _fmt(value, spec: str) -> str:
    return format(value, spec) if isinstance(value, (int, float)) and not isinstance(value, bool) else "-"


def _levels(m: dict) -> str:
    lv = m.get("levels") or {}
    return "/".join(str(lv.get(k, "-")) for k in LEVELS)


# (header, width, cell) -- one row per cycle_summary record in metrics.jsonl
COLUMNS = [
    ("bench p@1", 9, lambda m: _fmt(m.get("benchmark_pass@1"), ".3f")),
    ("held p@1", 8, lambda m: _fmt(m.get("held_out_pass@1"), ".3f")),
    ("pool", 4, lambda m: _fmt(m.get("pool_size"), "d")),
    ("sft", 4, lambda m: _fmt(m.get("n_sft"), "d")),
    ("pairs", 5, lambda m: _fmt(m.get("n_pairs"), "d")),
    ("easy/med/hard", 13, _levels),
    ("sft/ctr loss", 13, lambda m: _fmt(m.get("final_sft_loss"), ".3f") + "/"
     + _fmt(m.get("final_contrastive_loss"), ".3f")),
    ("new q", 5, lambda m: _fmt(m.get("n_new_questions"), "d")),
    ("teacher tok", 11, lambda m: _fmt(m.get("teacher_tokens"), "d")),
    ("time (s)", 8, lambda m: _fmt(sum(v for v in (m.get("stage_seconds") or {}).values() if v), ".0f")),
]


def report_table(run_dir: str | Path) -> str:
    """The per-cycle table of a run as text: a settings header, one row per cycle_summary record in
    metrics.jsonl (pass@1 as fractions, counts, final losses, teacher tokens, seconds), the teacher ceiling
    under cycle 0, and the best cycle marked `*`. Raises FileNotFoundError when run_dir holds no run.json."""
    store = RunStore(run_dir)
    cfg = store.read_run_info()["config"]
    rows = sorted((m for m in store.metrics() if m.get("kind") == "cycle_summary"), key=lambda m: m["cycle"])
    best = read_json(store.root / "best.json") if (store.root / "best.json").exists() else None
    ev = cfg["evaluation"]
    lines = [
        (f"run {store.root}  student={cfg['student']['model']}  teacher={cfg['teacher']['model']}  "
        f"seed={cfg['run']['seed']}"),
        (f"benchmark={ev['benchmark']} subset={ev['subset'] or 'all'} protocol={ev['protocol']} "
        f"samples={ev['samples']} decoding={ev['decoding']} + per-protocol stops; held-out seed problems use protocol=chat"),
    ]
    head = f"{'cycle':>6} " + " ".join(f"{h:>{w}}" for h, w, _ in COLUMNS) + "  seconds per stage"
    lines += [head, "-" * len(head)]
    for m in rows:
        mark = "*" if best and m["cycle"] == best["cycle"] else " "
        stages = " ".join(f"{k.split('_', 1)[1]}={v:.0f}" for k, v in (m.get("stage_seconds") or {}).items() if v)
        lines.append(f"{m['cycle']:>5}{mark} " + " ".join(f"{cell(m):>{w}}" for _, w, cell in COLUMNS)
                     + "  " + stages)
        if "teacher_benchmark_pass@1" in m:
            lines.append(f"       teacher (ceiling): bench p@1 {_fmt(m.get('teacher_benchmark_pass@1'), '.3f')}"
                         f"  held p@1 {_fmt(m.get('teacher_held_out_pass@1'), '.3f')}")
    if best:
        lines.append(f"* best cycle by {best['metric']}: {best['cycle']} ({best['value']:.3f})")
    return "\n".join(lines)
