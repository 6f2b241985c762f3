"""The plugin contract every GRN inference method implements — and nothing else.

Modelled on scikit-learn estimators and benchopt solvers: parameters are fixed at
construction and stored unchanged, ``fit`` learns, ``score_edges`` only reads, and ``skip``
says *why* a method cannot run on a dataset instead of failing half-way through a run.
``grnbench.trial.fit_and_score`` is the one place that builds a method's ``TrainingData``,
fits it and scores the test pairs; ``grnbench.testing.check_method`` checks a method against
this contract.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from grnbench.data.universe import LabelledPairs, PairSet
from grnbench.data.view import DatasetView
from grnbench.errors import UserError
from grnbench.execution.task_progress import ProgressEvent


@dataclass(frozen=True)
class TrainingData:
    """Everything ``fit`` may use.

    ``dataset`` is a label-free ``DatasetView`` (expression, times, series, TFs, steady state):
    a ``Dataset`` passed here is replaced by its view, so no method ever holds the gold
    standard. Unsupervised methods get ``train`` and ``validation`` as ``None``: they infer
    from the expression alone. Supervised methods get the labelled training and validation
    pairs — their only labels; the test pairs are never among them.

    ``client`` is a ``distributed.Client`` when the runner executes on Dask: methods with
    per-target work submit their inner tasks to it instead of starting a cluster of their own.
    ``n_threads`` is this task's share of the cores (deep-learning methods size their thread
    pools from it so that concurrent tasks do not oversubscribe the machine).
    ``on_progress`` receives ``grnbench.execution.task_progress.ProgressEvent`` s (targets done, epochs)
    that the runner shows beside the task's elapsed time; None when nobody listens.
    ``checkpoint_dir`` is where a method with epochs keeps its per-epoch training state so an
    interrupted fit resumes (``grnbench.deep.resumable_fit``); the runner gives each task (and
    each cross-validation fold) its own folder beside the cache. None: no checkpoints.
    """

    dataset: DatasetView
    seed: int
    train: LabelledPairs | None = None
    validation: LabelledPairs | None = None
    client: Any = None
    n_threads: int = 1
    progress: bool = False
    on_progress: Callable[[ProgressEvent], None] | None = None
    checkpoint_dir: Path | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.dataset, DatasetView):
            object.__setattr__(self, "dataset", DatasetView.of(self.dataset))


@dataclass(frozen=True)
class Reference:
    """What the method's authors do for one parameter, and where that is written (a file and
    line of their public code, or a paper section). ``grnbench show`` and the faithfulness
    tables in docs/methods/ are printed from these, and tests pin the defaults to them."""

    value: Any
    source: str


@dataclass(frozen=True)
class Deviation:
    """A named, deliberate departure from the authors' method: what they do, what grnbench
    does, why, and its measured effect (or "not measured")."""

    aspect: str
    reference: str
    grnbench: str
    why: str
    effect: str = "not measured"


class Method(ABC):
    """Base class of every GRN inference method.

    Subclasses set the class attributes and implement ``fit`` and ``score_edges``. They
    register through the ``grnbench.methods`` entry-point group (or ``--plugin FILE``).
    """

    name: ClassVar[str]
    supervised: ClassVar[bool] = False
    parameters: ClassVar[dict[str, Any]] = {}
    description: ClassVar[str] = ""
    #: included in ``--methods all`` (ablation variants set this to False)
    in_all: ClassVar[bool] = True
    #: smallest number of time points per series the method can use
    min_time_points: ClassVar[int] = 1
    #: True for methods that submit per-target work to ``TrainingData.client``; the Dask
    #: runner hands them the worker's client; they secede only while waiting for their targets
    uses_dask: ClassVar[bool] = False
    #: True for methods whose ``fit`` runs ``TrainingData.n_threads`` threads (the Keras
    #: models): on its own LocalCluster the runner gives such tasks a share of every core
    #: (``grnbench.deep.shared_task_threads``) instead of one worker thread each
    uses_threads: ClassVar[bool] = False
    #: True for methods that fit and score in seconds at any size a run meets (the controls):
    #: the run plan starts them before everything else, so that a long run stopped early
    #: still has its baselines, at a cost of seconds to the rest
    cheap: ClassVar[bool] = False
    #: True when ``fit`` and ``score_edges`` ignore ``TrainingData.seed`` (the same scores for
    #: every model seed): under ``--seeds`` the runner fits such a method once, and the
    #: comparisons set its one fit against the seed-mean of the others
    deterministic: ClassVar[bool] = False
    #: the authors' publication and code, in one line (shown by ``grnbench show``)
    reference_source: ClassVar[str] = ""
    #: parameter → the authors' value and its source; a default that differs from it must be
    #: explained by a ``Deviation`` whose aspect names the parameter
    references: ClassVar[dict[str, Reference]] = {}
    #: deliberate departures from the authors' method
    deviations: ClassVar[tuple[Deviation, ...]] = ()
    #: trains a Keras model (``grnbench.deep``): runs on ``--device`` and reports it in results
    uses_keras: ClassVar[bool] = False
    #: the quick profile's caps (``--profile quick``): fewer epochs or trees, the same model;
    #: user-set values win
    quick_parameters: ClassVar[dict[str, Any]] = {}
    #: CPU seconds per training pair per epoch on one thread, measured at a feature size of
    #: ``cost_reference_size`` (``cost_size``) and scaled to a machine of
    #: ``execution.cost.REFERENCE_GFLOPS`` (``benchmarks/fit_cost_constants.py`` does both); the
    #: runner's training-time estimate and task order come from it. None: no estimate (the
    #: method is not trained in epochs)
    cpu_s_per_pair_epoch: ClassVar[float | None] = None
    cost_reference_size: ClassVar[float] = 1.0
    #: parameters that make the method fast enough for ``grnbench check`` (tiny models, few
    #: epochs); they must still train on real numbers
    test_parameters: ClassVar[dict[str, Any]] = {}
    #: for an ablation variant, the name of the method it ablates (the report groups the
    #: variants with that method and shows each one's change against it)
    ablation_of: ClassVar[str | None] = None

    def __init__(self, **params: Any) -> None:
        unknown = sorted(set(params) - set(self.parameters))
        if unknown:
            valid = ", ".join(sorted(self.parameters)) or "none"
            raise UserError(f"method {self.name!r} has no parameter {', '.join(unknown)}; valid parameters: {valid}")
        self.params: dict[str, Any] = {**self.parameters, **params}

    @classmethod
    def cost_size(cls, dataset: Any, params: dict[str, Any]) -> float:
        """The feature size a pair's training cost scales with on ``dataset`` (0: the method
        cannot run there); compared with ``cost_reference_size``."""
        return 1.0

    def skip(self, dataset: DatasetView) -> str | None:
        """Return a reason when this method cannot run on ``dataset`` (a label-free view), else None."""
        shortest = dataset.min_series_length()
        if shortest < self.min_time_points:
            return (f"{self.name} needs at least {self.min_time_points} time points per series; "
                    f"{dataset.name} has {shortest}")
        return None

    @abstractmethod
    def fit(self, data: TrainingData) -> None:
        """Learn from the data; store what ``score_edges`` needs on ``self``."""

    @abstractmethod
    def score_edges(self, pairs: PairSet) -> np.ndarray:
        """One finite float per pair; higher means more likely a regulation."""

    @classmethod
    def source_hash(cls) -> str:
        """Hash of the code that computes this method's scores (see ``grnbench.execution.source_hash``)."""
        from grnbench.execution.source_hash import source_hash

        return source_hash(cls)
