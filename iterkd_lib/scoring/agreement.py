"""Judge/test agreement: the AUC of a score against a pass/fail verdict, with a bootstrap confidence interval.

- `auc(scores, labels)`: the area under the ROC curve in its Mann-Whitney U form (Mann & Whitney 1947;
  Hanley & McNeil 1982, Radiology 143:29, eq. 1): the share of (passing, failing) pairs in which the passing
  attempt has the higher score, ties counting half. 1.0 = every passing attempt outscores every failing one,
  0.5 = the score cannot tell them apart.
- `bootstrap_auc_ci(...)`: the percentile bootstrap (Efron & Tibshirani 1993, An Introduction to the
  Bootstrap, ch. 13): attempts are resampled with replacement (all attempts of the cycle, the unit the
  score is given to), the AUC recomputed on each resample; the CI is the (alpha/2, 1-alpha/2) quantiles.
  Resamples that hold only passing or only failing attempts have no AUC and are skipped (their number is
  reported); with fewer than half the resamples usable no CI is given.
- `agreement_with_ci(scores, passed)`: the record the cycle summary, notebook 03 and the judge benchmark
  share: n, unparseable count, AUC, CI, the settings of the bootstrap.
- `paired_auc_difference(a, b, passed)`: two scores of the SAME attempts (two judge variants): AUC(a) - AUC(b)
  with a paired percentile-bootstrap CI (one resample of attempts serves both scores, so what the attempts
  share cancels) and the share of resamples in which the difference is <= 0 (a one-sided bootstrap p).

Not covered: correlations (stages/feedback.py keeps the point-biserial one), DeLong's analytic test for
correlated AUCs (the bootstrap needs no variance formula and matches the CIs above), pass@k intervals (scoring/stats.py: its bootstrap resamples means of per-problem values; the AUC is a pair
statistic over two classes, so it is resampled here).
Entry points: `auc`, `bootstrap_auc_ci`, `agreement_with_ci`, `paired_auc_difference`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

N_BOOT = 2000
ALPHA = 0.05


def auc(scores: Sequence[float], labels: Sequence[bool | int]) -> float | None:
    """AUC of `scores` for `labels` (1/True = passed), Mann-Whitney U form, ties half.

    U = sum over (passing p, failing f) of [s_p > s_f] + 0.5 [s_p == s_f]; AUC = U / (n_pass * n_fail).
    Computed by ranks (average ranks for ties) in O(n log n). Returns None when either class is empty.
    Raises ValueError when the two sequences differ in length or a score is None/NaN.
    """
    if len(scores) != len(labels):
        raise ValueError(f"auc: {len(scores)} scores but {len(labels)} labels")
    if any(s is None or math.isnan(s) for s in scores):
        raise ValueError("auc: a score is None or NaN (drop unparseable judgements first)")
    n_pos = sum(1 for y in labels if y)
    n_neg = len(labels) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):  # average 1-based ranks over runs of tied scores
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    rank_sum = sum(r for r, y in zip(ranks, labels) if y)
    u = rank_sum - n_pos * (n_pos + 1) / 2
    return u / (n_pos * n_neg)


def bootstrap_auc_ci(scores: Sequence[float], labels: Sequence[bool | int], n_boot: int = N_BOOT,
                     alpha: float = ALPHA, seed: int = 0) -> tuple[tuple[float, float] | None, int]:
    """((low, high) percentile CI of the AUC, resamples used), resampling attempts with replacement.

    Deterministic for a given `seed`. The CI is None when fewer than n_boot / 2 resamples hold both classes.
    """
    n = len(scores)
    if n == 0 or auc(scores, labels) is None:
        return None, 0
    rng = random.Random(seed)
    values = []
    for _ in range(n_boot):
        idx = [rng.randrange(n) for _ in range(n)]
        a = auc([scores[i] for i in idx], [labels[i] for i in idx])
        if a is not None:
            values.append(a)
    if len(values) < n_boot / 2:
        return None, len(values)
    values.sort()

    def q(p: float) -> float:  # linear interpolation between order statistics
        x = p * (len(values) - 1)
        lo = int(x)
        hi = min(lo + 1, len(values) - 1)
        return values[lo] + (values[hi] - values[lo]) * (x - lo)

    return (q(alpha / 2), q(1 - alpha / 2)), len(values)


def agreement_with_ci(scores: Sequence[float | None], passed: Sequence[bool | int], n_boot: int = N_BOOT,
                      alpha: float = ALPHA, seed: int = 0) -> dict:
    """Agreement of judge scores with test verdicts over all attempts of a cycle.

    `scores[i]` is attempt i's judge score (None = unparseable: counted, left out of the AUC); `passed[i]`
    its test verdict. Returns {n_judged, n_unparseable, unparseable_rate, n (attempts in the AUC), n_passed,
    auc, auc_ci [low, high] or None, ci_level, n_boot, n_boot_used, ci_method, note}.
    """
    if len(scores) != len(passed):
        raise ValueError(f"agreement: {len(scores)} scores but {len(passed)} verdicts")
    pairs = [(float(s), int(bool(y))) for s, y in zip(scores, passed) if s is not None]
    xs, ys = [s for s, _ in pairs], [y for _, y in pairs]
    value = auc(xs, ys) if pairs else None
    ci, used = bootstrap_auc_ci(xs, ys, n_boot, alpha, seed) if value is not None else (None, 0)
    note = None
    if not pairs:
        note = "no parseable judgement"
    elif value is None:
        note = "every attempt passed" if all(ys) else "no attempt passed"
    elif ci is None:
        note = "too few resamples hold both passing and failing attempts for a CI"
    n_bad = len(scores) - len(pairs)
    return {"n_judged": len(scores), "n_unparseable": n_bad,
            "unparseable_rate": (n_bad / len(scores)) if len(scores) else None,
            "n": len(pairs), "n_passed": sum(ys), "auc": value, "auc_ci": list(ci) if ci else None,
            "ci_level": 1 - alpha, "n_boot": n_boot, "n_boot_used": used,
            "ci_method": "percentile bootstrap over attempts", "note": note}


def paired_auc_difference(a: Sequence[float | None], b: Sequence[float | None], passed: Sequence[bool | int],
                          n_boot: int = N_BOOT, alpha: float = ALPHA, seed: int = 0) -> dict:
    """AUC(a) - AUC(b) over the attempts where both scores exist, with a paired percentile-bootstrap CI.

    a, b: two scores per attempt (None = that judgement unreadable; the attempt is left out of both);
    passed: the test verdicts. Returns {n, diff, ci [low, high] or None, p_le_0 (share of usable resamples with
    a difference <= 0), n_boot_used, ci_level}; diff and ci are None when one class is empty. Raises ValueError
    when the sequences differ in length. Deterministic for a given `seed`.
    """
    if not len(a) == len(b) == len(passed):
        raise ValueError(f"paired_auc_difference: {len(a)}, {len(b)} scores and {len(passed)} verdicts")
    rows = [(float(x), float(y), int(bool(p))) for x, y, p in zip(a, b, passed) if x is not None and y is not None]
    out = {"n": len(rows), "diff": None, "ci": None, "p_le_0": None, "n_boot_used": 0, "ci_level": 1 - alpha}
    xs, ys, ls = [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]
    if not rows or auc(xs, ls) is None:
        return out
    out["diff"] = auc(xs, ls) - auc(ys, ls)
    rng = random.Random(seed)
    diffs = []
    for _ in range(n_boot):
        idx = [rng.randrange(len(rows)) for _ in rows]
        lab = [ls[i] for i in idx]
        da = auc([xs[i] for i in idx], lab)
        if da is not None:
            diffs.append(da - auc([ys[i] for i in idx], lab))
    out["n_boot_used"] = len(diffs)
    if len(diffs) >= n_boot / 2:
        diffs.sort()
        lo, hi = diffs[int(alpha / 2 * (len(diffs) - 1))], diffs[int(math.ceil((1 - alpha / 2) * (len(diffs) - 1)))]
        out.update(ci=[lo, hi], p_le_0=sum(d <= 0 for d in diffs) / len(diffs))
    return out
