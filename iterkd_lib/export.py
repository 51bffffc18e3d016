"""Export a cycle's training data (SFT set + preference pairs) in the formats other trainers read.

Source: `cycle_<k>/03_training_set.jsonl` of a run directory (records `{kind: "sft", task_id, prompt,
completion}` and `{kind: "pair", task_id, prompt, chosen, rejected, rejected_source, fault_type, ...}`,
see docs/design.md; `prompt` is the chat messages the student is trained on, a plain string is read as one
user message). Formats:

- `llamafactory`: LLaMA-Factory's "sharegpt" layout (data/README.md of LLaMA-Factory): one JSON list per
  dataset (`conversations` = [{from: human, value}] (+ {from: gpt, value} for SFT), `system`, and for the
  preference set `chosen`/`rejected` = {from: gpt, value}) plus a `dataset_info.json` with one entry per
  dataset (`file_name`, `formatting: sharegpt`, `ranking`, `columns`). Point LLaMA-Factory's `dataset_dir`
  at the folder and name the datasets in `dataset:`.
- `trl`: two `datasets` datasets written with `save_to_disk` (`sft/`: prompt, completion; `preference/`:
  prompt, chosen, rejected), in TRL's conversational form (lists of {role, content}: the trainer applies
  its model's chat template), plus task_id and provenance columns. Read back with `datasets.load_from_disk`.
- `jsonl`: `sft.jsonl` and `pairs.jsonl`, the records as the run holds them without `kind`.

Every export gets a `README.md` dataset card with the run's settings (teacher, student, cycle, seed, loss),
the counts and the origins (seed or generated questions, teacher or student rejected answers).

Not covered: uploading anywhere; tokenisation or chat templates (the consuming trainer applies its own);
filtering or deduplicating the records (exported exactly as the cycle trained on them).

Entry point: `export_cycle(run_dir, cycle, fmt, out_dir=None) -> ExportResult`.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from iterkd_lib.runstore import RunStore, atomic_write_text, write_jsonl

FORMATS = ("llamafactory", "trl", "jsonl")
STAGE = "03_training_set"


@dataclass
class ExportResult:
    """What an export wrote: the folder, the files (relative names), the record counts and dataset names."""

    out_dir: Path
    fmt: str
    files: list[str] = field(default_factory=list)
    n_sft: int = 0
    n_pairs: int = 0
    datasets: dict[str, str] = field(default_factory=dict)   # role ("sft"/"preference") -> dataset name or path


def _messages(prompt) -> list[dict]:
    """Chat messages [{role, content}] from a record's prompt (messages already, or one user string)."""
    if isinstance(prompt, str):
        return [{"role": "user", "content": prompt}]
    if isinstance(prompt, list) and all(isinstance(m, dict) and {"role", "content"} <= set(m) for m in prompt):
        return [{"role": m["role"], "content": m["content"]} for m in prompt]
    raise ValueError(f"prompt is neither a string nor chat messages [{{role, content}}]: {str(prompt)[:80]!r}")


def load_training_set(store: RunStore, cycle: int) -> tuple[list[dict], list[dict]]:
    """(sft records, pair records) of a finished cycle; errors name the file and the line that is wrong."""
    path = store.path(cycle, STAGE)
    if not store.is_complete(cycle, STAGE):
        done = sorted(c for c in store.cycles() if store.is_complete(c, STAGE))
        raise FileNotFoundError(f"{path}: cycle {cycle} has no finished training set (stage {STAGE}); "
                                f"cycles with one: {done or 'none'}")
    records = store.read_records(cycle, STAGE)
    need = {"sft": ("task_id", "prompt", "completion"), "pair": ("task_id", "prompt", "chosen", "rejected")}
    for i, r in enumerate(records, 1):
        kind = r.get("kind")
        if kind not in need:
            raise ValueError(f"{path}:{i}: kind {kind!r} is neither 'sft' nor 'pair'")
        missing = [k for k in need[kind] if k not in r]
        if missing:
            raise ValueError(f"{path}:{i}: a {kind} record lacks {', '.join(missing)}")
        try:
            _messages(r["prompt"])
        except ValueError as e:
            raise ValueError(f"{path}:{i}: {e}") from None
    return [r for r in records if r["kind"] == "sft"], [r for r in records if r["kind"] == "pair"]


# ------------------------------------------------------------------------------------------ formats

def _split_system(messages: list[dict]) -> tuple[str, list[dict]]:
    system = "\n".join(m["content"] for m in messages if m["role"] == "system")
    return system, [m for m in messages if m["role"] != "system"]


_SHAREGPT_ROLE = {"user": "human", "assistant": "gpt"}


