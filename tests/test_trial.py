"""grnbench.trial.fit_and_score: the one path from a method and a trial to scored test pairs."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import fit_and_score_standard

from grnbench.api import Method, TrainingData
from grnbench.data.dataset import Dataset
from grnbench.data.protocols import make_trial, parse_protocols
from grnbench.data.universe import EdgeUniverse, PairSet
from grnbench.data.view import DatasetView
from grnbench.execution.tasks import Task, execute_task
from grnbench.registry import MethodSpec
from grnbench.trial import fit_and_score, standard_trial


class Spy(Method):
    """Records what fit is given; scores pairs by their regulator index."""

    name = "spy"
    description = "test method"
    supervised = True

    def fit(self, data: TrainingData) -> None:
        self.data_ = data

    def score_edges(self, pairs: PairSet) -> np.ndarray:
        return pairs.regulators.astype(float)


@pytest.mark.parametrize("protocol", ["standard", "noise:fraction=0.2,repeats=1,mode=replaced",
                                      "subsample:fraction=0.5,repeats=1"])
def test_a_supervised_method_gets_the_trials_train_and_validation_pairs_and_no_test_pair(lagged_dataset: Dataset, protocol):
    universe = EdgeUniverse.from_dataset(lagged_dataset)
    trial = make_trial(universe, parse_protocols(protocol)[0], 0, 7)
    result = fit_and_score(Spy(), lagged_dataset, trial)
    data = result.method.data_
    split = trial.split
    assert isinstance(data.dataset, DatasetView) and data.seed == trial.seed
    for part, given in ((split.train, data.train), (split.validation, data.validation)):
        np.testing.assert_array_equal(given.pairs.regulators, trial.feature_pairs.regulators[part])  # noisy series kept
        np.testing.assert_array_equal(given.pairs.targets, trial.feature_pairs.targets[part])
        np.testing.assert_array_equal(given.labels, universe.labels[part])
    assert not set(split.test) & (set(split.train) | set(split.validation))
    np.testing.assert_array_equal(result.test_index, split.test)
    np.testing.assert_array_equal(result.labels, universe.labels[split.test])
    np.testing.assert_array_equal(result.scores, trial.feature_pairs.regulators[split.test].astype(float))
    if protocol.startswith("subsample"):
        assert result.n_train + result.n_validation + result.n_test == pytest.approx(0.5 * universe.n_pairs, abs=2)
    if protocol.startswith("noise"):
        assert len(trial.corrupted) > 0  # some pairs are fed other genes' series, in every part


def test_noise_added_extends_only_the_training_part(lagged_dataset: Dataset):
    universe = EdgeUniverse.from_dataset(lagged_dataset)
    trial = make_trial(universe, parse_protocols("noise:fraction=0.2,repeats=1")[0], 0, 7)
    result = fit_and_score(Spy(), lagged_dataset, trial)
    data = result.method.data_
    extra = round(0.2 * universe.n_pairs)
    assert len(data.train) == len(trial.split.train) + extra
    np.testing.assert_array_equal(data.validation.pairs.regulators, universe.pairs.regulators[trial.split.validation])
    np.testing.assert_array_equal(result.scores, universe.pairs.regulators[trial.split.test].astype(float))


def test_an_unsupervised_method_gets_no_labels(lagged_dataset: Dataset):
    class Unsupervised(Spy):
        supervised = False

    result = fit_and_score_standard(Unsupervised(), lagged_dataset, seed=0)
    assert result.method.data_.train is None and result.method.data_.validation is None


def test_a_wrong_number_of_scores_is_an_error_naming_the_method(lagged_dataset: Dataset):
    class Short(Spy):
        def score_edges(self, pairs):
            return np.zeros(len(pairs) - 1)

    with pytest.raises(ValueError, match="spy returned"):
        fit_and_score(Short(), lagged_dataset, standard_trial(EdgeUniverse.from_dataset(lagged_dataset), 0))


def test_the_runners_task_scores_exactly_what_fit_and_score_scores(dream4_small: Dataset):
    from grnbench.methods.correlation import Correlation

    protocol = parse_protocols("noise:repeats=2")[0]
    task = Task(MethodSpec("correlation"), dream4_small.name, protocol, repeat=1, seed=4)
    output = execute_task(task, dream4_small)
    universe = EdgeUniverse.from_dataset(dream4_small)
    direct = fit_and_score(Correlation(), dream4_small, make_trial(universe, protocol, 1, 4))
    np.testing.assert_array_equal(output.scores, direct.scores)
    np.testing.assert_array_equal(output.test_index, direct.test_index)
    assert output.record.aupr == direct.metrics()["aupr"] and output.record.seed == direct.trial.seed
