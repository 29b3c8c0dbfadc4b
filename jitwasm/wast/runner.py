"""Executes the commands of converted .wast scripts and counts the outcome of each.

Every command is one assertion. Dispatch is by command type to a method `cmd_<type>`; a
method returns to pass, raises `Skipped(bucket)` to skip, raises `CommandFailed` to fail, and
any other exception is a failure reported with its traceback (a crash in the engine).

At this stage modules are decoded and validated only; every command that needs execution is
skipped in the bucket "execution not yet implemented". Execution plugs in by overriding
`cmd_module` and the `cmd_*` methods bound to `_execution_pending`.

Each script runs in a forked child with a deadline (`timeout`, isolation.py), so a hang or a
crash costs that script only and is reported at the command that caused it.
"""

import traceback
from pathlib import Path

from ..errors import DecodeError, ValidationError
from .conversion import ConversionError, Converted, convert
from .results import Failure, FileResult

TEXT_FORMAT = "text format"
EXECUTION_PENDING = "execution not yet implemented"
SKIP_LIST = "skip list"

REJECTIONS = (DecodeError, ValidationError)
DEFAULT_TIMEOUT = 120.0  # seconds per script; the slowest spec script takes a few seconds


class Skipped(Exception):
    def __init__(self, bucket: str):
        self.bucket = bucket


class CommandFailed(Exception):
    def __init__(self, got: str):
        self.got = got


def expectation(cmd: dict) -> str:
    """What a command asserts, in words, for failure reports."""
    kind = cmd["type"]
    if kind == "module":
        return "valid module"
    if kind in ("assert_malformed", "assert_invalid"):
        return f"{kind[len('assert_'):]} module ({cmd.get('text', '')!r})"
    return cmd.get("text", kind)


def _decode_and_validate():
    # Not `jitwasm.validate`: once the `jitwasm.validate` subpackage is imported, that name
    # is the subpackage, not the function.
    from ..binary import decode_module
    from ..validate import validate_module

    return lambda wasm: validate_module(decode_module(wasm))


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def message_matches(expected: str, actual: str) -> bool:
    return actual.startswith(expected) or expected.startswith(actual)


class WastRunner:
    """Runs scripts: `validate(bytes)` (default: jitwasm's decoder + validator) decides the
    assert_malformed/assert_invalid commands, the runtime executes everything else.

    `skiplist` maps (script file name, line) to a reason; those commands are counted as
    skipped in the bucket "skip list". `timeout` (seconds) bounds each script, run in a forked
    child; None runs scripts in this process without a bound.
    """

    def __init__(self, validate=None, skiplist: dict | None = None,
                 timeout: float | None = DEFAULT_TIMEOUT):
        if validate is None:
            validate = _decode_and_validate()
        self.validate = validate
        self.skiplist = skiplist or {}
        self.timeout = timeout
        self._handlers = {name[4:]: getattr(self, name) for name in dir(self)
                          if name.startswith("cmd_")}

    def run_file(self, wast, converted=None, name: str | None = None) -> FileResult:
        """Run one script; `converted` may be given (from `convert_all`) to skip the lookup."""
        wast = Path(wast)
        result = FileResult(name or str(wast))
        if converted is None:
            try:
                converted = convert(wast)
            except ConversionError as e:
                converted = e
        if isinstance(converted, ConversionError):
            result.failures.append(
                Failure(result.name, 0, "json-from-wast", "a convertible script", str(converted)))
            return result
        if self.timeout is None:
            self.run_commands(result, converted, wast.name)
            return result
        from .isolation import run_isolated

        def work(progress):
            self.run_commands(result, converted, wast.name, progress)
            return result

        def gave_up(reason: str, line: int) -> FileResult:
            lost = FileResult(result.name)
            lost.failures.append(Failure(result.name, line, "script", "the script to finish",
                                         reason))
            return lost

        return run_isolated(work, self.timeout, gave_up)

    def run_commands(self, result: FileResult, converted: Converted, script: str,
                     progress=None) -> None:
        handlers = self._handlers
        skiplist = self.skiplist
        for cmd in converted.commands:
            kind = cmd["type"]
            if progress is not None:
                progress.set(cmd["line"])
            if skiplist and (script, cmd["line"]) in skiplist:
                result.skips[SKIP_LIST] += 1
                continue
            handler = handlers.get(kind, self._unknown)
            try:
                handler(cmd, converted)
            except Skipped as s:
                result.skips[s.bucket] += 1
            except CommandFailed as f:
                result.failures.append(
                    Failure(result.name, cmd["line"], kind, expectation(cmd), f.got))
            except Exception as e:  # an engine crash: report it, keep going
                result.failures.append(Failure(result.name, cmd["line"], kind, expectation(cmd),
                                               describe(e), traceback.format_exc()))
            else:
                result.passed += 1

    # -- commands --------------------------------------------------------------------------

    def binary_module(self, cmd: dict, converted: Converted) -> bytes:
        if cmd.get("module_type") != "binary":
            raise Skipped(TEXT_FORMAT)
        return converted.read_module(cmd["filename"])

    def cmd_module(self, cmd, converted):
        wasm = self.binary_module(cmd, converted)
        try:
            self.validate(wasm)
        except REJECTIONS as e:
            raise CommandFailed(describe(e)) from None

    def cmd_assert_malformed(self, cmd, converted):
        wasm = self.binary_module(cmd, converted)
        try:
            self.validate(wasm)
        except REJECTIONS:
            return
        raise CommandFailed("the module was accepted")

    cmd_assert_invalid = cmd_assert_malformed

    def _execution_pending(self, cmd, converted):
        raise Skipped(EXECUTION_PENDING)

    cmd_register = cmd_action = cmd_assert_return = cmd_assert_trap = _execution_pending
    cmd_assert_exhaustion = cmd_assert_unlinkable = cmd_assert_uninstantiable = _execution_pending

    def cmd_assert_exception(self, cmd, converted):
        raise Skipped("exceptions proposal")

    def _unknown(self, cmd, converted):
        raise Skipped(f"unsupported command {cmd['type']}")
