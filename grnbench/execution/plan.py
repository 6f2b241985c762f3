"""The run plan: every decision about a run, made once in the parent process before anything
prints or starts.

What it decides, and from what:
- **the machine** (``MachinePlan``): the cores this process may use (its CPU affinity, read
  once), and from them the backend, the worker count, each worker's threads and memory, and
  how many tasks run at once;
- **the tasks** (``PlannedTask``): for every (dataset, protocol, repeat, method, seed) its
  trial seed, full parameters, edge-list name, cache key, whether the cache already holds it,
  its threads, time and memory limits and Dask priority — the threads and the priority from
  one cost estimate per (method, dataset);
- **freed cores** (``RunPlan.use_freed_cores``, ``freed_core_offers``): whether, and how, a
  running multithreaded fit may take the cores other tasks have freed (it takes them at its
  next epoch end, in a new process resuming from its checkpoint: ``task_process.run_isolated``);
- **the code** that runs: each method's source hash once, and plugin-file classes pickled by
  value, so child processes and Dask workers never re-execute a plugin file.

The printed plan only prints it; the serial and Dask backends only read it; the manifest
stores it; a task that fails leaves a row built from it, with the same columns as a
finished one. One frozen object, so that what the user was told is what ran.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from grnbench.data.dataset import Dataset
from grnbench.data.folds import resolve_folds
from grnbench.data.universe import EdgeUniverse
from grnbench.errors import UserError
from grnbench.execution.cache import ResultCache, key_of, task_key_payload
from grnbench.execution.cost import FitEstimate, estimate_fit, estimate_lines
from grnbench.execution.run_config import BackendOptions, RunConfig
from grnbench.execution.task_process import TaskLimits
from grnbench.execution.tasks import Task, TaskOutput, edges_filename
from grnbench.registry import MethodSpec, Registry


@dataclass(frozen=True)
class MachinePlan:
    """Where tasks run and what each may use."""

    #: cores this process may run on (CPU affinity)
    cores: int
    #: "serial" (one child after another), "local" (our LocalCluster) or "external" (the user's)
    backend: str
    #: LocalCluster workers (1 for serial; None for the user's cluster: its own)
    workers: int | None
    threads_per_worker: int
    #: the memory limit of each LocalCluster worker in bytes (None: none, or the user's cluster's)
    worker_memory: int | None
    #: tasks that may run at once (a GPU is shared among them)
    concurrent_tasks: int
    #: the user's cluster: each task takes its memory limit from the worker it lands on
    memory_from_worker: bool = False

    def describe(self) -> str:
        if self.backend == "serial":
            return f"serial: one task at a time on {self.cores} core(s)"
        if self.backend == "external":
            return "the Dask cluster you gave (its workers and memory)"
        memory = f", {self.worker_memory / 2**30:.1f} GiB each" if self.worker_memory else ""
        return (f"LocalCluster: {self.workers} worker(s) × {self.threads_per_worker} thread(s){memory} "
                f"on {self.cores} core(s)")


def plan_machine(options: BackendOptions, cores: int | None = None) -> MachinePlan:
    """The machine part of the plan, from ``--workers``/``--threads-per-worker``/
    ``--memory-limit``/``--scheduler*`` and the CPU affinity (``cores``, for tests)."""
    from grnbench.deep import available_cores, task_threads

    cores = available_cores() if cores is None else max(1, int(cores))
    if options.scheduler or options.scheduler_file:
        threads = task_threads(options.threads_per_worker, serial=False)
        return MachinePlan(cores, "external", None, threads, None, 1, memory_from_worker=options.memory_bytes() is None)
    if options.serial:
        return MachinePlan(cores, "serial", 1, task_threads(options.threads_per_worker, serial=True, cores=cores),
                           options.memory_bytes(), 1)
    threads = task_threads(options.threads_per_worker, serial=False)
    workers = options.workers or max(1, cores // threads)
    memory = options.memory_bytes()
    if memory is None and str(options.memory_limit).strip().lower() == "auto":
        from distributed.system import MEMORY_LIMIT

        memory = int(MEMORY_LIMIT * min(1.0, threads / cores))  # Dask's "auto", on our cores
    return MachinePlan(cores, "local", workers, threads, memory, workers * threads)


@dataclass(frozen=True)
class PlannedTask:
    """One task as planned: what it computes and what it may use."""

    index: int
    task: Task
    #: trial seed (the seed the record reports) and the method's full parameters
    trial_seed: int
    parameters: Mapping[str, Any]
    edges_file: str
    #: cache key and its payload (None without a cache)
    key: str | None
    payload: Mapping[str, Any] | None
    #: the cache holds it: restored, not run
    cached: bool
    threads: int
    limits: TaskLimits
    priority: float
    #: the cost estimate behind the priority (None: the method declares no cost, or skips)
    estimate: FitEstimate | None = None
    #: why the method skips this dataset (``Method.skip``); the task then leaves a ``skipped`` row
    skip: str | None = None
    #: the method runs ``threads`` threads (``Method.uses_threads``), so more cores speed it up
    uses_threads: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"task": self.task.label, "trial_seed": self.trial_seed, "edges_file": self.edges_file,
                "key": self.key, "cached": self.cached, "threads": self.threads,
                "timeout_s": self.limits.timeout_s, "memory_bytes": self.limits.memory_bytes,
                "priority": round(self.priority, 4)}


@dataclass(frozen=True)
class RunPlan:
    config: RunConfig
    datasets: tuple[Dataset, ...]
    machine: MachinePlan
    tasks: tuple[PlannedTask, ...]
    #: method name → source hash
    sources: Mapping[str, str]
    #: threads of each multithreaded task (``Method.uses_threads``) that runs
    threaded_share: int
    #: methods that submit per-target work to the Dask cluster (``Method.uses_dask``)
    per_target: frozenset[str] = frozenset()
    #: running multithreaded fits take the cores other tasks freed (``freed_core_offers``)
    use_freed_cores: bool = False
    #: the cache, and the outputs it already holds (task index → output)
    cache: ResultCache | None = field(default=None, compare=False)
    cached_outputs: Mapping[int, TaskOutput] = field(default_factory=dict, compare=False)
    universes: Mapping[str, EdgeUniverse] = field(default_factory=dict, compare=False)
    #: what the run does other than asked (``top_k_notes``): printed with the plan and kept in
    #: the manifest's plan, which otherwise records only the options as given
    notes: tuple[str, ...] = ()

    def uses_dask(self, method: str) -> bool:
        return method in self.per_target

    @property
    def to_run(self) -> list[PlannedTask]:
        return [t for t in self.tasks if not t.cached]

    @property
    def by_name(self) -> dict[str, Dataset]:
        return {d.name: d for d in self.datasets}

    def estimates(self, dataset: str) -> list[FitEstimate]:
        """One estimate per method of ``dataset``'s tasks that run (the printed plan's lines)."""
        seen: dict[str, FitEstimate] = {}
        for t in self.to_run:
            if t.task.dataset == dataset and t.estimate is not None:
                seen.setdefault(t.task.method.label, t.estimate)
        return list(seen.values())

    def as_manifest(self) -> dict[str, Any]:
        """What the manifest stores: the machine decisions, the limits, and every task's plan."""
        timeouts = dict(self.config.backend.timeouts or {})
        return {"machine": {**_plain(self.machine), "description": self.machine.describe()},
                "threads_per_threaded_task": self.threaded_share, "use_freed_cores": self.use_freed_cores,
                "timeouts_s": timeouts, "memory_limit": str(self.config.backend.memory_limit),
                "notes": list(self.notes), "tasks": [t.as_dict() for t in self.tasks]}


