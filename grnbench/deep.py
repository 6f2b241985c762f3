"""Shared TensorFlow/Keras set-up for the deep-learning methods (PSGRN, CNNC, DGRNS).

One place decides determinism and thread use, so every deep method is seeded the same way
and none oversubscribes the cores it was given by the runner:
- ``keras.utils.set_random_seed`` seeds Python, NumPy and TensorFlow;
- TensorFlow op determinism makes reductions order-stable (same seed → same scores);
- intra/inter-op thread pools are set from the task's share of the cores. TensorFlow allows
  this only before its runtime starts, so the first call in a process wins; later calls with
  a different count are ignored (documented, not an error). oneDNN's convolutions and
  matrix products run on TensorFlow's intra-op pool, so this one number is the task's
  thread use (``benchmarks/bench_deep_maize.py`` checks the per-thread CPU time);
- ``micro_batch``: a batch's gradient can be summed over slices of it (``install_micro_batches``),
  the same update with a fraction of the activation memory.
"""

from __future__ import annotations

import os
from abc import abstractmethod

import numpy as np

from grnbench.api import Allowed, Method, TrainingData, at_least, one_of
from grnbench.data.universe import PairSet

_threads_set: int | None = None

#: Compile Keras's training and inference steps with XLA (``jit_compile``) on the TensorFlow
#: backend, with op determinism off (TensorFlow has no deterministic XLA max-pool gradient and
#: refuses it). Off: ``benchmarks/epoch_time.py`` measured it on CPU (docs/deep-methods.md, "XLA and JAX on CPU").
XLA_ON_TENSORFLOW = False


def configure_tensorflow(seed: int, n_threads: int = 1):
    """Seed everything and fix thread pools; returns the imported ``keras`` module.

    On another Keras backend (JAX/torch, e.g. a GPU without TensorFlow) only the seeding
    applies: thread pools and op determinism are that backend's settings (for JAX: XLA_FLAGS).
    """
    tf = _configure_tensorflow_runtime(n_threads) if uses_tensorflow_backend() else None
    import keras

    keras.utils.set_random_seed(int(seed) % (2**32 - 1))
    _isolate_keras_default_seeds(int(seed))
    if tf is not None and not XLA_ON_TENSORFLOW:
        tf.config.experimental.enable_op_determinism()
    return keras


def _configure_tensorflow_runtime(n_threads: int):
    """Import TensorFlow quietly and size its thread pools (first call per process wins)."""
    global _threads_set
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if not XLA_ON_TENSORFLOW:
        os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
    _import_tensorflow_quietly()
    import tensorflow as tf

    if _threads_set is None:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(max(1, int(n_threads)))
            tf.config.threading.set_inter_op_parallelism_threads(1)
            _threads_set = int(n_threads)
        except RuntimeError:  # runtime already initialised in this process
            _threads_set = -1
    return tf


def set_xla(model) -> None:
    """Apply ``XLA_ON_TENSORFLOW`` to a compiled Keras model: the one place every Keras method
    (CNNC, DGRNS, PSGRN, plugins through ``KerasPairClassifier``) gets its XLA setting.

    Set explicitly because Keras's default (``"auto"``) decides by device and by whether op
    determinism is on, and both compile sites must agree. On JAX nothing changes: Keras
    compiles every step with XLA there.
    """
    if uses_tensorflow_backend():
        model.jit_compile = bool(XLA_ON_TENSORFLOW)


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity, which containers and ``taskset`` set),
    the thread budget of a deep task that runs alone (``--workers 0``)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS/Windows
        return max(1, os.cpu_count() or 1)


def task_threads(threads_per_worker: int | None, serial: bool, cores: int | None = None) -> int:
    """Threads one task may use: what its worker slot holds on Dask (``--threads-per-worker``),
    every available core (``cores``, default the CPU affinity) when tasks run one after another
    in this process (serial) and the user did not give a number."""
    if threads_per_worker:
        return max(1, int(threads_per_worker))
    return (available_cores() if cores is None else max(1, int(cores))) if serial else 1


