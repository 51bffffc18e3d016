"""`iterkd study`: IterKD vs one-shot distillation vs the untrained student, at equal teacher tokens.

Each variant is an ordinary run directory under the study directory, driven through the public cycle API
(`runs.open_run`, `cycle.run_stage`, `cycle.run_all`), so report, figures and resume work on each; a variant differs
from the study config only by dotted overrides (`variant_overrides`), recorded in study.json:

- untrained: run.cycles=0, cycle 0's evaluation of the student before any training (and the teacher ceiling);
- iterkd: the cycle loop for study.cycles cycles;
- oneshot: Stage I once on the seed pool (run.cycles=1; no judge, no pylint, no new questions, so Stage II/III
  spend no teacher tokens and only Stage I's adapter is evaluated), its pool size and then its samples per
  problem sized so that its teacher tokens match IterKD's within study.budget_tolerance (`size_oneshot`);
- selftrain (optional): the cycle loop with the student as its own "teacher" (teacher.model = student.model)
  and no judge or new questions: the base student's own samples, labelled by the tests. Limitation: the
  samples come from the base student every cycle, not from the adapter being trained.

Teacher tokens are prompt + completion over cycles >= 1 from the stage markers' `teacher_usage`, counting
replies served from the response cache at what they cost when paid for (`cached_prompt`/`cached_completion`),
so a shared cache or a resumed stage does not make a variant look cheaper. Variants share the response cache
(same run seed, so requests coincide: one-shot's first problems are IterKD's cycle-1 requests). Cycle 0 is
evaluated once (the untrained variant) and copied into the other runs when every setting it depends on is
equal (`CYCLE0_KEYS`); the copy's marker names its source.

Budget matching (`size_oneshot`): from a measurement (tokens T spent on P problems x F samples-factor) the
tokens per problem-sample unit u = T / (P F); the wanted units are target / u; the pool grows first (file
order, so a bigger pool repeats the smaller pool's requests as cache hits), then the factor
F = ceil(units / max_pool) multiplies the distill.*_per_problem counts. Each try runs only the pool and
teacher-attempts stages; a try outside the tolerance is moved to oneshot_tries/ and the next is sized from it;
after study.sizing_tries the closest try is used and the report says the budget was not matched.

State: study.json (atomic writes): per variant its run directory, overrides, status, sessions, sizing tries,
budget. The same command again resumes: finished variants are skipped, the running one resumes its run.

Not covered: the table and figure (study_report.py, figures/study.py); running variants in parallel; PERsD or
plain-SFT one-shot variants (training.loss=none as an override would give the latter).
Entry points: `Study(cfg, out_dir).run()`, `variant_overrides`, `size_oneshot`, `budget_ratio`, `teacher_tokens`.
"""

from __future__ import annotations

import gc
import importlib
import logging
import math
import os
import time
from pathlib import Path

from iterkd_lib.config import ConfigError, IterKDConfig, apply_overrides, config_from_dict, config_to_dict, diff_configs
from iterkd_lib.runstore import RunStore, read_json, write_json

log = logging.getLogger("iterkd")

ORDER = ("untrained", "iterkd", "oneshot", "selftrain")
TOKEN_KEYS = ("prompt_tokens", "completion_tokens", "cached_prompt", "cached_completion")
CYCLE0_KEYS = ("student", "evaluation", "execution", "run.seed", "data.seed_problems", "data.held_out",
               "data.held_out_split")
NO_NEW_QUESTIONS = "regeneration.per_level={easy: 0, medium: 0, hard: 0}"
RESUME_SAFE = ("study.", "run.torch_threads", "run.cache_dir", "run.response_cache_dir", "run.runs_root")  # no number


def stage_tokens(summary: dict | None) -> int:
    """Teacher tokens (prompt + completion, cached replies included) in one stage marker; 0 without usage."""
    usage = (summary or {}).get("teacher_usage") or {}
    return int(sum(usage.get(k, 0) or 0 for k in TOKEN_KEYS))


