"""Do CNNC, DGRNS and PSGRN give the same scores on 1 and on 2 intra-op threads?

    nice -n 10 python benchmarks/thread_invariance.py [--epochs 2] [--resume-after 1]
                                                    [--methods cnnc,dgrns,psgrn]
                                                    [--out benchmarks/results/thread_invariance.json]

Why: a fit that takes the cores other tasks freed (``grnbench.execution.rethread``) changes its
TensorFlow thread count between epochs. Whether that may be on by default depends on whether
the scores depend on the thread count.

Every configuration is a fresh process (TensorFlow sizes its thread pool once per process)
training the method's own ``fit`` on the fixed, seeded slice of maize2-sim that
``benchmarks/epoch_time.py`` uses (its ``FRACTIONS`` of the standard split's training and
validation pairs, seed 0; 5,000 fixed test pairs scored), ``epochs`` epochs, no early stopping:

- ``1t``: 1 thread;
- ``2t`` and ``2t#2``: 2 threads, twice (run-to-run determinism at 2 threads);
- ``resume 1->2``: 1 thread for ``resume-after`` epochs with a checkpoint, then a new process
  on 2 threads resumes from it to ``epochs`` (what re-threading does).

Run-to-run determinism on 1 thread, and a resume on 1 thread giving the uninterrupted scores,
are what ``tests/test_deep_determinism.py`` and ``tests/test_checkpoint_resume.py`` check.

Each is compared with ``1t`` (and ``2t#2`` with ``2t``): identical or the max |difference| of the
scores, Spearman's rank correlation, whether the ranking (argsort) is the same, and both AUPRs.
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

import epoch_time

#: name → [(threads, epochs), ...]: the processes of one configuration, in order, sharing a checkpoint
CONFIGS = {"1t": [(1, None)], "2t": [(2, None)], "2t#2": [(2, None)], "resume 1->2": [(1, "first"), (2, None)]}


def compare(base, other, labels, base_name: str = "1t") -> dict:
    import numpy as np
    from scipy.stats import spearmanr
    from sklearn.metrics import average_precision_score

    return {"identical": bool(np.array_equal(base, other)),
            "max_abs_score_diff": float(np.max(np.abs(base - other))),
            "same_ranking": bool(np.array_equal(np.argsort(base, kind="stable"), np.argsort(other, kind="stable"))),
            "spearman": float(spearmanr(base, other).statistic),
            f"aupr_{base_name}": round(float(average_precision_score(labels, base)), 6),
            "aupr_this": round(float(average_precision_score(labels, other)), 6)}


def run_config(method: str, name: str, epochs: int, resume_after: int, tmp: Path, timeout: float,
               selection: str = "") -> dict:
    scores = tmp / f"{method}_{name.replace(' ', '_').replace('>', '').replace('#', '_')}.npy"
    checkpoint = tmp / f"ckpt_{scores.stem}"
    row: dict[str, object] = {"method": method, "config": name, "uptime_before": epoch_time.uptime(), "processes": []}
    for threads, stage in CONFIGS[name]:
        n_epochs = resume_after if stage == "first" else epochs
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, __file__, "--child", method, "--threads", str(threads),
                               "--epochs", str(n_epochs), "--scores", str(scores),
                               "--checkpoint", str(checkpoint) if len(CONFIGS[name]) > 1 else "",
                               "--selection", selection],
                              capture_output=True, text=True, check=False, timeout=timeout)
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
        if not lines:
            row["error"] = proc.stderr[-3000:]
            return row
        child = json.loads(lines[-1][7:])
        row["processes"].append({"threads": threads, "epochs_to": n_epochs, "wall_s": round(time.perf_counter() - started, 1),
                                 "epoch_wall_s": child["epoch_wall_s"], "epoch_cpu_s": child["epoch_cpu_s"],
                                 "best_epoch": child.get("best_epoch")})
    row["scores"] = str(scores)
    row["uptime_after"] = epoch_time.uptime()
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--methods", default=",".join(epoch_time.METHODS))
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--resume-after", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--selection", default="", help="the methods' selection parameter, e.g. reference "
                        "(last-epoch weights: the scores then depend on every epoch; default: each method's own)")
    parser.add_argument("--out", default="benchmarks/results/thread_invariance.json")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--scores", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--checkpoint", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = epoch_time.child(args.child, "graph", args.epochs, args.threads, args.scores,
                                  checkpoint_dir=args.checkpoint or None,
                                  params={"selection": args.selection} if args.selection else None)
        print("RESULT " + json.dumps(result), flush=True)
        return
    import numpy as np

    universe, scored = epoch_time.test_pairs_and_universe()
    labels = universe.labels[scored]
    tmp = Path(tempfile.mkdtemp(prefix="thread_invariance_"))
    rows: list[dict] = []
    for method in args.methods.split(","):
        scores: dict[str, np.ndarray] = {}
        for name in CONFIGS:
            row = run_config(method, name, args.epochs, args.resume_after, tmp, args.timeout, args.selection)
            if "scores" in row:
                scores[name] = np.load(str(row.pop("scores")))
                if "1t" in scores and name != "1t":
                    row["vs_1t"] = compare(scores["1t"], scores[name], labels)
                if "2t" in scores and name == "2t#2":
                    row["vs_2t"] = compare(scores["2t"], scores[name], labels, "2t")
            print(json.dumps(row), flush=True)
            rows.append(row)
            write(args, rows)


def write(args, rows: list[dict]) -> None:
    payload = {"command": "nice -n 10 python " + " ".join(sys.argv), "dataset": "maize2-sim",
               "slice": {"fractions_of_train_and_validation_pairs": epoch_time.FRACTIONS,
                         "test_pairs_scored": epoch_time.N_SCORED, "split": "standard #0, seed 0"},
               "epochs": args.epochs, "resume_after": args.resume_after, "early_stopping": "off (patience=0)",
               "selection": args.selection or "each method's default (shared: the best validation epoch restored)",
               "tensorflow_op_determinism": "on (grnbench.deep.configure_tensorflow)",
               "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count()},
               "shared_machine": "2 cores shared with other sessions, a grnbench run and a long niced run: "
                                 "times are inflated by the load recorded per row; scores are not affected",
               "rows": rows}
    Path(args.out).write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
