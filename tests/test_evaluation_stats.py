"""Evaluation with resolution: CIs and finish reasons in the metrics, the stratified held-out split, the paired
tests in the cycle summary and `iterkd report`, error bars in the pass@1 figure. Programs run in the real
sandbox; the backend is a scripted stand-in (no model: this tests bookkeeping, not generation)."""

from collections import Counter

import pytest

from iterkd_lib import runs
from iterkd_lib.config import ConfigError, config_to_dict, load_config
from iterkd_lib.cycle_summary import cut_at_length, cycle_summary, evaluation_statistics
from iterkd_lib.problems import load_problems
from iterkd_lib.report import report_table
from iterkd_lib.runstore import RunStore
from iterkd_lib.splits import held_out_indices
from iterkd_lib.stages import evaluation


class ScriptedBackend:
    """Answers each problem with its canonical solution (chat, fenced) when `solve(task_id)`, else a wrong body;
    reports wrong answers as cut at the token limit."""

    def __init__(self, solve):
        self.solve, self.last_finish_reasons = solve, []

    def chat(self, messages_list, decoding, seed, n=1):
        outs, fins = [], []
        for msgs in messages_list:
            p = self._problems[msgs[-1]["content"]]
            ok = self.solve(p["task_id"])
            body = p["canonical_solution"] if ok else "    return None\n"
            outs.append([f"```python\n{p['prompt']}{body}```"] * n)
            fins.append(["stop" if ok else "length"] * n)
        self.last_finish_reasons = fins
        return outs

    def describe(self):
        return {"backend": "scripted"}


@pytest.fixture
def smoke_cfg():
    return load_config("configs/smoke.yaml", ["run.torch_threads=1"])


def _scripted(problems, solve):
    from iterkd_lib.prompts import student_messages

    b = ScriptedBackend(solve)
    b._problems = {student_messages(p)[-1]["content"]: p for p in problems}
    return b


def test_evaluate_reports_ci_finish_reasons_and_settings(smoke_cfg, humaneval_problems):
    problems = humaneval_problems[:8]
    solved = {p["task_id"] for p in problems[::2]}
    backend = _scripted(problems, lambda t: t in solved)
    records, m = evaluation.evaluate(backend, problems, smoke_cfg, seed=3, protocol="chat", cycle=2)
    assert m["pass@1"] == 0.5 and m["n_problems"] == 8 and m["protocol"] == "chat" and m["cycle"] == 2
    low, high = m["pass@1_ci"]
    assert 0 <= low < 0.5 < high <= 1
    assert m["ci"]["n_resamples"] == smoke_cfg.evaluation.ci_resamples and m["temperature"] == 0.0
    assert m["cut_at_length"] == 4 and m["cut_share"] == 0.5 and m["finish_reasons"] == {"stop": 4, "length": 4}
    assert {(r["task_id"] in solved, r["passed"], r["finish_reason"]) for r in records} == \
        {(True, True, "stop"), (False, False, "length")}
    assert all(r["view"] == "benchmark" and r["protocol"] == "chat" for r in records)


def test_backend_without_finish_reasons_gives_unknown(smoke_cfg, humaneval_problems):
    problems = humaneval_problems[:2]
    inner = _scripted(problems, lambda t: True)

    class NoFinish:   # an older backend: answers only
        def chat(self, *a, **kw):
            return inner.chat(*a, **kw)

        def describe(self):
            return inner.describe()

    _, m = evaluation.evaluate(NoFinish(), problems, smoke_cfg, seed=3, protocol="chat")
    assert m["finish_reasons"] == {"unknown": 2} and m["cut_at_length"] == 0 and m["pass@1"] == 1.0


