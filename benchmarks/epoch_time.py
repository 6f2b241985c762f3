"""Per-epoch time of PSGRN, CNNC and DGRNS on CPU with and without XLA (``jit_compile``), and
whether the scores stay the same.

    nice -n 5 python benchmarks/epoch_time.py [--configs cnnc:graph,cnnc:xla,...] [--epochs 4]
                                              [--threads 1] [--out benchmarks/results/epoch_time.json]

Every configuration runs in its own fresh process on the standard split of maize2-sim (seed 0)
through the method's own ``fit`` (features, the shared training loop ``resumable_fit``, the
validation-AUPR pass of ``selection=shared`` after every epoch), with ``epochs`` fixed and no
early stopping. Epoch boundaries are taken from the fit's progress events. Reported: wall and
CPU seconds of every epoch; the first one (features, graph tracing, XLA compilation) is the
warm-up, the median of the others is the per-epoch figure.

A full epoch of DGRNS takes several minutes on this shared machine, so each method trains on
a fixed, seeded fraction of its training and validation pairs (``FRACTIONS``; recorded in the
output). Per-epoch cost is linear in the pairs (batches of a fixed size) apart from PSGRN's
validation pass, which encodes every gene once; ``full_epoch_*_s`` scales the median by
1 / fraction and is therefore an estimate.

Modes:
- ``graph``: what the methods run today on TensorFlow (``tf.function`` without XLA);
- ``xla``: the same with ``grnbench.deep.XLA_ON_TENSORFLOW`` set: ``jit_compile=True`` and
  TensorFlow op determinism off (TensorFlow refuses XLA's max-pool gradient under it);
- ``jax``: ``KERAS_BACKEND=jax`` (Keras compiles every step with XLA there). Its weight
  initialisation draws from JAX's random streams, not TensorFlow's, so its scores are a
  different sample of the same model, comparable only by AUPR.

After the last epoch every configuration scores the same fixed test pairs; the parent
compares each mode's scores with ``graph``'s (max |difference|, AUPR of both), which is the
"same scores" check. ``--repeat xla`` runs each ``xla`` configuration a second time and compares
it with the first: whether XLA without op determinism still gives the same scores run to run.
The output is rewritten after every configuration, so a stopped run keeps what it measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

METHODS = ("cnnc", "dgrns", "psgrn")
MODES = ("graph", "xla", "jax")
#: share of the training and validation pairs each method trains on (see the module docstring)
FRACTIONS = {"cnnc": 0.1, "dgrns": 0.02, "psgrn": 0.15}
#: test pairs scored for the comparison
N_SCORED = 5000


def child(method_name: str, mode: str, epochs: int, threads: int, scores_path: str, scale: float = 1.0,
          checkpoint_dir: str | None = None, params: dict | None = None) -> dict:
    """Train ``method_name`` in this process and save its scores of the fixed test pairs;
    ``checkpoint_dir`` makes the fit resumable (``grnbench.deep.resumable_fit``); ``params``
    are more method parameters."""
    import numpy as np

    import grnbench.deep as deep
    from grnbench.api import TrainingData
    from grnbench.data.protocols import make_trial, parse_protocols
    from grnbench.data.universe import EdgeUniverse
    from grnbench.datasets import load_dataset
    from grnbench.registry import load_registry

    deep.XLA_ON_TENSORFLOW = mode == "xla"
    dataset = load_dataset("maize2-sim")
    universe = EdgeUniverse.from_dataset(dataset)
    split = make_trial(universe, parse_protocols("standard")[0], 0, 0).split
    fraction = FRACTIONS[method_name] * scale
    rng = np.random.default_rng(0)

    def part(index: np.ndarray) -> np.ndarray:
        return np.sort(rng.choice(index, size=max(1, round(fraction * len(index))), replace=False))

    train, validation = part(split.train), part(split.validation)
    scored = fixed_test_pairs(split)
    marks: list[tuple[float, float]] = []
    data = TrainingData(dataset=dataset, seed=0, n_threads=threads, train=universe.labelled(train),
                        validation=universe.labelled(validation),
                        on_progress=lambda event: marks.append((time.perf_counter(), time.process_time())),
                        checkpoint_dir=checkpoint_dir)
    method = load_registry().get(method_name)(**{"epochs": epochs, "patience": 0, **(params or {})})
    start = (time.perf_counter(), time.process_time())
    method.fit(data)
    scores = method.score_edges(universe.pairs.subset(scored))
    np.save(scores_path, scores)
    bounds = [start, *marks]
    wall = [round(b[0] - a[0], 2) for a, b in zip(bounds, bounds[1:], strict=False)]
    cpu = [round(b[1] - a[1], 2) for a, b in zip(bounds, bounds[1:], strict=False)]
    model = getattr(method, "model_", None)
    import keras

    return {"method": method_name, "mode": mode, "backend": keras.backend.backend(),
            "jit_compile": getattr(model, "jit_compile", None), "threads": threads, "epochs": epochs,
            "best_epoch": getattr(method, "best_epoch_", None),
            "fraction": fraction, "n_train": len(train), "n_validation": len(validation),
            "epoch_wall_s": wall, "epoch_cpu_s": cpu,
            "median_epoch_wall_s": float(np.median(wall[1:])) if len(wall) > 1 else None,
            "median_epoch_cpu_s": float(np.median(cpu[1:])) if len(cpu) > 1 else None,
            "full_epoch_wall_s": round(float(np.median(wall[1:])) / fraction, 1) if len(wall) > 1 else None,
            "full_epoch_cpu_s": round(float(np.median(cpu[1:])) / fraction, 1) if len(cpu) > 1 else None,
            "load_1min_end": round(os.getloadavg()[0], 2)}


def fixed_test_pairs(split):
    """The test pairs every configuration scores (seeded, the same in every process)."""
    import numpy as np

    return np.sort(np.random.default_rng(1).choice(split.test, size=min(N_SCORED, len(split.test)), replace=False))


def test_pairs_and_universe():
    """maize2-sim's edge universe and ``fixed_test_pairs`` of its standard split (seed 0)."""
    from grnbench.data.protocols import make_trial, parse_protocols
    from grnbench.data.universe import EdgeUniverse
    from grnbench.datasets import load_dataset

    universe = EdgeUniverse.from_dataset(load_dataset("maize2-sim"))
    return universe, fixed_test_pairs(make_trial(universe, parse_protocols("standard")[0], 0, 0).split)


