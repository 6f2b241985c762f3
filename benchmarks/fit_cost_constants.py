"""Fit the deep methods' ``cpu_s_per_pair_epoch`` from whole epochs of real fits.

    python benchmarks/fit_cost_constants.py [--curves METHOD=FILE ...] [--fit METHOD ...] [--plugin FILE]
                                            [--dataset maize2-sim] [--out benchmarks/results/cost_constants.json]

Sources of per-epoch CPU seconds (one thread, validation pass included, as the fit does it):
- ``--curves METHOD=FILE``: a run's learning curve, either its ``curves.csv`` (rows of that
  method at its reference settings, the dataset, standard protocol) or one training checkpoint (``cache/checkpoints/<key>/training.ckpt``)
  of a fit that is still going. The median over epochs 2.. (epoch 1 pays for importing and
  tracing) is taken.
- ``--fit METHOD``: a fresh two-epoch fit of the method at its reference settings on one
  thread, in this process; epoch 2 is taken.

Each figure becomes a constant for a machine of ``grnbench.execution.cost.REFERENCE_GFLOPS``:
constant = CPU s per epoch × (this machine's ``matmul_gflops`` ÷ REFERENCE_GFLOPS) ×
``cost_reference_size`` ÷ (``cost_size`` × training pairs). Run it on the machine that produced the
curves: the probe is of this machine. The constants are then copied into the methods' classes by
hand; the JSON keeps the derivation (``methods``: the latest figure of each method, ``history``:
every figure measured).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def epochs_from_curves(method: str, source: Path, dataset: str) -> list[float]:
    """CPU seconds of each epoch (2..) of ``method``'s fit in a curves.csv or a checkpoint."""
    if source.suffix == ".csv":
        import pandas as pd

        frame = pd.read_csv(source)
        frame = frame[(frame["method"].astype(str) == method) & (frame["dataset"].astype(str) == dataset)
                      & (frame["protocol"].astype(str) == "standard")]
        fits = [group.sort_values("epoch")["cpu_s"].to_numpy()
                for _, group in frame.groupby(["repeat", "init_seed", "fold"], dropna=False)]
    else:
        with open(source, "rb") as handle:
            rows = pickle.load(handle)["extra"]["curve"]["rows"]
        fits = [[float(r["cpu_s"]) for r in sorted(rows, key=lambda r: r["epoch"])]]
    per_epoch: list[float] = []
    for cpu in fits:
        per_epoch += [float(b - a) for a, b in zip(cpu[:-1], cpu[1:], strict=True)]  # epochs 2..
    if not per_epoch:
        sys.exit(f"{source}: fewer than two epochs of {method}")
    return per_epoch


def epochs_from_fit(method: str, dataset, registry) -> list[float]:
    """CPU seconds of epoch 2 of a fresh two-epoch fit on one thread."""
    from grnbench.api import TrainingData
    from grnbench.data.protocols import make_trial, parse_protocols
    from grnbench.data.universe import EdgeUniverse
    from grnbench.learning_curve import recording

    universe = EdgeUniverse.from_dataset(dataset)
    split = make_trial(universe, parse_protocols("standard")[0], 0, 0).split
    data = TrainingData(dataset=dataset, seed=0, n_threads=1, train=universe.labelled(split.train),
                        validation=universe.labelled(split.validation))
    fitted = registry.get(method)(epochs=2)
    with recording() as rec:
        fitted.fit(data)
    cpu = [float(r["cpu_s"]) for r in rec.rows]
    if len(cpu) < 2:
        sys.exit(f"{method} recorded {len(cpu)} epoch(s) of learning curve; the constant needs a method "
                 "that trains through grnbench.deep.resumable_fit and accepts epochs=2")
    return [cpu[1] - cpu[0]]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--curves", action="append", default=[], metavar="METHOD=FILE")
    parser.add_argument("--fit", action="append", default=[], metavar="METHOD")
    parser.add_argument("--plugin", action="append", default=[], metavar="FILE",
                        help="a plugin file defining the method, as grnbench run --plugin")
    parser.add_argument("--dataset", default="maize2-sim")
    parser.add_argument("--out", default="benchmarks/results/cost_constants.json")
    args = parser.parse_args()

    from grnbench.datasets import load_dataset
    from grnbench.execution.cost import REFERENCE_GFLOPS, matmul_gflops, training_pairs
    from grnbench.registry import load_registry

    registry = load_registry(tuple(args.plugin))
    dataset = load_dataset(args.dataset)
    sources: list[tuple[str, str, list[float]]] = []
    for spec in args.curves:
        method, _, path = spec.partition("=")
        sources.append((method, path, epochs_from_curves(method, Path(path), args.dataset)))
    for method in args.fit:
        sources.append((method, "two-epoch fit, this process", epochs_from_fit(method, dataset, registry)))
    gflops = matmul_gflops()
    out = Path(args.out)
    payload = json.loads(out.read_text()) if out.exists() else {"methods": {}}
    for method, source, per_epoch in sources:
        cls = registry.get(method)
        params = dict(cls.parameters)
        cpu = statistics.median(per_epoch)
        size, train = cls.cost_size(dataset, params), training_pairs(dataset, params)
        constant = cpu * (gflops / REFERENCE_GFLOPS) * cls.cost_reference_size / (size * train)
        row = {"source": source, "epochs": len(per_epoch), "cpu_s_per_epoch_median": round(cpu, 1),
               "cpu_s_per_epoch_range": [round(min(per_epoch), 1), round(max(per_epoch), 1)],
               "training_pairs": train, "cost_size": size, "cost_reference_size": cls.cost_reference_size,
               "matmul_gflops_here": round(gflops, 1), "cpu_s_per_pair_epoch": float(f"{constant:.3g}"),
               "declared_now": cls.cpu_s_per_pair_epoch, "dataset": args.dataset,
               "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
               "load_1min": round(os.getloadavg()[0], 2)}
        payload["methods"][method] = row  # the latest figure per method (what the class declares)
        payload.setdefault("history", []).append({"method": method, **row})
        print(json.dumps({method: row}), flush=True)
    payload["reference_gflops"] = REFERENCE_GFLOPS
    out.write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