def test_stratified_split_keeps_the_mix_of_domains_and_difficulty():
    seeds = load_problems("data/seed_problems.jsonl")
    chosen = held_out_indices(seeds, 40, seed=11)
    assert len(chosen) == len(set(chosen)) == 40
    assert held_out_indices(seeds, 40, seed=11) == chosen and held_out_indices(seeds, 40, seed=12) != chosen
    strata = Counter((p["domain"], p["difficulty"]) for p in seeds)
    got = Counter((seeds[i]["domain"], seeds[i]["difficulty"]) for i in chosen)
    for k, size in strata.items():   # largest remainder: floor or ceil of the proportional share
        share = 40 * size / len(seeds)
        assert int(share) <= got[k] <= int(share) + 1, (k, got[k], share)
    for field in ("difficulty", "domain"):   # marginals follow within a few problems
        pool = Counter(p[field] for p in seeds)
        held = Counter(seeds[i][field] for i in chosen)
        for v, size in pool.items():
            assert abs(held[v] - 40 * size / len(seeds)) <= 3, (field, v)
    with pytest.raises(ValueError, match="only 164"):
        held_out_indices(seeds, 200, seed=1)


def test_random_split_reproduces_the_old_split(tmp_path, smoke_cfg):
    import random

    seeds = load_problems("data/seed_problems.jsonl")
    order = list(range(len(seeds)))
    random.Random(5).shuffle(order)
    assert held_out_indices(seeds, 10, seed=5, method="random") == order[:10]
    run = runs.open_run(smoke_cfg, tmp_path / "r", overrides=["data.held_out=40", "data.pool_size=0"])
    held = {p["task_id"] for p in load_problems(run.store.root / "held_out.jsonl")}
    pool = {p["task_id"] for p in run.store.read_records(1, "01_pool")}
    assert len(held) == 40 and not held & pool and len(held | pool) == len(seeds)
    assert run.cfg.data.held_out_split == "stratified"


def test_config_refuses_samples_without_temperature_and_a_repeated_protocol():
    with pytest.raises(ConfigError, match="temperature is 0"):
        load_config("configs/smoke.yaml", ["evaluation.samples=4"])
    cfg = load_config("configs/smoke.yaml", ["evaluation.samples=4", "evaluation.decoding.temperature=0.8",
                                             "evaluation.pass_k=[1,2]"])
    assert cfg.evaluation.samples == 4
    with pytest.raises(ConfigError, match="second_protocol repeats"):
        load_config("configs/smoke.yaml", ["evaluation.protocol=chat", "evaluation.second_protocol=chat"])


def _eval_records(passed: dict[str, bool], view="benchmark", subject="student", fin="stop") -> list[dict]:
    return [{"subject": subject, "benchmark": "humaneval", "view": view, "protocol": "chat", "task_id": t,
             "sample_index": 0, "passed": p, "finish_reason": fin} for t, p in passed.items()]


def _fake_run(tmp_path, smoke_cfg, per_cycle: dict[int, dict[str, bool]]) -> RunStore:
    """A run directory whose 09_evaluation stages hold the given per-problem outcomes (as `evaluate` writes)."""
    store = RunStore(tmp_path / "run")
    store.write_run_info({"config": config_to_dict(smoke_cfg), "seed": 7})
    for c, passed in per_cycle.items():
        recs = _eval_records(passed)
        n = len(recs)
        metric = {"pass@1": sum(passed.values()) / n, "subject": "student", "benchmark": "humaneval",
                  "view": "benchmark", "protocol": "chat", "n_problems": n, "finish_reasons": {"stop": n - 1, "length": 1},
                  "cut_at_length": 1, "cut_share": 1 / n}
        store.write_records(c, "09_evaluation", recs)
        store.mark_complete(c, "09_evaluation", {"seconds": 1.0, "metrics": [metric],
                                                 "teacher_usage": {"answers": 10, "cut_at_length": 2}})
    return store


