"""Build the task list of a run, execute it, and write the run folder.

The run folder holds ``results.csv`` (one ResultRecord per task), ``edges/`` (one ranked edge
list per task: regulator, target, score over the test pairs), and ``manifest.json``
(versions, machine, seed, parameters, dataset hash). Metrics can be recomputed from the edge
lists alone (``grnbench evaluate``).
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from grnbench.dataset import Dataset
from grnbench.manifest import build_manifest
from grnbench.protocols import ProtocolSpec
from grnbench.registry import MethodSpec
from grnbench.results import ResultRecord, write_edge_list, write_json, write_results
from grnbench.tasks import Task, TaskOutput, execute_task
from grnbench.universe import EdgeUniverse


@dataclass
class RunConfig:
    methods: list[MethodSpec]
    protocols: list[ProtocolSpec]
    seed: int = 0
    split: str = "stratified"
    top_k: int = 10_000
    plugins: tuple[str, ...] = ()
    out_dir: Path = Path("grnbench-results")
    quiet: bool = False
    #: the user's files when the dataset came from --expression/--gold-standard
    dataset_files: dict[str, str] | None = None
    command: list[str] = field(default_factory=lambda: list(sys.argv))


def build_tasks(config: RunConfig, dataset: Dataset) -> list[Task]:
    return [
        Task(method=m, dataset=dataset.name, protocol=p, repeat=r, seed=config.seed,
             split=config.split, top_k=config.top_k, plugins=config.plugins)
        for p in config.protocols for r in range(p.repeats) for m in config.methods
    ]


def edges_filename(task: Task) -> str:
    stem = f"{task.method.label}__{task.protocol.name}__r{task.repeat}"
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", stem) + ".csv"


def save_output(output: TaskOutput, task: Task, universe: EdgeUniverse, out_dir: Path) -> None:
    if output.scores is None or output.test_index is None:
        return
    edges_dir = out_dir / "edges"
    edges_dir.mkdir(parents=True, exist_ok=True)
    regs, tgts = universe.names(output.test_index)
    name = edges_filename(task)
    write_edge_list(edges_dir / name, regs, tgts, output.scores)
    output.record.edges_file = f"edges/{name}"


def run_serial(config: RunConfig, dataset: Dataset,
               on_result: Callable[[Task, ResultRecord], None] | None = None) -> list[ResultRecord]:
    """Run every task in this process, one after another."""
    out_dir = Path(config.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    universe = EdgeUniverse.from_dataset(dataset)
    tasks = build_tasks(config, dataset)
    started = time.time()
    records: list[ResultRecord] = []
    for task in tasks:
        output = execute_task(task, dataset, progress=not config.quiet)
        save_output(output, task, universe, out_dir)
        records.append(output.record)
        write_results(records, out_dir)  # written after every task: a crash loses nothing
        if on_result:
            on_result(task, output.record)
    write_json(out_dir / "manifest.json", build_manifest(config, dataset, started, time.time(),
                                                              {"dataset_files": config.dataset_files}))
    return records
