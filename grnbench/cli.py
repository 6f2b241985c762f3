"""The ``grnbench`` command line.

Exit status (also in ``grnbench --help``): 0 when every task is ok or skipped (``check``:
every check passed); 1 when any task failed, timed out or ran out of memory — the results
are still written — (``check``: a check failed); 2 for user errors, which print one line on
stderr and never a traceback. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from grnbench import __version__
from grnbench.data.splits import SPLITS
from grnbench.data.universe import dataset_summary
from grnbench.errors import UserError
from grnbench.evaluation.catalogue import rankable
from grnbench.evaluation.metrics import DEFAULT_TOP_K

EXIT_STATUS = """exit status:
  0  every task ok or skipped (check: every check passed)
  1  some task failed, timed out or ran out of memory; results are still written
     (check: some check failed)
  2  usage or input error, reported in one line on stderr"""

USE_FREED_CORES_HELP = (
    "when cores free up near the run's end, give them to deep fits still training: a fit takes them at its "
    "next epoch end and goes on in a new process from its checkpoint (only on the run's own cluster or with "
    "--workers 0; not with --threads-per-worker, --scheduler or --scheduler-file). Off by default because "
    "TensorFlow's sums depend on the thread count: with it the same command may give slightly different "
    "scores depending on when other tasks end (measured on maize2-sim: up to 6e-6 for CNNC, 0.008 for "
    "PSGRN; docs/deep-methods.md). The cache key does not depend on it")


def _plugin_options(p: argparse.ArgumentParser, help_text: str) -> None:
    p.add_argument("--plugin", action="append", default=[], metavar="FILE", help=help_text)
    p.add_argument("--plugin-override", action="store_true",
                   help="let a --plugin method replace an installed method of the same name (otherwise an error naming both)")


def build_parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(prog="grnbench", description="Benchmark gene regulatory network inference methods.",
                                     epilog=EXIT_STATUS, formatter_class=formatter)
    parser.add_argument("--version", action="version", version=f"grnbench {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="list methods (with where each comes from) and datasets")
    _plugin_options(p, "also load methods from this Python file")

    p = sub.add_parser("show", help="a method's parameters, its authors' settings with their sources, and "
                                    "every deviation from them")
    p.add_argument("name", metavar="METHOD")
    p.add_argument("--format", choices=["text", "markdown"], default="text",
                   help="markdown: the faithfulness table of docs/methods/")
    _plugin_options(p, "also load methods from this Python file")

    p = sub.add_parser("check", help="check methods against the grnbench contract (for method authors)",
                       description="Fit each method a few times with its test_parameters on a small synthetic "
                                   "dataset and check the plugin contract (interface, entry-point key, finite and "
                                   "deterministic scores, order/batching independence, unchanged parameters, "
                                   "pickling, no access to test labels).",
                       epilog=EXIT_STATUS, formatter_class=formatter)
    p.add_argument("names", nargs="*", metavar="NAME",
                   help="method names or 'all' (default with --plugin: the methods the plugin files define)")
    _plugin_options(p, "load methods from this Python file (repeatable)")
    p.add_argument("--dataset", default=None, help="check on this dataset instead of the built-in synthetic one")
    p.add_argument("--seed", type=int, default=3)

    p = sub.add_parser("run", help="run methods on a dataset and evaluate them", epilog=EXIT_STATUS,
                       formatter_class=formatter)
    p.add_argument("--config", metavar="FILE", help="YAML benchmark file whose keys are these options; the "
                                                     "command line overrides it (docs/config.md)")
    p.add_argument("--methods", default="all", help="'all' or a comma list, e.g. genie3,psgrn:epochs=5,tl=8 (default: all)")
    p.add_argument("--dataset", default=None, help="dataset name, comma list or suite from `grnbench datasets list`, e.g. dream4-10,real (default: dream4-100-1)")
    p.add_argument("--expression", metavar="FILE", help="your own genes × samples matrix (CSV/TSV/xlsx, plain or compressed) or AnnData .h5ad (samples × genes) instead of --dataset")
    p.add_argument("--gold-standard", metavar="FILE", help="edge list 'regulator target [label]' for --expression")
    p.add_argument("--tfs", metavar="FILE", help="TF list for --expression (default: the regulators of the gold standard)")
    p.add_argument("--name", metavar="NAME", help="display name of your own dataset (default: the expression file's "
                                                   "stem or the BEELINE folder's name)")
    i = p.add_argument_group("your own data (docs/inputs.md: one worked example per kind)")
    i.add_argument("--samples", metavar="FILE", help="sample sheet: columns sample,time,series[,condition,replicate]; one row per expression column")
    i.add_argument("--steady-state", action="append", default=[], metavar="FILE",
                   help="steady-state measurements (knockouts, knockdowns, …) for methods that use them (NODE); "
                        "gene IDs as header row or first column; repeatable, stacked in the order given")
    i.add_argument("--gold-header", choices=["yes", "no"], help="whether the gold standard's first row is a header (default: detected by content)")
    i.add_argument("--beeline-dir", metavar="DIR", help="BEELINE input folder: ExpressionData.csv, PseudoTime.csv (one series per column), refNetwork.csv")
    i.add_argument("--time-key", metavar="COLUMN", help=".h5ad: obs column of each sample's time (default: time)")
    i.add_argument("--series-key", metavar="COLUMN", help=".h5ad: obs column of each sample's series (default: series; absent = one series)")
    i.add_argument("--layer", metavar="NAME", help=".h5ad: read this layer instead of X")
    p.add_argument("--protocol", default="standard", help="comma list of standard, noise[:fraction=0.05,repeats=10], subsample[:fraction=0.7,repeats=10]")
    p.add_argument("--split", default="stratified", choices=list(SPLITS),
                   help="how pairs are split 3:1:1: stratified over pairs; tf-/target-disjoint (no test TF/target "
                        "in training in that role); disjoint (no gene of a test pair in any training pair, "
                        "cross-part pairs dropped); see docs/shortcuts.md")
    p.add_argument("--folds", default="auto", metavar="K",
                   help="K-fold cross-validation: every pair scored once out of fold (K=5 keeps 3:1:1 in each "
                        "rotation); 0 = one 3:1:1 split (the PSGRN paper's protocol); auto (default) = 5 folds "
                        "(fewer if the split kind cannot fill 5) where one split would test fewer than 30 positives "
                        "(docs/evaluation.md)")
    p.add_argument("--seed", type=int, default=0, help="seed of the splits and protocols (default 0)")
    p.add_argument("--seeds", default=None, metavar="LIST", help="fit every method once per model-initialisation seed on the same split, e.g. 0,1,2 (default: one fit, seeded by the split seed)")
    p.add_argument("--top-k", type=int, default=None, help="threshold rank for the confusion counts and network analysis (default: the number of positives among the scored pairs; the PSGRN paper used 10000)")
    p.add_argument("--out", default=None, help="run folder (default: grnbench-results/DATASET)")
    _plugin_options(p, "load methods from a local Python file (repeatable)")
    p.add_argument("--quiet", action="store_true", help="no plan or progress output (the results table and the report's path are still printed)")
    p.add_argument("--profile", default="reference", choices=["reference", "quick"],
                   help="reference: every method's own schedule (default); quick: capped epochs and "
                        "trees for a first run in minutes (NOT the reference schedule; marked in results)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "gpu"],
                   help="where the deep methods (psgrn, cnnc, dgrns) run: auto = a GPU when one is "
                        "visible and `pip install -e '.[gpu]'` was done, else CPU (default auto)")
    g = p.add_argument_group("execution (dask.distributed)")
    g.add_argument("--workers", type=int, default=None, help="LocalCluster worker processes (default: one per core; 0 = serial, in this process)")
    g.add_argument("--threads-per-worker", type=int, default=None, help="threads per worker, also each deep-learning task's thread budget (default: 1 per worker, and the local cluster's cores shared among the run's deep-learning tasks; with --workers 0 every core)")
    g.add_argument("--memory-limit", default="auto", help="memory limit per LocalCluster worker, e.g. 4GB (default: auto)")
    g.add_argument("--use-freed-cores", action="store_true",
                   help=USE_FREED_CORES_HELP)
    g.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask cluster, e.g. tcp://10.0.0.5:8786")
    g.add_argument("--scheduler-file", metavar="FILE", help="run on the Dask cluster described by this scheduler file")
    g.add_argument("--timeout", default=None, help="seconds per task: '600' for every method, or 'psgrn=600,genie3=120'")
    g.add_argument("--cache", metavar="DIR", help="cache folder (default: OUT/cache)")
    g.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    g.add_argument("--force", action="append", default=[], metavar="METHOD", help="recompute this method even when cached (repeatable)")
    g.add_argument("--replace", action="store_true",
                   help="drop the rows an earlier run left in --out (otherwise a run whose split, seed, folds, "
                        "top-k or data differ from the folder's is refused)")

    p = sub.add_parser("evaluate", help="recompute every metric of a run from its saved edge lists")
    p.add_argument("run_dir")

    p = sub.add_parser("report", help="re-render RUN_DIR/report.html from a run's saved results (runs nothing)")
    p.add_argument("run_dir")

    p = sub.add_parser("table", help="method × dataset table of one or more runs, as CSV, Markdown or LaTeX")
    p.add_argument("run_dirs", nargs="+", metavar="RUN_DIR")
    p.add_argument("--format", default="markdown", choices=["csv", "markdown", "latex"])
    p.add_argument("--metric", default="aupr", help="aupr (default), or any of: " + ", ".join(rankable()))
    p.add_argument("--protocol", default="standard", help="protocol name or exact label, e.g. noise or 'noise,repeats=3' (default: standard)")
    p.add_argument("--methods", default=None, metavar="LIST", help="only these methods (comma list of labels)")
    p.add_argument("--datasets", default=None, metavar="LIST", help="only these datasets (comma list)")

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
        if getattr(args, "config", None):  # `run --config FILE`: the file's values become the defaults
            from grnbench.execution.config_file import parse_run_with_config

            args = parse_run_with_config(parser, argv, args)
        check_empty_values(parser, args)
        return COMMANDS[args.command](args)
    except UserError as exc:
        print(f"grnbench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("grnbench: interrupted; finished tasks are saved, re-run the same command to resume", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (`grnbench list | head`): not an error of ours; keep Python from
        # complaining again when it flushes stdout at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def check_empty_values(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse an option given an empty value: ``--dataset "$UNSET"`` would otherwise run the
    default dataset, and ``--name ""`` fall back to the file's name, with no word of it."""
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for action in commands.choices[args.command]._actions:
        value = getattr(args, action.dest, None)
        if any(isinstance(v, str) and not v.strip() for v in (value if isinstance(value, list) else [value])):
            flag = max(action.option_strings, key=len) if action.option_strings else action.metavar or action.dest
            raise UserError(f"{flag} is empty; give it a value (an unset shell variable expands to nothing)")


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


