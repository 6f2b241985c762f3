"""PSGRN's network (Keras 3; TensorFlow backend by default): per-gene encoders + a batched pair head.

Layout of one pair (T = stacked time-lag rows, tl = lag, H = hidden size):

    TF matrix (T × tl)     → encoder_tf (GRU, H, all steps)     ─┐
                                                                 ├ concat → (T × 2H) → backbone → pool → dense → out
    target matrix (T × tl) → encoder_tg (GRU, H, own weights)   ─┘

The encoders depend on one gene only. ``PairModel`` therefore encodes each *distinct* gene of
a batch once (``tf.unique`` + gather) and gathers the encodings for the pairs; the
gradient of the gather sums the contributions of all pairs that share a gene, so this is the
same function and the same gradient as encoding per pair, at a fraction of the cost. Scoring
encodes every gene once and then runs only the pair head. ``shared_encoding=False`` keeps the
naive per-pair path (used to measure the saving and to test that both agree).

Everything else is written in ``keras.ops``, so the same model also runs on Keras's JAX
backend (``KERAS_BACKEND=jax``, e.g. on a GPU without TensorFlow). JAX has no dynamically
sized ``unique`` under ``jit``, so there a training step encodes *every* gene once and gathers
(same function and gradient again; cheaper than per pair whenever a batch holds more pairs
than there are genes). TensorFlow stays the default and the one the tests pin.

Convolutions are 1-D along the step (time) axis with the 2H concatenated hidden units as
channels: hidden units have no neighbourhood order, so a 2-D kernel sliding across them would
impose one that does not exist (the paper does not say which it used).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

layers = keras.layers
_TENSORFLOW = keras.backend.backend() == "tensorflow"
if _TENSORFLOW:
    import tensorflow as tf

    _graph = tf.function(reduce_retracing=True)
else:  # JAX/torch: the methods below run as plain (eager) calls
    def _graph(fn):
        return fn

ENCODERS = ("gru", "lstm", "rnn", "none")
BACKBONES = ("densenet", "vgg", "resnet", "matmul")
OUTPUTS = ("sigmoid", "softmax")


def make_encoder(kind: str, hidden: int, name: str):
    if kind == "gru":
        return layers.GRU(hidden, return_sequences=True, name=name)
    if kind == "lstm":
        return layers.LSTM(hidden, return_sequences=True, name=name)
    if kind == "rnn":
        return layers.SimpleRNN(hidden, return_sequences=True, name=name)
    if kind == "none":
        return None
    raise ValueError(f"unknown encoder {kind!r}; valid: {', '.join(ENCODERS)}")


def _bn_relu(x):
    return layers.ReLU()(layers.BatchNormalization()(x))


def densenet(x, blocks: int, layers_per_block: int, growth: int, compression: float):
    """DenseNet-BC in 1-D: stem conv, dense blocks (BN-ReLU-1×1 conv(4k)-BN-ReLU-3 conv(k), each
    layer's output concatenated to all earlier maps), transition layers (BN-ReLU-1×1 conv
    compressing channels, average pooling /2) between blocks."""
    x = layers.Conv1D(2 * growth, 3, padding="same", use_bias=False)(x)
    for b in range(blocks):
        for _ in range(layers_per_block):
            y = layers.Conv1D(4 * growth, 1, use_bias=False)(_bn_relu(x))
            y = layers.Conv1D(growth, 3, padding="same", use_bias=False)(_bn_relu(y))
            x = layers.Concatenate()([x, y])
        if b < blocks - 1:
            channels = max(1, int(x.shape[-1] * compression))
            x = layers.Conv1D(channels, 1, use_bias=False)(_bn_relu(x))
            x = layers.AveragePooling1D(2, padding="same")(x)
    return _bn_relu(x)


def vgg(x, blocks: int, layers_per_block: int, growth: int):
    """VGG-style: stages of two 3-convs (BN-ReLU), max pooling /2 between stages, filters
    2·growth doubling per stage (``layers_per_block`` is unused: VGG stages have two convs)."""
    del layers_per_block
    for b in range(blocks):
        filters = 2 * growth * 2**b
        for _ in range(2):
            x = _bn_relu(layers.Conv1D(filters, 3, padding="same", use_bias=False)(x))
        if b < blocks - 1:
            x = layers.MaxPooling1D(2, padding="same")(x)
    return x


def resnet(x, blocks: int, layers_per_block: int, growth: int):
    """ResNet-style: stem conv, stages of basic residual blocks (conv-BN-ReLU-conv-BN + shortcut,
    1×1 projection when the width changes), average pooling /2 between stages; filters
    2·growth doubling per stage, max(1, layers_per_block // 2) residual blocks per stage."""
    x = _bn_relu(layers.Conv1D(2 * growth, 3, padding="same", use_bias=False)(x))
    for b in range(blocks):
        filters = 2 * growth * 2**b
        for _ in range(max(1, layers_per_block // 2)):
            shortcut = x
            if shortcut.shape[-1] != filters:
                shortcut = layers.Conv1D(filters, 1, use_bias=False)(shortcut)
            y = _bn_relu(layers.Conv1D(filters, 3, padding="same", use_bias=False)(x))
            y = layers.BatchNormalization()(layers.Conv1D(filters, 3, padding="same", use_bias=False)(y))
            x = layers.ReLU()(layers.Add()([shortcut, y]))
        if b < blocks - 1:
            x = layers.AveragePooling1D(2, padding="same")(x)
    return x


def build_pair_head(steps: int, channels: int, cfg: dict) -> keras.Model:
    """Functional model: (TF encoding, target encoding), each steps × channels → score(s)."""
    a = keras.Input((steps, channels), name="tf_encoding")
    b = keras.Input((steps, channels), name="target_encoding")
    backbone = cfg["backbone"]
    if backbone == "matmul":
        # FM-GRU: no CNN; the two encodings are combined by a matrix product (steps × steps:
        # how every TF step relates to every target step), scaled by 1/sqrt(channels).
        m = layers.Lambda(lambda t: ops.matmul(t[0], ops.transpose(t[1], (0, 2, 1))) / np.sqrt(channels))([a, b])
        x = layers.Flatten()(m)
    else:
        x = layers.Concatenate(axis=-1)([a, b])
        depth = (cfg["dn_blocks"], cfg["dn_layers"], cfg["dn_growth"])
        if backbone == "densenet":
            x = densenet(x, *depth, compression=cfg["dn_compression"])
        elif backbone == "vgg":
            x = vgg(x, *depth)
        elif backbone == "resnet":
            x = resnet(x, *depth)
        else:
            raise ValueError(f"unknown backbone {backbone!r}; valid: {', '.join(BACKBONES)}")
        x = layers.GlobalMaxPooling1D()(x)  # the paper's max pooling before the dense layers
    if cfg["dropout"] > 0:
        x = layers.Dropout(cfg["dropout"])(x)
    x = layers.Dense(cfg["dense_units"], activation="relu")(x)
    if cfg["output"] == "sigmoid":
        out = layers.Dense(1, activation="sigmoid")(x)
    elif cfg["output"] == "softmax":
        out = layers.Dense(2, activation="softmax")(x)
    else:
        raise ValueError(f"unknown output {cfg['output']!r}; valid: {', '.join(OUTPUTS)}")
    return keras.Model([a, b], out, name="pair_head")


class PairModel(keras.Model):
    """Maps (regulator index, target index) batches to scores, reading a fixed feature table."""

    def __init__(self, features: np.ndarray, segment_lengths: tuple[int, ...], cfg: dict,
                 shared_encoding: bool = True, **kwargs):
        super().__init__(**kwargs)
        n_genes, steps, tl = features.shape
        self.n_genes, self.steps, self.tl = n_genes, steps, tl
        # restart the recurrent state at each series when all series give the same rows
        self.n_segments = len(segment_lengths) if len(set(segment_lengths)) == 1 else 1
        self.shared_encoding = shared_encoding
        self.table = self.add_weight(shape=features.shape, dtype="float32", trainable=False,
                                     initializer=keras.initializers.Constant(features), name="lag_table")
        self.encoder_tf = make_encoder(cfg["encoder"], cfg["hidden"], "encoder_tf")
        self.encoder_tg = make_encoder(cfg["encoder"], cfg["hidden"], "encoder_target")
        channels = tl if self.encoder_tf is None else cfg["hidden"]
        self.head = build_pair_head(steps, channels, cfg)

    def _encode(self, encoder, genes):
        x = ops.take(self.table, genes, axis=0)
        if encoder is None:
            return x
        if self.n_segments > 1:
            seg = self.steps // self.n_segments
            h = encoder(ops.reshape(x, (-1, seg, self.tl)))
            return ops.reshape(h, (-1, self.steps, h.shape[-1]))
        return encoder(x)

    def encode_genes(self, genes, side: str):
        return self._encode(self.encoder_tf if side == "tf" else self.encoder_tg, genes)

    def call(self, inputs, training=None):
        regs, tgts = inputs
        regs = ops.reshape(ops.cast(regs, "int32"), (-1,))
        tgts = ops.reshape(ops.cast(tgts, "int32"), (-1,))
        if self.shared_encoding and _TENSORFLOW:
            ureg, ireg = tf.unique(regs)
            utgt, itgt = tf.unique(tgts)
            h_tf = ops.take(self._encode(self.encoder_tf, ureg), ireg, axis=0)
            h_tg = ops.take(self._encode(self.encoder_tg, utgt), itgt, axis=0)
        elif self.shared_encoding:
            every = ops.arange(self.n_genes, dtype="int32")
            h_tf = ops.take(self._encode(self.encoder_tf, every), regs, axis=0)
            h_tg = ops.take(self._encode(self.encoder_tg, every), tgts, axis=0)
        else:
            h_tf = self._encode(self.encoder_tf, regs)
            h_tg = self._encode(self.encoder_tg, tgts)
        return self.head([h_tf, h_tg], training=training)

    def score_pairs(self, regs: np.ndarray, tgts: np.ndarray, batch_size: int = 2048) -> np.ndarray:
        """Positive-class probability per pair, in inference mode."""
        regs = np.asarray(regs, dtype=np.int32)
        tgts = np.asarray(tgts, dtype=np.int32)
        out = []
        if self.shared_encoding:
            # every gene encoded once, by each branch; then only the pair head runs per pair
            enc_tf = self._encode_all("tf", batch_size)
            enc_tg = self._encode_all("target", batch_size)
            for s in range(0, len(regs), batch_size):
                a = ops.take(enc_tf, regs[s:s + batch_size], axis=0)
                b = ops.take(enc_tg, tgts[s:s + batch_size], axis=0)
                head = self.head if self.run_eagerly else self._head_infer
                out.append(np.asarray(head([a, b], training=False) if self.run_eagerly else head(a, b)))
        else:
            for s in range(0, len(regs), batch_size):
                infer = self.call if self.run_eagerly else self._naive_infer
                pair = (regs[s:s + batch_size], tgts[s:s + batch_size])
                out.append(np.asarray(infer(pair, training=False) if self.run_eagerly else infer(*pair)))
        probs = np.concatenate(out, axis=0) if out else np.zeros((0, 1), dtype=np.float32)
        return probs[:, -1].astype(np.float64)

    def _encode_all(self, side: str, batch_size: int):
        encode = self.encode_genes if self.run_eagerly else self._encode_infer
        parts = [encode(np.arange(s, min(s + batch_size, self.n_genes), dtype=np.int32), side)
                 for s in range(0, self.n_genes, batch_size)]
        return ops.concatenate(parts, axis=0)

    @_graph
    def _head_infer(self, a, b):
        return self.head([a, b], training=False)

    @_graph
    def _encode_infer(self, genes, side):
        return self.encode_genes(genes, side)

    @_graph
    def _naive_infer(self, regs, tgts):
        return self.call((regs, tgts), training=False)
