"""The ``grnbench`` command line.

User errors (``UserError``) print one line on stderr and exit with status 2; they never show
a traceback. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

from grnbench import __version__
from grnbench.errors import UserError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grnbench", description="Benchmark gene regulatory network inference methods.")
    parser.add_argument("--version", action="version", version=f"grnbench {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="list methods and datasets")
    p.add_argument("--plugin", action="append", default=[], metavar="FILE", help="also load methods from this Python file")

    p = sub.add_parser("run", help="run methods on a dataset and evaluate them")
    p.add_argument("--methods", default="all", help="'all' or a comma list, e.g. genie3,psgrn:epochs=5,tl=8 (default: all)")
    p.add_argument("--dataset", default=None, help="dataset name from `grnbench datasets list` (default: dream4-100-1)")
    p.add_argument("--expression", metavar="FILE", help="your own genes × samples matrix (CSV/TSV/xlsx) instead of --dataset")
    p.add_argument("--gold-standard", metavar="FILE", help="edge list 'regulator target [label]' for --expression")
    p.add_argument("--tfs", metavar="FILE", help="TF list for --expression (default: the regulators of the gold standard)")
    p.add_argument("--protocol", default="standard", help="comma list of standard, noise[:fraction=0.05,repeats=10], subsample[:fraction=0.7,repeats=10]")
    p.add_argument("--split", default="stratified", choices=["stratified", "tf-disjoint"], help="how pairs are split 3:1:1")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--top-k", type=int, default=10_000, help="threshold rank for the confusion counts (default 10000)")
    p.add_argument("--out", default=None, help="run folder (default: grnbench-results/DATASET)")
    p.add_argument("--plugin", action="append", default=[], metavar="FILE", help="load methods from a local Python file")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    g = p.add_argument_group("execution (dask.distributed)")
    g.add_argument("--workers", type=int, default=None, help="LocalCluster worker processes (default: one per core; 0 = serial, in this process)")
    g.add_argument("--threads-per-worker", type=int, default=1, help="threads per worker, also each deep-learning task's thread budget (default 1)")
    g.add_argument("--memory-limit", default="auto", help="memory limit per LocalCluster worker, e.g. 4GB (default: auto)")
    g.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask cluster, e.g. tcp://10.0.0.5:8786")
    g.add_argument("--scheduler-file", metavar="FILE", help="run on the Dask cluster described by this scheduler file")
    g.add_argument("--timeout", default=None, help="seconds per task: '600' for every method, or 'psgrn=600,genie3=120'")
    g.add_argument("--cache", metavar="DIR", help="cache folder (default: OUT/cache)")
    g.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    g.add_argument("--force", action="append", default=[], metavar="METHOD", help="recompute this method even when cached (repeatable)")

    p = sub.add_parser("evaluate", help="recompute every metric of a run from its saved edge lists")
    p.add_argument("run_dir")

    p = sub.add_parser("report", help="re-render RUN_DIR/report.html from a run's saved results (runs nothing)")
    p.add_argument("run_dir")

    p = sub.add_parser("table", help="method × dataset table of one or more runs, as CSV, Markdown or LaTeX")
    p.add_argument("run_dirs", nargs="+", metavar="RUN_DIR")
    p.add_argument("--format", default="markdown", choices=["csv", "markdown", "latex"])
    p.add_argument("--metric", default="aupr", help="aupr (default), aupr_ratio, auroc, early_precision, early_precision_ratio, f1, fit_wall_s, score_wall_s, time_s, peak_memory_mb")
    p.add_argument("--protocol", default="standard", help="protocol name or exact label, e.g. noise or 'noise,repeats=3' (default: standard)")

    p = sub.add_parser("datasets", help="list, show or import datasets")
    dsub = p.add_subparsers(dest="datasets_command", required=True)
    dsub.add_parser("list", help="list datasets")
    q = dsub.add_parser("show", help="genes, TFs, time points, pairs, positives, source and licence of a dataset")
    q.add_argument("name")
    q = dsub.add_parser("import", help="build maize1/maize2 from the published expression and ChIP-seq files")
    q.add_argument("kind", choices=["maize"])
    q.add_argument("--expression", required=True, metavar="FILE", help="FPKM matrix: gene IDs, one column per time point (CSV/TSV/xlsx)")
    q.add_argument("--grn", required=True, metavar="FILE", help="TF, target, p-value table (CSV/TSV/xlsx)")
    q.add_argument("--data-dir", metavar="DIR", help="where to store them (default: $GRNBENCH_DATA or ~/.local/share/grnbench)")
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    parser = build_parser()
    args = parser.parse_args(argv)
    _stop_cleanly_on_sigterm()
    try:
        return COMMANDS[args.command](args)
    except UserError as exc:
        print(f"grnbench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("grnbench: interrupted; finished tasks are saved, re-run the same command to resume", file=sys.stderr)
        return 130


def _stop_cleanly_on_sigterm() -> None:
    """SIGTERM (a batch system's walltime, `kill`) stops a run like Ctrl-C: the cluster is
    closed and every task process killed, instead of leaving orphaned workers behind."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGTERM, interrupt)
    except (ValueError, OSError):
        pass


def cmd_list(args: argparse.Namespace) -> int:
    from grnbench.datasets import CATALOGUE
    from grnbench.registry import load_registry

    registry = load_registry(args.plugin)
    print("methods:")
    for name in sorted(registry.methods):
        cls = registry.methods[name]
        kind = "supervised" if cls.supervised else "unsupervised"
        print(f"  {name:<16} {kind:<13} {cls.description}")
    for name, reason in sorted(registry.broken.items()):
        print(f"  {name:<16} NOT LOADED    {reason}")
    print("datasets:")
    for name in sorted(CATALOGUE):
        entry = CATALOGUE[name]
        note = "" if entry.unavailable() is None else "  [not imported yet]"
        print(f"  {name:<16} {entry.description}{note}")
    return 0


def load_run_dataset(args: argparse.Namespace):
    from grnbench.datasets import DEFAULT_DATASET, load_dataset, tables

    if args.expression or args.gold_standard:
        if not (args.expression and args.gold_standard):
            raise UserError("--expression and --gold-standard go together: give both files")
        if args.dataset:
            raise UserError("give either --dataset or --expression/--gold-standard, not both")
        return tables.load_table_dataset(args.expression, args.gold_standard, args.tfs)
    return load_dataset(args.dataset or DEFAULT_DATASET)


def parse_timeouts(text: str | None) -> dict[str, float] | None:
    if not text:
        return None
    limits: dict[str, float] = {}
    for part in text.split(","):
        name, sep, value = part.rpartition("=")
        try:
            seconds = float(value)
        except ValueError:
            raise UserError(f"--timeout expects seconds or METHOD=SECONDS, got {part!r}") from None
        if not (seconds > 0 and math.isfinite(seconds)):
            raise UserError(f"--timeout must be a positive number of seconds, got {part!r}")
        limits[name.strip() if sep else "*"] = seconds
    return limits


def check_run_options(args: argparse.Namespace) -> None:
    """Numbers and sizes a run needs, checked before a dataset loads or a cluster starts."""
    if args.seed < 0:
        raise UserError(f"--seed must be 0 or more, got {args.seed}")
    if args.top_k < 1:
        raise UserError(f"--top-k must be 1 or more, got {args.top_k}")
    if args.workers is not None and args.workers < 0:
        raise UserError("--workers must be 0 (serial) or more")
    if args.threads_per_worker < 1:
        raise UserError(f"--threads-per-worker must be 1 or more, got {args.threads_per_worker}")
    if args.scheduler_file and not Path(args.scheduler_file).is_file():
        # Client(scheduler_file=...) would wait for the file to appear, for ever
        raise UserError(f"--scheduler-file {args.scheduler_file}: no such file; start the scheduler first "
                        f"(`dask scheduler --scheduler-file {args.scheduler_file}`)")
    text = str(args.memory_limit).strip().lower()
    if text != "auto":
        from dask.utils import parse_bytes

        try:
            size = parse_bytes(text)
        except (ValueError, TypeError):
            size = None
        if not size or size <= 0:
            raise UserError(f"--memory-limit expects a size such as 4GB or 500MB (or auto), got {args.memory_limit!r}")


def cmd_run(args: argparse.Namespace) -> int:
    from grnbench.backends import BackendOptions
    from grnbench.progress import RunProgress
    from grnbench.protocols import parse_protocols
    from grnbench.registry import load_registry, parse_method_specs
    from grnbench.results import records_frame, summarise
    from grnbench.runner import RunConfig, build_tasks, run_benchmark
    from grnbench.table import format_summary

    registry = load_registry(args.plugin)
    methods = parse_method_specs(args.methods, registry)
    for name in args.force:
        registry.get(name)
    protocols = parse_protocols(args.protocol)
    check_run_options(args)
    backend = BackendOptions(workers=args.workers, threads_per_worker=args.threads_per_worker,
                             memory_limit=args.memory_limit, scheduler=args.scheduler,
                             scheduler_file=args.scheduler_file, timeouts=parse_timeouts(args.timeout))
    dataset = load_run_dataset(args)
    out_dir = Path(args.out or Path("grnbench-results") / dataset.name)
    config = RunConfig(methods=methods, protocols=protocols, seed=args.seed, split=args.split,
                       top_k=args.top_k, plugins=tuple(args.plugin), out_dir=out_dir, quiet=args.quiet,
                       dataset_files=_dataset_files(args), backend=backend,
                       cache_dir=Path(args.cache) if args.cache else None,
                       use_cache=not args.no_cache, force=tuple(args.force))
    if not args.quiet:
        s = dataset.summary()
        print(f"dataset {dataset.name}: {s['genes']} genes, {s['tfs']} TFs, {s['samples']} samples, "
              f"{s['pairs']} pairs, {s['positives']} positives", flush=True)
    with RunProgress(enabled=not args.quiet) as progress:
        summary = run_benchmark(config, dataset, on_result=progress.task_done, on_start=progress.start,
                                watch=progress.watch(build_tasks(config, dataset)))
    records = summary.records
    report = _write_report_safely(out_dir)
    if not args.quiet:
        print(format_summary(summarise(records_frame(records))))
        print(f"{summary.computed} task(s) computed, {summary.cache_hits} from cache, "
              f"{summary.wall_s:.1f} s; results in {out_dir}/")
        if report:
            print(f"report: {report}")
    return 0 if any(r.status == "ok" for r in records) else 1


def _write_report_safely(out_dir: Path) -> Path | None:
    """The results are already saved; a report that fails to render must not fail the run."""
    from grnbench.report import write_report

    try:
        return write_report(out_dir)
    except Exception as exc:  # noqa: BLE001 - reported, and `grnbench report` can retry
        print(f"grnbench: warning: report.html not written ({type(exc).__name__}: {exc}); "
              f"re-render with `grnbench report {out_dir}`", file=sys.stderr)
        return None


def _dataset_files(args: argparse.Namespace) -> dict[str, str] | None:
    if not args.expression:
        return None
    files = {"expression": str(Path(args.expression).resolve()),
             "gold_standard": str(Path(args.gold_standard).resolve())}
    if args.tfs:
        files["tfs"] = str(Path(args.tfs).resolve())
    return files


def cmd_evaluate(args: argparse.Namespace) -> int:
    from grnbench.evaluate import evaluate_run
    from grnbench.results import read_results, summarise
    from grnbench.run_folder import run_folder_lock
    from grnbench.table import format_summary

    read_results(Path(args.run_dir))  # a missing or damaged results.csv: one line, nothing written
    with run_folder_lock(Path(args.run_dir)):  # never beside a run writing the same folder
        frame = evaluate_run(Path(args.run_dir))
    print(format_summary(summarise(frame)))
    print(f"metrics recomputed from the edge lists into {Path(args.run_dir) / 'results.csv'}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from grnbench.report import write_report

    print(f"report written to {write_report(Path(args.run_dir))}")
    return 0


def cmd_table(args: argparse.Namespace) -> int:
    from grnbench.comparison import format_table, load_runs, method_dataset_table

    table = method_dataset_table(load_runs([Path(d) for d in args.run_dirs]), args.metric, args.protocol)
    sys.stdout.write(format_table(table, args.format, args.metric))
    return 0


def cmd_datasets(args: argparse.Namespace) -> int:
    from grnbench.datasets import listing, show_lines

    if args.datasets_command == "import":
        from grnbench.datasets.maize import import_command

        return import_command(args.expression, args.grn, args.data_dir)
    print("\n".join(listing() if args.datasets_command == "list" else show_lines(args.name)))
    return 0


COMMANDS = {"list": cmd_list, "run": cmd_run, "evaluate": cmd_evaluate, "datasets": cmd_datasets}
COMMANDS.update(report=cmd_report, table=cmd_table)