#: priorities of the runner's tasks on Dask (higher runs first); per_target's inner tasks use (10, 11]
CHEAP_PRIORITY = 30
PER_TARGET_PRIORITY = 20
WHOLE_MODEL_PRIORITY = 0


def _plain(obj: object) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(obj)


def build_tasks(config: RunConfig, datasets: list[Dataset], registry: Registry,
                universes: Mapping[str, EdgeUniverse]) -> list[Task]:
    """Every (dataset, protocol, repeat, method, init seed) of the run, in the run's order."""
    seeds: tuple[int | None, ...] = config.init_seeds or (None,)

    def seeds_of(method: MethodSpec) -> tuple[int | None, ...]:
        """A method that ignores the model seed is fitted once, under the first seed."""
        return seeds[:1] if registry.get(method.name).deterministic else seeds

    codes = method_codes(config.methods, registry)
    folds = {d.name: resolve_folds(config.folds, universes[d.name], config.split) for d in datasets}
    return [
        Task(method=m, dataset=d.name, protocol=p, repeat=r, seed=config.seed,
             split=config.split, top_k=config.top_k, init_seed=s, folds=folds[d.name],
             parameters=tuple(sorted(full_parameters(m, registry).items())), method_code=codes.get(m.name))
        for d in datasets for p in config.protocols for r in range(p.repeats)
        for m in config.methods for s in seeds_of(m)
    ]


