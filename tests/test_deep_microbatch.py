"""Micro-batches change memory, not the update: one SGD step on a batch equals the step whose
gradient is summed over slices of it, with class weights and a ragged last slice."""

from __future__ import annotations

import numpy as np
import pytest

from grnbench.deep import configure_tensorflow, install_micro_batches, uses_tensorflow_backend
from grnbench.methods.dgrns import DGRNS

pytestmark = pytest.mark.skipif(not uses_tensorflow_backend(), reason="micro-batches are a TensorFlow train step")


def _one_step(micro_batch: int) -> list[np.ndarray]:
    keras = configure_tensorflow(0)
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    method = DGRNS(gru_units=8, filters=4, dense_units=16, dense2_units=8, gru_dropout=0.0,
                   conv_dropout=0.0, dense_dropout=0.0)
    model = method.compile_model(keras, method.build_model(keras, rows=6, lags=6))
    install_micro_batches(model, micro_batch)
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (70, 6, 6, 1)).astype("float32")
    y = (rng.random(70) < 0.3).astype("float32")
    model.fit(x, y, batch_size=70, epochs=1, shuffle=False, class_weight={0: 0.7, 1: 1.9}, verbose=0)
    return model.get_weights()


def test_micro_batched_step_equals_the_whole_batch_step():
    whole = _one_step(0)
    sliced = _one_step(16)  # 16 + 16 + 16 + 16 + 6
    for a, b in zip(whole, sliced, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    assert any(not np.allclose(a, b) for a, b in zip(whole, _initial(), strict=True))


def _initial() -> list[np.ndarray]:
    keras = configure_tensorflow(0)
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    method = DGRNS(gru_units=8, filters=4, dense_units=16, dense2_units=8)
    return method.build_model(keras, rows=6, lags=6).get_weights()


def test_micro_batches_refuse_batch_normalisation():
    keras = configure_tensorflow(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.BatchNormalization(), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="batch normalisation"):
        install_micro_batches(model, 8)
