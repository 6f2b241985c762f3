"""Reading tables from files: compression, separators, headers read verbatim, numbers.

The layer under every reader of users' files (``tables``, ``samples``, ``anndata_reader``,
``beeline``, ``maize``): CSV/TSV/xlsx, plain or gzip/bz2/xz/zip-compressed, read as strings;
a file that cannot be read is a one-line ``DataError`` naming it.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import lzma
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from grnbench.data.dataset import validate_matrix
from grnbench.errors import DataError

COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zip": "zip"}


def compression_of(path: Path) -> str | None:
    """pandas' name of the file's compression, from its last suffix (``.tsv.gz`` → gzip)."""
    return COMPRESSIONS.get(path.suffix.lower())


def open_text(path: Path) -> IO[str]:
    """Open a plain or gzip/bz2/xz/zip-compressed table as text (a zip must hold one file)."""
    kind = compression_of(path)
    if kind == "gzip":
        return gzip.open(path, "rt", newline="")
    if kind == "bz2":
        return bz2.open(path, "rt", newline="")
    if kind == "xz":
        return lzma.open(path, "rt", newline="")
    if kind == "zip":
        archive = zipfile.ZipFile(path)
        members = [m for m in archive.namelist() if not m.endswith("/")]
        if len(members) != 1:
            raise DataError(path, f"a zipped table must hold exactly one file, found {len(members)}")
        return io.TextIOWrapper(archive.open(members[0]), newline="")
    return path.open(newline="")


def _separator(first_line: str) -> str:
    return "\t" if "\t" in first_line else "," if "," in first_line else r"\s+"


def read_table(path: str | Path, header: bool = True, skip_rows: int = 0) -> pd.DataFrame:
    """Read a CSV/TSV/xlsx table as strings; the separator is sniffed from the first line.

    gzip, bz2, xz and zip compression are recognised by the last suffix (``expr.tsv.gz``).
    With ``header=True`` pandas takes the first row as column names and renames duplicates
    (``0`` → ``0.1``): readers that must see duplicate names use ``read_header_and_body``.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "file not found")
    try:
        if path.suffix.lower() in (".xlsx", ".xls"):
            return pd.read_excel(path, header=0 if header else None, dtype=str, keep_default_na=False,
                                 na_values=[""], skiprows=skip_rows)
        with open_text(path) as fh:
            first = fh.readline()
        if not first.strip():
            raise DataError(path, "the file is empty")
        sep = _separator(first)
        # only empty cells are missing: gene IDs such as "NA" or "NULL" are real identifiers
        return pd.read_csv(path, sep=sep, header=0 if header else None, dtype=str, skiprows=skip_rows,
                           keep_default_na=False, na_values=[""], compression=compression_of(path),
                           engine="python" if sep == r"\s+" else "c", quoting=csv.QUOTE_MINIMAL)
    except DataError:
        raise
    except lzma.LZMAError:
        raise DataError(path, "not a valid xz file; decompress it or give the plain table") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError, OSError,
            EOFError, zipfile.BadZipFile) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(path, f"cannot parse as a table ({first_line})") from None


def read_header_and_body(path: str | Path) -> tuple[list[str], pd.DataFrame]:
    """The header row exactly as written (duplicates kept, never renamed) and the data rows.

    A header one field shorter than the data rows (R's ``write.csv`` layout, as in BEELINE's
    files) gets an empty first name, so ``header[k]`` always names column ``k`` of the body.
    """
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xls"):
        raw = read_table(path, header=False)
        return _names(raw.iloc[0]), raw.iloc[1:].reset_index(drop=True)
    if not path.is_file():
        raise DataError(path, "file not found")
    try:
        with open_text(path) as fh:
            first, second = fh.readline(), fh.readline()
    except lzma.LZMAError:
        raise DataError(path, "not a valid xz file; decompress it or give the plain table") from None
    except (OSError, EOFError, UnicodeDecodeError, zipfile.BadZipFile) as exc:
        raise DataError(path, f"cannot read ({type(exc).__name__}: {exc})") from None
    if not first.strip():
        raise DataError(path, "the file is empty")
    header = _split_line(first)
    if second.strip() and len(_split_line(second)) == len(header) + 1:
        return [""] + header, read_table(path, header=False, skip_rows=1)
    raw = read_table(path, header=False)
    return _names(raw.iloc[0]), raw.iloc[1:].reset_index(drop=True)


def _names(row: pd.Series) -> list[str]:
    return ["" if pd.isna(v) else str(v).strip() for v in row]


def _split_line(line: str) -> list[str]:
    sep = _separator(line)
    if sep == r"\s+":
        return line.split()
    return [field.strip() for field in next(csv.reader([line.rstrip("\r\n")], delimiter=sep))]


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


@dataclass(frozen=True)
class ExpressionMatrix:
    """A genes × samples matrix as read, columns in file order, with the sample names."""

    genes: tuple[str, ...]
    values: np.ndarray
    samples: tuple[str, ...]
    path: str
