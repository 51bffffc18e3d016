"""Uncertainty of pass@k over problems, paired tests between two evaluations, and the ratio of two gains.

Every evaluation of the workbench is a measurement over a finite set of problems (164 HumanEval problems,
a few dozen held-out seed problems). This module turns per-problem outcomes into numbers with their
uncertainty, so that a gain inside the noise is reported as such:

- `pass_at_k_ci(outcomes, k)`: pass@k (the mean over problems of the unbiased per-problem estimator,
  `passk.pass_at_k`) with a percentile-bootstrap confidence interval over problems (Efron & Tibshirani,
  *An Introduction to the Bootstrap*, 1993, ch. 6 and 13): problems are resampled with replacement and the
  mean of their per-problem pass@k is recomputed; with several samples per problem the samples of a drawn
  problem travel with it (the problem is the unit of sampling, not the sample).
- `compare_paired(baseline, candidate, k)`: the same problems evaluated twice (two cycles, two runs).
  delta = pass@k(candidate) - pass@k(baseline) with a paired-bootstrap CI (problems resampled jointly), and
  a p-value from
  * the exact McNemar test when each problem has one binary outcome on both sides (greedy pass@1): only
    discordant problems count; with b = problems only the baseline solves and c = problems only the
    candidate solves, under H0 each discordant problem goes either way with probability 1/2, so
    p = min(1, 2 * sum_{i <= min(b, c)} C(b + c, i) / 2^(b + c))  (McNemar 1947, Psychometrika 12:153; the
    exact binomial form, e.g. Agresti, *Categorical Data Analysis*, 3rd ed., sec. 11.1). Computed with
    `scipy.stats.binomtest`, which for p = 1/2 gives exactly this two-sided value.
  * a paired permutation test otherwise (several samples per problem, or k > 1): under H0 the two
    evaluations of a problem are exchangeable, so the labels are swapped within each problem at random
    (`scipy.stats.permutation_test`, permutation_type='samples'; Good, *Permutation Tests*, 2000).
- `ratio_of_gains(base, a, b, k)`: gain(a) / gain(b) with gain(x) = pass@k(x) - pass@k(base), all three on
  the same problems, with a paired-bootstrap CI, and the direct test of a claim gain(a) >= r0 * gain(b)
  through the margin gain(a) - r0 * gain(b), a linear statistic with no division. Near-zero denominators:
  a resample whose gain(b) is below `min_gain` (default half a problem, 0.5 / n_problems) has no finite
  ratio; it is counted (`undefined_share`) and put at +inf when its gain(a) > 0, at -inf otherwise, before
  the percentiles are taken, which can only widen the interval. The observed ratio itself is None when the
  observed gain(b) is below `min_gain`. Read the margin's CI for the claim; the ratio's CI is descriptive.

Defaults: 95% intervals, 10,000 bootstrap resamples (Efron & Tibshirani ch. 13 advise >= 1000 for percentile
intervals; 10,000 keeps the Monte-Carlo error of a 2.5% quantile of a mean over 164 problems well below one
problem's worth), 9,999 permutations, fixed seed 0, so every interval is reproducible. A verdict reads
"+0.04 [-0.01, +0.09], not significant (p=0.31, exact McNemar, 164 problems)".

Not covered: multiple-comparison corrections across many cycles (each comparison is reported alone),
stratified or clustered resampling, Bayesian intervals.

Entry points: `pass_at_k_ci`, `compare_paired`, `ratio_of_gains`, `outcomes_by_task(records)`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from iterkd_lib.scoring.passk import pass_at_k

N_RESAMPLES = 10_000
N_PERMUTATIONS = 9_999
CONFIDENCE = 0.95
ALPHA = 0.05
SEED = 0

Outcomes = Mapping[str, Sequence[bool]]   # task_id -> pass/fail of each sample of that problem


def outcomes_by_task(records: Sequence[Mapping]) -> dict[str, list[bool]]:
    """Group evaluation records ({"task_id", "passed", ...}, one per sample) into task_id -> [passed, ...].

    Order of samples follows `sample_index` when present. Raises ValueError naming a record without the keys."""
    out: dict[str, list[tuple[int, bool]]] = {}
    for i, r in enumerate(records):
        if "task_id" not in r or "passed" not in r:
            raise ValueError(f"record {i}: needs 'task_id' and 'passed', has {sorted(r)}")
        out.setdefault(r["task_id"], []).append((int(r.get("sample_index", len(out.get(r["task_id"], [])))),
                                                 bool(r["passed"])))
    return {t: [p for _, p in sorted(v, key=lambda x: x[0])] for t, v in out.items()}


def per_problem_pass_at_k(outcomes: Outcomes, k: int = 1, tasks: Sequence[str] | None = None) -> np.ndarray:
    """Unbiased pass@k of each problem (shape [n_problems], in `tasks` order or the mapping's order).

    Raises ValueError when a problem has fewer than k samples or no samples."""
    tasks = list(outcomes) if tasks is None else list(tasks)
    vals = []
    for t in tasks:
        s = outcomes[t]
        if len(s) < k:
            raise ValueError(f"problem {t!r} has {len(s)} samples; pass@{k} needs at least {k}")
        vals.append(pass_at_k(len(s), int(sum(bool(x) for x in s)), k))
    return np.asarray(vals, dtype=float)


def _fmt(x: float | None, digits: int, sign: bool = False) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if math.isinf(x):
        return ("+" if x > 0 and sign else "" if x > 0 else "-") + "inf"
    return f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"


def _fmt_p(p: float) -> str:
    return f"{p:.2g}" if p < 0.01 else f"{p:.2f}"


@dataclass(frozen=True)
class Estimate:
    """A pass@k over problems with its CI. `low`/`high` are None with fewer than two problems.

    Fields: value (fraction in [0, 1]), low, high, confidence (e.g. 0.95), k, n_problems,
    samples_per_problem (smallest count over problems), method, n_resamples, seed."""

    value: float
    low: float | None
    high: float | None
    confidence: float
    k: int
    n_problems: int
    samples_per_problem: int
    method: str
    n_resamples: int
    seed: int

    def text(self, digits: int = 2) -> str:
        """'0.31 [0.24, 0.38]'."""
        return f"{_fmt(self.value, digits)} [{_fmt(self.low, digits)}, {_fmt(self.high, digits)}]"

    def as_dict(self) -> dict:
        return asdict(self)


def _percentile_ci(boot: np.ndarray, confidence: float) -> tuple[float, float]:
    a = (1 - confidence) / 2
    lo, hi = np.quantile(boot, [a, 1 - a])
    return float(lo), float(hi)


def _bootstrap_means(columns: Sequence[np.ndarray], n_resamples: int, seed: int) -> list[np.ndarray]:
    """Means of each column over the same resampled problem indices (paired): shapes [n_resamples] each.

    Percentile bootstrap over problems (Efron & Tibshirani 1993, ch. 13); done with numpy index draws rather
    than scipy.stats.bootstrap because the ratio statistic needs its own handling of zero denominators and all
    statistics of one comparison must see the very same resamples."""
    n = len(columns[0])
    rng = np.random.default_rng(seed)
    means = [np.empty(n_resamples) for _ in columns]
    chunk = max(1, 2_000_000 // max(n, 1))   # bounded memory: ~16 MB of indices at a time
    for start in range(0, n_resamples, chunk):
        stop = min(n_resamples, start + chunk)
        idx = rng.integers(0, n, size=(stop - start, n))
        for m, col in zip(means, columns):
            m[start:stop] = col[idx].mean(axis=1)
    return means


def pass_at_k_ci(outcomes: Outcomes, k: int = 1, *, confidence: float = CONFIDENCE,
                 n_resamples: int = N_RESAMPLES, seed: int = SEED) -> Estimate:
    """pass@k over problems with a percentile-bootstrap CI over problems (see module docstring).

    outcomes: task_id -> list of per-sample pass/fail (>= k samples each). Raises ValueError when empty."""
    if not outcomes:
        raise ValueError("pass_at_k_ci: no problems")
    vals = per_problem_pass_at_k(outcomes, k)
    value = float(vals.mean())
    low = high = None
    if len(vals) >= 2:
        (boot,) = _bootstrap_means([vals], n_resamples, seed)
        low, high = _percentile_ci(boot, confidence)
    return Estimate(value=value, low=low, high=high, confidence=confidence, k=k, n_problems=len(vals),
                    samples_per_problem=min(len(s) for s in outcomes.values()), method="percentile bootstrap over problems",
                    n_resamples=n_resamples, seed=seed)


@dataclass(frozen=True)
class Comparison:
    """candidate - baseline on the same problems.

    Fields: delta (difference of pass@k, fraction), low/high (paired-bootstrap CI; None with < 2 problems),
    p_value (two-sided), test ('exact McNemar' or 'paired permutation'), n_problems, k, confidence,
    baseline / candidate (the two pass@k values), discordant (b, c) for McNemar: problems solved only by the
    baseline / only by the candidate; significant = p_value < alpha."""

    delta: float
    low: float | None
    high: float | None
    p_value: float
    test: str
    n_problems: int
    k: int
    confidence: float
    baseline: float
    candidate: float
    discordant: tuple[int, int] | None
    alpha: float = ALPHA
    n_resamples: int = N_RESAMPLES
    seed: int = SEED

    @property
    def significant(self) -> bool:
        return self.p_value < self.alpha

    def verdict(self, digits: int = 2) -> str:
        """'+0.04 [-0.01, +0.09], not significant (p=0.31, exact McNemar, 164 problems)'."""
        word = "significant" if self.significant else "not significant"
        return (f"{_fmt(self.delta, digits, True)} [{_fmt(self.low, digits, True)}, {_fmt(self.high, digits, True)}], "
                f"{word} (p={_fmt_p(self.p_value)}, {self.test}, {self.n_problems} problems)")

    def as_dict(self) -> dict:
        return {**asdict(self), "significant": self.significant, "verdict": self.verdict()}


def _paired_tasks(a: Outcomes, b: Outcomes, what: str = "baseline and candidate") -> list[str]:
    if set(a) != set(b):
        only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
        raise ValueError(f"paired comparison needs the same problems in {what}: "
                         f"{len(only_a)} only in the first ({only_a[:5]}), {len(only_b)} only in the second ({only_b[:5]})")
    if not a:
        raise ValueError("paired comparison: no problems")
    return list(a)


def mcnemar_exact_p(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts b and c (see module docstring); 1.0 if b+c=0."""
    if b < 0 or c < 0:
        raise ValueError(f"mcnemar_exact_p: counts must be >= 0, got b={b}, c={c}")
    if b + c == 0:
        return 1.0
    from scipy.stats import binomtest

    return float(min(1.0, binomtest(min(b, c), b + c, 0.5).pvalue))


def compare_paired(baseline: Outcomes, candidate: Outcomes, k: int = 1, *, confidence: float = CONFIDENCE,
                   alpha: float = ALPHA, n_resamples: int = N_RESAMPLES, n_permutations: int = N_PERMUTATIONS,
                   seed: int = SEED) -> Comparison:
    """Paired comparison of two evaluations on the same problems (see module docstring for the tests).

    Raises ValueError when the problem sets differ (naming some of the differing task ids)."""
    tasks = _paired_tasks(baseline, candidate)
    va = per_problem_pass_at_k(baseline, k, tasks)
    vb = per_problem_pass_at_k(candidate, k, tasks)
    diff = vb - va
    binary = k == 1 and all(len(baseline[t]) == 1 and len(candidate[t]) == 1 for t in tasks)
    discordant = None
    if binary:
        b = int(np.sum((va == 1) & (vb == 0)))
        c = int(np.sum((va == 0) & (vb == 1)))
        discordant = (b, c)
        p, test = mcnemar_exact_p(b, c), "exact McNemar"
    elif not diff.any():
        p, test = 1.0, "paired permutation"
    else:
        from scipy.stats import permutation_test

        res = permutation_test((va, vb), lambda x, y, axis=-1: np.mean(y - x, axis=axis), vectorized=True,
                               permutation_type="samples", n_resamples=n_permutations,
                               rng=np.random.default_rng(seed))
        p, test = float(min(1.0, res.pvalue)), "paired permutation"
    low = high = None
    if len(tasks) >= 2:
        (boot,) = _bootstrap_means([diff], n_resamples, seed)
        low, high = _percentile_ci(boot, confidence)
    return Comparison(delta=float(diff.mean()), low=low, high=high, p_value=p, test=test, n_problems=len(tasks),
                      k=k, confidence=confidence, baseline=float(va.mean()), candidate=float(vb.mean()),
                      discordant=discordant, alpha=alpha, n_resamples=n_resamples, seed=seed)


@dataclass(frozen=True)
class GainRatio:
    """gain(a) / gain(b) against a common base, and the claim gain(a) >= ref_ratio * gain(b).

    Fields: gain_a, gain_b (fractions), ratio (None when gain_b < min_gain), ratio_low / ratio_high (may be
    +-inf; see module docstring), undefined_share (fraction of resamples with gain_b < min_gain), margin =
    gain_a - ref_ratio * gain_b with margin_low / margin_high, p_claim_fails = share of resamples with
    margin < 0 (a one-sided bootstrap p-value for H0: the claim fails), supported = margin_low > 0."""

    gain_a: float
    gain_b: float
    ratio: float | None
    ratio_low: float | None
    ratio_high: float | None
    undefined_share: float
    ref_ratio: float
    margin: float
    margin_low: float | None
    margin_high: float | None
    p_claim_fails: float
    min_gain: float
    n_problems: int
    k: int
    confidence: float
    n_resamples: int
    seed: int

    @property
    def supported(self) -> bool:
        return self.margin_low is not None and self.margin_low > 0

    def verdict(self, digits: int = 2) -> str:
        """'ratio 1.80 [0.60, inf] (12% of resamples with gain(b) ~ 0); claim gain(a) >= 1.3 x gain(b) not
        supported: margin -0.01 [-0.05, +0.03], 164 problems'."""
        r = (f"ratio {_fmt(self.ratio, digits)} [{_fmt(self.ratio_low, digits)}, "
             f"{_fmt(self.ratio_high, digits)}]" if self.ratio is not None
             else f"ratio undefined (gain(b) = {_fmt(self.gain_b, digits, True)} < {self.min_gain:.3g})")
        word = "supported" if self.supported else "not supported"
        return (f"{r} ({self.undefined_share:.0%} of resamples with gain(b) ~ 0); claim gain(a) >= "
                f"{self.ref_ratio:g} x gain(b) {word}: margin {_fmt(self.margin, digits, True)} "
                f"[{_fmt(self.margin_low, digits, True)}, {_fmt(self.margin_high, digits, True)}], "
                f"{self.n_problems} problems")

    def as_dict(self) -> dict:
        return {**asdict(self), "supported": self.supported, "verdict": self.verdict()}


def ratio_of_gains(base: Outcomes, a: Outcomes, b: Outcomes, k: int = 1, *, ref_ratio: float = 1.3,
                   min_gain: float | None = None, confidence: float = CONFIDENCE, n_resamples: int = N_RESAMPLES,
                   seed: int = SEED) -> GainRatio:
    """gain(a) / gain(b) over `base` with a paired bootstrap (see module docstring for near-zero denominators).

    min_gain: smallest gain(b) treated as non-zero, as a fraction (default 0.5 / n_problems). Raises
    ValueError when the three problem sets differ."""
    tasks = _paired_tasks(base, a, "base and a")
    _paired_tasks(base, b, "base and b")
    v0, va, vb = (per_problem_pass_at_k(x, k, tasks) for x in (base, a, b))
    n = len(tasks)
    min_gain = 0.5 / n if min_gain is None else min_gain
    da, db = va - v0, vb - v0
    gain_a, gain_b = float(da.mean()), float(db.mean())
    ratio = gain_a / gain_b if gain_b >= min_gain else None
    margin = gain_a - ref_ratio * gain_b
    ga, gb = _bootstrap_means([da, db], n_resamples, seed)
    ok = gb >= min_gain
    ratios = np.where(ok, ga / np.where(ok, gb, 1.0), np.where(ga > 0, np.inf, -np.inf))
    a_ = (1 - confidence) / 2
    r_lo, r_hi = (float(x) for x in np.quantile(ratios, [a_, 1 - a_], method="inverted_cdf"))
    margins = ga - ref_ratio * gb
    m_lo, m_hi = _percentile_ci(margins, confidence) if n >= 2 else (None, None)
    return GainRatio(gain_a=gain_a, gain_b=gain_b, ratio=ratio, ratio_low=r_lo if n >= 2 else None,
                     ratio_high=r_hi if n >= 2 else None, undefined_share=float(1 - ok.mean()), ref_ratio=ref_ratio,
                     margin=margin, margin_low=m_lo, margin_high=m_hi, p_claim_fails=float((margins < 0).mean()),
                     min_gain=min_gain, n_problems=n, k=k, confidence=confidence, n_resamples=n_resamples, seed=seed)
