"""CNNC: the NEPDF image against hand-computed histograms and numpy.histogram2d, the Keras 3
training settings (decay schedule, early stopping that fires), and learnability."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_lagged_dataset, standard_training_data
from reference_loops import nepdf_images_loop

from grnbench.deep import balance_pairs, configure_tensorflow, keras2_sgd
from grnbench.evaluation.metrics import evaluate
from grnbench.methods.cnnc import (
    CNNC,
    gene_bins,
    log_expression,
    nepdf_images,
)


def _value(count: int, n: int) -> float:
    return (np.log10(count / n + 1e-4) + 4) / 4


def test_image_rows_are_target_bins_and_values_use_the_real_sample_count():
    # TF (gene 0) = 0, 1, 2 → bins 0, 1, 1 (edges 0, 1, 2; the maximum goes to the last bin)
    # target (gene 1) = 0, 0, 2 → bins 0, 0, 1
    values = np.array([[0.0, 1.0, 2.0], [0.0, 0.0, 2.0]])
    image = nepdf_images(values, np.array([0]), np.array([1]), bins=2)[0, :, :, 0]
    expected_counts = np.array([[1, 1],   # target bin 0: TF bins 0 and 1
                                [0, 1]])  # target bin 1: TF bin 1 only
    expected = np.vectorize(_value)(expected_counts, 3)
    np.testing.assert_allclose(image, expected, rtol=1e-6)
    assert image[1, 0] == 0.0  # an empty cell is (log10(1e-4) + 4) / 4 = 0


def test_vectorised_images_equal_per_pair_histogram2d():
    rng = np.random.default_rng(1)
    values = rng.gamma(1.0, size=(7, 57))
    values[3] = 2.5                       # a constant gene: numpy widens its range by ±0.5
    values[4, :5] = values[4].max()       # several samples exactly on the last edge
    regs = rng.integers(0, 7, size=40)
    tgts = (regs + rng.integers(1, 7, size=40)) % 7
    logged = log_expression(values)
    np.testing.assert_array_equal(nepdf_images(logged, regs, tgts), nepdf_images_loop(logged, regs, tgts))
    hist, _, _ = np.histogram2d(logged[regs[0]], logged[tgts[0]], bins=32)
    np.testing.assert_allclose(nepdf_images(logged, regs[:1], tgts[:1])[0, :, :, 0],
                               _value(hist.T, 57), rtol=1e-6)


def test_gene_bins_match_numpy_histogram():
    rng = np.random.default_rng(2)
    values = rng.normal(size=(3, 30))
    for g, binned in enumerate(gene_bins(values, 32)):
        counts, _ = np.histogram(values[g], bins=32)
        np.testing.assert_array_equal(np.bincount(binned, minlength=32), counts)


def test_log_transform_is_the_reference_one_and_skipped_for_negative_data():
    x = np.array([[0.0, 0.99, 9.99]])
    np.testing.assert_allclose(log_expression(x), [[-2.0, 0.0, 1.0]])
    z = np.array([[-1.0, 0.5]])
    np.testing.assert_array_equal(log_expression(z), z)
    np.testing.assert_array_equal(log_expression(x, "no"), x)


def test_keras2_decay_is_an_inverse_time_schedule_per_batch():
    keras = configure_tensorflow(0, 1)
    opt = keras2_sgd(keras, 0.02, 1e-6, 0.9, nesterov=True)
    schedule = opt.learning_rate if callable(opt.learning_rate) else opt._learning_rate
    assert float(schedule(0)) == pytest.approx(0.02)
    assert float(schedule(10_000)) == pytest.approx(0.02 / (1 + 1e-6 * 10_000))
    assert opt.nesterov and float(opt.momentum) == pytest.approx(0.9)


def test_balanced_subsample_keeps_every_positive_and_as_many_negatives():
    labels = np.array([0] * 50 + [1] * 5)
    index = balance_pairs(labels, np.random.default_rng(0))
    assert labels[index].sum() == 5 and len(index) == 10




def test_cnnc_trains_one_epoch_and_scores_probabilities(dream4_small):
    universe, split, data = standard_training_data(dream4_small)
    method = CNNC(**CNNC.test_parameters)
    method.fit(data)
    assert set(method.history_) >= {"loss", "val_aupr", "val_accuracy"}
    assert len(method.history_["loss"]) == 1
    scores = method.score_edges(universe.pairs.subset(split.test))
    assert scores.shape == (len(split.test),)
    assert np.all((scores > 0) & (scores < 1))


@pytest.mark.parametrize("balance", ["class_weight", "subsample"])
def test_the_shared_rule_logs_the_accuracy_keras_would_without_a_second_validation_pass(dream4_small, balance):
    """Selected by the shared rule, a fit scores its validation pairs once per epoch: Keras's own
    validation pass (the same pairs again) is not run, and the logged val_accuracy is what
    Keras's weighted accuracy gives on those pairs."""
    from grnbench.deep import pair_weights, prepare_labels

    universe, split, data = standard_training_data(dream4_small)
    method = CNNC(**{**CNNC.test_parameters, "balance": balance, "patience": 0})
    assert method.params["selection"] == "shared"
    method.fit(data)
    assert "val_loss" not in method.history_  # no Keras validation pass
    _, val_idx, class_weight = prepare_labels(data.train, data.validation, balance, data.seed)
    y_val = data.validation.labels[val_idx]
    x_val = method.pair_features(data.validation.pairs.subset(val_idx))
    # one epoch: the model now holds that epoch's weights (the best, restored)
    keras_accuracy = method.model_.evaluate(x_val, y_val.astype("float32"), sample_weight=pair_weights(y_val, class_weight),
                                            verbose=0, return_dict=True)["accuracy"]
    assert method.history_["val_accuracy"][0] == pytest.approx(keras_accuracy, abs=1e-6)


def test_early_stopping_on_val_accuracy_really_fires(dream4_small):
    # learning rate 0: weights never change, val_accuracy never improves, so with patience 1
    # training stops after the second epoch (it would not if the monitor name were wrong)
    _, _, data = standard_training_data(dream4_small)
    method = CNNC(**{**CNNC.test_parameters, "epochs": 6, "patience": 1, "learning_rate": 0.0})
    method.fit(data)
    assert len(method.history_["loss"]) == 2


def test_subsample_balance_trains_on_one_to_one_pairs(dream4_small):
    _, _, data = standard_training_data(dream4_small)
    method = CNNC(**{**CNNC.test_parameters, "balance": "subsample"})
    method.fit(data)
    assert len(method.history_["loss"]) == 1


@pytest.mark.slow
def test_cnnc_learns_lagged_synthetic_regulation():
    dataset = make_lagged_dataset(n_tfs=8, n_targets=60, n_times=80, seed=4)
    universe, split, data = standard_training_data(dataset, seed=1)
    method = CNNC(filters=8, dense_units=32, epochs=60, batch_size=32, patience=0,
                  learning_rate=0.02)
    method.fit(data)
    labels = universe.labels[split.test]
    metrics = evaluate(labels, method.score_edges(universe.pairs.subset(split.test)))
    assert metrics.aupr > 2.5 * labels.mean(), metrics
