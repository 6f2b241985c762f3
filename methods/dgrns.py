"""DGRNS (Zhao et al., Brief Bioinform 2022): GRU + CNN over windowed, lagged correlations.

Feature construction (vectorised for all pairs, and the per-pair loop it replaces), the rule
that fits the windows to short time series, and the ``DGRNS`` plugin; the class docstring
gives the reference, the settings and every deviation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
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
from grnbench.methods.cnnc import LOG_MODES, log_expression

#: the conv 'valid' + 2×2 pooling head needs at least 4 rows
MIN_ROWS = 4
#: pair × time-point entries per chunk of pairs (bounds the temporary arrays)
_CHUNK_ENTRIES = 2_000_000


@dataclass(frozen=True)
class WindowGeometry:
    """Where the windows of one series lie: R TF windows × K lags, each W points long.

    TF window r starts at r · tf_step; for lag l the target window starts
    l · target_step later. ``rule`` says which branch of ``window_geometry`` chose it.
    """

    rows: int
    lags: int
    tf_step: int
    target_step: int
    window: int
    rule: str

    @property
    def span(self) -> int:
        """Points of a series the windows use (the last target window's end)."""
        return (self.rows - 1) * self.tf_step + (self.lags - 1) * self.target_step + self.window


def window_geometry(n: int, lags: int = 64, tf_step: int = 5, target_step: int = 5,
                    window: int = 0, min_window: int = 5) -> WindowGeometry:
    """Fit DGRNS's windows to series of ``n`` ordered points (raises ValueError if none fit).

    ``window > 0``: the caller's W with ``lags`` and the steps as given; the rows follow.
    ``window == 0`` (default), the reference rule generalised: a square K × K matrix with
    W = n − (K − 1)(tf_step + target_step). The reference's three mHSC datasets (847–1071
    cells, K = 64, steps 5) have W between 26% and 41% of n, so W must be at least
    ⌈n/4⌉ (and ``min_window``):
    1. with the given steps, the largest K ≤ ``lags`` meeting that; on ≥ ~840 points this
       is exactly the reference (K = 64, W = n − 630);
    2. if that leaves fewer than half of ``lags``, steps of 1 instead (every shift), again the
       largest K ≤ ``lags``: maize (107 points) → K = 41, W = 27; a DREAM4 series (21 points)
       → K = 8, W = 7;
    3. if even that gives fewer than 4 rows (the CNN head's minimum), nothing fits.
    """
    n, lags, tf_step, target_step = int(n), int(lags), int(tf_step), int(target_step)
    window, min_window = int(window), max(2, int(min_window))
    if lags < 1 or tf_step < 1 or target_step < 1:
        raise ValueError("lags and steps must be at least 1")
    if window > 0:
        rows = (n - window - target_step * (lags - 1)) // tf_step + 1
        if rows < MIN_ROWS or window < 2:
            raise ValueError(f"window={window} with {lags} lags of {target_step} leaves {max(rows, 0)} "
                             f"TF windows in {n} points; DGRNS needs at least {MIN_ROWS}")
        return WindowGeometry(rows, lags, tf_step, target_step, window, "explicit")
    floor = max(min_window, math.ceil(n / 4))
    k = min(lags, (n - floor) // (tf_step + target_step) + 1) if n >= floor else 0
    if k >= max(MIN_ROWS, math.ceil(lags / 2)):
        rule = "reference" if k == lags else "fewer lags"
        return WindowGeometry(k, k, tf_step, target_step, n - (k - 1) * (tf_step + target_step), rule)
    k = min(lags, (n - floor) // 2 + 1) if n >= floor else 0
    if k < MIN_ROWS:
        raise ValueError(f"series of {n} points are too short for DGRNS: windows of at least "
                         f"{floor} points leave {max(k, 0)} lags (at least {MIN_ROWS} needed, "
                         f"i.e. about 11 points per series)")
    return WindowGeometry(k, k, 1, 1, n - 2 * (k - 1), "steps of 1")


def _series_values(values: np.ndarray, blocks: list[np.ndarray], n: int) -> list[np.ndarray]:
    """The first ``n`` points of every series (windows never straddle a series boundary)."""
    return [values[:, block[:n]] for block in blocks]


def lagged_correlation_features(values: np.ndarray, blocks: list[np.ndarray], geometry: WindowGeometry,
                                regulators: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Windowed lagged Pearson matrices of many pairs at once: (pairs, R, K, 1) float32.

    Entry (r, l) is corr(TF[a : a+W], target[a + l·s_tg : a + l·s_tg + W]) with a = r·s_tf,
    averaged over series; a constant window gives 0 (the reference's NaN → 0). Two exact
    vectorised schemes, the cheaper one chosen from the geometry:
    - window dot products (short windows, e.g. DREAM4): every window of every gene is centred
      and scaled to unit norm once; a pair's matrix is then one row block of an
      (R × W)·(W × M) product over the M target-window starts, gathered at the lags;
      R · M · W operations per pair and series;
    - running sums (long windows, e.g. the reference's W = 259): per gene, running sums of x
      and x² give each window's sum and variance once; per lag, one running sum of
      TF(t) · target(t + lag) over a chunk of pairs gives the cross products of all R
      windows; about K · n operations per pair and series.
    """
    g = geometry
    regulators = np.asarray(regulators, dtype=np.int64)
    targets = np.asarray(targets, dtype=np.int64)
    genes, inverse = np.unique(np.concatenate([regulators, targets]), return_inverse=True)
    reg_local, tgt_local = inverse[: len(regulators)], inverse[len(regulators):]
    series = [x[genes].astype(np.float64) for x in _series_values(values, blocks, g.span)]
    unit = math.gcd(g.tf_step, g.target_step)
    n_positions = ((g.rows - 1) * g.tf_step + (g.lags - 1) * g.target_step) // unit + 1
    # BLAS makes a dot-product operation much cheaper than a running-sum one, so short series
    # favour dot products and long ones running sums (the crossover: docs/methods/cnnc-dgrns.md)
    if g.rows * n_positions * g.window <= 25 * g.lags * g.span:
        corr = _by_window_products(series, g, reg_local, tgt_local, unit, n_positions)
    else:
        corr = _by_running_sums(series, g, reg_local, tgt_local)
    return corr[..., None]


def _by_window_products(series, g: WindowGeometry, reg, tgt, unit: int, n_positions: int) -> np.ndarray:
    starts = np.arange(n_positions) * unit
    per_series = []
    for x in series:
        win = np.lib.stride_tricks.sliding_window_view(x, g.window, axis=1)[:, starts, :]
        centred = win - win.mean(axis=2, keepdims=True)
        norm = np.sqrt((centred**2).sum(axis=2, keepdims=True))
        constant = np.ptp(win, axis=2)[..., None] == 0
        z = np.divide(centred, norm, out=np.zeros_like(centred), where=~constant & (norm > 0))
        per_series.append(z / math.sqrt(len(series)))
    # concatenating the scaled series along the window axis makes one dot product the
    # mean of the per-series correlations
    z = np.concatenate(per_series, axis=2).astype(np.float32)
    tf_rows = np.arange(g.rows) * g.tf_step // unit
    lag_cols = (np.arange(g.rows)[:, None] * g.tf_step + np.arange(g.lags)[None, :] * g.target_step) // unit
    out = np.empty((len(reg), g.rows, g.lags), dtype=np.float32)
    per_pair = g.rows * z.shape[2] + n_positions * z.shape[2] + g.rows * n_positions
    step = max(1, _CHUNK_ENTRIES // per_pair)
    for start in range(0, len(reg), step):
        a = z[reg[start:start + step]][:, tf_rows, :]
        b = z[tgt[start:start + step]]
        gram = np.matmul(a, b.transpose(0, 2, 1))
        corr = np.take_along_axis(gram, np.broadcast_to(lag_cols, (len(a),) + lag_cols.shape), axis=2)
        out[start:start + step] = np.clip(corr, -1.0, 1.0)
    return out


def _by_running_sums(series, g: WindowGeometry, reg, tgt) -> np.ndarray:
    from scipy.ndimage import maximum_filter1d, minimum_filter1d

    w = g.window
    tf_starts = np.arange(g.rows) * g.tf_step
    out = np.zeros((len(reg), g.rows, g.lags), dtype=np.float64)
    step = max(1, _CHUNK_ENTRIES // g.span)
    for x in series:
        x = x - x.mean(axis=1, keepdims=True)  # centred, so the running sums keep precision
        zero = np.zeros((x.shape[0], 1))
        csum = np.concatenate([zero, np.cumsum(x, axis=1)], axis=1)
        csq = np.concatenate([zero, np.cumsum(x * x, axis=1)], axis=1)
        win_sum = csum[:, w:] - csum[:, :-w]                   # (genes, n - W + 1)
        win_var = np.maximum(csq[:, w:] - csq[:, :-w] - win_sum**2 / w, 0.0)
        # a window is constant exactly when its max equals its min (pandas gives NaN there);
        # origin -(W // 2) puts each filter window at [i, i + W), inside the series for i ≤ n - W
        hi = maximum_filter1d(x, w, axis=1, origin=-(w // 2))
        lo = minimum_filter1d(x, w, axis=1, origin=-(w // 2))
        varying = (hi - lo)[:, : x.shape[1] - w + 1] > 0
        win_sd = np.where(varying, np.sqrt(win_var), 0.0)
        for start in range(0, len(reg), step):
            r, t = reg[start:start + step], tgt[start:start + step]
            xr, xt = x[r], x[t]
            sd_r, sum_r = win_sd[r][:, tf_starts], win_sum[r][:, tf_starts]
            sd_t, sum_t = win_sd[t], win_sum[t]
            for lag in range(g.lags):
                shift = lag * g.target_step
                cp = np.cumsum(xr[:, : g.span - shift] * xt[:, shift:], axis=1)
                cross = cp[:, tf_starts + w - 1] - np.where(tf_starts > 0, cp[:, tf_starts - 1], 0.0)
                cov = cross - sum_r * sum_t[:, tf_starts + shift] / w
                den = sd_r * sd_t[:, tf_starts + shift]
                corr = np.divide(cov, den, out=np.zeros_like(cov), where=den > 0)
                out[start:start + step, :, lag] += np.clip(corr, -1.0, 1.0) / len(series)
    return out.astype(np.float32)


def keras2_hard_sigmoid(x):
    """Keras 2's hard sigmoid, clip(0.2·x + 0.5, 0, 1) (Keras 3's has slope 1/6)."""
    from keras import ops

    return ops.clip(0.2 * x + 0.5, 0.0, 1.0)


class DGRNS(KerasPairClassifier):
    """DGRNS as a grnbench method.

    Reference: ``guofei-tju/DGRNS`` (HEAD 7782db7; ``gen_matrix.py``, ``DGRNS_train.py``), as
    specified in ``design/METHODS-reference-notes.md`` §5 and §7.

    Features: values become log10(x + 0.01); for a TF → target pair, TF windows of W points
    start every ``tf_step`` points, and for each of K lags the target window starts
    l · ``target_step`` later (the target is read *later* in time, so direction is encoded);
    each entry is the Pearson correlation of the two windows (constant window → 0). All
    pairs are computed at once (``lagged_correlation_features``; the per-pair loop
    the per-pair loop in ``tests/reference_loops.py`` is kept for tests and the speed benchmark).

    Window geometry (``window_geometry``): the reference K = 64 lags, steps of 5 and
    W = n − 63·10 (a square 64 × 64 matrix) on ≥ ~840 ordered samples; on shorter series the
    largest K with W ≥ n/4 at the same steps, or, if that halves K, steps of 1 (maize,
    107 points: 41 × 41, W = 27; DREAM4, 21 points per series: 8 × 8, W = 7). ``skip`` gives
    the reason when not even 4 lags fit (fewer than 11 points per series).

    Several series (DREAM4: 5 or 10 series of 21 points): windows never straddle a series
    boundary. The same windows are laid on every series from its start (on the shortest
    series' length; later points of longer series are unused) and the correlation matrices
    are averaged over series.

    Model: (R, K) sequence → GRU(128, input dropout 0.2, Keras 2 cell: ``reset_after=False``,
    hard sigmoid 0.2·x + 0.5) → (R, 128, 1) → Conv2D 32 3×3 'same' ReLU → Conv2D 32 3×3
    'valid' ReLU → MaxPool 2×2 → Dropout 0.25 → Dense 512 ReLU → Dropout 0.5 → Dense 128
    (linear) → Dense 1 sigmoid. SGD (lr 0.02, Keras 2 decay 1e-6 per batch, momentum 0.9,
    Nesterov), binary cross-entropy, batch 1024, 50 epochs. The score is the sigmoid output.

    Efficiency, not a deviation: each batch of 1024 pairs takes one SGD step as in the
    reference, but its gradient is summed over slices of ``micro_batch`` = 128 pairs
    (``grnbench.deep.install_micro_batches``; the model has no batch normalisation, so this is
    the same update). The two 32-channel convolutions over the 41 × 128 GRU map hold ~0.7 GB
    of activations per layer at batch 1024; per slice they hold an eighth. Only float rounding
    and the dropout draws (one per slice) differ; ``micro_batch=0`` restores Keras's own
    whole-batch step. Features are built per batch of pairs as training asks for them
    (``grnbench.deep.pair_batches``, ~1% of an epoch's time) instead of held for all 60,539
    training and 20,180 validation maize pairs (0.5 GB, doubled by Keras's copy into tensors);
    the pair order is a seeded permutation per epoch. Its arithmetic (138 MFLOP forward per maize pair, ~94% in the second
    convolution and the 38,304 → 512 dense layer) is left as it is.

    Deviations from the reference (also listed in the README):
    - the short-series rule above and the averaging over series (the reference has one
      pseudotime-ordered series of ≥ 847 cells);
    - ``log="auto"`` skips log10(x + 0.01) for data with negative values (as CNNC);
    - imbalance: as the reference training script, the full TF × gene matrix at its natural
      positive rate with no class weights (``balance="none"``); ``class_weight`` and
      ``subsample`` (a random 1:1 draw) are grnbench's alternatives;
    - model selection: the reference trains 50 epochs with no early stopping and predicts with
      the last weights (``selection="reference"``); by default grnbench keeps the epoch with the
      best validation AUPR (``selection="shared"``, the rule every deep method follows);
    - Pearson computed for all pairs at once (window dot products or running sums, see
      ``lagged_correlation_features``) instead of pandas ``Series.corr`` per entry: the same
      number up to float32 rounding.
    """

    name = "dgrns"
    supervised = True
    features_per_batch = True
    description = "DGRNS (Zhao et al. 2022): GRU + CNN over windowed, time-lagged correlations"
    min_time_points = 11
    parameters: dict[str, Any] = {
        "lags": 64,
        "tf_step": 5,
        "target_step": 5,
        "window": 0,              # 0: the rule in window_geometry
        "min_window": 5,
        "log": "auto",
        "gru_units": 128,
        "gru_dropout": 0.2,
        "filters": 32,
        "conv_dropout": 0.25,
        "dense_units": 512,
        "dense_dropout": 0.5,
        "dense2_units": 128,
        "learning_rate": 0.02,
        "decay": 1e-6,
        "momentum": 0.9,
        "epochs": 50,
        "batch_size": 1024,
        "micro_batch": 128,       # gradient of a batch summed over slices (memory, not the model)
        "patience": 0,            # the training script's EarlyStopping is commented out
        "restore_best": False,
        "balance": "none",        # natural positive rate, no class weights, as the training script
        "selection": "shared",    # grnbench's one rule; "reference": last-epoch weights
    }
    reference_source = ("Zhao et al. 2022, Brief Bioinform 23:bbab568; code guofei-tju/DGRNS "
                        "(DGRNS-master.zip: DGRNS_train.py)")
    references = {
        "learning_rate": Reference(0.02, "DGRNS_train.py:138 SGD(lr=0.02, decay=1e-6, momentum=0.9, nesterov=True)"),
        "decay": Reference(1e-6, "DGRNS_train.py:138"),
        "momentum": Reference(0.9, "DGRNS_train.py:138"),
        "epochs": Reference(50, "DGRNS_train.py:43 epochs = 50"),
        "batch_size": Reference(1024, "DGRNS_train.py:41 batch_size = 1024"),
        "patience": Reference(0, "DGRNS_train.py:143 the EarlyStopping line is commented out (no early stopping)"),
        "restore_best": Reference(False, "DGRNS_train.py:148-168 predicts with the model as it is after the last epoch"),
        "balance": Reference("none", "DGRNS_train.py:148-157 model.fit without class_weight, on the full TF × gene "
                                     "matrix at its natural positive rate"),
        "selection": Reference("reference", "DGRNS_train.py:143-168 last-epoch weights"),
    }
    deviations = (
        Deviation("selection", "last-epoch weights after 50 epochs",
                  "the epoch with the best validation AUPR, restored (selection=shared)",
                  "one model-selection rule for every deep method; selection=reference restores the authors' rule",
                  "dream4-100-1, 20-epoch cap, 3 seeds: test AUPR 0.014 ± 0.001 under both rules; at the authors' unweighted settings DGRNS does not beat the positive rate (0.018) there, with class weights 0.034 ± 0.001 (benchmarks/results/selection_and_reference_dream4-100-1.json)"),
        Deviation("window", "one pseudotime-ordered series of ≥ 847 cells; window 441, lags 64",
                  "window_geometry shrinks the window and lags to fit the shortest series and averages over series",
                  "DREAM4 series have 21 points, maize 6-10: the reference window does not fit"),
        Deviation("log", "log10(x + 0.01) of counts", "skipped for data with negative values (log=auto)",
                  "the logarithm is undefined there"),
        Deviation("micro_batch", "the whole 1,024-pair batch in one step",
                  "the batch's gradient summed over 128-pair slices", "bounds activation memory; the same update "
                  "up to float rounding, dropout drawn per slice"),
    )
    allowed: dict[str, Allowed] = {
        "lags": at_least(1), "tf_step": at_least(1), "target_step": at_least(1), "window": at_least(0),
        "min_window": at_least(0), "log": one_of(*LOG_MODES), "gru_units": at_least(MIN_ROWS),
        "gru_dropout": dropout(), "filters": at_least(1), "conv_dropout": dropout(),
        "dense_units": at_least(1), "dense_dropout": dropout(), "dense2_units": at_least(1),
        "micro_batch": at_least(0), **SGD_TRAINING_ALLOWED,
    }
    quick_parameters = {"epochs": 2, "patience": 2}
    #: whole epochs of the maize2-sim reference run at 41 matrix rows, 1 thread, validation
    #: included (benchmarks/fit_cost_constants.py → benchmarks/results/cost_constants.json)
    cpu_s_per_pair_epoch = 6.97e-3
    cost_reference_size = 41.0

    @classmethod
    def cost_size(cls, dataset: Any, params: dict[str, Any]) -> float:
        """Rows of the pair's lag-correlation matrix."""
        try:
            g = window_geometry(dataset.min_series_length(), params["lags"], params["tf_step"],
                                params["target_step"], params["window"], params["min_window"])
        except ValueError:
            return 0.0
        return float(g.rows)

    test_parameters = {"gru_units": 8, "filters": 4, "dense_units": 16, "dense2_units": 8,
                       "epochs": 1, "batch_size": 256, "micro_batch": 64}

    def geometry(self, dataset: Dataset) -> WindowGeometry:
        p = self.params
        return window_geometry(dataset.min_series_length(), p["lags"], p["tf_step"],
                               p["target_step"], p["window"], p["min_window"])

    def skip(self, dataset: Dataset) -> str | None:
        try:
            self.geometry(dataset)
        except ValueError as err:
            return f"dgrns cannot run on {dataset.name}: {err}"
        return None

    def build_model(self, keras, rows: int | None = None, lags: int | None = None):
        """The DGRNS network for (rows × lags) feature matrices (default: the fitted geometry)."""
        if rows is None or lags is None:
            rows, lags = self.geometry_.rows, self.geometry_.lags
        p = self.params
        layers = keras.layers
        units = int(p["gru_units"])  # >= MIN_ROWS (``allowed``)
        model = keras.Sequential([
            keras.Input((rows, lags, 1)),
            layers.Reshape((rows, lags)),
            layers.GRU(units, dropout=float(p["gru_dropout"]), return_sequences=True,
                       reset_after=False, recurrent_activation=keras2_hard_sigmoid),
            layers.Reshape((rows, units, 1)),
            layers.Conv2D(int(p["filters"]), 3, padding="same", activation="relu"),
            layers.Conv2D(int(p["filters"]), 3, padding="valid", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Dropout(float(p["conv_dropout"])),
            layers.Flatten(),
            layers.Dense(int(p["dense_units"]), activation="relu"),
            layers.Dropout(float(p["dense_dropout"])),
            layers.Dense(int(p["dense2_units"])),
            layers.Dense(1, activation="sigmoid"),
        ])
        return model

    def pair_features(self, pairs: PairSet) -> np.ndarray:
        return lagged_correlation_features(self._values, self._blocks, self.geometry_,
                                           pairs.regulators, pairs.targets)

    def prepare(self, data: TrainingData) -> None:
        try:
            self.geometry_ = self.geometry(data.dataset)
        except ValueError as err:
            raise UserError(f"dgrns cannot run on {data.dataset.name}: {err}") from None
        self._values = log_expression(data.dataset.expression, self.params["log"])
        self._blocks = data.dataset.series_blocks()
