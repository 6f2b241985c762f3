"""Time the vectorised stratified bootstrap (grnbench.evaluation.statistics) against resampling pairs.

    python benchmarks/bench_bootstrap.py --pairs 1000,10000,100000 --resamples 1000

For each test-set size (2% positives, continuous scores, and scores rounded to 2 decimals so
there are ties) it times ``bootstrap_intervals`` (1,000 resamples by default) and a paired
comparison of three methods, and, for reference, a naive loop that resamples the pairs and
calls sklearn's ``average_precision_score`` (timed on 50 resamples and scaled to the same
count). Wall and CPU seconds are both printed with the load average, since the machine may be
shared; CPU seconds are the robust figure.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import average_precision_score

from grnbench.evaluation.statistics import bootstrap_intervals, paired_comparisons


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def naive(labels: np.ndarray, scores: np.ndarray, n: int, rng: np.random.Generator) -> None:
    pos, neg = np.flatnonzero(labels), np.flatnonzero(~labels)
    for _ in range(n):
        drawn = np.r_[rng.choice(pos, len(pos)), rng.choice(neg, len(neg))]
        average_precision_score(labels[drawn], scores[drawn])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", default="1000,10000,100000")
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--out", default=None, help="write the rows as JSON here")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    rows = []
    for n in (int(x) for x in args.pairs.split(",")):
        n_pos = max(3, n // 50)
        labels = np.r_[np.ones(n_pos, bool), np.zeros(n - n_pos, bool)]
        for ties in (False, True):
            scores = np.r_[rng.normal(1, 1, n_pos), rng.normal(0, 1, n - n_pos)]
            if ties:
                scores = np.round(scores, 2)
            others = [scores + rng.normal(0, 0.5, n), rng.normal(size=n)]
            load = os.getloadavg()[0]
            methods = {"a": scores, "b": others[0], "c": others[1]}
            wall, cpu = timed(lambda y=labels, s=scores: bootstrap_intervals(y, s, 0, args.resamples))
            pwall, pcpu = timed(lambda y=labels, m=methods: paired_comparisons(y, m, 0, args.resamples))
            nwall, ncpu = timed(lambda y=labels, s=scores: naive(y, s, 50, rng))
            scale = args.resamples / 50
            row = {"pairs": n, "positives": n_pos, "ties": ties, "resamples": args.resamples,
                   "interval_wall_s": round(wall, 3), "interval_cpu_s": round(cpu, 3),
                   "paired3_wall_s": round(pwall, 3), "paired3_cpu_s": round(pcpu, 3),
                   "naive_cpu_s_scaled": round(ncpu * scale, 2), "load_before": round(load, 2),
                   "load_after": round(os.getloadavg()[0], 2)}
            rows.append(row)
            print(json.dumps(row), flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
