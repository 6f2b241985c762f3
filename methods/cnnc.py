"""CNNC (Yuan & Bar-Joseph, PNAS 2019): a CNN over the joint-expression histogram of a pair.

Feature construction (vectorised and per-pair loop) and the ``CNNC`` plugin; the class
docstring gives the reference, the settings and every deviation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grnbench.api import (
    Allowed,
    Deviation,
    Reference,
    TrainingData,
    at_least,
    dropout,
    one_of,
)
from grnbench.data.dataset import Dataset
from grnbench.data.universe import PairSet
from grnbench.deep import SGD_TRAINING_ALLOWED, KerasPairClassifier
from grnbench.errors import UserError

#: smallest histogram side that survives three (conv 'valid' + 2×2 pool) blocks
MIN_BINS = 22
#: pair × sample entries per chunk when building images
_CHUNK_ENTRIES = 65_536


#: the ``log`` parameter of CNNC and DGRNS (``log_expression``)
LOG_MODES = ("auto", "yes", "no")


def log_expression(expression: np.ndarray, mode: str = "auto") -> np.ndarray:
    """The reference's log10(x + 0.01), skipped (``auto``) when values are negative."""
    mode = str(mode).lower()
    if mode not in LOG_MODES:
        raise UserError(f"log must be one of {', '.join(LOG_MODES)}, got {mode!r}")
    x = np.asarray(expression, dtype=np.float64)
    if mode == "no" or (mode == "auto" and x.min() < 0):
        return x
    if x.min() <= -0.01:
        raise UserError("log=yes needs every value > -0.01 (log10(x + 0.01) is undefined otherwise)")
    return np.log10(x + 0.01)


def gene_bins(values: np.ndarray, bins: int) -> np.ndarray:
    """Bin index of every sample of every gene, as ``numpy.histogram2d`` assigns them.

    Edges are ``linspace(min, max, bins + 1)`` per gene (min ± 0.5 for a constant gene);
    a value goes to ``searchsorted(edges, v, 'right') - 1`` and the maximum to the last bin.
    """
    values = np.asarray(values, dtype=np.float64)
    lo = values.min(axis=1)
    hi = values.max(axis=1)
    flat = lo == hi
    lo = np.where(flat, lo - 0.5, lo)
    hi = np.where(flat, hi + 0.5, hi)
    out = np.empty(values.shape, dtype=np.int64)
    for g in range(values.shape[0]):
        edges = np.linspace(lo[g], hi[g], bins + 1)
        idx = np.searchsorted(edges, values[g], side="right")
        idx[values[g] == edges[-1]] -= 1
        out[g] = idx - 1
    return out


