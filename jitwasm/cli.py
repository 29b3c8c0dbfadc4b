"""The `jitwasm` command line, as click commands.

Each command imports what it needs, so a command pays only for its own dependencies; the
console script (jitwasm.launcher) runs a well-formed `jitwasm run` without importing click.
"""

import sys
from pathlib import Path

import click

from .cli_run import (FLAG, MULTIPLE, RUN_OPTIONS, VALUE, InvalidModuleFile, execute_run,
                      read_module)


class _LazyGroup(click.Group):
    """Subcommands in `lazy` are imported only when named (or listed by --help), so a run of
    another command does not pay for their modules."""

    lazy = {"bench": ("jitwasm.bench.command", "bench")}

    def list_commands(self, ctx):
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx, name):
        if name in self.lazy and name not in self.commands:
            import importlib

            module, attribute = self.lazy[name]
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return super().get_command(ctx, name)


@click.group(cls=_LazyGroup)
def main():
    """jitwasm: a WebAssembly runtime that compiles Wasm to x86-64 at load time."""


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-q", "--quiet", is_flag=True, help="Print nothing for valid modules.")
def validate(files, quiet):
    """Decode and validate FILES (.wasm, or .wat when wasm-tools is installed).

    Prints `FILE: valid`, or `FILE: <reason> (at byte offset ...)` and exits with status 1.
    """
    from .binary import decode_module
    from .errors import DecodeError, ValidationError
    from .validation import validate_module

    status = 0
    for path in files:
        try:
            wasm = read_module(path)
            try:
                validate_module(decode_module(wasm))
            except (DecodeError, ValidationError) as e:
                raise InvalidModuleFile(f"{path}: {e}") from None
        except InvalidModuleFile as e:
            click.echo(str(e), err=True)
            status = 1
        else:
            if not quiet:
                click.echo(f"{path}: valid")
    sys.exit(status)


def _wast_scripts(paths) -> list:
    """The .wast files named, directories expanded to their top-level *.wast (sorted)."""
    scripts = []
    for path in paths:
        if path.is_dir():
            scripts.extend(sorted(path.glob("*.wast")))
        else:
            scripts.append(path)
    return scripts


def _display_names(scripts) -> dict:
    """File names alone when they are unique in this run, else the paths as given."""
    unique = len({s.name for s in scripts}) == len(scripts)
    return {s: s.name if unique else str(s) for s in scripts}


@main.command()
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write per-file counts and skip buckets to this JSON file.")
@click.option("--skip-list", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Skip the commands listed (FILE.wast:LINE reason per line).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Parallel wasm-tools conversions (default: CPU count).")
@click.option("-v", "--verbose", is_flag=True, help="Print every failure with its context.")
def wast(paths, json_path, skip_list, jobs, verbose):
    """Run spec-test scripts (.wast files, or directories of them).

    Prints one line per file and, last, the total `N passed, N failed, N skipped` counted over
    assertions (module commands included). Exits with status 1 if anything failed.
    """
    from .wast import WastRunner, convert_all, load_skiplist, totals, totals_line

    scripts = _wast_scripts(paths)
    if not scripts:
        raise click.UsageError("no .wast files in " + ", ".join(map(str, paths)))
    try:
        skips = load_skiplist(skip_list) if skip_list else None
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--skip-list") from None
    runner = WastRunner(skiplist=skips)
    converted = convert_all(scripts, jobs)
    names = _display_names(scripts)
    results = []
    for script in scripts:
        result = runner.run_file(script, converted[script], names[script])
        results.append(result)
        click.echo(result.summary_line())
        if verbose:
            for failure in result.failures:
                click.echo("  " + failure.format().replace("\n", "\n  "))
            for line in result.mismatch_lines():
                click.echo("  message mismatch: " + line)
    if json_path is not None:
        import json
        report = {"files": {r.name: r.to_json() for r in results}, "totals": totals(results)}
        json_path.write_text(json.dumps(report, indent=1) + "\n")
    click.echo(totals_line(results))
    sys.exit(1 if any(r.failures for r in results) else 0)


@main.command("compile")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the compiled module (Module.deserialize_file reads it).")
def compile_command(file, output):
    """Compile FILE (.wasm, or .wat with wasm-tools) ahead of time into a code cache entry
    (run it with `jitwasm run --allow-precompiled OUTPUT`)."""
    from .api import Engine, Module
    from .errors import WasmError

    try:
        module = Module(Engine(), read_module(file))
        output.write_bytes(module.serialize())
    except (InvalidModuleFile, WasmError, OSError) as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)


def _run_command():
    """`jitwasm run`, its options from cli_run.RUN_OPTIONS."""
    def run(**params):
        """Run a WASI program: FILE (.wasm, or .wat when wasm-tools is installed) with ARGS.

        Options go before FILE; everything after it is passed to the program. Stdio is
        inherited. Exit status: the program's proc_exit code, 134 on a trap, 1 on any other
        error.
        """
        sys.exit(execute_run(params))

    for option, name, kind, metavar, help_text in reversed(RUN_OPTIONS):
        if kind == FLAG:
            run = click.option(option, name, is_flag=True, help=help_text)(run)
        elif kind in (VALUE, MULTIPLE):
            run = click.option(option, name, multiple=kind == MULTIPLE, metavar=metavar,
                               help=help_text)(run)
        else:
            run = click.option(option, name, type=click.Choice(kind), default=kind[0],
                               show_default=True, help=help_text)(run)
    run = click.argument("args", nargs=-1, type=click.UNPROCESSED)(run)
    run = click.argument("file", type=click.Path(dir_okay=False, path_type=Path))(run)
    # after FILE, everything is the guest's
    return click.command("run", context_settings={"allow_interspersed_args": False})(run)


run = _run_command()
main.add_command(run)

if __name__ == "__main__":    # python -m jitwasm.cli (python -X importtime measures it so)
    main()
