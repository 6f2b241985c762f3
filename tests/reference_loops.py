"""The straightforward constructions grnbench's fast code must equal, kept out of the method
modules: one ``numpy.histogram2d`` per pair (CNNC's images), one Pearson correlation per pair,
window and lag (DGRNS's features), and a plain serial loop over arboreto's
``infer_partial_network`` (GENIE3, GRNBoost2). Used by the tests and by
``benchmarks/bench_cnnc_dgrns.py``.
"""

from __future__ import annotations

import numpy as np

from grnbench.methods.cnnc import _normalise
from grnbench.methods.dgrns import WindowGeometry, _series_values


def nepdf_images_loop(values: np.ndarray, regulators: np.ndarray, targets: np.ndarray,
                      bins: int = 32) -> np.ndarray:
    """The straightforward per-pair construction (one ``histogram2d`` each), as the reference."""
    n_samples = values.shape[1]
    out = np.empty((len(regulators), bins, bins, 1), dtype=np.float32)
    for k, (r, t) in enumerate(zip(regulators, targets, strict=True)):
        hist, _, _ = np.histogram2d(values[r], values[t], bins=bins)
        out[k, :, :, 0] = _normalise(hist.T, n_samples)
    return out


def lagged_correlation_loop(values: np.ndarray, blocks: list[np.ndarray], geometry: WindowGeometry,
                            regulators: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """The straightforward construction: one Pearson correlation per pair, window, lag, series."""
    g = geometry
    series = _series_values(values, blocks, g.span)
    out = np.zeros((len(regulators), g.rows, g.lags, 1), dtype=np.float32)
    for k, (reg, tgt) in enumerate(zip(regulators, targets, strict=True)):
        for x in series:
            for r in range(g.rows):
                a = r * g.tf_step
                u = x[reg, a:a + g.window]
                for lag in range(g.lags):
                    b = a + lag * g.target_step
                    v = x[tgt, b:b + g.window]
                    if np.ptp(u) == 0 or np.ptp(v) == 0:
                        continue
                    out[k, r, lag, 0] += np.corrcoef(u, v)[0, 1] / len(series)
    return out


def arboreto_serial_loop(dataset, regressor_type: str, kwargs: dict, seed: int) -> np.ndarray:
    """The reference grnbench must equal: a plain serial loop over arboreto's
    ``infer_partial_network``, as dense ``S[regulator, target]`` (tests and benchmarks)."""
    from arboreto.core import infer_partial_network

    x = np.ascontiguousarray(dataset.expression.T)
    tf_matrix = np.ascontiguousarray(x[:, dataset.tf_indices])
    tf_names = list(dataset.tfs)
    index = dataset.gene_index
    scores = np.zeros((dataset.n_genes, dataset.n_genes))
    for t, name in enumerate(dataset.genes):
        links = infer_partial_network(regressor_type, kwargs, tf_matrix, tf_names, name, x[:, t], seed=seed)
        for tf, value in zip(links["TF"], links["importance"], strict=True):
            scores[index[tf], t] = value
    return scores
