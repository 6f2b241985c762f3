"""A user's own input files as one value: what ``grnbench run`` was given instead of ``--dataset``.

The run manifest stores ``UserInputs.files()`` so that ``grnbench evaluate`` and the report
rebuild exactly the same dataset (same sample sheet, header choice, AnnData keys) later.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grnbench.data.dataset import Dataset
from grnbench.errors import UserError

from .samples import ObsKeys


@dataclass(frozen=True)
class UserInputs:
    """Either a BEELINE folder or an expression file with its gold standard, plus options."""

    expression: str | None = None
    gold_standard: str | None = None
    tfs: str | None = None
    samples: str | None = None
    beeline_dir: str | None = None
    gold_header: bool | None = None
    time_key: str | None = None
    series_key: str | None = None
    layer: str | None = None
    #: steady-state tables (knockouts, knockdowns, …), stacked in this order
    steady_state: tuple[str, ...] = ()
    #: the dataset's display name (default: the expression file's or the folder's name)
    name: str | None = None

    def __post_init__(self) -> None:
        if self.beeline_dir:
            if self.expression:
                raise UserError("give either --beeline-dir or --expression, not both")
            if self.samples:
                raise UserError("--samples does not apply to --beeline-dir: the series come from PseudoTime.csv")
        elif not (self.expression and self.gold_standard):
            raise UserError("--expression and --gold-standard go together: give both files")
        is_h5ad = bool(self.expression) and Path(self.expression).suffix.lower() == ".h5ad"
        h5ad_only = [flag for flag, value in (("--time-key", self.time_key), ("--series-key", self.series_key),
                                              ("--layer", self.layer)) if value]
        if h5ad_only and not is_h5ad:
            verb = "applies" if len(h5ad_only) == 1 else "apply"
            raise UserError(f"{' and '.join(h5ad_only)} {verb} only to an .h5ad --expression file")
        if is_h5ad and self.samples and (self.time_key or self.series_key):
            raise UserError("give either --samples or --time-key/--series-key for an .h5ad file, not both")

    def obs_keys(self) -> ObsKeys:
        return ObsKeys(time=self.time_key or "time", series=self.series_key or "series", layer=self.layer,
                       series_required=self.series_key is not None)

    def load(self, name: str | None = None) -> Dataset:
        name = name or self.name
        if self.beeline_dir:
            from .beeline import load_beeline_dir

            return load_beeline_dir(self.beeline_dir, self.tfs, name, self.gold_standard, self.gold_header,
                                    steady_state=self.steady_state)
        from .tables import load_table_dataset

        return load_table_dataset(self.expression, self.gold_standard, self.tfs, name, samples=self.samples,
                                  gold_header=self.gold_header, obs_keys=self.obs_keys(),
                                  steady_state=self.steady_state)

    def tfs_source(self) -> str | None:
        return f"--tfs {self.tfs}" if self.tfs else None

    def files(self) -> dict[str, object]:
        """Absolute paths and options, for the manifest (``from_files`` reads them back)."""
        out: dict[str, object] = {}
        for key in ("expression", "gold_standard", "tfs", "samples", "beeline_dir"):
            value = getattr(self, key)
            if value:
                out[key] = str(Path(value).resolve())
        if self.steady_state:
            out["steady_state"] = [str(Path(f).resolve()) for f in self.steady_state]
        for key in ("gold_header", "time_key", "series_key", "layer", "name"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out

    @classmethod
    def from_files(cls, files: dict[str, object]) -> UserInputs:
        known = {k: v for k, v in files.items() if k in cls.__dataclass_fields__}
        if "steady_state" in known:
            known["steady_state"] = tuple(known["steady_state"])
        return cls(**known)  # type: ignore[arg-type]


def load_user_files(files: dict[str, object], name: str | None = None) -> Dataset:
    """The dataset a run's manifest ``dataset_files`` describes."""
    return UserInputs.from_files(files).load(name)
