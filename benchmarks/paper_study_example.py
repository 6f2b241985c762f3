"""Issue 24 evidence: the shipped example study (examples/paper_study.yml) run end to end, and
the run repeated from its manifest's resolved config.

    python benchmarks/paper_study_example.py

Writes benchmarks/results/paper_study_example.txt: the machine's load before and after, each
command, its printed table (progress lines left out), and whether the second run's results.csv
equals the first's apart from the columns that measure the machine (times, memory, cached).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "paper_study_example.txt"
BIN = Path(sys.executable).parent / "grnbench"
MACHINE_COLUMNS = ["fit_wall_s", "fit_cpu_s", "score_wall_s", "score_cpu_s", "peak_memory_mb", "cached", "edges_file"]


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def run(cmd: list[str], log: list[str]) -> None:
    log += [f"$ {' '.join(cmd)}", f"load before: {uptime()}"]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    kept = [line for line in done.stdout.splitlines() if not line.lstrip().startswith(("ok ", "["))]
    log += kept + [f"exit status {done.returncode}, {time.perf_counter() - t0:.0f} s wall; load after: {uptime()}", ""]
    if done.returncode:
        log.append(done.stderr)


def results(run_dir: Path) -> pd.DataFrame:
    frame = pd.read_csv(run_dir / "results.csv").drop(columns=MACHINE_COLUMNS)
    return frame.sort_values(["dataset", "method", "init_seed"]).reset_index(drop=True)


def main() -> None:
    log = [f"{os.cpu_count()} cores, shared with other jobs (see the load lines)", ""]
    with tempfile.TemporaryDirectory() as tmp:
        first, again = Path(tmp) / "first", Path(tmp) / "again"
        run([str(BIN), "run", "--config", "examples/paper_study.yml", "--out", str(first), "--no-cache"], log)
        config = Path(tmp) / "from_manifest.yml"
        config.write_text(yaml.safe_dump(json.loads((first / "manifest.json").read_text())["config"], sort_keys=False))
        log += ["resolved config from the manifest:", config.read_text()]
        run([str(BIN), "run", "--config", str(config), "--out", str(again)], log)
        same = results(first).equals(results(again))
        log.append(f"results.csv of the second run equals the first's apart from {', '.join(MACHINE_COLUMNS)}: {same}")
    RESULTS.write_text("\n".join(log) + "\n")
    print("\n".join(log))


if __name__ == "__main__":
    main()
