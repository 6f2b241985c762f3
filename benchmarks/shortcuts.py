"""Re-measure the pair-input shortcut (docs/shortcuts.md) with grnbench itself.

Each (stage, dataset, split, seed) is one ordinary ``grnbench run`` into
``grnbench-results/shortcuts/DATASET/SPLIT/seedS/STAGE`` (its cache makes a re-run resume), so
every figure of the table comes from the same code path a user runs. Stages go from cheap to
expensive, so a time-boxed session measures the controls everywhere before the deep methods:

    python benchmarks/shortcuts.py                      # every stage
    python benchmarks/shortcuts.py --stages controls    # one stage
    python benchmarks/shortcuts.py --collect-only       # rebuild the tables from the run folders

The tables go to benchmarks/results/shortcuts_{runs.csv,summary.csv,summary.json,table.md};
``shortcuts_log.jsonl`` records each run's wall time and the machine's 1-minute load before
and after (the machine is shared, so times are indicative only).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
RUNS = ROOT / "grnbench-results" / "shortcuts"
RESULTS = ROOT / "benchmarks" / "results"
DATASETS = ("dream4-100-1", "maize1-sim")
SPLITS = ("stratified", "tf-disjoint", "target-disjoint", "disjoint")
MAIN_SPLITS = ("stratified", "tf-disjoint", "disjoint")
SEEDS = (0, 1, 2)
#: reduced schedules, labelled as such everywhere: NOT the methods' reference schedules
PSGRN_REDUCED = "psgrn:epochs=3,min_epochs=3"


@dataclass(frozen=True)
class Stage:
    name: str
    methods: str
    datasets: tuple[str, ...]
    splits: tuple[str, ...]
    seeds: tuple[int, ...]


STAGES = (
    Stage("controls", "random,degree-prior,correlation,grnboost2", DATASETS, SPLITS, SEEDS),
    Stage("psgrn-reduced", PSGRN_REDUCED, ("dream4-100-1",), MAIN_SPLITS, (0,)),
    Stage("node", "node", ("dream4-100-1",), MAIN_SPLITS, (0,)),
    Stage("psgrn-reduced", PSGRN_REDUCED, ("maize1-sim",), ("stratified", "disjoint"), (0,)),
    Stage("genie3", "genie3", ("dream4-100-1",), ("stratified", "disjoint", "tf-disjoint"), (0,)),
    Stage("node", "node", ("maize1-sim",), ("stratified", "disjoint", "tf-disjoint"), (0,)),
    Stage("node", "node", ("dream4-100-1",), MAIN_SPLITS, (1, 2)),
    Stage("psgrn-reduced", PSGRN_REDUCED, ("dream4-100-1",), MAIN_SPLITS, (1, 2)),
)


def load_1min() -> float:
    return os.getloadavg()[0]


def finished(out: Path) -> bool:
    """A run folder whose every task finished (a re-run of the script skips it)."""
    path = out / "results.csv"
    return path.is_file() and set(pd.read_csv(path)["status"]) == {"ok"}


def run_stage(stage: Stage, workers: int) -> None:
    for dataset in stage.datasets:
        for split in stage.splits:
            for seed in stage.seeds:
                out = RUNS / dataset / split / f"seed{seed}" / stage.name
                if finished(out):
                    continue
                command = [sys.executable, "-m", "grnbench", "run", "--methods", stage.methods,
                           "--dataset", dataset, "--split", split, "--seed", str(seed),
                           "--workers", str(workers), "--quiet", "--out", str(out)]
                before, started = load_1min(), time.time()
                done = subprocess.run(command, capture_output=True, text=True)
                entry = {"stage": stage.name, "methods": stage.methods, "dataset": dataset, "split": split,
                         "seed": seed, "rc": done.returncode, "wall_s": round(time.time() - started, 1),
                         "load_before": round(before, 2), "load_after": round(load_1min(), 2),
                         "stderr_tail": done.stderr[-300:]}
                with open(RESULTS / "shortcuts_log.jsonl", "a") as log:
                    log.write(json.dumps(entry) + "\n")
                print(json.dumps(entry), flush=True)


def collect() -> pd.DataFrame:
    frames = []
    for path in sorted(RUNS.glob("*/*/seed*/*/results.csv")):
        frame = pd.read_csv(path)
        frame["run_seed"] = int(path.parent.parent.name.removeprefix("seed"))
        frame["stage"] = path.parent.name
        frames.append(frame)
    if not frames:
        raise SystemExit(f"no results under {RUNS}; run the stages first")
    runs = pd.concat(frames, ignore_index=True)
    runs = runs[runs["status"] == "ok"]
    keep = ["dataset", "split", "run_seed", "method", "aupr", "auroc", "n_train", "n_validation", "n_test",
            "n_dropped", "n_positives", "positive_rate", "positive_rate_train", "positive_rate_validation",
            "n_test_c1", "n_test_c2", "n_test_c3", "positives_c1", "positives_c2", "positives_c3",
            "aupr_c1", "aupr_c2", "aupr_c3", "fit_wall_s"]
    runs = runs[keep].sort_values(["dataset", "split", "method", "run_seed"]).reset_index(drop=True)
    runs.to_csv(RESULTS / "shortcuts_runs.csv", index=False, float_format="%.6g")
    summary = runs.groupby(["dataset", "split", "method"], sort=False).agg(
        seeds=("aupr", "size"), aupr=("aupr", "mean"), aupr_sd=("aupr", "std"),
        aupr_min=("aupr", "min"), aupr_max=("aupr", "max"), auroc=("auroc", "mean"),
        positive_rate=("positive_rate", "mean"), n_test=("n_test", "mean"), n_dropped=("n_dropped", "mean"),
        n_test_c1=("n_test_c1", "mean"), n_test_c2=("n_test_c2", "mean"), n_test_c3=("n_test_c3", "mean"),
        fit_wall_s=("fit_wall_s", "mean")).reset_index()
    summary.to_csv(RESULTS / "shortcuts_summary.csv", index=False, float_format="%.6g")
    (RESULTS / "shortcuts_summary.json").write_text(
        json.dumps(summary.to_dict(orient="records"), indent=1, default=float) + "\n")
    (RESULTS / "shortcuts_table.md").write_text(markdown_table(summary, runs))
    return summary


def markdown_table(summary: pd.DataFrame, runs: pd.DataFrame) -> str:
    """AUPR mean ± sd (seeds) per method (rows) and dataset × split (columns), then the test
    sets (one per dataset, split and seed, shared by every method; mean over seeds)."""
    columns = [(d, s) for d in DATASETS for s in SPLITS
               if ((summary["dataset"] == d) & (summary["split"] == s)).any()]
    order = ["random", "degree-prior", "correlation", "grnboost2", "genie3", "node", PSGRN_REDUCED]
    methods = [m for m in order if m in set(summary["method"])]
    methods += sorted(set(summary["method"]) - set(methods))
    lines = ["| method | " + " | ".join(f"{d} {s}" for d, s in columns) + " |",
             "|---|" + "---|" * len(columns)]
    cells = summary.set_index(["method", "dataset", "split"])
    for method in methods:
        row = []
        for d, s in columns:
            if (method, d, s) not in cells.index:
                row.append("–")
                continue
            r = cells.loc[(method, d, s)]
            text = f"{r['aupr']:.3f}"
            if r["seeds"] > 1:
                text += f" ± {r['aupr_sd']:.3f}"
            row.append(text + f" ({int(r['seeds'])})")
        lines.append(f"| {method} | " + " | ".join(row) + " |")
    trials = runs.drop_duplicates(["dataset", "split", "run_seed"])
    sizes = trials.groupby(["dataset", "split"]).agg(
        seeds=("run_seed", "size"), n_test=("n_test", "mean"), rate=("positive_rate", "mean"),
        dropped=("n_dropped", "mean"))
    lines.append("")
    lines.append("| dataset | split | seeds | test pairs (mean) | test positive rate | pairs dropped |")
    lines.append("|---|---|---|---|---|---|")
    for d, s in columns:
        r = sizes.loc[(d, s)]
        lines.append(f"| {d} | {s} | {r['seeds']:.0f} | {r['n_test']:.0f} | {r['rate']:.4f} | {r['dropped']:.0f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stages", default=",".join(dict.fromkeys(s.name for s in STAGES)))
    parser.add_argument("--workers", type=int, default=0, help="passed to grnbench run (default 0: serial)")
    parser.add_argument("--collect-only", action="store_true")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    if not args.collect_only:
        wanted = set(args.stages.split(","))
        for stage in STAGES:
            if stage.name in wanted:
                run_stage(stage, args.workers)
    collect()
    print((RESULTS / "shortcuts_table.md").read_text())


if __name__ == "__main__":
    main()
