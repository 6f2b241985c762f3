"""NODE (NonlinearODEs): the ODE target, the decay estimate, skips, and equality with a serial
loop written directly from the reference algorithm (xgbgrn.get_importances)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score
from xgboost import XGBRegressor

from grnbench.api import TrainingData
from grnbench.data.dataset import Dataset
from grnbench.data.universe import EdgeUniverse, PairSet
from grnbench.errors import UserError
from grnbench.methods.node import NODE, decay_from_data

# DREAM4 derivatives are ~1e-3 while base_score is 0.5: trees only split once the boosted
# prediction has come close to the target, so a fast test setting needs a high learning rate.
FAST = {"n_estimators": 30, "learning_rate": 0.3}


def _dense(method, dataset) -> np.ndarray:
    n = dataset.n_genes
    regs, tgts = np.divmod(np.arange(n * n), n)
    return method.score_edges(PairSet(regs, tgts)).reshape(n, n)


def reference_loop(ts: list[np.ndarray], times: list[np.ndarray], ss: np.ndarray | None,
                   alphas: np.ndarray, params: dict, seed: int) -> np.ndarray:
    """xgbgrn's algorithm, target by target: returns VIM[target, regulator] (all genes regulate)."""
    n = ts[0].shape[1]
    vim = np.zeros((n, n))
    for i in range(n):
        inputs = [j for j in range(n) if j != i]
        xs, ys = [], []
        for s, t in zip(ts, times, strict=True):
            xs.append(s[:-1, inputs])
            ys.append((s[1:, i] - s[:-1, i]) / (t[1:] - t[:-1]) + alphas[i] * s[:-1, i])
        x, y = np.vstack(xs), np.concatenate(ys)
        if ss is not None:
            x, y = np.vstack([ss[:, inputs], x]), np.concatenate([ss[:, i] * alphas[i], y])
        model = XGBRegressor(**params, random_state=seed).fit(x, y)
        vim[i, inputs] = model.feature_importances_
    return vim


def _series(ds: Dataset):
    blocks = ds.series_blocks()
    return [ds.expression[:, b].T for b in blocks], [ds.times[b] for b in blocks]


