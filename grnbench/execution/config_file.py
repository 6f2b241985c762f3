"""``grnbench run --config bench.yml``: a whole benchmark in one YAML file.

The keys are ``grnbench run``'s own options, named as the options (``methods``, ``dataset``,
``workers``, ``out``, ``timeout``, …; dashes or underscores), as benchopt's ``config.yml`` does,
so there is one vocabulary to learn and ``grnbench run --help`` documents the file too. Four
keys take structure the command line cannot express, after BEELINE's ``config.yaml``:
``dataset`` lists bundled names, suites and own datasets (a mapping of that dataset's files),
``methods`` lists methods with parameters where a list of values is a grid (every combination
becomes one method spec), ``protocol`` and ``timeout`` take mappings. docs/config.md gives the
schema and why.

The file only sets the defaults of the ``run`` parser, so whatever the command line gives
wins, and everything downstream sees the same ``argparse.Namespace`` as without a file. Each
bad key or value is one ``UserError`` naming the file, the key and the fix, before anything
loads. ``resolved_config`` writes the run's final options back in this schema for the
manifest; ``--config RUN/manifest.json`` reads them from there, which reproduces the run.
"""

from __future__ import annotations

import argparse
import difflib
import itertools
import json
from pathlib import Path
from typing import Any

from grnbench.errors import UserError

#: keys of one own dataset under ``dataset:`` (``UserInputs`` fields, named as their options)
OWN_DATASET_KEYS = ("expression", "gold-standard", "tfs", "samples", "steady-state", "beeline-dir",
                    "gold-header", "time-key", "series-key", "layer", "name")
#: options that name input files or folders: read relative to the config file, must exist
INPUT_PATHS = ("expression", "gold-standard", "tfs", "samples", "steady-state", "beeline-dir",
               "plugin", "scheduler-file")
#: options that name where to write: read relative to the config file
OUTPUT_PATHS = ("out", "cache")
#: options whose command-line form is a comma list (YAML: a list)
COMMA_LISTS = ("methods", "dataset", "protocol", "seeds", "timeout")


def option_name(key: str) -> str:
    """``threads_per_worker`` and ``threads-per-worker`` are the same key."""
    return str(key).strip().replace("_", "-")


