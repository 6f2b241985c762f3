"""grnbench: a benchmarking harness for gene regulatory network inference.

The public API lives in :mod:`grnbench.api` (the ``Method`` plugin contract),
:mod:`grnbench.data.dataset` (the ``Dataset`` data model; methods see its label-free
:mod:`grnbench.data.view`), :mod:`grnbench.data.universe` (the one definition of which edges
are scored), :mod:`grnbench.trial` (``fit_and_score``, the one path from a method to scored
test pairs), :mod:`grnbench.testing` (``check_method``, the contract checker) and
:mod:`grnbench.evaluation.catalogue` (every metric column, declared once).
"""

__version__ = "0.1.0"
