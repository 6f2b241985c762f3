"""Issue 26 evidence: wall time of a re-run whose 21 tasks all come from the cache.

    python benchmarks/cached_rerun.py --label before --repeats 3

The first run computes the tasks (7 methods × standard + noise:repeats=2 on dream4-10-1,
quick profile); each timed re-run is the same ``grnbench run`` command and must find every
task in the cache. Appends one JSON line per invocation to
benchmarks/results/cached_rerun.jsonl, with the machine's load (the machine is shared).
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

BIN = Path(sys.executable).parent
RESULTS = Path(__file__).parent / "results" / "cached_rerun.jsonl"
METHODS = "correlation,degree-prior,genie3,grnboost2,node,random,psgrn"


def command(out: Path) -> list[str]:
    return [str(BIN / "grnbench"), "run", "--quiet", "--dataset", "dream4-10-1", "--methods", METHODS,
            "--profile", "quick", "--protocol", "standard,noise:repeats=2", "--workers", "0",
            "--out", str(out)]


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--label", required=True, help="e.g. before / after")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="grnbench-cached-")) / "run"
    first = timed(command(out))
    reruns = []
    for _ in range(args.repeats):
        reruns.append(timed(command(out)))
        cache = json.loads((out / "manifest.json").read_text())["cache"]
        assert cache["computed"] == 0 and cache["hits"] == 21, cache
    row = {"label": args.label, "tasks": 21, "first_run_s": round(first, 2),
           "cached_rerun_s": [round(t, 2) for t in reruns], "best_s": round(min(reruns), 2),
           "load_1min": os.getloadavg()[0], "cores": os.cpu_count(),
           "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a") as f:
        f.write(json.dumps(row) + "\n")
    print(json.dumps(row))


if __name__ == "__main__":
    main()
