"""Metrics pinned by hand-computed values and by properties that must hold for any scores."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grnbench.evaluation.metrics import early_precision, evaluate, top_k_overlap


def test_average_precision_matches_hand_computation():
    # ranking: P N P N N → precision at the two positives: 1/1 and 2/3; AP = (1 + 2/3) / 2
    labels = np.array([1, 0, 1, 0, 0])
    scores = np.array([0.9, 0.8, 0.7, 0.2, 0.1])
    m = evaluate(labels, scores, top_k=2)
    assert m.aupr == pytest.approx((1 + 2 / 3) / 2)
    assert m.positive_rate == pytest.approx(0.4)
    assert m.aupr_ratio == pytest.approx(((1 + 2 / 3) / 2) / 0.4)
    # AUROC: of the 6 (pos, neg) pairs, the positive wins 5 (0.7 loses to 0.8)
    assert m.auroc == pytest.approx(5 / 6)
    # early precision at k = #positives = 2: one of the top two is positive
    assert m.early_precision == pytest.approx(0.5)
    assert m.early_precision_ratio == pytest.approx(0.5 / 0.4)
    # top-2 threshold 0.8: TP 1, FP 1, FN 1, TN 2
    assert (m.tp, m.fp, m.fn, m.tn) == (1, 1, 1, 2)
    assert m.threshold == pytest.approx(0.8)
    assert m.precision == pytest.approx(0.5) and m.recall == pytest.approx(0.5) and m.f1 == pytest.approx(0.5)


def test_tied_block_counts_expected_positives():
    # all four tied: early precision at k=2 is the expected value, 2 positives of 4 → 0.5
    labels = np.array([1, 0, 1, 0])
    scores = np.ones(4)
    assert early_precision(labels, scores, 2) == pytest.approx(0.5)
    m = evaluate(labels, scores, top_k=1)
    # the top-k threshold admits the whole tied block
    assert (m.tp, m.fp) == (2, 2)
    assert m.aupr == pytest.approx(0.5)
    assert m.auroc == pytest.approx(0.5)


def test_ties_do_not_depend_on_pair_order():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 200)
    scores = rng.integers(0, 5, 200).astype(float)  # heavy ties
    perm = rng.permutation(200)
    a, b = evaluate(labels, scores, 50), evaluate(labels[perm], scores[perm], 50)
    assert a == b


def test_perfect_scorer_gets_one():
    labels = np.array([0, 1, 0, 0, 1, 1, 0, 0])
    m = evaluate(labels, labels.astype(float) + 0.1, top_k=3)
    assert m.aupr == 1.0 and m.auroc == 1.0 and m.early_precision == 1.0
    assert (m.tp, m.fp, m.fn) == (3, 0, 0)


def test_random_scorer_is_near_the_positive_rate():
    rng = np.random.default_rng(1)
    labels = (rng.random(20_000) < 0.1).astype(int)
    m = evaluate(labels, rng.random(20_000))
    assert m.aupr == pytest.approx(labels.mean(), abs=0.01)
    assert m.auroc == pytest.approx(0.5, abs=0.02)


def test_scores_must_be_finite_and_one_per_pair():
    with pytest.raises(ValueError, match="NaN"):
        evaluate(np.array([0, 1]), np.array([0.1, np.nan]))
    with pytest.raises(ValueError, match="1 scores for 2 pairs"):
        evaluate(np.array([0, 1]), np.array([0.1]))


def test_top_k_overlap():
    assert top_k_overlap(np.array([3, 2, 1, 0.0]), np.array([3, 1, 2, 0.0]), 2) == pytest.approx(1 / 3)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(-40, 40)), min_size=4, max_size=60),
       st.integers(1, 70))
def test_metrics_are_invariant_under_monotone_transforms(rows, k):
    labels = np.array([r[0] for r in rows])
    scores = np.array([r[1] for r in rows], dtype=float) / 8  # a grid: the transform stays strictly monotone in floats
    if labels.sum() in (0, len(labels)):
        return
    a = evaluate(labels, scores, k)
    b = evaluate(labels, np.exp(scores / 5) * 3 + 1, k)
    for field in ("aupr", "auroc", "early_precision", "tp", "fp", "tn", "fn"):
        assert getattr(a, field) == pytest.approx(getattr(b, field), rel=1e-9), field


def test_default_top_k_is_the_number_of_positives():
    labels = np.array([1, 0, 1, 0, 0, 0, 1, 0])
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2])
    m = evaluate(labels, scores)
    assert m.top_k == 3 and m.tp == 2 and m.fp == 1
    assert m.precision == pytest.approx(m.recall)