def cmd_show(args: argparse.Namespace) -> int:
    from grnbench.execution.profiles import quick_caps
    from grnbench.faithfulness import markdown_table, show_lines
    from grnbench.registry import load_registry

    cls = load_registry(args.plugin, override=args.plugin_override).get(args.name)
    if args.format == "markdown":
        sys.stdout.write(markdown_table(cls))
    else:
        print("\n".join(show_lines(cls, quick_caps(cls))))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from grnbench.datasets import CATALOGUE, SUITES
    from grnbench.registry import load_registry

    registry = load_registry(args.plugin, override=args.plugin_override)
    print("methods:")
    for name in sorted(registry.methods):
        cls = registry.methods[name]
        kind = "supervised" if cls.supervised else "unsupervised"
        print(f"  {name:<16} {kind:<13} {cls.description}")
        source = registry.sources[name]
        if source.kind != "entry point" or source.distribution != "grnbench":
            print(f"  {'':<16} {'':<13} from {source.describe()}")
    problems = registry.problems()
    if problems:
        print("method problems:")
        for line in problems:
            print(f"  {line}")
    print("datasets:")
    for name in sorted(CATALOGUE):
        entry = CATALOGUE[name]
        note = "" if entry.unavailable() is None else "  [not imported yet]"
        print(f"  {name:<16} {entry.description}{note}")
    print("dataset suites:")
    for name, members in SUITES.items():
        print(f"  {name:<16} {', '.join(members)}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from grnbench.check_process import check_method_isolated
    from grnbench.registry import load_registry

    check_seed(args.seed)
    registry = load_registry(args.plugin, override=args.plugin_override)
    names = list(args.names)
    if not names and args.plugin:
        files = {str(Path(p).resolve()) for p in args.plugin}
        names = sorted(n for n, s in registry.sources.items() if s.kind == "plugin file" and s.target in files)
    if not names:
        raise UserError("name the methods to check (or 'all'), or pass --plugin FILE to check the methods it defines")
    if names == ["all"]:
        names = sorted(registry.methods)
    classes = []
    for name in names:
        if name in registry.conflicts or (name not in registry.methods and name in registry.key_mismatches):
            name = registry.key_mismatches.get(name, name)  # checked, and reported, under its real name
        if name not in registry.methods:
            registry.get(name)  # the one-line "unknown method" error
        classes.append(registry.methods[name])
    dataset = None
    if args.dataset:
        from grnbench.datasets import load_dataset

        dataset = load_dataset(args.dataset)
    failed = 0
    for cls in classes:
        report = check_method_isolated(cls, dataset=dataset, seed=args.seed, registry=registry)
        print("\n".join(report.lines()), flush=True)
        failed += not report.ok
    if len(classes) > 1:
        print(f"{len(classes) - failed} of {len(classes)} methods passed every check")
    return 1 if failed else 0


def user_inputs(args: argparse.Namespace):
    """The user's own files, or None when the run uses a catalogue dataset."""
    from grnbench.datasets.user_files import UserInputs

    given = [args.expression, args.gold_standard, args.beeline_dir, args.samples, args.tfs, args.time_key,
             args.series_key, args.layer, args.gold_header, args.steady_state, args.name]
    if not any(given):
        return None
    if args.dataset and not (args.expression or args.gold_standard or args.beeline_dir):
        flags = [f"--{dest.replace('_', '-')}" for dest in ("samples", "tfs", "time_key", "series_key", "layer",
                                                             "gold_header", "steady_state", "name") if getattr(args, dest)]
        where = ("an .h5ad --expression" if {"--time-key", "--series-key", "--layer"} >= set(flags)
                 else "your own files (--expression/--gold-standard or --beeline-dir)")
        raise UserError(f"{' and '.join(flags)} {'applies' if len(flags) == 1 else 'apply'} only to {where}, "
                        f"not to --dataset {args.dataset}; drop {'it' if len(flags) == 1 else 'them'}")
    if args.dataset:
        raise UserError("give either --dataset or your own files (--expression/--gold-standard or --beeline-dir), not both")
    header = None if args.gold_header is None else args.gold_header == "yes"
    return UserInputs(expression=args.expression, gold_standard=args.gold_standard, tfs=args.tfs,
                      samples=args.samples, beeline_dir=args.beeline_dir, gold_header=header,
                      time_key=args.time_key, series_key=args.series_key, layer=args.layer,
                      steady_state=tuple(args.steady_state), name=args.name)


def run_dataset_sources(args: argparse.Namespace) -> tuple[list[str], list]:
    """What a run's datasets are: bundled names (``--dataset``, suites expanded) and own
    datasets (``UserInputs``: the command line's files, or those a --config file lists)."""
    from grnbench.datasets import DEFAULT_DATASET, expand_datasets

    inputs = user_inputs(args)
    if inputs is not None:
        return [], [inputs]
    own = list(getattr(args, "own_datasets", None) or [])
    names = expand_datasets(args.dataset or DEFAULT_DATASET) if args.dataset or not own else []
    return names, own


def load_run_datasets(args: argparse.Namespace) -> list:
    """The datasets of a run: the bundled ones first, then the own ones, each name once."""
    from grnbench.datasets import load_dataset

    names, own = run_dataset_sources(args)
    datasets = [load_dataset(name) for name in names] + [inputs.load() for inputs in own]
    seen = [d.name for d in datasets]
    twice = sorted({n for n in seen if seen.count(n) > 1})
    if twice:
        raise UserError(f"two datasets of this run are named {', '.join(twice)}; give each own dataset "
                        "a different name (--name, or name: in the config file)")
    from grnbench.execution.tasks import file_safe

    by_file: dict[str, str] = {}
    for name in seen:  # edge lists are named by file_safe(dataset): a/b and a_b would overwrite each other's
        other = by_file.setdefault(file_safe(name), name)
        if other != name:
            raise UserError(f"datasets {other!r} and {name!r} would share the edge-list file names of "
                            f"{file_safe(name)!r}; give one a name of letters, digits and _.=- only "
                            "(--name, or name: in the config file)")
    return datasets


def default_out_name(args: argparse.Namespace, datasets: list) -> str:
    """The run folder's name under grnbench-results/ when --out is not given: the dataset's
    name for one dataset, else the --dataset text (a suite keeps its name) followed by the own
    datasets' names, joined by ``+`` (a config file listing only own datasets has no --dataset)."""
    if len(datasets) == 1:
        return datasets[0].name
    names = run_dataset_sources(args)[0]
    parts = [args.dataset.replace(",", "+")] if args.dataset else []
    return "+".join(parts + [d.name for d in datasets[len(names):]])


def parse_seeds(text: str | None) -> tuple[int, ...] | None:
    """``--seeds 0,1,2`` → (0, 1, 2); None when not given."""
    if text is None:
        return None
    try:
        seeds = tuple(dict.fromkeys(int(t) for t in text.split(",") if t.strip()))
    except ValueError:
        raise UserError(f"--seeds expects a comma list of integers such as 0,1,2, got {text!r}") from None
    if not seeds:
        raise UserError("--seeds is empty; give integers such as 0,1,2")
    if min(seeds) < 0:
        raise UserError(f"--seeds must be 0 or more, got {min(seeds)}")
    return seeds


#: below this, a LocalCluster worker pauses at start-up (its own footprint exceeds the limit)
MIN_WORKER_MEMORY = 300 * 2**20


def check_scheduler_file(path: Path) -> None:
    """A scheduler file that exists and names a scheduler address (``Client(scheduler_file=)``
    would wait for ever on a missing one and fail inside a task on an empty one)."""
    import json

    if not path.is_file():
        raise UserError(f"--scheduler-file {path}: no such file; start the scheduler first "
                        f"(`dask scheduler --scheduler-file {path}`)")
    try:
        address = json.loads(path.read_text() or "null").get("address")
    except (ValueError, AttributeError, UnicodeDecodeError):
        address = None
    if not address:
        raise UserError(f"--scheduler-file {path} names no scheduler address (is it the file `dask scheduler "
                        "--scheduler-file` wrote?); restart the scheduler with that option")


def check_method_names(option: str, names: list[str], run_methods: list[str]) -> None:
    """Method names given to ``--timeout``/``--force`` must be methods of this run."""
    unknown = [n for n in names if n not in run_methods]
    if unknown:
        raise UserError(f"{option} names {', '.join(unknown)}, not a method of this run "
                        f"({', '.join(run_methods)}); use one of those names")


def check_seed(seed: int) -> None:
    """``--seed`` of ``run`` and ``check``: numpy takes no negative seed, and would say so only
    inside a task (or the check's subprocess)."""
    if seed < 0:
        raise UserError(f"--seed must be 0 or more, got {seed}")


def check_run_options(args: argparse.Namespace) -> None:
    """Numbers and sizes a run needs, checked before a dataset loads or a cluster starts."""
    check_seed(args.seed)
    if args.top_k is not None and args.top_k < 1:
        raise UserError(f"--top-k must be 1 or more, got {args.top_k}")
    if args.workers is not None and args.workers < 0:
        raise UserError("--workers must be 0 (serial) or more")
    if args.threads_per_worker is not None and args.threads_per_worker < 1:
        raise UserError(f"--threads-per-worker must be 1 or more, got {args.threads_per_worker}")
    if args.scheduler_file:
        check_scheduler_file(Path(args.scheduler_file))
    if getattr(args, "use_freed_cores", False):
        fixed = [o for o, v in (("--scheduler", args.scheduler), ("--scheduler-file", args.scheduler_file),
                                ("--threads-per-worker", args.threads_per_worker)) if v]
        if fixed:
            raise UserError(f"--use-freed-cores with {' and '.join(fixed)}: freed cores are offered only on the run's "
                            "own cluster with the threads it decides; drop one of them")
    text = str(args.memory_limit).strip().lower()
    if text != "auto":
        from dask.utils import parse_bytes

        try:
            size = parse_bytes(text)
        except (ValueError, TypeError):
            size = None
        if not text or not size or size <= 0:
            raise UserError(f"--memory-limit expects a size such as 4GB or 500MB (or auto), got {args.memory_limit!r}")
        local_cluster = args.workers != 0 and not (args.scheduler or args.scheduler_file)
        if local_cluster and size < MIN_WORKER_MEMORY:
            # a Dask worker under its own memory limit at start-up pauses and never runs a task
            raise UserError(f"--memory-limit {args.memory_limit} is below the ~{MIN_WORKER_MEMORY // 2**20} MB a Dask "
                            "worker needs to start (it would pause for ever); give more, or --workers 0 to run "
                            "tasks one at a time under that limit")


def cmd_run(args: argparse.Namespace) -> int:
    from grnbench.data.folds import parse_folds
    from grnbench.data.protocols import check_split_feasible, parse_protocols
    from grnbench.datasets.candidates import check_candidate_pairs
    from grnbench.execution.config_file import resolved_config, run_subparser
    from grnbench.execution.device import apply_device, select_device
    from grnbench.execution.plan import build_run_plan, plan_lines, plan_machine
    from grnbench.execution.profiles import apply_profile, capped_values
    from grnbench.execution.progress import RunProgress
    from grnbench.execution.run_config import BackendOptions, parse_timeouts
    from grnbench.execution.runner import RunConfig, execute_plan
    from grnbench.registry import load_registry, parse_method_specs
    from grnbench.results.records import records_frame, summarise
    from grnbench.results.summary import format_summary

    registry = load_registry(args.plugin, override=args.plugin_override)
    methods = apply_profile(parse_method_specs(args.methods, registry), args.profile, registry)
    run_methods = list(dict.fromkeys(m.name for m in methods))
    check_method_names("--force", list(args.force), run_methods)
    protocols = parse_protocols(args.protocol)
    check_run_options(args)
    timeouts = parse_timeouts(args.timeout)
    check_method_names("--timeout", [n for n in (timeouts or {}) if n != "*"], run_methods)
    backend = BackendOptions(workers=args.workers, threads_per_worker=args.threads_per_worker,
                             memory_limit=args.memory_limit, scheduler=args.scheduler,
                             scheduler_file=args.scheduler_file, timeouts=timeouts,
                             use_freed_cores=args.use_freed_cores)
    machine = plan_machine(backend)
    # before anything imports Keras: workers and this process inherit the backend from the env
    device = select_device(args.device, machine.concurrent_tasks)
    if device.device == "gpu" and (args.scheduler or args.scheduler_file):
        raise UserError("--device gpu on an existing Dask cluster: set KERAS_BACKEND=jax and "
                        "XLA_PYTHON_CLIENT_PREALLOCATE=false where its workers start, and use --device auto")
    apply_device(device)
    init_seeds = parse_seeds(args.seeds)
    datasets = load_run_datasets(args)
    folds = parse_folds(args.folds)
    for dataset in datasets:
        check_candidate_pairs(dataset, f"--tfs {args.tfs}" if args.tfs else None)
        check_split_feasible(dataset, protocols, args.seed, args.split, folds)
    out_dir = Path(args.out or Path("grnbench-results") / default_out_name(args, datasets))
    config = RunConfig(methods=methods, protocols=protocols, seed=args.seed, split=args.split,
                       top_k=args.top_k or DEFAULT_TOP_K, plugins=tuple(args.plugin), plugin_override=args.plugin_override,
                       out_dir=out_dir, quiet=args.quiet, folds=folds,
                       dataset_files=_dataset_files(args), backend=backend,
                       cache_dir=Path(args.cache) if args.cache else None,
                       use_cache=not args.no_cache, force=tuple(args.force), replace=args.replace, init_seeds=init_seeds,
                       device=device, profile=args.profile,
                       profile_caps=capped_values(methods, args.profile, registry),
                       resolved_config=resolved_config(args, registry, *run_dataset_sources(args),
                                                       run_parser=run_subparser(build_parser())))
    plan = build_run_plan(config, datasets, registry, machine)
    if not args.quiet:
        for dataset in datasets:
            s = dataset_summary(dataset)
            print(f"dataset {dataset.name}: {s['genes']} genes, {s['tfs']} TFs, {s['samples']} samples, "
                  f"{s['pairs']} pairs, {s['positives']} positives", flush=True)
        for line in plan_lines(plan):
            print(line, flush=True)
    rows_before = _file_bytes(out_dir / "results.csv")
    with RunProgress(enabled=not args.quiet) as progress:
        summary = execute_plan(plan, on_result=progress.task_done, on_start=progress.start,
                               watch=progress.watch([t.task for t in plan.tasks]))
    records = summary.records
    report = out_dir / "report.html"
    if rows_before != _file_bytes(out_dir / "results.csv") or not report.is_file():
        report = _write_report_safely(out_dir)  # unchanged rows (all cached): the report still holds
    # the answer, even with --quiet (which hides progress only)
    print(format_summary(summarise(records_frame(records))))
    print(f"{summary.computed} task(s) computed, {summary.cache_hits} from cache, "
          f"{summary.wall_s:.1f} s; results in {out_dir}/")
    if report:
        print(f"report: {report}")
    problems = [r for r in records if r.status in ("failed", "timeout", "oom")]
    if problems:
        print(f"grnbench: {len(problems)} of {len(records)} task(s) failed, timed out or ran out of memory "
              f"(see {out_dir / 'results.csv'}); exit status 1", file=sys.stderr)
        return 1
    return 0


def _file_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _write_report_safely(out_dir: Path) -> Path | None:
    """The results are already saved; a report that fails to render must not fail the run."""
    from grnbench.report.render import write_report

    try:
        return write_report(out_dir)
    except Exception as exc:  # noqa: BLE001 - reported, and `grnbench report` can retry
        print(f"grnbench: warning: report.html not written ({type(exc).__name__}: {exc}); "
              f"re-render with `grnbench report {out_dir}`", file=sys.stderr)
        return None


def _dataset_files(args: argparse.Namespace) -> dict[str, object] | list[dict[str, object]] | None:
    """The own datasets' files for the manifest: one mapping (the command line's), or a list."""
    own = run_dataset_sources(args)[1]
    if not own:
        return None
    return own[0].files() if user_inputs(args) is not None else [inputs.files() for inputs in own]


def cmd_evaluate(args: argparse.Namespace) -> int:
    from grnbench.execution.run_folder import run_folder_lock
    from grnbench.results.evaluate import evaluate_run
    from grnbench.results.records import read_results, summarise
    from grnbench.results.summary import format_summary

    read_results(Path(args.run_dir))  # a missing or damaged results.csv: one line, nothing written
    notes: list[str] = []
    with run_folder_lock(Path(args.run_dir)):  # never beside a run writing the same folder
        frame = evaluate_run(Path(args.run_dir), notes)
    print(format_summary(summarise(frame)))
    for note in notes:
        print(note)
    print(f"metrics recomputed from the edge lists into {Path(args.run_dir) / 'results.csv'}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from grnbench.report.render import write_report

    print(f"report written to {write_report(Path(args.run_dir))}")
    return 0


def cmd_table(args: argparse.Namespace) -> int:
    from grnbench.results.comparison import format_table, load_runs, method_dataset_table

    def names(text: str | None) -> list[str] | None:
        return None if text is None else [n.strip() for n in text.split(",") if n.strip()]

    frame = load_runs([Path(d) for d in args.run_dirs], names(args.methods), names(args.datasets))
    table = method_dataset_table(frame, args.metric, args.protocol)
    sys.stdout.write(format_table(table, args.format, args.metric))
    return 0


def cmd_datasets(args: argparse.Namespace) -> int:
    from grnbench.datasets import listing, show_lines

    if args.datasets_command == "import":
        from grnbench.datasets.maize import import_command

        return import_command(args.expression, args.grn, args.data_dir)
    print("\n".join(listing() if args.datasets_command == "list" else show_lines(args.name)))
    return 0


COMMANDS = {"list": cmd_list, "check": cmd_check, "run": cmd_run, "evaluate": cmd_evaluate, "datasets": cmd_datasets}
COMMANDS.update(report=cmd_report, table=cmd_table, show=cmd_show)