def shared_task_threads(cluster_threads: int, threaded_tasks: int, cores: int | None = None) -> int:
    """Threads per multithreaded task (``Method.uses_threads``) on the runner's own cluster
    when ``--threads-per-worker`` is not given: the cluster's threads (at most the cores)
    shared among the run's multithreaded tasks, at least 1.

    Such a task holds one worker slot but runs this many threads. Whole-model fits start only
    as the per-target work runs out (``grnbench.execution.backends`` priorities), so the cores they take
    are the ones that work leaves: on 2 cores with PSGRN, CNNC and DGRNS each gets 1 thread
    (as many fits as cores keep them all busy, and a second thread is worth only ~0.65 of
    one); on 16 cores each gets 5 instead of 1 while 13 slots stay for everything else. The
    count depends only on the run's configuration, never on what else happens to be running,
    so the same run gives the same threads (and the same float rounding) again;
    ``--use-freed-cores`` trades that for the cores other tasks free (``take_freed_cores``).
    """
    cores = max(1, min(int(cluster_threads), available_cores() if cores is None else int(cores)))
    return max(1, cores // max(1, int(threaded_tasks)))


def uses_tensorflow_backend() -> bool:
    """Whether Keras runs on TensorFlow (the default). Read from ``KERAS_BACKEND`` without
    importing Keras, because importing it on the TensorFlow backend starts TensorFlow."""
    return os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow"


def _isolate_keras_default_seeds(seed: int) -> None:
    """Give Keras a private Python RNG for the seeds of layers built without one.

    Keras 3 draws a layer's default seed (dropout, initialisers) from the process-wide
    ``random`` module. Inside a Dask worker other threads (the worker's event loop, seceded
    per-target tasks) also draw from it, so the seeds a model received depended on what ran
    beside it: the same seed gave different scores on 1 and 2 workers. A private
    ``random.Random(seed)`` makes model construction depend on the seed alone. (Private Keras
    module attribute; if it moves, determinism falls back to Keras' own behaviour.)
    """
    import random

    try:
        from keras.src.random import seed_generator
    except ImportError:  # pragma: no cover - other Keras layouts
        return
    seed_generator.python_random = random.Random(seed)


def _import_tensorflow_quietly() -> None:
    """Import TensorFlow with the C++ start-up chatter (absl, oneDNN notices) kept off stderr.

    TensorFlow 2.20+ prints these lines at import whatever ``TF_CPP_MIN_LOG_LEVEL`` says; in a
    run with several Dask workers they would bury grnbench's own progress lines. Only file
    descriptor 2 is redirected, and only for the import itself: a failed import still raises.
    """
    import sys

    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import keras  # noqa: F401
            import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def balanced_class_weight(labels: np.ndarray) -> dict[int, float]:
    """Weights that give both classes equal total weight (sklearn's 'balanced').

    Gold standards are heavily imbalanced (DREAM4 size100: 1.8% positives); without
    re-weighting a classifier can reach low loss by predicting 0 everywhere.
    """
    labels = np.asarray(labels).astype(int)
    n, pos = len(labels), int(labels.sum())
    if pos == 0 or pos == n:
        return {0: 1.0, 1: 1.0}
    return {0: n / (2.0 * (n - pos)), 1: n / (2.0 * pos)}


def keras2_sgd(keras, learning_rate: float, decay: float = 0.0, momentum: float = 0.0,
               nesterov: bool = False):
    """Keras 2's ``SGD(lr=..., decay=...)`` in Keras 3, where ``decay`` no longer exists.

    Keras 2 applied lr_t = lr / (1 + decay · t) with t the number of batches seen so far;
    ``InverseTimeDecay(decay_steps=1)`` is exactly that schedule. Passing ``decay`` to the
    Keras 3 optimizer instead is an error, and ``lr=`` is ``learning_rate=``.
    """
    rate = learning_rate
    if decay:
        rate = keras.optimizers.schedules.InverseTimeDecay(
            initial_learning_rate=learning_rate, decay_steps=1, decay_rate=decay)
    return keras.optimizers.SGD(learning_rate=rate, momentum=momentum, nesterov=nesterov)


def epoch_progress(keras, on_progress, epochs: int) -> list:
    """A Keras callback list reporting each finished epoch to ``TrainingData.on_progress``.

    The note carries the validation score the method monitors (``val_aupr`` when an earlier
    callback put it in the logs, else ``val_accuracy``), so a user watching a long training
    sees whether it still improves; inside ``resumable_fit`` also the best value so far and
    the time left (``grnbench.learning_curve``, which ``resumable_fit`` hands to this callback
    as ``learning_curve``). Empty when nobody listens.
    """
    if on_progress is None:
        return []
    from grnbench.execution.task_progress import report
    from grnbench.learning_curve import validation_value

    class EpochProgress(keras.callbacks.Callback):
        #: the fit's ``LearningCurve``, set by ``resumable_fit``
        learning_curve = None

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            if self.learning_curve is not None:
                note = self.learning_curve.progress_note(logs)
            else:
                current = validation_value(logs)
                note = f"{current[0].replace('_', ' ')} {current[1]:.3f}" if current else ""
            report(on_progress, epoch + 1, int(epochs), "epochs", note)

    return [EpochProgress()]


#: how a deep method's final weights are chosen (method parameter ``selection``)
SELECTIONS = ("shared", "reference")
#: the imbalance rules of ``prepare_labels`` (the ``balance`` parameter of CNNC and DGRNS)
BALANCES = ("none", "class_weight", "subsample")
#: what the Keras-2 SGD training parameters shared by CNNC and DGRNS accept (``Method.allowed``);
#: a learning rate of 0 freezes the weights (the early-stopping test of tests/test_cnnc.py relies on it)
SGD_TRAINING_ALLOWED: dict[str, Allowed] = {
    "learning_rate": at_least(0), "decay": at_least(0), "momentum": Allowed(minimum=0, maximum=1),
    "epochs": at_least(1), "batch_size": at_least(1), "patience": at_least(0),
    "balance": one_of(*BALANCES), "selection": one_of(*SELECTIONS),
}


def epoch_selection(keras, score_validation, labels: np.ndarray, patience: int, min_epochs: int = 0,
                    progress_name: str | None = None, accuracy_weights: np.ndarray | None = None):
    """The one model-selection rule every supervised method with epochs uses (``selection=shared``).

    After each epoch the validation pairs are scored and their AUPR (average precision, the
    benchmark's headline metric, not Keras's interpolated PR-AUC) is recorded as ``val_aupr``;
    the best epoch's weights are kept and restored when training ends, also when it runs to the
    last epoch. ``patience`` > 0 stops after that many epochs without improvement (never before
    ``min_epochs``); 0 trains the whole schedule. Why one rule: selecting CNNC and DGRNS on
    class-weighted validation accuracy with last-epoch weights, and PSGRN on validation AUPR
    with its best epoch restored, tilts a comparison towards the method selected on the metric
    it is ranked by. Inactive (every epoch trained, last weights kept) without a positive and a
    negative validation pair.

    ``state()``/``restore_state()`` and ``best_weights`` hold everything the rule knows, so a
    checkpointed fit can resume it.

    ``accuracy_weights`` (one per validation pair): also log ``val_accuracy`` as Keras's
    weighted ``accuracy`` metric gives it (sigmoid > 0.5, weighted mean), from the same scores.
    Why: a classifier selected by this rule then needs no Keras validation pass of its own,
    which scored the same pairs a second time every epoch.
    """
    labels = np.asarray(labels).astype(int)
    from sklearn.metrics import average_precision_score

    class EpochSelection(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.active = 0 < labels.sum() < len(labels)
            self.best, self.best_epoch, self.wait = -np.inf, -1, 0
            self.best_weights = None
            self.history: list[dict[str, float]] = []

        def state(self) -> dict:
            return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait,
                    "history": list(self.history)}

        def restore_state(self, state: dict) -> None:
            self.best, self.best_epoch = float(state["best"]), int(state["best_epoch"])
            self.wait, self.history = int(state["wait"]), list(state["history"])

        def on_epoch_end(self, epoch, logs=None):
            logs = logs if logs is not None else {}
            entry = {"epoch": epoch, "loss": float(logs.get("loss", np.nan))}
            if self.active:
                scores = np.asarray(score_validation(), dtype=np.float64).reshape(-1)
                aupr = float(average_precision_score(labels, scores))
                logs["val_aupr"] = entry["val_aupr"] = aupr
                if accuracy_weights is not None:
                    hits = ((scores > 0.5) == (labels == 1)).astype(np.float64)
                    logs["val_accuracy"] = float(np.sum(accuracy_weights * hits) / np.sum(accuracy_weights))
                if aupr > self.best:
                    self.best, self.best_epoch, self.wait = aupr, epoch, 0
                    self.best_weights = self.model.get_weights()
                else:
                    self.wait += 1
                    if patience and patience > 0 and self.wait >= patience and epoch + 1 >= min_epochs:
                        self.model.stop_training = True
            self.history.append(entry)
            if progress_name:
                import sys

                print(f"{progress_name} epoch {epoch + 1}: " + ", ".join(
                    f"{k} {v:.4f}" for k, v in entry.items() if k != "epoch"), file=sys.stderr, flush=True)

        def on_train_end(self, logs=None):
            if self.best_weights is not None:
                self.model.set_weights(self.best_weights)

    return EpochSelection()


def install_micro_batches(model, micro_batch: int) -> bool:
    """Make ``model.fit`` compute each batch's gradient as a sum over slices of ``micro_batch``
    pairs (TensorFlow backend; returns whether it was installed).

    Why: a Keras step keeps every layer's activations of the whole batch for the backward
    pass. DGRNS's two 32-channel convolutions over a 41 × 128 map hold ~0.7 GB per layer at
    batch 1024, several GB in all. The loss of a batch is Σᵢ wᵢ·lᵢ / n (binary cross-entropy,
    Keras's ``sum_over_batch_size``), so its gradient is the sum over slices of
    ∇ Σ_{i∈slice} wᵢ·lᵢ / n: the same update on the same batch, with the activations of one
    slice alive at a time (a ``tf.while_loop`` without parallel iterations). What changes is
    float rounding (summation order) and the dropout draws (one per slice, same
    distribution); layers that see the whole batch at once (batch normalisation) would change
    meaning, so such models are refused. The loss must be ``binary_crossentropy`` on one
    sigmoid output, as ``KerasPairClassifier.compile_model`` sets.
    """
    micro_batch = int(micro_batch or 0)
    if micro_batch <= 0 or not uses_tensorflow_backend():
        return False
    if any("BatchNormalization" in type(layer).__name__ for layer in model._flatten_layers()):
        raise ValueError("micro-batches would change batch normalisation; set micro_batch=0")
    import functools

    model.train_step = functools.partial(_micro_batch_train_step, model, micro_batch)
    return True


def _micro_batch_train_step(model, micro_batch: int, data):
    import keras
    import tensorflow as tf

    x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
    n = tf.shape(x)[0]
    n_float = tf.cast(n, "float32")
    y = tf.reshape(tf.cast(y, "float32"), (-1, 1))
    weight = tf.ones((n,), "float32") if sample_weight is None else tf.cast(sample_weight, "float32")
    slices = (n + micro_batch - 1) // micro_batch
    variables = model.trainable_weights

    def body(i, grads, loss_sum, preds):
        lo, hi = i * micro_batch, tf.minimum((i + 1) * micro_batch, n)
        with tf.GradientTape() as tape:
            pred = model(x[lo:hi], training=True)
            per_pair = keras.losses.binary_crossentropy(y[lo:hi], pred)
            loss = tf.reduce_sum(per_pair * weight[lo:hi]) / n_float
        step = tape.gradient(loss, variables)
        return (i + 1, [g + d for g, d in zip(grads, step, strict=True)], loss_sum + loss,
                preds.write(i, tf.cast(pred, "float32")))

    start = (tf.constant(0), [tf.zeros(v.shape, "float32") for v in variables], tf.constant(0.0),
             tf.TensorArray("float32", size=slices, infer_shape=False, element_shape=(None, 1)))
    _, grads, loss, preds = tf.while_loop(lambda i, *_: i < slices, body, start, parallel_iterations=1)
    model._loss_tracker.update_state(loss, sample_weight=n)
    model.optimizer.apply_gradients(zip(grads, variables, strict=True))
    return model.compute_metrics(x, y, preds.concat(), sample_weight=sample_weight)


def fit_binary_classifier(keras, model, x_train, y_train, x_val, y_val, *, epochs: int,
                          batch_size: int, patience: int | None, class_weight: dict | None,
                          restore_best: bool = False, verbose: int = 0, on_progress=None,
                          validation_batch_size: int | None = None, extra_callbacks: list | None = None,
                          seed: int = 0, checkpoint_dir=None):
    """Train a compiled-elsewhere sigmoid classifier with early stopping on validation.

    The model must be compiled with ``weighted_metrics=["accuracy"]``: the validation pairs
    get the same class-balancing weights as training, so the monitored ``val_accuracy`` (the
    Keras 3 name; Keras 2's ``val_acc`` never fires) is a balanced accuracy instead of the
    share of negatives. ``patience`` None or ≤ 0 disables early stopping. ``on_progress``
    hears every epoch (``epoch_progress``). Returns the Keras ``History``.
    ``validation_batch_size`` (default: ``batch_size``) only bounds the memory of the
    validation pass: inference has no batch-level layer, so it changes nothing.
    Arrays are fed as ``array_batches`` shuffled from ``seed``; ``checkpoint_dir`` makes the
    fit resumable (``resumable_fit``). ``x_val`` None: no Keras validation pass (an
    ``extra_callbacks`` entry such as ``epoch_selection`` scores the validation pairs instead).
    """
    callbacks = list(extra_callbacks or [])  # before the progress callback: it reports their logs
    if patience and patience > 0:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor="val_accuracy", mode="max", patience=int(patience),
            restore_best_weights=bool(restore_best)))
    callbacks += epoch_progress(keras, on_progress, epochs)
    if y_train is not None:  # arrays: batches shuffled per (seed, epoch) like PairBatches
        x_train = array_batches(keras, x_train, y_train, class_weight, int(batch_size), seed)
        if x_val is not None:
            y_val = np.asarray(y_val, dtype="float32")
            x_val = (x_val, y_val, pair_weights(y_val, class_weight))
    return resumable_fit(keras, model, x_train, epochs=epochs, callbacks=callbacks, checkpoint_dir=checkpoint_dir,
                         validation_data=x_val, validation_batch_size=int(validation_batch_size or batch_size)
                         if y_train is not None else None, verbose=verbose)


