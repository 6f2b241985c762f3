"""Bad inputs found by a sweep of the command line, each refused with one line before anything
runs: a negative ``check --seed``, method parameters the method's library rejects only at fit
time, whole-number wording, empty option values, compressed or mislabelled files, plugin files
with a missing method or name, own-file options beside ``--dataset``, and a ``--top-k`` above
the scored pairs (which the plan and the manifest now say)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from grnbench.api import parameter_problem
from grnbench.cli import main
from grnbench.datasets.files import read_table
from grnbench.errors import DataError, UserError
from grnbench.registry import load_plugin_file, load_registry, parse_method_specs

FIT = '''    def fit(self, data):
        self.n_ = data.dataset.n_genes
'''
SCORE = '''    def score_edges(self, pairs):
        return np.zeros(len(pairs.regulators))
'''


def plugin(tmp_path: Path, name: str, *, with_name: bool = True, fit: bool = True, score: bool = True) -> Path:
    body = ["import numpy as np", "from grnbench.api import Method", "", "", "class Flat(Method):"]
    if with_name:
        body.append('    name = "flat"')
    body.append('    description = "all scores 0"')
    text = "\n".join(body) + "\n" + (FIT if fit else "") + (SCORE if score else "")
    path = tmp_path / name
    path.write_text(text)
    return path


def one_line(capsys, code: int, *needles: str) -> str:
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert "\n" not in err and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, err
    return err


def run(tmp_path: Path, *args: str) -> int:
    return main(["run", "--quiet", "--workers", "0", "--out", str(tmp_path / "run"), *args])


# --- 1. check --seed ----------------------------------------------------------------------------

def test_check_refuses_a_negative_seed_up_front(capsys):
    one_line(capsys, main(["check", "random", "--seed", "-1"]), "--seed must be 0 or more, got -1")


# --- 2. method parameters the library would reject at fit time ----------------------------------

@pytest.mark.parametrize(("methods", "needle"), [
    ("genie3:n_estimators=-1", "genie3:n_estimators must be >= 1, got -1"),
    ("genie3:max_features=bogus", "genie3:max_features must be sqrt, log2, all"),
    ("genie3:max_features=1.5", "got '1.5'"),
    ("genie3:variant=sum", "genie3:variant must be one of arboreto, genie3py"),
    ("grnboost2:learning_rate=0", "grnboost2:learning_rate must be > 0"),
    ("grnboost2:subsample=1.5", "grnboost2:subsample must be > 0 and <= 1"),
    ("node:alpha=fast", "node:alpha must be from_data or a number >= 0"),
    ("cnnc:balance=foo", "cnnc:balance must be one of none, class_weight, subsample"),
    ("cnnc:conv_dropout=1", "cnnc:conv_dropout must be >= 0 and < 1"),
    ("dgrns:epochs=0", "dgrns:epochs must be >= 1"),
    ("psgrn:batch_size=-8", "psgrn:batch_size must be >= 1"),
    ("psgrn:selection=reference", "psgrn:selection must be shared"),
    ("psgrn:learning_rate=nan", "psgrn:learning_rate must be >= 0"),
])
def test_a_value_the_method_cannot_use_stops_the_run_before_any_task(tmp_path, capsys, methods, needle):
    code = run(tmp_path, "--dataset", "dream4-10-1", "--methods", methods, "--profile", "quick")
    err = one_line(capsys, code, needle)
    assert "(default " in err  # how to fix: the value that works
    assert not (tmp_path / "run").exists()  # refused while parsing, before the plan


def test_declarations_cover_the_built_ins_and_accept_their_own_settings():
    registry = load_registry()
    for name, cls in registry.methods.items():
        assert set(cls.allowed) <= set(cls.parameters), name
        for values in (cls.parameters, cls.quick_parameters, cls.test_parameters):
            for key, value in values.items():
                assert parameter_problem(cls, key, value) is None, (name, key, value)
    counts = {"genie3": "n_estimators", "grnboost2": "n_estimators", "node": "n_estimators", "cnnc": "epochs",
              "dgrns": "batch_size", "psgrn": "epochs"}
    for name, key in counts.items():
        assert parameter_problem(registry.get(name), key, 0) is not None, name
    for name, key in (("genie3", "max_features"), ("genie3", "variant"), ("cnnc", "balance"),
                      ("dgrns", "selection"), ("psgrn", "optimizer"), ("node", "importance_type")):
        assert parameter_problem(registry.get(name), key, "bogus") is not None, (name, key)


def test_accepted_values_parse_and_building_checks_the_same_rule():
    registry = load_registry()
    specs = parse_method_specs("genie3:max_features=0.5,n_estimators=10,grnboost2:max_features=sqrt,"
                               "node:alpha=0.1", registry)
    assert [dict(s.params) for s in specs] == [{"max_features": "0.5", "n_estimators": 10},
                                               {"max_features": "sqrt"}, {"alpha": "0.1"}]
    with pytest.raises(UserError, match="genie3:n_estimators must be >= 1"):
        registry.get("genie3")(n_estimators=0)


def test_show_lists_what_each_parameter_accepts(capsys):
    assert main(["show", "genie3"]) == 0
    out = capsys.readouterr().out
    assert "accepts" in out and "one of arboreto, genie3py" in out


# --- 3. whole numbers ---------------------------------------------------------------------------

@pytest.mark.parametrize(("option", "value", "needle"), [
    ("--methods", "genie3:n_estimators=1.5", "genie3:n_estimators: expected a whole number, got '1.5'"),
    ("--protocol", "noise:repeats=2.5", "noise:repeats expects a whole number, got '2.5'"),
])
def test_a_fraction_where_a_count_belongs_says_whole_number(tmp_path, capsys, option, value, needle):
    one_line(capsys, run(tmp_path, "--dataset", "dream4-10-1", option, value), needle)


# --- 4. empty values ----------------------------------------------------------------------------

@pytest.mark.parametrize("args", [["--dataset", ""], ["--dataset", "dream4-10-1", "--out", " "],
                                  ["--expression", "x.tsv", "--gold-standard", "g.tsv", "--name", ""]])
def test_an_empty_option_value_is_refused_not_defaulted(tmp_path, capsys, args):
    code = main(["run", "--quiet", "--workers", "0", *args])
    flag = args[-2]
    one_line(capsys, code, f"{flag} is empty", "unset shell variable")


# --- 5. files whose content their name misrepresents --------------------------------------------

def test_gzip_content_under_a_plain_name_says_how_to_name_it(tmp_path):
    path = tmp_path / "expr.tsv"
    path.write_bytes(gzip.compress(b"gene\t0\t1\nA\t1\t2\n"))
    with pytest.raises(DataError, match=r"looks gzip-compressed: name it expr\.tsv\.gz \(or decompress it\)"):
        read_table(path)


def test_text_named_xlsx_is_not_an_excel_workbook(tmp_path):
    path = tmp_path / "expr.xlsx"
    path.write_text("gene\t0\t1\nA\t1\t2\n")
    with pytest.raises(DataError, match="not an Excel workbook although named .xlsx"):
        read_table(path)


def test_plain_text_named_gz_says_it_is_not_compressed(tmp_path):
    path = tmp_path / "expr.tsv.gz"
    path.write_text("gene\t0\t1\nA\t1\t2\n")
    with pytest.raises(DataError, match="not gzip-compressed although named .gz; drop .gz"):
        read_table(path)
    real = tmp_path / "real.tsv.gz"
    real.write_bytes(gzip.compress(b"gene\t0\t1\nA\t1\t2\n"))
    assert read_table(real).shape == (1, 3)


# --- 6. plugin files ----------------------------------------------------------------------------

@pytest.mark.parametrize(("fit", "score", "missing"), [(True, False, "lacks score_edges"), (False, True, "lacks fit"),
                                                       (False, False, "lacks fit and score_edges")])
def test_a_plugin_class_missing_a_method_is_named(tmp_path, fit, score, missing):
    path = plugin(tmp_path, "partial.py", fit=fit, score=score)
    with pytest.raises(UserError, match=f"class Flat {missing}; a grnbench Method must define both fit"):
        load_plugin_file(path)


@pytest.mark.parametrize("command", [["check"], ["run", "--methods", "random", "--dataset", "dream4-10-1"]])
def test_a_plugin_class_without_a_name_is_refused_by_every_command(tmp_path, capsys, command):
    path = plugin(tmp_path, "no_name.py", with_name=False)
    code = main([*command, "--plugin", str(path), *(["--quiet", "--workers", "0", "--out", str(tmp_path / "run")]
                                                    if command[0] == "run" else [])])
    one_line(capsys, code, "(class Flat) has no string `name`", 'add a class attribute such as name = "my-method"')
    assert not (tmp_path / "run").exists()


def test_the_same_plugin_file_twice_is_loaded_once(tmp_path):
    path = plugin(tmp_path, "flat.py")
    registry = load_registry([str(path), str(tmp_path / "." / "flat.py")])
    assert registry.sources["flat"].target == str(path.resolve())


def test_a_plugin_that_is_not_a_py_file_is_told_so(tmp_path):
    path = tmp_path / "flat.txt"
    path.write_text(plugin(tmp_path, "flat.py").read_text())
    with pytest.raises(UserError, match=r"a plugin must be a \.py file: rename it to flat\.py"):
        load_plugin_file(path)


# --- 7. own-file options beside --dataset -------------------------------------------------------

def test_time_key_with_a_bundled_dataset_names_what_it_applies_to(tmp_path, capsys):
    code = run(tmp_path, "--dataset", "dream4-10-1", "--time-key", "hours")
    err = one_line(capsys, code, "--time-key applies only to an .h5ad --expression", "drop it")
    assert "not both" not in err


def test_h5ad_options_on_a_table_use_the_right_verb(tmp_path, capsys):
    table = tmp_path / "expr.tsv"
    table.write_text("gene\t0\t1\nA\t1\t2\n")
    code = run(tmp_path, "--expression", str(table), "--gold-standard", str(table), "--layer", "raw",
               "--time-key", "t")
    one_line(capsys, code, "--time-key and --layer apply only to an .h5ad --expression file")


# --- 8. --top-k above the scored pairs ----------------------------------------------------------

def test_a_top_k_above_the_scored_pairs_is_recorded_in_the_plan_and_manifest(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "--workers", "0", "--dataset", "dream4-10-1", "--methods", "random", "--top-k", "100000",
                 "--out", str(out)]) == 0
    note = "--top-k 100000 is more than the 90 pairs scored on dream4-10-1: its confusion counts are taken at all 90"
    assert note in capsys.readouterr().out
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["top_k"] == 100000 and any(note in n for n in manifest["plan"]["notes"])
    assert set(pd.read_csv(out / "results.csv")["top_k"]) == {90}  # the k used


# --- 9. a gold standard that contradicts itself ---------------------------------------------------

def test_a_pair_labelled_both_1_and_0_is_refused_with_both_rows(tmp_path):
    from grnbench.datasets.tables import read_edge_list

    gold = tmp_path / "gold.tsv"
    gold.write_text("TF1\tg1\t1\nTF2\tg2\t1\nTF1\tg1\t0\n")
    with pytest.raises(DataError, match="TF1→g1 is labelled 1 on row 1 and 0 on row 3; keep one"):
        read_edge_list(gold)
    gold.write_text("TF1\tg1\t1\nTF2\tg2\t1\nTF1\tg1\t1\n")
    assert read_edge_list(gold) == [("TF1", "g1"), ("TF2", "g2")]
