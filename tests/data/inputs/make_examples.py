"""Regenerate the small example inputs of docs/inputs.md (needs anndata for the .h5ad file).

A toy lagged network: 4 TFs drive 8 targets one step later. Two replicate series of 10 time
points (``replicates/``, also as ``timecourse.h5ad``) and a branching pseudotime process of
two trajectories sharing their first cells (``beeline/``). Run from the repository root:
``python tests/data/inputs/make_examples.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
TFS = [f"TF{i}" for i in range(1, 5)]
TARGETS = [f"g{i}" for i in range(1, 9)]
PARENT = {t: TFS[k % 4] for k, t in enumerate(TARGETS)}
EXTRA = {"g5": "TF2", "g6": "TF3"}  # two targets with a second regulator


def series(rng: np.random.Generator, n: int) -> np.ndarray:
    tf = np.cumsum(rng.normal(size=(4, n + 1)), axis=1) + 5.0
    rows = [tf[:, 1:]]
    for t in TARGETS:
        x = tf[TFS.index(PARENT[t]), :n].copy()
        if t in EXTRA:
            x += 0.5 * tf[TFS.index(EXTRA[t]), :n]
        rows.append(x[None, :] + 0.2 * rng.normal(size=(1, n)))
    return np.vstack(rows)


def gold() -> list[tuple[str, str]]:
    return [(PARENT[t], t) for t in TARGETS] + [(r, t) for t, r in EXTRA.items()]


def main() -> None:
    rng = np.random.default_rng(15)
    genes = TFS + TARGETS
    times = np.arange(0, 100, 10)
    reps = [series(rng, len(times)) for _ in range(2)]
    rep_dir = HERE / "replicates"
    rep_dir.mkdir(exist_ok=True)
    # the header repeats the times (0 … 90, 0 … 90): the sample sheet says which is which
    values = np.round(np.hstack(reps), 4)  # the TSV's 4 decimals: TSV and .h5ad hold the same numbers
    header = "\t".join(["gene"] + [f"{t:g}" for t in times] * 2)
    lines = [header] + ["\t".join([g] + [f"{v:.4f}" for v in row]) for g, row in zip(genes, values, strict=True)]
    (rep_dir / "expression.tsv").write_text("\n".join(lines) + "\n")
    sheet = pd.DataFrame({"sample": [f"{t:g}" for t in times] * 2, "time": list(times) * 2,
                          "series": ["rep1"] * len(times) + ["rep2"] * len(times),
                          "condition": "control", "replicate": [1] * len(times) + [2] * len(times)})
    sheet.to_csv(rep_dir / "samples.csv", index=False)
    # headerless, and the first regulator looks like a header word to a substring rule
    (rep_dir / "gold.tsv").write_text("".join(f"{r}\t{t}\t1\n" for r, t in gold()))
    (rep_dir / "tfs.txt").write_text("\n".join(TFS) + "\n")

    import anndata
    import scipy.sparse as sp

    anndata.settings.allow_write_nullable_strings = True
    obs = pd.DataFrame({"time": np.tile(times, 2).astype(float),
                        "series": pd.Categorical(["rep1"] * len(times) + ["rep2"] * len(times))},
                       index=[f"rep{s}_t{t:g}" for s in (1, 2) for t in times])
    adata = anndata.AnnData(X=sp.csr_matrix(values.T), obs=obs, var=pd.DataFrame(index=genes))
    adata.layers["raw"] = np.round(np.exp(values.T))
    adata.write_h5ad(HERE / "timecourse.h5ad")

    bee = HERE / "beeline"
    bee.mkdir(exist_ok=True)
    trunk = series(rng, 6)
    cells, columns, pt1, pt2 = [], [], [], []
    for k in range(6):  # shared early cells: on both trajectories
        cells.append(f"c{len(cells) + 1}")
        columns.append(trunk[:, k])
        pt1.append(k)
        pt2.append(k)
    for branch in (1, 2):
        block = series(rng, 8)
        for k in range(8):
            cells.append(f"c{len(cells) + 1}")
            columns.append(block[:, k])
            pt1.append(6 + k if branch == 1 else None)
            pt2.append(6 + k if branch == 2 else None)
    expr = pd.DataFrame(np.column_stack(columns), index=genes, columns=cells)
    expr.to_csv(bee / "ExpressionData.csv", float_format="%.4f")
    pt = pd.DataFrame({"PseudoTime1": pt1, "PseudoTime2": pt2}, index=cells)
    # R's write.csv layout, as in BEELINE's own examples: the header has no field for the row names
    text = pt.to_csv(na_rep="NA")
    (bee / "PseudoTime.csv").write_text(text[text.index(",") + 1:])
    pd.DataFrame(gold(), columns=["Gene1", "Gene2"]).assign(Type="+").to_csv(bee / "refNetwork.csv", index=False)


if __name__ == "__main__":
    main()
