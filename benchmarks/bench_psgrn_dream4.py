"""Test AUPR of PSGRN and its ablations on DREAM4 size100, with the benchmark's own split.

Each (model, network, seed) uses the standard protocol (stratified 3:1:1 split of all candidate
pairs, seeded by ``--seeds``), trains on train, stops on validation, scores the test pairs.
One JSON line per run is appended to ``--out`` (re-running skips finished runs), and a
mean ± sd table over seeds is printed at the end.

    python benchmarks/bench_psgrn_dream4.py --models psgrn,psgrn-fm-dn --networks 1 --seeds 0,1,2
    python benchmarks/bench_psgrn_dream4.py --models psgrn --set dn_growth=32 --out sweep.jsonl
    python benchmarks/bench_psgrn_dream4.py --models all --backend jax --shard 0/8 --out part0.jsonl

``--backend jax`` runs the same Keras model code on Keras's JAX backend (for a GPU machine with
JAX but no TensorFlow; XLA's deterministic GPU ops are switched on). Its numbers are not
bit-identical to the TensorFlow CPU runs. ``--shard k/N`` runs every N-th job starting at k
(jobs ordered seed-first, so a cut-off run still covers every model and network), for N
processes sharing one machine. ``--models all`` means PSGRN and its seven ablations.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path

import numpy as np

ALL_MODELS = ("psgrn,psgrn-fm-dn,psgrn-rnn-dn,psgrn-lstm-dn,psgrn-fm-gru,psgrn-gru-vgg,"
              "psgrn-gru-rn,psgrn-ps-sm")


def run_one(cls, params: dict, dataset, seed: int, n_threads: int) -> dict:
    from grnbench.data.universe import EdgeUniverse
    from grnbench.evaluation.metrics import evaluate
    from grnbench.trial import fit_and_score, standard_trial

    universe = EdgeUniverse.from_dataset(dataset)
    method = cls(**params)
    result = fit_and_score(method, dataset, standard_trial(universe, seed), universe=universe, n_threads=n_threads)
    fit_s = result.fit_cost.wall_s
    metrics = evaluate(result.labels, result.scores)
    return {"model": cls.name, "dataset": dataset.name, "seed": seed, "params": params,
            "effective_params": method.params,
            "test_aupr": metrics.aupr, "test_auroc": metrics.auroc, "positive_rate": metrics.positive_rate,
            "val_aupr": method.best_validation_aupr_, "best_epoch": method.best_epoch_,
            "epochs_run": len(method.history_), "fit_s": round(fit_s, 1), "tl": method.features_.tl,
            "load": os.getloadavg()[0], "host": platform.node(), "backend": _backend()}


def _backend() -> str:
    import keras

    return keras.backend.backend()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="psgrn")
    ap.add_argument("--networks", default="1,2,3")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--set", action="append", default=[], help="parameter=value (repeatable)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default="benchmarks/results/psgrn_dream4.jsonl")
    ap.add_argument("--backend", choices=("tensorflow", "jax"), default="tensorflow")
    ap.add_argument("--shard", default="0/1", help="k/N: run jobs k, k+N, k+2N, ...")
    args = ap.parse_args()
    if args.backend == "jax":
        os.environ["KERAS_BACKEND"] = "jax"
        os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_gpu_deterministic_ops=true").strip()
    from grnbench.datasets import load_dataset
    from grnbench.methods.psgrn import VARIANTS
    from grnbench.registry import parse_parameter_value

    classes = {cls.name: cls for cls in VARIANTS}
    models = (ALL_MODELS if args.models == "all" else args.models).split(",")
    shard, n_shards = (int(x) for x in args.shard.split("/"))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = []
    if out.exists():
        done = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    def params_of(cls) -> dict:
        params = {}
        for item in args.set:
            key, value = item.split("=", 1)
            params[key] = parse_parameter_value(value, cls.parameters[key])
        return params

    def finished(model: str, net: str, seed: int) -> bool:
        params = params_of(classes[model])
        return any(r["model"] == model and r["dataset"] == f"dream4-100-{net}" and r["seed"] == seed
                   and r["params"] == params and r.get("backend", "tensorflow") == args.backend for r in done)

    jobs = [(seed, net, model) for seed in (int(s) for s in args.seeds.split(","))
            for net in args.networks.split(",") for model in models]
    pending = [job for job in jobs if not finished(job[2], job[1], job[0])]  # shard what is left
    for seed, net, model in pending[shard::n_shards]:
        cls = classes[model]
        params = params_of(cls)
        dataset = load_dataset(f"dream4-100-{net}")
        row = run_one(cls, params, dataset, seed, args.threads)
        done.append(row)
        with out.open("a") as fh:
            fh.write(json.dumps(row) + "\n")
        print(json.dumps(row), flush=True)
        import keras

        keras.backend.clear_session()
    summarise(done)


def summarise(rows: list[dict]) -> None:
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        params = json.dumps(r["params"], sort_keys=True)
        if r.get("backend", "tensorflow") != "tensorflow":
            params += f" [{r['backend']}]"
        groups.setdefault((r["model"], r["dataset"], params), []).append(r)
    print(f"{'model':16} {'dataset':14} {'params':40} {'n':>2} {'test AUPR':>16} {'val AUPR':>16} {'fit s':>6}")
    for (model, dataset, params), rs in sorted(groups.items()):
        t = np.array([r["test_aupr"] for r in rs])
        v = np.array([r["val_aupr"] for r in rs])
        print(f"{model:16} {dataset:14} {params:40} {len(rs):>2} {t.mean():8.3f} ± {t.std(ddof=1) if len(t) > 1 else 0:5.3f}"
              f" {v.mean():8.3f} ± {v.std(ddof=1) if len(v) > 1 else 0:5.3f} {np.mean([r['fit_s'] for r in rs]):6.0f}")


if __name__ == "__main__":
    main()
