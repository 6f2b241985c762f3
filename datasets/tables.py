"""Readers for plain expression matrices and edge lists, validated at the boundary.

Every user mistake becomes a one-line ``DataError`` naming the file and the problem:
missing file, non-numeric values, NaN/inf, duplicated genes, a gold standard naming genes
that are not in the matrix, TFs missing from the matrix, an empty gold standard.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from grnbench.dataset import Dataset, validate_matrix
from grnbench.errors import DataError


def read_table(path: str | Path, header: bool = True) -> pd.DataFrame:
    """Read a CSV/TSV/xlsx table as strings; the separator is sniffed from the first line."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "file not found")
    try:
        if path.suffix.lower() in (".xlsx", ".xls"):
            return pd.read_excel(path, header=0 if header else None, dtype=str, keep_default_na=False,
                                 na_values=[""])
        with path.open(newline="") as fh:
            first = fh.readline()
        if not first.strip():
            raise DataError(path, "the file is empty")
        sep = "\t" if "\t" in first else "," if "," in first else r"\s+"
        # only empty cells are missing: gene IDs such as "NA" or "NULL" are real identifiers
        return pd.read_csv(path, sep=sep, header=0 if header else None, dtype=str,
                           keep_default_na=False, na_values=[""],
                           engine="python" if sep == r"\s+" else "c", quoting=csv.QUOTE_MINIMAL)
    except DataError:
        raise
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(path, f"cannot parse as a table ({str(exc).splitlines()[0]})") from None


def numeric_block(frame: pd.DataFrame, path: str | Path, row_names: list[str]) -> np.ndarray:
    """Convert a string frame to float64, naming the first non-numeric cell if any."""
    values = frame.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
    raw_missing = frame.isna().to_numpy()
    bad = np.isnan(values) & ~raw_missing
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise DataError(path, f"non-numeric value {frame.iat[r, c]!r} at gene {row_names[r]}, column {frame.columns[c]}; expression values must be numbers")
    validate_matrix(values, str(path), tuple(row_names))
    return values


def read_expression(path: str | Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Genes × samples matrix: first column gene IDs, header row sample names.

    When every sample name is a number it is taken as the sample's time; otherwise samples
    are taken to be equally spaced in column order.
    """
    frame = read_table(path)
    if frame.shape[1] < 2:
        raise DataError(path, "expected a first column of gene IDs and at least one sample column")
    genes = frame.iloc[:, 0].astype(str).str.strip().tolist()
    dups = sorted({g for g in genes if genes.count(g) > 1}) if len(set(genes)) != len(genes) else []
    if dups:
        raise DataError(path, f"duplicated gene IDs: {', '.join(dups[:5])}; each gene must appear once")
    values = numeric_block(frame.iloc[:, 1:], path, genes)
    try:
        times = np.array([float(c) for c in frame.columns[1:]])
    except ValueError:
        times = np.arange(values.shape[1], dtype=float)
    return genes, values, times


def read_edge_list(path: str | Path) -> list[tuple[str, str]]:
    """``regulator target [label]`` rows; rows with label 0 are negatives and are dropped."""
    frame = read_table(path, header=False)
    if frame.shape[1] < 2:
        raise DataError(path, "expected columns: regulator, target and optionally label (1 = edge)")
    first = frame.iloc[0].astype(str).str.lower().tolist()
    if any(word in first[0] for word in ("regulator", "source", "tf", "gene1")):
        frame = frame.iloc[1:]
    edges = frame.iloc[:, :2].astype(str).apply(lambda s: s.str.strip())
    if frame.shape[1] >= 3:
        labels = pd.to_numeric(frame.iloc[:, 2], errors="coerce")
        if labels.isna().any() or not labels.isin([0, 1]).all():
            row = int(np.flatnonzero(labels.isna().to_numpy() | ~labels.isin([0, 1]).to_numpy())[0])
            raise DataError(path, f"label column must be 0 or 1, found {frame.iloc[row, 2]!r} on data row {row + 1}")
        edges = edges[labels.to_numpy() == 1]
    result = list(dict.fromkeys(zip(edges.iloc[:, 0], edges.iloc[:, 1], strict=True)))
    if not result:
        raise DataError(path, "the gold standard has no positive edges; list regulator→target pairs (label 1)")
    return result


def read_gene_list(path: str | Path) -> list[str]:
    frame = read_table(path, header=False)
    return list(dict.fromkeys(frame.iloc[:, 0].astype(str).str.strip()))


def load_table_dataset(expression: str | Path, gold_standard: str | Path,
                       tfs: str | Path | None = None, name: str | None = None) -> Dataset:
    """A dataset from a genes × samples matrix, an edge list and an optional TF list.

    Without a TF list, the TFs are the regulators of the gold standard.
    """
    genes, values, times = read_expression(expression)
    edges = read_edge_list(gold_standard)
    gene_set = set(genes)
    unknown = sorted({g for e in edges for g in e if g not in gene_set})
    if unknown:
        raise DataError(gold_standard, f"names {len(unknown)} gene(s) not in {expression}, e.g. {', '.join(unknown[:5])}; use the same gene IDs in both files")
    tf_list = read_gene_list(tfs) if tfs else list(dict.fromkeys(r for r, _ in edges))
    missing = [t for t in tf_list if t not in gene_set]
    if missing:
        raise DataError(tfs or gold_standard, f"{len(missing)} TF(s) not in {expression}, e.g. {', '.join(missing[:5])}")
    return Dataset(
        name=name or Path(expression).stem, genes=tuple(genes), expression=values, times=times,
        series=np.zeros(len(times), dtype=np.int64), tfs=tuple(tf_list),
        gold_standard=frozenset(edges), source=f"user files {expression}, {gold_standard}",
        licence="user data", origin=str(expression),
    )
