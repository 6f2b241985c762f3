"""maize1 and maize2, built as the PSGRN paper builds maize-1 and maize-2.

Sources (public, too large to ship; users import them with
``grnbench datasets import maize --expression FILE --grn FILE``):

* expression: Yi et al. 2019, Plant Cell 31:974, "High temporal-resolution transcriptome
  landscape of early maize seed development", BioProject PRJNA505095: FPKM of 22,790 genes ×
  107 time points (nucellus incl. embryo sac, inbred B73);
* gold standard: Tu et al. 2020, Nat Commun 11:5089, "Reconstructing the maize leaf regulatory
  network using ChIP-seq data of 104 transcription factors", BioProject PRJNA518749: 272,627
  TF→target relationships with p-values.

Construction (PSGRN paper, Fig. 1 and Methods; our reading where it is silent is marked *):

1. keep genes whose mean expression over the time points is ≥ 1.0 (FPKM);
2. keep relationships with p ≤ 0.01 whose TF and target are both kept genes (* a relationship
   of a gene without expression cannot be used); a (TF, target) listed twice keeps its
   smallest p (*); sort by ascending p, ties in file order (*);
3. maize1 = the genes (TFs and targets) of the top 500 relationships, maize2 = of the top 1000;
4. TFs = the ChIP-seq TFs (every regulator of the GRN table) among those genes (*);
5. candidate pairs = every (TF, gene) of the dataset with TF ≠ gene (the edge universe);
   label 1 when the relationship has p ≤ 0.01 anywhere in the filtered GRN table (*: not
   only in the top 500 — that is how the paper's maize-1 reaches 9,690 positives out of 500
   selecting relationships), else 0.

Arithmetic check against the paper's maize-1 (51,106 pairs, 9,690 positives): 51,106 =
2·11·23·101. Top-500 relationships give at most 500 targets + 104 TFs = 604 genes and at
most 104 TFs, and pairs = TFs × (genes − 1); the only factorisation in range is 101 TFs ×
506, i.e. 507 genes of which 101 are (expressed) ChIP-seq TFs — consistent with step 4 and
with 101 of the 104 TFs passing the expression filter. 9,690 / 51,106 = 19.0% positives
means each gene is bound by ~19 of the 101 TFs at p ≤ 0.01, far more than 500 top edges
could give (500 / 51,106 = 1%), hence the whole-table labelling of step 5.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from grnbench.data.dataset import Dataset
from grnbench.data.universe import dataset_summary
from grnbench.errors import DataError, UserError

from .files import numeric_block, read_table
from .store import ensure_dir, user_data_dir

MEAN_EXPRESSION_MIN = 1.0
P_MAX = 0.01
TOP_RELATIONSHIPS = {"maize1": 500, "maize2": 1000}
#: bump when the construction changes, so imports made by an older version are redone
CONSTRUCTION_VERSION = 1
#: fewer than this fraction of the GRN's genes found in the expression file = ID mismatch
MIN_ID_OVERLAP = 0.10

SOURCE = ("expression: Yi et al. 2019 Plant Cell 31:974, BioProject PRJNA505095 (FPKM, 107 time points); "
          "gold standard: Tu et al. 2020 Nat Commun 11:5089, BioProject PRJNA518749 (ChIP-seq of 104 TFs)")
LICENCE = ("public NCBI data (BioProjects PRJNA505095, PRJNA518749); cite Yi et al. 2019 and Tu et al. 2020; "
           "imported by the user, not redistributed")

HOW_TO_GET = (
    "get (1) the FPKM expression matrix of Yi et al. 2019, Plant Cell 31:974 'High temporal-resolution "
    "transcriptome landscape of early maize seed development' (BioProject PRJNA505095; 22,790 genes × "
    "107 time points) and (2) the TF→target table with p-values of Tu et al. 2020, Nat Commun 11:5089 "
    "'Reconstructing the maize leaf regulatory network using ChIP-seq data of 104 transcription factors' "
    "(BioProject PRJNA518749; 272,627 relationships), then run: "
    "grnbench datasets import maize --expression FILE --grn FILE"
)


def maize_dir(data_dir: Path | None = None) -> Path:
    return (data_dir or user_data_dir()) / "maize"


def maize_unavailable(name: str) -> str | None:
    """None when ``name`` has been imported, else the one-line instruction to import it."""
    info = maize_dir() / name / "info.json"
    if not info.is_file():
        return f"{name} is not imported yet (looked in {info.parent}): {HOW_TO_GET}"
    try:
        version = json.loads(info.read_text()).get("construction_version")
    except (OSError, ValueError):
        version = None
    if version != CONSTRUCTION_VERSION:
        return (f"{name} in {info.parent} was imported by another grnbench version; import it again: "
                "grnbench datasets import maize --expression FILE --grn FILE")
    return None


# ---------------------------------------------------------------------------------------------
# reading the two source tables

_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


def _sample_times(names: list[str]) -> np.ndarray | None:
    """Times from column names holding exactly one number each ('0', '2h', 'HAP_4'), if distinct."""
    times = []
    for name in names:
        found = _NUMBER.findall(str(name))
        if len(found) != 1:
            return None
        times.append(float(found[0]))
    return np.array(times) if len(set(times)) == len(times) else None


def read_maize_expression(path: str | Path) -> tuple[list[str], np.ndarray, np.ndarray, list[str]]:
    """FPKM matrix: first column gene IDs, one column per time point.

    Returns genes, values (genes × time points), times and sample names. When every sample
    name holds one number (``0``, ``2h``, ``HAP4``…) the columns are ordered by it; otherwise
    they stay in file order, times 0, 1, 2….
    """
    frame = read_table(path)
    if frame.shape[1] < 3:
        raise DataError(path, "expected a first column of gene IDs and one column per time point (at least 2)")
    ids = frame.iloc[:, 0]
    if ids.isna().any():
        row = int(np.flatnonzero(ids.isna().to_numpy())[0])
        raise DataError(path, f"missing gene ID on data row {row + 1}; every row needs a gene ID in the first column")
    genes = ids.astype(str).str.strip().tolist()
    if len(set(genes)) != len(genes):
        dup = pd.Series(genes)[pd.Series(genes).duplicated()].iloc[0]
        raise DataError(path, f"gene ID {dup} appears more than once; each gene must have one row")
    block = frame.iloc[:, 1:]
    raw_missing = block.isna().to_numpy()
    if raw_missing.any():
        r, c = np.argwhere(raw_missing)[0]
        raise DataError(path, f"missing expression value at gene {genes[r]}, column {block.columns[c]}; "
                              "the FPKM matrix must be complete")
    values = numeric_block(block, path, genes)
    if (values < 0).any():
        r, c = np.argwhere(values < 0)[0]
        raise DataError(path, f"negative expression {values[r, c]:g} at gene {genes[r]}, column {block.columns[c]}; "
                              "give FPKM values (not log-transformed): the mean ≥ 1.0 filter is on FPKM")
    names = [str(c).strip() for c in block.columns]
    times = _sample_times(names)
    if times is None:
        times = np.arange(len(names), dtype=float)
    else:
        order = np.argsort(times, kind="stable")
        values, times, names = values[:, order], times[order], [names[i] for i in order]
    return genes, values, times, names


def _norm(name: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _find_columns(columns: list[str]) -> tuple[int, int, int] | None:
    norm = [_norm(c) for c in columns]

    def first(test) -> int | None:
        return next((i for i, n in enumerate(norm) if test(n)), None)

    tf = first(lambda n: n in {"tf", "tfid", "tfgene", "tfname", "regulator", "source", "factor", "from"}
               or n.startswith(("regulator", "tfgene", "tfid")))
    target = first(lambda n: n in {"target", "targetgene", "targetid", "gene", "geneid", "to"}
                   or n.startswith("target"))
    pval = first(lambda n: "log" not in n and (n in {"p", "pval", "pvalue", "pvalues"}
                                              or n.startswith(("pval", "pvalue"))))
    if None in (tf, target, pval) or len({tf, target, pval}) < 3:
        return None
    return tf, target, pval


def read_grn_table(path: str | Path) -> pd.DataFrame:
    """TF / target / p-value table → DataFrame(tf, target, p) in file order.

    Columns are found by header name (TF|regulator|source…, target|gene…, p|pvalue|pval…);
    a table of exactly three columns is read as TF, target, p-value in that order, with or
    without a header row.
    """
    frame = read_table(path)
    cols = _find_columns([str(c) for c in frame.columns])
    if cols is None:
        if frame.shape[1] != 3:
            raise DataError(path, f"cannot find the TF, target and p-value columns among {', '.join(map(str, frame.columns))}; "
                                  "name them TF, target and p-value (or give exactly these three columns)")
        header_is_data = pd.to_numeric(pd.Series([frame.columns[2]]), errors="coerce").notna().iloc[0]
        if header_is_data:
            frame = read_table(path, header=False)
        cols = (0, 1, 2)
    tf_col, target_col, p_col = (frame.iloc[:, i] for i in cols)
    for series, what in ((tf_col, "TF"), (target_col, "target")):
        if series.isna().any():
            row = int(np.flatnonzero(series.isna().to_numpy())[0])
            raise DataError(path, f"missing {what} ID on data row {row + 1}; every relationship needs a TF and a target")
    tfs = tf_col.astype(str).str.strip()
    targets = target_col.astype(str).str.strip()
    if p_col.isna().any() or (p_col.astype(str).str.strip() == "").any():
        row = int(np.flatnonzero((p_col.isna() | (p_col.astype(str).str.strip() == "")).to_numpy())[0])
        raise DataError(path, f"missing p-value on data row {row + 1} ({tfs.iloc[row]} → {targets.iloc[row]}); "
                              "every relationship needs a p-value")
    p = pd.to_numeric(p_col.astype(str).str.strip(), errors="coerce")
    if p.isna().any():
        row = int(np.flatnonzero(p.isna().to_numpy())[0])
        raise DataError(path, f"non-numeric p-value {p_col.iloc[row]!r} on data row {row + 1} "
                              f"({tfs.iloc[row]} → {targets.iloc[row]}); p-values must be numbers")
    bad = (p < 0) | (p > 1)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(path, f"p-value {p.iloc[row]:g} on data row {row + 1} is outside [0, 1]; "
                              "give raw p-values (not -log10 p or q-scores)")
    if frame.empty:
        raise DataError(path, "the table has no relationships")
    return pd.DataFrame({"tf": tfs.to_numpy(), "target": targets.to_numpy(), "p": p.to_numpy(dtype=float)})


# ---------------------------------------------------------------------------------------------
# the construction

@dataclass(frozen=True)
class MaizeBuild:
    dataset: Dataset
    top: int
    relationships_used: int      # relationships actually in the top list (≤ top)
    positives_p: dict[tuple[str, str], float]  # p-value of each positive pair
    stats: dict[str, int]


def filtered_relationships(genes: list[str], values: np.ndarray, grn: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Steps 1–2: expressed genes, p ≤ 0.01 relationships between them, ascending p (stable)."""
    expressed = {g for g, m in zip(genes, values.mean(axis=1), strict=True) if m >= MEAN_EXPRESSION_MIN}
    sig = grn[grn["p"] <= P_MAX]
    both = sig[sig["tf"].isin(expressed) & sig["target"].isin(expressed)]
    both = both.sort_values("p", kind="mergesort")
    both = both.drop_duplicates(["tf", "target"], keep="first").reset_index(drop=True)
    stats = {
        "genes_in_expression": len(genes),
        "genes_expressed": len(expressed),
        "relationships_in_table": len(grn),
        "relationships_p_le_0.01": len(sig),
        "relationships_kept": len(both),
        "chipseq_tfs": int(grn["tf"].nunique()),
        "chipseq_tfs_expressed": len(set(grn["tf"]) & expressed),
    }
    return both, stats


