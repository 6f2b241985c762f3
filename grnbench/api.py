"""The plugin contract every GRN inference method implements.

Modelled on scikit-learn estimators and benchopt solvers: parameters are fixed at
construction and stored unchanged, ``fit`` learns, ``score_edges`` only reads, and ``skip``
says *why* a method cannot run on a dataset instead of failing half-way through a run.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from grnbench.dataset import Dataset
from grnbench.errors import UserError
from grnbench.task_progress import ProgressEvent
from grnbench.universe import LabelledPairs, PairSet


@dataclass(frozen=True)
class TrainingData:
    """Everything ``fit`` may use.

    Unsupervised methods get ``train`` and ``validation`` as ``None``: they infer from the
    expression alone. Supervised methods get the labelled training and validation pairs; the
    test pairs are never visible to ``fit``.

    ``client`` is a ``distributed.Client`` when the runner executes on Dask: methods with
    per-target work submit their inner tasks to it instead of starting a cluster of their own.
    ``n_threads`` is this task's share of the cores (deep-learning methods size their thread
    pools from it so that concurrent tasks do not oversubscribe the machine).
    ``on_progress`` receives ``grnbench.task_progress.ProgressEvent`` s (targets done, epochs)
    that the runner shows beside the task's elapsed time; None when nobody listens.
    """

    dataset: Dataset
    seed: int
    train: LabelledPairs | None = None
    validation: LabelledPairs | None = None
    client: Any = None
    n_threads: int = 1
    progress: bool = False
    on_progress: Callable[[ProgressEvent], None] | None = None


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
    #: parameters that make the method fast enough for the generic contract test
    #: (tiny models, few epochs); they must still train on real numbers
    test_parameters: ClassVar[dict[str, Any]] = {}

    def __init__(self, **params: Any) -> None:
        unknown = sorted(set(params) - set(self.parameters))
        if unknown:
            valid = ", ".join(sorted(self.parameters)) or "none"
            raise UserError(f"method {self.name!r} has no parameter {', '.join(unknown)}; valid parameters: {valid}")
        self.params: dict[str, Any] = {**self.parameters, **params}

    def skip(self, dataset: Dataset) -> str | None:
        """Return a reason when this method cannot run on ``dataset``, else None."""
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
        """Hash of the code that computes this method's scores, part of every cache key.

        Covers the module defining the class, the modules of its base classes, and every
        grnbench module they import — at the top or lazily inside a function (found by
        parsing the source) — so editing a shared helper invalidates the cached results
        that depend on it.
        """
        import hashlib

        h = hashlib.sha256()
        for name, source in sorted(_code_sources(cls).items()):
            h.update(name.encode() + b"\0" + source.encode())
        return h.hexdigest()[:16]


def _code_sources(cls: type) -> dict[str, str]:
    """Module name → source text for ``cls``'s code closure within grnbench (and its own package)."""
    import ast
    import importlib.util

    roots = [k.__module__ for k in cls.__mro__ if k.__module__ not in ("builtins", "abc", __name__)]
    prefixes = ("grnbench",) + tuple(r.split(".")[0] for r in roots)
    sources: dict[str, str] = {}
    stack = list(roots)
    while stack:
        name = stack.pop()
        if name in sources or name == __name__:
            continue
        try:
            spec = importlib.util.find_spec(name)
            origin = spec.origin if spec else None
            text = open(origin, encoding="utf-8").read() if origin and origin.endswith(".py") else ""
        except (ImportError, OSError, ValueError):
            text = ""
        sources[name] = text
        package = name if origin and origin.endswith("__init__.py") else name.rpartition(".")[0]
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = importlib.util.resolve_name("." * node.level + (node.module or ""), package) if node.level else node.module or ""
                found = [base]
                if base.startswith(prefixes) and _is_package(base):  # "from pkg import module" (never import a module to look inside it)
                    found += [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for module in found:
                if module.startswith(prefixes) and _is_module(module):
                    stack.append(module)
    return sources


def _is_module(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _is_package(name: str) -> bool:
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return False
    return bool(spec and spec.submodule_search_locations is not None)


def parse_parameter_value(text: str, default: Any) -> Any:
    """Coerce a command-line value to the type of the parameter's default."""
    if isinstance(default, bool):
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise UserError(f"expected true/false, got {text!r}")
    for kind in (int, float):
        if isinstance(default, kind):
            try:
                return kind(text)
            except ValueError:
                raise UserError(f"expected a number, got {text!r}") from None
    if default is None:
        for kind in (int, float):
            try:
                return kind(text)
            except ValueError:
                pass
        return None if text.lower() == "none" else text
    return text
