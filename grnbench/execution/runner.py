"""Build the task list of a run, skip what the cache already holds, execute the rest, and
write the run folder.

The run folder holds ``results.csv`` (one ResultRecord per task, rewritten after every
finished task so that a killed run loses nothing), ``curves.csv`` (each deep fit's learning
curve, ``grnbench.results.curves``, rewritten the same way), ``edges/`` (one ranked edge list per task:
regulator, target, score, label over the test pairs), ``manifest.json`` (versions, machine, seed,
parameters, dataset hash, backend) and, by default, ``cache/``. Metrics can be recomputed from
the edge lists alone (``grnbench evaluate``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from grnbench import checkpoint
from grnbench.data.dataset import Dataset
from grnbench.data.folds import resolve_folds
from grnbench.data.universe import EdgeUniverse, dataset_summary
from grnbench.datasets.beeline import save_ranked_edges
from grnbench.errors import UserError
from grnbench.evaluation import catalogue as metric_catalogue
from grnbench.evaluation.metrics import ScoredPairs
from grnbench.execution.backends import TaskWatch, run_dask, run_serial
from grnbench.execution.cache import ResultCache, key_of, task_key_payload
from grnbench.execution.device import DeviceChoice
from grnbench.execution.manifest import build_manifest
from grnbench.execution.run_config import RunConfig
from grnbench.execution.run_folder import (
    check_comparable,
    check_writable_dir,
    combination,
    invocations,
    run_folder_lock,
)
from grnbench.execution.tasks import Task, TaskOutput, blank_record, task_trial
from grnbench.registry import MethodSpec, load_registry
from grnbench.results.curves import CurvesFile
from grnbench.results.records import ResultRecord, write_edge_list, write_json, write_results


@dataclass
class RunSummary:
    records: list[ResultRecord]
    cache_hits: int
    computed: int
    wall_s: float


def comparable_settings(config: RunConfig) -> dict[str, object]:
    """This run's values of what makes rows comparable (``run_folder.COMPARABLE``), as the
    manifest writes them."""
    return {"split": config.split, "seed": config.seed, "folds": "auto" if config.folds is None else config.folds,
            "top_k": config.top_k}


def _iso(seconds: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


def build_tasks(config: RunConfig, datasets: Dataset | list[Dataset]) -> list[Task]:
    datasets = [datasets] if isinstance(datasets, Dataset) else list(datasets)
    seeds: tuple[int | None, ...] = config.init_seeds or (None,)
    registry = load_registry(config.plugins, override=config.plugin_override)

    def seeds_of(method: MethodSpec) -> tuple[int | None, ...]:
        """A method that ignores the model seed is fitted once, under the first seed."""
        return seeds[:1] if registry.get(method.name).deterministic else seeds

    folds = {d.name: resolve_folds(config.folds, EdgeUniverse.from_dataset(d), config.split) for d in datasets}
    return [
        Task(method=m, dataset=d.name, protocol=p, repeat=r, seed=config.seed,
             split=config.split, top_k=config.top_k, plugins=config.plugins,
             plugin_override=config.plugin_override, init_seed=s, folds=folds[d.name])
        for d in datasets for p in config.protocols for r in range(p.repeats)
        for m in config.methods for s in seeds_of(m)
    ]


def edges_filename(task: Task) -> str:
    """``METHOD__DATASET__PROTOCOL__rREPEAT[__sSEED].csv``: unique within a multi-dataset run."""
    stem = f"{task.method.label}__{task.dataset}__{task.protocol.label}__r{task.repeat}"
    if task.init_seed is not None:
        stem += f"__s{task.init_seed}"
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", stem) + ".csv"


def save_edges(output: TaskOutput, task: Task, universe: EdgeUniverse, out_dir: Path) -> None:
    if output.scores is None or output.test_index is None:
        return
    edges_dir = out_dir / "edges"
    edges_dir.mkdir(parents=True, exist_ok=True)
    regs, tgts = universe.names(output.test_index)
    name = edges_filename(task)
    extra = {}
    if metric_catalogue.needs_pair_columns():  # rebuilt from the task: cached outputs hold no trial
        trial = task_trial(task, universe)
        extra = metric_catalogue.pair_columns(trial, universe)
    write_edge_list(edges_dir / name, regs, tgts, output.scores, universe.labels[output.test_index], extra)
    save_ranked_edges(out_dir, name, regs, tgts, output.scores)  # BEELINE's layout, for BLEval
    output.record.edges_file = f"edges/{name}"


def run_benchmark(config: RunConfig, datasets: Dataset | list[Dataset],
                  on_result: Callable[[Task, ResultRecord], None] | None = None,
                  on_start: Callable[[int, int], None] | None = None,
                  watch: TaskWatch | None = None) -> RunSummary:
    """Run every task of ``config`` on each dataset into one run folder; cached tasks are
    restored, not recomputed.

    The folder is locked for the run (``grnbench.execution.run_folder``); rows an earlier run left for
    other (method, dataset, protocol) combinations are kept. ``watch`` hears task starts and
    their progress events (task indices refer to ``build_tasks``' order).
    """
    started = time.time()
    datasets = [datasets] if isinstance(datasets, Dataset) else list(datasets)
    out_dir = check_writable_dir(Path(config.out_dir), "--out")
    with run_folder_lock(out_dir):
        return _run_locked(config, datasets, out_dir, started, on_result, on_start, watch)


def _run_locked(config: RunConfig, datasets: list[Dataset], out_dir: Path, started: float,
                on_result: Callable[[Task, ResultRecord], None] | None,
                on_start: Callable[[int, int], None] | None, watch: TaskWatch | None) -> RunSummary:
    by_name = {d.name: d for d in datasets}
    universes = {d.name: EdgeUniverse.from_dataset(d) for d in datasets}
    registry = load_registry(config.plugins, override=config.plugin_override)
    tasks = build_tasks(config, datasets)
    cache = None
    if config.use_cache:
        cache = ResultCache(check_writable_dir(Path(config.cache_dir or out_dir / "cache"), "--cache"))
    sources = {name: registry.get(name).source_hash() for name in {t.method.name for t in tasks}}
    payloads = [task_key_payload(t, registry, by_name[t.dataset].content_hash, sources[t.method.name])
                for t in tasks]
    keys = [key_of(p) for p in payloads]
    slots: list[ResultRecord | None] = [None] * len(tasks)
    this_run = {(t.method.label, t.dataset, t.protocol.label) for t in tasks}
    settings = comparable_settings(config)
    earlier = check_comparable(out_dir, settings, {d.name: d.content_hash for d in datasets}, config.replace)
    kept = [r for r in earlier if combination(r) not in this_run]
    curves = CurvesFile(out_dir, this_run)
    to_run: list[tuple[int, Task]] = []
    hits = 0

    def finish(index: int, output: TaskOutput) -> None:
        task = tasks[index]
        universe = universes[task.dataset]
        output.record.dataset = task.dataset  # a cache hit of the same data under another name
        if output.metrics_stale:  # cached before a metric of the catalogue existed: compute it now
            trial = task_trial(task, universe)
            regs, tgts = universe.names(output.test_index)
            scored = ScoredPairs(universe.labels[output.test_index], output.scores, task.top_k, output.record.seed,
                                 {"regulator": regs, "target": tgts, **metric_catalogue.pair_columns(trial, universe)})
            output.record.set_metrics(metric_catalogue.compute_metrics(scored))
        if not output.record.cached:  # a cached record keeps the device it was computed on
            output.record.profile = config.profile
            deep = registry.get(task.method.name).uses_keras
            output.record.device = config.device.label if deep and config.device else "cpu"
        save_edges(output, task, universe, out_dir)
        if cache is not None and not output.record.cached:
            cache.put(keys[index], output, payloads[index])
            if output.record.status == "ok":  # resumable state is only for unfinished fits
                checkpoint.remove(task.checkpoint_dir)
        slots[index] = output.record
        write_results(kept + [r for r in slots if r is not None], out_dir)
        curves.set(index, output.record, output.curve)
        if on_result:
            on_result(task, output.record)

    for index, task in enumerate(tasks):
        hit = None
        if cache is not None and task.method.name not in config.force:
            hit = cache.get(keys[index])
        if hit is None:
            if cache is not None:  # deep fits checkpoint beside the cache, under the task's key
                folder = cache.directory / "checkpoints" / keys[index]
                if task.method.name in config.force:
                    checkpoint.remove(folder)  # forced: train afresh
                task = tasks[index] = replace(task, checkpoint_dir=str(folder))
            to_run.append((index, task))
        else:
            hits += 1
            finish(index, hit)
    if on_start:
        on_start(hits, len(to_run))
    info: dict[str, object] = {"backend": "none (all cached)"}
    if to_run:
        execute = run_serial if config.backend.serial else run_dask
        reason = "the backend returned no result for this task"
        try:
            info = execute(to_run, by_name, config.backend, finish, watch)
        except UserError:
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. the scheduler went away: keep what finished
            reason = f"the run's cluster failed before this task finished ({type(exc).__name__}: {exc})"[:500]
            info = {"backend": "serial" if config.backend.serial else "dask", "error": reason}
        for index, task in to_run:  # every task leaves a row, whatever happened to the backend
            if slots[index] is None:
                record = blank_record(task, by_name[task.dataset])
                record.status, record.error = "failed", reason
                finish(index, TaskOutput(record))
    records = [r for r in slots if r is not None]
    write_results(kept + records, out_dir)
    extra = {"dataset_files": config.dataset_files, "execution": info,
             "cache": {"hits": hits, "computed": len(to_run)}, "init_seeds": config.init_seeds,
             "datasets": [dataset_summary(d) for d in datasets],
             "device": (config.device or DeviceChoice("cpu", "cpu", "tensorflow")).as_dict(),
             "profile": {"name": config.profile, "reference_schedule": config.profile == "reference",
                         "caps": config.profile_caps}}
    if cache is not None and cache.refused:
        extra["cache"]["refused_entries"] = len(cache.refused)
    if kept:
        extra["kept_from_earlier_runs"] = {"rows": len(kept), "methods": sorted({r.method for r in kept})}
    finished = time.time()
    extra["invocations"] = invocations(out_dir, {
        "command": " ".join(config.command), "started": _iso(started), "finished": _iso(finished),
        "methods": [m.label for m in config.methods], "datasets": [d.name for d in datasets], **settings},
        replace=config.replace)
    manifest = build_manifest(config, datasets[0], started, finished, extra, sources)
    if len(datasets) > 1:
        manifest["dataset"] = {}  # one run, several datasets: see "datasets"
    write_json(out_dir / "manifest.json", manifest)
    return RunSummary(records, hits, len(to_run), time.time() - started)