def full_parameters(spec: MethodSpec, registry: Registry) -> dict[str, Any]:
    """The method's defaults with the user's values over them (one definition for the task, the
    cache key, the record and the manifest)."""
    return {**registry.get(spec.name).parameters, **dict(spec.params)}


def method_codes(specs: list[MethodSpec], registry: Registry) -> dict[str, bytes]:
    """Plugin-file classes pickled by value (cloudpickle), so a task's child process or a Dask
    worker rebuilds the class from these bytes instead of executing the plugin file again
    (once per process, with whatever side effects the file has). Installed methods travel by
    name: their package is importable wherever grnbench is."""
    import sys

    import cloudpickle

    codes: dict[str, bytes] = {}
    for spec in specs:
        if spec.name in codes or registry.sources[spec.name].kind != "plugin file":
            continue
        cls = registry.get(spec.name)
        module = sys.modules.get(cls.__module__)
        if module is not None:
            cloudpickle.register_pickle_by_value(module)
        codes[spec.name] = cloudpickle.dumps(cls)
    return codes


def build_methods(specs: list[MethodSpec], registry: Registry) -> dict[MethodSpec, Any]:
    """Build every method once: a parameter the method refuses is a one-line error before the run,
    not a failed row from a child process."""
    built = {}
    for spec in specs:
        try:
            built[spec] = spec.build(registry)
        except UserError:
            raise
        except (ValueError, TypeError) as exc:
            raise UserError(f"--methods {spec.label}: {exc}") from None
    return built


def build_run_plan(config: RunConfig, datasets: Dataset | list[Dataset], registry: Registry,
                   machine: MachinePlan | None = None) -> RunPlan:
    """Decide everything about the run (see the module docstring); reads the cache, starts nothing."""
    from grnbench.execution.run_folder import check_writable_dir

    datasets = [datasets] if isinstance(datasets, Dataset) else list(datasets)
    machine = machine or plan_machine(config.backend)
    from grnbench.trial import skip_reason

    methods = build_methods(config.methods, registry)
    universes = {d.name: EdgeUniverse.from_dataset(d) for d in datasets}
    by_name = {d.name: d for d in datasets}
    tasks = build_tasks(config, datasets, registry, universes)
    sources = {name: registry.get(name).source_hash() for name in dict.fromkeys(t.method.name for t in tasks)}
    check_writable_dir(Path(config.out_dir), "--out")
    cache = None
    if config.use_cache:
        cache = ResultCache(check_writable_dir(Path(config.cache_dir or Path(config.out_dir) / "cache"), "--cache"))
    payloads: list[dict | None] = []
    keys: list[str | None] = []
    hits: dict[int, TaskOutput] = {}
    for index, task in enumerate(tasks):
        payload = task_key_payload(task, registry, by_name[task.dataset].content_hash, sources[task.method.name])
        key = key_of(payload) if cache is not None else None
        payloads.append(payload if cache is not None else None)
        keys.append(key)
        if cache is not None and task.method.name not in config.force:
            hit = cache.get(key)
            if hit is not None:
                hits[index] = hit
    threaded = sum(1 for i, t in enumerate(tasks) if i not in hits and registry.get(t.method.name).uses_threads)
    threaded_share = _threaded_share(machine, config.backend, threaded)
    planned: list[PlannedTask] = []
    estimates: dict[tuple, FitEstimate | None] = {}
    skips = {(spec, d.name): skip_reason(method, d) for spec, method in methods.items() for d in datasets}
    for index, task in enumerate(tasks):
        cls = registry.get(task.method.name)
        threads = threaded_share if cls.uses_threads else machine.threads_per_worker
        memo = (task.method, task.dataset, threads)
        skip = skips[(task.method, task.dataset)]
        estimate = None  # a cached task trains nothing: no estimate, and no machine probe for it
        if not skip and index not in hits:
            if memo not in estimates:
                estimates[memo] = _estimate(cls, dict(task.parameters), by_name[task.dataset], threads)
            estimate = estimates[memo]
        if cache is not None and index not in hits:
            folder = cache.directory / "checkpoints" / keys[index]
            task = replace(task, checkpoint_dir=str(folder))
        planned.append(PlannedTask(
            index=index, task=task, trial_seed=task.trial_seed, parameters=dict(task.parameters),
            edges_file=edges_filename(task), key=keys[index], payload=payloads[index], cached=index in hits,
            threads=threads, limits=_limits(machine, config.backend, task.method.name), priority=0.0,
            estimate=estimate, skip=skip, uses_threads=bool(cls.uses_threads)))
    planned = _with_priorities(planned, registry)
    per_target = frozenset(name for name in sources if registry.get(name).uses_dask)
    return RunPlan(config, tuple(datasets), machine, tuple(planned), sources, threaded_share, per_target,
                   _use_freed_cores(machine, config), cache, hits, universes,
                   notes=top_k_notes(config, datasets, universes))


