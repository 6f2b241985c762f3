"""``grnbench check`` says what is wrong, not something else: a non-deterministic method is not
accused of reading test labels; a plugin that exits at import is one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

FAILING = str(Path(__file__).parent / "plugins_failing_checks.py")


def check(plugin: str, *names: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grnbench", "check", "--plugin", plugin, *names],
                          capture_output=True, text=True, timeout=300)


def test_a_non_deterministic_method_is_not_said_to_read_labels(tmp_path):
    done = check(FAILING, "noisy")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "must not see" not in done.stdout + done.stderr
    assert "different scores" in done.stdout + done.stderr


def test_a_plugin_that_exits_at_import_is_one_line(tmp_path):
    plugin = tmp_path / "plugin.py"
    plugin.write_text("import sys\nsys.exit(0)\n")
    done = check(str(plugin))
    assert done.returncode == 2 and "called sys.exit(0)" in done.stderr and done.stderr.count("\n") == 1


@pytest.mark.parametrize("command", [["list"], ["check"], ["run", "--methods", "random", "--dataset", "dream4-10-1"]])
@pytest.mark.parametrize("call", ["import os\nos._exit(5)\n", "import sys\nsys.exit(3)\n"])
def test_a_plugin_that_ends_the_process_at_import_is_one_line_under_every_command(tmp_path, command, call):
    plugin = tmp_path / "plugin.py"
    plugin.write_text(call)
    done = subprocess.run([sys.executable, "-m", "grnbench", *command, "--plugin", str(plugin),
                           *(["--out", str(tmp_path / "out")] if command[0] == "run" else [])],
                          capture_output=True, text=True, timeout=300)
    expected = "os._exit(5)" if "os._exit" in call else "sys.exit(3)"
    assert done.returncode == 2, done.stderr
    assert f"called {expected} while being imported" in done.stderr and done.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists()  # refused before anything ran


def test_a_method_that_ends_its_process_in_fit_fails_its_check_in_one_line(tmp_path):
    done = check(FAILING, "exits_in_fit", "killed_in_fit", "sys_exit_in_fit")  # real processes: the checks run in a forked child
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stdout.splitlines() if "ended the check's process" in line]
    assert len(lines) == 3, done.stdout
    assert "during 'finite score for every pair'" in lines[0]
    assert "exited with code 7" in done.stdout
    assert "died of signal SIGKILL" in done.stdout
    assert "exited with code 0" in done.stdout
    assert "0 of 3 methods passed every check" in done.stdout  # each method checked, none lost
