"""One 3:1:1 split against 5-fold cross-validation: how wide the intervals are, how many paired
differences are resolved, and whether the Friedman test separates the methods.

Runs the real CLI twice per dataset group (``--folds 0`` and ``--folds 5``) and writes
``benchmarks/results/cv_vs_split.json``. Usage: python benchmarks/cv_vs_split.py [OUT_DIR]
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from scipy.stats import friedmanchisquare

from grnbench.cli import main

METHODS = "correlation,random,genie3,degree-prior"
GROUPS = {"dream4-10 suite": "dream4-10", "dream4-100-1": "dream4-100-1"}


def measure(dataset: str, folds: int, out: Path) -> dict:
    started = time.perf_counter()
    code = main(["run", "--quiet", "--methods", METHODS, "--dataset", dataset, "--folds", str(folds), "--out", str(out)])
    wall = time.perf_counter() - started
    results = pd.read_csv(out / "results.csv")
    comparisons = pd.read_csv(out / "comparisons.csv")
    width = results["aupr_ci_high"] - results["aupr_ci_low"]
    row = {"dataset": dataset, "folds": folds, "exit": code, "wall_s": round(wall, 1),
           "test_pairs_median": float(results["n_test"].median()),
           "test_positives_median": float(results["n_positives"].median()),
           "aupr_ci_width_median": round(float(width.median()), 3),
           "aupr_ci_width_max": round(float(width.max()), 3),
           "comparisons": len(comparisons), "resolved": int(comparisons["resolved"].sum()),
           "aupr": {f"{r.method}|{r.dataset}": round(float(r.aupr), 3) for r in results.itertuples()}}
    pivot = results.pivot(index="dataset", columns="method", values="aupr")
    if len(pivot) >= 3:
        row["friedman_p"] = round(float(friedmanchisquare(*[pivot[c] for c in pivot.columns]).pvalue), 4)
    return row


def main_() -> None:
    out_root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="cv_vs_split_"))
    rows = []
    for label, dataset in GROUPS.items():
        for folds in (0, 5):
            row = measure(dataset, folds, out_root / f"{dataset}_folds{folds}")
            row["group"] = label
            rows.append(row)
            print(json.dumps({k: v for k, v in row.items() if k != "aupr"}), flush=True)
    load = os.getloadavg()
    payload = {"methods": METHODS, "load_average_1_5_15": [round(x, 2) for x in load], "cores": os.cpu_count(), "rows": rows}
    target = Path(__file__).parent / "results" / "cv_vs_split.json"
    target.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"written {target}")


if __name__ == "__main__":
    main_()