def build_maize(name: str, top: int, genes: list[str], values: np.ndarray, times: np.ndarray,
                grn: pd.DataFrame, origin: str = "") -> MaizeBuild:
    """Steps 1–5 for one dataset (``top`` = 500 for maize1, 1000 for maize2)."""
    kept, stats = filtered_relationships(genes, values, grn)
    if kept.empty:
        raise UserError(f"no relationship with p ≤ {P_MAX} links two genes of mean expression ≥ "
                        f"{MEAN_EXPRESSION_MIN}; check that the expression file holds FPKM values")
    head = kept.iloc[:top]
    chosen = set(head["tf"]) | set(head["target"])
    row = {g: i for i, g in enumerate(genes)}
    ds_genes = sorted(chosen)
    chipseq_tfs = set(grn["tf"])
    ds_tfs = tuple(g for g in ds_genes if g in chipseq_tfs)
    in_set = kept[kept["tf"].isin(chosen) & kept["target"].isin(chosen) & (kept["tf"] != kept["target"])]
    positives = {(t, g): float(p) for t, g, p in zip(in_set["tf"], in_set["target"], in_set["p"], strict=True)}
    expression = values[[row[g] for g in ds_genes]]
    dataset = Dataset(
        name=name, genes=tuple(ds_genes), expression=expression, times=np.asarray(times, dtype=float),
        series=np.zeros(len(times), dtype=np.int64), tfs=ds_tfs, gold_standard=frozenset(positives),
        source=SOURCE, licence=LICENCE,
        description=(f"PSGRN {name[:-1]}-{name[-1]}: genes of the top {top} ChIP-seq relationships "
                     f"(p ≤ {P_MAX}, mean FPKM ≥ {MEAN_EXPRESSION_MIN}); label 1 = p ≤ {P_MAX} in the GRN table"),
        origin=origin or name,
    )
    return MaizeBuild(dataset, top, len(head), positives, stats)


