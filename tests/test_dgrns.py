"""DGRNS: the window geometry rule, the lagged-correlation matrix against a hand-computed
example and the per-pair loop, series handling, the Keras 2 GRU cell, and learnability."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import make_lagged_dataset, standard_training_data
from reference_loops import lagged_correlation_loop

from grnbench.evaluation.metrics import evaluate
from grnbench.methods.dgrns import (
    DGRNS,
    _by_running_sums,
    _by_window_products,
    keras2_hard_sigmoid,
    lagged_correlation_features,
    window_geometry,
)


@pytest.mark.parametrize("n, window", [(889, 259), (1071, 441), (847, 217)])
def test_reference_datasets_get_the_reference_geometry(n, window):
    g = window_geometry(n)
    assert (g.rows, g.lags, g.tf_step, g.target_step, g.window, g.rule) == (64, 64, 5, 5, window, "reference")


@pytest.mark.parametrize("n, k, window", [(107, 41, 27), (21, 8, 7), (11, 4, 5)])
def test_short_series_use_steps_of_one_and_a_quarter_length_window(n, k, window):
    g = window_geometry(n)
    assert (g.rows, g.lags, g.tf_step, g.target_step, g.window) == (k, k, 1, 1, window)
    assert g.span == n  # the last target window ends on the last point


def test_medium_series_keep_the_steps_with_fewer_lags():
    g = window_geometry(700)
    assert (g.tf_step, g.rule) == (5, "fewer lags") and g.window >= 175 and 32 <= g.lags < 64


def test_too_short_series_are_rejected_with_a_reason():
    with pytest.raises(ValueError, match="too short"):
        window_geometry(10)
    dataset = make_lagged_dataset(n_times=10)
    reason = DGRNS().skip(dataset)
    assert reason and "too short" in reason


def test_lagged_correlation_matrix_matches_hand_computation():
    tf = [1, 2, 3, 4, 5, 6, 7]
    target = [1, 2, 3, 3, 2, 1, 0]
    values = np.array([tf, target], dtype=float)
    geometry = window_geometry(7, lags=2, tf_step=1, target_step=1, window=3)
    assert geometry.rows == 4
    s = np.sqrt(3) / 2
    expected = np.array([[1, s], [s, -s], [-s, -1], [-1, -1]])
    got = lagged_correlation_features(values, [np.arange(7)], geometry, np.array([0]), np.array([1]))
    np.testing.assert_allclose(got[0, :, :, 0], expected, atol=1e-6)
    # a constant target has no defined correlation: 0, as the reference's NaN → 0
    flat = np.array([tf, [2.0] * 7])
    assert not lagged_correlation_features(flat, [np.arange(7)], geometry, np.array([0]), np.array([1])).any()


def test_windows_stay_inside_each_series_and_series_are_averaged():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(3, 21)), rng.normal(size=(3, 21))
    values = np.hstack([a, b])
    blocks = [np.arange(21), np.arange(21, 42)]
    g = window_geometry(21)
    regs, tgts = np.array([0, 1, 2]), np.array([1, 2, 0])
    both = lagged_correlation_features(values, blocks, g, regs, tgts)
    first = lagged_correlation_features(a, [np.arange(21)], g, regs, tgts)
    second = lagged_correlation_features(b, [np.arange(21)], g, regs, tgts)
    np.testing.assert_allclose(both, (first + second) / 2, atol=1e-6)


@pytest.mark.parametrize("steps, lags", [((1, 1), 6), ((2, 3), 6), ((5, 5), 4)])
def test_vectorised_features_equal_the_per_pair_loop(steps, lags):
    rng = np.random.default_rng(5)
    values = np.cumsum(rng.normal(size=(6, 90)), axis=1)
    values[2, 10:40] = 1.0  # constant stretches give constant windows
    blocks = [np.arange(45), np.arange(45, 90)]
    g = window_geometry(45, lags=lags, tf_step=steps[0], target_step=steps[1], window=12)
    regs = np.array([0, 1, 2, 3, 4, 5, 2])
    tgts = np.array([1, 2, 3, 4, 5, 0, 4])
    expected = lagged_correlation_loop(values, blocks, g, regs, tgts)[..., 0]
    np.testing.assert_allclose(lagged_correlation_features(values, blocks, g, regs, tgts)[..., 0],
                               expected, atol=2e-5)
    # both exact schemes, whichever the geometry picks
    series = [values[:, b[: g.span]] for b in blocks]
    unit = math.gcd(*steps)
    n_positions = ((g.rows - 1) * g.tf_step + (g.lags - 1) * g.target_step) // unit + 1
    np.testing.assert_allclose(_by_window_products(series, g, regs, tgts, unit, n_positions), expected, atol=2e-5)
    np.testing.assert_allclose(_by_running_sums(series, g, regs, tgts), expected, atol=2e-5)


def test_gru_is_the_keras2_cell():
    keras = pytest.importorskip("keras")
    x = np.array([-4.0, -1.0, 0.0, 1.0, 4.0], dtype="float32")
    np.testing.assert_allclose(np.asarray(keras2_hard_sigmoid(keras.ops.convert_to_tensor(x))),
                               [0.0, 0.3, 0.5, 0.7, 1.0], atol=1e-6)
    from grnbench.deep import configure_tensorflow

    model = DGRNS(**DGRNS.test_parameters).build_model(configure_tensorflow(0, 1), 8, 8)
    gru = next(layer for layer in model.layers if layer.__class__.__name__ == "GRU")
    assert gru.reset_after is False and gru.dropout == pytest.approx(0.2)
    assert model.output_shape == (None, 1)




def test_dgrns_trains_one_epoch_on_dream4_series(dream4_small):
    universe, split, data = standard_training_data(dream4_small)
    method = DGRNS(**DGRNS.test_parameters)
    method.fit(data)
    assert (method.geometry_.rows, method.geometry_.lags) == (8, 8)  # 5 series of 21 points
    assert set(method.history_) >= {"loss", "val_aupr", "val_accuracy"}  # from the shared rule's one pass
    assert len(method.history_["loss"]) == 1
    scores = method.score_edges(universe.pairs.subset(split.test))
    assert scores.shape == (len(split.test),) and np.all((scores > 0) & (scores < 1))


@pytest.mark.slow
def test_dgrns_learns_lagged_synthetic_regulation():
    dataset = make_lagged_dataset(n_tfs=8, n_targets=60, n_times=80, lag=3, seed=4)
    universe, split, data = standard_training_data(dataset, seed=1)
    method = DGRNS(gru_units=16, filters=8, dense_units=32, dense2_units=16, epochs=40,
                   batch_size=32, patience=0)
    method.fit(data)
    labels = universe.labels[split.test]
    metrics = evaluate(labels, method.score_edges(universe.pairs.subset(split.test)))
    assert metrics.aupr > 2.5 * labels.mean(), metrics
