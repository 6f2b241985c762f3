"""Per-epoch time, peak RSS, thread use and arithmetic rate of PSGRN, CNNC and DGRNS on maize2-sim.

    python benchmarks/bench_deep_maize.py [--configs dgrns:before,dgrns:after,...] [--steps 6]
                                          [--out benchmarks/results/deep_maize.json]

Every configuration runs in its own fresh process (so peak RSS is that configuration's alone)
on the standard split of maize2-sim (seed 0: 60,539 training, 20,180 validation pairs):
- CNNC / DGRNS: the full feature arrays are built as ``fit`` builds them, then ``--steps``
  training batches of 1,024 and one full validation pass run through ``model.fit``; one
  epoch is extrapolated as (training time per batch × batches per epoch) + validation time;
- PSGRN: one whole epoch (its validation AUPR pass included).
"before" is the code before issue 16 (one thread, as ``--workers 0`` gave a task; Keras's
whole-batch step), "after" the defaults now (every core; DGRNS's micro-batched step and per-batch features);
"after1" the new step on one thread, to separate the two effects.

Reported per configuration: wall and CPU seconds per epoch, CPU/wall (threads kept busy),
CPU seconds per thread, peak RSS, forward FLOPs per pair counted from the layer shapes
(``grnbench.execution.cost.layer_flops``), training FLOPs per epoch (3 × forward per training pair +
forward per validation pair) and the achieved rate against this machine's peak, measured in
the same script as the best of a 4096² float32 ``tf.matmul`` on 1 and 2 threads. The machine
may be shared: the 1-minute load is recorded with every figure; CPU seconds are the figure
least disturbed by other jobs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

CONFIGS = {
    "dgrns:before": ("dgrns", 1, {"micro_batch": 0}),
    "dgrns:after1": ("dgrns", 1, {}),  # optional: separates micro-batches from threads
    "dgrns:after": ("dgrns", 2, {}),
    "cnnc:before": ("cnnc", 1, {}),
    "cnnc:after": ("cnnc", 2, {}),
    "psgrn:before": ("psgrn", 1, {"epochs": 1}),
    "psgrn:after": ("psgrn", 2, {"epochs": 1}),
}


def thread_cpu() -> dict[int, float]:
    """CPU seconds of every thread of this process (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            fields = open(f"/proc/self/task/{tid}/stat").read().rsplit(")", 1)[1].split()
            out[int(tid)] = (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            continue
    return out


def busy_threads(before: dict[int, float], after: dict[int, float]) -> list[float]:
    used = sorted((after[t] - before.get(t, 0.0) for t in after), reverse=True)
    total = sum(used) or 1.0
    return [round(u, 1) for u in used if u > 0.05 * total]


def peak_gflops(threads: int) -> tuple[float, float]:
    """Best float32 matmul rate: (GFLOP per wall second, GFLOP per CPU second of the process).
    The second is what a shared machine disturbs least: it is one thread's peak × threads
    used, whatever else runs."""
    import numpy as np
    import tensorflow as tf

    a = tf.constant(np.random.default_rng(0).random((4096, 4096), dtype=np.float32))
    f = tf.function(lambda: tf.matmul(a, a))
    f().numpy()
    best_wall = best_cpu = 0.0
    for _ in range(5):
        t, c = time.perf_counter(), time.process_time()
        f().numpy()
        best_wall = max(best_wall, 2 * 4096**3 / (time.perf_counter() - t) / 1e9)
        best_cpu = max(best_cpu, 2 * 4096**3 / max(time.process_time() - c, 1e-9) / 1e9)
    return best_wall, best_cpu


def child(config: str, steps: int) -> dict:
    import numpy as np

    method_name, threads, params = CONFIGS[config]
    from grnbench.api import TrainingData
    from grnbench.data.protocols import make_trial, parse_protocols
    from grnbench.data.universe import EdgeUniverse
    from grnbench.datasets import load_dataset
    from grnbench.deep import configure_tensorflow, install_micro_batches
    from grnbench.execution.cost import layer_flops, training_flops
    from grnbench.registry import load_registry

    dataset = load_dataset("maize2-sim")
    universe = EdgeUniverse.from_dataset(dataset)
    split = make_trial(universe, parse_protocols("standard")[0], 0, 0).split
    data = TrainingData(dataset=dataset, seed=0, n_threads=threads, train=universe.labelled(split.train),
                        validation=universe.labelled(split.validation))
    method = load_registry().get(method_name)(**params)
    keras = configure_tensorflow(0, threads)
    peak_wall, peak_cpu = peak_gflops(threads)
    row: dict = {"config": config, "method": method_name, "threads": threads, "params": params,
                 "n_train": len(split.train), "n_validation": len(split.validation),
                 "peak_matmul_gflops_wall": round(peak_wall, 1),
                 "peak_matmul_gflops_per_cpu_s": round(peak_cpu, 1)}
    t_before, c_before, wall0 = thread_cpu(), time.process_time(), time.perf_counter()
    if method_name == "psgrn":
        method.fit(data)
        epoch_wall, epoch_cpu = time.perf_counter() - wall0, time.process_time() - c_before
        model = method.model_
        steps_axis, tl, hidden = model.steps, model.tl, int(method.params["hidden"])
        head = layer_flops(model.head)
        gru = 2.0 * steps_axis * (tl + hidden) * 3 * hidden
        batch = int(method.params["batch_size"])
        batches = -(-len(split.train) // batch)
        # genes encoded per batch: the distinct TFs and targets among its pairs
        n_tf, n_genes = len(dataset.tfs), dataset.n_genes
        uniq_tf = n_tf * (1 - (1 - 1 / n_tf) ** batch)
        uniq_tg = n_genes * (1 - (1 - 1 / n_genes) ** batch)
        train_flops = training_flops(head * len(split.train) + gru * (uniq_tf + uniq_tg) * batches)
        val_flops = head * len(split.validation) + gru * 2 * n_genes
        row.update(forward_flops_head_per_pair=head, forward_flops_gru_per_gene=gru,
                   features_s=None, measured="one whole epoch")
    else:
        p = method.params
        t = time.perf_counter()
        method.prepare(data)
        from grnbench.deep import balanced_class_weight, pair_batches

        weights = balanced_class_weight(data.train.labels)
        y_train = data.train.labels.astype("float32")
        y_val = data.validation.labels.astype("float32")
        batch = int(p["batch_size"])
        if method.features_per_batch and "after" in config:  # what fit does now
            x_train = pair_batches(keras, lambda i: method.pair_features(data.train.pairs.subset(i)),
                                   y_train, weights, batch, seed=0)
            validation = pair_batches(keras, lambda i: method.pair_features(data.validation.pairs.subset(i)),
                                      y_val, weights, method._inference_batch())
            fit_args = {"x": x_train, "validation_data": validation, "shuffle": False}
        else:
            x_train = method.pair_features(data.train.pairs)
            x_val = method.pair_features(data.validation.pairs)
            w_val = np.array([weights[int(v)] for v in y_val], dtype="float32")
            fit_args = {"x": x_train, "y": y_train, "validation_data": (x_val, y_val, w_val),
                        "class_weight": weights, "batch_size": batch, "shuffle": True,
                        "validation_batch_size": method._inference_batch()}
        row["features_s"] = round(time.perf_counter() - t, 2)
        keras.utils.set_random_seed(0)
        model = method.compile_model(keras, method.build_model(keras))
        install_micro_batches(model, int(p.get("micro_batch", 0) or 0))
        batches = -(-len(y_train) // batch)

        class Clock(keras.callbacks.Callback):
            def on_train_batch_end(self, b, logs=None):
                if b == 0:  # first batch traces the graph: timed apart
                    self.t1, self.c1 = time.perf_counter(), time.process_time()

            def on_test_begin(self, logs=None):
                self.t2, self.c2 = time.perf_counter(), time.process_time()

            def on_test_end(self, logs=None):
                self.t3, self.c3 = time.perf_counter(), time.process_time()

        clock = Clock()
        t_before, c_before, wall0 = thread_cpu(), time.process_time(), time.perf_counter()
        model.fit(**fit_args, epochs=1, steps_per_epoch=steps + 1, callbacks=[clock], verbose=0)
        per_batch_wall = (clock.t2 - clock.t1) / steps
        per_batch_cpu = (clock.c2 - clock.c1) / steps
        val_wall, val_cpu = clock.t3 - clock.t2, clock.c3 - clock.c2
        epoch_wall = per_batch_wall * batches + val_wall
        epoch_cpu = per_batch_cpu * batches + val_cpu
        fwd = layer_flops(model)
        train_flops = training_flops(fwd * len(y_train))
        val_flops = fwd * len(y_val)
        row.update(forward_flops_per_pair=fwd, train_batch_wall_s=round(per_batch_wall, 3),
                   train_batch_cpu_s=round(per_batch_cpu, 3), validation_wall_s=round(val_wall, 2),
                   measured=f"{steps} training batches (after one for tracing) + the full validation pass")
    total = train_flops + val_flops
    row.update(epoch_wall_s=round(epoch_wall, 1), epoch_cpu_s=round(epoch_cpu, 1),
               cpu_per_wall=round((time.process_time() - c_before) / (time.perf_counter() - wall0), 2),
               busy_thread_cpu_s=busy_threads(t_before, thread_cpu()),
               epoch_tflops=round(total / 1e12, 2),
               achieved_gflops_per_cpu_s=round(total / epoch_cpu / 1e9, 1),
               achieved_gflops_wall=round(total / epoch_wall / 1e9, 1),
               fraction_of_peak_per_cpu_s=round(total / epoch_cpu / 1e9 / peak_cpu, 3),
               peak_rss_gb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
               load_1min=round(os.getloadavg()[0], 2))
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--configs", default=",".join(c for c in CONFIGS if c != "dgrns:after1"))
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--out", default="benchmarks/results/deep_maize.json")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print("RESULT " + json.dumps(child(args.child, args.steps)), flush=True)
        return
    rows = []
    for config in args.configs.split(","):
        proc = subprocess.run([sys.executable, __file__, "--child", config, "--steps", str(args.steps)],
                              capture_output=True, text=True, check=False)
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
        row = json.loads(lines[-1][7:]) if lines else {"config": config, "error": proc.stderr[-2000:]}
        print(json.dumps(row), flush=True)
        rows.append(row)
    payload = {"machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(),
                           "processor": platform.processor() or platform.machine()},
               "shared_machine": True, "dataset": "maize2-sim", "rows": rows}
    Path(args.out).write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
