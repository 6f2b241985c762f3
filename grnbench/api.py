"""The plugin contract every GRN inference method implements — and nothing else.

Modelled on scikit-learn estimators and benchopt solvers: parameters are fixed at
construction and stored unchanged, ``fit`` learns, ``score_edges`` only reads, and ``skip``
says *why* a method cannot run on a dataset instead of failing half-way through a run.
``grnbench.trial.fit_and_score`` is the one place that builds a method's ``TrainingData``,
fits it and scores the test pairs; ``grnbench.testing.check_method`` checks a method against
this contract.
"""

from __future__ import annotations

import math
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


@dataclass(frozen=True)
class Allowed:
    """The values one parameter accepts beyond its type (``Method.allowed``).

    Declared beside ``parameters`` because a value the method's library rejects (sklearn's
    ``n_estimators=-1``, an unknown ``max_features``) otherwise fails only at fit time, minutes
    into a run and once per task; ``parameter_problem`` refuses it while ``--methods`` is parsed
    (``grnbench.registry.parse_method_specs``) and when a method is built.

    A value is accepted when it is one of ``choices``, or (with a bound) a finite number within
    the bounds, or (with ``check``) when ``check`` accepts it.
    """

    minimum: float | None = None
    #: the value must be above ``minimum`` (a learning rate), not merely equal to it
    exclusive_minimum: bool = False
    maximum: float | None = None
    exclusive_maximum: bool = False
    choices: tuple[Any, ...] = ()
    #: for a value with a grammar of its own (sklearn's ``max_features``): True when the method
    #: can use the value; ``text`` then says what it accepts
    check: Callable[[Any], bool] | None = None
    text: str = ""

    @property
    def bounded(self) -> bool:
        return self.minimum is not None or self.maximum is not None

    def describe(self) -> str:
        """What the value must be, completing "must be ..." (also shown by ``grnbench show``)."""
        if self.text:
            return self.text
        parts = []
        if self.choices:
            names = ", ".join(str(c) for c in self.choices)
            parts.append(f"one of {names}" if len(self.choices) > 1 else names)
        if self.bounded:
            bounds = []
            if self.minimum is not None:
                bounds.append(f"{'>' if self.exclusive_minimum else '>='} {self.minimum:g}")
            if self.maximum is not None:
                bounds.append(f"{'<' if self.exclusive_maximum else '<='} {self.maximum:g}")
            parts.append(("a number " if self.choices else "") + " and ".join(bounds))
        return " or ".join(parts)

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is refused (the text after "must be"), or None when it is accepted."""
        if self.check is not None:
            return None if self.check(value) else f"{self.describe()}, got {value!r}"
        if self.choices and any(value == c and type(value) is type(c) for c in self.choices):
            return None
        if not self.bounded:
            return f"{self.describe()}, got {value!r}" if self.choices else None
        number: float | None = None
        if not isinstance(value, bool):
            try:
                number = float(value)
            except (TypeError, ValueError):
                number = None
        ok = number is not None and math.isfinite(number)
        if ok and self.minimum is not None:
            ok = number > self.minimum if self.exclusive_minimum else number >= self.minimum
        if ok and self.maximum is not None:
            ok = number < self.maximum if self.exclusive_maximum else number <= self.maximum
        return None if ok else f"{self.describe()}, got {value!r}"


def positive() -> Allowed:
    """A count, rate or size that must be above zero (trees, epochs, a learning rate)."""
    return Allowed(minimum=0, exclusive_minimum=True)


def at_least(minimum: float) -> Allowed:
    """A number of at least ``minimum`` (a count that may be 0, a floor such as CNNC's bins)."""
    return Allowed(minimum=minimum)


def fraction() -> Allowed:
    """A share above 0 and at most 1 (a subsample fraction: 1 keeps everything)."""
    return Allowed(minimum=0, exclusive_minimum=True, maximum=1)


def dropout() -> Allowed:
    """A dropout rate: at least 0 (none) and below 1 (Keras refuses dropping every unit)."""
    return Allowed(minimum=0, maximum=1, exclusive_maximum=True)


def one_of(*choices: Any) -> Allowed:
    """One of a fixed set of values (a variant, a balancing rule)."""
    return Allowed(choices=tuple(choices))


def parameter_problem(cls: type[Method], key: str, value: Any) -> str | None:
    """The one-line error for ``value`` of parameter ``key`` of ``cls``, or None when the
    method's ``allowed`` declaration accepts it (a parameter without one accepts anything)."""
    allowed = cls.allowed.get(key)
    problem = None if allowed is None else allowed.problem(value)
    if problem is None:
        return None
    return f"{cls.name}:{key} must be {problem} (default {cls.parameters.get(key)!r})"


class Method(ABC):
    """Base class of every GRN inference method.

    Subclasses set the class attributes and implement ``fit`` and ``score_edges``. They
    register through the ``grnbench.methods`` entry-point group (or ``--plugin FILE``).
    """

    name: ClassVar[str]
    supervised: ClassVar[bool] = False
    parameters: ClassVar[dict[str, Any]] = {}
    #: parameter → the values it accepts beyond its type (``Allowed``): checked when
    #: ``--methods`` is parsed and when the method is built, so a value the method's library
    #: would reject at fit time stops the run before any task starts
    allowed: ClassVar[dict[str, Allowed]] = {}
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
        for key, value in params.items():
            problem = parameter_problem(type(self), key, value)
            if problem:
                raise UserError(problem)

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