def run_subparser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The ``run`` subcommand's parser inside ``grnbench``'s parser."""
    for action in parser._actions:  # argparse keeps subparsers only here
        if isinstance(action, argparse._SubParsersAction):
            return action.choices["run"]
    raise LookupError("the grnbench parser has no run subcommand")


def run_options(run_parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """Option name (``memory-limit``) → its argparse action, for every option of ``run``."""
    options = {}
    for action in run_parser._actions:
        longs = [s for s in action.option_strings if s.startswith("--")]
        if longs and action.dest not in ("help", "config"):
            options[longs[0][2:]] = action
    return options


def parse_run_with_config(parser: argparse.ArgumentParser, argv: list[str] | None,
                          first: argparse.Namespace) -> argparse.Namespace:
    """``grnbench run --config FILE …``: the file's values as the ``run`` parser's defaults,
    then the command line parsed again on top of them (the command line wins)."""
    path = Path(first.config)
    run_parser = run_subparser(parser)
    options = run_options(run_parser)
    values, own = read_config(path, options)
    cli_names_data = bool(first.dataset) or any(getattr(first, options[k].dest) for k in OWN_DATASET_KEYS)
    if cli_names_data:  # the command line's datasets replace the file's, own files included
        values = {k: v for k, v in values.items() if k != "dataset" and k not in OWN_DATASET_KEYS}
        own = []
    appended = {k: v for k, v in values.items() if isinstance(options[k], argparse._AppendAction)}
    run_parser.set_defaults(**{options[k].dest: v for k, v in values.items() if k not in appended})
    args = parser.parse_args(argv)
    for key, value in appended.items():  # argparse would append the command line's to the file's
        if not getattr(args, options[key].dest):
            setattr(args, options[key].dest, value)
    args.own_datasets = own
    if args.out is None:
        args.out = str(Path("grnbench-results") / path.stem)
    _check_names(path, values, args)
    return args


def _check_names(path: Path, values: dict[str, Any], args: argparse.Namespace) -> None:
    """Method, protocol and dataset names the file gave (not overridden), checked now so that
    an error names the file and the key."""
    from grnbench.data.protocols import parse_protocols
    from grnbench.datasets import expand_datasets
    from grnbench.registry import load_registry, parse_method_specs

    checks = {"dataset": expand_datasets, "protocol": parse_protocols,
              "methods": lambda text: parse_method_specs(text, load_registry(args.plugin, override=args.plugin_override))}
    for key, check in checks.items():
        if key in values and getattr(args, key) == values[key]:
            try:
                check(values[key])
            except UserError as exc:
                raise UserError(f"{path}: {key}: {exc}") from None


def read_config(path: Path, options: dict[str, argparse.Action]) -> tuple[dict[str, Any], list]:
    """The file's values in the parser's types (option name → value), and its own datasets
    (``UserInputs``, in the order listed). Every problem is one ``UserError``."""
    raw = _load_mapping(path)
    base = path.resolve().parent
    values: dict[str, Any] = {}
    own: list = []
    for key, value in raw.items():
        name = option_name(key)
        if name not in options:
            raise UserError(f"{path}: unknown key {key!r}{_did_you_mean(name, options)}; valid keys are "
                            f"the options of `grnbench run --help` without the dashes ({', '.join(options)})")
        if value is None:
            continue  # YAML `key:` with no value: the option's default
        where = f"{path}: {name}"
        if name == "dataset":
            names, own = _datasets(value, where, base, options)
            if names:
                values[name] = ",".join(names)
        elif name == "methods":
            values[name] = ",".join(_method_specs(value, where))
        else:
            values[name] = _option_value(name, value, options[name], where, base)
    if own and any(k in values for k in OWN_DATASET_KEYS):
        given = ", ".join(k for k in OWN_DATASET_KEYS if k in values)
        raise UserError(f"{path}: {given} at the top level describe one own dataset, but dataset: lists own "
                        "datasets too; move these keys into each dataset: entry")
    return values, own


def _load_mapping(path: Path) -> dict[str, Any]:
    import yaml

    if not path.is_file():
        raise UserError(f"--config {path}: no such file; give the path of a YAML benchmark file "
                        "(docs/config.md has an example)")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UserError(f"{path}: not valid YAML{at} ({problem}); fix the file") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: not a text file; give a YAML benchmark file") from None
    if isinstance(data, dict) and "grnbench_version" in data:  # a run's manifest.json
        if not isinstance(data.get("config"), dict):
            raise UserError(f"{path}: this manifest holds no resolved config (written before grnbench "
                            "stored it); write a config file instead (docs/config.md)")
        data = data["config"]
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a mapping of option: value at the top level, got "
                        f"{type(data).__name__}; see docs/config.md")
    return data


def _did_you_mean(name: str, known) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _type_error(where: str, expected: str, value: Any) -> UserError:
    return UserError(f"{where}: expected {expected}, got {value!r}; fix the value")


def _scalar_text(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _type_error(where, "a string or a number", value)
    return str(value)


def _as_list(value: Any) -> list:
    return list(value) if isinstance(value, list) else [value]


def _path(value: Any, where: str, base: Path, must_exist: bool) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _type_error(where, "a path", value)
    path = Path(value).expanduser()
    path = path if path.is_absolute() else base / path
    if must_exist and not path.exists():
        raise UserError(f"{where}: no such file or folder {path}; fix the path (relative paths are read "
                        "from the config file's folder)")
    return str(path)


def _option_value(name: str, value: Any, action: argparse.Action, where: str, base: Path) -> Any:
    """One option's value in the form its argparse action produces from the command line."""
    if isinstance(action, argparse._StoreTrueAction):
        if not isinstance(value, bool):
            raise _type_error(where, "true or false", value)
        return value
    if isinstance(action, argparse._AppendAction):
        items = _as_list(value)
        if name in INPUT_PATHS:
            return [_path(v, f"{where}[{i}]", base, True) for i, v in enumerate(items)]
        return [_scalar_text(v, f"{where}[{i}]") for i, v in enumerate(items)]
    if name in INPUT_PATHS or name in OUTPUT_PATHS:
        return _path(value, where, base, name in INPUT_PATHS)
    if action.type is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _type_error(where, "an integer", value)
        return value
    if name == "gold-header" and isinstance(value, bool):  # YAML reads yes/no as booleans
        value = "yes" if value else "no"
    if name == "timeout" and isinstance(value, dict):
        text = ",".join(f"{m}={_scalar_text(s, f'{where}.{m}')}" for m, s in value.items())
    elif name in COMMA_LISTS:
        text = ",".join(_item_text(v, f"{where}[{i}]") for i, v in enumerate(_as_list(value)))
    else:
        text = _scalar_text(value, where)
    if action.choices and text not in action.choices:
        raise UserError(f"{where}: {text!r} is not one of {', '.join(map(str, action.choices))}; fix the value")
    return text


