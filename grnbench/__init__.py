"""grnbench: a benchmarking harness for gene regulatory network inference.

The public API lives in :mod:`grnbench.api` (the ``Method`` plugin contract),
:mod:`grnbench.dataset` (the ``Dataset`` data model), :mod:`grnbench.universe`
(the one definition of which edges are scored) and :mod:`grnbench.metrics`.
"""

__version__ = "0.1.0"