def teacher_tokens(store: RunStore, last_cycle: int | None = None) -> int:
    """Teacher tokens a run spent over cycles 1..last_cycle (all when None); cycle 0's ceiling is excluded."""
    return sum(stage_tokens(store.stage_summary(c, name)) for c in store.cycles()
               if c >= 1 and (last_cycle is None or c <= last_cycle) for name in store.completed_stages(c))


def _own_stage_seconds(store: RunStore) -> float:
    """Seconds of the stages this run computed itself (a copied cycle 0 counts where it was computed)."""
    marks = [store.stage_summary(c, st) or {} for c in store.cycles() for st in store.completed_stages(c)]
    return round(sum(m.get("seconds") or 0 for m in marks if not m.get("copied_from")), 1)


def budget_ratio(oneshot_tokens: int, iterkd_tokens: int) -> float:
    """oneshot / IterKD teacher tokens; ValueError when IterKD spent none (nothing to match)."""
    if iterkd_tokens <= 0:
        raise ValueError("IterKD spent no teacher tokens: the one-shot budget cannot be matched")
    return oneshot_tokens / iterkd_tokens


def size_oneshot(target: float, tokens: float, pool: int, factor: int, *, max_pool: int,
                 max_factor: int) -> tuple[int, int]:
    """(pool size, samples factor) expected to spend `target` teacher tokens, from a measurement of `tokens`
    spent on `pool` problems at samples factor `factor` (see the module docstring). Pool >= 1, factor in
    [1, max_factor]. Raises ValueError for a measurement without tokens or problems."""
    if tokens <= 0 or pool <= 0 or factor <= 0:
        raise ValueError(f"size_oneshot: measurement needs tokens, problems and factor > 0 (got {tokens}, "
                         f"{pool}, {factor})")
    units = target / (tokens / (pool * factor))
    if units <= max_pool:
        return max(1, round(units)), 1
    f = min(max_factor, math.ceil(units / max_pool))
    return min(max_pool, max(1, round(units / f))), f


def variant_overrides(name: str, cfg: IterKDConfig, pool: int = 0, factor: int = 1) -> list[str]:
    """Dotted overrides that turn the study config into variant `name`'s run config (pool/factor: one-shot)."""
    n = cfg.study.cycles
    if name == "untrained":
        return ["run.cycles=0"]
    if name == "iterkd":
        return [f"run.cycles={n}"]
    if name == "oneshot":
        d = cfg.distill
        scaled = [f"distill.{k}={getattr(d, k) * factor}" for k in ("correct_per_problem", "faulty_per_problem",
                                                                   "max_correct_per_problem", "max_pairs_per_problem")]
        return ["run.cycles=1", f"data.pool_size={pool}", *scaled,
                "feedback.use_judge=false", "feedback.use_pylint=false", NO_NEW_QUESTIONS,
                "regeneration.embedding_sim_max=0"]
    if name == "selftrain":
        return [f"run.cycles={n}", f"teacher.model={cfg.student.model}", f"teacher.dtype={cfg.student.dtype}",
                "teacher.backend=local", "feedback.use_judge=false", NO_NEW_QUESTIONS,
                "regeneration.embedding_sim_max=0", "evaluation.evaluate_teacher=false"]
    raise ValueError(f"unknown study variant {name!r}; use one of {ORDER}")


def _lazy(module: str):
    return importlib.import_module(f"iterkd_lib.{module}")  # torch & co. only when a real study runs


class Driver:
    """The public cycle API the study drives (tests swap in a fake that writes synthetic run files)."""

    def open_run(self, cfg: IterKDConfig, run_dir: Path):
        return _lazy("runs").open_run(cfg, run_dir)

    def run_stage(self, run, cycle_k: int, name: str) -> None:
        _lazy("cycle").run_stage(run, cycle_k, name)

    def run_all(self, run) -> None:
        _lazy("cycle").run_all(run)