def pair_weights(labels: np.ndarray, class_weight: dict | None) -> np.ndarray:
    """Each pair's class weight, as Keras's ``class_weight`` gives it (ones without)."""
    labels = np.asarray(labels).reshape(len(labels), -1)[:, 0]
    if not class_weight:
        return np.ones(len(labels), dtype="float32")
    return np.array([class_weight[int(v)] for v in labels], dtype="float32")


def pair_batches(keras, features, labels: np.ndarray, class_weight: dict | None, batch_size: int,
                 seed: int | None = None):
    """A Keras ``PyDataset`` that builds each batch's features when Keras asks for it.

    Why: held for all pairs at once, DGRNS's maize features are 0.4 GB for training and
    0.14 GB for validation, and Keras copies arrays into tensors, doubling that. Built per
    batch they cost ~1% of an epoch's time (``features(index)`` must be deterministic). With
    ``seed`` the pair order of epoch e is the permutation drawn from (seed, e) (Keras's own
    shuffle of arrays, in distribution, but independent of how many epochs this process ran,
    so a fit resumed from a checkpoint sees the batches of an uninterrupted one; ``epoch`` is
    set by ``resumable_fit``); without, pairs keep their order (validation). Weights are the
    class weights per pair, as Keras's ``class_weight`` would give them.
    """
    labels = np.asarray(labels, dtype="float32")
    weights = pair_weights(labels, class_weight)

    class PairBatches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.epoch = 0
            self._order_epoch, self._order = None, np.arange(len(labels))

        def __len__(self) -> int:
            return -(-len(labels) // int(batch_size))

        def order(self) -> np.ndarray:
            if seed is not None and self._order_epoch != self.epoch:
                self._order = np.random.default_rng([int(seed) % (2**32), self.epoch]).permutation(len(labels))
                self._order_epoch = self.epoch
            return self._order

        def __getitem__(self, i: int):
            index = self.order()[i * int(batch_size):(i + 1) * int(batch_size)]
            return features(index), labels[index], weights[index]

    return PairBatches()


def array_batches(keras, inputs, labels: np.ndarray, class_weight: dict | None, batch_size: int, seed: int):
    """``pair_batches`` over in-memory arrays (``inputs``: an array or a tuple of arrays), so
    array-fed fits shuffle per (seed, epoch) too and can resume from a checkpoint."""
    if isinstance(inputs, tuple):
        return pair_batches(keras, lambda i: tuple(a[i] for a in inputs), labels, class_weight, batch_size, seed)
    return pair_batches(keras, lambda i: inputs[i], labels, class_weight, batch_size, seed)


def resumable_fit(keras, model, train, *, epochs: int, callbacks: list, checkpoint_dir=None,
                  validation_data=None, validation_batch_size: int | None = None, verbose: int = 0):
    """``model.fit`` on ``train`` (a ``pair_batches`` dataset) that checkpoints every epoch
    under ``checkpoint_dir`` and, when a checkpoint is there, continues after its epoch
    (``grnbench.checkpoint``). The one training loop of every Keras method, so CNNC, DGRNS,
    PSGRN and Keras plugins all resume, and all record their learning curve
    (``grnbench.learning_curve``: inserted after ``callbacks`` that log validation values,
    before the first progress callback of ``epoch_progress``, which it then feeds). ``callbacks``
    whose ``state()`` or early-stopping counters matter go first; the progress callback may be
    among them.
    """
    from grnbench import checkpoint
    from grnbench.learning_curve import learning_curve

    path = checkpoint.checkpoint_path(checkpoint_dir)
    initial_epoch = 0
    callbacks = list(callbacks)
    # the curve reads the validation values earlier callbacks log; progress callbacks read it
    curve = learning_curve(keras, epochs)
    first_progress = next((i for i, c in enumerate(callbacks) if hasattr(c, "learning_curve")), len(callbacks))
    for callback in callbacks[first_progress:]:
        if hasattr(callback, "learning_curve"):
            callback.learning_curve = curve
    if path is not None:
        saved = checkpoint.load(path)
        if saved is not None:
            try:
                initial_epoch = checkpoint.restore(saved, model, callbacks, sample_input=train[0][0])
            except (ValueError, KeyError, TypeError) as exc:
                import sys

                print(f"note: ignoring training checkpoint {path} ({exc}); training starts from epoch 1",
                      file=sys.stderr, flush=True)
                initial_epoch = 0
            else:
                if "curve" in saved.get("extra", {}):  # absent in checkpoints older than curves
                    curve.restore_state(saved["extra"]["curve"])
            if saved.get("extra", {}).get("stopped"):
                initial_epoch = int(epochs)  # stopped early before the kill: only on_train_end runs
        callbacks.append(checkpoint.epoch_checkpoint(keras, path, list(callbacks),
                                                     extra=lambda: {"curve": curve.state()}))
        callbacks.append(take_freed_cores(keras, epochs))  # last: after the epoch's checkpoint
    callbacks.insert(first_progress, curve)

    class EpochOrder(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            train.epoch = int(epoch)

    return model.fit(train, validation_data=validation_data, validation_batch_size=validation_batch_size,
                     epochs=int(epochs), initial_epoch=min(initial_epoch, int(epochs)), shuffle=False,
                     callbacks=[EpochOrder(), *callbacks], verbose=verbose)


def take_freed_cores(keras, epochs: int):
    """A callback that, at the end of every epoch but the last (and unless training stops),
    lets the task take more threads the runner offered: its process exits and a new one with
    more threads resumes from the checkpoint just written
    (``grnbench.execution.task_process.rethread_for_freed_cores``). Goes after the checkpoint
    callback. Outside a runner's task process it does nothing."""
    from grnbench.execution.task_process import rethread_for_freed_cores

    class TakeFreedCores(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if int(epoch) + 1 < int(epochs) and not self.model.stop_training:
                rethread_for_freed_cores()

    return TakeFreedCores()


def balance_pairs(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Indices of all positives plus as many random negatives (1:1, as CNNC/DGRNS train)."""
    labels = np.asarray(labels)
    pos = np.flatnonzero(labels == 1)
    neg = np.flatnonzero(labels == 0)
    if len(pos) == 0 or len(neg) == 0:
        return np.arange(len(labels))
    chosen = rng.choice(neg, size=min(len(pos), len(neg)), replace=False)
    return np.sort(np.concatenate([pos, chosen]))


def prepare_labels(train, validation, balance: str, seed: int):
    """Indices into train/validation and the class weights for the chosen imbalance rule."""
    from grnbench.errors import UserError

    if balance == "class_weight":
        return (np.arange(len(train.labels)), np.arange(len(validation.labels)),
                balanced_class_weight(train.labels))
    if balance == "none":  # the natural positive rate, unweighted (DGRNS's training script)
        return np.arange(len(train.labels)), np.arange(len(validation.labels)), None
    if balance == "subsample":
        rng = np.random.default_rng(seed)
        return balance_pairs(train.labels, rng), balance_pairs(validation.labels, rng), None
    raise UserError(f"balance must be one of {', '.join(BALANCES)}, got {balance!r}")


class KerasPairClassifier(Method):
    """A supervised method that turns each pair into a feature tensor and trains a Keras
    sigmoid classifier on it (CNNC, DGRNS).

    Subclasses implement ``prepare`` (per-dataset state), ``pair_features`` and
    ``build_model``; compiling, training (imbalance rule, seeding, early stopping on
    validation) and chunked scoring are shared so the two methods cannot drift apart.
    Parameters used here: ``balance``, ``epochs``, ``batch_size``, ``patience``,
    ``restore_best``, ``learning_rate``, ``decay``, ``momentum`` and, if the subclass has it,
    ``micro_batch`` (see ``install_micro_batches``).
    """

    supervised = True
    #: trains with Keras: runs on --device, reports it in results
    uses_keras = True
    uses_threads = True
    #: pairs featurised at once when scoring, bounding memory on large pair sets
    score_chunk: int = 20_000
    #: build features batch by batch while training (``pair_batches``) instead of for all
    #: training and validation pairs up front: for features that are cheap beside a step
    features_per_batch: bool = False

    def prepare(self, data: TrainingData) -> None:
        """Compute per-dataset state before features are built (default: nothing)."""

    @abstractmethod
    def pair_features(self, pairs: PairSet) -> np.ndarray:
        """The model's input for each pair."""

    @abstractmethod
    def build_model(self, keras):
        """The (uncompiled) Keras model: pair features in, one sigmoid unit out."""

    def compile_model(self, keras, model):
        """Compile as both references do: Keras 2 SGD (``learning_rate``, ``decay``,
        ``momentum``, Nesterov), binary cross-entropy, class-weighted accuracy for early
        stopping."""
        p = self.params
        model.compile(optimizer=keras2_sgd(keras, float(p["learning_rate"]), float(p["decay"]),
                                           float(p["momentum"]), nesterov=True),
                      loss="binary_crossentropy", weighted_metrics=["accuracy"])
        set_xla(model)
        return model

    def fit(self, data: TrainingData) -> None:
        from grnbench.errors import UserError

        if data.train is None or data.validation is None:
            raise UserError(f"{self.name} is supervised: it needs labelled training and validation pairs")
        p = self.params
        self.prepare(data)
        train_idx, val_idx, class_weight = prepare_labels(data.train, data.validation,
                                                          str(p["balance"]), data.seed)
        keras = configure_tensorflow(data.seed, data.n_threads)
        train_pairs, val_pairs = data.train.pairs.subset(train_idx), data.validation.pairs.subset(val_idx)
        y_train, y_val = data.train.labels[train_idx], data.validation.labels[val_idx]
        selection = str(p.get("selection", "reference"))
        if selection not in SELECTIONS:
            raise UserError(f"{self.name}: selection must be one of {', '.join(SELECTIONS)}, got {selection!r}")
        # the shared rule scores the validation pairs itself (val_aupr and val_accuracy from one
        # pass); only the authors' rule needs Keras's validation pass
        keras_validation = selection != "shared"
        x_val = None
        if self.features_per_batch:
            x_train = pair_batches(keras, lambda i: self.pair_features(train_pairs.subset(i)), y_train,
                                   class_weight, int(p["batch_size"]), seed=data.seed)
            if keras_validation:
                x_val = pair_batches(keras, lambda i: self.pair_features(val_pairs.subset(i)), y_val,
                                     class_weight, self._inference_batch())
        else:
            x_train = self.pair_features(train_pairs)
            if keras_validation:
                x_val = self.pair_features(val_pairs)
        keras.backend.clear_session()
        keras.utils.set_random_seed(int(data.seed) % (2**32 - 1))
        self.model_ = self.compile_model(keras, self.build_model(keras))
        install_micro_batches(self.model_, int(p.get("micro_batch", 0) or 0))
        monitor = None
        if selection == "shared":
            monitor = epoch_selection(keras, lambda: self.score_edges(val_pairs), y_val, int(p["patience"]),
                                      accuracy_weights=pair_weights(y_val, class_weight))
        if self.features_per_batch:
            y_train = y_val = None
        self.history_ = fit_binary_classifier(
            keras, self.model_, x_train, y_train, x_val, y_val, epochs=p["epochs"], batch_size=p["batch_size"],
            patience=None if monitor else p["patience"], class_weight=class_weight,
            restore_best=bool(p["restore_best"]), verbose=2 if data.progress else 0, on_progress=data.on_progress,
            validation_batch_size=self._inference_batch(), extra_callbacks=[monitor] if monitor else [],
            seed=data.seed, checkpoint_dir=data.checkpoint_dir).history
        self.best_epoch_ = monitor.best_epoch if monitor else None

    def _inference_batch(self) -> int:
        """Batch of the validation and scoring passes: the micro-batch when there is one (the
        same memory bound as training), else the training batch."""
        return int(self.params.get("micro_batch", 0) or 0) or int(self.params["batch_size"])

    def score_edges(self, pairs: PairSet) -> np.ndarray:
        scores = np.empty(len(pairs), dtype=np.float64)
        for start in range(0, len(pairs), self.score_chunk):
            chunk = pairs.subset(np.arange(start, min(start + self.score_chunk, len(pairs))))
            scores[start:start + len(chunk)] = self.model_.predict(
                self.pair_features(chunk), batch_size=self._inference_batch(), verbose=0).reshape(-1)
        return scores
