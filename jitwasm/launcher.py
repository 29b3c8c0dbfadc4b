"""The `jitwasm` console script.

A well-formed `jitwasm run ...` command line is parsed here (cli_run.parse_run_args) and run
without importing click, whose import (~45 ms) would be a third of a small program's whole
start, and the process ends without interpreter teardown (exit_now); everything else (other
commands, --help, any error in the command line) goes to the click CLI in jitwasm.cli, which
gives the same parameters and its usual messages.
"""

import os
import sys


def exit_now(status: int) -> None:
    """End the process without tearing the interpreter down: finalizers, module teardown and
    the unmapping of every reservation cost ~30 ms after a small program, and nothing of a run
    needs them (the OS closes its files, the code cache entry is written, WASI writes went to
    the fds directly). Python's own stdio is flushed first."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):   # a closed pipe: nothing more can be said there
            pass
    os._exit(status)


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["run"]:
        from .cli_run import execute_run, parse_run_args

        params = parse_run_args(argv[1:])
        if params is not None:
            exit_now(execute_run(params))
    from .cli import main as click_main

    click_main(argv, prog_name="jitwasm")


if __name__ == "__main__":     # python -m jitwasm.launcher
    main()
