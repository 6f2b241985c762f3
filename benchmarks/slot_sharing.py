"""How per-target and whole-model methods share a cluster's slots (the no-starvation rule).

Usage: python benchmarks/slot_sharing.py [--dataset dream4-100-1] [--sleep 60] [--workers 2]

Runs two per-target methods (GENIE3, GRNBoost2) beside two whole-model fits that hold their
slot for ``--sleep`` seconds (``slowcorr`` from tests/plugins_for_tests.py) and a baseline,
listed with the whole-model fits FIRST (the order that starved GENIE3 before), on a
LocalCluster. It records, from the run's own progress events, when each task started, its
targets-done timeline and when it finished, and prints a timeline plus the checks:
- no whole-model fit started while a per-target method had targets waiting;
- every per-target method made progress in every 10 s window until it finished.
Saves JSON under benchmarks/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from grnbench.data.protocols import parse_protocols
from grnbench.datasets import load_dataset
from grnbench.execution.backends import BackendOptions, TaskWatch
from grnbench.execution.plan import build_run_plan
from grnbench.execution.runner import RunConfig, execute_plan
from grnbench.registry import load_registry, parse_method_specs

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = str(ROOT / "tests" / "plugins_for_tests.py")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="dream4-100-1")
    parser.add_argument("--sleep", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "slot_sharing.json"))
    args = parser.parse_args()
    methods = (f"slowcorr:sleep={args.sleep},slowcorr:sleep={args.sleep + 1},correlation,"
               "genie3:n_estimators=50,grnboost2")
    registry = load_registry((PLUGIN,))
    dataset = load_dataset(args.dataset)
    config = RunConfig(methods=parse_method_specs(methods, registry), protocols=parse_protocols("standard"),
                       plugins=(PLUGIN,), out_dir=Path(f"/tmp/grnbench-slot-sharing-{os.getpid()}"), use_cache=False,
                       backend=BackendOptions(workers=args.workers))
    plan = build_run_plan(config, dataset, registry)
    tasks = [t.task for t in plan.tasks]
    t0 = time.monotonic()
    log: dict[str, dict] = {t.method.label: {"progress": []} for t in tasks}

    def now() -> float:
        return round(time.monotonic() - t0, 1)

    watch = TaskWatch(on_start=lambda i: log[tasks[i].method.label].setdefault("started_s", now()),
                      on_progress=lambda i, e: log[tasks[i].method.label]["progress"].append((now(), e.done, e.total)))
    load_start = os.getloadavg()[0]
    summary = execute_plan(plan, watch=watch,
                            on_result=lambda task, record: log[task.method.label].update(
                                finished_s=now(), status=record.status, fit_wall_s=record.fit_wall_s))
    per_target = [label for label in log if label.startswith(("genie3", "grnboost2"))]
    whole = [label for label in log if label.startswith("slowcorr")]
    last_target_done = max(log[p].get("finished_s", 0) for p in per_target)
    first_whole_start = min(log[w].get("started_s", 1e9) for w in whole)
    stalls = {}
    for p in per_target:
        times = [log[p].get("started_s", 0)] + [t for t, _, _ in log[p]["progress"]] + [log[p].get("finished_s", 0)]
        stalls[p] = round(max(b - a for a, b in zip(times, times[1:], strict=False)), 1) if len(times) > 1 else None
    result = {
        "dataset": args.dataset, "workers": args.workers, "whole_model_sleep_s": args.sleep,
        "wall_s": round(summary.wall_s, 1), "load_average_start": load_start, "load_average_end": os.getloadavg()[0],
        "tasks": log, "first_whole_model_start_s": first_whole_start, "last_per_target_finish_s": last_target_done,
        "longest_gap_between_progress_events_s": stalls,
        "whole_model_started_after_per_target_targets_queued": first_whole_start >= min(
            (log[p]["progress"][0][0] for p in per_target if log[p]["progress"]), default=0),
    }
    for label, entry in log.items():
        print(f"{label:<28} start {entry.get('started_s', '-'):>6}  finish {entry.get('finished_s', '-'):>6}  "
              f"{entry.get('status', '?'):<7} fit {entry.get('fit_wall_s', float('nan')):.1f} s  "
              f"progress events {len(entry['progress'])}")
    print(json.dumps({k: v for k, v in result.items() if k != "tasks"}, indent=2))
    Path(args.out).write_text(json.dumps(result, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
