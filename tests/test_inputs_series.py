"""Methods that difference in time never step across a series boundary, so two replicate
series loaded from a sample sheet give each method exactly the per-series features."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np

from grnbench.data.dataset import Dataset
from grnbench.data.universe import EdgeUniverse


def two_series() -> Dataset:
    """Series 2 sits 1,000 units above series 1: any difference across the boundary is huge."""
    rng = np.random.default_rng(3)
    a = rng.normal(size=(6, 12)).cumsum(axis=1)
    b = rng.normal(size=(6, 12)).cumsum(axis=1) + 1000.0
    genes = tuple(f"G{i}" for i in range(6))
    return Dataset(name="two", genes=genes, expression=np.hstack([a, b]),
                   times=np.tile(np.arange(12, dtype=float) * 5, 2), series=np.repeat([0, 1], 12),
                   tfs=genes[:3], gold_standard=frozenset({("G0", "G3"), ("G1", "G4")}))


def one_of(ds: Dataset, k: int) -> Dataset:
    cols = ds.series_blocks()[k]
    return replace(ds, expression=ds.expression[:, cols], times=ds.times[cols], series=np.zeros(len(cols), int))


def test_node_derivatives_are_those_of_each_series_alone():
    from grnbench.methods.node import NODE

    ds = two_series()
    both = NODE().build_inputs(ds)
    parts = [NODE().build_inputs(one_of(ds, k)) for k in (0, 1)]
    np.testing.assert_array_equal(both.x_now, np.vstack([p.x_now for p in parts]))
    np.testing.assert_array_equal(both.derivative, np.vstack([p.derivative for p in parts]))
    assert np.abs(both.derivative).max() < 100  # nothing near the 1,000 jump


def test_psgrn_lag_matrices_are_stacked_per_series():
    from grnbench.methods.psgrn_features import lag_features, standardise_genes, time_lag_matrix

    ds = two_series()
    feats = lag_features(ds, tl=3, min_steps=2)
    z = standardise_genes(ds.expression)
    expected = np.concatenate([time_lag_matrix(z[:, b], 3) for b in ds.series_blocks()], axis=1)
    np.testing.assert_allclose(feats.values, expected.astype(np.float32))
    assert feats.segment_lengths == (8, 8)  # 12 − 3 − 1 rows each, none spanning the boundary


def test_dgrns_correlations_are_the_mean_of_the_per_series_ones():
    from grnbench.methods.dgrns import lagged_correlation_features, window_geometry

    ds = two_series()
    geometry = window_geometry(ds.min_series_length(), 4, 1, 1, 0, 3)
    pairs = EdgeUniverse.from_dataset(ds).pairs
    both = lagged_correlation_features(ds.expression, ds.series_blocks(), geometry, pairs.regulators, pairs.targets)
    parts = [lagged_correlation_features(one_of(ds, k).expression, [np.arange(12)], geometry,
                                         pairs.regulators, pairs.targets) for k in (0, 1)]
    np.testing.assert_allclose(both, (parts[0] + parts[1]) / 2, atol=1e-5)


def test_cnnc_histograms_do_not_depend_on_series_or_time():
    from grnbench.methods.cnnc import CNNC

    ds = two_series()
    pairs = EdgeUniverse.from_dataset(ds).pairs
    images = []
    for variant in (ds, replace(ds, series=np.zeros(24, int), times=np.arange(24, dtype=float))):
        method = CNNC(**CNNC.test_parameters)
        method.prepare(SimpleNamespace(dataset=variant))
        images.append(method.pair_features(pairs))
    np.testing.assert_array_equal(images[0], images[1])
