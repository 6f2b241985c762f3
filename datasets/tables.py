"""Readers for expression tables and edge lists, and the one builder of user datasets.

Tables are CSV/TSV/xlsx, plain or gzip/bz2/xz/zip-compressed. The expression header is read
verbatim (pandas would rename a repeated ``0`` to ``0.1``), so repeated or restarting sample
times are caught (``samples.py``) instead of becoming fake times. Gold-standard headers are
detected by content that cannot be an edge, never by what a gene name looks like.

Every user mistake becomes a one-line ``DataError`` naming the file and the problem:
missing file, non-numeric values, NaN/inf, duplicated genes or samples, a gold standard naming
genes that are not in the matrix, TFs missing from the matrix, an empty gold standard.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from grnbench.data.dataset import Dataset
from grnbench.errors import DataError

from .files import ExpressionMatrix, compression_of, numeric_block, read_header_and_body, read_table
from .samples import ObsKeys, SampleLayout, layout_from_names, layout_from_sheet


def read_expression_matrix(path: str | Path) -> ExpressionMatrix:
    """Genes × samples matrix: first column gene IDs, header row sample names (read verbatim)."""
    header, body = read_header_and_body(path)
    if body.shape[1] < 2 or body.shape[0] < 1:
        raise DataError(path, "expected a first column of gene IDs and at least one sample column")
    ids = body.iloc[:, 0]
    if ids.isna().any():
        row = int(np.flatnonzero(ids.isna().to_numpy())[0])
        raise DataError(path, f"missing gene ID on data row {row + 1}; every row needs a gene ID in the first column")
    genes = ids.astype(str).str.strip().tolist()
    dups = sorted({g for g in genes if genes.count(g) > 1}) if len(set(genes)) != len(genes) else []
    if dups:
        raise DataError(path, f"duplicated gene IDs: {', '.join(dups[:5])}; each gene must appear once")
    block = body.iloc[:, 1:]
    block.columns = header[1:]
    values = numeric_block(block, path, genes)
    return ExpressionMatrix(tuple(genes), values, tuple(header[1:]), str(path))


def read_edge_list(path: str | Path, genes: Collection[str] | None = None,
                   header: bool | None = None) -> list[tuple[str, str]]:
    """``regulator target [label]`` rows; rows with label 0 are negatives and are dropped.

    A third column of ``+``/``-`` (BEELINE's ``Type``) is a sign: every row is an edge. The
    first row is a header when ``header`` is True, never when False, and otherwise only when
    its content cannot be an edge (``first_row_is_header``), never because of what a gene
    name looks like (``TFAP2``, ``gene1`` are genes).
    """
    frame = read_table(path, header=False)
    if frame.shape[1] < 2:
        raise DataError(path, "expected columns: regulator, target and optionally label (1 = edge)")
    if header is None:
        header = first_row_is_header(frame, genes)
    if header:
        frame = frame.iloc[1:]
    if frame.empty:
        raise DataError(path, "the gold standard has no edges below its header row")
    edges = frame.iloc[:, :2].astype(str).apply(lambda s: s.str.strip())
    if frame.shape[1] >= 3 and not _is_sign_column(frame.iloc[:, 2]):
        labels = pd.to_numeric(frame.iloc[:, 2], errors="coerce")
        bad = labels.isna().to_numpy() | ~labels.isin([0, 1]).to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            hint = "" if header else "; if the first row is a header, pass --gold-header yes"
            raise DataError(path, f"label column must be 0 or 1 (or +/- for a signed edge list), found "
                                  f"{frame.iloc[row, 2]!r} on row {row + 1 + int(header)}{hint if row == 0 else ''}")
        _refuse_conflicting_labels(path, edges, labels.to_numpy(), int(header))
        edges = edges[labels.to_numpy() == 1]
    result = list(dict.fromkeys(zip(edges.iloc[:, 0], edges.iloc[:, 1], strict=True)))
    if not result:
        raise DataError(path, "the gold standard has no positive edges; list regulator→target pairs (label 1)")
    return result


def _refuse_conflicting_labels(path: str | Path, edges: pd.DataFrame, labels: np.ndarray, offset: int) -> None:
    """A pair labelled both 1 and 0 is a contradiction in the user's file: keeping either label
    would silently decide what the gold standard says, so it is refused with both rows."""
    keys = list(zip(edges.iloc[:, 0], edges.iloc[:, 1], strict=True))
    first: dict[tuple[str, str], tuple[int, float]] = {}
    for row, (key, label) in enumerate(zip(keys, labels, strict=True)):
        if key in first and first[key][1] != label:
            earlier = first[key][0]
            raise DataError(path, f"{key[0]}→{key[1]} is labelled {int(first[key][1])} on row {earlier + 1 + offset} "
                                  f"and {int(label)} on row {row + 1 + offset}; keep one of the two rows")
        first.setdefault(key, (row, label))


def first_row_is_header(frame: pd.DataFrame, genes: Collection[str] | None) -> bool:
    """Whether the first row of a headerless-read edge list is a header, by content alone.

    With the expression's genes known: a header exactly when neither of its first two names is
    a gene. A real edge always names genes (an edge with an unknown gene is refused anyway), so
    this never drops one. Without genes (a bundled file): a header when its third field is not
    a number while every other row's third field is one (a label or weight column).
    """
    first = [str(v).strip() for v in frame.iloc[0, :3]]
    if genes is not None:
        gene_set = genes if isinstance(genes, (set, frozenset)) else set(genes)
        return first[0] not in gene_set and first[1] not in gene_set
    if frame.shape[1] < 3 or len(frame) < 2:
        return False
    third = pd.to_numeric(frame.iloc[:, 2], errors="coerce")
    return bool(third.iloc[0] != third.iloc[0] and third.iloc[1:].notna().all())


def _is_sign_column(column: pd.Series) -> bool:
    values = column.dropna().astype(str).str.strip()
    return len(values) > 0 and values.isin(["+", "-"]).all()


def read_gene_list(path: str | Path, genes: Collection[str] | None = None) -> list[str]:
    """One gene per row (first column); a first row that is not a gene, when all others are, is a header."""
    frame = read_table(path, header=False)
    names = list(dict.fromkeys(frame.iloc[:, 0].astype(str).str.strip()))
    if genes is not None and len(names) > 1:
        gene_set = set(genes)
        if names[0] not in gene_set and all(n in gene_set for n in names[1:]):
            names = names[1:]
    return names


def dataset_name(path: str | Path) -> str:
    """``expr.tsv.gz`` → ``expr``: the file name without compression and table suffixes."""
    path = Path(path)
    if compression_of(path):
        path = path.with_suffix("")
    return path.stem


def read_steady_state(path: str | Path, genes: Sequence[str]) -> np.ndarray:
    """A steady-state table (knockouts, knockdowns, …) as genes × conditions in ``genes``' order.

    Either layout is read: gene IDs as the header row (one row per condition, as DREAM4's
    ``_knockouts.tsv``), or gene IDs in the first column (one column per condition). Every gene
    of the expression matrix must have a value.
    """
    header, body = read_header_and_body(path)
    wanted = set(genes)
    names = [h.strip().strip('"') for h in header]
    if wanted <= set(names):
        block = body.copy()
        block.columns = names
        values = numeric_block(block[list(genes)].T.reset_index(drop=True), path, list(genes))
        return values
    first = [str(v).strip().strip('"') for v in body.iloc[:, 0]]
    if wanted <= set(first):
        block = body.iloc[:, 1:].copy()
        block.columns = names[1:] if len(names) == body.shape[1] else [f"c{i}" for i in range(block.shape[1])]
        block.index = first
        return numeric_block(block.loc[list(genes)].reset_index(drop=True), path, list(genes))
    raise DataError(path, "no layout with every gene of the expression matrix: give gene IDs as the header row "
                          "(one row per condition) or as the first column (one column per condition)")


def build_dataset(genes: Sequence[str], values: np.ndarray, layout: SampleLayout,
                  gold_standard: str | Path, tfs: str | Path | None, name: str, source: str,
                  origin: str, gold_header: bool | None = None,
                  edges: list[tuple[str, str]] | None = None,
                  steady_state: Sequence[str | Path] = ()) -> Dataset:
    """The ``Dataset`` of user inputs, shared by every input kind (tables, h5ad, BEELINE).

    Without a TF list, the TFs are the regulators of the gold standard. ``steady_state`` files
    (knockouts, knockdowns, …) are read in the order given and their conditions stacked.
    """
    gene_set = set(genes)
    if edges is None:
        edges = read_edge_list(gold_standard, gene_set, gold_header)
    unknown = sorted({g for e in edges for g in e if g not in gene_set})
    if unknown:
        hint = ""
        if gold_header is None and any(g in unknown for g in edges[0]):
            hint = " (a first row is taken as a header only when neither name is a gene; --gold-header yes|no overrides)"
        raise DataError(gold_standard, f"names {len(unknown)} gene(s) not in {origin}, e.g. {', '.join(unknown[:5])}; "
                                       f"use the same gene IDs in both files{hint}")
    tf_list = read_gene_list(tfs, gene_set) if tfs else list(dict.fromkeys(r for r, _ in edges))
    missing = [t for t in tf_list if t not in gene_set]
    if missing:
        raise DataError(tfs or gold_standard, f"{len(missing)} TF(s) not in {origin}, e.g. {', '.join(missing[:5])}")
    steady = [read_steady_state(f, genes) for f in steady_state]
    return Dataset(
        name=name, genes=tuple(genes), expression=np.ascontiguousarray(values[:, layout.order]),
        times=layout.times, series=layout.series, tfs=tuple(tf_list), gold_standard=frozenset(edges),
        steady_state=np.hstack(steady) if steady else None,
        source=source, licence="user data", description=f"user data: {layout.describe()}", origin=origin,
    )


def load_table_dataset(expression: str | Path, gold_standard: str | Path,
                       tfs: str | Path | None = None, name: str | None = None, *,
                       samples: str | Path | None = None, gold_header: bool | None = None,
                       obs_keys: ObsKeys | None = None, steady_state: Sequence[str | Path] = ()) -> Dataset:
    """A dataset from an expression file, an edge list, an optional TF list and sample sheet.

    ``expression`` is a genes × samples table (CSV/TSV/xlsx, optionally compressed) or an
    AnnData ``.h5ad`` file (samples × genes, see ``anndata_reader``). Without a sample sheet,
    the samples form one series whose times are the numeric column names.
    """
    if Path(expression).suffix.lower() == ".h5ad":
        from .anndata_reader import read_h5ad

        matrix, layout = read_h5ad(expression, obs_keys or ObsKeys(), samples)
    else:
        matrix = read_expression_matrix(expression)
        layout = (layout_from_sheet(matrix.samples, samples, expression) if samples
                  else layout_from_names(matrix.samples, expression))
    files = ", ".join(str(f) for f in (expression, gold_standard, samples) if f)
    return build_dataset(matrix.genes, matrix.values, layout, gold_standard, tfs,
                         name or dataset_name(expression), f"user files {files}", str(expression),
                         gold_header, steady_state=steady_state)
