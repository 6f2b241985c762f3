"""AnnData ``.h5ad`` files, read with h5py following anndata's on-disk format (≥ 0.7).

Why not ``import anndata``: anndata caps pandas below 3 (and cannot write pandas 3 strings by
default), while grnbench runs on pandas 3; h5py is already installed with TensorFlow/Keras.
The format is small and documented (anndata "on-disk format" spec: ``encoding-type``
attributes on every element), and the tests read files written by anndata itself.

Orientation: AnnData is observations × variables = **samples × genes**; grnbench transposes
it to genes × samples. Genes are the ``var`` index, samples the ``obs`` index. Each sample's
time and series come from ``obs`` columns (default ``time`` and ``series``; ``--time-key``,
``--series-key``), or from a sample sheet keyed by the ``obs`` names (``--samples``). The matrix
is ``X`` or a layer (``--layer NAME``); dense or CSR/CSC sparse, densified.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from grnbench.errors import DataError

from .files import ExpressionMatrix
from .samples import ObsKeys, SampleLayout, layout_from_columns, layout_from_sheet

_SPARSE = {"csr_matrix", "csc_matrix"}


def read_h5ad(path: str | Path, keys: ObsKeys,
              samples: str | Path | None = None) -> tuple[ExpressionMatrix, SampleLayout]:
    """The genes × samples matrix of an ``.h5ad`` file and its series layout."""
    import h5py

    path = Path(path)
    if not path.is_file():
        raise DataError(path, "file not found")
    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise DataError(path, f"not an HDF5/.h5ad file ({exc})") from None
    with handle as h5:
        if "obs" not in h5 or "var" not in h5 or not isinstance(h5["obs"], h5py.Group):
            raise DataError(path, "not an AnnData file written by anndata ≥ 0.7 (no obs/var groups); "
                                  "re-save it with a current anndata: adata.write_h5ad(PATH)")
        obs_names = _index(h5["obs"], path, "obs")
        genes = _index(h5["var"], path, "var")
        if keys.layer is None:
            if "X" not in h5:
                raise DataError(path, "has no X matrix; name a layer with --layer NAME")
            x = _matrix(h5["X"], path, "X")
        else:
            layers = h5.get("layers")
            names = sorted(layers.keys()) if layers is not None else []
            if keys.layer not in names:
                raise DataError(path, f"has no layer {keys.layer!r}; layers: {', '.join(names) or 'none'}")
            x = _matrix(layers[keys.layer], path, f"layers/{keys.layer}")
        if x.shape != (len(obs_names), len(genes)):
            raise DataError(path, f"matrix shape {x.shape} does not match {len(obs_names)} obs × {len(genes)} var")
        if samples:
            layout = layout_from_sheet(obs_names, samples, path)
        else:
            layout = _layout_from_obs(h5["obs"], obs_names, keys, path)
    dups = sorted({g for g in genes if genes.count(g) > 1}) if len(set(genes)) != len(genes) else []
    if dups:
        raise DataError(path, f"duplicated gene names in var: {', '.join(dups[:5])}; make var_names unique "
                              "(adata.var_names_make_unique())")
    values = np.ascontiguousarray(x.T, dtype=np.float64)
    from grnbench.data.dataset import validate_matrix

    validate_matrix(values, str(path), tuple(genes))
    return ExpressionMatrix(tuple(genes), values, tuple(obs_names), str(path)), layout


def _layout_from_obs(obs, obs_names: list[str], keys: ObsKeys, path: Path) -> SampleLayout:
    columns = _column_names(obs)
    if keys.time not in columns:
        raise DataError(path, f"obs has no time column {keys.time!r} (obs columns: {', '.join(columns) or 'none'}); "
                              "name it with --time-key COLUMN or give a sample sheet with --samples FILE")
    raw_times = _column(obs, keys.time, path)
    times = []
    for name, value in zip(obs_names, raw_times, strict=True):
        try:
            t = float(value)
        except (TypeError, ValueError):
            t = float("nan")
        if not np.isfinite(t):
            raise DataError(path, f"obs column {keys.time!r} has {value!r} for sample {name!r}; times must be numbers")
        times.append(t)
    if keys.series in columns:
        series = [str(v) for v in _column(obs, keys.series, path)]
    elif keys.series_required:
        raise DataError(path, f"obs has no series column {keys.series!r} (obs columns: {', '.join(columns)})")
    else:
        series = ["series1"] * len(obs_names)
    hint_where = f"{path} (obs columns {keys.time!r}/{keys.series!r}; name others with --time-key/--series-key)"
    return layout_from_columns(times, series, obs_names, hint_where)


def _attr(node, name: str, default: object = None) -> object:
    value = node.attrs.get(name, default)
    return value.decode() if isinstance(value, bytes) else value


def _column_names(frame) -> list[str]:
    index = _attr(frame, "_index", "_index")
    return [str(k) for k in frame.keys() if k != index and k != "__categories"]


def _index(frame, path: Path, what: str) -> list[str]:
    key = _attr(frame, "_index")
    if key is None or key not in frame:
        raise DataError(path, f"{what} has no index; not an AnnData file written by anndata ≥ 0.7 "
                              "(re-save it with adata.write_h5ad(PATH))")
    return [str(v) for v in _column(frame, key, path)]


def _column(frame, key: str, path: Path) -> list[object]:
    """One dataframe column as Python values, whatever its anndata encoding."""
    import h5py

    node = frame[key]
    kind = _attr(node, "encoding-type", "array")
    if isinstance(node, h5py.Dataset):
        if h5py.check_string_dtype(node.dtype) is not None:
            return list(node.asstr()[()])
        return list(node[()])
    if kind == "categorical":
        categories = _dataset_values(node["categories"])
        codes = node["codes"][()]
        return [categories[c] if c >= 0 else None for c in codes]
    if kind in ("nullable-integer", "nullable-boolean", "nullable-string-array"):
        values = _dataset_values(node["values"])
        mask = node["mask"][()]
        return [None if m else v for v, m in zip(values, mask, strict=True)]
    raise DataError(path, f"cannot read column {key!r} stored as {kind!r}; save it as numbers, strings or categories")


def _dataset_values(node) -> list[object]:
    import h5py

    if h5py.check_string_dtype(node.dtype) is not None:
        return list(node.asstr()[()])
    return list(node[()])


def _matrix(node, path: Path, what: str) -> np.ndarray:
    """A dense or CSR/CSC sparse matrix element as a dense obs × var array."""
    import h5py

    if isinstance(node, h5py.Dataset):
        if node.ndim != 2:
            raise DataError(path, f"{what} is not a 2-D matrix")
        return np.asarray(node[()], dtype=np.float64)
    kind = _attr(node, "encoding-type")
    if kind not in _SPARSE:
        raise DataError(path, f"{what} is stored as {kind!r}; expected a dense array or a CSR/CSC sparse matrix")
    import scipy.sparse as sp

    shape = tuple(int(v) for v in node.attrs["shape"])
    parts = (node["data"][()], node["indices"][()], node["indptr"][()])
    matrix = sp.csr_matrix(parts, shape=shape) if kind == "csr_matrix" else sp.csc_matrix(parts, shape=shape)
    return matrix.toarray().astype(np.float64)