def nepdf_images(values: np.ndarray, regulators: np.ndarray, targets: np.ndarray,
                 bins: int = 32) -> np.ndarray:
    """Normalised joint histograms of many pairs at once: (pairs, bins, bins, 1) float32.

    ``values`` is the (already log-transformed) genes × samples matrix. Rows of each image
    are target bins, columns TF bins; value (log10(H / N + 1e-4) + 4) / 4 with N samples.
    """
    regulators = np.asarray(regulators, dtype=np.int64)
    targets = np.asarray(targets, dtype=np.int64)
    n_samples = values.shape[1]
    binned = gene_bins(values, bins)
    cells = bins * bins
    # counts are integers 0..N, so the normalisation is a table look-up
    table = _normalise(np.arange(n_samples + 1), n_samples).astype(np.float32)
    out = np.empty((len(regulators), bins, bins, 1), dtype=np.float32)
    # small chunks keep bincount's dense output in cache (10× faster than one big call)
    step = max(16, _CHUNK_ENTRIES // max(1, n_samples))
    for start in range(0, len(regulators), step):
        reg = regulators[start:start + step]
        tgt = targets[start:start + step]
        offset = np.arange(len(reg), dtype=np.int64)[:, None] * cells
        flat = offset + binned[tgt] * bins + binned[reg]
        counts = np.bincount(flat.ravel(), minlength=len(reg) * cells)
        out[start:start + step, :, :, 0] = table[counts].reshape(len(reg), bins, bins)
    return out


def _normalise(counts: np.ndarray, n_samples: int) -> np.ndarray:
    return (np.log10(counts / float(n_samples) + 1e-4) + 4.0) / 4.0


class CNNC(KerasPairClassifier):
    """CNNC as a grnbench method.

    Reference: ``xiaoyeye/CNNC`` (HEAD f502cf6), the TF–target two-label script
    ``train_with_labels_three_foldx_3fold_TF_two_labels.py`` for the training settings and
    ``get_xy_label_data_cnn_combine_from_database.py`` for the images. The spec we follow is in
    ``design/METHODS-reference-notes.md`` §4 and §7.

    Features (the "NEPDF" image of a TF → target pair):
    1. every value becomes log10(x + 0.01);
    2. a 32 × 32 histogram of (TF, target) over all samples, with each gene's bin edges spanning
       that gene's own min..max (``numpy.histogram2d(x_tf, x_target, bins=32)``);
    3. transposed, so rows are target bins and columns TF bins;
    4. value = (log10(H / N + 1e-4) + 4) / 4.
    Because the bin edges of a pair depend only on each gene's own range, every gene's bin index
    per sample is computed once; a pair's histogram is then a ``bincount`` of
    ``target_bin · 32 + tf_bin``, done for thousands of pairs in one call (``nepdf_images``).
    It is identical to ``numpy.histogram2d`` per pair (``tests/reference_loops.py``, kept for tests
    and the speed benchmark).

    Model: three blocks of Conv2D (32/64/128, 3×3 'same') → Conv2D (3×3 'valid') → MaxPool 2×2 →
    Dropout; Flatten → Dense 512 ReLU → Dropout 0.5 → Dense 1 sigmoid. SGD (lr 0.02, Keras 2
    decay 1e-6 per batch, momentum 0.9, Nesterov), binary cross-entropy, batch 1024, up to 200
    epochs, as the two-label script. The score is the sigmoid probability.

    Deviations from the reference (also listed in the README):
    - N is the real number of samples, not the hard-coded 43,261 cells of the authors' atlas.
    - ``log="auto"`` applies log10(x + 0.01) only when no value is negative; data that already
      contain negative values (log-scaled, standardised) are binned as given, since the
      logarithm is undefined there. ``log="yes"`` / ``"no"`` force either way.
    - All samples of all series feed the histogram (CNNC ignores time); steady-state data are
      not used.
    - Imbalance: the reference trains on supplied label lists with about one negative per
      positive, unweighted; grnbench draws one random negative per positive from its training
      and validation parts (``balance="subsample"``, seeded). ``class_weight`` (every pair,
      balanced weights) is grnbench's alternative.
    - Validation is grnbench's validation part (not Keras ``validation_split``'s last 20%). The
      two-label TF script's EarlyStopping has patience 200 over 200 epochs and never fires, and
      it predicts with the last weights (``selection="reference"``, ``patience=0``); by default
      grnbench keeps the epoch with the best validation AUPR (``selection="shared"``).
    - Conv-block dropout 0.5, as the two-label script (the generic script uses 0.25).
    """

    name = "cnnc"
    supervised = True
    description = "CNNC (Yuan & Bar-Joseph 2019): CNN on the joint-expression histogram of each pair"
    min_time_points = 1
    parameters: dict[str, Any] = {
        "bins": 32,
        "log": "auto",
        "filters": 32,            # first block; the next two double it (32/64/128)
        "dense_units": 512,
        "conv_dropout": 0.5,
        "dense_dropout": 0.5,
        "learning_rate": 0.02,
        "decay": 1e-6,
        "momentum": 0.9,
        "epochs": 200,
        "batch_size": 1024,
        "patience": 0,            # the TF script's patience 200 equals its epochs: never fires
        "restore_best": False,
        "balance": "subsample",   # ≈1:1 negatives, as the reference's label lists
        "selection": "shared",    # grnbench's one rule; "reference": last-epoch weights
    }
    reference_source = ("Yuan & Bar-Joseph 2019, PNAS 116:27151; code xiaoyeye/CNNC "
                        "(train_new_model/train_with_labels_three_foldx_3fold_TF_two_labels.py, the TF script)")
    references = {
        "epochs": Reference(200, "TF script:27 epochs = 200"),
        "batch_size": Reference(1024, "TF script:25 batch_size = 1024"),
        "learning_rate": Reference(0.02, "TF script:118 SGD(lr=0.02, decay=1e-6, momentum=0.9, nesterov=True)"),
        "decay": Reference(1e-6, "TF script:118"),
        "momentum": Reference(0.9, "TF script:118"),
        "patience": Reference(0, "TF script:126 EarlyStopping(monitor='val_acc', patience=200) over 200 epochs: "
                                 "never fires"),
        "restore_best": Reference(False, "TF script:134-148 predicts with the model after the last epoch"),
        "conv_dropout": Reference(0.5, "TF script:93-107 Dropout(0.5) after each conv block"),
        "balance": Reference("subsample", "TF script: trains on the supplied label lists, about one negative per "
                                          "positive, no class_weight (134-137)"),
        "selection": Reference("reference", "TF script:134-148 last-epoch weights"),
    }
    deviations = (
        Deviation("selection", "last-epoch weights after 200 epochs",
                  "the epoch with the best validation AUPR, restored (selection=shared)",
                  "one model-selection rule for every deep method; selection=reference restores the authors' rule",
                  "dream4-100-1, 30-epoch cap, 3 seeds: test AUPR 0.024 ± 0.008 shared vs 0.031 ± 0.003 authors' rule (benchmarks/results/selection_and_reference_dream4-100-1.json)"),
        Deviation("balance", "supplied ≈1:1 label lists", "one random negative per positive drawn from grnbench's "
                  "training and validation parts (seeded)", "grnbench's parts keep the gold standard's positive rate"),
        Deviation("validation", "Keras validation_split=0.2: the last 20% of the training lists",
                  "grnbench's validation part", "every method is validated on the same pairs"),
        Deviation("log", "log10(x + 0.01) before the histogram (get_xy_label_data_cnn_combine_from_database.py:124)",
                  "skipped for data with negative values (log=auto)",
                  "the logarithm is undefined there"),
    )
    allowed: dict[str, Allowed] = {
        "bins": at_least(MIN_BINS), "log": one_of(*LOG_MODES), "filters": at_least(1), "dense_units": at_least(1),
        "conv_dropout": dropout(), "dense_dropout": dropout(), **SGD_TRAINING_ALLOWED,
    }
    quick_parameters = {"epochs": 2, "patience": 2}
    #: a whole epoch on maize2-sim, 1 thread, validation scoring included
    #: (benchmarks/fit_cost_constants.py → benchmarks/results/cost_constants.json)
    cpu_s_per_pair_epoch = 1.68e-3

    test_parameters = {"filters": 4, "dense_units": 16, "epochs": 1, "batch_size": 256}

    def skip(self, dataset: Dataset) -> str | None:
        if dataset.n_samples < 2:
            return f"cnnc needs at least 2 samples for a histogram; {dataset.name} has {dataset.n_samples}"
        return None

    def build_model(self, keras):
        p = self.params
        layers = keras.layers
        model = keras.Sequential([keras.Input((p["bins"], p["bins"], 1))])
        for block in range(3):
            filters = int(p["filters"]) * 2 ** block
            model.add(layers.Conv2D(filters, 3, padding="same", activation="relu"))
            model.add(layers.Conv2D(filters, 3, padding="valid", activation="relu"))
            model.add(layers.MaxPooling2D(2))
            model.add(layers.Dropout(float(p["conv_dropout"])))
        model.add(layers.Flatten())
        model.add(layers.Dense(int(p["dense_units"]), activation="relu"))
        model.add(layers.Dropout(float(p["dense_dropout"])))
        model.add(layers.Dense(1, activation="sigmoid"))
        return model

    def pair_features(self, pairs: PairSet) -> np.ndarray:
        return nepdf_images(self._values, pairs.regulators, pairs.targets, int(self.params["bins"]))

    def prepare(self, data: TrainingData) -> None:
        self._values = log_expression(data.dataset.expression, self.params["log"])
