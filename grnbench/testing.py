"""The method checker that ships with grnbench (scikit-learn's ``check_estimator``,
``benchopt test``): ``grnbench check NAME`` on the command line, ``check_method`` in Python.

A plugin author runs it from their own test suite::

    from grnbench.testing import check_method
    from my_package import MyMethod

    def test_my_method_honours_the_grnbench_contract():
        check_method(MyMethod)          # raises AssertionError listing every failed check

It fits the method a few times with its ``test_parameters`` on a small synthetic dataset
whose answer is recoverable from time-lagged series (seconds for a well-chosen
``test_parameters``), always through ``grnbench.trial.fit_and_score``, and checks: the
interface attributes; that the entry-point key equals ``name`` and no other source claims the
name; a finite score for every test pair; same seed → same scores; scores independent of the
order and batching of the pairs asked for; parameters stored unchanged; fitted attributes
named as in scikit-learn (trailing ``_``); picklable (Dask ships
methods to workers); that a supervised method is given no test pair and an unsupervised one
no labels; and that the scores do not depend on the gold standard of the test pairs (it refits
with those labels changed and requires identical scores), which catches a method that reaches
the answer key by any path.
"""

from __future__ import annotations

import copy
import inspect
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grnbench.api import Method, TrainingData
from grnbench.data.dataset import Dataset
from grnbench.data.protocols import Trial
from grnbench.data.universe import EdgeUniverse, PairSet
from grnbench.data.view import DatasetView
from grnbench.trial import TrialResult, fit_and_score, skip_reason, standard_trial

#: largest difference between two score vectors that still counts as "the same scores"
ATOL = 1e-6
RTOL = 1e-5


def make_lagged_dataset(n_tfs: int = 6, n_targets: int = 18, n_times: int = 60, lag: int = 2,
                        seed: int = 0, n_series: int = 1) -> Dataset:
    """TFs are smooth random walks; each target copies one TF ``lag`` steps later, plus noise.

    Ground truth is therefore recoverable from time-lagged series, so a method that reads
    time series can beat chance on it, and it is small enough to fit in seconds.
    """
    rng = np.random.default_rng(seed)
    blocks = []
    parents = rng.integers(0, n_tfs, size=n_targets)
    for _ in range(n_series):
        tf = np.cumsum(rng.normal(size=(n_tfs, n_times + lag)), axis=1)
        tf = (tf - tf.mean(axis=1, keepdims=True)) / tf.std(axis=1, keepdims=True)
        targets = tf[parents, : n_times] + 0.3 * rng.normal(size=(n_targets, n_times))
        blocks.append(np.vstack([tf[:, lag:], targets]))
    expression = np.hstack(blocks)
    genes = tuple(f"TF{i}" for i in range(n_tfs)) + tuple(f"T{i}" for i in range(n_targets))
    gold = frozenset((f"TF{p}", f"T{i}") for i, p in enumerate(parents))
    return Dataset(
        name="lagged-synthetic", genes=genes, expression=expression,
        times=np.tile(np.arange(n_times, dtype=float), n_series),
        series=np.repeat(np.arange(n_series), n_times), tfs=genes[:n_tfs], gold_standard=gold,
        source="synthetic (grnbench.testing)", licence="n/a",
    )


@dataclass(frozen=True)
class CheckResult:
    """One check: ``ok`` True (passed), False (failed) or None (could not run, see message)."""

    check: str
    ok: bool | None
    message: str = ""
    seconds: float = 0.0


@dataclass
class CheckReport:
    """Every check of one method, and where the method came from."""

    method: str
    source: str
    results: list[CheckResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(r.ok is not False for r in self.results)

    @property
    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if r.ok is False]

    def lines(self) -> list[str]:
        out = [f"{self.method} ({self.source})"]
        for r in self.results:
            status = {True: "ok", False: "FAIL", None: "n/a"}[r.ok]
            text = f"  {status:<5} {r.check:<28} {r.seconds:6.2f} s"
            out.append(text + (f"  {r.message}" if r.message else ""))
        verdict = "passed" if self.ok else f"FAILED {len(self.failures)} of {len(self.results)} checks"
        out.append(f"{self.method}: {verdict} in {self.seconds:.1f} s")
        return out