def top_k_notes(config: RunConfig, datasets: list[Dataset], universes: Mapping[str, EdgeUniverse]) -> tuple[str, ...]:
    """One note per dataset whose scored pairs are fewer than ``--top-k``: its confusion counts
    are taken at every scored pair instead (``resolve_top_k``), so results.csv's ``top_k`` column
    differs from the k the manifest records; said where a reviewer looks, not only in the
    report. Counted on each protocol's first split (the pairs every repeat of it scores)."""
    if not config.top_k:
        return ()
    from grnbench.data.protocols import make_trial

    notes = []
    for dataset in datasets:
        universe = universes[dataset.name]
        folds = resolve_folds(config.folds, universe, config.split)
        scored = min(len(make_trial(universe, p, 0, config.seed, config.split, folds).split.test)
                     for p in config.protocols)
        if config.top_k > scored:
            notes.append(f"--top-k {config.top_k} is more than the {scored} pairs scored on {dataset.name}: its "
                         f"confusion counts are taken at all {scored} (results.csv's top_k column)")
    return tuple(notes)


def _use_freed_cores(machine: MachinePlan, config: RunConfig) -> bool:
    """Whether running fits may take freed cores (``--use-freed-cores``, see ``freed_core_offers``).

    Never on the user's cluster: its workers' cores are not this run's to count (other clients
    may use them, and a worker's slots are all the scheduler knows), and the runner sees only
    its own tasks. Never with ``--threads-per-worker``: the user fixed each task's threads.
    Never for a GPU: its fits do not run on the CPU's threads.
    """
    device = config.device
    return (bool(config.backend.use_freed_cores) and machine.backend in ("serial", "local")
            and not config.backend.threads_per_worker and (device is None or device.device == "cpu"))


def freed_core_offers(plan: RunPlan, running: Mapping[int, int], queued: int) -> dict[int, int]:
    """The re-thread policy: new thread counts for running fits, from the cores that the run's
    finished tasks freed (task index → threads; only the counts that grow).

    ``running`` maps each running task's index to the threads it has (or was already offered);
    ``queued`` counts the run's tasks not started yet. Cores are offered only when nothing is
    queued (a queued task takes a freed slot itself) and no per-target method runs (its targets
    take every free slot). The free cores (the plan's cores less those the running tasks hold)
    go to the running multithreaded fits that can resume (``uses_threads``, with a checkpoint
    folder), shared evenly, the first in the plan's priority order taking any remainder. The
    initial threads stay the plan's (``build_run_plan``); a fit takes an offer at its next
    epoch end (``grnbench.deep.resumable_fit``).
    """
    if not plan.use_freed_cores or queued > 0 or not running:
        return {}
    tasks = {t.index: t for t in plan.tasks}
    if any(plan.uses_dask(tasks[i].task.method.name) for i in running):
        return {}
    free = plan.machine.cores - sum(running.values())
    takers = sorted((i for i in running if tasks[i].uses_threads and tasks[i].task.checkpoint_dir),
                    key=lambda i: (-tasks[i].priority, i))
    if free <= 0 or not takers:
        return {}
    share, extra = divmod(free, len(takers))
    offers = {i: running[i] + share + (1 if rank < extra else 0) for rank, i in enumerate(takers)}
    return {i: n for i, n in offers.items() if n > running[i]}


def _threaded_share(machine: MachinePlan, options: BackendOptions, threaded_tasks: int) -> int:
    """Threads per multithreaded task (``Method.uses_threads``): every core when serial, the
    worker's threads when the user set them or gave the cluster, else the cores shared among
    the run's multithreaded tasks that will run (``grnbench.deep.shared_task_threads``)."""
    from grnbench.deep import shared_task_threads

    if machine.backend == "serial" or machine.backend == "external" or options.threads_per_worker:
        return machine.threads_per_worker
    return shared_task_threads(machine.concurrent_tasks, threaded_tasks, machine.cores)


