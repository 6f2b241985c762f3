"""``grnbench run --config bench.yml``: the schema, the command line over the file, one-line
errors, several own datasets in one run, the manifest's resolved config reproducing a run,
and the shipped example study run end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from grnbench.cli import build_parser, default_out_name, load_run_datasets, main
from grnbench.datasets import load_dataset
from grnbench.execution.config_file import parse_run_with_config
from grnbench.results.evaluate import run_gold_standard

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "paper_study.yml"
CHEAP = ["--methods", "random,correlation,degree-prior", "--seeds", "0"]
#: columns that measure the machine, not the benchmark
TIMINGS = ["fit_wall_s", "fit_cpu_s", "score_wall_s", "score_cpu_s", "peak_memory_mb", "cached"]


def parsed(argv: list[str]):
    parser = build_parser()
    return parse_run_with_config(parser, argv, parser.parse_args(argv))


def write(path: Path, config: dict | str) -> Path:
    path.write_text(config if isinstance(config, str) else yaml.safe_dump(config))
    return path


def test_keys_are_the_options_with_lists_and_grids(tmp_path):
    cfg = write(tmp_path / "bench.yml", """
dataset: [dream4-10-1, dream4-10]
methods:
  - correlation
  - "psgrn:epochs=[2,3],tl=8"
  - genie3: {n_estimators: [10, 20], max_features: sqrt}
