"""The DREAM4 in-silico networks (Marbach et al. 2010; DREAM4 challenge), shipped with grnbench.

Files are as distributed with the NonlinearODEs reference code: ``_timeseries.tsv`` stacks the
series (21 points each, t = 0, 50, …, 1000; size10 has 5 series, size100 has 10), and the
gold standard lists every ordered pair with a 0/1 label. Every gene may regulate any other
(in-silico networks have no separate TF list), so the TFs are all genes. Knockout and
knockdown steady states are kept as steady-state data for methods that use them (NODE).
"""

from __future__ import annotations

from importlib.resources import files

import numpy as np
import pandas as pd

from grnbench.data.dataset import Dataset

from .tables import read_edge_list

POINTS_PER_SERIES = 21
TIME_STEP = 50.0
SOURCE = ("DREAM4 in-silico challenge (Marbach et al. 2010, PNAS 107:6286; Prill et al. 2010), "
          "files as distributed with lab319/GRNs_nonlinear_ODEs")
LICENCE = "DREAM challenge data, free for research use (Synapse syn3049712)"
NETWORKS = [(10, k) for k in range(1, 6)] + [(100, k) for k in range(1, 4)]


def data_dir():
    return files("grnbench.datasets") / "data" / "dream4"


def load_dream4(size: int, network: int) -> Dataset:
    base = data_dir()
    prefix = f"insilico_size{size}_{network}"
    ts_path = base / f"{prefix}_timeseries.tsv"
    frame = pd.read_csv(str(ts_path), sep="\t")
    genes = tuple(c.strip('"') for c in frame.columns)
    values = frame.to_numpy(dtype=np.float64).T
    n_series = values.shape[1] // POINTS_PER_SERIES
    times = np.tile(np.arange(POINTS_PER_SERIES) * TIME_STEP, n_series)
    series = np.repeat(np.arange(n_series), POINTS_PER_SERIES)
    steady = []
    for kind in ("knockouts", "knockdowns"):
        path = base / f"{prefix}_{kind}.tsv"
        if path.is_file():
            steady.append(pd.read_csv(str(path), sep="\t").to_numpy(dtype=np.float64).T)
    gold = read_edge_list(str(base / f"{prefix}_goldstandard.tsv"))
    return Dataset(
        name=f"dream4-{size}-{network}", genes=genes, expression=values, times=times, series=series,
        tfs=genes, gold_standard=frozenset(gold),
        steady_state=np.hstack(steady) if steady else None, source=SOURCE, licence=LICENCE,
        description=f"DREAM4 in-silico size {size} network {network}: {n_series} time series × {POINTS_PER_SERIES} points",
        origin=str(ts_path),
    )
