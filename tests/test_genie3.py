"""GENIE3: equal to a serial arboreto loop (arboreto variant) and to GENIE3.py's conventions."""

from __future__ import annotations

import numpy as np
import pytest
from arboreto.core import RF_KWARGS
from distributed import Client, LocalCluster
from scipy.stats import spearmanr
from sklearn.ensemble import RandomForestRegressor
from sklearn.metrics import average_precision_score

from grnbench.api import TrainingData
from grnbench.data.dataset import Dataset
from grnbench.data.universe import EdgeUniverse, PairSet
from grnbench.errors import UserError
from grnbench.methods._arboreto import serial_reference_loop as arboreto_serial_loop
from grnbench.methods.genie3 import GENIE3, parse_max_features

N_TREES = 15
SEED = 5


def _fit(dataset: Dataset, seed: int = 5, client=None, **params) -> GENIE3:
    method = GENIE3(n_estimators=N_TREES, **params)
    method.fit(TrainingData(dataset=dataset, seed=seed, client=client))
    return method


def _dense(method: GENIE3, dataset: Dataset) -> np.ndarray:
    n = dataset.n_genes
    regs, tgts = np.divmod(np.arange(n * n), n)
    return method.score_edges(PairSet(regs, tgts)).reshape(n, n)


@pytest.fixture(scope="module")
def arboreto_scores(lagged_dataset) -> np.ndarray:
    return _dense(_fit(lagged_dataset, seed=SEED, variant="arboreto"), lagged_dataset)


@pytest.fixture(scope="module")
def genie3py_scores(lagged_dataset) -> np.ndarray:
    return _dense(_fit(lagged_dataset, seed=SEED, variant="genie3py"), lagged_dataset)


def test_arboreto_variant_equals_a_serial_infer_partial_network_loop(lagged_dataset, arboreto_scores):
    got = arboreto_scores
    expected = arboreto_serial_loop(lagged_dataset, "RF", {**RF_KWARGS, "n_estimators": N_TREES}, seed=SEED)
    np.testing.assert_array_equal(got, expected)
    assert got.sum() > 0


def test_scores_do_not_depend_on_the_dask_cluster(lagged_dataset, arboreto_scores):
    alone = arboreto_scores
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None,
                      scheduler_kwargs={"dashboard_address": ":0"}) as cluster, Client(cluster) as client:
        shared = _dense(_fit(lagged_dataset, seed=SEED, client=client, variant="arboreto"), lagged_dataset)
        assert client.status == "running"  # a caller's client is left open
    np.testing.assert_array_equal(alone, shared)
    other_seed = _dense(_fit(lagged_dataset, seed=SEED + 1, variant="arboreto"), lagged_dataset)
    assert not np.array_equal(alone, other_seed)


def test_genie3py_variant_follows_genie3_py(lagged_dataset, genie3py_scores):
    seed, got = SEED, genie3py_scores
    x = lagged_dataset.expression.T
    tfs = list(lagged_dataset.tf_indices)
    for t in [0, 3, 10, 23]:
        inputs = [i for i in tfs if i != t]
        y = x[:, t] / np.std(x[:, t])
        forest = RandomForestRegressor(n_estimators=N_TREES, max_features="sqrt", n_jobs=1,
                                       random_state=seed).fit(x[:, inputs], y)
        vim = np.mean([e.tree_.compute_feature_importances(normalize=False) for e in forest.estimators_], axis=0)
        np.testing.assert_allclose(got[inputs, t], vim, rtol=1e-12, atol=0)
        # not sum-normalised: the per-target total is ~ the fraction of variance explained
        assert not np.isclose(got[:, t].sum(), 1.0)


def test_variants_differ_only_in_scaling_and_read_out(lagged_dataset, arboreto_scores, genie3py_scores):
    arb, orig = arboreto_scores, genie3py_scores
    np.testing.assert_allclose(arb.sum(axis=0), 1.0)  # arboreto: each target sums to 1
    assert np.ptp(orig.sum(axis=0)) > 0.05  # GENIE3.py: totals differ between targets
    # Same forests (y / std leaves the splits unchanged); arboreto normalises each tree before
    # averaging, so within a target the two are close in rank but not exactly proportional.
    tfs = lagged_dataset.tf_indices
    rho = [spearmanr(arb[tfs, t], orig[tfs, t]).statistic for t in range(6, lagged_dataset.n_genes)]
    assert np.mean(rho) > 0.8
    assert np.mean(arb[tfs, 6:].argmax(axis=0) == orig[tfs, 6:].argmax(axis=0)) >= 0.75


def test_self_pairs_and_non_regulators_score_zero(lagged_dataset, arboreto_scores):
    scores = arboreto_scores
    assert np.all(np.diag(scores) == 0)
    non_tfs = np.setdiff1d(np.arange(lagged_dataset.n_genes), lagged_dataset.tf_indices)
    assert np.all(scores[non_tfs] == 0)  # noise protocol may ask for such rows


def test_learns_the_lagged_network(lagged_dataset, arboreto_scores):
    universe = EdgeUniverse.from_dataset(lagged_dataset)
    scores = arboreto_scores[universe.pairs.regulators, universe.pairs.targets]
    assert average_precision_score(universe.labels, scores) > 3 * universe.labels.mean()


def test_parameters_are_validated_and_parsed():
    with pytest.raises(UserError):
        GENIE3(variant="sum")
    assert parse_max_features("sqrt") == "sqrt"
    assert parse_max_features("all") is None
    assert parse_max_features("0.3") == 0.3
    assert parse_max_features("5") == 5
    assert GENIE3.parameters["n_estimators"] == 1000 and GENIE3.parameters["max_features"] == "sqrt"


@pytest.mark.slow
def test_default_forests_equal_the_serial_arboreto_loop_on_dream4(dream4_small):
    method = GENIE3()
    method.fit(TrainingData(dataset=dream4_small, seed=0))
    expected = arboreto_serial_loop(dream4_small, "RF", RF_KWARGS, seed=0)
    np.testing.assert_array_equal(_dense(method, dream4_small), expected)


def test_arboreto_defaults_written_out_are_the_installed_arboretos():
    """grnbench writes arboreto's defaults out (so listing methods does not import arboreto);
    they must stay what the installed arboreto uses."""
    import arboreto.core as core

    from grnbench.methods import _arboreto

    assert _arboreto.RF_KWARGS == core.RF_KWARGS
    assert _arboreto.SGBM_KWARGS == core.SGBM_KWARGS
    assert _arboreto.EARLY_STOP_WINDOW_LENGTH == core.EARLY_STOP_WINDOW_LENGTH


def test_loading_the_registry_does_not_import_arboreto_or_sklearn():
    import subprocess
    import sys

    code = ("import sys; from grnbench.registry import load_registry; load_registry(); "
            "print(sorted(m for m in ('arboreto', 'sklearn', 'tensorflow', 'keras') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