protocol: [standard, {noise: {fraction: 0.1, repeats: 2}}]
seeds: [0, 1]
threads_per_worker: 1
memory-limit: 2GB
timeout: {genie3: 60, correlation: 5}
no-cache: true
gold-header: yes
""")
    args = parsed(["run", "--config", str(cfg)])
    assert args.dataset == "dream4-10-1,dream4-10"
    assert args.methods == ("correlation,psgrn:epochs=2,tl=8,psgrn:epochs=3,tl=8,"
                            "genie3:n_estimators=10,max_features=sqrt,genie3:n_estimators=20,max_features=sqrt")
    assert args.protocol == "standard,noise:fraction=0.1,repeats=2"
    assert (args.seeds, args.threads_per_worker, args.memory_limit) == ("0,1", 1, "2GB")
    assert args.timeout == "genie3=60,correlation=5" and args.no_cache is True and args.gold_header == "yes"
    assert args.out == str(Path("grnbench-results") / "bench")  # named after the file


def test_the_command_line_overrides_the_file(tmp_path):
    plugin, other = tmp_path / "p.py", tmp_path / "q.py"
    for path in (plugin, other):
        path.write_text((Path(__file__).parent / "plugins_for_tests.py").read_text())
    cfg = write(tmp_path / "bench.yml", {"seed": 3, "methods": ["genie3"], "plugin": ["p.py"], "force": ["genie3"],
                                         "out": "runs/a", "dataset": ["dream4-10-1"]})
    args = parsed(["run", "--config", str(cfg)])
    assert (args.seed, args.methods, args.force) == (3, "genie3", ["genie3"])
    assert args.plugin == [str(plugin)] and args.out == str(tmp_path / "runs" / "a")  # relative to the file
    args = parsed(["run", "--config", str(cfg), "--seed", "0", "--methods", "random", "--plugin", str(other),
                   "--force", "random", "--out", "elsewhere"])
    assert (args.seed, args.methods, args.force, args.out) == (0, "random", ["random"], "elsewhere")
    assert args.plugin == [str(other)]  # replaces the file's list, not appended to it
    args = parsed(["run", "--config", str(cfg), "--dataset", "dream4-10-2"])
    assert args.dataset == "dream4-10-2"


@pytest.mark.parametrize("config, message", [
    ({"method": "genie3"}, "unknown key 'method' (did you mean 'methods'?)"),
    ({"seed": "zero"}, "seed: expected an integer, got 'zero'"),
    ({"workers": 1.5}, "workers: expected an integer"),
    ({"quiet": "yes please"}, "quiet: expected true or false"),
    ({"split": "random"}, "split: 'random' is not one of"),
    ({"dataset": [{"expression": "nope.tsv", "gold-standard": "gold.tsv"}]}, "dataset[0].expression: no such file"),
    ({"dataset": [{"expresion": "e.tsv"}]}, "unknown key 'expresion' (did you mean 'expression'?) for an own dataset"),
    ({"dataset": [{"gold-standard": "gold.tsv"}]}, "dataset[0]: --expression and --gold-standard go together"),
    ({"methods": [{"genie3": {"n_estimators": []}}]}, "empty list of values"),
    ({"methods": ["genie3:n_estimators=[10,20"]}, "unbalanced brackets"),
    ({"methods": [{"genie3": {"n_trees": [10, 20]}}]}, "methods: method 'genie3' has no parameter 'n_trees'"),
    ({"methods": ["genie4"]}, "methods: unknown method 'genie4'"),
    ({"protocol": ["nois"]}, "protocol: unknown protocol 'nois'"),
    ({"dataset": ["dream4-10-9"]}, "dataset: unknown dataset 'dream4-10-9'"),
    ("seed: [1, 2", "not valid YAML at line"),
    ("- genie3\n", "expected a mapping of option: value"),
])
def test_a_bad_file_is_one_line_and_exit_2(tmp_path, capsys, config, message):
    (tmp_path / "gold.tsv").write_text("a\tb\n")
    cfg = write(tmp_path / "bench.yml", config)
    assert main(["run", "--config", str(cfg), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert str(cfg) in err


def test_a_missing_config_file_is_one_line(tmp_path, capsys):
    assert main(["run", "--config", str(tmp_path / "none.yml")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_several_own_datasets_beside_bundled_ones(tmp_path):
    data = Path(__file__).parent / "data" / "inputs"
    cfg = write(tmp_path / "bench.yml", {"dataset": [
        "dream4-10-1",
        {"name": "reps", "expression": str(data / "replicates" / "expression.tsv"),
         "gold-standard": str(data / "replicates" / "gold.tsv"), "samples": str(data / "replicates" / "samples.csv")},
        {"name": "bl", "beeline-dir": str(data / "beeline")}]})
    names = [d.name for d in load_run_datasets(parsed(["run", "--config", str(cfg)]))]
    assert names == ["dream4-10-1", "reps", "bl"]
    twice = write(tmp_path / "twice.yml", {"dataset": [{"name": "dream4-10-1", "beeline-dir": str(data / "beeline")},
                                                       "dream4-10-1"]})
    with pytest.raises(Exception, match="two datasets of this run are named dream4-10-1"):
        load_run_datasets(parsed(["run", "--config", str(twice)]))


def test_a_config_of_own_datasets_only_runs_and_evaluates(tmp_path, capsys):
    """Several own datasets and no bundled one: there is no --dataset text to name the folder
    by, and evaluate rebuilds each one's split from the manifest's list of files."""
    data = Path(__file__).parent / "data" / "inputs"
    cfg = write(tmp_path / "own.yml", {"methods": ["random"], "workers": 0, "quiet": True, "dataset": [
        {"name": "reps", "expression": str(data / "replicates" / "expression.tsv"),
         "gold-standard": str(data / "replicates" / "gold.tsv"), "samples": str(data / "replicates" / "samples.csv")},
        {"name": "bl", "beeline-dir": str(data / "beeline")}]})
    out = tmp_path / "out"
    assert main(["run", "--config", str(cfg), "--out", str(out)]) == 0
    assert set(pd.read_csv(out / "results.csv")["dataset"]) == {"reps", "bl"}
    capsys.readouterr()
    assert main(["evaluate", str(out)]) == 0
    assert "not checked" not in capsys.readouterr().out
    args = parsed(["run", "--config", str(cfg)])
    args.out = None
    assert default_out_name(args, load_run_datasets(args)) == "reps+bl"


def test_own_dataset_names_that_share_file_names_are_refused(tmp_path, capsys):
    """Edge lists are named by the dataset's file-safe name: a/b and a_b would overwrite each other's."""
    data = Path(__file__).parent / "data" / "inputs" / "beeline"
    cfg = write(tmp_path / "collide.yml", {"methods": ["random"], "workers": 0, "dataset": [
        {"name": "a/b", "beeline-dir": str(data)}, {"name": "a_b", "beeline-dir": str(data)}]})
    assert main(["run", "--config", str(cfg), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "datasets 'a/b' and 'a_b' would share the edge-list file names" in err
    assert not (tmp_path / "out" / "results.csv").exists()


def _results(run_dir: Path) -> pd.DataFrame:
    frame = pd.read_csv(run_dir / "results.csv").drop(columns=TIMINGS)
    frame["edges_file"] = frame["edges_file"].map(lambda p: Path(p).name)
    return frame.sort_values(["dataset", "method", "seed", "init_seed"]).reset_index(drop=True)


def test_the_example_study_reproduces_from_its_manifest(tmp_path, capsys):
    """The shipped study with the cheap methods (the full example: the slow test below); its
    manifest's resolved config, written to a file, runs the same benchmark into a new folder."""
    first = tmp_path / "first"
    assert main(["run", "--config", str(EXAMPLE), *CHEAP, "--out", str(first), "--no-cache"]) == 0
    printed = capsys.readouterr().out
    assert "own-dream4-10-5" in printed and "dream4-10-2" in printed
    manifest = json.loads((first / "manifest.json").read_text())
    resolved = manifest["config"]
    assert resolved["methods"] == ["random", "correlation", "degree-prior"] and resolved["seeds"] == [0]
    own = resolved["dataset"][2]
    assert resolved["dataset"][:2] == ["dream4-10-1", "dream4-10-2"] and own["name"] == "own-dream4-10-5"
    assert len(own["steady-state"]) == 2 and all(Path(p).is_absolute() for p in own["steady-state"])
    assert {d["name"] for d in manifest["datasets"]} == {"dream4-10-1", "dream4-10-2", "own-dream4-10-5"}
    hashes = {d["name"]: d["hash"] for d in manifest["datasets"]}
    for name in ("own-dream4-10-5", "dream4-10-1"):  # evaluate finds each dataset, own or bundled
        assert run_gold_standard(first, name, hashes[name]) == load_dataset(name.removeprefix("own-")).gold_standard

    (tmp_path / "elsewhere").mkdir()  # absolute paths: the extracted file works from any folder
    extracted = write(tmp_path / "elsewhere" / "from_manifest.yml", resolved)
    again = tmp_path / "again"
    assert main(["run", "--config", str(extracted), "--out", str(again), "--quiet", "--no-cache"]) == 0
    pd.testing.assert_frame_equal(_results(first), _results(again))
    assert json.loads((again / "manifest.json").read_text())["config"] == {**resolved, "out": str(again),
                                                                           "quiet": True}
    # the manifest itself is a config too: the same options as the extracted file
    from_manifest = vars(parsed(["run", "--config", str(first / "manifest.json")]))
    from_file = vars(parsed(["run", "--config", str(extracted)]))
    assert {**from_manifest, "config": None} == {**from_file, "config": None}


@pytest.mark.slow
def test_the_example_study_as_shipped(tmp_path, capsys):
    """Every method of the example, its grids and both seeds (several minutes on 2 cores)."""
    out = tmp_path / "study"
    assert main(["run", "--config", str(EXAMPLE), "--out", str(out)]) == 0
    frame = pd.read_csv(out / "results.csv")
    assert set(frame["dataset"]) == {"dream4-10-1", "dream4-10-2", "own-dream4-10-5"}
    assert {"genie3:n_estimators=50", "genie3:n_estimators=200"} <= set(frame["method"])
    assert (frame["status"] == "ok").all()
    assert "report:" in capsys.readouterr().out


def test_steady_state_files_in_the_config_reproduce_the_bundled_dataset():
    """The example's own dataset is DREAM4 size 10 network 5 as plain files; with its knockout
    and knockdown files listed under steady-state it is the bundled dataset, hash for hash."""
    args = parsed(["run", "--config", str(EXAMPLE)])
    assert [i.name for i in args.own_datasets] == ["own-dream4-10-5"]
    own = load_run_datasets(args)[2]
    bundled = load_dataset("dream4-10-5")
    assert own.steady_state is not None and own.content_hash == bundled.content_hash
