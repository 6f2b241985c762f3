"""Training and scoring time of PSGRN per 10,000 pairs: per-pair encoding vs per-gene encoding.

"before" (``shared_encoding=False``) runs both GRU branches once per pair; "after" (the default)
runs them once per distinct gene of a batch (training) or once per gene (scoring). Training
time is the mean of epochs 2..E (epoch 1 also traces the graph and is reported separately);
scoring time is the second of two scoring passes over all candidate pairs. Default parameters
otherwise (hidden 128, batch 512), DREAM4 dream4-100-1, seed 0, 2 threads. Prints one JSON line
per configuration with the load average beside it.

    python benchmarks/bench_psgrn_timing.py --epochs 3 --out benchmarks/results/psgrn_timing.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from grnbench.data.universe import EdgeUniverse
from grnbench.data.view import DatasetView
from grnbench.datasets import load_dataset
from grnbench.trial import standard_trial, training_data

from grnbench.methods.psgrn import PSGRN  # isort: skip


def measure(shared: bool, epochs: int, dataset, n_threads: int, extra: dict) -> dict:
    import keras

    universe = EdgeUniverse.from_dataset(dataset)
    trial = standard_trial(universe, 0)
    split = trial.split
    method = PSGRN(shared_encoding=shared, epochs=epochs, execution="graph", **extra)
    # the runner's TrainingData (grnbench.trial.training_data), but validation=None: this
    # benchmark times the epochs alone, without per-epoch validation scoring inside them
    data = replace(training_data(method, DatasetView.of(dataset), trial, universe, n_threads=n_threads),
                   validation=None)
    stamps: list[float] = []

    class Stamp(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            stamps.append(time.perf_counter())

        def on_train_end(self, logs=None):
            stamps.append(time.perf_counter())

    original_fit = keras.Model.fit

    def fit_with_stamps(self, *args, callbacks=None, **kwargs):
        return original_fit(self, *args, callbacks=[*(callbacks or []), Stamp()], **kwargs)

    keras.Model.fit = fit_with_stamps
    try:
        method.fit(data)
    finally:
        keras.Model.fit = original_fit
    per_epoch = np.diff(stamps)
    n_train = len(split.train)
    pairs = universe.pairs
    times = []
    for _ in range(2):
        start = time.perf_counter()
        method.score_edges(pairs)
        times.append(time.perf_counter() - start)
    keras.backend.clear_session()
    return {"shared_encoding": shared, "dataset": dataset.name, "params": extra,
            "train_pairs": n_train, "epoch_s": [round(x, 2) for x in per_epoch],
            "train_s_per_10k_pairs": round(float(np.mean(per_epoch[1:])) / n_train * 1e4, 2),
            "first_epoch_s_incl_tracing": round(float(per_epoch[0]), 2),
            "scored_pairs": len(pairs), "score_s_per_10k_pairs": round(times[1] / len(pairs) * 1e4, 3),
            "first_score_s_incl_tracing": round(times[0], 2),
            "threads": n_threads, "load_1min": round(os.getloadavg()[0], 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="dream4-100-1")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--out", default="benchmarks/results/psgrn_timing.jsonl")
    args = ap.parse_args()
    extra = {} if args.batch_size is None else {"batch_size": args.batch_size}
    dataset = load_dataset(args.dataset)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    for shared in (False, True):
        row = measure(shared, args.epochs, dataset, args.threads, extra)
        print(json.dumps(row), flush=True)
        with out.open("a") as fh:
            fh.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
