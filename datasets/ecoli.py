"""Real E. coli cold-stress time series with the DREAM5 network-3 gold standard (shipped).

``data/ecoli/coldstress.tsv`` is the microarray time course of Jozefczuk et al. 2010 (Mol Syst
Biol 6:364; GEO GSE20305) as prepared for the NonlinearODEs paper (lab319/GRNs_nonlinear_ODEs),
byte-identical: a ``time_points`` column, then 3,959 genes named G1… in the DREAM5 network-3
numbering. Its 24 rows are **three replicate series of 8 time points** (the ``time_points``
column runs 1…8 three times, and consecutive rows correlate except across the two series
boundaries), so the dataset has 3 series × 8 samples; the times are the file's indices 1…8.

``data/ecoli/dream5_network3_goldstandard_positives.tsv`` holds the 2,066 label-1 rows of the
DREAM5 network-3 (E. coli, RegulonDB-based) gold standard, in its original order (the full file
lists all 141 regulators × the 1,080 other genes that take part in an edge, label 0 or 1).
``dream5_gene_ids.tsv`` maps G-numbers to gene symbols. TFs = the gold standard's regulators
that are measured (135 of 141); edges with an unmeasured end are dropped (2,066 → 1,986).

Two datasets:
``ecoli-cold``       genes = the measured genes that the DREAM5 gold standard labels (1,034 of
                     1,081). DREAM5 scored only pairs its gold standard lists; pairs involving
                     the other ~2,900 genes are unknown, not known negatives.
``ecoli-cold-full``  all 3,959 measured genes; pairs with unlisted genes count as negatives.
"""

from __future__ import annotations

from importlib.resources import files

import numpy as np
import pandas as pd

from grnbench.data.dataset import Dataset

SOURCE = ("E. coli cold stress time course, Jozefczuk et al. 2010 Mol Syst Biol 6:364 (GEO GSE20305), "
          "as prepared by lab319/GRNs_nonlinear_ODEs; gold standard DREAM5 network 3 (Marbach et al. 2012, "
          "Nat Methods 9:796; RegulonDB)")
LICENCE = "public GEO data; DREAM5 gold standard free for research use (Synapse syn2787209)"
SERIES = 3
POINTS = 8


def data_dir():
    return files("grnbench.datasets") / "data" / "ecoli"


def load_ecoli(full: bool = False) -> Dataset:
    base = data_dir()
    path = base / "coldstress.tsv"
    frame = pd.read_csv(str(path), sep="\t")
    times = frame["time_points"].to_numpy(dtype=float)
    values = frame.drop(columns="time_points").to_numpy(dtype=np.float64).T
    measured = [str(c) for c in frame.columns if c != "time_points"]
    series = np.repeat(np.arange(SERIES), POINTS)
    gold = pd.read_csv(str(base / "dream5_network3_goldstandard_positives.tsv"), sep="\t", header=None,
                       names=["tf", "target", "label"], dtype={"tf": str, "target": str})
    measured_set = set(measured)
    edges = [(r, t) for r, t in zip(gold["tf"], gold["target"], strict=True)
             if r in measured_set and t in measured_set]
    if full:
        keep = measured
    else:
        listed = set(gold["tf"]) | set(gold["target"])
        keep = [g for g in measured if g in listed]
    row = {g: i for i, g in enumerate(measured)}
    tfs = tuple(dict.fromkeys(r for r in gold["tf"] if r in measured_set))
    name = "ecoli-cold-full" if full else "ecoli-cold"
    genes_note = ("all 3,959 measured genes (pairs with genes outside the gold standard count as negatives)"
                  if full else "the measured genes the DREAM5 gold standard labels (DREAM5 scoring convention)")
    return Dataset(
        name=name, genes=tuple(keep), expression=values[[row[g] for g in keep]], times=times,
        series=series, tfs=tfs, gold_standard=frozenset(edges), source=SOURCE, licence=LICENCE,
        description=(f"real E. coli cold stress, {SERIES} replicate series × {POINTS} time points; {genes_note}; "
                     "TFs = DREAM5 network-3 regulators"),
        origin=str(path),
    )