class _Checker:
    """Runs the checks of one method class in order, sharing the fits between them."""

    def __init__(self, cls: type[Method], params: dict[str, Any], dataset: Dataset, seed: int,
                 registry: Any, on_step: Callable[[str, CheckResult | None], None] | None = None) -> None:
        self.cls, self.params, self.dataset, self.seed, self.registry = cls, params, dataset, seed, registry
        self.on_step = on_step
        self.results: list[CheckResult] = []
        self.universe = EdgeUniverse.from_dataset(dataset)
        self.trial: Trial = standard_trial(self.universe, seed)
        self.first: TrialResult | None = None
        self.seen: list[TrainingData] = []

    def run(self, check: str, body: Callable[[], str | None], needs_fit: bool = False) -> None:
        if needs_fit and self.first is None:
            self.results.append(CheckResult(check, None, "not run: the method was not fitted"))
            self._step(check, self.results[-1])
            return
        self._step(check, None)
        start = time.perf_counter()
        try:
            message = body() or ""
            ok: bool | None = True
        except _NotRun as exc:
            message, ok = str(exc), None
        except AssertionError as exc:
            message, ok = str(exc), False
        except Exception as exc:  # a method raising is a failed check, reported in one line
            message, ok = f"{type(exc).__name__}: {exc}".replace("\n", " ")[:400], False
        self.results.append(CheckResult(check, ok, message, time.perf_counter() - start))
        self._step(check, self.results[-1])

    def _step(self, check: str, result: CheckResult | None) -> None:
        if self.on_step is not None:
            self.on_step(check, result)

    def build(self) -> Method:
        return self.cls(**self.params)

    def fit(self, dataset: Dataset, record: bool = False) -> TrialResult:
        method = self.build()
        if record:
            spied = method.fit

            def fit(data: TrainingData) -> None:
                self.seen.append(data)
                spied(data)

            method.fit = fit  # type: ignore[method-assign]  # records what fit is given
        result = fit_and_score(method, dataset, self.trial)
        if record:
            del method.fit
        return result

    # ------------------------------------------------------------------ the checks

    def interface(self) -> str | None:
        cls = self.cls
        problems = []
        if not (isinstance(getattr(cls, "name", None), str) and cls.name):
            problems.append("`name` must be a non-empty string")
        if not isinstance(cls.supervised, bool):
            problems.append("`supervised` must be True or False")
        if not isinstance(cls.parameters, dict):
            problems.append("`parameters` must be a dict of defaults")
        elif not set(cls.test_parameters) <= set(cls.parameters):
            problems.append(f"test_parameters {sorted(set(cls.test_parameters) - set(cls.parameters))} are not parameters")
        if not (isinstance(cls.description, str) and cls.description.strip()):
            problems.append("`description` is empty (grnbench list shows it)")
        for flag in ("in_all", "uses_dask", "uses_threads", "cheap", "deterministic"):
            if not isinstance(getattr(cls, flag), bool):
                problems.append(f"`{flag}` must be True or False")
        if not (isinstance(cls.min_time_points, int) and cls.min_time_points >= 1):
            problems.append("`min_time_points` must be a positive int")
        if cls.ablation_of is not None and not isinstance(cls.ablation_of, str):
            problems.append("`ablation_of` must be a method name or None")
        if inspect.isabstract(cls):
            problems.append(f"abstract methods not implemented: {', '.join(sorted(cls.__abstractmethods__))}")
        assert not problems, "; ".join(problems)
        return None

    def registration(self) -> str | None:
        if self.registry is None:
            raise _NotRun("no registry given")
        name = self.cls.name
        if name in self.registry.conflicts:
            a, b = self.registry.conflicts[name]
            raise AssertionError(f"the name {name!r} is defined twice: by {a.describe()} and by {b.describe()}")
        keys = [k for k, n in self.registry.key_mismatches.items() if n == name]
        assert not keys, (f"entry-point key {keys[0]!r} differs from the method's name {name!r}; "
                          f"`--methods {keys[0]}` would not find it: make them equal")
        source = self.registry.sources.get(name)
        if source is None or self.registry.methods.get(name) is not self.cls:
            raise _NotRun(f"{name!r} is not registered (check it with --plugin FILE or install its entry point)")
        return source.describe()

    def parameters_unchanged(self) -> str | None:
        defaults = copy.deepcopy(self.cls.parameters)
        method = self.build()
        expected = {**defaults, **self.params}
        assert method.params == expected, f"params {method.params} differ from defaults + given {expected}"
        if self.first is not None:
            assert self.first.method.params == expected, "fit changed self.params"
        assert self.cls.parameters == defaults, "the class's `parameters` defaults were modified"
        return None

    def fitted_state(self) -> str | None:
        """scikit-learn's convention: ``__init__`` stores only the parameters; what ``fit``
        learns is an attribute ending in ``_`` (or private, starting with ``_``)."""
        unfitted = set(vars(self.build()))
        assert unfitted <= {"params"}, f"__init__ sets {sorted(unfitted - {'params'})}; set only self.params (learn in fit)"
        learned = set(vars(self.first.method)) - unfitted
        public = sorted(a for a in learned if not a.startswith("_") and not a.endswith("_"))
        assert not public, f"fit sets {public}; name fitted attributes with a trailing underscore (model_, scores_)"
        return None

    def picklable(self) -> str | None:
        method = self.build()
        again = pickle.loads(pickle.dumps(method))
        assert type(again) is self.cls and again.params == method.params, "unpickled method differs"
        return None

    def skip_on_dataset(self) -> str | None:
        reason = skip_reason(self.build(), self.dataset)
        if reason:
            raise _NotRun(f"skips the check dataset: {reason}; pass another dataset")
        return None

    def finite_scores(self) -> str | None:
        self.first = self.fit(self.dataset, record=True)
        n = len(self.trial.split.test)
        return f"{n} test pairs, fit {self.first.fit_cost.wall_s:.2f} s"

    def same_seed_same_scores(self) -> str | None:
        again = self.fit(self.dataset)
        _assert_same(self.first.scores, again.scores, "refitting with the same seed changed the scores")
        return None

    def order_and_batching(self) -> str | None:
        method, test = self.first.method, self.trial.feature_pairs.subset(self.trial.split.test)
        order = np.random.default_rng(self.seed).permutation(len(test))
        shuffled = np.asarray(method.score_edges(test.subset(order)), dtype=float)
        unshuffled = np.empty_like(shuffled)
        unshuffled[order] = shuffled
        _assert_same(self.first.scores, unshuffled, "scores depend on the order of the pairs asked for")
        batches = [np.asarray(method.score_edges(test.subset(np.arange(i, min(i + 5, len(test))))), dtype=float)
                   for i in range(0, len(test), 5)]
        _assert_same(self.first.scores, np.concatenate(batches), "scores depend on how the pairs are batched")
        one = np.asarray(method.score_edges(PairSet(test.regulators[:1], test.targets[:1])), dtype=float)
        _assert_same(self.first.scores[:1], one, "the score of a pair asked for alone differs")
        return None

    def sees_only_its_labels(self) -> str | None:
        assert self.seen, "fit was not called"
        data = self.seen[0]
        assert isinstance(data.dataset, DatasetView) and not hasattr(data.dataset, "gold_standard"), \
            "fit was given more than the label-free view of the dataset"
        if not self.cls.supervised:
            assert data.train is None and data.validation is None, "an unsupervised method was given labels"
            return "no labels given"
        test = _pair_keys(self.trial.feature_pairs.subset(self.trial.split.test))
        given = _pair_keys(data.train.pairs) | _pair_keys(data.validation.pairs)
        assert not (given & test), f"{len(given & test)} test pairs were among the training/validation pairs"
        return f"{len(data.train)} train + {len(data.validation)} validation pairs, no test pair"

    def gold_standard_unreachable(self) -> str | None:
        again = self.fit(self.dataset)
        a, b = np.asarray(self.first.scores, dtype=float), np.asarray(again.scores, dtype=float)
        if a.shape != b.shape or not np.allclose(a, b, rtol=RTOL, atol=ATOL):
            # a refit with changed labels would differ anyway: the check cannot tell a leak
            raise _NotRun("two fits with the same seed and data gave different scores (see the determinism "
                          "check), so whether the method reads test labels cannot be told")
        changed = _with_changed_test_labels(self.dataset, self.universe, self.trial, self.cls.supervised, self.seed)
        other = self.fit(changed)
        _assert_same(self.first.scores, other.scores,
                     "the scores changed when only the gold standard of the test pairs changed: the method "
                     "reads labels it must not see (e.g. data.dataset.gold_standard, or the dataset reloaded by name)")
        return None


