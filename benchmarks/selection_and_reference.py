"""CNNC and DGRNS under the settings of earlier rounds, at their authors' settings, and under the
shared model-selection rule: test AUPR over three initialisation seeds on one split.

Capped schedules (CNNC 30 epochs instead of 200, DGRNS 20 instead of 50) so that the 18 fits
finish on a 2-core machine; the cap is in every method label. Writes
``benchmarks/results/selection_and_reference.json``. Usage:
    python benchmarks/selection_and_reference.py [DATASET] [OUT_DIR]
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pandas as pd

from grnbench.cli import main

SETTINGS = {
    # earlier rounds' defaults: class weights, early stopping on class-weighted accuracy, last weights
    "cnnc earlier": "cnnc:balance=class_weight,epochs=30,patience=50,selection=reference",
    "cnnc authors": "cnnc:epochs=30,selection=reference",
    "cnnc shared rule": "cnnc:epochs=30",
    "dgrns earlier": "dgrns:balance=class_weight,epochs=20,patience=10,selection=reference",
    "dgrns authors": "dgrns:epochs=20,selection=reference",
    "dgrns shared rule": "dgrns:epochs=20",
}


def main_() -> None:
    dataset = sys.argv[1] if len(sys.argv) > 1 else "dream4-100-1"
    out = Path(sys.argv[2] if len(sys.argv) > 2 else f"/tmp/selection_{dataset}")
    started = time.perf_counter()
    code = main(["run", "--quiet", "--methods", ",".join(SETTINGS.values()), "--dataset", dataset,
                 "--seeds", "0,1,2", "--folds", "0", "--out", str(out)])
    results = pd.read_csv(out / "results.csv")
    rows = {"positive_rate_of_the_test_pairs": round(float(results["positive_rate"].iloc[0]), 4)}
    for name, label in SETTINGS.items():
        part = results[results["method"] == label]
        rows[name] = {"method": label, "status": sorted(set(part["status"])),
                      "aupr_mean": round(float(part["aupr"].mean()), 4), "aupr_sd": round(float(part["aupr"].std()), 4),
                      "aupr_per_seed": [round(float(v), 4) for v in part["aupr"]],
                      "fit_wall_s_mean": round(float(part["fit_wall_s"].mean()), 1)}
    payload = {"dataset": dataset, "exit": code, "wall_s": round(time.perf_counter() - started, 1),
               "split": "one stratified 3:1:1 split (--folds 0), init seeds 0,1,2",
               "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()], "rows": rows}
    target = Path(__file__).parent / "results" / f"selection_and_reference_{dataset}.json"
    target.write_text(json.dumps(payload, indent=2) + "\n")
    print(json.dumps(payload, indent=2))


if __name__ == "__main__":
    main_()
