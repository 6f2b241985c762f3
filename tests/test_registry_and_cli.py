"""Method discovery (entry points, --plugin files), method specs and the run command."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from grnbench.cli import main
from grnbench.errors import UserError
from grnbench.registry import load_plugin_file, load_registry, parse_method_specs

PLUGIN = '''
import numpy as np
from grnbench.api import Method


class Anticorrelation(Method):
    name = "anticorr"
    description = "plugin file test method"
    parameters = {"power": 1.0}

    def fit(self, data):
        self._x = data.dataset.expression

    def score_edges(self, pairs):
        a, b = self._x[pairs.regulators], self._x[pairs.targets]
        return -np.abs((a * b).mean(axis=1)) ** self.params["power"]
'''


def test_builtin_controls_register_through_entry_points():
    registry = load_registry()
    assert {"random", "correlation"} <= set(registry.methods)
    assert registry.methods["correlation"].supervised is False


def test_plugin_file_adds_a_method(tmp_path):
    path = tmp_path / "my_method.py"
    path.write_text(PLUGIN)
    registry = load_registry([str(path)])
    assert "anticorr" in registry.methods
    specs = parse_method_specs("anticorr:power=2,correlation", registry)
    assert specs[0].params == (("power", 2.0),) and specs[1].name == "correlation"


def test_plugin_file_errors_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="plugin file not found"):
        load_plugin_file(tmp_path / "missing.py")
    bad = tmp_path / "bad.py"
    bad.write_text("x = 1\n")
    with pytest.raises(UserError, match="defines no concrete subclass"):
        load_plugin_file(bad)


def test_all_expands_to_the_methods_included_in_all():
    registry = load_registry()
    names = [s.name for s in parse_method_specs("all", registry)]
    assert names == registry.names_in_all()
    assert "random" in names and "correlation" in names


def test_list_shows_methods_and_datasets(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "correlation" in out and "random" in out and "dream4-100-1" in out


def test_run_writes_results_edges_and_manifest_and_correlation_beats_random(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["run", "--methods", "random,correlation", "--dataset", "dream4-100-1",
                 "--seed", "0", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "AUPR" in printed and "correlation" in printed
    results = pd.read_csv(out / "results.csv")
    aupr = results.set_index("method")["aupr"]
    assert aupr["correlation"] > aupr["random"]
    edges = pd.read_csv(out / results.set_index("method").loc["correlation", "edges_file"])
    assert list(edges.columns) == ["regulator", "target", "score", "label", "pair_class"]
    assert edges["score"].is_monotonic_decreasing and len(edges) == results["n_test"].iloc[0]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 0 and manifest["dataset"]["hash"] == results["dataset_hash"].iloc[0]
    assert "numpy" in manifest["versions"] and manifest["machine"]["cpu_count"]
    assert "correlation" in manifest["methods"]


def test_evaluate_recomputes_the_same_metrics(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "--quiet", "--methods", "random,correlation", "--dataset", "dream4-10-2", "--out", str(out)]) == 0
    before = pd.read_csv(out / "results.csv")
    assert main(["evaluate", str(out)]) == 0
    after = pd.read_csv(out / "results.csv")
    pd.testing.assert_series_equal(before["aupr"], after["aupr"])
    pd.testing.assert_series_equal(before["auroc"], after["auroc"])
    # an edge list written before labels were saved: the labels come from the dataset instead
    for edges_file in after["edges_file"]:
        pd.read_csv(out / edges_file).drop(columns="label").to_csv(out / edges_file, index=False)
    assert main(["evaluate", str(out)]) == 0
    pd.testing.assert_series_equal(before["aupr"], pd.read_csv(out / "results.csv")["aupr"])


def test_source_hash_covers_helper_modules_imported_lazily_or_at_the_top():
    from grnbench.execution.source_hash import code_sources as _code_sources

    registry = load_registry()
    genie3 = _code_sources(registry.methods["genie3"])
    assert {"grnbench.methods.genie3", "grnbench.per_target", "grnbench.methods._arboreto"} <= set(genie3)
    psgrn = _code_sources(registry.methods["psgrn"])
    assert {"grnbench.methods.psgrn", "grnbench.methods.psgrn_model", "grnbench.deep"} <= set(psgrn)
    cnnc = _code_sources(registry.methods["cnnc"])
    assert "grnbench.deep" in cnnc  # the base class's module
    assert registry.methods["genie3"].source_hash() != registry.methods["grnboost2"].source_hash()


def test_finding_the_source_closure_does_not_import_tensorflow():
    import subprocess
    import sys

    code = ("import sys; from grnbench.registry import load_registry; r = load_registry(); "
            "[c.source_hash() for c in r.methods.values()]; print('tensorflow' in sys.modules or 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_help_documents_the_exit_status(capsys):
    for argv in (["--help"], ["run", "--help"], ["check", "--help"]):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 0
        text = capsys.readouterr().out
        assert "exit status:" in text and "1  some task failed, timed out or ran out of memory" in text
        assert "2  usage or input error" in text


def test_check_without_a_method_is_a_one_line_user_error(capsys):
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "name the methods to check" in err
    assert main(["check", "no-such-method"]) == 2
    assert "unknown method 'no-such-method'" in capsys.readouterr().err


def test_the_registry_is_loaded_once_per_process_for_the_same_plugin_files(tmp_path):
    path = tmp_path / "my_method.py"
    path.write_text(PLUGIN)
    first = load_registry([str(path)])
    assert load_registry([str(path)]) is first
    assert load_registry() is load_registry()
    path.write_text(PLUGIN + "\n# edited\n")  # an edited file is a different plugin
    assert load_registry([str(path)]) is not first
