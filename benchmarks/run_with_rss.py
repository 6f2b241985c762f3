"""Run a command and sample the resident memory of its whole process tree every 0.5 s.

Usage: python benchmarks/run_with_rss.py OUT.json -- grnbench run --methods all ...

Writes OUT.json (every minute while the command runs, with ``running: true``, so that a run
cut off with its session keeps its record, and at its end) with the command, exit status, wall
time, peak tree RSS (and when it was reached), the machine's load averages at start and end,
and — when the command was a
``grnbench run --out DIR`` — each method's status, error, fit and score time from
DIR/results.csv. Why a tree: with Dask every worker and every task's child process is a
separate process; the CLI's own RSS alone says nothing about what the run costs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil

from grnbench.execution.resources import tree_rss


def _record(command: list[str], exit_status: int | None, started: float, peak: int, peak_at: float,
            most_procs: int, load_start: tuple, samples: list) -> dict[str, object]:
    """What the run cost so far; ``exit_status`` None means it was still running."""
    result: dict[str, object] = {
        "command": " ".join(command), "exit_status": exit_status, "running": exit_status is None,
        "wall_s": round(time.time() - started, 1),
        "peak_tree_rss_mb": round(peak / 2**20), "peak_at_s": round(peak_at, 1), "max_processes": most_procs,
        "load_average_start": load_start, "load_average_end": os.getloadavg(),
        "cpu_count": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        # one sample every ~30 s, enough to see the shape of the run
        "rss_mb_every_30s": samples[::60],
    }
    if "--out" in command:
        run_dir = Path(command[command.index("--out") + 1])
        try:
            import pandas as pd

            frame = pd.read_csv(run_dir / "results.csv", keep_default_na=False)
            result["methods"] = [
                {"method": r["method"], "status": r["status"], "error": r["error"],
                 "fit_wall_s": r["fit_wall_s"], "score_wall_s": r["score_wall_s"], "aupr": r["aupr"],
                 "peak_memory_mb": r["peak_memory_mb"]}
                for r in frame.to_dict("records")]
            result["manifest_written"] = (run_dir / "manifest.json").is_file()
            result["report_written"] = (run_dir / "report.html").is_file()
        except (OSError, ValueError, KeyError) as exc:
            result["methods_error"] = f"{type(exc).__name__}: {exc}"
    return result


def _write(out: str, result: dict[str, object]) -> None:
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(json.dumps(result, indent=2, default=str) + "\n")
    os.replace(partial, path)


def main(argv: list[str]) -> int:
    out, sep, *command = argv
    if sep != "--" or not command:
        raise SystemExit(__doc__)
    load_start = os.getloadavg()
    started = time.time()
    proc = subprocess.Popen(command)
    root = psutil.Process(proc.pid)
    peak, peak_at, most_procs, samples = 0, 0.0, 0, []
    last_written = started
    while proc.poll() is None:
        rss, n = tree_rss(root.pid)
        if rss > peak:
            peak, peak_at = rss, time.time() - started
        most_procs = max(most_procs, n)
        samples.append((round(time.time() - started, 1), round(rss / 2**20)))
        if time.time() - last_written > 60:  # a session may end before the run: keep the record so far
            _write(out, _record(command, None, started, peak, peak_at, most_procs, load_start, samples))
            last_written = time.time()
        time.sleep(0.5)
    result = _record(command, proc.returncode, started, peak, peak_at, most_procs, load_start, samples)
    _write(out, result)
    print(json.dumps({k: v for k, v in result.items() if k != "rss_mb_every_30s"}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
