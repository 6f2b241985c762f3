"""The contract every method honours, checked by the checker grnbench ships.

Every registered method — built-in or installed through the ``grnbench.methods`` entry-point
group — goes through ``grnbench.testing.check_method``, so a new method is checked the day it
appears. The plugins below break the contract on purpose (reading the answer key, shadowing a
built-in, an entry-point key that is not the method's name) and must be caught.
"""

from __future__ import annotations

import json
import os
import pickle
import pickletools
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from grnbench import registry as registry_module
from grnbench.api import TrainingData
from grnbench.cli import main
from grnbench.data.dataset import Dataset
from grnbench.data.view import DatasetView
from grnbench.errors import UserError
from grnbench.registry import load_registry
from grnbench.testing import check_method, make_lagged_dataset

REGISTRY = load_registry()
NAMES = sorted(REGISTRY.methods)
#: the deep-learning methods train Keras models three times (minutes on a shared CPU); the rest take seconds
DEEP = {n for n in NAMES if n.startswith(("psgrn", "cnnc", "dgrns"))}

LEAK_PLUGIN = '''
import numpy as np
from grnbench.api import Method


class Leak(Method):
    """Unsupervised, yet reads the answer key: must fail, never score AUPR 1."""

    name = "leak"
    description = "test plugin: reads data.dataset.gold_standard"

    def fit(self, data):
        gold = data.dataset.gold_standard
        index = data.dataset.gene_index
        self._table = np.zeros((data.dataset.n_genes, data.dataset.n_genes))
        for r, t in gold:
            self._table[index[r], index[t]] = 1.0

    def score_edges(self, pairs):
        return self._table[pairs.regulators, pairs.targets]
'''

STACK_LEAK_PLUGIN = '''
import inspect
import numpy as np
from grnbench.api import Method
from grnbench.data.dataset import Dataset


class StackLeak(Method):
    """Walks up the interpreter's stack to the caller's full Dataset: no object given to fit
    leads there, so only the checker's changed-gold-standard refit can catch it."""

    name = "stack-leak"
    description = "test plugin: finds the Dataset in its callers' frames"

    def fit(self, data):
        frame = inspect.currentframe()
        while not isinstance(frame.f_locals.get("dataset"), Dataset):
            frame = frame.f_back
        gold = frame.f_locals["dataset"].gold_standard
        index = data.dataset.gene_index
        self._table = np.zeros((data.dataset.n_genes, data.dataset.n_genes))
        for r, t in gold:
            self._table[index[r], index[t]] = 1.0

    def score_edges(self, pairs):
        return self._table[pairs.regulators, pairs.targets]
'''

SHADOW_PLUGIN = '''
import numpy as np
from grnbench.api import Method


class Shadow(Method):
    name = "correlation"
    description = "test plugin: claims the built-in's name"

    def fit(self, data):
        self._n = data.dataset.n_genes

    def score_edges(self, pairs):
        return (pairs.regulators * 7 + pairs.targets) % 5 / 5.0
'''


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_every_entry_point_loads_under_its_own_name():
    assert REGISTRY.problems() == []


@pytest.mark.parametrize("name", sorted(set(NAMES) - DEEP))
def test_registered_method_passes_the_shipped_checker(name):
    report = check_method(REGISTRY.methods[name], registry=REGISTRY)
    assert all(r.ok for r in report.results), report.lines()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(DEEP))
def test_registered_deep_method_passes_the_shipped_checker(name):
    report = check_method(REGISTRY.methods[name], registry=REGISTRY)
    assert all(r.ok for r in report.results), report.lines()


# ---------------------------------------------------------------- the label-free view


def test_fit_is_given_a_view_with_no_path_to_the_gold_standard(lagged_dataset: Dataset):
    view = TrainingData(dataset=lagged_dataset, seed=0).dataset
    assert isinstance(view, DatasetView)
    assert not hasattr(view, "gold_standard")
    assert not hasattr(view, "__dict__")
    with pytest.raises(TypeError):
        vars(view)
    for slot in DatasetView.__slots__:
        value = getattr(view, slot)
        assert not isinstance(value, Dataset)
        if isinstance(value, np.ndarray):
            base = value
            while base is not None:
                assert isinstance(base, np.ndarray) and base is not lagged_dataset.expression
                base = base.base
    blob = pickle.dumps(view)
    strings = {arg for op, arg, _ in pickletools.genops(blob) if isinstance(arg, str)}
    assert "Dataset" not in strings and "gold_standard" not in strings and b"gold" not in blob
    assert pickle.loads(blob).content_hash == view.content_hash


