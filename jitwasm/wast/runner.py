"""Executes the commands of converted .wast scripts and counts the outcome of each.

Every command is one assertion. Dispatch is by command type to a method `cmd_<type>`; a
method returns to pass, raises `Skipped(bucket)` to skip, raises `CommandFailed` to fail, and
any other exception is a failure reported with its traceback (a crash in the engine).

Modules are decoded, validated, compiled and instantiated against a per-script store whose
`spectest` module and `register`ed instances satisfy imports (session.py); actions run the
compiled code and compare results bit-exactly (values.py). Trap and link-error texts match
when one is a prefix of the other (the reference interpreter adds details, e.g.
"uninitialized element 2").

A module the compiler rejects with NotSupported is a failure (SIMD scripts included).

Each script runs in a forked child with a deadline (`timeout`, isolation.py), so a hang or a
crash in generated code costs that script only and is reported at the command that caused it.
"""

import traceback
from pathlib import Path

from ..compiler import NotSupported
from ..errors import DecodeError, LinkError, Trap, ValidationError
from .conversion import ConversionError, Converted, convert
from .results import Failure, FileResult
from .session import Pending, Session
from .values import format_expected, format_value, result_matches

TEXT_FORMAT = "text format"
EXECUTION_PENDING = "execution not yet implemented"
SKIP_LIST = "skip list"

REJECTIONS = (DecodeError, ValidationError)
DEFAULT_TIMEOUT = 60.0  # seconds per script; the slowest spec script takes under 1 s


class Skipped(Exception):
    def __init__(self, bucket: str):
        self.bucket = bucket


class CommandFailed(Exception):
    def __init__(self, got: str):
        self.got = got


class MessageMismatch(Exception):
    """A module was rejected as asserted, but with another message than the script's: the
    command passes (the spec requires only the rejection) and the mismatch is reported."""

    def __init__(self, got: str):
        self.got = got


def expectation(cmd: dict) -> str:
    """What a command asserts, in words, for failure reports."""
    kind = cmd["type"]
    if kind == "module":
        return "valid module"
    if kind in ("assert_malformed", "assert_invalid"):
        return f"{kind[len('assert_'):]} module ({cmd.get('text', '')!r})"
    if kind == "assert_return":
        return "[" + ", ".join(map(format_expected, cmd["expected"])) + "]"
    return cmd.get("text", kind)


def _decode_and_validate():
    from .. import validate

    return validate


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
        self.session: Session | None = None
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
        self.session = Session()
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
            except MessageMismatch as m:
                result.passed += 1
                result.mismatches.append(
                    Failure(result.name, cmd["line"], kind, expectation(cmd), m.got))
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
            if "binary_filename" in cmd:  # a text module wasm-tools also encoded
                return converted.read_module(cmd["binary_filename"])
            raise Skipped(TEXT_FORMAT)
        return converted.read_module(cmd["filename"])

    def load(self, cmd: dict, converted: Converted):
        """The compiled module of a module command."""
        wasm = self.binary_module(cmd, converted)
        try:
            return self.session.load(wasm)
        except REJECTIONS as e:
            raise CommandFailed(describe(e)) from None
        except NotSupported as e:
            raise CommandFailed(describe(e)) from None

    def cmd_module(self, cmd, converted):
        session = self.session
        name = cmd.get("name")
        session.define(name, None)  # until it is instantiated, commands on it fail
        try:
            module = self.load(cmd, converted)
        except Skipped as s:  # ... or are skipped for the same reason
            session.define(name, Pending(s.bucket))
            raise
        try:
            instance = session.instantiate(module)
        except (LinkError, Trap) as e:
            raise CommandFailed(describe(e)) from None
        session.define(name, instance)

    def cmd_assert_malformed(self, cmd, converted):
        wasm = self.binary_module(cmd, converted)
        try:
            self.validate(wasm)
        except REJECTIONS as e:
            if not message_matches(cmd.get("text", ""), e.reason):
                raise MessageMismatch(describe(e)) from None
            return
        raise CommandFailed("the module was accepted")

    cmd_assert_invalid = cmd_assert_malformed

    def _instance(self, name: str | None):
        instance = self.session.instance(name)
        if isinstance(instance, Pending):
            raise Skipped(instance.reason)
        if instance is None:
            raise CommandFailed(f"no module {name or '(current)'} was instantiated")
        return instance

    def _perform(self, action: dict) -> list:
        return self.session.perform(self._instance(action.get("module")), action)

    def cmd_register(self, cmd, converted):
        self.session.register(cmd["as"], self._instance(cmd.get("name")))

    def cmd_action(self, cmd, converted):
        try:
            self._perform(cmd["action"])
        except Trap as e:
            raise CommandFailed(describe(e)) from None

    def cmd_assert_return(self, cmd, converted):
        try:
            got = self._perform(cmd["action"])
        except Trap as e:
            raise CommandFailed(describe(e)) from None
        expected = cmd["expected"]
        extern_object = self.session.extern_object
        if len(got) != len(expected) or not all(
                result_matches(e, bits, extern_object) for e, bits in zip(expected, got)):
            raise CommandFailed(
                "[" + ", ".join(format_value(e["type"], b) for e, b in zip(expected, got)) +
                "]" + ("" if len(got) == len(expected) else f" ({len(got)} results)"))

    def cmd_assert_trap(self, cmd, converted):
        try:
            got = self._perform(cmd["action"])
        except Trap as e:
            if message_matches(cmd["text"], e.message):
                return
            raise CommandFailed(describe(e)) from None
        raise CommandFailed(f"returned [{', '.join(hex(b) for b in got)}]")

    cmd_assert_exhaustion = cmd_assert_trap

    def _rejected_instantiation(self, cmd, converted, error_type):
        module = self.load(cmd, converted)
        try:
            self.session.instantiate(module)
        except error_type as e:
            message = getattr(e, "message", None) or str(e)
            if message_matches(cmd["text"], message):
                return
            raise CommandFailed(describe(e)) from None
        except (LinkError, Trap) as e:
            raise CommandFailed(describe(e)) from None
        raise CommandFailed("the module was instantiated")

    def cmd_assert_unlinkable(self, cmd, converted):
        self._rejected_instantiation(cmd, converted, LinkError)

    def cmd_assert_uninstantiable(self, cmd, converted):
        self._rejected_instantiation(cmd, converted, Trap)

    def cmd_assert_exception(self, cmd, converted):
        raise Skipped("exceptions proposal")

    def _unknown(self, cmd, converted):
        raise Skipped(f"unsupported command {cmd['type']}")
