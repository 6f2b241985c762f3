"""PSGRN: time-lag features, the per-gene encoding shortcut, the seven ablations, learnability."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_lagged_dataset, standard_training_data

from grnbench.data.dataset import Dataset
from grnbench.evaluation.metrics import evaluate

from grnbench.methods.psgrn import TINY, VARIANTS, PSGRN  # isort: skip
from grnbench.methods.psgrn_features import (  # isort: skip
    effective_time_lag, lag_features, time_lag_matrix)


def _dataset(expression: np.ndarray, n_series: int = 1) -> Dataset:
    genes = tuple(f"G{i}" for i in range(expression.shape[0]))
    n = expression.shape[1] // n_series
    return Dataset(name="hand-made", genes=genes, expression=expression,
                   times=np.tile(np.arange(n, dtype=float), n_series),
                   series=np.repeat(np.arange(n_series), n), tfs=genes[:1],
                   gold_standard=frozenset({(genes[0], genes[1])}))


def test_time_lag_matrix_follows_the_paper_formula_on_a_hand_made_series():
    series = np.array([[0.0, 1, 4, 9, 16, 25, 36, 49]])  # n = 8
    m = time_lag_matrix(series, tl=3)
    assert m.shape == (1, 8 - 3 - 1, 3)
    # row j: (G_j+1 − G_j, G_j+2 − G_j, G_j+3 − G_j)
    np.testing.assert_array_equal(m[0], [[1, 4, 9], [3, 8, 15], [5, 12, 21], [7, 16, 27]])
    assert time_lag_matrix(np.zeros((5, 107)), tl=32).shape == (5, 74, 32)  # the paper's 74 × 32


def test_several_series_are_stacked_without_differencing_across_their_boundary():
    one = np.arange(12, dtype=float)
    expression = np.vstack([np.concatenate([one, one + 1000]), np.concatenate([one, one])])
    feats = lag_features(_dataset(expression, n_series=2), tl=3, min_steps=2, standardise=False)
    assert feats.tl == 3 and feats.segment_lengths == (8, 8)
    assert feats.values.shape == (2, 16, 3)
    # the +1000 jump between the series would show up if a difference spanned the boundary
    np.testing.assert_array_equal(feats.values[0], np.tile([1, 2, 3], (16, 1)))


def test_short_series_get_a_smaller_lag_and_too_short_ones_are_skipped(dream4_small):
    assert effective_time_lag(107, 32, 10) == 32
    assert effective_time_lag(21, 32, 10) == 10  # DREAM4: 21 points per series
    feats = lag_features(dream4_small, tl=32, min_steps=10)
    assert feats.values.shape == (10, 5 * 10, 10) and feats.segment_lengths == (10,) * 5
    short = _dataset(np.random.default_rng(0).normal(size=(3, 11)))
    assert PSGRN(min_steps=10).skip(short) is not None and "min_steps" in PSGRN().skip(short)
    assert PSGRN(min_steps=4).skip(short) is None
    assert PSGRN().skip(dream4_small) is None


def test_encoding_each_gene_once_gives_the_same_scores_and_gradients_as_per_pair_encoding(lagged_dataset):
    import tensorflow as tf

    method = PSGRN(**TINY)
    feats = lag_features(lagged_dataset, 32, 10)
    model = method.build(feats, seed=1)
    model.run_eagerly = True
    regs = np.array([0, 0, 1, 2, 1, 0], dtype=np.int32)
    tgts = np.array([5, 7, 5, 9, 9, 8], dtype=np.int32)
    results = {}
    for shared in (True, False):
        model.shared_encoding = shared
        with tf.GradientTape() as tape:
            out = model((regs, tgts), training=False)
            loss = tf.reduce_sum(out * np.arange(1, 7, dtype=np.float32)[:, None])
        grads = tape.gradient(loss, model.trainable_variables)
        results[shared] = (out.numpy(), [g.numpy() for g in grads], model.score_pairs(regs, tgts))
    np.testing.assert_allclose(results[True][0], results[False][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(results[True][2], results[False][2], rtol=1e-5, atol=1e-6)
    for a, b in zip(results[True][1], results[False][1], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


LAYER_MARKS = {  # what distinguishes each ablation in the built network
    "psgrn": ("GRU", "Concatenate"),
    "psgrn-fm-dn": (None, "Concatenate"),
    "psgrn-rnn-dn": ("SimpleRNN", "Concatenate"),
    "psgrn-lstm-dn": ("LSTM", "Concatenate"),
    "psgrn-fm-gru": ("GRU", "Lambda"),
    "psgrn-gru-vgg": ("GRU", "MaxPooling1D"),
    "psgrn-gru-rn": ("GRU", "Add"),
    "psgrn-ps-sm": ("GRU", "Concatenate"),
}


@pytest.mark.parametrize("cls", VARIANTS, ids=[c.name for c in VARIANTS])
def test_each_variant_trains_one_epoch_on_a_tiny_dataset(cls, lagged_dataset):
    universe, split, data = standard_training_data(lagged_dataset)
    method = cls(**{**TINY, "dn_blocks": 2})  # two blocks: transition layers are exercised
    method.fit(data)
    assert len(method.history_) == 1 and np.isfinite(method.history_[0]["loss"])
    assert "val_aupr" in method.history_[0]
    scores = method.score_edges(universe.pairs.subset(split.test))
    assert scores.shape == (len(split.test),) and np.all((scores >= 0) & (scores <= 1))
    encoder, head_mark = LAYER_MARKS[cls.name]
    model = method.model_
    assert (model.encoder_tf is None) == (encoder is None)
    if encoder:
        assert type(model.encoder_tf).__name__ == encoder
        assert model.encoder_tf is not model.encoder_tg  # pseudo-Siamese: separate weights
        assert model.encoder_tf.weights[0] is not model.encoder_tg.weights[0]
    assert any(type(layer).__name__ == head_mark for layer in model.head.layers)
    assert model.head.output.shape[-1] == (2 if cls.name == "psgrn-ps-sm" else 1)


def test_psgrn_learns_lagged_regulation_far_above_the_positive_rate():
    dataset = make_lagged_dataset(n_tfs=6, n_targets=40, n_times=60, lag=2, seed=1)
    universe, split, data = standard_training_data(dataset, seed=0)
    method = PSGRN(hidden=16, dn_blocks=2, dn_layers=2, dn_growth=8, dense_units=16,
                   epochs=30, patience=30, batch_size=64, learning_rate=3e-3)
    method.fit(data)
    labels = universe.labels[split.test]
    metrics = evaluate(labels, method.score_edges(universe.pairs.subset(split.test)))
    assert metrics.aupr > max(0.5, 3 * metrics.positive_rate), metrics
