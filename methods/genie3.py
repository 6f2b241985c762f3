"""GENIE3 (Huynh-Thu et al. 2010, PLoS ONE 5:e12776): one random forest per target gene.

Edge score r → t is the impurity importance of regulator r in the forest that predicts t from
all candidate regulators except t. The forests are arboreto's (``RF_KWARGS``: 1000 trees,
``max_features='sqrt'``, ``n_jobs=1``, sklearn defaults otherwise), fitted per target through
``arboreto.core`` and scheduled on Dask by ``grnbench.per_target``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from grnbench import per_target
from grnbench.api import Allowed, Deviation, Method, Reference, TrainingData, at_least, one_of
from grnbench.data.dataset import Dataset
from grnbench.data.universe import PairSet
from grnbench.errors import UserError

from . import _arboreto
from ._arboreto import RF_KWARGS

VARIANTS = ("arboreto", "genie3py")


#: what ``max_features`` accepts (sklearn's rule, with GENIE3's 'all')
MAX_FEATURES_TEXT = "sqrt, log2, all, a whole number of regulators >= 1 or a fraction > 0 and <= 1"


def parse_max_features(value: Any) -> Any:
    """sklearn's ``max_features`` from a parameter that may arrive as a command-line string.

    Checked here rather than left to sklearn, which rejects a bad value only when the first
    forest is fitted. A whole number counts regulators; a fraction up to 1 (``1.0`` = all) is
    sklearn's share of them; a whole float above 1 (``2.0`` from a float default) counts too.
    """
    if value is None:
        return None
    number: Any = None
    if isinstance(value, str):
        if value in ("sqrt", "log2"):
            return value
        if value.lower() in ("all", "none"):
            return None  # GENIE3's K='all' (sklearn >= 1.3 rejects the reference's "auto")
        for kind in (int, float):
            try:
                number = kind(value)
                break
            except ValueError:
                pass
    elif isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        number = value.item() if isinstance(value, np.generic) else value
    if isinstance(number, float) and number > 1 and number.is_integer():
        number = int(number)
    if (isinstance(number, int) and number >= 1) or (isinstance(number, float) and 0 < number <= 1):
        return number
    raise UserError(f"max_features must be {MAX_FEATURES_TEXT}, got {value!r}")


def max_features_ok(value: Any) -> bool:
    """Whether ``parse_max_features`` accepts ``value`` (the ``Allowed`` check of both tree methods)."""
    try:
        parse_max_features(value)
    except UserError:
        return False
    return True


#: the ``Allowed`` declaration of ``max_features`` (GENIE3 and GRNBoost2)
MAX_FEATURES = Allowed(check=max_features_ok, text=MAX_FEATURES_TEXT)


class GENIE3(Method):
    """GENIE3 with arboreto's random forests, one Dask task per target.

    Variant (parameter ``variant``):

    - ``"arboreto"``: exactly ``arboreto.core.infer_partial_network('RF', RF_KWARGS,
      ...)``: raw target, sklearn ``feature_importances_`` (each target's importances **sum to
      1**). This is the GENIE3 of arboreto/pySCENIC, and what ``arboreto.algo.genie3`` returns.
    - ``"genie3py"`` (default, the 2010 method): the conventions of vahuynh's GENIE3.py: the target is divided by its
      standard deviation and importances are the mean of the trees' **un-normalised** impurity
      decreases, so better-explained targets weigh more in the global ranking. The same forest
      (arboreto's ``fit_model``, same seed) is used; only scaling and read-out differ.

    The forests are the same (scaling y leaves every split unchanged); within one target the
    two rankings are close but not identical (arboreto normalises each tree before averaging),
    and across targets they differ.

    Deviations from the references:
    - every target's forest gets the same seed (``per_target.target_seed(seed)``); GENIE3.py
      sets none and arboreto's ``genie3`` defaults to ``seed=None`` (not reproducible);
    - pairs arboreto drops (importance 0) and non-regulator pairs score 0, never missing;
    - a constant target scores 0 for every regulator in ``genie3py`` (GENIE3.py would divide
      by a zero std);
    - the inputs are the dataset's time-series samples treated as independent observations, as
      GENIE3 does; ``steady_state=True`` appends the steady-state conditions as more samples;
    - ``max_features='all'`` means sklearn ``None`` (GENIE3.py passes ``"auto"``, rejected by
      sklearn >= 1.3).
    """

    name = "genie3"
    uses_dask = True  # per-target fits go to the runner's Dask client
    description = "GENIE3: per-target random forests (arboreto), scheduled on Dask"
    min_time_points = 1
    parameters: ClassVar[dict[str, Any]] = {
        "n_estimators": RF_KWARGS["n_estimators"],
        "max_features": RF_KWARGS["max_features"],
        "variant": "genie3py",  # Huynh-Thu et al. 2010 (GENIE3.py); "arboreto" is pySCENIC's
        "steady_state": False,
    }
    reference_source = "Huynh-Thu et al. 2010, PLoS ONE 5:e12776; code vahuynh/GENIE3 (GENIE3_python/GENIE3.py)"
    references: ClassVar[dict[str, Reference]] = {
        "n_estimators": Reference(1000, "GENIE3.py:162 GENIE3(..., ntrees=1000)"),
        "max_features": Reference("sqrt", "GENIE3.py:162 GENIE3(..., K='sqrt')"),
        "variant": Reference("genie3py", "GENIE3.py:309 output / std(output); :9-13 un-normalised tree importances"),
    }
    deviations: ClassVar[tuple[Deviation, ...]] = (
        Deviation("seed", "none set (GENIE3.py), seed=None (arboreto algo.py:49)",
                  "every target's forest seeded from the task's seed", "reproducible scores"),
        Deviation("max_features", "K='all' passes 'auto'", "'all' means sklearn None",
                  "sklearn >= 1.3 rejects 'auto'"),
    )
    allowed: ClassVar[dict[str, Allowed]] = {"n_estimators": at_least(1), "max_features": MAX_FEATURES,
                                             "variant": one_of(*VARIANTS)}
    quick_parameters: ClassVar[dict[str, Any]] = {"n_estimators": 50}  # a twentieth of the trees
    test_parameters: ClassVar[dict[str, Any]] = {"n_estimators": 30}

    def skip(self, dataset: Dataset) -> str | None:
        if dataset.n_samples < 2:
            return f"{self.name} needs at least 2 samples to fit a forest; {dataset.name} has {dataset.n_samples}"
        if dataset.n_genes < 2:
            return f"{self.name} needs at least 2 genes"
        return super().skip(dataset)

    def regressor_kwargs(self) -> dict[str, Any]:
        return {**RF_KWARGS, "n_estimators": int(self.params["n_estimators"]),
                "max_features": parse_max_features(self.params["max_features"])}

    def fit(self, data: TrainingData) -> None:
        ds = data.dataset
        shared = _arboreto.build_inputs(ds, "RF", self.regressor_kwargs(),
                                        steady_state=bool(self.params["steady_state"]),
                                        variant=self.params["variant"])
        self._scores = per_target.score_matrix(
            _arboreto.arboreto_target, shared, range(ds.n_genes), ds.n_genes, data.seed,
            client=data.client, n_workers=data.n_threads, progress=data.progress, label=self.name, on_progress=data.on_progress,
        )

    def score_edges(self, pairs: PairSet) -> np.ndarray:
        return self._scores[pairs.regulators, pairs.targets]
