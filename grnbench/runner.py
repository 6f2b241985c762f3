"""Build the task list of a run, skip what the cache already holds, execute the rest, and
write the run folder.

The run folder holds ``results.csv`` (one ResultRecord per task, rewritten after every
finished task so that a killed run loses nothing), ``edges/`` (one ranked edge list per task:
regulator, target, score over the test pairs), ``manifest.json`` (versions, machine, seed,
parameters, dataset hash, backend) and, by default, ``cache/``. Metrics can be recomputed from
the edge lists alone (``grnbench evaluate``).
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from grnbench.backends import BackendOptions, run_dask, run_serial
from grnbench.cache import ResultCache, task_key
from grnbench.dataset import Dataset
from grnbench.device import DeviceChoice
from grnbench.manifest import build_manifest
from grnbench.protocols import ProtocolSpec
from grnbench.registry import MethodSpec, load_registry
from grnbench.results import ResultRecord, write_edge_list, write_json, write_results
from grnbench.tasks import Task, TaskOutput
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
    command: list[str] = field(default_factory=lambda: list(sys.argv))
    #: the user's files when the dataset came from --expression/--gold-standard
    dataset_files: dict[str, str] | None = None
    backend: BackendOptions = field(default_factory=BackendOptions)
    cache_dir: Path | None = None  # default: OUT/cache
    use_cache: bool = True
    force: tuple[str, ...] = ()  # method names to recompute even when cached
    #: where the deep methods run (grnbench.device.DeviceChoice; None: CPU, TensorFlow)
    device: DeviceChoice | None = None
    #: "reference" (the methods' own settings) or "quick" (capped: grnbench.profiles)
    profile: str = "reference"
    #: the caps the profile set, per method (for the manifest)
    profile_caps: dict[str, dict] = field(default_factory=dict)


@dataclass
class RunSummary:
    records: list[ResultRecord]
    cache_hits: int
    computed: int
    wall_s: float


def build_tasks(config: RunConfig, dataset: Dataset) -> list[Task]:
    return [
        Task(method=m, dataset=dataset.name, protocol=p, repeat=r, seed=config.seed,
             split=config.split, top_k=config.top_k, plugins=config.plugins)
        for p in config.protocols for r in range(p.repeats) for m in config.methods
    ]


def edges_filename(task: Task) -> str:
    stem = f"{task.method.label}__{task.protocol.label}__r{task.repeat}"
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", stem) + ".csv"


def save_edges(output: TaskOutput, task: Task, universe: EdgeUniverse, out_dir: Path) -> None:
    if output.scores is None or output.test_index is None:
        return
    edges_dir = out_dir / "edges"
    edges_dir.mkdir(parents=True, exist_ok=True)
    regs, tgts = universe.names(output.test_index)
    name = edges_filename(task)
    write_edge_list(edges_dir / name, regs, tgts, output.scores)
    output.record.edges_file = f"edges/{name}"


def run_benchmark(config: RunConfig, dataset: Dataset,
                  on_result: Callable[[Task, ResultRecord], None] | None = None,
                  on_start: Callable[[int, int], None] | None = None) -> RunSummary:
    """Run every task of ``config`` on ``dataset``; cached tasks are restored, not recomputed."""
    started = time.time()
    out_dir = Path(config.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    universe = EdgeUniverse.from_dataset(dataset)
    registry = load_registry(config.plugins)
    tasks = build_tasks(config, dataset)
    cache = ResultCache(config.cache_dir or out_dir / "cache") if config.use_cache else None
    keys = [task_key(t, registry, dataset.content_hash) for t in tasks]
    slots: list[ResultRecord | None] = [None] * len(tasks)
    to_run: list[tuple[int, Task]] = []
    hits = 0

    def finish(index: int, output: TaskOutput) -> None:
        task = tasks[index]
        if not output.record.cached:  # a cached record keeps the device it was computed on
            output.record.profile = config.profile
            deep = getattr(registry.methods.get(task.method.name), "uses_keras", False)
            output.record.device = config.device.label if deep and config.device else "cpu"
        save_edges(output, task, universe, out_dir)
        if cache is not None and not output.record.cached:
            cache.put(keys[index], output)
        slots[index] = output.record
        write_results([r for r in slots if r is not None], out_dir)
        if on_result:
            on_result(task, output.record)

    for index, task in enumerate(tasks):
        hit = None
        if cache is not None and task.method.name not in config.force:
            hit = cache.get(keys[index])
        if hit is None:
            to_run.append((index, task))
        else:
            hits += 1
            finish(index, hit)
    if on_start:
        on_start(hits, len(to_run))
    info: dict[str, object] = {"backend": "none (all cached)"}
    if to_run:
        execute = run_serial if config.backend.serial else run_dask
        info = execute(to_run, dataset, config.backend, finish, progress=False)
    records = [r for r in slots if r is not None]
    write_results(records, out_dir)
    extra = {"dataset_files": config.dataset_files, "execution": info,
             "device": (config.device or DeviceChoice("cpu", "cpu", "tensorflow")).as_dict(),
             "profile": {"name": config.profile, "reference_schedule": config.profile == "reference",
                         "caps": config.profile_caps},
             "cache": {"hits": hits, "computed": len(to_run)}}
    write_json(out_dir / "manifest.json", build_manifest(config, dataset, started, time.time(), extra))
    return RunSummary(records, hits, len(to_run), time.time() - started)