def test_the_view_is_read_only_so_a_method_cannot_edit_shared_numbers(lagged_dataset: Dataset):
    view = DatasetView.of(lagged_dataset)
    with pytest.raises(ValueError):
        view.expression[0, 0] = 1.0
    with pytest.raises(ValueError):
        view.expression.setflags(write=True)
    with pytest.raises(AttributeError):
        view.name = "other"  # type: ignore[misc]


def test_the_view_keeps_what_methods_read(lagged_dataset: Dataset):
    view = DatasetView.of(lagged_dataset)
    assert view.genes == lagged_dataset.genes and view.tfs == lagged_dataset.tfs
    assert view.n_genes == lagged_dataset.n_genes and view.n_samples == lagged_dataset.n_samples
    np.testing.assert_array_equal(view.tf_indices, lagged_dataset.tf_indices)
    assert view.gene_index == lagged_dataset.gene_index
    assert view.min_series_length() == lagged_dataset.min_series_length()
    other = make_lagged_dataset(seed=0)
    moved = Dataset(**{**{k: getattr(other, k) for k in ("name", "genes", "expression", "times", "series", "tfs")},
                       "gold_standard": frozenset([("TF0", "T5")])})
    assert DatasetView.of(moved).content_hash == view.content_hash, "the view's hash must not depend on labels"


# ---------------------------------------------------------------- the leak plugins


def test_a_plugin_reading_the_gold_standard_fails_its_tasks_and_the_run_exits_1(tmp_path, capsys):
    plugin = write(tmp_path, "leak.py", LEAK_PLUGIN)
    out = tmp_path / "run"
    code = main(["run", "--quiet", "--methods", "leak,correlation", "--dataset", "dream4-10-1", "--workers", "0",
                 "--out", str(out), "--plugin", str(plugin)])
    assert code == 1
    frame = pd.read_csv(out / "results.csv").set_index("method")
    assert frame.loc["leak", "status"] == "failed"
    assert "'DatasetView' object has no attribute 'gold_standard'" in frame.loc["leak", "error"]
    assert frame.loc["correlation", "status"] == "ok"


def test_the_checker_fails_a_plugin_reading_the_gold_standard(tmp_path, capsys):
    plugin = write(tmp_path, "leak.py", LEAK_PLUGIN)
    assert main(["check", "--plugin", str(plugin)]) == 1
    out = capsys.readouterr().out
    assert "FAIL  finite score for every pair" in out and "gold_standard" in out


def test_the_checker_catches_a_method_that_finds_the_labels_outside_what_it_is_given(tmp_path):
    plugin = write(tmp_path, "stack_leak.py", STACK_LEAK_PLUGIN)
    cls = load_registry([str(plugin)]).methods["stack-leak"]
    report = check_method(cls, raise_on_failure=False)
    failed = {r.check: r.message for r in report.failures}
    assert list(failed) == ["gold standard unreachable"], report.lines()
    assert "scores changed when only the gold standard of the test pairs changed" in failed["gold standard unreachable"]
    with pytest.raises(AssertionError, match="gold standard unreachable"):
        check_method(cls)


def test_the_checker_fails_a_flag_that_is_not_a_bool():
    """``cheap = "yes"`` would put a multi-hour plugin first in every queue: a bool or a failed check."""
    from grnbench.methods.correlation import Correlation

    class Cheapish(Correlation):
        name = "cheapish"
        cheap = "yes"

    report = check_method(Cheapish, raise_on_failure=False)
    failed = {r.check: r.message for r in report.failures}
    assert "`cheap` must be True or False" in failed["interface"], report.lines()


# ---------------------------------------------------------------- names and sources


def test_a_plugin_named_like_a_builtin_is_refused_naming_both_sources(tmp_path, capsys):
    plugin = write(tmp_path, "shadow.py", SHADOW_PLUGIN)
    code = main(["run", "--quiet", "--methods", "correlation", "--dataset", "dream4-10-1", "--workers", "0",
                 "--out", str(tmp_path / "run"), "--plugin", str(plugin)])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "'correlation' is defined twice" in err
    assert "entry point correlation = grnbench.methods.correlation:Correlation from grnbench" in err
    assert f"plugin file {plugin.resolve()} (class Shadow)" in err and "--plugin-override" in err
    assert not (tmp_path / "run" / "results.csv").exists()