def compare(base_path: str, other_path: str, labels) -> dict:
    import numpy as np
    from sklearn.metrics import average_precision_score

    a, b = np.load(base_path), np.load(other_path)
    return {"max_abs_score_diff": float(np.max(np.abs(a - b))), "identical": bool(np.array_equal(a, b)),
            "aupr_graph": round(float(average_precision_score(labels, a)), 5),
            "aupr_this": round(float(average_precision_score(labels, b)), 5)}


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--configs", default=",".join(f"{m}:{mode}" for m in METHODS for mode in MODES[:2]))
    parser.add_argument("--epochs", type=int, default=4, help="1 warm-up epoch + the timed ones")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", default="", help="modes whose configurations run a second time, e.g. xla")
    parser.add_argument("--timeout", type=float, default=600, help="wall seconds per configuration")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies FRACTIONS (smoke tests)")
    parser.add_argument("--out", default="benchmarks/results/epoch_time.json")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--scores", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        method_name, mode = args.child.split(":")
        print("RESULT " + json.dumps(child(method_name, mode, args.epochs, args.threads, args.scores, args.scale)), flush=True)
        return
    universe, scored = test_pairs_and_universe()
    labels = universe.labels[scored]
    configs = args.configs.split(",")
    repeated = [c + "#2" for c in configs if args.repeat and c.split(":")[1] in args.repeat.split(",")]
    configs = [c for c in configs if c.split(":")[1] != "jax"] + repeated + [c for c in configs if c.endswith(":jax")]
    rows, tmp = [], tempfile.mkdtemp(prefix="epoch_time_")
    for config in configs:
        method_name, mode = config.split("#")[0].split(":")
        scores = str(Path(tmp) / (config.replace(":", "_").replace("#", "_") + ".npy"))
        env = {**os.environ, "KERAS_BACKEND": "jax" if mode == "jax" else "tensorflow"}
        load_before = uptime()
        try:
            proc = subprocess.run([sys.executable, __file__, "--child", config.split("#")[0], "--epochs",
                                   str(args.epochs), "--threads", str(args.threads), "--scores", scores,
                                   "--scale", str(args.scale)],
                                  capture_output=True, text=True, check=False, env=env, timeout=args.timeout)
            lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
            row = json.loads(lines[-1][7:]) if lines else {"method": method_name, "mode": mode,
                                                            "error": proc.stderr[-3000:]}
        except subprocess.TimeoutExpired:
            lines, row = [], {"method": method_name, "mode": mode,
                              "error": f"stopped after {args.timeout} s wall without finishing {args.epochs} epochs"}
        row.update(config=config, uptime_before=load_before, uptime_after=uptime())
        base = str(Path(tmp) / f"{method_name}_graph.npy")
        if lines and config != f"{method_name}:graph" and Path(base).exists():
            row["vs_graph"] = compare(base, scores, labels)
        first = str(Path(tmp) / f"{method_name}_{mode}.npy")
        if lines and config.endswith("#2") and Path(first).exists():
            row["vs_first_run"] = compare(first, scores, labels)
        print(json.dumps(row), flush=True)
        rows.append(row)
        write(args, rows, len(scored))


def write(args, rows: list[dict], n_scored: int) -> None:
    payload = {"command": "nice -n 5 python " + " ".join(sys.argv), "dataset": "maize2-sim",
               "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(),
                           "processor": platform.processor() or platform.machine()},
               "shared_machine": "2 cores shared with other sessions and a long niced run: wall times are "
                                 "inflated by the load recorded per row; CPU seconds are disturbed least",
               "fractions": {m: f * args.scale for m, f in FRACTIONS.items()}, "n_scored_test_pairs": n_scored, "rows": rows}
    Path(args.out).write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
