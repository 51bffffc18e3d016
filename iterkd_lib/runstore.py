"""The run store: everything a run makes is a file under one run directory, written atomically.

Layout (numbered so a listing shows the pipeline order):

    runs/<id>/run.json                 resolved config, seed, package versions, model ids (written at start)
    runs/<id>/metrics.jsonl            append-only, one JSON object per measurement, with its settings
    runs/<id>/cycle_<k>/NN_<stage>.jsonl   records of one stage of cycle k
    runs/<id>/cycle_<k>/NN_<stage>.done    completion marker, written LAST, holds the stage's summary

Atomicity: every file is written to a temporary sibling, fsync'ed, then `os.replace`d into place, so a
process killed at any moment leaves either the old file or the new one, never half of one. A stage counts
as complete only when its `.done` marker exists, and the marker is written after its records. The
append-only metrics file is the one exception to whole-file replacement: each line is written with a single
`write` of a complete line, and a torn last line (a kill mid-append) is skipped on read with a warning.

Not covered: locking between two processes writing the same run (one writer per run is assumed).

Entry points: `write_jsonl`, `read_jsonl`, `atomic_write_text`, `RunStore`.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

_UMASK = os.umask(0)
os.umask(_UMASK)


class RecordError(ValueError):
    """A JSONL file with a line that is not a JSON object; the message names the file and line."""


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write `text` (UTF-8) to a temporary sibling, fsync, then rename over `path`: a reader sees the old or the new
    file, never half.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)   # mkstemp makes 0600; run files are meant to be shared and read
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_json(path: str | Path, obj: Any) -> None:
    """`obj` as indented JSON, atomically (unknown types via str())."""
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n")


def read_json(path: str | Path) -> Any:
    """Parse a JSON file; raises RecordError naming the file and line when it is not valid JSON."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise RecordError(f"{path}: line {e.lineno}: not valid JSON ({e.msg})") from e


def write_jsonl(path: str | Path, records: Iterable[dict]) -> int:
    """Records as JSON lines, atomically; returns how many were written."""
    lines = [json.dumps(r, ensure_ascii=False, default=str) for r in records]
    atomic_write_text(path, "".join(line + "\n" for line in lines))
    return len(lines)


def read_jsonl(path: str | Path, tolerate_torn_tail: bool = False) -> list[dict]:
    """Read a JSONL file; a bad line raises RecordError naming file and line (1-based)."""
    path = Path(path)
    out: list[dict] = []
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            if tolerate_torn_tail and i == len(lines):
                warnings.warn(f"{path}: line {i}: torn last line skipped (killed mid-append?)", stacklevel=2)
                break
            raise RecordError(f"{path}: line {i}: not valid JSON ({e.msg})") from e
        if not isinstance(obj, dict):
            raise RecordError(f"{path}: line {i}: expected a JSON object, got {type(obj).__name__}")
        out.append(obj)
    return out


def append_jsonl(path: str | Path, record: dict) -> None:
    """Append one record as a JSON line (flushed and fsynced): the append-only metrics log."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
    # A torn previous line (kill mid-append) must not swallow this record: start on a fresh line.
    if path.exists() and path.stat().st_size > 0:
        with open(path, "rb") as fh:
            fh.seek(-1, os.SEEK_END)
            if fh.read(1) != b"\n":
                line = "\n" + line
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


class RunStore:
    """One run directory. Stages are named like '02_teacher_attempts'; cycles are integers."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    # -- run level
    @property
    def run_json(self) -> Path:
        """run.json: resolved config, seed, package versions, model ids."""
        return self.root / "run.json"

    @property
    def metrics_path(self) -> Path:
        """metrics.jsonl: the append-only per-cycle summaries."""
        return self.root / "metrics.jsonl"

    def exists(self) -> bool:
        """Whether this directory holds a run (run.json exists)."""
        return self.run_json.exists()

    def write_run_info(self, info: dict) -> None:
        """Write run.json (atomically)."""
        write_json(self.run_json, info)

    def read_run_info(self) -> dict:
        """run.json as a dict; FileNotFoundError naming the directory when it holds no run."""
        if not self.run_json.exists():
            raise FileNotFoundError(f"{self.root}: not a run directory (no run.json)")
        return read_json(self.run_json)

    def append_metrics(self, record: dict) -> None:
        """Append a record to metrics.jsonl with the current Unix time under "time"."""
        append_jsonl(self.metrics_path, {"time": time.time(), **record})

    def metrics(self) -> list[dict]:
        """Every metrics.jsonl record ([] when none); a torn last line (a kill mid-append) is dropped."""
        if not self.metrics_path.exists():
            return []
        return read_jsonl(self.metrics_path, tolerate_torn_tail=True)

    # -- cycle and stage level
    def cycle_dir(self, cycle: int) -> Path:
        """cycle_<k>/ of this run (not created here)."""
        return self.root / f"cycle_{cycle}"

    def path(self, cycle: int, stage: str, suffix: str = ".jsonl") -> Path:
        """cycle_<k>/<stage><suffix>, e.g. cycle_1/02_teacher_attempts.jsonl or .done."""
        return self.cycle_dir(cycle) / f"{stage}{suffix}"

    def write_records(self, cycle: int, stage: str, records: Iterable[dict]) -> Path:
        """Write a stage's records (JSON lines, atomically); returns the file's path."""
        p = self.path(cycle, stage)
        write_jsonl(p, records)
        return p

    def read_records(self, cycle: int, stage: str) -> list[dict]:
        """A stage's records; FileNotFoundError naming the file when the stage has none yet."""
        p = self.path(cycle, stage)
        if not p.exists():
            raise FileNotFoundError(f"{p}: stage '{stage}' of cycle {cycle} has no records yet")
        return read_jsonl(p)

    def has_records(self, cycle: int, stage: str) -> bool:
        """Whether the stage's .jsonl exists (the adapter stage has none)."""
        return self.path(cycle, stage).exists()

    def mark_complete(self, cycle: int, stage: str, summary: dict | None = None) -> None:
        """Write the stage's .done marker (completion time + `summary`); written last, after the records."""
        write_json(self.path(cycle, stage, ".done"), {"completed_at": time.time(), **(summary or {})})

    def is_complete(self, cycle: int, stage: str) -> bool:
        """Whether the stage's .done marker exists."""
        return self.path(cycle, stage, ".done").exists()

    def stage_summary(self, cycle: int, stage: str) -> dict | None:
        """The stage's .done marker as a dict (seconds, counts, token usage ...), None when not done."""
        p = self.path(cycle, stage, ".done")
        return read_json(p) if p.exists() else None

    def cycles(self) -> list[int]:
        """Cycle numbers that have a cycle_<k>/ directory, ascending."""
        if not self.root.exists():
            return []
        found = [int(p.name.split("_", 1)[1]) for p in self.root.glob("cycle_*") if p.name.split("_", 1)[1].isdigit()]
        return sorted(found)

    def completed_stages(self, cycle: int) -> list[str]:
        """Names of the cycle's finished stages (those with a .done marker), sorted = pipeline order."""
        return sorted(p.name[: -len(".done")] for p in self.cycle_dir(cycle).glob("*.done"))

    def status(self) -> dict[int, list[str]]:
        """{cycle: [completed stage names]} -- what `iterkd report` and resume look at."""
        return {c: self.completed_stages(c) for c in self.cycles()}
