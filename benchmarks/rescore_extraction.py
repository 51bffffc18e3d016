"""Re-score a finished run's model replies with the old and the new code extraction, side by side.

For every record with a model reply in a run directory -- `02_teacher_attempts` (teacher, chat),
`05_student_attempts` (student, chat) and `09_evaluation` (chat-protocol records only; the completion
protocol does not extract) -- the reply is extracted twice: with the OLD `code_extraction` module (read from
git history, `--old` REV:PATH, loaded as a module from a temporary file) and with the current one. Replies
whose completion differs, or whose new extraction records a failure, are executed again in the sandbox
(`execution.check_completions`), BOTH versions in the same call, so the comparison does not depend on the
run's stored verdicts (those are only cross-checked: `stored_mismatch` counts re-executed old verdicts that
disagree with the stored one, e.g. by timeouts). Unchanged replies keep one shared verdict.

Printed: per stage, records, changed extractions, changed verdicts (fail->pass, pass->fail,
fail->extraction_failed), the new rules used, and each changed attempt (task_id, old -> new). `--json PATH`
writes the same numbers. Generated code only runs in the sandbox.

Not covered: regenerating replies (the run's raw texts are used as they are); the judge view.

Entry point: `python benchmarks/rescore_extraction.py RUN_DIR [--old f2b41e9:iterkd_lib/code_extraction.py]`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from iterkd_lib.config import config_from_dict
from iterkd_lib.runstore import read_jsonl
from iterkd_lib.sandbox import check_completions
from iterkd_lib.scoring import code_extraction as new
from iterkd_lib.scoring.code_extraction import verdict_with_extraction
from iterkd_lib.stages.evaluation import benchmark_problems

# the last commit before issue 12 changed the extraction
DEFAULT_OLD = "f2b41e9:iterkd_lib/code_extraction.py"


def load_old(spec: str):
    """The module at git `REV:PATH`, imported from a temporary file (the source is trusted: our history)."""
    src = subprocess.run(["git", "-C", str(ROOT), "show", spec], check=True, capture_output=True, text=True).stdout
    tmp = Path(tempfile.mkdtemp()) / "code_extraction_old.py"
    tmp.write_text(src)
    mod_spec = importlib.util.spec_from_file_location("code_extraction_old", tmp)
    mod = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(mod)
    return mod


def _problems(run_dir: Path) -> dict[str, dict]:
    """task_id -> problem for the pools of every cycle, the held-out set and the run's benchmark."""
    out: dict[str, dict] = {}
    info = json.loads((run_dir / "run.json").read_text())
    cfg = config_from_dict(info["config"], where=str(run_dir / "run.json"))
    for p in benchmark_problems(cfg):
        out[p["task_id"]] = p
    if (run_dir / "held_out.jsonl").exists():
        out.update({p["task_id"]: p for p in read_jsonl(run_dir / "held_out.jsonl")})
    for pool in sorted(run_dir.glob("cycle_*/01_pool.jsonl")):
        out.update({p["task_id"]: p for p in read_jsonl(pool)})
    return out


def _chat_records(path: Path) -> list[dict]:
    recs = read_jsonl(path)
    if path.name != "09_evaluation.jsonl":
        return recs
    done = path.with_suffix(".done")
    metrics = json.loads(done.read_text()).get("metrics", []) if done.exists() else []
    chat = {(m["subject"], m["benchmark"]) for m in metrics if m.get("protocol") == "chat"}
    return [r for r in recs if (r.get("subject"), r.get("benchmark")) in chat]


def _stored(rec: dict) -> dict | None:
    return rec.get("verdict") or rec.get("execution")


