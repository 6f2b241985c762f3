"""One benchmark task: fit one method on one trial of one protocol, score the test pairs
(through ``grnbench.trial.fit_and_score``, the one fit-and-score path).

A task is a pure function of its ``Task`` description and the dataset, so the same code runs
serially, on a LocalCluster or on a remote Dask worker, and its result can be cached under a
key derived from the description.
"""

from __future__ import annotations

import json
import re
import traceback
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grnbench.data.dataset import Dataset
from grnbench.data.protocols import ProtocolSpec, Trial, derive_seed, make_trial
from grnbench.data.universe import EdgeUniverse
from grnbench.evaluation.metrics import DEFAULT_TOP_K
from grnbench.evaluation.pair_classes import split_figures
from grnbench.execution.task_progress import ProgressCallback
from grnbench.registry import MethodSpec, load_registry
from grnbench.results.records import ResultRecord
from grnbench.trial import fit_and_score, skip_reason


@dataclass(frozen=True)
class Task:
    method: MethodSpec
    dataset: str
    protocol: ProtocolSpec
    repeat: int
    seed: int
    split: str = "stratified"
    top_k: int = DEFAULT_TOP_K
    #: model-initialisation seed given to ``fit`` (``--seeds``); None: the trial's own seed
    init_seed: int | None = None
    #: cross-validation folds (``--folds``, ``grnbench.data.folds``); 0: one split
    folds: int = 0
    #: where deep fits keep per-epoch checkpoints (the runner's cache folder + task key); not
    #: part of the cache key
    checkpoint_dir: str | None = None
    #: the method's full parameters (defaults with the user's values over them), from the run
    #: plan; empty: the user's values only (a task built by hand)
    parameters: tuple[tuple[str, Any], ...] = ()
    #: a plugin-file method's class pickled by value (``grnbench.execution.plan.method_codes``);
    #: None: an installed method, found by name
    method_code: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def trial_seed(self) -> int:
        """The seed of this task's trial (what a record reports as ``seed``)."""
        return derive_seed(self.seed, self.protocol.name, self.repeat)

    def method_class(self) -> type:
        """The method's class: unpickled from ``method_code``, else the installed method of that name."""
        if self.method_code is not None:
            import cloudpickle

            return cloudpickle.loads(self.method_code)
        return load_registry().get(self.method.name)

    @property
    def label(self) -> str:
        seed = "" if self.init_seed is None else f" seed {self.init_seed}"
        return f"{self.method.label} | {self.dataset} | {self.protocol.name} #{self.repeat}{seed}"


@dataclass
class TaskOutput:
    record: ResultRecord
    #: universe indices of the test pairs and their scores (None when the task failed)
    test_index: np.ndarray | None = None
    scores: np.ndarray | None = None
    #: a cached entry stored before some metric of the catalogue existed: recompute its metrics
    metrics_stale: bool = False
    #: the learning curve of a deep fit (``TrialResult.curve``), carried to the parent like
    #: the record, written to ``curves.csv`` and kept in the cache entry
    curve: list[dict] = field(default_factory=list)


def task_trial(task: Task, universe: EdgeUniverse) -> Trial:
    """The trial of ``task``: its protocol repeat, split kind, seed and folds (one definition
    for the task, its saved edge list and a cached task's late metrics)."""
    return make_trial(universe, task.protocol, task.repeat, task.seed, task.split, task.folds)


def edges_filename(task: Task) -> str:
    """``METHOD__DATASET__PROTOCOL__rREPEAT[__sSEED].csv``: unique within a multi-dataset run."""
    stem = f"{task.method.label}__{task.dataset}__{task.protocol.label}__r{task.repeat}"
    if task.init_seed is not None:
        stem += f"__s{task.init_seed}"
    return file_safe(stem) + ".csv"


def file_safe(text: str) -> str:
    """``text`` as part of a file name: every run of other characters than letters, digits
    and ``_.=-`` becomes one ``_`` (so ``a/b`` and ``a_b`` give the same name)."""
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", text)


def blank_record(task: Task, dataset: Dataset) -> ResultRecord:
    """The record of ``task`` before it runs: the same identifying columns (trial seed, full
    parameters) whether the task then finishes, fails, times out or runs out of memory."""
    seed = task.trial_seed
    return ResultRecord(
        method=task.method.label, dataset=task.dataset, dataset_hash=dataset.content_hash,
        protocol=task.protocol.label, repeat=task.repeat, seed=seed, split=task.split,
        init_seed=seed if task.init_seed is None else task.init_seed,
        parameters=json.dumps(dict(task.parameters or task.method.params), sort_keys=True, default=str),
    )


def execute_task(task: Task, dataset: Dataset, client: object = None, n_threads: int = 1,
                 progress: bool = False, on_progress: ProgressCallback | None = None) -> TaskOutput:
    """Run one task through ``grnbench.trial.fit_and_score``; any exception becomes a
    ``failed`` record, never a lost run."""
    record = blank_record(task, dataset)
    try:
        method = task.method_class()(**dict(task.method.params))
        record.parameters = json.dumps(method.params, sort_keys=True, default=str)
        reason = skip_reason(method, dataset)
        if reason:
            record.status, record.error = "skipped", reason
            return TaskOutput(record)
        universe = EdgeUniverse.from_dataset(dataset)
        trial = task_trial(task, universe)
        record.set_metrics(split_figures(universe, trial.split))
        result = fit_and_score(method, dataset, trial, universe=universe, client=client,
                               n_threads=n_threads, progress=progress, on_progress=on_progress,
                               init_seed=task.init_seed, checkpoint_dir=task.checkpoint_dir)
        record.n_train, record.n_validation, record.n_test = result.n_train, result.n_validation, result.n_test
        record.fit_wall_s, record.fit_cpu_s = result.fit_cost.wall_s, result.fit_cost.cpu_s
        record.score_wall_s, record.score_cpu_s = result.score_cost.wall_s, result.score_cost.cpu_s
        record.peak_memory_mb = max(result.fit_cost.peak_mb, result.score_cost.peak_mb)
        record.set_metrics(result.metrics(task.top_k))
        return TaskOutput(record, result.test_index, result.scores, curve=result.curve)
    except MemoryError:
        record.status, record.error = "oom", "ran out of memory"
        return TaskOutput(record)
    except Exception as exc:  # one failing method must never lose the other results
        record.status = "failed"
        last = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        where = f" ({last.filename.rsplit('/', 1)[-1]}:{last.lineno})" if last else ""
        record.error = f"{type(exc).__name__}: {exc}{where}".replace("\n", " ")[:500]
        return TaskOutput(record)