def test_plugin_override_replaces_the_builtin_and_the_manifest_says_so(tmp_path):
    plugin = write(tmp_path, "shadow.py", SHADOW_PLUGIN)
    out = tmp_path / "run"
    assert main(["run", "--quiet", "--methods", "correlation,random", "--dataset", "dream4-10-1", "--workers", "0",
                 "--out", str(out), "--plugin", str(plugin), "--plugin-override"]) == 0
    methods = json.loads((out / "manifest.json").read_text())["methods"]
    import hashlib

    assert methods["correlation"]["source"] == {"kind": "plugin file", "path": str(plugin.resolve()),
                                                "sha256": hashlib.sha256(plugin.read_bytes()).hexdigest(),
                                                "class": "Shadow"}
    assert methods["correlation"]["replaces"]["entry_point"] == "correlation = grnbench.methods.correlation:Correlation"
    assert methods["random"]["source"]["distribution"] == "grnbench"
    assert methods["random"]["source"]["version"]


def _install_entry_points(tmp_path: Path, monkeypatch, dist: str, module: str, code: str, entries: str) -> None:
    """A real installed distribution (a .dist-info folder on sys.path) with entry points."""
    site = tmp_path / "site"
    (site / f"{dist}-1.2.3.dist-info").mkdir(parents=True)
    (site / f"{module}.py").write_text(code)
    (site / f"{dist}-1.2.3.dist-info" / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.2.3\n")
    (site / f"{dist}-1.2.3.dist-info" / "entry_points.txt").write_text(f"[grnbench.methods]\n{entries}\n")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr(registry_module, "_LOADED", {})


MISMATCH_CODE = textwrap.dedent('''
    from grnbench.api import Method

    class Lagged(Method):
        name = "lagged-corr"
        description = "third-party test method"

        def fit(self, data):
            self._x = data.dataset.expression

        def score_edges(self, pairs):
            return abs((self._x[pairs.regulators] * self._x[pairs.targets]).mean(axis=1))

    class Correlation(Lagged):
        name = "correlation"
''')


def test_an_entry_point_key_that_differs_from_the_name_is_reported_not_silently_unknown(tmp_path, monkeypatch, capsys):
    _install_entry_points(tmp_path, monkeypatch, "tp_mismatch", "tp_mismatch_mod", MISMATCH_CODE,
                          "lagged = tp_mismatch_mod:Lagged")
    registry = load_registry()
    assert registry.key_mismatches == {"lagged": "lagged-corr"}
    with pytest.raises(UserError, match="'lagged' is the entry-point key of a method whose name is 'lagged-corr'"):
        registry.get("lagged")
    assert main(["list"]) == 0
    assert "lagged: entry-point key differs from the method's name 'lagged-corr'" in capsys.readouterr().out
    assert main(["check", "lagged"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  name and entry-point key" in out and "tp_mismatch 1.2.3" in out


def test_two_installed_methods_with_one_name_are_an_error_naming_both(tmp_path, monkeypatch, capsys):
    _install_entry_points(tmp_path, monkeypatch, "tp_clash", "tp_clash_mod", MISMATCH_CODE,
                          "correlation = tp_clash_mod:Correlation")
    code = main(["run", "--quiet", "--methods", "correlation", "--dataset", "dream4-10-1", "--workers", "0",
                 "--out", str(tmp_path / "run")])
    assert code == 2
    err = capsys.readouterr().err
    assert "grnbench.methods.correlation:Correlation from grnbench" in err and "tp_clash_mod:Correlation from tp_clash 1.2.3" in err


def test_a_plugin_file_runs_once_per_process_not_once_per_task(tmp_path):
    """Each task runs in its own isolated process (grnbench.execution.task_process), so the file is
    executed once in the CLI and once in each task process — never twice in one process."""
    counter = tmp_path / "imports.txt"
    plugin = write(tmp_path, "counted.py", f"import os; open({str(counter)!r}, 'a').write(f'{{os.getpid()}}\\n')\n"
                   + SHADOW_PLUGIN.replace('"correlation"', '"counted"'))
    assert main(["run", "--quiet", "--methods", "counted", "--dataset", "dream4-10-1", "--workers", "0",
                 "--protocol", "noise:repeats=3", "--out", str(tmp_path / "run"), "--plugin", str(plugin)]) == 0
    pids = counter.read_text().split()
    assert len(pids) == len(set(pids)), "a plugin file was executed twice in one process"
    assert str(os.getpid()) in pids and len(pids) <= 1 + 3
    assert sys.modules  # (the module stays imported for the rest of the process)
