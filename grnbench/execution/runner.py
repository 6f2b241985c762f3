"""Build the task list of a run, skip what the cache already holds, execute the rest, and
write the run folder.

The run folder holds ``results.csv`` (one ResultRecord per task, rewritten after every
finished task so that a killed run loses nothing), ``edges/`` (one ranked edge list per task:
regulator, target, score, label over the test pairs), ``manifest.json`` (versions, machine, seed,
parameters, dataset hash, backend) and, by default, ``cache/``. Metrics can be recomputed from
the edge lists alone (``grnbench evaluate``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grnbench import checkpoint
from grnbench.data.dataset import Dataset
from grnbench.data.universe import EdgeUniverse, dataset_summary
from grnbench.datasets.beeline import save_ranked_edges
from grnbench.errors import UserError
from grnbench.evaluation import catalogue as metric_catalogue
from grnbench.evaluation.metrics import ScoredPairs
from grnbench.execution.backends import TaskWatch, run_dask, run_serial
from grnbench.execution.device import DeviceChoice
from grnbench.execution.manifest import build_manifest
from grnbench.execution.plan import RunPlan, build_run_plan
from grnbench.execution.run_config import RunConfig
from grnbench.execution.run_folder import (
    check_comparable,
    check_writable_dir,
    combination,
    invocations,
    run_folder_lock,
)
from grnbench.execution.tasks import Task, TaskOutput, blank_record, edges_filename, task_trial
from grnbench.registry import load_registry
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
    """Plan the run of ``config`` on ``datasets`` (``grnbench.execution.plan``) and execute it."""
    registry = load_registry(config.plugins, override=config.plugin_override)
    return execute_plan(build_run_plan(config, datasets, registry), on_result, on_start, watch)


def execute_plan(plan: RunPlan, on_result: Callable[[Task, ResultRecord], None] | None = None,
                 on_start: Callable[[int, int], None] | None = None,
                 watch: TaskWatch | None = None) -> RunSummary:
    """Run every task of ``plan`` into one run folder; cached tasks are restored, not recomputed.

    The folder is locked for the run (``grnbench.execution.run_folder``); rows an earlier run left for
    other (method, dataset, protocol) combinations are kept. ``watch`` hears task starts and
    their progress events (task indices are the plan's).
    """
    started = time.time()
    out_dir = check_writable_dir(Path(plan.config.out_dir), "--out")
    with run_folder_lock(out_dir):
        return _run_locked(plan, out_dir, started, on_result, on_start, watch)


def _run_locked(plan: RunPlan, out_dir: Path, started: float,
                on_result: Callable[[Task, ResultRecord], None] | None,
                on_start: Callable[[int, int], None] | None, watch: TaskWatch | None) -> RunSummary:
    config, datasets, by_name = plan.config, list(plan.datasets), plan.by_name
    registry = load_registry(config.plugins, override=config.plugin_override)
    tasks = [t.task for t in plan.tasks]
    cache = plan.cache
    slots: list[ResultRecord | None] = [None] * len(tasks)
    this_run = {(t.method.label, t.dataset, t.protocol.label) for t in tasks}
    settings = comparable_settings(config)
    earlier = check_comparable(out_dir, settings, {d.name: d.content_hash for d in datasets}, config.replace)
    kept = [r for r in earlier if combination(r) not in this_run]

    def finish(index: int, output: TaskOutput, write: bool = True) -> None:
        task = tasks[index]
        universe = plan.universes[task.dataset]
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
        planned = plan.tasks[index]
        if cache is not None and not output.record.cached:
            cache.put(planned.key, output, dict(planned.payload or {}))
            if output.record.status == "ok":  # resumable state is only for unfinished fits
                checkpoint.remove(task.checkpoint_dir)
        slots[index] = output.record
        if write:  # cached tasks are written together, once
            write_results(kept + [r for r in slots if r is not None], out_dir)
        if on_result:
            on_result(task, output.record)

    to_run = plan.to_run
    for planned in to_run:
        if planned.task.method.name in config.force and planned.task.checkpoint_dir:
            checkpoint.remove(planned.task.checkpoint_dir)  # forced: train afresh
    for index, output in plan.cached_outputs.items():
        finish(index, output, write=False)
    if plan.cached_outputs:
        write_results(kept + [r for r in slots if r is not None], out_dir)
    if on_start:
        on_start(len(plan.cached_outputs), len(to_run))
    info: dict[str, object] = {"backend": "none (all cached)"}
    if to_run:
        execute = run_serial if plan.machine.backend == "serial" else run_dask
        reason = "the backend returned no result for this task"
        try:
            info = execute(plan, finish, watch)
        except UserError:
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. the scheduler went away: keep what finished
            reason = f"the run's cluster failed before this task finished ({type(exc).__name__}: {exc})"[:500]
            info = {"backend": plan.machine.backend, "error": reason}
        for planned in to_run:  # every task leaves a row, whatever happened to the backend
            if slots[planned.index] is None:
                record = blank_record(planned.task, by_name[planned.task.dataset])
                record.status, record.error = "failed", reason
                finish(planned.index, TaskOutput(record))
    records = [r for r in slots if r is not None]
    write_results(kept + records, out_dir)
    hits = len(plan.cached_outputs)
    extra = {"dataset_files": config.dataset_files, "execution": info, "plan": plan.as_manifest(),
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
    manifest = build_manifest(config, datasets[0], started, finished, extra, dict(plan.sources))
    if len(datasets) > 1:
        manifest["dataset"] = {}  # one run, several datasets: see "datasets"
    write_json(out_dir / "manifest.json", manifest)
    return RunSummary(records, hits, len(to_run), time.time() - started)
