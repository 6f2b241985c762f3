"""BEELINE's input folder as a dataset, and grnbench's ranked edges in BEELINE's output layout.

BEELINE (Pratapa et al. 2020, Nat Methods 17:147; github.com/Murali-group/Beeline) is the
field's standard single-cell GRN benchmark. One input folder holds

- ``ExpressionData.csv``: genes × cells, first column gene names, header the cell names
  (often one field short, R's ``write.csv`` layout);
- ``PseudoTime.csv``: one row per cell, one column per trajectory (``PseudoTime`` or
  ``PseudoTime1``, ``PseudoTime2``…), ``NA`` or empty where a cell is not on that trajectory;
- ``refNetwork.csv``: the reference network, header ``Gene1,Gene2[,Type]`` (Type ``+``/``-``).

How grnbench reads it: each pseudotime column is one series, made of the cells that have a
value there, in pseudotime order (ties keep the file order). A cell on several trajectories
(the shared early cells of a branching process) is a sample of each of them, so it appears
once per trajectory; methods that difference in time then never step from one branch into
another. A cell with no pseudotime at all is refused. ``refNetwork.csv``'s header
(``Gene1,Gene2``, always there in BEELINE's files) is found like any gold standard's: a first
row naming no gene of the expression; a headerless file keeps its first edge.

The writer puts every finished task's ranked edges at
``RUN/beeline/<edge-list stem>/rankedEdges.csv``: tab-separated ``Gene1 Gene2 EdgeWeight``,
highest weight first, as BEELINE's runners write and its BLEval reads
(``pd.read_csv(..., sep='\\t', header=0)``), one folder per method as BLEval expects.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from grnbench.data.dataset import Dataset
from grnbench.errors import DataError, cannot_write

from .files import read_header_and_body
from .samples import SampleLayout, layout_from_columns
from .tables import build_dataset, read_expression_matrix

EXPRESSION = "ExpressionData.csv"
PSEUDOTIME = "PseudoTime.csv"
REFERENCE = "refNetwork.csv"
RANKED_EDGES = "rankedEdges.csv"
MISSING = {"", "NA", "NaN", "nan", "NULL"}


def load_beeline_dir(folder: str | Path, tfs: str | Path | None = None, name: str | None = None,
                     gold_standard: str | Path | None = None, gold_header: bool | None = None,
                     steady_state: tuple[str, ...] = ()) -> Dataset:
    """The dataset of a BEELINE input folder (``gold_standard`` replaces ``refNetwork.csv``)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(folder, "not a folder; --beeline-dir takes a BEELINE input folder holding "
                                f"{EXPRESSION}, {PSEUDOTIME} and {REFERENCE}")
    expression = folder / EXPRESSION
    gold = Path(gold_standard) if gold_standard else folder / REFERENCE
    for required in (expression, folder / PSEUDOTIME, gold):
        if not required.is_file():
            raise DataError(folder, f"has no {required.name}; a BEELINE input folder holds {EXPRESSION} "
                                    f"(genes × cells), {PSEUDOTIME} and {REFERENCE}")
    matrix = read_expression_matrix(expression)
    layout = pseudotime_layout(folder / PSEUDOTIME, matrix.samples)
    return build_dataset(matrix.genes, matrix.values, layout, gold, tfs, name or folder.name,
                         f"BEELINE input folder {folder}", str(expression), gold_header, steady_state=steady_state)


def pseudotime_layout(path: Path, cells: tuple[str, ...]) -> SampleLayout:
    """One series per pseudotime column; a cell on several trajectories is in each of them."""
    header, body = read_header_and_body(path)
    if body.shape[1] < 2:
        raise DataError(path, "expected a first column of cell names and at least one pseudotime column")
    ids = body.iloc[:, 0].astype(str).str.strip().tolist()
    known = set(cells)
    absent = [c for c in ids if c not in known]
    if absent:
        raise DataError(path, f"{len(absent)} cell(s) are not columns of {EXPRESSION}, e.g. {', '.join(absent[:5])}")
    if len(set(ids)) != len(ids):
        dup = next(c for k, c in enumerate(ids) if c in ids[:k])
        raise DataError(path, f"cell {dup!r} is listed more than once")
    missing_rows = [c for c in cells if c not in set(ids)]
    if missing_rows:
        raise DataError(path, f"{len(missing_rows)} cell(s) of {EXPRESSION} have no row, e.g. {', '.join(missing_rows[:5])}")
    names = [h or f"PseudoTime{k}" for k, h in enumerate(header[1:], start=1)]
    column = {c: k for k, c in enumerate(cells)}
    entries, times, series = [], [], []
    placed = np.zeros(len(ids), dtype=bool)
    for j, lineage in enumerate(names, start=1):
        for row, (cell, raw) in enumerate(zip(ids, body.iloc[:, j], strict=True)):
            text = "" if pd.isna(raw) else str(raw).strip()
            if text in MISSING:
                continue
            try:
                value = float(text)
            except ValueError:
                raise DataError(path, f"pseudotime {text!r} of cell {cell!r} ({lineage}) is not a number") from None
            if not np.isfinite(value):
                raise DataError(path, f"pseudotime {text!r} of cell {cell!r} ({lineage}) is not finite")
            entries.append(column[cell])
            times.append(value)
            series.append(lineage)
            placed[row] = True
    if not placed.all():
        lost = [c for c, ok in zip(ids, placed, strict=True) if not ok]
        raise DataError(path, f"{len(lost)} cell(s) have no pseudotime in any column, e.g. {', '.join(lost[:5])}; "
                              "drop them from both files or give them a pseudotime")
    layout = layout_from_columns(times, series, [cells[e] for e in entries], path, allow_ties=True)
    return replace(layout, order=np.asarray(entries, dtype=np.int64)[layout.order])


def ranked_edges_path(out_dir: Path, edges_file: str) -> Path:
    """``RUN/beeline/<stem of the grnbench edge list>/rankedEdges.csv``."""
    return Path(out_dir) / "beeline" / Path(edges_file).stem / RANKED_EDGES


def write_ranked_edges(path: Path, regulators: np.ndarray, targets: np.ndarray, scores: np.ndarray) -> Path:
    """BEELINE's ``rankedEdges.csv``: tab-separated Gene1, Gene2, EdgeWeight, best first."""
    scores = np.asarray(scores, dtype=np.float64)
    order = np.argsort(-scores, kind="stable")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"Gene1": np.asarray(regulators)[order], "Gene2": np.asarray(targets)[order],
                      "EdgeWeight": scores[order]}).to_csv(path, sep="\t", index=False)  # full float64
    except OSError as exc:
        raise cannot_write(path, exc) from None
    return path


def save_ranked_edges(out_dir: Path, edges_file: str, regulators: np.ndarray, targets: np.ndarray,
                      scores: np.ndarray) -> Path:
    """Write a task's ranked edges beside its grnbench edge list (``edges_file`` = its name)."""
    return write_ranked_edges(ranked_edges_path(out_dir, edges_file), regulators, targets, scores)
