"""A task's peak memory with and without its child processes (issue 24: GENIE3's counted only
the parent).

Usage: python benchmarks/peak_memory_tree.py [--out benchmarks/results/peak_memory_tree.json]

Runs GENIE3 (quick profile) serially on dream4-10-1 with the CLI, as a user would, and records
the ``peak_memory_mb`` of its result row (the task's process and its descendants, see
grnbench/execution/resources.py) next to the machine's load. Serially GENIE3 fits its targets
on a temporary per-target LocalCluster whose worker processes hold the trees, so the parent
alone misses most of the memory.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "peak_memory_tree.json"))
    args = parser.parse_args()
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "grnbench", "run", "--quiet", "--dataset", "dream4-10-1", "--methods", "genie3",
               "--profile", "quick", "--workers", "0", "--no-cache", "--out", str(Path(tmp) / "run")]
        started = time.monotonic()
        subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=900)
        row = pd.read_csv(Path(tmp) / "run" / "results.csv").iloc[0]
    result = {"command": " ".join(["grnbench", *cmd[3:-2], "--out", "RUN"]), "method": row["method"],
              "status": row["status"], "peak_memory_mb": round(float(row["peak_memory_mb"]), 1),
              "wall_s": round(time.monotonic() - started, 1), "cores": os.cpu_count(),
              "load_average_start": round(load_start, 1), "load_average_end": round(os.getloadavg()[0], 1),
              "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime())}
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