def _sharegpt(messages: list[dict]) -> list[dict]:
    out = []
    for m in messages:
        if m["role"] not in _SHAREGPT_ROLE:
            raise ValueError(f"role {m['role']!r} has no sharegpt tag (expected user/assistant after the system)")
        out.append({"from": _SHAREGPT_ROLE[m["role"]], "value": m["content"]})
    return out


def _llamafactory(sft, pairs, out: Path, prefix: str) -> tuple[list[str], dict[str, str]]:
    sft_rows, pref_rows = [], []
    for r in sft:
        system, turns = _split_system(_messages(r["prompt"]))
        sft_rows.append({"conversations": _sharegpt(turns) + [{"from": "gpt", "value": r["completion"]}],
                         "system": system, "task_id": r["task_id"]})
    for r in pairs:
        system, turns = _split_system(_messages(r["prompt"]))
        pref_rows.append({"conversations": _sharegpt(turns), "system": system,
                          "chosen": {"from": "gpt", "value": r["chosen"]},
                          "rejected": {"from": "gpt", "value": r["rejected"]}, "task_id": r["task_id"]})
    names = {"sft": f"{prefix}_sft", "preference": f"{prefix}_preference"}
    files = {"sft": f"{names['sft']}.json", "preference": f"{names['preference']}.json"}
    info = {
        names["sft"]: {"file_name": files["sft"], "formatting": "sharegpt", "ranking": False,
                       "columns": {"messages": "conversations", "system": "system"}},
        names["preference"]: {"file_name": files["preference"], "formatting": "sharegpt", "ranking": True,
                              "columns": {"messages": "conversations", "system": "system",
                                          "chosen": "chosen", "rejected": "rejected"}},
    }
    atomic_write_text(out / files["sft"], json.dumps(sft_rows, ensure_ascii=False, indent=1))
    atomic_write_text(out / files["preference"], json.dumps(pref_rows, ensure_ascii=False, indent=1))
    atomic_write_text(out / "dataset_info.json", json.dumps(info, indent=2))
    return [files["sft"], files["preference"], "dataset_info.json"], names


def _save_dataset(rows: list[dict], target: Path) -> None:
    """save_to_disk into a temporary sibling, then swap it in: a killed export never leaves half a dataset."""
    import datasets

    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    bars_were_off = datasets.is_progress_bar_enabled() is False
    datasets.disable_progress_bars()          # a few rows: the "Saving the dataset" bar is only noise
    try:
        datasets.Dataset.from_list(rows).save_to_disk(str(tmp / "d"))
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp / "d", target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if not bars_were_off:
            datasets.enable_progress_bars()


def _trl(sft, pairs, out: Path) -> tuple[list[str], dict[str, str]]:
    def answer(text):
        return [{"role": "assistant", "content": text}]

    sft_rows = [{"prompt": _messages(r["prompt"]), "completion": answer(r["completion"]), "task_id": r["task_id"],
                 "source": r.get("source")} for r in sft]
    pref_rows = [{"prompt": _messages(r["prompt"]), "chosen": answer(r["chosen"]), "rejected": answer(r["rejected"]),
                  "task_id": r["task_id"], "rejected_source": r.get("rejected_source"),
                  "fault_type": r.get("fault_type")} for r in pairs]
    _save_dataset(sft_rows, out / "sft")
    _save_dataset(pref_rows, out / "preference")
    return ["sft/", "preference/"], {"sft": str(out / "sft"), "preference": str(out / "preference")}


def _jsonl(sft, pairs, out: Path) -> tuple[list[str], dict[str, str]]:
    def strip(r):
        return {k: v for k, v in r.items() if k != "kind"}

    write_jsonl(out / "sft.jsonl", [strip(r) for r in sft])
    write_jsonl(out / "pairs.jsonl", [strip(r) for r in pairs])
    return ["sft.jsonl", "pairs.jsonl"], {"sft": str(out / "sft.jsonl"), "preference": str(out / "pairs.jsonl")}


# ------------------------------------------------------------------------------------------ card

def origins(store: RunStore, cycle: int, sft: list[dict], pairs: list[dict]) -> dict:
    """Where the records come from: question source (seed/generated, from the cycle's pool), answer sources."""
    pool = {p["task_id"]: p for p in store.read_records(cycle, "01_pool")} if store.has_records(cycle, "01_pool") else {}

    def q(r):
        p = pool.get(r["task_id"])
        return "unknown" if p is None else f"{p.get('source', 'unknown')}" + (
            f" (cycle {p['origin_cycle']})" if p.get("source") == "generated" and "origin_cycle" in p else "")

    return {"sft_questions": dict(Counter(q(r) for r in sft)),
            "pair_questions": dict(Counter(q(r) for r in pairs)),
            "sft_answers": dict(Counter(str(r.get("source", "teacher")) for r in sft)),
            "rejected_answers": dict(Counter(str(r.get("rejected_source", "unknown")) for r in pairs)),
            "fault_types": dict(Counter(r.get("fault_type") or "none requested" for r in pairs))}


