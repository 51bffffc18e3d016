"""On-disk cache of model responses, keyed by the full request, so no teacher call is ever paid for twice.

One JSON file per response under `<cache_dir>/responses/<key[:2]>/<key>.json`, holding the request it
answers, the text and the token usage. The key is the sha256 of the canonical JSON of the request (backend
kind, model identity, messages or prompt, decoding settings, seed, sample index), so any change to any of
these is a different entry. Writes go to a temporary sibling and `os.replace` into place: a process killed
with -9 leaves either no entry or a whole one, and two processes writing the same key write identical
content, so the last rename winning is harmless. An unreadable entry counts as a miss.

Not covered: eviction or size limits (entries are small text; delete the folder to reset), sharing between
machines.

Entry points: `request_key(request)`, `ResponseCache(cache_dir).get(key) / .put(key, request, text, usage)`.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from iterkd_lib.runstore import atomic_write_text


def request_key(request: dict) -> str:
    """sha256 of the canonical JSON of a request: the cache key."""
    canonical = json.dumps(request, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ResponseCache:
    """Replies on disk under <cache_dir>/responses/, one JSON file per request key (written atomically), so
    resumes never re-ask."""

    def __init__(self, cache_dir: str):
        self.root = Path(os.path.expanduser(cache_dir)) / "responses"

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict | None:
        """The cached entry {key, request, text, usage, created} for `key`, or None (also for an unreadable file)."""
        try:
            entry = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return entry if isinstance(entry, dict) and "text" in entry else None

    def put(self, key: str, request: dict, text: str, usage: dict | None = None, extra: dict | None = None) -> None:
        """Store the reply `text` (and token `usage`) of `request` under `key`, atomically; `extra` adds fields
        to the entry (the sample seed sent, log-probabilities)."""
        path = self._path(key)
        entry = {"key": key, "request": request, "text": text, "usage": usage or {}, **(extra or {}),
                 "created": time.strftime("%Y-%m-%dT%H:%M:%S")}
        atomic_write_text(path, json.dumps(entry, ensure_ascii=False, default=str))

    def __len__(self) -> int:
        return sum(1 for _ in self.root.glob("*/*.json")) if self.root.exists() else 0