def _check_id_overlap(expression_path: Path, grn_path: Path, genes: list[str], grn: pd.DataFrame) -> None:
    gene_set = set(genes)
    grn_genes = set(grn["tf"]) | set(grn["target"])
    found = len(grn_genes & gene_set)
    if found < MIN_ID_OVERLAP * len(grn_genes) or not (set(grn["tf"]) & gene_set):
        raise DataError(grn_path, (
            f"gene IDs do not match {expression_path.name}: only {found} of {len(grn_genes)} GRN genes "
            f"and {len(set(grn['tf']) & gene_set)} of {grn['tf'].nunique()} TFs are in the expression file "
            f"(GRN e.g. {', '.join(sorted(grn_genes)[:2])}; expression e.g. {', '.join(genes[:2])}); "
            "both files must use the same gene ID version (e.g. B73 v4 Zm00001d…)"))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def import_maize(expression: str | Path, grn: str | Path, data_dir: Path | None = None) -> list[MaizeBuild]:
    """Validate both files, build maize1 and maize2, store them under ``<data dir>/maize/``."""
    expression, grn_path = Path(expression), Path(grn)
    genes, values, times, samples = read_maize_expression(expression)
    table = read_grn_table(grn_path)
    _check_id_overlap(expression, grn_path, genes, table)
    builds = [build_maize(name, top, genes, values, times, table, origin=str(maize_dir(data_dir) / name))
              for name, top in TOP_RELATIONSHIPS.items()]
    sources = {"expression": {"path": str(expression.resolve()), "sha256": _sha256(expression)},
               "grn": {"path": str(grn_path.resolve()), "sha256": _sha256(grn_path)}}
    for build in builds:
        _store(build, samples, sources, maize_dir(data_dir) / build.dataset.name)
    return builds


