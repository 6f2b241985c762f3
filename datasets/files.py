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


#: the first bytes of each compression ``open_text`` reads, and the suffix that names it
MAGIC = {b"\x1f\x8b": ("gzip", ".gz"), b"BZh": ("bz2", ".bz2"), b"\xfd7zXZ\x00": ("xz", ".xz"),
         b"PK\x03\x04": ("zip", ".zip")}
#: an .xlsx workbook is a zip archive; an .xls one an OLE2 compound file
WORKBOOK_MAGIC = {".xlsx": b"PK\x03\x04", ".xls": b"\xd0\xcf\x11\xe0"}


def check_content_matches_name(path: Path) -> None:
    """A file whose content its name misrepresents is one line that says how to name it:
    compressed bytes under a plain name (``expr.tsv`` holding gzip) would otherwise be a
    UnicodeDecodeError, and a text file named .xlsx pandas' "specify an engine manually"."""
    try:
        with path.open("rb") as fh:
            start = fh.read(8)
    except OSError:
        return  # the reader's own error names it
    suffix = path.suffix.lower()
    if suffix in WORKBOOK_MAGIC:
        if not start.startswith(WORKBOOK_MAGIC[suffix]):
            raise DataError(path, f"not an Excel workbook although named {suffix}; give a text table its own "
                                  f"suffix (.tsv or .csv), or save the table from Excel as {suffix}")
        return
    named = compression_of(path)
    if named is not None:
        magic = next(m for m, (kind, _) in MAGIC.items() if kind == named)
        if start and not start.startswith(magic):
            raise DataError(path, f"not {named}-compressed although named {path.suffix}; drop {path.suffix} "
                                  f"from its name (or compress it)")
        return
    for magic, (kind, ending) in MAGIC.items():
        if start.startswith(magic):
            raise DataError(path, f"looks {kind}-compressed: name it {path.name}{ending} (or decompress it)")


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
    check_content_matches_name(path)
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
    check_content_matches_name(path)
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