def _card(store: RunStore, cycle: int, fmt: str, sft, pairs, files, names) -> str:
    info = store.read_run_info()
    cfg = info.get("config", {})
    get = lambda *ks: _dig(cfg, ks)
    o = origins(store, cycle, sft, pairs)
    use = {
        "llamafactory": (f"In a LLaMA-Factory training YAML: `dataset_dir: {{this folder}}`, "
                         f"`dataset: {names.get('sft')}` (stage: sft) or `dataset: {names.get('preference')}` "
                         f"(stage: dpo, e.g. pref_loss: sigmoid or orpo). The entries are in dataset_info.json."),
        "trl": ("`datasets.load_from_disk('sft')` -> trl.SFTTrainer (prompt/completion); "
                "`datasets.load_from_disk('preference')` -> trl.DPOTrainer / CPOTrainer (prompt/chosen/rejected). "
                "Conversational format: the trainer applies its model's chat template."),
        "jsonl": "One JSON object per line; `prompt` is the chat messages, answers are fenced Python code.",
    }[fmt]
    lines = [
        f"# IterKD training data: run `{store.root.name}`, cycle {cycle} ({fmt})", "",
        ("Made by the IterKD workbench (iterative knowledge distillation of code models, arXiv 2408.03680): "
         "the SFT set holds solutions that passed their tests (where they come from: below); each preference "
         "pair puts a passing solution (chosen) against a failing one (rejected) for the same question."), "",
        "## Settings",
        f"- teacher: `{info.get('teacher') or get('teacher', 'model')}`",
        f"- student: `{info.get('student') or get('student', 'model')}`",
        f"- cycle: {cycle}; run seed: {info.get('seed', get('run', 'seed'))}",
        f"- teacher decoding: {json.dumps(get('teacher', 'decoding'))}",
        f"- training loss this data was made for: {get('training', 'loss')}",
        f"- source: `{store.path(cycle, STAGE)}`", "",
        "## Counts and origins",
        f"- SFT examples: {len(sft)}; preference pairs: {len(pairs)}",
        f"- questions of SFT examples: {_fmt_counts(o['sft_questions'])}",
        f"- questions of pairs: {_fmt_counts(o['pair_questions'])}",
        f"- SFT answers from: {_fmt_counts(o['sft_answers'])}",
        f"- rejected answers from: {_fmt_counts(o['rejected_answers'])}; fault types: {_fmt_counts(o['fault_types'])}",
        "",
        "## Files", *[f"- `{f}`" for f in files], "",
        "## Use", use, "",
        ("The problems' licences are those of the seed problem set and the teacher model's outputs; check both "
         "before redistributing."), "",
    ]
    return "\n".join(lines)


def _dig(d, keys):
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def _fmt_counts(c: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(c.items(), key=lambda kv: -kv[1])) or "none"


# ------------------------------------------------------------------------------------------ entry point

def default_out_dir(run_dir: str | Path, cycle: int, fmt: str) -> Path:
    return Path(run_dir) / "exports" / f"cycle_{cycle}" / fmt


def export_cycle(run_dir: str | Path, cycle: int, fmt: str, out_dir: str | Path | None = None) -> ExportResult:
    """Write cycle `cycle`'s SFT set and preference pairs of the run in `run_dir` as `fmt` into `out_dir`.

    out_dir defaults to RUN_DIR/exports/cycle_<k>/<fmt>. Raises ValueError for an unknown format or a bad
    record (file:line), FileNotFoundError when the run or the cycle's finished training set is missing.
    Files are written atomically; rerunning replaces them.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    store = RunStore(run_dir)
    store.read_run_info()   # a clear error when run_dir is not a run directory
    sft, pairs = load_training_set(store, cycle)
    out = Path(out_dir) if out_dir else default_out_dir(run_dir, cycle, fmt)
    out.mkdir(parents=True, exist_ok=True)
    if fmt == "llamafactory":
        files, names = _llamafactory(sft, pairs, out, f"iterkd_cycle{cycle}")
    elif fmt == "trl":
        files, names = _trl(sft, pairs, out)
    else:
        files, names = _jsonl(sft, pairs, out)
    files.append("README.md")
    atomic_write_text(out / "README.md", _card(store, cycle, fmt, sft, pairs, files, names))
    return ExportResult(out_dir=out, fmt=fmt, files=files, n_sft=len(sft), n_pairs=len(pairs), datasets=names)
