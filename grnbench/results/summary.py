"""Plain-text rendering of the per-method summary printed at the end of a run."""

from __future__ import annotations

import math

import pandas as pd

from grnbench.evaluation.catalogue import headline


def _columns() -> list[tuple[str, str]]:
    """The metric catalogue's headline columns; the sd and interval of the first (the headline
    metric)."""
    first, *rest = headline()
    return ([("method", "method"), ("dataset", "dataset"), ("protocol", "protocol"), ("repeats", "n"),
             (first.name, first.label), (f"{first.name}_sd", "sd"), (f"{first.name}_ci", f"{first.label} 95% CI")]
            + [(c.name, c.label) for c in rest] + [("problems", "problems")])


def _cell(value: object) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def format_summary(summary: pd.DataFrame) -> str:
    cols = [(k, h) for k, h in _columns() if k in summary.columns]
    rows = [[h for _, h in cols]] + [[_cell(row[k]) for k, _ in cols] for _, row in summary.iterrows()]
    widths = [max(len(r[i]) for r in rows) for i in range(len(cols))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
