"""Runner benchmark (issue 5 evidence): 1 vs 2 workers, cached re-run, kill -9 and resume,
and the same run on a scheduler + 2 workers started as separate processes.

Every figure comes from one invocation of this script, timing the real ``grnbench`` command:

    python benchmarks/bench_runner.py --dataset dream4-100-1 \\
        --methods all --protocol standard,noise:repeats=2,subsample:repeats=2

Prints wall times and the ratios (1 worker / 2 workers; first run / cached re-run).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def grnbench(out: Path, args: argparse.Namespace, *extra: str) -> list[str]:
    return [str(BIN / "grnbench"), "run", "--quiet", "--dataset", args.dataset, "--methods", args.methods,
            "--protocol", args.protocol, "--seed", "0", "--out", str(out), *extra]


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def cache_counts(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())["cache"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="dream4-100-1")
    parser.add_argument("--methods", default="all")
    parser.add_argument("--protocol", default="standard,noise:repeats=2,subsample:repeats=2")
    parser.add_argument("--skip-external", action="store_true")
    parser.add_argument("--skip-single", action="store_true", help="skip the 1-worker run (no speed-up ratio)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="grnbench-bench-"))
    print(f"dataset {args.dataset}, methods {args.methods}, protocols {args.protocol}, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")

    two = timed(grnbench(work / "w2", args, "--workers", "2"))
    if args.skip_single:
        print(f"2 workers: {two:8.1f} s")
    else:
        one = timed(grnbench(work / "w1", args, "--workers", "1", "--no-cache"))
        print(f"1 worker : {one:8.1f} s")
        print(f"2 workers: {two:8.1f} s   speed-up 1→2 workers: {one / two:.2f}x")
    again = timed(grnbench(work / "w2", args, "--workers", "2"))
    print(f"immediate re-run (cache): {again:.2f} s   {cache_counts(work / 'w2')}   "
          f"first/re-run: {two / again:.0f}x")

    # kill -9 halfway through, then resume
    out = work / "killed"
    proc = subprocess.Popen(grnbench(out, args, "--workers", "2"), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    total = int(cache_counts(work / "w2")["hits"])
    while proc.poll() is None:
        done = len(list((out / "cache").glob("*.json"))) if (out / "cache").is_dir() else 0
        if done >= total // 2:
            break
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the run and its LocalCluster workers
    proc.wait()
    finished = len(list((out / "cache").glob("*.json")))
    resume = timed(grnbench(out, args, "--workers", "2"))
    print(f"killed with SIGKILL after {finished}/{total} tasks; resume took {resume:.1f} s: {cache_counts(out)}")

    if not args.skip_external:
        sched = work / "scheduler.json"
        procs = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
                                   "--no-dashboard", "--scheduler-file", str(sched)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
        try:
            while not (sched.is_file() and sched.stat().st_size):
                time.sleep(0.1)
            procs += [subprocess.Popen([str(BIN / "dask"), "worker", "--scheduler-file", str(sched), "--nthreads", "1",
                                        "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                      for _ in range(2)]
            from distributed import Client

            with Client(scheduler_file=str(sched), timeout="60s") as client:
                client.wait_for_workers(2, timeout=120)
            ext = timed(grnbench(work / "ext", args, "--scheduler-file", str(sched), "--no-cache"))
            info = json.loads((work / "ext" / "manifest.json").read_text())["execution"]
            print(f"external scheduler + 2 worker processes: {ext:.1f} s ({info['workers']} workers at {info['scheduler']})")
        finally:
            for p in reversed(procs):
                p.terminate()
            for p in procs:
                p.wait(timeout=30)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
