"""The console script's own parser for `jitwasm run` (jitwasm.launcher): it must give exactly
the parameters click gives for every command line it accepts, and hand everything else to
click (which then prints its usual usage errors and help)."""

import subprocess
import sys
from pathlib import Path

import pytest

from jitwasm.cli import run as click_run
from jitwasm.cli_run import parse_run_args

HELLO = str(Path(__file__).resolve().parent.parent / "examples" / "hello.wasm")

ACCEPTED = [
    [HELLO],
    [HELLO, "a", "b c", "--dir", "x", "-", "--", "--help"],   # after FILE: the guest's
    ["--dir", ".", "--dir=/tmp::/t", HELLO],
    ["--env", "A=1", "--env=B", "--inherit-env", HELLO, "x"],
    ["--invoke", "f", "--invoke=g", HELLO, "1", "-2"],        # last --invoke wins
    ["--preload", "m=a.wasm", "--preload=n=b.wasm", "--argv0", "prog", HELLO],
    ["--compile", "eager", "--no-cache", HELLO],
    ["--fuel", "1000", "--timeout=2.5", HELLO],
    ["--compile=lazy", "--inherit-env", "--inherit-env", HELLO],
    ["--argv0=", HELLO],
    ["--dir", "--env", HELLO],                                # "--env" as --dir's value
    ["missing.wasm", "--no-cache"],                          # no such file: run reports it
]

HANDED_TO_CLICK = [
    [],                                   # no FILE
    ["--help"],
    ["--no-cache"],                       # options but no FILE
    ["--dir"],                            # option without its value
    ["--compile", "fast", HELLO],         # not a choice
    ["--compile=EAGER", HELLO],           # choices are case-sensitive
    ["--no-cache=1", HELLO],              # a flag given a value
    ["--unknown", HELLO],
    ["-x", HELLO],
    ["--", HELLO],                        # click's own end-of-options marker
    ["--no-cach", HELLO],                 # no prefix matching
    ["/"],                                # a directory
    [""],
]


def click_params(argv) -> dict:
    with click_run.make_context("run", list(argv)) as ctx:
        return ctx.params


@pytest.mark.parametrize("argv", ACCEPTED, ids=" ".join)
def test_accepted_command_lines_parse_exactly_as_click_parses_them(argv):
    params = parse_run_args(argv)
    assert params is not None
    assert params == click_params(argv)


@pytest.mark.parametrize("argv", HANDED_TO_CLICK, ids=repr)
def test_anything_else_is_left_to_click(argv):
    assert parse_run_args(argv) is None


def test_every_option_of_the_click_command_is_in_the_table():
    from jitwasm.cli_run import RUN_OPTIONS

    declared = {opt for param in click_run.params for opt in param.opts if opt.startswith("--")}
    assert declared == {option for option, *_ in RUN_OPTIONS}


def _script(*args):
    return subprocess.run([sys.executable, "-m", "jitwasm", *args], capture_output=True,
                          text=True, timeout=120)


def test_usage_errors_still_come_from_click():
    proc = _script("run", "--compile", "fast", HELLO)
    assert proc.returncode == 2
    assert "Invalid value for '--compile'" in proc.stderr and "Usage: jitwasm run" in proc.stderr
    proc = _script("run", "--help")
    assert proc.returncode == 0 and "--preload NAME=PATH" in proc.stdout


def test_the_fast_path_runs_the_program():
    proc = _script("run", "--no-cache", HELLO)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "Hello, world!\n", "")


def test_other_commands_go_through_click():
    proc = _script("validate", HELLO)
    assert proc.returncode == 0 and proc.stdout == f"{HELLO}: valid\n"
