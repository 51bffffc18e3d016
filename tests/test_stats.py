"""Statistics of evaluations: hand-computable McNemar p-values, CI coverage, paired tests, ratio of gains."""

from math import comb

import numpy as np
import pytest

from iterkd_lib.scoring.stats import (
    compare_paired,
    mcnemar_exact_p,
    outcomes_by_task,
    pass_at_k_ci,
    per_problem_pass_at_k,
    ratio_of_gains,
)


def binary(values) -> dict[str, list[bool]]:
    return {f"T/{i}": [bool(v)] for i, v in enumerate(values)}


def test_mcnemar_exact_matches_the_binomial_formula():
    # b=1, c=6: p = 2 * (C(7,0) + C(7,1)) / 2^7 = 16/128
    assert mcnemar_exact_p(1, 6) == pytest.approx(0.125)
    assert mcnemar_exact_p(6, 1) == pytest.approx(0.125)
    assert mcnemar_exact_p(0, 5) == pytest.approx(2 / 32)
    assert mcnemar_exact_p(0, 0) == 1.0
    assert mcnemar_exact_p(4, 4) == 1.0
    b, c = 3, 10
    assert mcnemar_exact_p(b, c) == pytest.approx(2 * sum(comb(13, i) for i in range(b + 1)) / 2 ** 13)
    with pytest.raises(ValueError, match="counts"):
        mcnemar_exact_p(-1, 2)


def test_identical_evaluations_give_zero_delta_and_p_one():
    rng = np.random.default_rng(1)
    a = binary(rng.random(164) < 0.3)
    cmp = compare_paired(a, a)
    assert cmp.delta == 0 and cmp.p_value == 1.0 and (cmp.low, cmp.high) == (0.0, 0.0)
    assert cmp.test == "exact McNemar" and cmp.discordant == (0, 0)
    assert cmp.verdict() == "+0.00 [+0.00, +0.00], not significant (p=1.00, exact McNemar, 164 problems)"


def test_mcnemar_comparison_counts_discordant_problems():
    # 164 problems: 40 solved by both, 3 only by the baseline, 10 only by the candidate, the rest by neither
    base = [1] * 40 + [1] * 3 + [0] * 10 + [0] * 111
    cand = [1] * 40 + [0] * 3 + [1] * 10 + [0] * 111
    cmp = compare_paired(binary(base), binary(cand))
    assert cmp.discordant == (3, 10)
    assert cmp.delta == pytest.approx(7 / 164)
    assert cmp.p_value == pytest.approx(2 * sum(comb(13, i) for i in range(4)) / 2 ** 13)   # 0.0923
    assert not cmp.significant
    assert cmp.low < cmp.delta < cmp.high
    assert cmp.verdict() == (f"+0.04 [{cmp.low:+.2f}, {cmp.high:+.2f}], not significant "
                             f"(p=0.09, exact McNemar, 164 problems)")
    strong = compare_paired(binary(base), binary([1] * 40 + [0] * 3 + [1] * 30 + [0] * 91))   # b=3, c=30
    assert strong.significant and strong.low > 0 and "significant (p=" in strong.verdict()
    assert "not significant" not in strong.verdict()


def test_paired_comparison_refuses_different_problem_sets():
    with pytest.raises(ValueError, match="same problems.*T/2"):
        compare_paired(binary([1, 0, 1]), binary([1, 0]))


def test_ci_coverage_is_near_nominal():
    """Bernoulli(0.3) over 120 problems: the 95% percentile interval covers 0.3 in about 95% of 300 draws."""
    rng = np.random.default_rng(7)
    hits = 0
    for r in range(300):
        est = pass_at_k_ci(binary(rng.random(120) < 0.3), n_resamples=2000, seed=r)
        hits += est.low <= 0.3 <= est.high
    assert 0.89 <= hits / 300 <= 0.99


def test_ci_is_seeded_and_bounded():
    data = binary([1, 0, 0, 1, 1, 0, 0, 0, 1, 0])
    a, b = pass_at_k_ci(data, seed=3), pass_at_k_ci(data, seed=3)
    assert a == b and a.value == pytest.approx(0.4) and 0 <= a.low < 0.4 < a.high <= 1
    assert a.text() == f"0.40 [{a.low:.2f}, {a.high:.2f}]"
    one = pass_at_k_ci({"T/0": [True]})
    assert one.low is None and one.text() == "1.00 [n/a, n/a]"
    with pytest.raises(ValueError, match="no problems"):
        pass_at_k_ci({})


def test_several_samples_per_problem_use_unbiased_pass_at_k_and_permutation_test():
    # 4 samples per problem; pass@2 of a problem with 1 of 4 correct = 1 - C(3,2)/C(4,2) = 0.5
    outs = {"A": [True, False, False, False], "B": [True, True, True, True], "C": [False] * 4}
    assert per_problem_pass_at_k(outs, 2).tolist() == [0.5, 1.0, 0.0]
    est = pass_at_k_ci(outs, k=2)
    assert est.value == pytest.approx(0.5) and est.samples_per_problem == 4 and est.k == 2
    with pytest.raises(ValueError, match="needs at least 5"):
        per_problem_pass_at_k(outs, 5)
    rng = np.random.default_rng(0)
    base = {f"T/{i}": list(rng.random(4) < 0.3) for i in range(60)}
    better = {f"T/{i}": list(rng.random(4) < 0.7) for i in range(60)}
    cmp = compare_paired(base, better)
    assert cmp.test == "paired permutation" and cmp.discordant is None
    assert cmp.delta > 0.25 and cmp.p_value < 0.01 and cmp.low > 0
    same = compare_paired(base, base)
    assert same.p_value == 1.0 and same.delta == 0


def test_ratio_of_gains_exact_case_and_zero_denominator():
    n = 100
    base = binary([0] * n)
    a = binary([1] * 20 + [0] * 80)           # gain 0.20
    b = binary([0] * 50 + [1] * 10 + [0] * 40)   # gain 0.10, on problems a does not solve
    r = ratio_of_gains(base, a, b)
    assert r.gain_a == pytest.approx(0.2) and r.gain_b == pytest.approx(0.1)
    assert r.ratio == pytest.approx(2.0) and r.margin == pytest.approx(0.2 - 1.3 * 0.1)
    assert r.ratio_low < 2.0 < r.ratio_high and r.undefined_share == 0
    assert r.margin_low < r.margin < r.margin_high
    # the claim is not resolvable with 100 problems and these gains
    assert not r.supported and "not supported" in r.verdict()
    # a big gap makes the claim supported
    strong = ratio_of_gains(base, binary([1] * 45 + [0] * 55), b)
    assert strong.supported and strong.margin_low > 0 and "supported" in strong.verdict()
    # no gain for b: ratio undefined, resamples counted, interval unbounded above
    none = ratio_of_gains(base, a, base)
    assert none.ratio is None and none.undefined_share == 1.0 and none.ratio_high == np.inf
    assert "ratio undefined" in none.verdict()


def test_outcomes_by_task_orders_samples():
    recs = [{"task_id": "A", "sample_index": 1, "passed": True}, {"task_id": "A", "sample_index": 0, "passed": False},
            {"task_id": "B", "sample_index": 0, "passed": True}]
    assert outcomes_by_task(recs) == {"A": [False, True], "B": [True]}
    with pytest.raises(ValueError, match="record 0"):
        outcomes_by_task([{"task_id": "A"}])