def rescore(run_dir: Path, old, workers: int = 2, timeout_s: float = 5.0) -> dict:
    problems = _problems(run_dir)
    items = []  # (stage, record, problem, old completion, extraction, new completion)
    for path in sorted(run_dir.glob("cycle_*/0[259]_*.jsonl")):
        if path.stem not in ("02_teacher_attempts", "05_student_attempts", "09_evaluation"):
            continue
        for rec in _chat_records(path):
            p = problems.get(rec.get("task_id"))
            if p is None or not isinstance(rec.get("raw"), str):
                continue
            old_comp = old.completion_from_code(p, old.extract_code(rec["raw"], p["entry_point"]))
            ex = new.extract(rec["raw"], p["entry_point"])
            items.append((f"{path.parent.name}/{path.stem}", rec, p, old_comp, ex,
                          new.completion_from_code(p, ex.code)))
    changed = [i for i, it in enumerate(items) if it[3] != it[5] or it[4].failure]
    pairs = [(items[i][2], items[i][3]) for i in changed] + [(items[i][2], items[i][5]) for i in changed]
    verdicts = check_completions(pairs, timeout_s=timeout_s, workers=workers) if pairs else []
    old_v = dict(zip(changed, verdicts[: len(changed)]))
    new_v = dict(zip(changed, verdicts[len(changed):]))
    stages: dict[str, Counter] = {}
    rules: dict[str, Counter] = {}
    examples = []
    for i, (stage, rec, p, old_comp, ex, new_comp) in enumerate(items):
        c = stages.setdefault(stage, Counter())
        rules.setdefault(stage, Counter())[ex.failure or ex.rule] += 1
        c["records"] += 1
        if i not in old_v:
            continue
        c["extraction_changed"] += int(old_comp != new_comp)
        c["failure_recorded"] += int(bool(ex.failure))
        ov, nv = old_v[i], verdict_with_extraction(new_v[i], ex)
        stored = _stored(rec)
        if stored is not None and bool(stored.get("passed")) != bool(ov["passed"]):
            c["stored_mismatch"] += 1
        kind = None
        if ov["passed"] != nv["passed"]:
            kind = "fail->pass" if nv["passed"] else "pass->fail"
        elif nv.get("error_type") == "extraction_failed":
            kind = "fail->extraction_failed"
        elif (ov.get("error_type"), ov["status"]) != (nv.get("error_type"), nv["status"]):
            kind = "fail->other_fail"
        if kind:
            c["verdict_changed"] += 1
            c[kind] += 1
            examples.append({"stage": stage, "task_id": rec["task_id"], "change": kind, "rule": ex.rule,
                             "failure": ex.failure,
                             "old": ov.get("error_type") or ov["status"], "new": nv.get("error_type") or nv["status"]})
    return {"run_dir": str(run_dir), "stages": {s: dict(c) for s, c in stages.items()},
            "rules": {s: dict(c) for s, c in rules.items()},
            "total": dict(sum(stages.values(), Counter())), "changes": examples}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--old", default=DEFAULT_OLD, help=f"git REV:PATH of the old module (default {DEFAULT_OLD})")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--json", type=Path, help="also write the result here")
    args = ap.parse_args(argv)
    if not (args.run_dir / "run.json").exists():
        print(f"rescore_extraction: {args.run_dir}: not a run directory (no run.json)", file=sys.stderr)
        return 2
    res = rescore(args.run_dir, load_old(args.old), args.workers, args.timeout)
    print(f"run {res['run_dir']}  (old extraction: {args.old}; new: working tree)")
    for stage, c in res["stages"].items():
        print(f"  {stage:34s} records {c.get('records', 0):4d}  extraction changed {c.get('extraction_changed', 0):3d}"
              f"  verdict changed {c.get('verdict_changed', 0):3d}  (fail->pass {c.get('fail->pass', 0)}, "
              f"pass->fail {c.get('pass->fail', 0)}, ->extraction_failed {c.get('fail->extraction_failed', 0)}, "
              f"other {c.get('fail->other_fail', 0)}; stored/old mismatch {c.get('stored_mismatch', 0)})")
        print(f"  {'':34s} new rules: {res['rules'][stage]}")
    t = res["total"]
    print(f"  TOTAL records {t.get('records', 0)}, extraction changed {t.get('extraction_changed', 0)}, "
          f"verdict changed {t.get('verdict_changed', 0)}")
    for e in res["changes"]:
        print(f"    {e['stage']} {e['task_id']}: {e['change']} ({e['old']} -> {e['new']}; rule {e['rule']}"
              f"{'; ' + e['failure'] if e['failure'] else ''})")
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