@pytest.mark.parametrize("alpha", ["from_data", 0.0214])
def test_equals_the_reference_algorithm_on_dream4(dream4_small, alpha):
    method = NODE(**FAST, alpha=alpha)
    method.fit(TrainingData(dataset=dream4_small, seed=9))
    ts, times = _series(dream4_small)
    alphas = decay_from_data(ts, times) if alpha == "from_data" else np.full(dream4_small.n_genes, alpha)
    params = {**method.xgb_params(), "importance_type": method.params["importance_type"]}
    vim = reference_loop(ts, times, dream4_small.steady_state.T, alphas, params, seed=9)
    # NODE's matrix is S[regulator, target]; the reference's VIM[target, regulator]
    got = _dense(method, dream4_small)
    np.testing.assert_allclose(got, vim.T, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(got.sum(axis=0), 1.0)  # every target's model made splits


def test_steady_state_rows_are_optional(dream4_small):
    with_ss = NODE(**FAST)
    with_ss.fit(TrainingData(dataset=dream4_small, seed=0))
    ts_only = NODE(**FAST, steady_state=False)
    ts_only.fit(TrainingData(dataset=dream4_small, seed=0))
    assert not np.array_equal(_dense(with_ss, dream4_small), _dense(ts_only, dream4_small))


def test_finite_differences_never_cross_series(lagged_dataset):
    from conftest import make_lagged_dataset

    ds = make_lagged_dataset(n_series=3, n_times=10)
    inputs = NODE().build_inputs(ds)
    assert inputs.x_now.shape == (3 * 9, ds.n_genes)  # 9 lag-1 pairs per series, none across
    first = ds.expression[:, :10].T
    np.testing.assert_allclose(inputs.derivative[:9], np.diff(first, axis=0))  # Δt = 1


def test_decay_estimate_matches_dyngenie3_and_survives_constant_genes():
    t = np.arange(0.0, 101.0, 10.0)
    decaying = 5.0 * np.exp(-0.03 * t) + 1.0
    constant = np.full_like(t, 2.0)
    rising = 1.0 + 0.01 * t
    values = np.column_stack([decaying, constant, rising])
    alphas = decay_from_data([values], [t])
    c_min = values.min()
    expected0 = (np.log(values[0, 0] - c_min) - np.log(max(values[-1, 0] - c_min, 1e-6))) / 100.0
    assert alphas[0] == pytest.approx(expected0)
    assert alphas[1] == 0.0  # the reference returns NaN (0 / 0) here
    assert np.all(np.isfinite(alphas))
    # maximum over series
    two = decay_from_data([values, values * 1.0], [t, t * 2])
    assert two[0] == pytest.approx(expected0)


def test_constant_target_scores_zero_not_nan(dream4_small):
    expression = dream4_small.expression.copy()
    expression[0] = 0.5
    ds = Dataset(name="const", genes=dream4_small.genes, expression=expression,
                 times=dream4_small.times, series=dream4_small.series, tfs=dream4_small.tfs,
                 gold_standard=dream4_small.gold_standard)
    method = NODE(**FAST)
    method.fit(TrainingData(dataset=ds, seed=0))
    scores = _dense(method, ds)
    assert np.all(np.isfinite(scores)) and np.all(scores[:, 0] == 0)


def test_skips_with_clear_reasons(lagged_dataset):
    from conftest import make_lagged_dataset

    short = make_lagged_dataset(n_times=2, n_series=2)
    assert "needs at least 3 time points per series" in NODE().skip(short)
    assert NODE().skip(lagged_dataset) is None
    ds = make_lagged_dataset(n_times=5)
    unordered = Dataset(name="unordered", genes=ds.genes, expression=ds.expression,
                        times=np.array([0.0, 1.0, 1.0, 3.0, 4.0]), series=ds.series, tfs=ds.tfs,
                        gold_standard=ds.gold_standard)
    assert "strictly increasing" in NODE().skip(unordered)


def test_parameters_are_explicit_and_validated():
    params = NODE().xgb_params()
    for key in ("learning_rate", "max_depth", "n_estimators", "tree_method", "base_score", "objective",
                "n_jobs", "subsample", "min_child_weight", "reg_lambda", "gamma"):
        assert key in params
    assert params["tree_method"] == "exact" and params["base_score"] == 0.5 and params["n_jobs"] == 1
    with pytest.raises(UserError):
        NODE(alpha="fast")
    with pytest.raises(UserError):
        NODE(importance_type="split")
    assert NODE(alpha="0.02")._alpha() == 0.02


def test_beats_chance_on_dream4(dream4_small):
    universe = EdgeUniverse.from_dataset(dream4_small)
    method = NODE(**FAST)
    method.fit(TrainingData(dataset=dream4_small, seed=0))
    scores = method.score_edges(universe.pairs)
    assert average_precision_score(universe.labels, scores) > 2 * universe.labels.mean()


def test_too_few_trees_report_constant_scores_not_a_result(tmp_path, capsys) -> None:
    """At the reference learning rate, 30 trees never split on DREAM4 (see FAST): every score is
    0, and the run's table and report say "constant scores" for NODE and for nothing else."""
    from grnbench.cli import main

    out = tmp_path / "run"
    assert main(["run", "--dataset", "dream4-10-1", "--methods", "node:n_estimators=30,correlation",
                 "--workers", "0", "--out", str(out)]) == 0
    rows = pd.read_csv(out / "results.csv").set_index("method")
    assert rows.loc["node:n_estimators=30", "distinct_scores"] == 1
    assert rows.loc["correlation", "distinct_scores"] > 1
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines if "constant scores" in line] == ["node:n_estimators=30"]
    assert "ok; constant scores" in (out / "report.html").read_text()
