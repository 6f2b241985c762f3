"""The one path from a method and a trial to scored test pairs.

``fit_and_score`` builds the ``TrainingData`` of a trial (a label-free view of the dataset;
for supervised methods, the labelled train and validation pairs and nothing else), fits the
method, scores the test pairs and measures both steps. The runner's task, the method checker
(``grnbench.testing``), the tests and the benchmark scripts all call it, so what a method may
see is decided in one place (benchopt's ``run_one_solver``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from grnbench.api import Method, TrainingData
from grnbench.data.dataset import Dataset
from grnbench.data.protocols import ProtocolSpec, Trial, make_trial, noisy_training_copies
from grnbench.data.universe import EdgeUniverse, LabelledPairs, PairSet
from grnbench.data.view import DatasetView
from grnbench.evaluation.catalogue import compute_metrics, pair_columns
from grnbench.evaluation.metrics import DEFAULT_TOP_K, ScoredPairs, check_scores
from grnbench.execution.resources import Measurement, ResourceMeter
from grnbench.learning_curve import recording


@dataclass(frozen=True)
class TrialResult:
    """A fitted method's scores for the test pairs of one trial, with what they cost.

    ``labels`` are the test pairs' gold-standard labels, looked up after scoring for
    evaluation; ``fit`` never saw them. ``method`` is the fitted instance (to score more
    pairs, e.g. the whole universe for an unsupervised method).
    """

    method: Method
    trial: Trial
    test_index: np.ndarray
    scores: np.ndarray
    labels: np.ndarray
    fit_cost: Measurement
    score_cost: Measurement
    #: per-test-pair columns for the metric catalogue: regulator and target names, and any
    #: family's ``pair_columns``
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    #: one row per trained epoch of a deep fit (``grnbench.learning_curve.COLUMNS`` and
    #: ``fold``: the cross-validation fold, None without folds); empty for other methods
    curve: list[dict] = field(default_factory=list)

    @property
    def n_train(self) -> int:
        return len(self.trial.split.train)

    @property
    def n_validation(self) -> int:
        return len(self.trial.split.validation)

    @property
    def n_test(self) -> int:
        return len(self.trial.split.test)

    def metrics(self, top_k: int = DEFAULT_TOP_K) -> dict[str, float | int]:
        """Every column of the metric catalogue for these scores."""
        return compute_metrics(ScoredPairs(self.labels, self.scores, top_k, self.trial.seed, self.columns))


def standard_trial(universe: EdgeUniverse, seed: int, split: str = "stratified") -> Trial:
    """The standard protocol's single trial (the PSGRN paper's 3:1:1 split) for ``seed``."""
    return make_trial(universe, ProtocolSpec("standard", (("repeats", 1),)), 0, seed, split)


def skip_reason(method: Method, dataset: Dataset | DatasetView) -> str | None:
    """``method.skip`` on the label-free view: ``skip`` sees no more than ``fit`` does."""
    return method.skip(DatasetView.of(dataset))


def training_data(method: Method, view: DatasetView, trial: Trial, universe: EdgeUniverse, *,
                  client: Any = None, n_threads: int = 1, on_progress: Any = None,
                  progress: bool = False, init_seed: int | None = None,
                  checkpoint_dir: Path | None = None) -> TrainingData:
    """What ``fit`` receives for ``trial``: the view, the seed (the trial's, or ``init_seed``
    when several initialisations share one split) and, for a supervised method only, the
    train and validation pairs with their labels (copies)."""
    train = validation = None
    if method.supervised:
        train = _labelled(trial.feature_pairs, universe.labels, trial.split.train)
        validation = _labelled(trial.feature_pairs, universe.labels, trial.split.validation)
        if trial.noise_added:
            noisy, labels = noisy_training_copies(trial, universe)
            train = LabelledPairs(PairSet(np.concatenate([train.pairs.regulators, noisy.regulators]),
                                          np.concatenate([train.pairs.targets, noisy.targets])),
                                  np.concatenate([train.labels, labels]))
    seed = trial.seed if init_seed is None else int(init_seed)
    return TrainingData(dataset=view, seed=seed, train=train, validation=validation,
                        client=client, n_threads=n_threads, progress=progress, on_progress=on_progress,
                        checkpoint_dir=checkpoint_dir)


def fit_and_score(method: Method, dataset: Dataset, trial: Trial, *, universe: EdgeUniverse | None = None,
                  client: Any = None, n_threads: int = 1, on_progress: Any = None,
                  progress: bool = False, init_seed: int | None = None,
                  checkpoint_dir: Path | None = None) -> TrialResult:
    """Fit ``method`` on ``trial`` of ``dataset`` and score its test pairs.

    ``universe`` is ``EdgeUniverse.from_dataset(dataset)``, passed by callers that already
    built it. Raises whatever the method raises, and ``ValueError`` when the scores are not
    one finite float per test pair; a caller that must not fail (the runner's task) turns
    that into a result row. ``checkpoint_dir``: where deep fits keep resumable state (one
    sub-folder ``fold-N`` per cross-validation fold).
    """
    universe = universe if universe is not None else EdgeUniverse.from_dataset(dataset)
    view = DatasetView.of(dataset)
    test = trial.split.test
    # one fit on the trial's split; under cross-validation one per rotation for a supervised
    # method (each scores its own fold), one for an unsupervised method (it scores every pair)
    rotations = trial.folds if (trial.folds and method.supervised) else (trial.split,)
    scores = np.empty(len(test), dtype=np.float64)
    fit_cost, score_cost = Measurement(), Measurement()
    curve: list[dict] = []
    for number, rotation in enumerate(rotations):
        model = method if number == 0 else type(method)(**method.params)
        data = training_data(model, view, replace(trial, split=rotation, folds=()), universe, client=client,
                             n_threads=n_threads, on_progress=on_progress, progress=progress, init_seed=init_seed,
                             checkpoint_dir=_fold_checkpoint_dir(checkpoint_dir, number, len(rotations)))
        scored = rotation.test if len(rotations) > 1 else test
        with ResourceMeter() as fit_part, recording(fits_after=len(rotations) - number - 1) as fit_curve:
            model.fit(data)
        # a fit resumed from a checkpoint: its earlier processes' training counts too
        fit_part.wall_s += fit_curve.carried_wall_s
        fit_part.cpu_s += fit_curve.carried_cpu_s
        fold = number if len(rotations) > 1 else None
        curve += [{"fold": fold, **row} for row in fit_curve.rows]
        with ResourceMeter() as score_part:
            raw = model.score_edges(trial.feature_pairs.subset(scored))
        scores[np.searchsorted(test, scored)] = check_scores(raw, len(scored), method.name)
        fit_cost, score_cost = fit_cost + fit_part, score_cost + score_part
    regulators, targets = universe.names(test)
    columns = {"regulator": regulators, "target": targets, **pair_columns(trial, universe)}
    return TrialResult(method, trial, test, scores, np.asarray(universe.labels[test]), fit_cost, score_cost, columns,
                       curve)


def _fold_checkpoint_dir(checkpoint_dir: Path | None, fold: int, folds: int) -> Path | None:
    """A fit's checkpoint folder: the task's own, or ``fold-N`` inside it under cross-validation
    (each fold's model trains separately)."""
    if checkpoint_dir is None:
        return None
    return Path(checkpoint_dir) / f"fold-{fold}" if folds > 1 else Path(checkpoint_dir)


def _labelled(pairs: PairSet, labels: np.ndarray, index: np.ndarray) -> LabelledPairs:
    """The pairs at ``index`` with their labels, as fresh arrays (fancy indexing copies), so
    a method that edits them edits only its own copy."""
    return LabelledPairs(pairs.subset(index), np.array(labels[index], copy=True))
