"""Does a user's own file of replicate series score exactly like the bundled dataset?

Exports the bundled ``ecoli-cold`` (3 replicate series × 8 time points) the way a biologist
holds it: one gzip-compressed genes × samples table whose columns are interleaved by time
(``t1_rep1, t1_rep2, t1_rep3, t2_rep1…``), a sample sheet assigning each column its series
and time, the gold-standard edge list and the TF list. Then runs ``grnbench run`` on the
bundled dataset and on the files, and compares the content hashes, every edge list and every
metric. Usage::

    python benchmarks/inputs_roundtrip.py OUT_DIR [--methods genie3,node,psgrn:epochs=3,min_steps=4]

PSGRN needs ``min_steps`` lowered on ecoli-cold: its default (10 rows per time-lag matrix) wants
series of 12 points, and these are 8 (min_steps=4 gives tl = 3, 4 rows per series). ``epochs=3``
only saves CPU: the comparison is between two runs with the same parameters.
"""

from __future__ import annotations

import argparse
import filecmp
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from grnbench.datasets import load_dataset
from grnbench.datasets.tables import load_table_dataset


def export(dataset_name: str, folder: Path) -> dict[str, Path]:
    """Write the dataset as user files; columns interleaved by time to exercise the sheet."""
    ds = load_dataset(dataset_name)
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"rep{s + 1}_t{t:g}" for s, t in zip(ds.series, ds.times, strict=True)]
    order = np.lexsort((ds.series, ds.times))  # by time, then series: t1_rep1, t1_rep2, …
    frame = pd.DataFrame(ds.expression[:, order], index=list(ds.genes), columns=[names[k] for k in order])
    frame.index.name = "gene"
    files = {"expression": folder / "expression.tsv.gz", "samples": folder / "samples.csv",
             "gold_standard": folder / "gold.tsv", "tfs": folder / "tfs.txt"}
    frame.to_csv(files["expression"], sep="\t", float_format="%.17g")
    pd.DataFrame({"sample": [names[k] for k in order], "time": ds.times[order],
                  "series": [f"rep{s + 1}" for s in ds.series[order]],
                  "condition": "cold", "replicate": ds.series[order] + 1}).to_csv(files["samples"], index=False)
    pd.DataFrame(sorted(ds.gold_standard)).to_csv(files["gold_standard"], sep="\t", header=False, index=False)
    files["tfs"].write_text("\n".join(ds.tfs) + "\n")
    return files


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--dataset", default="ecoli-cold")
    parser.add_argument("--methods", default="genie3,node,psgrn:epochs=3,min_steps=4")
    parser.add_argument("--workers", default="2")
    parser.add_argument("--only", choices=["bundled", "files", "compare"],
                        help="run one side (e.g. both sides at once in two shells), or only compare")
    args = parser.parse_args()
    inputs = args.out / "inputs"
    files = export(args.dataset, inputs) if args.only != "compare" else {
        "expression": inputs / "expression.tsv.gz", "samples": inputs / "samples.csv",
        "gold_standard": inputs / "gold.tsv", "tfs": inputs / "tfs.txt"}
    bundled = load_dataset(args.dataset)
    user = load_table_dataset(files["expression"], files["gold_standard"], files["tfs"],
                              samples=files["samples"])
    print(f"content hash: bundled {bundled.content_hash}, user files {user.content_hash}; "
          f"{user.description}")
    common = ["run", "--methods", args.methods, "--workers", args.workers, "--quiet"]
    runs = {"bundled": [*common, "--dataset", args.dataset],
            "files": [*common, "--expression", str(files["expression"]), "--samples", str(files["samples"]),
                      "--gold-standard", str(files["gold_standard"]), "--tfs", str(files["tfs"])]}
    for label, cli in runs.items():
        if args.only and args.only != label:
            continue
        out = args.out / label
        subprocess.run([sys.executable, "-m", "grnbench", *cli, "--out", str(out)], check=False)
    if args.only in ("bundled", "files"):
        return 0
    a = pd.read_csv(args.out / "bundled" / "results.csv")
    b = pd.read_csv(args.out / "files" / "results.csv")
    columns = ["method", "status", "aupr", "auroc", "early_precision", "n_test"]
    print(a[columns].to_string(index=False))
    print(b[columns].to_string(index=False))
    same = True
    for edges in sorted((args.out / "bundled" / "edges").glob("*.csv")):
        other = args.out / "files" / "edges" / edges.name
        equal = other.is_file() and filecmp.cmp(edges, other, shallow=False)
        same &= equal
        print(f"{edges.name}: {'identical' if equal else 'DIFFERENT'}")
    metrics = ["aupr", "auroc", "early_precision"]
    same &= a[metrics].equals(b[metrics]) and bool((a["status"] == "ok").all())
    print("SAME SCORES" if same else "SCORES DIFFER")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