def _limits(machine: MachinePlan, options: BackendOptions, method: str) -> TaskLimits:
    """``--timeout`` for the method, and the memory limit: the whole of it for a task that runs
    alone (serial), a worker's memory per thread on a cluster."""
    memory = machine.worker_memory
    if memory is not None and machine.backend != "serial":
        memory = int(memory) // max(1, machine.threads_per_worker)
    return TaskLimits(options.timeout_for(method), memory)


def _estimate(cls: type, params: dict[str, Any], dataset: Dataset, threads: int) -> FitEstimate | None:
    try:
        return estimate_fit(cls, params, dataset, threads)
    except Exception:  # noqa: BLE001 - an estimate only orders the queue and informs; never fail a run on it
        return None


def _with_priorities(planned: list[PlannedTask], registry: Registry) -> list[PlannedTask]:
    """Each task's Dask priority (higher starts first).

    ``Method.cheap`` ones (the controls): ``CHEAP_PRIORITY``, first, because they cost seconds
    and a long run stopped early should still have its baselines (before, two multi-hour deep
    fits took both slots of a 2-core run and the controls waited behind them). Per-target
    methods: ``PER_TARGET_PRIORITY``. Other whole-model fits: ``WHOLE_MODEL_PRIORITY`` plus up
    to 0.9 by expected training time (the middle of the estimate's range), so the longest start
    first and methods without an estimate fill the gaps last. Submitted in the order given, a
    3-hour DGRNS fit queued behind PSGRN would finish alone on one core long after every other
    core went idle.
    """
    def expected(t: PlannedTask) -> float:
        return 0.0 if t.estimate is None else t.estimate.expected_s

    whole = [t for t in planned if not t.cached and not registry.get(t.task.method.name).uses_dask]
    longest = max((expected(t) for t in whole), default=0.0) or 1.0
    out = []
    for t in planned:
        if registry.get(t.task.method.name).cheap:
            priority = float(CHEAP_PRIORITY)
        elif registry.get(t.task.method.name).uses_dask:
            priority = float(PER_TARGET_PRIORITY)
        else:
            priority = WHOLE_MODEL_PRIORITY + 0.9 * (expected(t) / longest)  # exactly 0.9 for the longest
        out.append(replace(t, priority=priority))
    return out


def plan_lines(plan: RunPlan) -> list[str]:
    """The plan as the console prints it before the run (the manifest stores the same plan)."""
    config = plan.config
    lines = []
    if config.profile != "reference" and config.profile_caps:
        caps = "; ".join(f"{m.split(':')[0]} " + ", ".join(f"{k}={v}" for k, v in c.items())
                         for m, c in config.profile_caps.items())
        lines.append(f"profile {config.profile}: NOT the reference schedule — capped: {caps}")
    elif config.profile != "reference":
        lines.append(f"profile {config.profile}: no method of this run has a cap")
    cached = len(plan.tasks) - len(plan.to_run)
    lines.append(f"{len(plan.tasks)} task(s): {len(plan.to_run)} to run, {cached} from the cache; "
                 f"{plan.machine.describe()}")
    device = config.device
    if any(t.estimate is not None for t in plan.to_run) and device is not None:
        lines.append(f"deep methods on {device.label} (Keras backend {device.keras_backend})")
    lines += list(plan.notes)
    skipped = {(t.task.method.label, t.task.dataset): t.skip for t in plan.to_run if t.skip}
    lines += [f"{method} skips {dataset}: {reason}" for (method, dataset), reason in skipped.items()]
    if plan.use_freed_cores:
        lines.append("--use-freed-cores: deep fits still training take the cores finished tasks free, at an epoch "
                     "end; scores then depend on when other tasks end (CNNC/DGRNS at rounding level, PSGRN by up "
                     "to 0.008: docs/deep-methods.md)")
    if device is None or device.device == "cpu":
        for dataset in plan.datasets:
            counts: dict[str, int] = {}
            for t in plan.to_run:
                if t.task.dataset == dataset.name and t.estimate is not None:
                    counts[t.task.method.label] = counts.get(t.task.method.label, 0) + 1
            lines += estimate_lines(plan.estimates(dataset.name), dataset.name, max(counts.values(), default=1))
    return lines


def plan_json(plan: RunPlan) -> str:
    return json.dumps(plan.as_manifest(), sort_keys=True, default=str)