def _item_text(item: Any, where: str) -> str:
    """A list item of a comma-list option: a scalar, or ``{name: {key: value}}`` (protocols)."""
    if isinstance(item, dict):
        if len(item) != 1:
            raise _type_error(where, "a name, or one name: {parameter: value} mapping", item)
        (name, params), = item.items()
        if params is None:
            return str(name)
        if not isinstance(params, dict):
            raise _type_error(f"{where}.{name}", "a mapping of parameter: value", params)
        return f"{name}:" + ",".join(f"{k}={_scalar_text(v, f'{where}.{name}.{k}')}" for k, v in params.items())
    return _scalar_text(item, where)


def _datasets(value: Any, where: str, base: Path, options: dict[str, argparse.Action]) -> tuple[list[str], list]:
    """Bundled names and suites (for ``--dataset``), and own datasets (``UserInputs``)."""
    from grnbench.datasets.user_files import UserInputs

    names: list[str] = []
    own: list = []
    for i, item in enumerate(_as_list(value)):
        at = f"{where}[{i}]"
        if not isinstance(item, dict):
            names += [t.strip() for t in _scalar_text(item, at).split(",") if t.strip()]
            continue
        fields: dict[str, Any] = {}
        for key, field_value in item.items():
            key = option_name(key)
            if key not in OWN_DATASET_KEYS:
                raise UserError(f"{at}: unknown key {key!r}{_did_you_mean(key, OWN_DATASET_KEYS)} for an own "
                                f"dataset; valid keys: {', '.join(OWN_DATASET_KEYS)}")
            if field_value is not None:
                fields[key.replace("-", "_")] = _option_value(key, field_value, options[key], f"{at}.{key}", base)
        if fields.get("gold_header") is not None:
            fields["gold_header"] = fields["gold_header"] == "yes"
        fields["steady_state"] = tuple(fields.get("steady_state", ()))
        try:
            own.append(UserInputs(**fields))
        except UserError as exc:
            raise UserError(f"{at}: {exc}") from None
    return names, own


def _method_specs(value: Any, where: str) -> list[str]:
    """``methods:`` items as ``--methods`` tokens, grids expanded.

    An item is a spec string (``psgrn:epochs=5,tl=8``), a string with bracketed grids as
    benchopt writes them (``cnnc:epochs=[50,200]``), or ``{name: {parameter: value or [values]}}``.
    Every combination of a grid's values is one method spec, in the order written.
    """
    specs: list[str] = []
    for i, item in enumerate(_as_list(value)):
        at = f"{where}[{i}]"
        if isinstance(item, dict):
            if len(item) != 1:
                raise _type_error(at, "one method name: {parameter: value or [values]} mapping", item)
            (name, params), = item.items()
            params = {} if params is None else params
            if not isinstance(params, dict):
                raise _type_error(f"{at}.{name}", "a mapping of parameter: value or [values]", params)
            grid = {k: [_param_text(x, f"{at}.{name}.{k}") for x in _as_list(v)] for k, v in params.items()}
            if any(not values for values in grid.values()):
                raise UserError(f"{at}.{name}: a parameter has an empty list of values; give at least one")
            specs += [_spec(str(name), dict(zip(grid, combo, strict=True))) for combo in itertools.product(*grid.values())]
        else:
            specs += _expand_text_grid(_scalar_text(item, at), at)
    if not specs:
        raise UserError(f"{where}: no method given; list method names, or 'all'")
    return specs


