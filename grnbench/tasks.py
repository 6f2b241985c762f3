"""One benchmark task: fit one method on one trial of one protocol, score the test pairs.

A task is a pure function of its ``Task`` description and the dataset, so the same code runs
serially, on a LocalCluster or on a remote Dask worker, and its result can be cached under a
key derived from the description.
"""

from __future__ import annotations

import json
import traceback
from dataclasses import dataclass

import numpy as np

from grnbench.api import TrainingData
from grnbench.dataset import Dataset
from grnbench.metrics import DEFAULT_TOP_K, check_scores, evaluate
from grnbench.pair_classes import shortcut_figures
from grnbench.protocols import ProtocolSpec, make_trial
from grnbench.registry import MethodSpec, load_registry
from grnbench.resources import ResourceMeter
from grnbench.results import ResultRecord
from grnbench.universe import EdgeUniverse


@dataclass(frozen=True)
class Task:
    method: MethodSpec
    dataset: str
    protocol: ProtocolSpec
    repeat: int
    seed: int
    split: str = "stratified"
    top_k: int = DEFAULT_TOP_K
    plugins: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.method.label} | {self.dataset} | {self.protocol.name} #{self.repeat}"


@dataclass
class TaskOutput:
    record: ResultRecord
    #: universe indices of the test pairs and their scores (None when the task failed)
    test_index: np.ndarray | None = None
    scores: np.ndarray | None = None


def blank_record(task: Task, dataset: Dataset, method_params: dict | None = None) -> ResultRecord:
    return ResultRecord(
        method=task.method.label, dataset=task.dataset, dataset_hash=dataset.content_hash,
        protocol=task.protocol.label, repeat=task.repeat, seed=task.seed, split=task.split,
        parameters=json.dumps(method_params if method_params is not None else dict(task.method.params),
                              sort_keys=True, default=str),
    )


def execute_task(task: Task, dataset: Dataset, client: object = None, n_threads: int = 1,
                 progress: bool = False) -> TaskOutput:
    """Run one task; any exception becomes a ``failed`` record, never a lost run."""
    record = blank_record(task, dataset)
    try:
        registry = load_registry(task.plugins)
        method = task.method.build(registry)
        record.parameters = json.dumps(method.params, sort_keys=True, default=str)
        reason = method.skip(dataset)
        if reason:
            record.status, record.error = "skipped", reason
            return TaskOutput(record)
        universe = EdgeUniverse.from_dataset(dataset)
        trial = make_trial(universe, task.protocol, task.repeat, task.seed, task.split)
        record.seed = trial.seed
        split = trial.split
        record.n_train, record.n_validation, record.n_test = len(split.train), len(split.validation), len(split.test)
        pairs = trial.feature_pairs
        data = TrainingData(dataset=dataset, seed=trial.seed, client=client, n_threads=n_threads,
                            progress=progress)
        if method.supervised:
            labels = universe.labels
            from grnbench.universe import LabelledPairs

            data = TrainingData(
                dataset=dataset, seed=trial.seed, client=client, n_threads=n_threads, progress=progress,
                train=LabelledPairs(pairs.subset(split.train), labels[split.train]),
                validation=LabelledPairs(pairs.subset(split.validation), labels[split.validation]),
            )
        with ResourceMeter() as fit_cost:
            method.fit(data)
        with ResourceMeter() as score_cost:
            scores = check_scores(method.score_edges(pairs.subset(split.test)), len(split.test), method.name)
        record.fit_wall_s, record.fit_cpu_s = fit_cost.wall_s, fit_cost.cpu_s
        record.score_wall_s, record.score_cpu_s = score_cost.wall_s, score_cost.cpu_s
        record.peak_memory_mb = max(fit_cost.peak_mb, score_cost.peak_mb)
        record.set_metrics(evaluate(universe.labels[split.test], scores, task.top_k))
        record.set_figures(shortcut_figures(universe, split, scores))
        return TaskOutput(record, split.test, scores)
    except MemoryError:
        record.status, record.error = "oom", "ran out of memory"
        return TaskOutput(record)
    except Exception as exc:  # one failing method must never lose the other results
        record.status = "failed"
        last = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        where = f" ({last.filename.rsplit('/', 1)[-1]}:{last.lineno})" if last else ""
        record.error = f"{type(exc).__name__}: {exc}{where}".replace("\n", " ")[:500]
        return TaskOutput(record)