def _store(build: MaizeBuild, samples: list[str], sources: dict, folder: Path) -> None:
    ensure_dir(folder)
    ds = build.dataset
    expr = pd.DataFrame(ds.expression, index=pd.Index(ds.genes, name="gene"), columns=samples)
    expr.to_csv(folder / "expression.tsv.gz", sep="\t", float_format="%.10g")
    pd.DataFrame({"time": ds.times, "sample": samples}).to_csv(folder / "times.tsv", sep="\t", index=False)
    (folder / "tfs.txt").write_text("".join(f"{t}\n" for t in ds.tfs))
    gold = sorted(build.positives_p.items(), key=lambda kv: (kv[1], kv[0]))
    pd.DataFrame([(t, g, p) for (t, g), p in gold], columns=["tf", "target", "p"]).to_csv(
        folder / "gold_standard.tsv", sep="\t", index=False, float_format="%.6g")
    summary = dataset_summary(ds)
    info = {
        "name": ds.name, "construction_version": CONSTRUCTION_VERSION,
        "top_relationships": build.top, "top_relationships_available": build.relationships_used,
        "genes": summary["genes"], "tfs": summary["tfs"], "time_points": ds.n_samples,
        "pairs": summary["pairs"], "positives": summary["positives"], "hash": summary["hash"],
        "filters": {"mean_expression_min": MEAN_EXPRESSION_MIN, "p_max": P_MAX}, **build.stats,
        "sources": sources,
    }
    (folder / "info.json").write_text(json.dumps(info, indent=2) + "\n")


