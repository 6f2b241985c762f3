"""One XLA setting for every Keras method: CNNC, DGRNS and PSGRN compile their steps with
``grnbench.deep.XLA_ON_TENSORFLOW`` (off; benchmarks/epoch_time.py measured why)."""

from __future__ import annotations

import pytest

from grnbench import deep
from grnbench.methods.cnnc import CNNC
from grnbench.methods.dgrns import DGRNS
from grnbench.methods.psgrn import PSGRN, TINY
from grnbench.methods.psgrn_features import lag_features

pytestmark = pytest.mark.skipif(not deep.uses_tensorflow_backend(), reason="the switch is TensorFlow's")


def test_every_keras_method_compiles_with_the_one_xla_setting(dream4_small):
    keras = deep.configure_tensorflow(0)
    cnnc = CNNC(**CNNC.test_parameters)
    dgrns = DGRNS(**DGRNS.test_parameters)
    psgrn = PSGRN(**TINY)
    features = lag_features(dream4_small, psgrn.params["tl"], psgrn.params["min_steps"], True)
    models = [cnnc.compile_model(keras, cnnc.build_model(keras)),
              dgrns.compile_model(keras, dgrns.build_model(keras, rows=6, lags=6)),
              psgrn.build(features, seed=0)]
    assert [m.jit_compile for m in models] == [deep.XLA_ON_TENSORFLOW] * 3
    assert deep.XLA_ON_TENSORFLOW is False
