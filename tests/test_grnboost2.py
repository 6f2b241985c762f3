"""GRNBoost2: equal to a serial loop over arboreto.core.infer_partial_network('GBM', ...)."""

from __future__ import annotations

import numpy as np
import pytest
from arboreto.core import SGBM_KWARGS, fit_model
from reference_loops import arboreto_serial_loop

from grnbench.api import TrainingData
from grnbench.data.universe import PairSet
from grnbench.methods.grnboost2 import GRNBoost2

FAST = {"learning_rate": 0.1, "n_estimators": 60}


def _dense(method, dataset) -> np.ndarray:
    n = dataset.n_genes
    regs, tgts = np.divmod(np.arange(n * n), n)
    return method.score_edges(PairSet(regs, tgts)).reshape(n, n)


def test_equals_a_serial_infer_partial_network_loop(lagged_dataset):
    method = GRNBoost2(**FAST)
    method.fit(TrainingData(dataset=lagged_dataset, seed=11))
    got = _dense(method, lagged_dataset)
    expected = arboreto_serial_loop(lagged_dataset, "GBM", {**SGBM_KWARGS, **FAST}, seed=11)
    np.testing.assert_array_equal(got, expected)
    assert np.all(np.diag(got) == 0) and got.sum() > 0
    non_tfs = np.setdiff1d(np.arange(lagged_dataset.n_genes), lagged_dataset.tf_indices)
    assert np.all(got[non_tfs] == 0)


def test_defaults_are_arboretos_and_early_stopping_is_active(lagged_dataset):
    method = GRNBoost2()
    assert method.regressor_kwargs() == SGBM_KWARGS
    # the early-stop monitor ends the default 5000-round regression long before its bound
    x = lagged_dataset.expression.T
    model = fit_model("GBM", method.regressor_kwargs(), x[:, :6], x[:, 10], seed=0)
    assert 25 <= len(model.estimators_) < SGBM_KWARGS["n_estimators"]


def test_importances_are_de_normalised_by_rounds(lagged_dataset):
    # arboreto multiplies sum-to-1 importances by the number of rounds fitted
    method = GRNBoost2(**FAST)
    method.fit(TrainingData(dataset=lagged_dataset, seed=0))
    totals = _dense(method, lagged_dataset).sum(axis=0)
    assert totals.max() > 1.5
    assert np.allclose(totals, np.round(totals), atol=1e-6)  # an integer number of rounds


def test_steady_state_option_adds_samples(dream4_small):
    plain = GRNBoost2(**FAST)
    plain.fit(TrainingData(dataset=dream4_small, seed=0))
    with_ss = GRNBoost2(**FAST, steady_state=True)
    with_ss.fit(TrainingData(dataset=dream4_small, seed=0))
    assert not np.array_equal(_dense(plain, dream4_small), _dense(with_ss, dream4_small))


@pytest.mark.slow
def test_default_parameters_equal_the_serial_arboreto_loop_on_dream4(dream4_small):
    method = GRNBoost2()
    method.fit(TrainingData(dataset=dream4_small, seed=0))
    expected = arboreto_serial_loop(dream4_small, "GBM", SGBM_KWARGS, seed=0)
    np.testing.assert_array_equal(_dense(method, dream4_small), expected)