class _NotRun(Exception):
    """A check that does not apply (the reason is its message)."""


def _assert_same(a: np.ndarray, b: np.ndarray, message: str) -> None:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape, f"{message} ({a.shape} vs {b.shape} scores)"
    if not np.allclose(a, b, rtol=RTOL, atol=ATOL):
        worst = float(np.max(np.abs(a - b)))
        raise AssertionError(f"{message} (largest difference {worst:.3g})")


def _pair_keys(pairs: PairSet) -> set[tuple[int, int]]:
    return set(zip(pairs.regulators.tolist(), pairs.targets.tolist(), strict=True))


def _with_changed_test_labels(dataset: Dataset, universe: EdgeUniverse, trial: Trial, supervised: bool,
                              seed: int) -> Dataset:
    """``dataset`` with a different gold standard on the pairs ``fit`` must not know: the test
    pairs' labels moved to other test pairs (for an unsupervised method every label moves).
    The trial's split stays as it is, so the same pairs are scored."""
    rng = np.random.default_rng(seed + 1)
    labels = universe.labels.astype(bool).copy()
    hidden = trial.split.test if supervised else np.arange(universe.n_pairs)
    positives = int(labels[hidden].sum())
    # prefer new positives among former negatives so every hidden label changes where it can
    negatives = hidden[~labels[hidden]]
    chosen = rng.choice(negatives, size=min(positives, len(negatives)), replace=False)
    if len(chosen) < positives:
        rest = np.setdiff1d(hidden, chosen)
        chosen = np.concatenate([chosen, rng.choice(rest, size=positives - len(chosen), replace=False)])
    labels[hidden] = False
    labels[chosen] = True
    regs, tgts = universe.names(np.flatnonzero(labels))
    gold = frozenset(zip(regs.tolist(), tgts.tolist(), strict=True))
    return Dataset(name=dataset.name, genes=dataset.genes, expression=dataset.expression, times=dataset.times,
                   series=dataset.series, tfs=dataset.tfs, gold_standard=gold, steady_state=dataset.steady_state,
                   source=dataset.source, licence=dataset.licence, description=dataset.description)


