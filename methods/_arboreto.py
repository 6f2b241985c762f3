"""What GENIE3 and GRNBoost2 share: arboreto's per-target regression as a grnbench target task.

Both methods call ``arboreto.core.infer_partial_network`` (or, for the original GENIE3
variant, arboreto's ``clean`` and ``fit_model``) for one target at a time, scheduled by
``grnbench.per_target``. ``arboreto.algo.genie3/grnboost2`` are not used: on PyPI 0.1.6 they
build a ``dask.dataframe`` graph that fails on current dask ("Must supply at least one delayed
object", aertslab/arboreto#38, fixed on git master only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grnbench.data.dataset import Dataset

#: arboreto's defaults (arboreto/core.py: ``RF_KWARGS``, ``SGBM_KWARGS``,
#: ``EARLY_STOP_WINDOW_LENGTH``), written out so that loading the method registry does not import
#: arboreto and with it scikit-learn and dask.dataframe; tests/test_genie3.py checks them
#: against the installed arboreto
RF_KWARGS = {"n_jobs": 1, "n_estimators": 1000, "max_features": "sqrt"}
SGBM_KWARGS = {"learning_rate": 0.01, "n_estimators": 5000, "max_features": 0.1, "subsample": 0.9}
EARLY_STOP_WINDOW_LENGTH = 25


@dataclass(frozen=True)
class ArboretoInputs:
    """The data every target task needs; scattered once to the Dask workers.

    ``expression`` is samples × genes (arboreto's orientation); ``tf_matrix`` holds the columns
    of the candidate regulators in the dataset's TF order, ``tf_names`` their names.
    """

    expression: np.ndarray
    gene_names: list[str]
    tf_matrix: np.ndarray
    tf_names: list[str]
    regressor_type: str
    regressor_kwargs: dict[str, Any]
    early_stop_window: int = 25
    #: "arboreto": infer_partial_network as is; "genie3py": GENIE3.py's target/std scaling and
    #: un-normalised importances (GENIE3 only)
    variant: str = "arboreto"
    gene_index: dict[str, int] = field(default_factory=dict)


def build_inputs(dataset: Dataset, regressor_type: str, regressor_kwargs: dict[str, Any], *,
                 steady_state: bool = False, early_stop_window: int = 25,
                 variant: str = "arboreto") -> ArboretoInputs:
    """Samples × genes matrix (time-series columns, optionally the steady-state conditions)."""
    columns = [dataset.expression]
    if steady_state and dataset.steady_state is not None:
        columns.append(dataset.steady_state)
    expression = np.ascontiguousarray(np.hstack(columns).T, dtype=np.float64)
    tf_idx = dataset.tf_indices
    return ArboretoInputs(
        expression=expression, gene_names=list(dataset.genes),
        tf_matrix=np.ascontiguousarray(expression[:, tf_idx]), tf_names=[dataset.genes[i] for i in tf_idx],
        regressor_type=regressor_type, regressor_kwargs=dict(regressor_kwargs),
        early_stop_window=int(early_stop_window), variant=variant, gene_index=dict(dataset.gene_index),
    )


def arboreto_target(shared: ArboretoInputs, target: int, seed: int) -> np.ndarray:
    """Scores of every gene as a regulator of ``target`` (0 for non-regulators and self)."""
    row = np.zeros(len(shared.gene_names), dtype=np.float64)
    name = shared.gene_names[target]
    y = shared.expression[:, target]
    if shared.variant == "genie3py":
        names, importances = _genie3py_importances(shared, name, y, seed)
    else:
        from arboreto.core import infer_partial_network

        links = infer_partial_network(
            shared.regressor_type, shared.regressor_kwargs, shared.tf_matrix, shared.tf_names,
            name, y, early_stop_window_length=shared.early_stop_window, seed=seed,
        )
        names, importances = list(links["TF"]), links["importance"].to_numpy(dtype=np.float64)
    if len(names):
        row[[shared.gene_index[n] for n in names]] = importances
    return row


def _genie3py_importances(shared: ArboretoInputs, name: str, y: np.ndarray,
                          seed: int) -> tuple[list[str], np.ndarray]:
    """GENIE3.py (vahuynh): y / std(y), mean of un-normalised per-tree impurity decreases.

    Uses arboreto's own ``clean`` and ``fit_model`` (same RandomForestRegressor and seed as
    the arboreto variant); only the target scaling and the importance read-out differ.
    """
    from arboreto.core import clean, fit_model

    x, names = clean(shared.tf_matrix, shared.tf_names, name)
    sd = float(np.std(y))
    if not names or sd == 0.0:  # constant target: nothing to explain, every score is 0
        return [], np.zeros(0)
    model = fit_model(shared.regressor_type, shared.regressor_kwargs, x, y / sd,
                      shared.early_stop_window, seed)
    per_tree = [tree.tree_.compute_feature_importances(normalize=False) for tree in model.estimators_]
    return names, np.mean(per_tree, axis=0)


def serial_reference_loop(dataset, regressor_type: str, kwargs: dict, seed: int) -> np.ndarray:
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
