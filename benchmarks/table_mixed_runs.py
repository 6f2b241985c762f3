"""``grnbench table`` over two run folders that share some but not all method × dataset cells.

    python benchmarks/table_mixed_runs.py WORK_DIR

Run A: correlation, random, degree-prior, genie3 on the dream4-10 suite; run B: grnboost2 and
correlation on dream4-10-1, dream4-10-2 and dream4-100-1 (both ``--profile quick``, so minutes
on a laptop). correlation on dream4-10-1/2 is in both folders, which the table refuses; the
``--methods`` filter picks the cells instead. Writes the Markdown and LaTeX tables, with the
commands and the refusal, to benchmarks/results/table_markdown.md and table_latex.tex.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results"
RUNS = {"A": ["--methods", "correlation,random,degree-prior,genie3", "--dataset", "dream4-10"],
        "B": ["--methods", "grnboost2,correlation", "--dataset", "dream4-10-1,dream4-10-2,dream4-100-1"]}
#: the method left out of the filtered table: the one both folders hold on dream4-10-1/2
SHARED = "correlation"


def grnbench(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grnbench", *args], capture_output=True, text=True, check=check)


def main() -> None:
    work = Path(sys.argv[1])
    folders = {name: work / f"run{name}" for name in RUNS}
    for name, args in RUNS.items():
        grnbench("run", *args, "--profile", "quick", "--quiet", "--out", str(folders[name]))
    both = [str(folders["A"]), str(folders["B"])]
    labels = dict.fromkeys(m for f in folders.values() for m in pd.read_csv(f / "results.csv")["method"])
    pick = ",".join(m for m in labels if m != SHARED)  # labels carry the quick profile's caps
    refused = grnbench("table", *both, check=False)
    header = (f"Run A: `grnbench run {' '.join(RUNS['A'])} --profile quick`; run B: `grnbench run "
              f"{' '.join(RUNS['B'])} --profile quick` (written by benchmarks/table_mixed_runs.py).\n\n"
              f"`grnbench table A B` (correlation on dream4-10-1/2 is in both) exits {refused.returncode}:\n"
              f"`{refused.stderr.strip()}`\n\n")
    for fmt, name, comment in (("markdown", "table_markdown.md", ""), ("latex", "table_latex.tex", "% ")):
        out = grnbench("table", *both, "--methods", pick, "--format", fmt).stdout
        preface = "".join(f"{comment}{line}\n" if line else f"{comment.strip()}\n" for line in header.splitlines())
        command = f"{comment}`grnbench table A B --methods {pick} --format {fmt}`:\n\n"
        (RESULTS / name).write_text(preface + command + out)
        print(out)


if __name__ == "__main__":
    main()
