"""The `evaluate` metric module (`iterkd_lib/metrics/iterkd_code_eval`): loads offline by path, has
code_eval's input/output shape, and agrees candidate by candidate with `iterkd evaluate-samples`
(both through the real sandbox)."""

import json
from pathlib import Path

import evaluate
import pytest

from iterkd_lib.cli import main

METRIC = str(Path(__file__).resolve().parents[1] / "iterkd_lib" / "metrics" / "iterkd_code_eval")


@pytest.fixture(scope="module")
def metric(tmp_path_factory, monkeypatch_module):
    cache = tmp_path_factory.mktemp("hf")
    monkeypatch_module.setenv("HF_EVALUATE_OFFLINE", "1")
    monkeypatch_module.setenv("HF_HOME", str(cache))
    return evaluate.load(METRIC, cache_dir=str(cache / "evaluate"))


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def test_code_eval_shape_on_plain_asserts(metric):
    pass_at_k, results = metric.compute(
        predictions=[["def add(a, b):\n    return a + b", "def add(a, b):\n    return a - b"],
                     ["def half(x):\n    return x / 2", "def half(x)\n    return x", "while True:\n    pass"]],
        references=["assert add(2, 3) == 5\nassert add(0, 0) == 0", "assert half(4) == 2"],
        k=[1, 2, 3], timeout=1.0, num_workers=2)
    assert pass_at_k == pytest.approx({"pass@1": (1 / 2 + 1 / 3) / 2, "pass@2": (1 + 2 / 3) / 2})  # no pass@3: 2 < 3
    assert [c for c, _ in results[0]] == [0, 1] and results[0][0][1] == {
        "task_id": 0, "completion_id": 0, "passed": True, "result": "passed"}
    assert results[0][1][1]["result"].startswith("failed: AssertionError")
    assert results[1][1][1]["result"].startswith("failed: SyntaxError")
    assert results[1][2][1]["result"] == "timed out"


def test_agrees_with_evaluate_samples(metric, tmp_path, capsys, humaneval_problems):
    problems = humaneval_problems[:6]
    wrong = ["    return None\n", "    return [\n", "    while True:\n        pass\n", "    import sys\n    sys.exit(0)\n"]
    samples = []
    for i, p in enumerate(problems):
        samples.append({"task_id": p["task_id"], "completion": p["canonical_solution"]})
        samples.append({"task_id": p["task_id"], "completion": wrong[i % len(wrong)]})
    samples_path = tmp_path / "samples.jsonl"
    samples_path.write_text("".join(json.dumps(s) + "\n" for s in samples))
    problems_path = tmp_path / "problems.jsonl"   # evaluate-samples refuses samples that skip problems
    problems_path.write_text("".join(json.dumps(p) + "\n" for p in problems))
    assert main(["evaluate-samples", str(samples_path), "--problems", str(problems_path), "--k", "1,2",
                 "--timeout", "2"]) == 0
    cli = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    cli_results = [json.loads(line) for line in Path(str(samples_path) + "_results.jsonl").read_text().splitlines()]

    by_task = {p["task_id"]: p for p in problems}
    predictions = [[p["prompt"] + s["completion"] for s in samples if s["task_id"] == p["task_id"]] for p in problems]
    references = [f"{p['test']}\ncheck({p['entry_point']})" for p in problems]
    pass_at_k, results = metric.compute(predictions=predictions, references=references, k=[1, 2], timeout=2.0)
    assert pass_at_k == pytest.approx(cli) and cli == pytest.approx({"pass@1": 0.5, "pass@2": 1.0})
    ours = [r["passed"] for t in range(len(problems)) for _, r in results[t]]
    theirs = [r["passed"] for r in cli_results]
    assert ours == theirs == [True, False] * len(problems)
    kinds = [r["result"].split(":")[0] for t in range(len(problems)) for _, r in results[t]]
    assert kinds == [r["result"].split(":")[0] for r in cli_results]
    assert set(by_task) == {r["task_id"] for r in cli_results}
