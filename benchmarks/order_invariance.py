"""The same data in another file order gives the same run: BEELINE-folder and TSV inputs.

Writes dream4-100-1 (100 genes, 10 series) once as a BEELINE input folder (one pseudotime
column per series, refNetwork.csv) and once as TSV + sample sheet + TF list, each twice: in the
original order and with every file's lines, rows and columns shuffled. Runs the real CLI on all
four and compares hashes, test pairs and every metric column. Writes
``benchmarks/results/order_invariance.json``. Usage: python benchmarks/order_invariance.py
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from grnbench.cli import main
from grnbench.datasets import load_dataset
from grnbench.evaluation.catalogue import score_columns
from grnbench.permuted_inputs import write_user_files

METHODS = "correlation,degree-prior,genie3"


def write_beeline(folder: Path, ds, rng: np.random.Generator | None) -> list[str]:
    folder.mkdir(parents=True)
    cells = [f"c{i}" for i in range(ds.n_samples)]
    expr = pd.DataFrame(ds.expression, index=list(ds.genes), columns=cells)
    pt = pd.DataFrame(index=cells)
    for s in np.unique(ds.series):
        pt[f"PseudoTime{int(s) + 1}"] = np.where(ds.series == s, ds.times, np.nan)
    ref = pd.DataFrame(sorted(ds.gold_standard), columns=["Gene1", "Gene2"]).assign(Type="+")
    if rng is not None:
        expr = expr.iloc[rng.permutation(len(expr)), rng.permutation(expr.shape[1])]
        pt = pt.iloc[rng.permutation(len(pt))]
        ref = ref.iloc[rng.permutation(len(ref))]
    expr.to_csv(folder / "ExpressionData.csv")
    pt.to_csv(folder / "PseudoTime.csv", na_rep="NA")
    ref.to_csv(folder / "refNetwork.csv", index=False)
    return ["--beeline-dir", str(folder)]


def run(args: list[str], out: Path) -> pd.DataFrame:
    assert main(["run", "--quiet", "--methods", METHODS, *args, "--out", str(out)]) == 0
    return pd.read_csv(out / "results.csv").sort_values("method").reset_index(drop=True)


def main_() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="order_"))
    ds = load_dataset("dream4-100-1")
    metrics = [c.name for c in score_columns()]
    rows = []
    def write_tsv(folder: Path, ds, rng: np.random.Generator | None) -> list[str]:
        return write_user_files(ds, folder, rng)

    for label, writer in (("BEELINE folder", write_beeline), ("TSV + sample sheet + TF list", write_tsv)):
        started = time.perf_counter()
        a = run(writer(root / f"{label[:4]}_a", ds, None), root / f"{label[:4]}_run_a")
        b = run(writer(root / f"{label[:4]}_b", ds, np.random.default_rng(7)), root / f"{label[:4]}_run_b")
        cols = [c for c in metrics if c in a.columns]
        same = a[cols].equals(b[cols]) and a["dataset_hash"].equals(b["dataset_hash"])
        rows.append({"input": label, "methods": METHODS, "dataset_hash": [a["dataset_hash"][0], b["dataset_hash"][0]],
                     "metric_columns_compared": len(cols), "identical": bool(same),
                     "aupr": dict(zip(a["method"], a["aupr"].round(4), strict=True)),
                     "wall_s_both_runs": round(time.perf_counter() - started, 1)})
        print(json.dumps(rows[-1]), flush=True)
    payload = {"load_average_1_5_15": [round(x, 2) for x in os.getloadavg()], "rows": rows}
    target = Path(__file__).parent / "results" / "order_invariance.json"
    target.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"written {target}")


if __name__ == "__main__":
    main_()