def check_method(method: type[Method] | Method, *, dataset: Dataset | None = None, seed: int = 3,
                 registry: Any = None, raise_on_failure: bool = True,
                 on_step: Callable[[str, CheckResult | None], None] | None = None) -> CheckReport:
    """Check ``method`` (a class, or an instance whose parameters are used) against the
    grnbench contract; see the module docstring for the checks.

    ``dataset`` defaults to ``make_lagged_dataset()``; ``registry`` (``load_registry()`` when
    None) is where the entry-point key and name collisions are looked up. With
    ``raise_on_failure`` (the default, for pytest) a failed check raises ``AssertionError``
    listing every failure; the report is returned either way. ``on_step(check, None)`` is
    called as each check starts and ``on_step(check, result)`` as it ends, so that a caller
    running the checks in a child process knows which one was running if the method ends it.
    """
    from grnbench.registry import load_registry

    cls = method if inspect.isclass(method) else type(method)
    if not (inspect.isclass(cls) and issubclass(cls, Method)):
        raise TypeError(f"check_method expects a grnbench Method subclass or instance, got {method!r}")
    params = dict(method.params) if isinstance(method, Method) else dict(getattr(cls, "test_parameters", {}))
    registry = registry if registry is not None else load_registry()
    source = registry.sources.get(getattr(cls, "name", ""))
    started = time.perf_counter()
    checker = _Checker(cls, params, dataset if dataset is not None else make_lagged_dataset(), seed, registry,
                       on_step)
    report = CheckReport(str(getattr(cls, "name", cls.__name__)),
                         source.describe() if source and registry.methods.get(cls.name) is cls else cls.__qualname__)
    checker.run("interface", checker.interface)
    checker.run("name and entry-point key", checker.registration)
    checker.run("parameters stored unchanged", checker.parameters_unchanged)
    checker.run("picklable", checker.picklable)
    checker.run("runs on the check dataset", checker.skip_on_dataset)
    if checker.results[-1].ok is True:
        checker.run("finite score for every pair", checker.finite_scores)
        checker.run("same seed, same scores", checker.same_seed_same_scores, needs_fit=True)
        checker.run("order/batching independent", checker.order_and_batching, needs_fit=True)
        checker.run("sees only its own labels", checker.sees_only_its_labels, needs_fit=True)
        checker.run("gold standard unreachable", checker.gold_standard_unreachable, needs_fit=True)
        checker.run("parameters unchanged by fit", checker.parameters_unchanged, needs_fit=True)
        checker.run("fitted state convention", checker.fitted_state, needs_fit=True)
    report.results = checker.results
    report.seconds = time.perf_counter() - started
    if raise_on_failure and not report.ok:
        raise AssertionError("\n".join(report.lines()))
    return report