def _param_text(value: Any, where: str) -> str:
    text = "none" if value is None else str(value).lower() if isinstance(value, bool) else _scalar_text(value, where)
    if "," in text or "=" in text:
        raise UserError(f"{where}: a parameter value cannot contain ',' or '=' ({text!r}); fix the value")
    return text


def _spec(name: str, params: dict[str, str]) -> str:
    return name + (":" + ",".join(f"{k}={v}" for k, v in params.items()) if params else "")


def _expand_text_grid(text: str, where: str) -> list[str]:
    """``cnnc:epochs=[50,200],batch=32`` → ``cnnc:epochs=50,batch=32``, ``cnnc:epochs=200,batch=32``."""
    if "[" not in text:
        return [text]
    name, _, rest = text.partition(":")
    grid: dict[str, list[str]] = {}
    for part in _split_outside_brackets(rest):
        key, sep, value = part.partition("=")
        if not sep:
            raise UserError(f"{where}: expected parameter=value or parameter=[v1,v2] in {text!r}")
        if value.startswith("[") and value.endswith("]"):
            grid[key.strip()] = [v.strip() for v in value[1:-1].split(",") if v.strip()]
        elif "[" in value or "]" in value:
            raise UserError(f"{where}: unbalanced brackets in {text!r}; write parameter=[v1,v2]")
        else:
            grid[key.strip()] = [value.strip()]
    return [_spec(name.strip(), dict(zip(grid, combo, strict=True))) for combo in itertools.product(*grid.values())]


def _split_outside_brackets(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += (char == "[") - (char == "]")
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [p for p in [*parts, current] if p.strip()]


def resolved_config(args: argparse.Namespace, registry, datasets: list[str], own: list, *,
                    run_parser: argparse.ArgumentParser) -> dict[str, Any]:
    """The run's final options in the config file's schema (what the manifest stores):
    every option's value after file and command line, methods expanded to their specs,
    dataset names expanded, own datasets with absolute paths. ``grnbench run --config`` of it
    runs the same benchmark again. ``run_parser`` is the CLI's ``run`` parser, whose options
    are the schema."""
    from grnbench.data.protocols import parse_protocols
    from grnbench.registry import parse_method_specs

    config: dict[str, Any] = {"methods": [m.label for m in parse_method_specs(args.methods, registry)],
                              "dataset": [*datasets, *(_own_entry(i) for i in own)]}
    for name, action in run_options(run_parser).items():
        value = getattr(args, action.dest, None)
        if name in config or name in OWN_DATASET_KEYS or value in (None, [], ()):
            continue
        if name == "protocol":
            value = [p.label.replace(",", ":", 1) for p in parse_protocols(value)]
        elif name == "seeds":
            value = [int(s) for s in str(value).split(",") if s.strip()]
        elif name == "timeout":
            from grnbench.execution.run_config import parse_timeouts

            limits = parse_timeouts(value) or {}
            value = limits["*"] if list(limits) == ["*"] else limits
        elif name == "folds":
            value = value if value == "auto" else int(value)
        elif name in INPUT_PATHS or name in OUTPUT_PATHS:
            value = [str(Path(v).resolve()) for v in value] if isinstance(value, list) else str(Path(value).resolve())
        config[name] = value
    return json.loads(json.dumps(config))  # plain YAML-able types only


def _own_entry(inputs) -> dict[str, Any]:
    return {option_name(k): v for k, v in inputs.files().items()}
