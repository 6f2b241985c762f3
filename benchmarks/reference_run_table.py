"""The maize2-sim reference run's table, from its run folder and the memory records of every
stretch of work it took (one ``run_with_rss.py`` record per session).

    python benchmarks/reference_run_table.py [--run benchmarks/results/maize2_sim_reference]
        [--records 'benchmarks/results/maize2_sim_reference_session*.json']
        [--out benchmarks/results/maize2_sim_reference.md]

Per method: status, test AUPR with its bootstrap interval, AUROC, and the training time. A deep
fit that was resumed across sessions has its whole training in its learning curve (the last
row of ``curves.csv``: wall and CPU seconds carried through every checkpoint); the code pinned
for this run (tag ``maize-ref2``) predates ``fit_wall_s`` counting resumed training, so for a
method with a curve the curve's figures are used and the row's are shown beside them. That
code also counted a per-target method's CPU as the waiting task process's only (its targets
ran on the workers), so those CPU figures are marked and not to be read as the method's. The
whole process tree's peak RSS is the largest of the records, with the session it came from.
Writes Markdown; an unfinished run gives a table of what has finished and says so.
"""

from __future__ import annotations

import argparse
import glob
import json
from pathlib import Path

import pandas as pd


def _hours(seconds: float) -> str:
    if pd.isna(seconds):
        return "–"
    return f"{seconds / 3600:.2f} h" if seconds >= 5400 else f"{seconds / 60:.1f} min"


def table(run: Path, records: list[Path]) -> str:
    results = pd.read_csv(run / "results.csv")
    curves_path = run / "curves.csv"
    curves = pd.read_csv(curves_path) if curves_path.is_file() else pd.DataFrame(columns=["method"])
    lines = ["| method | status | test AUPR [95% CI] | AUROC | epochs | training wall | training CPU | row's fit_wall_s |",
             "|---|---|---|---|---|---|---|---|"]
    for _, row in results.sort_values("aupr", ascending=False, na_position="last").iterrows():
        fit = curves[curves["method"] == row["method"]]
        if len(fit):
            last = fit.sort_values("epoch").iloc[-1]
            epochs, wall, cpu = int(last["epoch"]), float(last["wall_s"]), float(last["cpu_s"])
        else:
            epochs, wall, cpu = None, float(row["fit_wall_s"]), float("nan")
        aupr = "–" if pd.isna(row["aupr"]) else f"{row['aupr']:.3f} [{row['aupr_ci_low']:.3f}, {row['aupr_ci_high']:.3f}]"
        auroc = "–" if pd.isna(row["auroc"]) else f"{row['auroc']:.3f}"
        lines.append(f"| {row['method']} | {row['status']} | {aupr} | {auroc} | {epochs or '–'} | {_hours(wall)} | "
                     f"{_hours(cpu)} | {_hours(float(row['fit_wall_s']))} |")
    peak, where, wall_total = 0, "", 0.0
    for record in records:
        data = json.loads(record.read_text())
        wall_total += float(data.get("wall_s") or 0.0)
        if int(data.get("peak_tree_rss_mb") or 0) > peak:
            peak, where = int(data["peak_tree_rss_mb"]), record.name
    lines += ["", "Training CPU is shown for the deep methods only (their curves); the pinned code's "
              "fit_cpu_s of a per-target method is the waiting task process's, not its targets'. Per-target "
              "methods' wall time is shared: they advance together on the same workers."]
    lines += ["", f"Peak RSS of the whole process tree: {peak:,} MB ({where}, its peak_tree_rss_mb); "
              f"wall time of the {len(records)} stretch(es) of work: {_hours(wall_total)}."]
    manifest = run / "manifest.json"
    if not manifest.is_file():
        lines.append("The run has not finished: no manifest yet.")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--run", default="benchmarks/results/maize2_sim_reference")
    parser.add_argument("--records", default="benchmarks/results/maize2_sim_reference_session*.json")
    parser.add_argument("--out", default="benchmarks/results/maize2_sim_reference.md")
    args = parser.parse_args()
    text = table(Path(args.run), sorted(Path(p) for p in glob.glob(args.records)))
    Path(args.out).write_text(text)
    print(text, end="")


if __name__ == "__main__":
    main()
