"""Time GENIE3, GRNBoost2 and NODE on one dataset: a plain serial loop vs grnbench on 1 and 2
Dask workers, in one run, and check that all three give the same scores.

    python benchmarks/bench_per_target.py --dataset dream4-100-1 --workers 1,2

The serial baseline for GENIE3/GRNBoost2 is the loop pySCENIC's multiprocessing script runs:
``arboreto.core.infer_partial_network`` target by target, in this process, with no Dask. For
NODE it is ``node_target`` called in a loop. grnbench runs ``Method.fit`` with a client on a
LocalCluster of N single-threaded worker processes, started (and its workers' imports
warmed up) before the clock, since a runner's cluster outlives one fit; that start-up time is
printed separately. Targets below
are per-target Dask tasks; the score matrices of all runs are compared for equality.

Timings are wall-clock seconds of one run each; on a shared machine they are noisy, so the
load average before and after each measurement is printed next to it, and so are the CPU
seconds the serial process and the Dask workers spent (robust to other users' load).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from grnbench.methods._arboreto import serial_reference_loop


def load_avg() -> float:
    return os.getloadavg()[0]


def serial_node(method, dataset, seed: int) -> np.ndarray:
    from grnbench import per_target
    from grnbench.methods.node import node_target

    shared = method.build_inputs(dataset)
    rows = per_target.run_chunk(node_target, shared, list(range(dataset.n_genes)), per_target.target_seed(seed))
    return rows.T.copy()


def make_method(name: str, n_estimators: int | None):
    from grnbench.methods.genie3 import GENIE3
    from grnbench.methods.grnboost2 import GRNBoost2
    from grnbench.methods.node import NODE

    cls = {"genie3": GENIE3, "grnboost2": GRNBoost2, "node": NODE}[name]
    params = {} if n_estimators is None or name == "grnboost2" else {"n_estimators": n_estimators}
    return cls(**params)


def serial_run(name: str, method, dataset, seed: int) -> np.ndarray:
    if name == "genie3":
        return serial_reference_loop(dataset, "RF", method.regressor_kwargs(), seed)
    if name == "grnboost2":
        return serial_reference_loop(dataset, "GBM", method.regressor_kwargs(), seed)
    return serial_node(method, dataset, seed)


def dense(method, n: int) -> np.ndarray:
    from grnbench.data.universe import PairSet

    regs, tgts = np.divmod(np.arange(n * n), n)
    return method.score_edges(PairSet(regs, tgts)).reshape(n, n)


def warm_up() -> None:
    """Import what the target tasks need, in a worker, before the clock starts (the serial
    loop's process has imported it too)."""
    import arboreto.core  # noqa: F401
    import xgboost  # noqa: F401

    import grnbench.methods.genie3  # noqa: F401
    import grnbench.methods.node  # noqa: F401


def worker_cpu_s() -> float:
    """CPU seconds (user + system) this process has used; run on every worker."""
    import psutil

    times = psutil.Process().cpu_times()
    return times.user + times.system


def timed(fn):
    before = load_avg()
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start, before, load_avg()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="dream4-100-1")
    parser.add_argument("--methods", default="genie3,grnboost2,node")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-estimators", type=int, default=None,
                        help="override the tree count of GENIE3/NODE (default: the methods' defaults)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    from grnbench.api import TrainingData
    from grnbench.datasets import load_dataset

    dataset = load_dataset(args.dataset)
    workers = [int(w) for w in args.workers.split(",")]
    print(f"# {args.dataset}: {dataset.n_genes} genes, {dataset.n_samples} samples; "
          f"{os.cpu_count()} CPUs ({platform.processor() or platform.machine()}); seed {args.seed}", flush=True)
    results = []
    for name in args.methods.split(","):
        method = make_method(name, args.n_estimators)
        cpu0 = time.process_time()
        reference, serial_s, l0, l1 = timed(lambda: serial_run(name, method, dataset, args.seed))  # noqa: B023
        serial_cpu = time.process_time() - cpu0
        row = {"method": name, "params": method.params, "serial_s": serial_s, "serial_cpu_s": serial_cpu,
               "serial_load": [l0, l1]}
        print(f"{name}: serial loop {serial_s:.1f} s, {serial_cpu:.1f} CPU s (load {l0:.1f}->{l1:.1f})", flush=True)
        for n in workers:
            t0 = time.perf_counter()
            with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                              scheduler_kwargs={"dashboard_address": ":0"}) as cluster, Client(cluster) as client:
                client.run(warm_up)
                startup = time.perf_counter() - t0
                fitted = make_method(name, args.n_estimators)
                data = TrainingData(dataset=dataset, seed=args.seed, client=client)
                cpu_before = client.run(worker_cpu_s)
                _, fit_s, l0, l1 = timed(lambda: fitted.fit(data))  # noqa: B023
                cpu_after = client.run(worker_cpu_s)
                workers_cpu = sum(cpu_after[w] - cpu_before[w] for w in cpu_after)
            same = bool(np.array_equal(dense(fitted, dataset.n_genes), reference))
            row[f"workers_{n}_s"] = fit_s
            row[f"workers_{n}_load"] = [l0, l1]
            row[f"workers_{n}_startup_s"] = startup
            row[f"workers_{n}_cpu_s"] = workers_cpu
            row[f"workers_{n}_equal_to_serial"] = same
            print(f"{name}: grnbench {n} worker(s) {fit_s:.1f} s, workers {workers_cpu:.1f} CPU s "
                  f"(load {l0:.1f}->{l1:.1f}; cluster start "
                  f"{startup:.1f} s; scores equal to serial loop: {same})", flush=True)
        if 1 in workers:
            row["overhead_1_worker_vs_serial"] = row["workers_1_s"] / serial_s
            row["cpu_1_worker_vs_serial"] = row["workers_1_cpu_s"] / serial_cpu
        if 1 in workers and 2 in workers:
            row["speedup_2_vs_1"] = row["workers_1_s"] / row["workers_2_s"]
        results.append(row)
        if args.json:
            args.json.write_text(json.dumps(results, indent=1, default=str))

    nan = float("nan")
    print("\nmethod     serial_s  1w_s    2w_s    1w/serial  speedup(1w/2w)  CPU 1w/serial")
    for r in results:
        print(f"{r['method']:<10} {r['serial_s']:7.1f} {r.get('workers_1_s', nan):7.1f} "
              f"{r.get('workers_2_s', nan):7.1f}   {r.get('overhead_1_worker_vs_serial', nan):6.3f}"
              f"     {r.get('speedup_2_vs_1', nan):6.2f}          {r.get('cpu_1_worker_vs_serial', nan):6.3f}")
    print(f"load average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