def test_cycle_summary_and_report_carry_ci_and_paired_tests(tmp_path, smoke_cfg):
    tasks = [f"HumanEval/{i}" for i in range(30)]
    c0 = {t: i < 10 for i, t in enumerate(tasks)}             # 10/30
    c1 = {t: i < 12 for i, t in enumerate(tasks)}             # 12/30: b=0, c=2 -> p=0.5
    c2 = {t: i < 10 or i >= 20 for i, t in enumerate(tasks)}  # 20/30: vs cycle 0 b=0, c=10 -> p=2/1024
    store = _fake_run(tmp_path, smoke_cfg, {0: c0, 1: c1, 2: c2})
    s1 = cycle_summary(store, smoke_cfg, 1)
    e1 = s1["evaluation_stats"]["benchmark"]
    assert e1["pass@1"] == pytest.approx(0.4) and e1["ci"][0] < 0.4 < e1["ci"][1]
    assert s1["settings"]["eval_engine"] == "hf"
    ct2 = load_config("configs/smoke.yaml", ["evaluation.engine=ctranslate2"])
    assert cycle_summary(store, ct2, 1)["settings"]["eval_engine"] == "ctranslate2 int8"
    assert e1["vs_cycle_0"]["discordant"] == [0, 2] or e1["vs_cycle_0"]["discordant"] == (0, 2)
    assert e1["vs_cycle_0"]["p_value"] == pytest.approx(0.5) and not e1["vs_cycle_0"]["significant"]
    e2 = evaluation_statistics(store, 2)["benchmark"]
    assert e2["vs_cycle_0"]["p_value"] == pytest.approx(2 / 2 ** 10) and e2["vs_cycle_0"]["significant"]
    assert e2["vs_previous"]["cycle"] == 1 and e2["vs_previous"]["discordant"] == (2, 10)
    assert s1["cut_at_length"] == {"09_evaluation:teacher": {"answers": 10, "cut": 2, "share": 0.2},
                                   "evaluation:benchmark": {"answers": 30, "cut": 1, "share": 1 / 30}}
    assert evaluation_statistics(store, 0)["benchmark"]["vs_cycle_0"] is None
    # records written before views existed: grouped by subject and benchmark name
    old = [{k: v for k, v in r.items() if k not in ("view", "protocol", "finish_reason")}
           for r in store.read_records(1, "09_evaluation")]
    old += [{**r, "benchmark": "held_out"} for r in old[:5]] + [{**r, "subject": "teacher"} for r in old[:3]]
    store.write_records(1, "09_evaluation", old)
    assert sorted(evaluation_statistics(store, 1)) == ["benchmark", "held_out", "teacher_benchmark"]
    assert evaluation_statistics(store, 1)["held_out"]["n_problems"] == 5
    store.write_records(1, "09_evaluation", _eval_records(c1))
    assert cut_at_length(store, 5) == {}
    # report: old-style summaries without statistics get them from the records
    for c in (0, 1, 2):
        store.append_metrics({"cycle": c, "kind": "cycle_summary", "benchmark_pass@1": 0.1})
    text = report_table(store.root)
    assert "benchmark (chat, 30 problems): pass@1 0.400 [" in text
    assert "vs cycle 0: +0.07 [+0.00, +0.17], not significant (p=0.50, exact McNemar, 30 problems)" in text
    assert "vs cycle 0: +0.33 [" in text and "significant (p=0.002, exact McNemar, 30 problems)" in text
    assert "vs cycle 1: +0.27 [" in text
    assert "cut at max_new_tokens: 09_evaluation:teacher 2/10 (20%), evaluation:benchmark 1/30 (3%)" in text


def test_pass_at_1_figure_has_error_bars(tmp_path, smoke_cfg):
    from iterkd_lib.figures.records import fig_pass_at_1

    tasks = [f"HumanEval/{i}" for i in range(20)]
    store = _fake_run(tmp_path, smoke_cfg, {0: {t: i < 5 for i, t in enumerate(tasks)},
                                            1: {t: i < 8 for i, t in enumerate(tasks)}})
    for c in (0, 1):
        store.append_metrics(cycle_summary(store, smoke_cfg, c))
    fig = fig_pass_at_1(store)
    bench = next(t for t in fig.data if t.name == "student (benchmark)")
    assert list(bench.y) == [0.25, 0.4]
    ci = [evaluation_statistics(store, c)["benchmark"]["ci"] for c in (0, 1)]
    assert list(bench.error_y.array) == pytest.approx([ci[0][1] - 0.25, ci[1][1] - 0.4])
    assert list(bench.error_y.arrayminus) == pytest.approx([0.25 - ci[0][0], 0.4 - ci[1][0]])
