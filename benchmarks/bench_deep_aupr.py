"""DGRNS before/after the micro-batched train step: validation and test AUPR on maize2-sim.

    python benchmarks/bench_deep_aupr.py [--seeds 0,1,2] [--epochs 1] [--threads 2]
                                         [--out benchmarks/results/dgrns_microbatch_aupr.jsonl]

"before" is ``micro_batch=0`` (Keras's own step on the whole batch of 1024, the code before
issue 16), "after" the default ``micro_batch=128``. Both train the same model with the same
update rule; the dropout draws differ, so the scores are not identical, and the comparison
asks whether they agree within seed-to-seed noise. A reduced epoch count (same on both sides)
keeps this affordable on two cores (``--balance subsample``: the reference's 1:1 pairs,
fewer per epoch, for a machine shared with other jobs). Each run is one line of JSON (appended).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--variants", default="before,after")
    parser.add_argument("--balance", default="class_weight", choices=["class_weight", "subsample"])
    parser.add_argument("--out", default="benchmarks/results/dgrns_microbatch_aupr.jsonl")
    args = parser.parse_args()

    from sklearn.metrics import average_precision_score

    from grnbench.api import TrainingData
    from grnbench.data.protocols import make_trial, parse_protocols
    from grnbench.data.universe import EdgeUniverse
    from grnbench.datasets import load_dataset
    from grnbench.methods.dgrns import DGRNS

    dataset = load_dataset("maize2-sim")
    universe = EdgeUniverse.from_dataset(dataset)
    micro = {"before": 0, "after": 128}
    for seed in (int(s) for s in args.seeds.split(",")):
        trial = make_trial(universe, parse_protocols("standard")[0], 0, seed)
        split = trial.split
        data = TrainingData(dataset=dataset, seed=trial.seed, n_threads=args.threads,
                            train=universe.labelled(split.train), validation=universe.labelled(split.validation))
        for variant in args.variants.split(","):
            method = DGRNS(epochs=args.epochs, micro_batch=micro[variant], balance=args.balance)
            started, cpu = time.time(), time.process_time()
            method.fit(data)
            fit_s = time.time() - started
            val = method.score_edges(data.validation.pairs)
            test = method.score_edges(universe.pairs.subset(split.test))
            row = {"method": "dgrns", "dataset": dataset.name, "seed": seed, "variant": variant,
                   "micro_batch": micro[variant], "epochs": args.epochs, "balance": args.balance, "threads": args.threads,
                   "val_aupr": float(average_precision_score(data.validation.labels, val)),
                   "test_aupr": float(average_precision_score(universe.labels[split.test], test)),
                   "fit_wall_s": round(fit_s, 1), "cpu_s": round(time.process_time() - cpu, 1),
                   "load_1min": round(os.getloadavg()[0], 2), "shared_machine": True}
            print(json.dumps(row), flush=True)
            with Path(args.out).open("a") as handle:
                handle.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
