"""AUPR and AUROC of GENIE3, GRNBoost2 and NODE on the shipped DREAM4 networks.

    python benchmarks/dream4_accuracy.py --workers 2 --json dream4.json

Each method is fitted once per network (unsupervised: the fit never sees labels) and scored
twice: on **all pairs** of the edge universe (every ordered pair of distinct genes; what the
DREAM4 papers report) and on the test pairs of grnbench's ``standard`` protocol (stratified
3:1:1 split, seed 0). Configurations: GENIE3 (arboreto and GENIE3.py variants), GRNBoost2,
NODE with its defaults (time series + steady states, α from data) and NODE on time series
only; on dream4-10-1 also NODE with the reference's own example1.py settings for that network.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

CONFIGS: list[tuple[str, str, dict]] = [
    ("genie3", "genie3", {}),
    ("genie3-genie3py", "genie3", {"variant": "genie3py"}),
    ("grnboost2", "grnboost2", {}),
    ("node", "node", {}),
    ("node-ts-only", "node", {"steady_state": False}),
]
#: lab319/GRNs_nonlinear_ODEs example1.py (DREAM4 size10 network 1)
NODE_EXAMPLE1 = {"n_estimators": 398, "learning_rate": 0.0133, "importance_type": "weight",
                 "max_depth": 5, "alpha": 0.0214}
NETWORKS = [f"dream4-10-{k}" for k in range(1, 6)] + [f"dream4-100-{k}" for k in range(1, 4)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--networks", default=",".join(NETWORKS))
    parser.add_argument("--configs", default=",".join(c[0] for c in CONFIGS) + ",node-example1")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    from grnbench.data.universe import EdgeUniverse
    from grnbench.datasets import load_dataset
    from grnbench.evaluation.metrics import evaluate
    from grnbench.methods.genie3 import GENIE3
    from grnbench.methods.grnboost2 import GRNBoost2
    from grnbench.methods.node import NODE
    from grnbench.trial import fit_and_score, standard_trial

    classes = {"genie3": GENIE3, "grnboost2": GRNBoost2, "node": NODE}
    wanted = set(args.configs.split(","))
    rows = []
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=args.workers > 1,
                      dashboard_address=None, scheduler_kwargs={"dashboard_address": ":0"}) as cluster, \
            Client(cluster) as client:
        for net in args.networks.split(","):
            ds = load_dataset(net)
            universe = EdgeUniverse.from_dataset(ds)
            trial = standard_trial(universe, args.seed)
            test = trial.split.test
            configs = list(CONFIGS)
            if net == "dream4-10-1":
                configs.append(("node-example1", "node", NODE_EXAMPLE1))
            for label, name, params in configs:
                if label not in wanted:
                    continue
                method = classes[name](**params)
                fitted = fit_and_score(method, ds, trial, universe=universe, client=client)
                fit_s = fitted.fit_cost.wall_s
                scores = fitted.method.score_edges(universe.pairs)  # unsupervised: every pair, and the test part
                full = evaluate(universe.labels, scores)
                split = evaluate(universe.labels[test], scores[test])
                row = {"network": net, "config": label, "params": method.params, "fit_s": round(fit_s, 2),
                       "all_pairs": {"n": full.n_pairs, "pos": full.n_positives, "aupr": full.aupr,
                                     "auroc": full.auroc},
                       "standard_test": {"n": split.n_pairs, "pos": split.n_positives, "aupr": split.aupr,
                                         "auroc": split.auroc}}
                rows.append(row)
                print(f"{net:<13} {label:<16} all pairs AUPR {full.aupr:.3f} AUROC {full.auroc:.3f} | "
                      f"test split ({split.n_pairs} pairs, {split.n_positives} pos) AUPR {split.aupr:.3f} "
                      f"AUROC {split.auroc:.3f} | fit {fit_s:.1f} s", flush=True)
                if args.json:
                    args.json.write_text(json.dumps(rows, indent=1, default=str))
    print(f"load average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