class Study:
    """One study directory: study.json plus one run directory per variant (see the module docstring)."""

    def __init__(self, cfg: IterKDConfig, out_dir: str | Path, config_path: str = "", driver: Driver | None = None):
        self.cfg, self.root, self.driver = cfg, Path(out_dir), driver or Driver()
        self.path = self.root / "study.json"
        base = config_to_dict(cfg)
        if self.path.exists():
            self.state = read_json(self.path)
            # Re-resolved, so keys added to the config after this study started compare equal at their defaults.
            saved = config_to_dict(config_from_dict(self.state["config"], where=str(self.path)))
            changed = [k for k in diff_configs(saved, base) if not k.startswith(RESUME_SAFE)]
            if changed:
                raise ConfigError(f"{self.path}: this study was started with another config; differs in "
                                  f"{', '.join(changed)} (use another --out)")
            self.state["config"] = base
        else:
            self.state = {"kind": "iterkd_study", "config_path": str(config_path), "config": base,
                          "created": time.time(), "variants": {}, "budget": None}
        self.state["variants_wanted"] = [v for v in ORDER if v in cfg.study.variants]

    def save(self) -> None:
        """Write study.json atomically."""
        self.state["updated"] = time.time()
        write_json(self.path, self.state)

    def store(self, name: str) -> RunStore:
        return RunStore(self.root / name)

    def variant_config(self, name: str, overrides: list[str]) -> IterKDConfig:
        data = apply_overrides(config_to_dict(self.cfg), [*overrides, f"run.name=study-{name}"])
        return config_from_dict(data, where=f"study variant {name} ({' '.join(overrides)})")

    def run(self) -> dict:
        """Run (or resume) every wanted variant in ORDER; returns the state written to study.json."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.save()
        for name in self.state["variants_wanted"]:
            self._run_variant(name)
        return self.state

    # ------------------------------------------------------------------ one variant
    def _run_variant(self, name: str) -> None:
        entry = self.state["variants"].setdefault(name, {"run_dir": str(self.root / name), "status": "pending",
                                                         "sessions": []})
        if entry["status"] == "done":
            log.info("study: %s already done (%s)", name, entry["run_dir"])
            return
        entry["status"] = "running"
        session = {"start": time.time(), "end": None}
        entry["sessions"].append(session)
        self.save()
        if name == "oneshot" and "overrides" not in entry:
            self._size_oneshot(entry)
        entry.setdefault("overrides", variant_overrides(name, self.cfg))
        run = self.driver.open_run(self.variant_config(name, entry["overrides"]), self.root / name)
        entry["cycle_0_from"] = self._share_cycle0(name, run.store)
        self.save()
        self.driver.run_all(run)
        del run
        gc.collect()                                         # the variant's models go before the next loads
        session["end"] = time.time()
        store = self.store(name)
        entry.update(status="done", teacher_tokens=teacher_tokens(store),
                     wall_seconds=round(sum((s["end"] or s["start"]) - s["start"] for s in entry["sessions"]), 1),
                     stage_seconds=_own_stage_seconds(store))
        if name == "oneshot":
            self._record_budget(entry)
        self.save()

    def _share_cycle0(self, name: str, dst: RunStore) -> str | None:
        """Copy the untrained variant's cycle-0 evaluation into `dst` when every setting it depends on agrees
        (teacher records only when the teacher and evaluate_teacher agree too); returns the source or None."""
        src = self.store("untrained")
        if name == "untrained" or not src.is_complete(0, "09_evaluation"):
            return None
        if dst.is_complete(0, "09_evaluation"):
            return (dst.stage_summary(0, "09_evaluation") or {}).get("copied_from")
        a, b = src.read_run_info()["config"], dst.read_run_info()["config"]
        if any(k.startswith(CYCLE0_KEYS) and k != "evaluation.evaluate_teacher" for k in diff_configs(a, b)):
            return None
        same_teacher = not diff_configs(a["teacher"], b["teacher"]) and b["evaluation"]["evaluate_teacher"]
        recs = [r for r in src.read_records(0, "09_evaluation") if same_teacher or r.get("subject") == "student"]
        summary = dict(src.stage_summary(0, "09_evaluation") or {})
        summary["metrics"] = [m for m in summary.get("metrics", []) if same_teacher or m.get("subject") == "student"]
        if not same_teacher:
            summary.pop("teacher_usage", None)
        summary.pop("completed_at", None)
        dst.write_records(0, "09_evaluation", recs)
        dst.mark_complete(0, "09_evaluation", {**summary, "copied_from": str(src.root)})
        return str(src.root)

    # ------------------------------------------------------------------ one-shot budget
    def _target(self) -> int:
        it = self.state["variants"].get("iterkd") or {}
        if it.get("status") != "done":
            raise ConfigError("study: the one-shot variant needs the finished IterKD run (its token budget)")
        return teacher_tokens(self.store("iterkd"), self.cfg.study.cycles)

    def _max_pool(self) -> int:
        from iterkd_lib.problems import load_problems

        n = len(load_problems(self.cfg.data.seed_problems)) - self.cfg.data.held_out
        return max(1, n)

    def _size_oneshot(self, entry: dict) -> None:
        target, st = self._target(), self.cfg.study
        it = self.store("iterkd")
        meas = (stage_tokens(it.stage_summary(1, "02_teacher_attempts")),
                (it.stage_summary(1, "01_pool") or {}).get("n", 0), 1)
        tries = entry.setdefault("sizing", [])
        while True:
            if tries and tries[-1]["tokens"] is None:        # killed during this try: finish it
                t = tries[-1]
            else:
                if tries:
                    last = tries[-1]
                    meas = (last["tokens"], last["pool_size"], last["factor"])
                    if abs(last["ratio"] - 1) <= st.budget_tolerance or len(tries) >= st.sizing_tries:
                        break
                pool, factor = size_oneshot(target, *meas, max_pool=self._max_pool(), max_factor=st.max_samples_factor)
                if any(t["pool_size"] == pool and t["factor"] == factor for t in tries):
                    break                                     # converged: no other size to try
                t = {"try": len(tries), "pool_size": pool, "factor": factor, "tokens": None, "ratio": None}
                tries.append(t)
                self._park_oneshot_dir()
                self.save()
            run = self.driver.open_run(self.variant_config("oneshot", variant_overrides(
                "oneshot", self.cfg, t["pool_size"], t["factor"])), self.root / "oneshot")
            self.driver.run_stage(run, 1, "teacher_attempts")
            t["tokens"] = teacher_tokens(self.store("oneshot"))
            t["ratio"] = round(budget_ratio(t["tokens"], target), 4)
            t["run_dir"] = str(self.root / "oneshot")
            self.save()
            log.info("study: one-shot sizing try %d: pool %d x factor %d -> %d teacher tokens (%.3f of IterKD's)",
                     t["try"], t["pool_size"], t["factor"], t["tokens"], t["ratio"])
        best = min(tries, key=lambda t: abs(t["ratio"] - 1))
        if best is not tries[-1]:                            # the closest try is parked: bring it back
            self._park_oneshot_dir()
            os.replace(best["run_dir"], self.root / "oneshot")
        entry["chosen"] = {k: best[k] for k in ("try", "pool_size", "factor", "tokens", "ratio")}
        entry["overrides"] = variant_overrides("oneshot", self.cfg, best["pool_size"], best["factor"])
        self.save()

    def _park_oneshot_dir(self) -> None:
        """Move a previous sizing try's run directory aside (its teacher replies stay in the response cache)."""
        if not (cur := self.root / "oneshot").exists():
            return
        park = self.root / "oneshot_tries"
        dest = park / f"try{len(list(park.iterdir())) if park.exists() else 0}"
        os.renames(cur, dest)   # makes oneshot_tries/; the study directory itself is never empty
        for t in self.state["variants"].get("oneshot", {}).get("sizing", []):
            if t.get("run_dir") == str(cur) and t["tokens"] is not None:
                t["run_dir"] = str(dest)

    def _record_budget(self, entry: dict) -> None:
        target, spent, tol = self._target(), teacher_tokens(self.store("oneshot")), self.cfg.study.budget_tolerance
        ratio = budget_ratio(spent, target)
        self.state["budget"] = {"iterkd_tokens": target, "oneshot_tokens": spent, "ratio": round(ratio, 4),
                                "tolerance": tol, "matched": abs(ratio - 1) <= tol,
                                "counted": "teacher prompt + completion tokens, cycles >= 1, cached replies "
                                           "at their original cost", "oneshot": entry.get("chosen")}
