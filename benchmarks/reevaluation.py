"""Evidence that ``grnbench evaluate`` on an untouched run folder reproduces the run byte for byte.

Runs the real CLI on three dream4-10 networks with three seeds (correlation, degree-prior,
random, genie3; the default ``--folds auto``), copies the run folder, runs ``grnbench evaluate``
and ``grnbench report`` on the copy, and compares the metric columns of results.csv (as CSV
text) and comparisons.csv byte for byte. Writes ``benchmarks/results/reevaluation.json``.
Usage: python benchmarks/reevaluation.py [WORK_DIR]
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from grnbench.cli import main
from grnbench.evaluation.catalogue import score_columns

METHODS = "correlation,degree-prior,random,genie3"
DATASETS = "dream4-10-1,dream4-10-2,dream4-10-3"
RESULTS = Path(__file__).resolve().parent / "results" / "reevaluation.json"


def metric_text(run: Path) -> str:
    """The identity and every metric column of results.csv, as CSV text."""
    frame = pd.read_csv(run / "results.csv").sort_values(["method", "dataset", "seed"])
    names = ["method", "dataset", "dataset_hash", "seed"] + [c.name for c in score_columns()]
    return frame[[c for c in names if c in frame.columns]].to_csv(index=False)


def main_() -> None:
    work = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="reevaluation_"))
    load_start = [round(x, 2) for x in os.getloadavg()]
    run, copy = work / "run", work / "copy"
    started = time.perf_counter()
    codes = [main(["run", "--quiet", "--methods", METHODS, "--dataset", DATASETS, "--seeds", "0,1,2",
                   "--out", str(run)])]
    run_s = time.perf_counter() - started
    shutil.copytree(run, copy)
    started = time.perf_counter()
    codes += [main(["evaluate", str(copy)]), main(["report", str(copy)])]
    evaluate_s = time.perf_counter() - started
    frame = pd.read_csv(run / "results.csv")
    metrics = [c.name for c in score_columns() if c.name in frame.columns]
    result = {
        "methods": METHODS, "datasets": DATASETS, "seeds": "0,1,2", "exit": codes,
        "rows": len(frame), "metric_columns": len(metrics),
        "numbers_compared": int(frame[metrics].notna().sum().sum()),
        "results_metric_columns_byte_identical": metric_text(run) == metric_text(copy),
        "comparisons_rows": len(pd.read_csv(run / "comparisons.csv")),
        "comparisons_byte_identical": (run / "comparisons.csv").read_bytes() == (copy / "comparisons.csv").read_bytes(),
        "run_s": round(run_s, 1), "evaluate_and_report_s": round(evaluate_s, 1), "cores": os.cpu_count(),
        "load_average_1_5_15_start": load_start, "load_average_1_5_15_end": [round(x, 2) for x in os.getloadavg()],
    }
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main_()