def load_maize(name: str, data_dir: Path | None = None) -> Dataset:
    folder = maize_dir(data_dir) / name
    try:
        expr = pd.read_csv(folder / "expression.tsv.gz", sep="\t", index_col=0, keep_default_na=False)
        times = pd.read_csv(folder / "times.tsv", sep="\t")["time"].to_numpy(dtype=float)
        tfs = tuple(line.strip() for line in (folder / "tfs.txt").read_text().splitlines() if line.strip())
        gold = pd.read_csv(folder / "gold_standard.tsv", sep="\t", dtype={"tf": str, "target": str},
                           keep_default_na=False)
    except (OSError, ValueError, KeyError) as exc:
        raise DataError(folder, f"the imported {name} is incomplete or damaged ({exc}); import it again: "
                                "grnbench datasets import maize --expression FILE --grn FILE") from None
    expr.index = expr.index.astype(str)
    return Dataset(
        name=name, genes=tuple(expr.index), expression=expr.to_numpy(dtype=np.float64), times=times,
        series=np.zeros(len(times), dtype=np.int64), tfs=tfs,
        gold_standard=frozenset(zip(gold["tf"], gold["target"], strict=True)),
        source=SOURCE, licence=LICENCE,
        description=(f"PSGRN {name[:-1]}-{name[-1]}: genes of the top {TOP_RELATIONSHIPS[name]} ChIP-seq "
                     f"relationships (p ≤ {P_MAX}, mean FPKM ≥ {MEAN_EXPRESSION_MIN}), imported from the user's files"),
        origin=str(folder),
    )


def import_command(expression: str, grn: str, data_dir: str | None = None) -> int:
    """``grnbench datasets import maize``: build, store and print the Table-1-style figures."""
    base = Path(data_dir).expanduser() if data_dir else None
    builds = import_maize(expression, grn, base)
    stats = builds[0].stats
    print(f"expression: {stats['genes_in_expression']} genes, {stats['genes_expressed']} with mean FPKM ≥ "
          f"{MEAN_EXPRESSION_MIN}; GRN: {stats['relationships_in_table']} relationships, "
          f"{stats['relationships_p_le_0.01']} with p ≤ {P_MAX}, {stats['relationships_kept']} of them between "
          f"expressed genes; {stats['chipseq_tfs_expressed']} of {stats['chipseq_tfs']} ChIP-seq TFs expressed")
    print(f"{'dataset':<8} {'top':>5} {'genes':>6} {'TFs':>5} {'pairs':>8} {'positives':>9}")
    for b in builds:
        s = dataset_summary(b.dataset)
        print(f"{s['name']:<8} {b.relationships_used:>5} {s['genes']:>6} {s['tfs']:>5} {s['pairs']:>8} {s['positives']:>9}")
        if b.relationships_used < b.top:
            print(f"  note: only {b.relationships_used} relationships pass the filters (asked for {b.top})")
    print("(PSGRN paper, maize-1: 51,106 pairs, 9,690 positives, i.e. 101 TFs × 506 other genes)")
    print(f"stored in {maize_dir(base)}/ — use --dataset maize1 or --dataset maize2")
    if base is not None and base.resolve() != user_data_dir().resolve():
        print(f"note: set GRNBENCH_DATA={base} so that --dataset maize1/maize2 finds them there")
    return 0
