"""PSGRN (Wang, Guo, Chen & Duan 2023, BMC Bioinformatics 24:163) and its seven ablations.

Implemented from the paper's text: the paper states that its data and code are available, but
the link is not in the text grnbench was built from, so no code was compared (``grnbench show
psgrn`` lists what is the paper's and what is grnbench's choice). Features are in
``psgrn_features.py``, the network in ``psgrn_model.py``; this module holds the plugin classes
and the training loop.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from grnbench.api import (
    Allowed,
    Deviation,
    Method,
    Reference,
    TrainingData,
    at_least,
    dropout,
    fraction,
    one_of,
)
from grnbench.data.dataset import Dataset
from grnbench.data.universe import PairSet
from grnbench.deep import (
    array_batches,
    balanced_class_weight,
    configure_tensorflow,
    epoch_progress,
    epoch_selection,
    resumable_fit,
    set_xla,
)

from .psgrn_features import effective_time_lag, lag_features, too_short_reason

OPTIMIZERS = ("adam", "adamw", "rmsprop", "sgd")
#: with ``execution`` = auto, runs of at most this many training steps execute eagerly: tracing
#: the training graph costs ~10 s, more than a few eager steps on tiny data
EAGER_STEPS = 16

#: parameters small enough for the generic contract test (they still train on real numbers)
TINY = {"hidden": 8, "dn_blocks": 1, "dn_layers": 1, "dn_growth": 4, "dense_units": 8,
        "epochs": 1, "batch_size": 256, "execution": "eager"}


class PSGRN(Method):
    """PSGRN: pseudo-Siamese GRU encoders of time-lag difference matrices + DenseNet + sigmoid.

    Paper's specification, as implemented:
    - features: per-gene time-lag difference matrix, (n − tl − 1) × tl, tl = 32 (see
      ``psgrn_features``); two GRU branches, hidden 128, separate weights, all steps returned;
      their outputs concatenated (steps × 256) into a DenseNet (dense blocks + transition layers
      with average pooling), max pooling, dense layers, one sigmoid unit, binary cross-entropy.
    - trained on the train pairs, stopped early on the validation pairs.

    Our choices where the paper is silent (each a parameter):
    - short / multiple series: ``tl_eff = min(tl, L_min − 1 − min_steps)`` (DREAM4, 21 points:
      tl = 10); one matrix per series, stacked along the step axis; the recurrent state restarts
      at every series when all series have equal length, otherwise runs over the stack.
    - per-gene z-score standardisation before differencing (``standardise``).
    - DenseNet-BC in 1-D along the step axis (hidden units as channels): ``dn_blocks`` = 3
      blocks of ``dn_layers`` = 4 layers, growth ``dn_growth`` = 12, compression 0.5;
      global max pooling, dropout 0.2, Dense(64, ReLU), Dense(1, sigmoid).
    - Adam, learning rate 3e-4, batch 512 pairs, at most 40 epochs; early stopping on the exact
      validation AUPR (average precision) with patience 6 but never before epoch
      ``min_epochs`` = 15, best epoch's weights restored. With
      no validation pairs, or no positive among them, all epochs are trained.
    - the defaults (learning rate, batch, DenseNet size, ``min_epochs``) were chosen by
      measurement on dream4-100-1: why each, with its figures, is in docs/methods/psgrn.md.
    - class imbalance: 'balanced' class weights in the loss (each class carries half of the
      total weight), ``class_weight`` = "none" turns this off.
    - efficiency (not a change of the model): each distinct gene of a batch is encoded once per
      step and gathered for its pairs (exactly the same function and gradient); scoring encodes
      every gene once. ``shared_encoding`` = False gives the naive per-pair path.
      ``execution``: graph mode (tf.function) unless the run has ≤ 16 training steps, which run
      eagerly because tracing would cost more than the steps ("auto"); "graph"/"eager" force it.
    """

    name = "psgrn"
    supervised = True
    description = "PSGRN: pseudo-Siamese GRU + DenseNet on time-lag difference matrices (supervised)"
    min_time_points = 3
    reference_source = ("Wang, Guo, Chen, Duan 2023, BMC Bioinformatics 24:163 (the paper states data and code are available; the link is not in "
                        "the text grnbench has, so no code was compared)")
    references: ClassVar[dict[str, Reference]] = {
        "tl": Reference(32, "paper, Methods: tl = 32 on 107 time points (74 × 32 matrices)"),
        "hidden": Reference(128, "paper, Methods: two GRU branches, hidden 128, own weights"),
    }
    deviations: ClassVar[tuple[Deviation, ...]] = (
        Deviation("DenseNet sizes", "not given in the paper", "dn_blocks=3, dn_layers=4, dn_growth=12, "
                  "dn_compression=0.5, dense_units=64, dropout=0.2", "grnbench's choice, tuned on dream4-100-1 "
                  "with one seed (benchmarks/results/psgrn_sweep.jsonl)"),
        Deviation("schedule", "not given in the paper", "Adam 3e-4, batch 512, ≤ 40 epochs, patience 6, "
                  "min_epochs 15", "grnbench's choice (one seed, DREAM4)"),
        Deviation("class_weight", "not in the paper", "balanced class weights", "grnbench's choice; "
                  "class_weight=none turns it off"),
        Deviation("selection", "not given in the paper", "the epoch with the best validation AUPR, restored "
                  "(the shared rule)", "the rule every deep method follows"),
        Deviation("tl", "32", "min(tl, shortest series − 1 − min_steps)", "DREAM4 series have 21 points"),
    )
    #: trains with Keras: runs on --device, reports it in results
    uses_keras: ClassVar[bool] = True
    quick_parameters: ClassVar[dict[str, Any]] = {"epochs": 2, "min_epochs": 1, "patience": 2}
    #: a whole epoch on maize2-sim at 74 lag-matrix rows, 1 thread, validation included
    #: (benchmarks/fit_cost_constants.py → benchmarks/results/cost_constants.json)
    cpu_s_per_pair_epoch: ClassVar[float | None] = 1.61e-3
    cost_reference_size: ClassVar[float] = 74.0
    uses_threads: ClassVar[bool] = True
    #: architecture, fixed per variant
    encoder: ClassVar[str] = "gru"
    backbone: ClassVar[str] = "densenet"
    output: ClassVar[str] = "sigmoid"
    parameters: ClassVar[dict[str, Any]] = {
        "tl": 32,
        "min_steps": 10,
        "standardise": True,
        "hidden": 128,
        "dn_blocks": 3,
        "dn_layers": 4,
        "dn_growth": 12,
        "dn_compression": 0.5,
        "dense_units": 64,
        "dropout": 0.2,
        "optimizer": "adam",
        "learning_rate": 3e-4,
        "batch_size": 512,
        "epochs": 40,
        "patience": 6,
        "min_epochs": 15,
        "class_weight": "balanced",
        "shared_encoding": True,
        "execution": "auto",
        # the shared rule (grnbench.deep.epoch_selection); the paper gives no rule of its own
        "selection": "shared",
    }
    allowed: ClassVar[dict[str, Allowed]] = {
        "tl": at_least(1), "min_steps": at_least(1), "hidden": at_least(1), "dn_blocks": at_least(1),
        "dn_layers": at_least(1), "dn_growth": at_least(1), "dn_compression": fraction(), "dense_units": at_least(1),
        "dropout": dropout(), "optimizer": one_of(*OPTIMIZERS), "learning_rate": at_least(0),
        "batch_size": at_least(1), "epochs": at_least(1), "patience": at_least(0), "min_epochs": at_least(0),
        "class_weight": one_of("balanced", "none"), "execution": one_of("auto", "graph", "eager"),
        "selection": one_of("shared"),  # the paper gives no model-selection rule of its own
    }
    test_parameters: ClassVar[dict[str, Any]] = TINY

    @classmethod
    def cost_size(cls, dataset: Any, params: dict[str, Any]) -> float:
        """Rows of the lag matrices of all series (the GRU steps)."""
        tl = effective_time_lag(dataset.min_series_length(), params["tl"], params["min_steps"])
        return float(sum(max(0, len(b) - tl - 1) for b in dataset.series_blocks()))

    def skip(self, dataset: Dataset) -> str | None:
        return too_short_reason(dataset, self.params["tl"], self.params["min_steps"], self.name)

    def config(self) -> dict[str, Any]:
        return {**self.params, "encoder": self.encoder, "backbone": self.backbone, "output": self.output}

    def build(self, features, seed: int, n_threads: int = 1):
        """Seeded, compiled ``PairModel`` on the given ``LagFeatures``."""
        keras = configure_tensorflow(seed, n_threads)
        from .psgrn_model import PairModel

        cfg = self.config()
        model = PairModel(features.values, features.segment_lengths, cfg,
                          shared_encoding=bool(cfg["shared_encoding"]))
        loss = ("binary_crossentropy" if self.output == "sigmoid"
                else "sparse_categorical_crossentropy")
        model.compile(optimizer=_optimizer(keras, cfg["optimizer"], cfg["learning_rate"]), loss=loss)
        set_xla(model)
        return model

    def fit(self, data: TrainingData) -> None:
        if data.train is None:
            raise ValueError(f"{self.name} is supervised and needs training pairs")
        p = self.params
        self.features_ = lag_features(data.dataset, p["tl"], p["min_steps"], bool(p["standardise"]))
        model = self.build(self.features_, data.seed, data.n_threads)
        pairs, labels = data.train.pairs, np.asarray(data.train.labels).astype(np.int32)
        x = (pairs.regulators.astype(np.int32), pairs.targets.astype(np.int32))
        y = labels.astype(np.float32).reshape(-1, 1) if self.output == "sigmoid" else labels
        weights = balanced_class_weight(labels) if p["class_weight"] == "balanced" else None
        import keras

        batch = int(p["batch_size"])
        steps = int(p["epochs"]) * -(-len(labels) // batch)
        model.run_eagerly = p["execution"] == "eager" or (p["execution"] == "auto" and steps <= EAGER_STEPS)
        validation = data.validation.pairs
        monitor = epoch_selection(keras, lambda: model.score_pairs(validation.regulators, validation.targets),
                                  data.validation.labels, int(p["patience"]), int(p["min_epochs"]),
                                  progress_name=self.name if data.progress else None)
        resumable_fit(keras, model, array_batches(keras, x, y, weights, batch, data.seed), epochs=int(p["epochs"]),
                      callbacks=[monitor, *epoch_progress(keras, data.on_progress, int(p["epochs"]))],
                      checkpoint_dir=data.checkpoint_dir)
        self.model_ = model
        self.history_ = monitor.history
        self.best_epoch_ = monitor.best_epoch
        self.best_validation_aupr_ = monitor.best

    def score_edges(self, pairs: PairSet) -> np.ndarray:
        return self.model_.score_pairs(pairs.regulators, pairs.targets)


def _optimizer(keras, name: str, learning_rate: float):
    kinds = {"adam": keras.optimizers.Adam, "adamw": keras.optimizers.AdamW,
             "rmsprop": keras.optimizers.RMSprop, "sgd": keras.optimizers.SGD}
    if name not in kinds:
        raise ValueError(f"unknown optimizer {name!r}; valid: {', '.join(OPTIMIZERS)}")
    return kinds[name](learning_rate=float(learning_rate))


# --- ablations (the paper's Fig. 5/6); excluded from ``--methods all`` -----------------------

class PSGRN_FM_DN(PSGRN):
    """FM-DN ablation of PSGRN: no recurrent encoders; the two time-lag matrices are
    concatenated (steps × 2·tl) and go straight into the DenseNet. Otherwise as ``PSGRN``."""

    name = "psgrn-fm-dn"
    description = "PSGRN ablation FM-DN: feature matrices straight into the DenseNet (no GRU)"
    in_all = False
    ablation_of = "psgrn"
    encoder = "none"


class PSGRN_RNN_DN(PSGRN):
    """RNN-DN ablation of PSGRN: a vanilla (Elman, tanh) RNN instead of each GRU branch."""

    name = "psgrn-rnn-dn"
    description = "PSGRN ablation RNN-DN: vanilla RNN branches instead of GRU"
    in_all = False
    ablation_of = "psgrn"
    encoder = "rnn"


class PSGRN_LSTM_DN(PSGRN):
    """LSTM-DN ablation of PSGRN: an LSTM instead of each GRU branch."""

    name = "psgrn-lstm-dn"
    description = "PSGRN ablation LSTM-DN: LSTM branches instead of GRU"
    in_all = False
    ablation_of = "psgrn"
    encoder = "lstm"


class PSGRN_FM_GRU(PSGRN):
    """FM-GRU ablation of PSGRN: no DenseNet. The two GRU output sequences (steps × H) are
    combined by a matrix product H_tf · H_targetᵀ / sqrt(H) (steps × steps), flattened, then the
    same head (dropout, Dense(64, ReLU), sigmoid). The DenseNet parameters are unused."""

    name = "psgrn-fm-gru"
    description = "PSGRN ablation FM-GRU: GRU outputs combined by matrix product, no DenseNet"
    in_all = False
    ablation_of = "psgrn"
    backbone = "matmul"


class PSGRN_GRU_VGG(PSGRN):
    """GRU-VGG ablation of PSGRN: a VGG-style CNN instead of the DenseNet: ``dn_blocks``
    stages of two 3-convs (BN-ReLU) with max pooling between them, 2·``dn_growth`` filters
    doubling per stage (24, 48, 96 with the defaults)."""

    name = "psgrn-gru-vgg"
    description = "PSGRN ablation GRU-VGG: VGG-style CNN instead of DenseNet"
    in_all = False
    ablation_of = "psgrn"
    backbone = "vgg"


class PSGRN_GRU_RN(PSGRN):
    """GRU-RN ablation of PSGRN: a ResNet-style CNN instead of the DenseNet: stem conv, then
    ``dn_blocks`` stages of ``dn_layers // 2`` basic residual blocks, average pooling between
    stages, 2·``dn_growth`` filters doubling per stage."""

    name = "psgrn-gru-rn"
    description = "PSGRN ablation GRU-RN: ResNet-style CNN instead of DenseNet"
    in_all = False
    ablation_of = "psgrn"
    backbone = "resnet"


class PSGRN_PS_SM(PSGRN):
    """PS-SM ablation of PSGRN: a 2-class softmax output (sparse categorical cross-entropy)
    instead of the single sigmoid unit; the score is the softmax probability of class 1."""

    name = "psgrn-ps-sm"
    description = "PSGRN ablation PS-SM: 2-class softmax output instead of sigmoid"
    in_all = False
    ablation_of = "psgrn"
    output = "softmax"


VARIANTS = (PSGRN, PSGRN_FM_DN, PSGRN_RNN_DN, PSGRN_LSTM_DN, PSGRN_FM_GRU, PSGRN_GRU_VGG,
            PSGRN_GRU_RN, PSGRN_PS_SM)
