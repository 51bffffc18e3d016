"""pass@k estimator against brute-force combinatorics; evaluate_samples and the CLI on a small problem set."""

import itertools
import json
import math

import pytest

from iterkd_lib.cli import main
from iterkd_lib.problems import write_problems
from iterkd_lib.scoring.passk import evaluate_samples, pass_at_k

PROBLEM = {"task_id": "t/0", "prompt": "def inc(x):\n", "entry_point": "inc",
           "test": "def check(candidate):\n    assert candidate(1) == 2\n    assert candidate(5) == 6\n"}
GOOD, BAD = "    return x + 1\n", "    return x\n"


@pytest.mark.parametrize("n, c", [(5, 0), (5, 2), (6, 6), (10, 3), (7, 1)])
def test_matches_enumerating_every_k_subset(n, c):
    samples = [True] * c + [False] * (n - c)
    for k in range(1, n + 1):
        subsets = list(itertools.combinations(samples, k))
        expected = sum(any(s) for s in subsets) / len(subsets)
        assert pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12)


def test_large_n_is_stable_and_equals_closed_form():
    assert pass_at_k(200, 13, 100) == pytest.approx(1 - math.comb(187, 100) / math.comb(200, 100), rel=1e-9)
    assert pass_at_k(10, 1, 1) == pytest.approx(0.1)


@pytest.mark.parametrize("n, c, k", [(0, 0, 1), (3, 4, 1), (3, 1, 4), (3, 1, 0)])
def test_invalid_arguments_raise(n, c, k):
    with pytest.raises(ValueError):
        pass_at_k(n, c, k)


def _samples(tmp_path, lines):
    path = tmp_path / "samples.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


def test_evaluate_samples_writes_results_and_pass_at_k(tmp_path):
    path = _samples(tmp_path, [{"task_id": "t/0", "completion": c} for c in (GOOD, BAD, BAD, GOOD)])
    result = evaluate_samples(path, [PROBLEM], ks=(1, 2, 10))
    assert result == {"pass@1": pytest.approx(0.5), "pass@2": pytest.approx(1 - 1 / 6)}  # k=10 > n: skipped
    rows = [json.loads(x) for x in (tmp_path / "samples.jsonl_results.jsonl").read_text().splitlines()]
    assert [r["passed"] for r in rows] == [True, False, False, True]
    assert rows[0]["result"] == "passed" and rows[1]["result"].startswith("failed: AssertionError")
    assert rows[2]["completion"] == BAD


def test_bad_sample_line_and_unknown_task_name_file_and_line(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps({"task_id": "t/0", "completion": GOOD}) + "\n" + '{"task_id": "t/0"}\n')
    with pytest.raises(ValueError, match=r"s.jsonl:2: key 'completion' missing"):
        evaluate_samples(path, [PROBLEM])
    path.write_text(json.dumps({"task_id": "nope", "completion": GOOD}) + "\n")
    with pytest.raises(ValueError, match=r"s.jsonl:1: unknown task_id 'nope'"):
        evaluate_samples(path, [PROBLEM])


def test_cli_evaluate_samples(tmp_path, capsys):
    write_problems(tmp_path / "problems.jsonl", [PROBLEM])
    path = _samples(tmp_path, [{"task_id": "t/0", "completion": c} for c in (GOOD, BAD)])
    assert main(["evaluate-samples", str(path), "--problems", str(tmp_path / "problems.jsonl"), "--k", "1,2",
                 "--timeout", "3"]) == 0
    assert json.loads(capsys.readouterr().out) == {"pass@1": 0.5, "pass@2": 1.0}
    (tmp_path / "broken.jsonl").write_text("{oops\n")
    assert main(["evaluate-samples", str(tmp_path / "broken.jsonl"), "--problems",
                 str(tmp_path / "problems.jsonl")]) == 2
    assert "broken.jsonl:1" in capsys.readouterr().err
