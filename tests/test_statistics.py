"""The statistics module on known answers: the block-count bootstrap equals resampling pairs,
intervals cover the true AUPR at about the nominal rate, paired tests and Holm behave as
defined, and ranks across datasets match scipy and Demšar's table."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import average_precision_score, roc_auc_score

from grnbench.evaluation import statistics as st
from grnbench.evaluation.metrics import early_precision, evaluate


def population_aupr(mu: float, rate: float) -> float:
    """Average precision of the population: positives' scores N(mu, 1), negatives' N(0, 1)."""
    t = np.linspace(mu + 9, -9, 400_001)
    tpr, fpr = stats.norm.sf(t - mu), stats.norm.sf(t)
    precision = rate * tpr / (rate * tpr + (1 - rate) * fpr)
    return float(np.sum(np.diff(tpr) * precision[1:]))


def simulated(rng: np.random.Generator, n_pos: int, n_neg: int, mu: float, decimals: int | None = None):
    labels = np.r_[np.ones(n_pos, bool), np.zeros(n_neg, bool)]
    scores = np.r_[rng.normal(mu, 1, n_pos), rng.normal(0, 1, n_neg)]
    return labels, (np.round(scores, decimals) if decimals is not None else scores)


def block_counts(labels: np.ndarray, scores: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    blocks = st.Blocks.of(labels, scores)
    tp = np.bincount(blocks.codes[labels], weights[labels], minlength=blocks.n_blocks)
    neg = np.bincount(blocks.codes[~labels], weights[~labels], minlength=2 * blocks.n_blocks + 1)
    return tp[None, :], neg[None, :]


@pytest.mark.parametrize("decimals", [None, 1, 0])  # continuous scores, many ties, few levels
def test_block_metrics_equal_the_metrics_of_the_unresampled_pairs(decimals) -> None:
    rng = np.random.default_rng(7)
    for _ in range(60):
        n_pos, n_neg = int(rng.integers(1, 20)), int(rng.integers(1, 60))
        labels, scores = simulated(rng, n_pos, n_neg, rng.uniform(0, 2), decimals)
        got = st.block_metrics(*block_counts(labels, scores, np.ones(len(labels))))
        want = evaluate(labels, scores, 10)
        assert got["aupr"][0] == pytest.approx(want.aupr)
        assert got["auroc"][0] == pytest.approx(want.auroc)
        assert got["early_precision"][0] == pytest.approx(want.early_precision)


@pytest.mark.parametrize("decimals", [None, 1])
def test_block_counts_of_a_resample_give_the_metrics_of_the_resampled_pairs(decimals) -> None:
    """The reduction behind the vectorised bootstrap: any resample (pair multiplicities) gives the
    same AUPR and AUROC through block counts as sklearn on the resampled pairs themselves."""
    rng = np.random.default_rng(3)
    labels, scores = simulated(rng, 25, 200, 1.0, decimals)
    pos, neg = np.flatnonzero(labels), np.flatnonzero(~labels)
    for _ in range(40):
        drawn = np.r_[rng.choice(pos, len(pos)), rng.choice(neg, len(neg))]
        weights = np.bincount(drawn, minlength=len(labels)).astype(float)
        got = st.block_metrics(*block_counts(labels, scores, weights))
        assert got["aupr"][0] == pytest.approx(average_precision_score(labels[drawn], scores[drawn]))
        assert got["auroc"][0] == pytest.approx(roc_auc_score(labels[drawn], scores[drawn]))
        assert got["early_precision"][0] == pytest.approx(early_precision(labels[drawn].astype(int), scores[drawn], len(pos)))


def test_vectorised_bootstrap_matches_resampling_pairs_in_distribution() -> None:
    rng = np.random.default_rng(11)
    labels, scores = simulated(rng, 30, 300, 1.2, 1)
    (fast,) = st.resampled_metrics(labels, [scores], seed=0, n_resamples=4000)
    pos, neg = np.flatnonzero(labels), np.flatnonzero(~labels)
    naive = []
    for _ in range(1500):
        drawn = np.r_[rng.choice(pos, len(pos)), rng.choice(neg, len(neg))]
        naive.append(average_precision_score(labels[drawn], scores[drawn]))
    for q in (0.025, 0.5, 0.975):
        assert np.quantile(fast["aupr"], q) == pytest.approx(np.quantile(naive, q), abs=0.03)


def test_intervals_are_seeded_and_contain_the_observed_value() -> None:
    labels, scores = simulated(np.random.default_rng(1), 40, 400, 1.0)
    a = st.bootstrap_intervals(labels, scores, seed=5)
    assert a == st.bootstrap_intervals(labels, scores, seed=5)
    assert a != st.bootstrap_intervals(labels, scores, seed=6)
    observed = evaluate(labels, scores)
    for metric in ("aupr", "auroc", "early_precision"):
        assert a[f"{metric}_ci_low"] <= getattr(observed, metric) <= a[f"{metric}_ci_high"]
    assert set(a) == set(st.INTERVAL_COLUMNS)


def test_interval_covers_the_true_aupr_at_about_the_nominal_rate() -> None:
    """200 simulated test sets (50 positives, 950 negatives): the 95% interval must cover the
    population AUPR in at least 90% of them."""
    truth = population_aupr(1.5, 50 / 1000)
    rng = np.random.default_rng(2026)
    covered = 0
    for case in range(200):
        labels, scores = simulated(rng, 50, 950, 1.5)
        ci = st.bootstrap_intervals(labels, scores, seed=case)
        covered += ci["aupr_ci_low"] <= truth <= ci["aupr_ci_high"]
    assert covered >= 180, f"covered {covered} of 200"


@pytest.mark.slow
@pytest.mark.parametrize(("n_pos", "n_neg", "mu", "decimals"), [(50, 950, 1.5, None), (100, 2000, 1.0, None),
                                                                 (50, 950, 1.5, 1), (200, 800, 0.5, None)])
def test_interval_coverage_across_settings(n_pos, n_neg, mu, decimals) -> None:
    """500 cases per setting; with tied scores the truth is the AUPR of the rounded population,
    estimated from one very large sample."""
    rng = np.random.default_rng(99)
    if decimals is None:
        truth = population_aupr(mu, n_pos / (n_pos + n_neg))
    else:
        big_labels, big_scores = simulated(rng, n_pos * 2000, n_neg * 2000, mu, decimals)
        truth = evaluate(big_labels, big_scores).aupr
    covered = 0
    for case in range(500):
        labels, scores = simulated(rng, n_pos, n_neg, mu, decimals)
        ci = st.bootstrap_intervals(labels, scores, seed=case)
        covered += ci["aupr_ci_low"] <= truth <= ci["aupr_ci_high"]
    assert covered >= 0.9 * 500, f"covered {covered} of 500"


def test_bootstrap_of_100k_pairs_takes_seconds() -> None:
    labels, scores = simulated(np.random.default_rng(0), 2_000, 98_000, 1.0)
    started = time.perf_counter()
    st.bootstrap_intervals(labels, scores, seed=0, n_resamples=1_000)
    assert time.perf_counter() - started < 20  # about 1 s alone; generous for a shared machine


def test_no_positives_or_no_negatives_give_nan_intervals() -> None:
    out = st.bootstrap_intervals(np.zeros(10, bool), np.arange(10.0), seed=0)
    assert all(math.isnan(v) for v in out.values())


# ---------------------------------------------------------------- paired comparisons


def test_a_method_compared_with_itself_differs_by_nothing() -> None:
    labels, scores = simulated(np.random.default_rng(4), 20, 200, 1.0)
    (c,) = st.paired_comparisons(labels, {"a": scores, "b": scores.copy()}, seed=0)
    assert c.difference == 0 and c.ci_low == 0 and c.ci_high == 0
    assert c.p_value == 1 and not c.resolved


def test_a_strong_method_is_resolved_from_random_on_a_large_test_set() -> None:
    rng = np.random.default_rng(5)
    labels, strong = simulated(rng, 200, 2000, 2.0)
    noise = rng.normal(size=len(labels))
    comparisons = st.paired_comparisons(labels, {"strong": strong, "random": noise}, seed=1)
    (c,) = comparisons
    assert c.difference > 0 and c.ci_low > 0 and c.resolved
    assert c.aupr_a == pytest.approx(average_precision_score(labels, strong))


def test_paired_interval_is_narrower_than_the_unpaired_difference_for_similar_methods() -> None:
    """Two methods whose scores share most of their signal: pairing removes the shared test-set
    variance, so the paired interval of the difference is far narrower than one built from the
    two separate intervals."""
    rng = np.random.default_rng(6)
    labels, base = simulated(rng, 40, 400, 1.2)
    a, b = base + 0.2 * rng.normal(size=len(base)), base + 0.2 * rng.normal(size=len(base))
    (c,) = st.paired_comparisons(labels, {"a": a, "b": b}, seed=0)
    ia, ib = st.bootstrap_intervals(labels, a, 0), st.bootstrap_intervals(labels, b, 0)
    separate = (ia["aupr_ci_high"] - ia["aupr_ci_low"]) + (ib["aupr_ci_high"] - ib["aupr_ci_low"])
    assert (c.ci_high - c.ci_low) < 0.5 * separate


def test_holm_adjusts_step_down() -> None:
    assert st.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    out = st.holm([0.01, float("nan"), 0.02])
    assert out[0] == pytest.approx(0.02) and math.isnan(out[1]) and out[2] == pytest.approx(0.02)


def test_comparisons_are_holm_adjusted_within_the_test_set() -> None:
    rng = np.random.default_rng(8)
    labels, base = simulated(rng, 30, 300, 1.0)
    scores = {name: base + k * rng.normal(size=len(base)) for k, name in enumerate(["a", "b", "c", "d"])}
    comparisons = st.paired_comparisons(labels, scores, seed=2)
    assert len(comparisons) == 6
    assert [c.p_holm for c in comparisons] == pytest.approx(st.holm([c.p_value for c in comparisons]))
    assert all(c.p_holm >= c.p_value for c in comparisons)


def test_bootstrap_p_value_is_never_zero_and_two_sided() -> None:
    assert st.bootstrap_p_value(np.ones(999)) == pytest.approx(2 / 1000)
    assert st.bootstrap_p_value(-np.ones(999)) == pytest.approx(2 / 1000)
    assert st.bootstrap_p_value(np.r_[np.ones(500), -np.ones(500)]) == 1.0


# ---------------------------------------------------------------- across repeats and datasets


def test_t_interval_matches_scipy_and_is_clipped_to_the_metric_range() -> None:
    values = np.array([0.30, 0.35, 0.32, 0.40])
    low, high = st.t_interval(values)
    want = stats.t.interval(0.95, 3, loc=values.mean(), scale=values.std(ddof=1) / 2)
    assert (low, high) == pytest.approx(want)
    assert st.t_interval(np.array([0.05, 0.95])) == (0.0, 1.0)
    assert all(math.isnan(v) for v in st.t_interval(np.array([0.3])))


def test_summary_interval_is_bootstrap_for_one_split_and_t_over_several() -> None:
    low, high, kind = st.interval_over_tasks(np.array([0.5]), np.array([0.3]), np.array([0.7]), np.array([0]))
    assert (low, high, kind) == (0.3, 0.7, "bootstrap")
    # three initialisation seeds on one split: the envelope of their intervals
    low, high, kind = st.interval_over_tasks(np.array([0.5, 0.6, 0.4]), np.array([0.3, 0.35, 0.2]),
                                             np.array([0.7, 0.8, 0.6]), np.array([0, 0, 0]))
    assert (low, high) == (0.2, 0.8) and "3 seeds" in kind
    # two splits × two seeds: t over the two per-split means
    values = np.array([0.5, 0.7, 0.2, 0.4])
    low, high, kind = st.interval_over_tasks(values, values - 0.1, values + 0.1, np.array([0, 0, 1, 1]))
    assert (low, high) == pytest.approx(st.t_interval(np.array([0.6, 0.3])))
    assert kind == "t over 2 splits"


def test_ranks_friedman_and_critical_difference_follow_demsar() -> None:
    rng = np.random.default_rng(0)
    values = pd.DataFrame(rng.random((5, 8)), index=list("abcde"), columns=[f"d{i}" for i in range(8)])
    values.loc["a"] += 1  # a is best everywhere
    test = st.rank_methods(values)
    assert (test.ranks.loc["a"] == 1).all() and test.mean_rank["a"] == 1
    assert test.mean_rank.sum() == pytest.approx(5 * 6 / 2)
    want = stats.friedmanchisquare(*[values.loc[m] for m in values.index])
    assert test.friedman_statistic == pytest.approx(want.statistic) and test.friedman_p == pytest.approx(want.pvalue)
    assert test.nemenyi.shape == (5, 5) and list(test.nemenyi.index) == list("abcde")
    # Demšar (2006), Table 5(a): q_0.05 = 2.728 for 5 classifiers
    assert test.critical_difference == pytest.approx(2.728 * math.sqrt(5 * 6 / (6 * 8)), rel=1e-3)


def test_ranks_skip_incomplete_datasets_and_need_three_for_friedman() -> None:
    values = pd.DataFrame({"d1": [0.5, 0.2], "d2": [0.1, 0.3], "d3": [0.4, np.nan]}, index=["a", "b"])
    test = st.rank_methods(values)
    assert test.datasets_used == ["d1", "d2"] and not test.tested
    assert test.mean_rank.to_dict() == {"a": 1.5, "b": 1.5}
    assert math.isnan(test.friedman_p)


@pytest.mark.parametrize(("n", "p"), [(8, 3), (10, 1), (9, 9), (12, 5)])
def test_random_ranking_aupr_is_the_exact_mean_over_all_rankings(n: int, p: int) -> None:
    from itertools import combinations

    scores = -np.arange(n, dtype=float)  # rank i has score -i; every set of positive ranks once
    aps = [average_precision_score(np.isin(np.arange(n), ranks), scores) for ranks in combinations(range(n), p)]
    assert st.random_ranking_aupr(n, p) == pytest.approx(np.mean(aps))


def test_random_ranking_aupr_tends_to_the_positive_rate() -> None:
    assert st.random_ranking_aupr(18, 3) == pytest.approx(0.289, abs=1e-3)  # DREAM4-10 test split
    assert st.random_ranking_aupr(200_000, 2_000) == pytest.approx(0.01, rel=0.01)


def test_many_methods_get_enough_resamples_to_survive_holm() -> None:
    """15 methods = 105 pairs: a clear difference must still be resolvable after Holm."""
    assert st.paired_resamples(10) == 1_000 and st.paired_resamples(105) == 10_500
    rng = np.random.default_rng(9)
    labels, strong = simulated(rng, 100, 900, 3.0)
    scores = {"strong": strong, **{f"noise{i}": rng.normal(size=len(labels)) for i in range(14)}}
    comparisons = st.paired_comparisons(labels, scores, seed=0)
    assert len(comparisons) == 105
    assert all(c.resolved for c in comparisons if c.a == "strong")
